#!/bin/sh
# Extreme numbers from input must not overflow (issue 11 item 9): run under the
# ASan+UBSan build (CI runs every test there; meson's UBSAN_OPTIONS abort on the
# first report, so a signed overflow fails the test). TAP output.
#  - replay, report and check of events at the int64 limits;
#  - a relay whose log ends at the largest seq refuses to start.
set -u
capmon=$1
[ -x "$capmon" ] || capmon=$PWD/$capmon
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
py=/usr/bin/python3
max=9223372036854775807 min=-9223372036854775807
obj='"uuid":"x==","id":"1","topic":"Edge"'
rec() { # seq recv event ts [participant]
        p=${5:+,\"participant\":$5}
        printf '{"seq":%s,"recv":%s,"src":"webhook","body":{"event":"meeting.%s","event_ts":%s,"payload":{"object":{%s%s}}}}\n' \
                "$1" "$2" "$3" "$4" "$obj" "$p"
}
{
        rec 1 1000 started "$min"
        rec 2 1000 participant_joined "$min" '{"user_id":"a","user_name":"France - A"}'
        rec 3 1000 participant_joined_waiting_room "$min" '{"user_id":"w","user_name":"Japan - W"}'
        rec 4 1000 participant_left 2000 '{"user_id":"a","leave_reason":"disconnected"}'
        rec 5 1000 participant_left_waiting_room 3000 '{"user_id":"w"}'
        rec 6 "$max" participant_joined "$max" '{"user_id":"b","user_name":"Japan - B"}'
        rec 7 "$max" participant_left "$max" '{"user_id":"b","leave_reason":"connection lost"}'
        rec 8 "$min" capmon.participant_join_failed "$max" '{"user_id":"f","reason":"other"}'
        rec 9 "$max" ended "$max"
        printf '{"event":"meeting.alert","event_ts":%s,"payload":{"object":{%s}}}\n' "$min" "$obj"
} > "$dir/edge.jsonl"

"$capmon" replay --max --json "$dir/edge.jsonl" > "$dir/snap.json" 2> "$dir/err"
ok $? "replay of events at the int64 limits runs to the end"
$py -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['events']['received'] == 10" \
        "$dir/snap.json" 2> /dev/null
ok $? "every record counted"
grep -q '"clock": "invalid"' "$dir/snap.json" && ! grep -q '54\.1809Z' "$dir/snap.json"
ok $? "a time past year 9999 prints as \"invalid\", never a wrapped date"
"$capmon" report --format json "$dir/edge.jsonl" > "$dir/report.json" 2> "$dir/err"
ok $? "report of the same log"
"$capmon" report "$dir/edge.jsonl" > "$dir/report.csv" 2> "$dir/err"
ok $? "report as CSV"
"$capmon" check "$dir/edge.jsonl" > "$dir/check.out" 2> "$dir/err"
[ $? -le 2 ] && grep -q '^CAPMON ' "$dir/check.out"
ok $? "check of the same log answers"

# a relay log that ends at the largest seq
{
        printf '{"capmon_log":1,"created":"2026-01-01T00:00:00Z","source":"test"}\n'
        rec "$max" 1000 alert 1000
} > "$dir/full.log"
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CAPMON_WEBHOOK_SECRET=test-secret CAPMON_TOKEN=test-token timeout 20 "$capmon" relay --listen "127.0.0.1:$port" --log "$dir/full.log" > "$dir/out" 2> "$dir/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'largest seq' "$dir/err"
ok $? "a relay whose log ends at seq $max refuses to start (exit $rc), saying why"
[ "$(wc -l < "$dir/full.log")" -eq 2 ]
ok $? "and leaves its log as it was"
[ $fail = 0 ] || { cat "$dir/err"; }
echo "1..$n"
exit $fail
