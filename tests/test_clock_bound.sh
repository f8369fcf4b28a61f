#!/bin/sh
# One far-future event_ts must not pin the clock (issue 11 item 5, docs/semantics.md
# §2 "Clock bound"): the bundled sitting with one injected orphan record dated
# 2100-01-01 (recv: 11 minutes into the sitting) gives the same alerts and meetings
# as without it, and counts it in events.clamped; with the bound lifted (a year) the
# same record wrecks the run (waiting-room alerts 2 -> 1, join-failure alerts 1 ->
# 0: the clock jumps a year and every wait and failure ages out at once), which shows
# the test can fail. (2 and 1 since waiting_room and join_failures stopped flapping;
# 7 and 4 before, 53 unbounded.) TAP output.
set -u
capmon=$1 src=$2
[ -x "$capmon" ] || capmon=$PWD/$capmon
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
py=/usr/bin/python3
sit=$src/examples/council-sitting.jsonl
{
        head -101 "$sit"
        printf '%s\n' '{"seq":100000,"recv":1773130000000,"src":"webhook","body":{"event":"meeting.participant_left","event_ts":4102444800000,"payload":{"object":{"uuid":"bmwxAscRuzOl8G5UBBBpiA==","id":"84791203356","participant":{"user_id":"no-such-session","user_name":"Nobody"}}}}}'
        tail -n +102 "$sit"
} > "$dir/injected.jsonl"
printf '{"state": {"max_clock_ahead": 31536000}}\n' > "$dir/nobound.json"

"$capmon" replay --max --json "$sit" > "$dir/plain.json" 2> /dev/null
ok $? "the sitting replays"
"$capmon" replay --max --json "$dir/injected.jsonl" > "$dir/bounded.json" 2> /dev/null
ok $? "the sitting with a far-future orphan replays"
"$capmon" replay --max --json --config "$dir/nobound.json" "$dir/injected.jsonl" \
        > "$dir/unbounded.json" 2> /dev/null
ok $? "and with the bound lifted to a year"

# rules: count alert instances of a rule in a snapshot
$py - "$dir" << 'PY' > "$dir/facts"
import json, sys
d = sys.argv[1]
def load(name):
    return json.load(open(f"{d}/{name}.json"))
def count(s, rule):
    return sum(1 for a in s["alerts"] if a["rule"] == rule)
p, b, u = load("plain"), load("bounded"), load("unbounded")
print("plain", count(p, "waiting_room"), count(p, "join_failures"), p["events"]["clamped"])
print("bounded", count(b, "waiting_room"), count(b, "join_failures"), b["events"]["clamped"],
      b["events"]["orphan"] - p["events"]["orphan"])
print("same", int(b["alerts"] == p["alerts"] and b["meetings"] == p["meetings"]
                  and b["join_failures"] == p["join_failures"]))
print("clock", int(b["clock"] == p["clock"]), u["clock"][:4])
print("unbounded", count(u, "waiting_room"), count(u, "join_failures"))
PY
grep -qx 'plain 2 1 0' "$dir/facts"
ok $? "without the record: 2 waiting-room and 1 join-failure alerts, nothing clamped"
grep -qx 'bounded 2 1 1 1' "$dir/facts"
ok $? "with it: still 2 and 1; the record is 1 orphan, counted in clamped"
grep -qx 'same 1' "$dir/facts"
ok $? "with it: alerts, meetings and join failures identical to the plain run"
grep -qx 'clock 1 2027' "$dir/facts"
ok $? "the final clock is the plain run's (lifted: a year ahead)"
grep -qx 'unbounded 1 0' "$dir/facts"
ok $? "with the bound lifted the record wrecks the run: 1 waiting-room, 0 join-failure alerts"
[ $fail = 0 ] || cat "$dir/facts"
echo "1..$n"
exit $fail
