#!/bin/sh
# Alert hooks (docs/hooks.md) through `capmon replay --hooks`: the example
# Alertmanager hook against a real HTTP receiver, grouping, timeouts, bounds.
# TAP output.
set -u
capmon=$1 src=$2
dir=$(mktemp -d)
rpid=
trap '[ -n "$rpid" ] && kill "$rpid" 2> /dev/null; rm -rf "$dir"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
py=/usr/bin/python3

# event LINE: one capmon record; ts in seconds from T0
T0=1773129600 # 2026-03-10T08:00:00Z
ev() { # ev SECONDS EVENT MEETING [USER NAME [LEAVE_REASON]]
        ms=$(($1 * 1000 + T0 * 1000))
        if [ $# -ge 5 ]; then
                printf '{"recv":%s,"src":"webhook","body":{"event":"meeting.%s","event_ts":%s,"payload":{"object":{"uuid":"%s","id":"85012345678","topic":"Council, 3rd sitting","participant":{"user_id":"%s","user_name":"%s","leave_reason":"%s"}}}}}\n' \
                        "$ms" "$2" "$ms" "$3" "$4" "$5" "${6:-}"
        else
                printf '{"recv":%s,"src":"webhook","body":{"event":"meeting.%s","event_ts":%s,"payload":{"object":{"uuid":"%s","id":"85012345678","topic":"Council, 3rd sitting"}}}}\n' \
                        "$ms" "$2" "$ms" "$3"
        fi
}

# --- the receiver: every POST body becomes one line of $dir/received ---
cat > "$dir/receiver.py" << 'PY'
import http.server, sys
out, portfile = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
$py "$dir/receiver.py" "$dir/received" "$dir/port" &
rpid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$dir/port")

# --- capacity 10: warning at 9, critical at 10, hysteresis 0.2 ---
# 9 joins -> warning (t=20); 10th -> critical (t=40); two leaves 1 s apart
# (t=60: 9, back to warning; t=61: 8, resolved) fall in one 2 s group, whose
# latest state is "resolved": the receiver must get exactly three documents.
{
        ev 0 started M1
        for u in 1 2 3 4 5 6 7 8; do ev "$u" participant_joined M1 "u$u" "Switzerland - Person $u"; done
        ev 20 participant_joined M1 u9 "Switzerland - Person 9"
        ev 40 participant_joined M1 u10 "Switzerland - Person 10"
        ev 60 participant_left M1 u10 "Switzerland - Person 10" "left the meeting"
        ev 61 participant_left M1 u9 "Switzerland - Person 9" "left the meeting"
} > "$dir/cap.jsonl"

"$capmon" replay --max --json --capacity 10 "$dir/cap.jsonl" > "$dir/snap.json"
fp=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['alerts'][0]['fingerprint'])" "$dir/snap.json")

CAPMON_ALERTMANAGER_URL="http://127.0.0.1:$port/alerts" \
        "$capmon" replay --max --capacity 10 --hook "$src/examples/hooks/alertmanager.sh" \
        "$dir/cap.jsonl" > /dev/null 2> "$dir/err"
sleep 0.3
[ ! -e "$dir/received" ]
ok $? "replay without --hooks notifies nobody"

check_three() { # check_three LABEL
        $py - "$dir/received" "$fp" << 'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
fp = sys.argv[2]
got = [(d["status"], [(a["status"], a["labels"]["severity"]) for a in d["alerts"]]) for d in docs]
want = [("firing", [("firing", "warning")]), ("firing", [("firing", "critical")]),
        ("resolved", [("resolved", "critical")])]
assert got == want, got
for d in docs:
    assert d["version"] == "4" and d["receiver"] == "capmon", d
    for k in ("groupKey", "groupLabels", "commonLabels", "commonAnnotations", "externalURL",
              "truncatedAlerts"):
        assert k in d, k
    (a,) = d["alerts"]
    assert a["fingerprint"] == fp, (a["fingerprint"], fp)
    l, an = a["labels"], a["annotations"]
    assert l["alertname"] == "capacity" and l["meeting_id"] == "85012345678", l
    assert l["meeting_topic"] == "Council, 3rd sitting", l
    assert set(an) >= {"summary", "value", "threshold"}, an
    assert a["startsAt"] == "2026-03-10T08:00:20.000Z", a
    assert d["commonLabels"] == l, d["commonLabels"]
assert [d["alerts"][0]["annotations"]["value"] for d in docs] == ["9", "10", "10"], docs
assert [d["alerts"][0]["annotations"]["threshold"] for d in docs] == ["9", "10", "10"], docs
assert [d["alerts"][0]["endsAt"] for d in docs] == ["0001-01-01T00:00:00Z"] * 2 + [
    "2026-03-10T08:01:01.000Z"], docs
PY
}

CAPMON_ALERTMANAGER_URL="http://127.0.0.1:$port/alerts" \
        "$capmon" replay --max --hooks --capacity 10 --hook "$src/examples/hooks/alertmanager.sh" \
        "$dir/cap.jsonl" > /dev/null 2> "$dir/err"
ok $? "replay --hooks exits 0"
check_three
ok $? "receiver got firing warning, firing critical, resolved (v4 shape, stable fingerprint)"
[ ! -s "$dir/err" ]
ok $? "nothing logged for successful hooks"

# paced replay (the hook runs while capmon sleeps between records)
rm -f "$dir/received"
CAPMON_ALERTMANAGER_URL="http://127.0.0.1:$port/alerts" \
        "$capmon" replay --speed 200 --hooks --capacity 10 \
        --hook "$src/examples/hooks/alertmanager.sh" "$dir/cap.jsonl" > /dev/null 2> "$dir/err"
check_three
ok $? "paced replay: same three documents"
# fast pacing: 1 s of the recording is 1 ms here, so a wake-up a millisecond late
# used to move the hook clock past the next record and close its group early
# (seen under load: warning, critical, warning, resolved)
fast=0
for i in 1 2 3 4 5; do
        rm -f "$dir/received"
        CAPMON_ALERTMANAGER_URL="http://127.0.0.1:$port/alerts" \
                "$capmon" replay --speed 1000 --hooks --capacity 10 \
                --hook "$src/examples/hooks/alertmanager.sh" "$dir/cap.jsonl" > /dev/null 2> "$dir/err"
        check_three 2> "$dir/why" || { fast=1; cat "$dir/why"; break; }
done
ok $fast "paced replay at 1000x, five times: the same three documents each time"

# the configuration's "hooks" work too; a receiver that fails is logged
printf '{"hooks": ["%s"]}' "$src/examples/hooks/alertmanager.sh" > "$dir/cfg.json"
CAPMON_ALERTMANAGER_URL="http://127.0.0.1:1/nothing-listens" \
        "$capmon" replay --max --hooks --capacity 10 --config "$dir/cfg.json" "$dir/cap.jsonl" \
        > /dev/null 2> "$dir/err"
[ $? -eq 0 ] && [ "$(grep -c 'alertmanager.sh": exit status 7: curl: (7)' "$dir/err")" -eq 3 ]
ok $? "config hooks; a failing hook is logged with its stderr, replay still exits 0"

# --- a firing alert is sent again every `repeat` (here 60 s, event time) ---
{
        ev 0 started M1
        for u in 1 2 3 4 5 6 7 8 9; do ev "$u" participant_joined M1 "u$u" "Switzerland - Person $u"; done
        t=30
        while [ $t -le 200 ]; do ev $t alert M1; t=$((t + 30)); done
} > "$dir/repeat.jsonl"
printf '{"rules": {"capacity": {"repeat": 60}}}' > "$dir/repeat.json"
"$capmon" replay --max --hooks --capacity 10 --config "$dir/repeat.json" \
        --hook "sh -c 'cat >> \"\$0\"; echo >> \"\$0\"' $dir/repeats" "$dir/repeat.jsonl" > /dev/null
# Fires at 9 s (the 9th join). Rules are evaluated at applied events, here every
# 30 s: the first evaluation >= 9 + 60 s is at 90 s, the next >= 150 s at 150 s,
# and 210 s is past the log: three documents, one instance (same startsAt).
[ "$($py -c "import json,sys; print([(d['status'], d['alerts'][0]['labels']['severity'], d['alerts'][0]['startsAt'][11:19]) for d in map(json.loads, open(sys.argv[1]))])" "$dir/repeats")" = \
        "[('firing', 'warning', '08:00:09'), ('firing', 'warning', '08:00:09'), ('firing', 'warning', '08:00:09')]" ]
ok $? "a firing alert is notified again every repeat"

# --- environment and argv splitting (quotes, no shell) ---
"$capmon" replay --max --hooks --capacity 10 \
        --hook "sh -c 'env | grep ^CAPMON_ | sort >> \"\$1\"; echo ---- >> \"\$1\"' 'the hook' $dir/env" \
        "$dir/cap.jsonl" > /dev/null
grep -q '^CAPMON_STATUS=firing$' "$dir/env" && grep -q '^CAPMON_ALERTNAME=capacity$' "$dir/env" &&
        grep -q '^CAPMON_SEVERITY=critical$' "$dir/env" &&
        grep -q '^CAPMON_SUMMARY=Council, 3rd sitting: 10 participants (limit 10)$' "$dir/env" &&
        grep -q '^CAPMON_STATUS=resolved$' "$dir/env" && grep -q "^CAPMON_FINGERPRINT=$fp\$" "$dir/env"
ok $? "CAPMON_* environment variables; quoted arguments split without a shell"

"$capmon" replay --max --hooks "$dir/cap.jsonl" > /dev/null 2> "$dir/err"
[ $? -eq 2 ] && grep -q 'no hook given' "$dir/err"
ok $? "--hooks without any hook: usage error"
"$capmon" replay --max --hooks --hook "sh -c 'oops" "$dir/cap.jsonl" > /dev/null 2> "$dir/err"
[ $? -eq 2 ] && grep -q "unterminated ' in hook" "$dir/err"
ok $? "unterminated quote: usage error"
"$capmon" replay --max --hooks --capacity 10 --hook "$dir/no-such-hook" "$dir/cap.jsonl" \
        > /dev/null 2> "$dir/err"
[ $? -eq 0 ] && grep -q 'no-such-hook": cannot run: No such file or directory' "$dir/err"
ok $? "a missing hook program is logged, replay exits 0"

# --- a hook that hangs is killed at the timeout (10 s), with its children ---
{
        ev 0 started M1
        ev 1 participant_joined M1 u1 "Switzerland - Person 1"
} > "$dir/one.jsonl"
start=$(date +%s)
"$capmon" replay --max --hooks --capacity 1 \
        --hook "sh -c 'sleep 1000 & echo \$! > $dir/grandchild; echo going to sleep >&2; wait'" \
        "$dir/one.jsonl" > /dev/null 2> "$dir/err"
rc=$?
el=$(($(date +%s) - start))
[ $rc -eq 0 ] && [ "$el" -ge 9 ] && [ "$el" -le 14 ]
ok $? "a hook that sleeps forever: replay finishes after the 10 s timeout (took ${el}s)"
grep -q 'killed after 10.[0-9] s (timeout): going to sleep' "$dir/err"
ok $? "the kill is logged with the hook's stderr"
sleep 0.2
gc=$(cat "$dir/grandchild")
# gone, or a zombie waiting for an init that does not reap (containers)
[ ! -e "/proc/$gc" ] || [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$gc/stat")" = Z ]
ok $? "the hook's own children are killed too (process group)"

# --- 500 alerts in one second: grouped, not 500 processes ---
# 500 meetings of capacity 1, one join each, 2 ms apart: 500 capacity alerts.
$py - "$dir/many.jsonl" "$T0" << 'PY'
import json, sys
t0 = int(sys.argv[2]) * 1000
with open(sys.argv[1], "w") as f:
    for i in range(500):
        f.write(json.dumps({"recv": t0 + 2 * i, "src": "webhook", "body": {
            "event": "meeting.participant_joined", "event_ts": t0 + 2 * i,
            "payload": {"object": {"uuid": "M%d" % i, "id": str(i), "participant": {
                "user_id": "u", "user_name": "France - Jean Dupont"}}}}}) + "\n")
PY
"$capmon" replay --max --hooks --capacity 1 \
        --hook "sh -c 'echo call >> $dir/calls; cat >> $dir/docs; echo >> $dir/docs'" \
        "$dir/many.jsonl" > /dev/null 2> "$dir/err"
calls=$(wc -l < "$dir/calls")
total=$($py -c "import json,sys; print(sum(len(json.loads(l)['alerts']) for l in open(sys.argv[1]) if l.strip()))" "$dir/docs")
[ "$calls" -le 2 ] && [ "$total" -eq 500 ]
ok $? "500 alerts in 1 s: $calls calls (documents of at most 256 alerts), $total alerts delivered"

# --- bounded queue: 40 groups arrive at once (replay --max), the hook is slow ---
# capacity 1; every 3 s one join (fires) and a leave 1 s later (resolves): 40
# groups of one resolved alert. One call runs at a time per hook, 32 may wait:
# the oldest are dropped with a log line.
{
        ev 0 started M1
        i=1
        while [ $i -le 40 ]; do
                ev $((i * 3)) participant_joined M1 "u$i" "Switzerland - P $i"
                ev $((i * 3 + 1)) participant_left M1 "u$i" "Switzerland - P $i" "left the meeting"
                i=$((i + 1))
        done
} > "$dir/flap.jsonl"
"$capmon" replay --max --hooks --capacity 1 \
        --hook "sh -c 'echo call >> $dir/flapcalls; cat > /dev/null; sleep 0.05'" \
        "$dir/flap.jsonl" > /dev/null 2> "$dir/err"
calls=$(wc -l < "$dir/flapcalls")
dropped=$(grep -c 'queue full (32 calls): dropped the oldest, 1 alert of' "$dir/err")
[ "$calls" -lt 40 ] && [ "$calls" -ge 32 ] && [ $((calls + dropped)) -eq 40 ]
ok $? "bounded queue: $calls calls, $dropped dropped with a log line"

echo "1..$n"
exit $fail
