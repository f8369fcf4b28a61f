#!/bin/sh
# capmon config check: examples/capmon.json is valid and names every key the
# loader knows; the effective configuration is right (checked by hand against
# docs/config.md's defaults), loads again unchanged, and bad files get one line
# naming the file and the key. usage: test_config_check.sh CAPMON SOURCE_ROOT
set -u
capmon=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
py=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else
                echo "not ok $n - $2"
                fail=1
                for f in "$dir/out" "$dir/err"; do [ -s "$f" ] && sed 's/^/#   /' "$f"; done
        fi
}
get() { $py -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

"$capmon" config check "$src/examples/capmon.json" > "$dir/eff.json" 2> "$dir/err"
ok $? "config check examples/capmon.json: valid"
(cd "$dir" && "$capmon" config check eff.json > eff2.json 2> err) && cmp -s "$dir/eff.json" "$dir/eff2.json"
ok $? "the effective configuration loads again, unchanged (from another folder)"
[ "$(get "$dir/eff.json" "d['roster']")" = "$src/examples/roster.csv" ] ||
        [ "$(get "$dir/eff.json" "d['roster']")" = "$(cd "$src/examples" && pwd)/roster.csv" ]
ok $? "the roster is resolved against the file's folder, printed absolute"

# every key the loader accepts (monitor/config.c) is in the example, at some level
keys=$(sed -n 's/.*strcmp(k, "\([a-z_]*\)").*/\1/p' "$src/monitor/config.c" | sort -u | grep -v '^organizations$')
rules=$(sed -n '/RULE_NAMES\[RULE_COUNT\] = {/,/};/p' "$src/monitor/config.c" | grep -o '"[a-z_]*"' | tr -d '"')
missing=""
for k in $keys; do
        $py - "$src/examples/capmon.json" "$k" << 'PY' || missing="$missing $k"
import json, sys
def keys(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from keys(x)
sys.exit(0 if sys.argv[2] in set(keys(json.load(open(sys.argv[1])))) else 1)
PY
done
for r in $rules; do
        [ "$(get "$src/examples/capmon.json" "'$r' in d['rules']")" = True ] || missing="$missing rules.$r"
done
[ -n "$keys" ] && [ -n "$rules" ] && [ -z "$missing" ]
ok $? "examples/capmon.json has every key the loader knows${missing:+ (missing:$missing)}"

# defaults and overrides, by hand: docs/config.md's defaults except what the file sets
printf '{"capacity": 500, "rules": {"capacity": {"warning": 80}, "waiting_room": {"for": 2.5}}}\n' > "$dir/small.json"
"$capmon" config check --compact "$dir/small.json" > "$dir/out" 2> "$dir/err"
[ $? -eq 0 ] && [ "$(wc -l < "$dir/out")" -eq 1 ] &&
        [ "$(get "$dir/out" "d['capacity'], d['video_limit'], d['rules']['capacity']['warning'], d['rules']['capacity']['critical'], d['rules']['waiting_room']['for'], d['rules']['waiting_room']['max_wait'], d['rules']['join_failures']['window'], d['rules']['video']['repeat']")" = "500 49 80 100 2.5 120 300 1800" ]
ok $? "effective values: the file's (500, 80, 2.5) over the defaults (49, 100, 120, 300, 1800)"

printf '{"capacty": 500}\n' > "$dir/typo.json"
"$capmon" config check "$dir/typo.json" > "$dir/out" 2> "$dir/err"
[ $? -eq 1 ] && [ ! -s "$dir/out" ] && [ "$(wc -l < "$dir/err")" -eq 1 ] &&
        grep -q "typo.json.*capacty" "$dir/err"
ok $? "an unknown key: exit 1, one line naming the file and the key"
printf '{"rules": {"capacity": {"warning": "high"}}}\n' > "$dir/bad.json"
"$capmon" config check "$dir/bad.json" > "$dir/out" 2> "$dir/err"
[ $? -eq 1 ] && grep -q "rules.capacity.warning" "$dir/err"
ok $? "a bad value names its key (rules.capacity.warning)"
printf '{"aliases": {"Foo": "Atlantis of the Seas"}}\n' > "$dir/alias.json"
"$capmon" config check "$dir/alias.json" > "$dir/out" 2> "$dir/err"
[ $? -eq 1 ] && grep -q "alias.json" "$dir/err" && grep -q "Atlantis" "$dir/err"
ok $? "an alias to nothing known is refused"
printf '{"roster": "nowhere.csv"}\n' > "$dir/roster.json"
"$capmon" config check "$dir/roster.json" > "$dir/out" 2> "$dir/err"
[ $? -eq 1 ] && grep -q "nowhere.csv" "$dir/err"
ok $? "a roster that cannot be read is refused, named"
"$capmon" config > "$dir/out" 2> "$dir/err"
[ $? -eq 2 ] && grep -q "capmon config" "$dir/err"
ok $? "config without an action: usage error (2)"
"$capmon" config frob "$dir/small.json" > "$dir/out" 2> "$dir/err"
[ $? -eq 2 ] && grep -q 'unknown action "frob"' "$dir/err"
ok $? "config frob: usage error naming the action"
echo "1..$n"
exit $fail
