#!/bin/bash
# completion/capmon.bash in a real bash: commands, each command's options (as
# its --help lists them), option values, sources and files.
# usage: test_completion.sh CAPMON SOURCE_ROOT
set -u
capmon=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; echo "#   got: $got"; fail=1; fi
}
# shellcheck source=/dev/null
. "$src/completion/capmon.bash"
# complete LINE: what bash would offer at the end of LINE (sorted, one line)
complete_line() {
        read -r -a COMP_WORDS <<< "$1"
        [[ $1 == *" " ]] && COMP_WORDS+=("")
        COMP_WORDS[0]=$capmon
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _capmon
        printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
got=$(complete_line "capmon re")
[ "$got" = "relay replay report" ]
ok $? "commands: 're' -> relay replay report"
got=$(complete_line "capmon watch --j")
[ "$got" = "--json" ]
ok $? "watch --j -> --json"
got=$(complete_line "capmon report --")
expected=$("$capmon" report --help | grep -o '^  \(-[a-z], \)\{0,1\}--[a-z-]*' | grep -o -- '--[a-z-]*' | sort | tr '\n' ' ' | sed 's/ $//')
[ -n "$expected" ] && [ "$got" = "$expected" ] && case " $got " in *" --hook "*) false ;; *) true ;; esac
ok $? "report --: exactly report's options (no --hook)"
got=$(complete_line "capmon report --by ")
[ "$got" = "delegation person" ]
ok $? "--by -> delegation person"
got=$(complete_line "capmon watch w")
[ "$got" = "webhook:// ws:// wss://" ]
ok $? "watch sources: w -> webhook:// ws:// wss://"
cd "$dir" && touch sitting.jsonl notes.txt && mkdir sub
got=$(complete_line "capmon replay --max s")
[ "$got" = "sitting.jsonl sub" ]
ok $? "replay: files"
got=$(complete_line "capmon config ")
[ "$got" = "check" ]
ok $? "config -> check"
echo "1..$n"
exit $fail
