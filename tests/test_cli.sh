#!/bin/sh
# The command line: help, version, usage errors, config errors, several files.
set -u
capmon=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
get() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }

"$capmon" --version | grep -Eq '^capmon [0-9]+\.[0-9]+\.[0-9]+$'
ok $? "--version prints the version"
"$capmon" --help | grep -q "replay FILE"
ok $? "--help lists replay"
"$capmon" replay --help | grep -q -- "--idle-limit S"
ok $? "replay --help lists its options"
"$capmon" frobnicate 2> "$dir/err"; [ $? -eq 2 ] && grep -q 'unknown command "frobnicate"' "$dir/err"
ok $? "unknown command: exit 2"
"$capmon" replay 2> "$dir/err"; [ $? -eq 2 ] && grep -q "no log file given" "$dir/err"
ok $? "replay without files: exit 2"
"$capmon" replay --max --speed 2 x 2> "$dir/err"; [ $? -eq 2 ]
ok $? "--max with --speed: exit 2"

printf '{"capacity": 10, "rules": {"capacty": {}}}' > "$dir/bad.json"
printf '{}\n' > "$dir/empty.jsonl"
"$capmon" replay --max --json --config "$dir/bad.json" "$dir/empty.jsonl" 2> "$dir/err"
[ $? -eq 1 ] && grep -q 'unknown key "rules.capacty"' "$dir/err"
ok $? "config: unknown key named with its path"
printf '{"capacity": "ten"}' > "$dir/bad.json"
"$capmon" replay --max --json --config "$dir/bad.json" "$dir/empty.jsonl" 2> "$dir/err"
[ $? -eq 1 ] && grep -q 'capacity: must be a whole number' "$dir/err"
ok $? "config: wrong type named"
printf '{"capacity": 10,}' > "$dir/bad.json"
"$capmon" replay --max --json --config "$dir/bad.json" "$dir/empty.jsonl" 2> "$dir/err"
[ $? -eq 1 ] && grep -q 'bad.json:1:' "$dir/err"
ok $? "config: JSON syntax error with file and line"

# config capacity, overridden by --capacity
printf '{"capacity": 10, "meetings": {"9": {"capacity": 20}}}' > "$dir/cfg.json"
printf '{"event":"meeting.started","event_ts":1750000000000,"payload":{"object":{"uuid":"a==","id":"9"}}}\n{"event":"meeting.started","event_ts":1750000000000,"payload":{"object":{"uuid":"b==","id":8}}}\n' > "$dir/two.jsonl"
"$capmon" replay --max --json --config "$dir/cfg.json" "$dir/two.jsonl" > "$dir/out.json"
[ "$(get "$dir/out.json" "[m['capacity'] for m in d['meetings']]")" = "[20, 10]" ]
ok $? "config: per-meeting capacity by id, global default for others (numeric id)"
"$capmon" replay --max --json --config "$dir/cfg.json" --capacity 5 "$dir/two.jsonl" > "$dir/out.json"
[ "$(get "$dir/out.json" "[m['capacity'] for m in d['meetings']]")" = "[5, 5]" ]
ok $? "--capacity overrides the configuration"

# two files merged by arrival time, each keeping its order
printf '{"seq":1,"recv":1000,"src":"a","body":{"event":"meeting.participant_joined","event_ts":1000,"payload":{"object":{"uuid":"m","participant":{"user_id":"1","user_name":"x"}}}}}\n{"seq":2,"recv":3000,"src":"a","body":{"event":"meeting.participant_left","event_ts":3000,"payload":{"object":{"uuid":"m","participant":{"user_id":"1","user_name":"x"}}}}}\n' > "$dir/a.jsonl"
printf '{"seq":1,"recv":2000,"src":"b","body":{"event":"meeting.participant_joined","event_ts":2000,"payload":{"object":{"uuid":"m","participant":{"user_id":"2","user_name":"y"}}}}}\n{"seq":2,"recv":2500,"src":"b","body":{"event":"meeting.participant_left","event_ts":900,"payload":{"object":{"uuid":"m","participant":{"user_id":"1","user_name":"x"}}}}}\n' > "$dir/b.jsonl"
"$capmon" replay --max --json "$dir/a.jsonl" "$dir/b.jsonl" > "$dir/out.json"
# in recv order: join 1 (1000), join 2 (2000), left 1 at event time 900 < join 1000 -> stale, left 1 (3000)
[ "$(get "$dir/out.json" "d['events']['applied'], d['events']['stale'], d['meetings'][0]['participants']")" = "(3, 1, 1)" ]
ok $? "two logs merged in arrival order"

# pacing: --speed 10 over a 2 s recorded gap takes ~0.2 s, --idle-limit caps a gap
printf '{"seq":1,"recv":0,"src":"a","body":{"event":"meeting.started","event_ts":0,"payload":{"object":{"uuid":"m"}}}}\n{"seq":2,"recv":2000,"src":"a","body":{"event":"meeting.alert","event_ts":2000,"payload":{"object":{"uuid":"m"}}}}\n{"seq":3,"recv":100000000,"src":"a","body":{"event":"meeting.alert","event_ts":100000000,"payload":{"object":{"uuid":"m"}}}}\n' > "$dir/paced.jsonl"
start=$(date +%s%N)
"$capmon" replay --json --speed 10 --idle-limit 0.5 "$dir/paced.jsonl" > /dev/null
el=$(( ($(date +%s%N) - start) / 1000000 ))
# 2000 ms / 10 = 200 ms, then 1e8 ms / 10 capped at 500 ms: about 700 ms in all
[ "$el" -ge 650 ] && [ "$el" -lt 5000 ]
ok $? "--speed 10 waits the 2 s gap as 0.2 s, --idle-limit 0.5 caps the long gap (${el} ms)"

# ---- GNU option order and the option tables (issue 15 item 2) ----
# two meetings, a few seconds apart, and a log whose last gap is a day long
printf '{"seq":1,"recv":1000,"src":"a","body":{"event":"meeting.started","event_ts":1000,"payload":{"object":{"uuid":"u1==","id":"111","topic":"One"}}}}\n{"seq":2,"recv":2000,"src":"a","body":{"event":"meeting.participant_joined","event_ts":2000,"payload":{"object":{"uuid":"u1==","id":"111","participant":{"user_id":"1","user_name":"Ann B.","participant_user_id":"p1"}}}}}\n{"seq":3,"recv":3000,"src":"a","body":{"event":"meeting.started","event_ts":3000,"payload":{"object":{"uuid":"u2==","id":"222","topic":"Two"}}}}\n{"seq":4,"recv":86403000,"src":"a","body":{"event":"meeting.participant_joined","event_ts":86403000,"payload":{"object":{"uuid":"u2==","id":"222","participant":{"user_id":"2","user_name":"Bo C.","participant_user_id":"p2"}}}}}\n' > "$dir/twomeet.jsonl"
"$capmon" replay "$dir/twomeet.jsonl" --max --json > "$dir/out.json" 2> "$dir/err"
[ $? -eq 0 ] && [ "$(get "$dir/out.json" "len(d['meetings'])")" = 2 ]
ok $? "replay FILE --max --json: options after the operand"
timeout 20 "$capmon" replay --json "$dir/twomeet.jsonl" > "$dir/out.json" 2> "$dir/err"
rc=$?
[ $rc -eq 0 ] && [ "$(get "$dir/out.json" "d['events']['applied']")" = 4 ]
ok $? "replay --json without --speed does not pace (a day-long gap, exit $rc)"
"$capmon" report "$dir/twomeet.jsonl" --by delegation --format json > "$dir/out.json" 2> "$dir/err"
[ $? -eq 0 ] && get "$dir/out.json" "d" > /dev/null && ! grep -q 'No such file' "$dir/err"
ok $? "report FILE --by delegation --format json: options after the operand"
# (Ann B. is unidentified: WARNING, exit 1)
"$capmon" check "$dir/twomeet.jsonl" -w 80 > "$dir/out"
[ $? -eq 1 ] && grep -q '^CAPMON WARNING - 1/1000 participants' "$dir/out" && grep -q 'participants=1;800;1000;0;1000' "$dir/out"
ok $? "check FILE -w 80: a short option after the operand"
"$capmon" check -w80 --critical=85 "$dir/twomeet.jsonl" > "$dir/out"
[ $? -eq 1 ] && grep -q 'participants=1;800;850;0;1000' "$dir/out"
ok $? "check -w80 --critical=85: attached values"
"$capmon" check "$dir/twomeet.jsonl" --meeting 111 > "$dir/out"
[ $? -eq 1 ] && grep -q '"One" (111, live); One: 1 unidentified participant |' "$dir/out"
ok $? "check --meeting 111 reports that meeting"
"$capmon" check --meeting u2== "$dir/twomeet.jsonl" > "$dir/out"
[ $? -eq 1 ] && grep -q '"Two" (222, live)' "$dir/out"
ok $? "check --meeting by uuid"
"$capmon" check "$dir/twomeet.jsonl" > "$dir/out"
[ $? -eq 1 ] && grep -q '"One" (111, live); .*(and 1 more alert) |' "$dir/out"
ok $? "check without --meeting counts every meeting's alerts"
"$capmon" check --meeting 333 "$dir/twomeet.jsonl" > "$dir/out"
[ $? -eq 3 ] && grep -q '^CAPMON UNKNOWN - no meeting 333 in ' "$dir/out"
ok $? "check --meeting with an unknown meeting: UNKNOWN (3)"
cp "$dir/twomeet.jsonl" "$dir/--json"
(cd "$dir" && "$capmon" replay --max --json -- --json > out.json 2> err)
[ $? -eq 0 ] && [ "$(get "$dir/out.json" "len(d['meetings'])")" = 2 ]
ok $? "-- ends the options: a file named --json"
"$capmon" replay --max --json --capacity=5 "$dir/twomeet.jsonl" > "$dir/out.json"
[ "$(get "$dir/out.json" "d['meetings'][0]['capacity']")" = 5 ]
ok $? "--capacity=5: the value after ="
"$capmon" report "$dir/twomeet.jsonl" --by 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon report: --by needs a value" "$dir/err"
ok $? "a missing value says \"needs a value\", names the subcommand, exit 2"
"$capmon" watch --meeting --json x.jsonl 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon watch: --meeting needs a value" "$dir/err"
ok $? "an option where a value should be: needs a value"
"$capmon" report --hook /bin/true "$dir/twomeet.jsonl" 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon report: unknown option --hook" "$dir/err"
ok $? "report --hook is refused (means nothing to report)"
"$capmon" replay --record "$dir/rec.jsonl" --json "$dir/twomeet.jsonl" 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon replay: unknown option --record" "$dir/err" && [ ! -e "$dir/rec.jsonl" ]
ok $? "replay --record is refused"
"$capmon" replay --json=yes "$dir/twomeet.jsonl" 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon replay: --json takes no value" "$dir/err"
ok $? "a flag with a value is refused"
"$capmon" replay --capacity ten "$dir/twomeet.jsonl" 2> "$dir/err"
[ $? -eq 2 ] && grep -q '^capmon replay: --capacity: expected a whole number from 1 to 10000000, got "ten"' "$dir/err"
ok $? "a bad number names the option and what it expects"
"$capmon" watch --metrics nope x.jsonl 2> "$dir/err"
[ $? -eq 2 ] && grep -q '^capmon watch: --metrics: expected \[ADDR\]:PORT, got "nope"' "$dir/err"
ok $? "watch --metrics with a bad address: usage error, the option named once"
for cmd in replay report watch relay demo; do
        "$capmon" $cmd --frobnicate 2> "$dir/err" > /dev/null
        rc=$?
        [ $rc -eq 2 ] && grep -q "^capmon $cmd: unknown option --frobnicate (see 'capmon $cmd --help')$" "$dir/err"
        ok $? "$cmd --frobnicate: exit 2 (got $rc), the message names the subcommand"
done
"$capmon" check --frobnicate x > "$dir/out"
[ $? -eq 3 ] && grep -q "^CAPMON UNKNOWN - capmon check: unknown option --frobnicate" "$dir/out"
ok $? "check --frobnicate: UNKNOWN (3) as a plugin must, naming the subcommand"
"$capmon" watch http://127.0.0.1:8787/events --json 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon watch: http://127.0.0.1:8787/events: .*ws://127.0.0.1:8787/events" "$dir/err"
ok $? "watch http://: exit 2, suggests ws://"
"$capmon" check https://relay.example/events > "$dir/out"
[ $? -eq 3 ] && grep -q "wss://relay.example/events" "$dir/out"
ok $? "check https://: UNKNOWN, suggests wss://"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 20 "$capmon" watch "ws://127.0.0.1:$port/events" --json --duration 0.5 --log "$dir/w.log" > "$dir/out" 2> "$dir/err"
rc=$?
[ $rc -eq 0 ] && ! grep -q 'No such file' "$dir/err" && [ "$(tail -n 1 "$dir/out" | cut -c1)" = "{" ]
ok $? "watch ws://... --json: the option after the source (exit $rc)"
timeout 20 "$capmon" watch "$dir/twomeet.jsonl" --meeting 111 --json --duration 3 > "$dir/out" 2> "$dir/err"
rc=$?
[ $rc -eq 0 ] && tail -n 1 "$dir/out" > "$dir/last.json" && [ "$(get "$dir/last.json" "[m['id'] for m in d['meetings']]")" = "['111']" ]
ok $? "watch FILE --meeting ID --json: options after the source (exit $rc)"
"$capmon" demo a b 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon demo: 2 recordings given, at most 1" "$dir/err"
ok $? "demo with two recordings: exit 2"

# --tz (issue 15 item 10): the commands that show the dashboard take it, anywhere
# on the line; a bad value is a usage error naming the subcommand; JSON stays UTC
for cmd in replay watch demo; do
        "$capmon" $cmd --tz mars "$dir/twomeet.jsonl" > /dev/null 2> "$dir/err"
        rc=$?
        [ $rc -eq 2 ] && grep -q "^capmon $cmd: --tz: expected utc, meeting or local, got \"mars\" (see 'capmon $cmd --help')$" "$dir/err"
        ok $? "$cmd --tz mars: exit 2 (got $rc), names the subcommand and the choices"
        "$capmon" $cmd --help | grep -q -- "--tz utc|meeting|local"
        ok $? "$cmd --help lists --tz"
done
"$capmon" replay "$dir/twomeet.jsonl" --tz 2> "$dir/err"
[ $? -eq 2 ] && grep -q "^capmon replay: --tz needs a value (utc|meeting|local)" "$dir/err"
ok $? "replay FILE --tz: needs a value"
"$capmon" report --tz utc "$dir/twomeet.jsonl" 2> "$dir/err" > /dev/null
[ $? -eq 2 ] && grep -q "^capmon report: unknown option --tz" "$dir/err"
ok $? "report --tz is refused (report shows no dashboard)"
sed 's/"topic":"One"/"topic":"One","timezone":"Europe\/Zurich"/' "$dir/twomeet.jsonl" > "$dir/tz.jsonl"
"$capmon" replay "$dir/tz.jsonl" --max --json --tz meeting > "$dir/out.json" 2> "$dir/err"
[ $? -eq 0 ] && [ "$(get "$dir/out.json" "d['meetings'][0]['timezone'], d['clock']")" = "('Europe/Zurich', '1970-01-02T00:00:03.000Z')" ]
ok $? "replay FILE --json --tz meeting: the zone in the snapshot, times still UTC"
timeout 20 "$capmon" watch "$dir/tz.jsonl" --json --duration 1 --tz local > "$dir/out" 2> "$dir/err"
rc=$?
[ $rc -eq 0 ] && tail -n 1 "$dir/out" > "$dir/last.json" &&
        [ "$(get "$dir/last.json" "d['meetings'][0]['timezone'], d['clock'][:11], d['clock'][-1]")" = "('Europe/Zurich', '1970-01-01T', 'Z')" ]
ok $? "watch FILE --json --tz local: the option after the source, JSON in UTC (exit $rc)"

# relay --store (issue 7, docs/redis.md): usage errors before anything starts
"$capmon" relay --store bogus 2> "$dir/err"; [ $? -eq 2 ] && grep -q -- '--store: "bogus" is not' "$dir/err"
ok $? "relay --store bogus: exit 2, names the value"
"$capmon" relay --store redis://h:1/s --log "$dir/x.log" 2> "$dir/err"
[ $? -eq 2 ] && grep -q -- '--log' "$dir/err" && grep -q 'redis://' "$dir/err" && [ ! -e "$dir/x.log" ]
ok $? "relay --store redis:// with --log: exit 2, no log created"
"$capmon" relay --maxlen 5 2> "$dir/err"; [ $? -eq 2 ] && grep -q -- '--maxlen.*need --store redis://' "$dir/err"
ok $? "relay --maxlen without --store: exit 2"
"$capmon" relay --wait-replicas 1 --store file 2> "$dir/err"; [ $? -eq 2 ] && grep -q -- '--wait-replicas.*need --store redis://' "$dir/err"
ok $? "relay --wait-replicas with the file store: exit 2"
"$capmon" relay --store redis://127.0.0.1:1/s --maxlen -1 2> "$dir/err"; [ $? -eq 2 ] && grep -q -- '--maxlen' "$dir/err"
ok $? "relay --maxlen -1: exit 2"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CAPMON_WEBHOOK_SECRET=s CAPMON_TOKEN=t timeout 10 "$capmon" relay --listen "127.0.0.1:$port" \
        --store 'redis://u:hunter2pw@127.0.0.1:1/s' 2> "$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q "password in the Redis address is refused" "$dir/err" && ! grep -q 'hunter2pw' "$dir/err" \
        && [ "$(wc -l < "$dir/err")" -le 2 ]
ok $? "relay --store with a password in the address: refused (exit $rc), the password not echoed"
CAPMON_WEBHOOK_SECRET=s CAPMON_TOKEN=t timeout 10 "$capmon" relay --listen "127.0.0.1:$port" \
        --store 'redis://:hunter2pw@127.0.0.1:1/s' 2> "$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q "password in the Redis address is refused" "$dir/err" && ! grep -q 'hunter2pw' "$dir/err"
ok $? "relay --store redis://:PASSWORD@...: refused (exit $rc), the password not echoed"
"$capmon" relay --help | grep -q -- '--store redis://'
ok $? "relay --help lists --store"

echo "1..$n"
exit $fail
