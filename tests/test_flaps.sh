#!/bin/sh
# Alerts that flap (issue 15 item 7), counted at the hooks: every alert a hook is
# told about (docs/hooks.md, the JSON document on standard input) is one line in
# a file. The bundled sitting's queue comes in waves: waiting_room used to fire and
# resolve "20 waiting" seven times. TAP output.
set -u
capmon=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
py=/usr/bin/python3
cat > "$dir/hook.py" << 'PY'
import json, sys
doc = json.load(sys.stdin)
with open(sys.argv[1], "a", encoding="utf-8") as f:
    for a in doc["alerts"]:
        f.write("%s %s %s\n" % (a["labels"]["alertname"], a["status"], a["annotations"]["summary"]))
PY
# count FILE RULE STATUS
count() { grep -c "^$2 $3 " "$1"; }
data="$src/tests/data/alert-flap-waiting-room"

# a queue of 5 going 4, 5, 4, 3, 2, 3, 2 with max_waiting 5
"$capmon" replay --max --hooks --config "$data/config.json" \
        --hook "$py $dir/hook.py $dir/wr" "$data/input.jsonl" > /dev/null 2>&1
[ "$(count "$dir/wr" waiting_room firing)" = 1 ] && [ "$(count "$dir/wr" waiting_room resolved)" = 1 ]
ok $? "waiting room wave: one firing, one resolved ($(wc -l < "$dir/wr") hook alerts)"
# the same with the brakes off: the bare rule flaps (the test can see a flap)
printf '{"rules": {"waiting_room": {"max_waiting": 5, "hysteresis": 0, "clear_for": 0}}}\n' > "$dir/bare.json"
"$capmon" replay --max --hooks --config "$dir/bare.json" \
        --hook "$py $dir/hook.py $dir/bare" "$data/input.jsonl" > /dev/null 2>&1
[ "$(count "$dir/bare" waiting_room firing)" = 2 ] && [ "$(count "$dir/bare" waiting_room resolved)" = 2 ]
ok $? "the bare rule on the same wave: fires twice (+4 s, +12 s), resolves twice"
grep -q "^waiting_room firing Council: 5 people waiting (limit 5)$" "$dir/wr" &&
        grep -q "^waiting_room resolved resolved: Council: 5 people waiting (limit 5)$" "$dir/wr"
ok $? "summaries name the meeting in plain words"

data="$src/tests/data/alert-flap-join-failures"
"$capmon" replay --max --hooks --config "$data/config.json" \
        --hook "$py $dir/hook.py $dir/jf" "$data/input.jsonl" > /dev/null 2>&1
[ "$(count "$dir/jf" join_failures firing)" = 1 ] && [ "$(count "$dir/jf" join_failures resolved)" = 1 ] &&
        grep -q "^join_failures firing Council: 3 join failures in the window (limit 3)$" "$dir/jf"
ok $? "join failures: one firing, one resolved"

sitting="$src/examples/council-sitting.jsonl"
if [ -f "$sitting" ]; then
        "$capmon" replay --max --hooks --hook "$py $dir/hook.py $dir/sit" "$sitting" > /dev/null 2>&1
        wr=$(count "$dir/sit" waiting_room firing) jf=$(count "$dir/sit" join_failures firing)
        [ "$wr" -le 2 ] && [ "$jf" -le 2 ]
        ok $? "bundled sitting: waiting_room fired $wr times (was 7), join_failures $jf (was 4)"
        ! grep -Eq "[0-9]e[+-][0-9]|[0-9]\.[0-9]+ s\b|[0-9]ms\b" "$dir/sit"
        ok $? "bundled sitting: no %g notation, no milliseconds in summaries"
        ! grep -v " Council, 4th sitting: " "$dir/sit" | grep -q .
        ok $? "bundled sitting: every summary names the meeting"
        total=$(wc -l < "$dir/sit")
        echo "# bundled sitting: $total alerts told to hooks (37 before)"
fi
echo "1..$n"
exit $fail
