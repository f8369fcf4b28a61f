#!/bin/sh
# Every command, in every form the README and the man page show, on every bundled
# recording (examples/*.jsonl) and every golden input (tests/data/*/input.jsonl):
# each must end with its documented exit status and print sane output. Runs in the
# ASan+UBSan build too (tools/test.sh), where a memory error aborts the command.
# usage: test_smoke.sh CAPMON SOURCE_ROOT
set -u
capmon=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$2
py=/usr/bin/python3
dir=$(mktemp -d)
sock="capmon-smoke-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
        command -v tmux > /dev/null 2>&1 && T kill-server > /dev/null 2>&1
        rm -rf "$dir"
}
trap cleanup EXIT
n=0 fail=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then
                echo "ok $n - $2"
        else
                echo "not ok $n - $2"
                fail=1
                [ -s "$dir/err" ] && head -n 5 "$dir/err" | sed 's/^/#   /'
        fi
}
# json_ok FILE EXPR: FILE is one JSON document and EXPR (on d) holds
json_ok() {
        $py -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1" 2> /dev/null
}
# every line of FILE is a JSON snapshot, and there is at least one
lines_ok() {
        $py -c "
import json,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if ls and all(isinstance(x.get('meetings'), list) for x in ls) else 1)" "$1" 2> /dev/null
}
SNAP="isinstance(d['meetings'], list) and all(v >= 0 for v in d['events'].values() if isinstance(v, int))"
PERSON_CSV='meeting,meeting_id,topic,timezone,delegation,name,person,first_join,last_leave,minutes,sessions,drops'
DELEG_CSV='meeting,meeting_id,topic,timezone,delegation,people,peak_concurrent,peak_at,person_minutes'
printf 'delegation,name,email,registrant_id\nSwitzerland,Ana Muster,ana@ch.example,r-ana\n' > "$dir/roster.csv"

have_tmux=0
if command -v tmux > /dev/null 2>&1 && T new-session -d -s keep -x 80 -y 24 "sleep 900"; then
        have_tmux=1
fi
# the demo in a real terminal: it draws the dashboard, q ends it with status 0
demo_ok() {
        T kill-session -t demo > /dev/null 2>&1
        rm -f "$dir/demo.exit"
        T new-session -d -s demo -x 100 -y 30 \
                "env LANG=C.UTF-8 TERM=screen '$capmon' demo '$1' 2> '$dir/err'; echo \$? > '$dir/demo.exit'; sleep 60"
        i=0
        while [ $i -lt 300 ]; do # the header names the replay's state
                T capture-pane -p -t demo > "$dir/screen" 2> /dev/null
                grep -q "replay" "$dir/screen" && break
                sleep 0.1
                i=$((i + 1))
        done
        [ $i -lt 300 ] || return 1
        T send-keys -t demo q
        i=0
        while [ ! -s "$dir/demo.exit" ] && [ $i -lt 300 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        [ "$(cat "$dir/demo.exit" 2> /dev/null)" = 0 ]
}

for f in "$src"/examples/*.jsonl "$src"/tests/data/*/input.jsonl; do
        name=${f#"$src"/}
        "$capmon" replay --json "$f" > "$dir/a.json" 2> "$dir/err"
        [ $? -eq 0 ] && json_ok "$dir/a.json" "$SNAP"
        ok $? "$name: replay --json"
        "$capmon" replay --max --json "$f" > "$dir/b.json" 2> "$dir/err"
        [ $? -eq 0 ] && cmp -s "$dir/a.json" "$dir/b.json"
        ok $? "$name: replay --max --json, the same snapshot"
        "$capmon" replay --summary --max --capacity 500 --roster "$dir/roster.csv" "$f" > "$dir/out" 2> "$dir/err"
        [ $? -eq 0 ] && head -n 1 "$dir/out" | grep -q '^clock .* records [0-9]*: applied [0-9]*'
        ok $? "$name: replay --max --capacity 500 --roster (summary)"
        "$capmon" replay --strict --json "$f" > "$dir/out" 2> "$dir/err"
        rc=$?
        [ $rc -eq 0 ] || { [ $rc -eq 1 ] && grep -q 'invalid record.*(--strict)\|torn' "$dir/err"; }
        ok $? "$name: replay --strict exits 0, or 1 naming the invalid record"
        for by in person delegation; do
                for fmt in csv json; do
                        "$capmon" report --by $by --format $fmt "$f" > "$dir/out" 2> "$dir/err"
                        rc=$?
                        if [ $fmt = csv ]; then
                                [ $by = person ] && want=$PERSON_CSV || want=$DELEG_CSV
                                [ $rc -eq 0 ] && [ "$(head -n 1 "$dir/out")" = "$want" ]
                        else
                                [ $rc -eq 0 ] && json_ok "$dir/out" "isinstance(d['meetings'], list)"
                        fi
                        ok $? "$name: report --by $by --format $fmt"
                done
        done
        "$capmon" report "$f" --by delegation > "$dir/out" 2> "$dir/err"
        [ $? -eq 0 ] && [ "$(head -n 1 "$dir/out")" = "$DELEG_CSV" ]
        ok $? "$name: report FILE --by delegation (options last)"
        for args in "" "-w 80 -c 95" "--warning 50 --critical 60" "--timeout 5"; do
                # shellcheck disable=SC2086
                "$capmon" check $args "$f" > "$dir/out" 2> "$dir/err"
                rc=$?
                st=$(sed -n '1s/^CAPMON \([A-Z]*\) - .*/\1/p' "$dir/out")
                case "$rc:$st" in
                0:OK | 1:WARNING | 2:CRITICAL | 3:UNKNOWN) r=0 ;;
                *) r=1 ;;
                esac
                [ $r -eq 0 ] && [ "$(wc -l < "$dir/out")" -eq 1 ]
                ok $? "$name: check $args (exit $rc, $st)"
        done
        id=$($py -c "import json,sys; d=json.load(open(sys.argv[1])); print(next((m['id'] for m in d['meetings'] if m.get('id')), ''))" "$dir/b.json" 2> /dev/null)
        if [ -n "$id" ]; then
                "$capmon" check "$f" --meeting "$id" > "$dir/out" 2> "$dir/err"
                rc=$?
                [ $rc -le 2 ] && grep -q "($id, " "$dir/out"
                ok $? "$name: check --meeting $id (exit $rc)"
        fi
        timeout 30 "$capmon" watch "$f" --json --interval 0.2 --duration 0.5 > "$dir/out" 2> "$dir/err"
        [ $? -eq 0 ] && lines_ok "$dir/out"
        ok $? "$name: watch FILE --json"
        if [ $have_tmux = 1 ]; then
                demo_ok "$f"
                ok $? "$name: demo under tmux draws the dashboard, q exits 0"
        fi
done
[ $have_tmux = 1 ] || echo "# tmux not installed: demo not run"

echo "1..$n"
exit $fail
