#!/bin/sh
# Bad input that must be counted, reported with its line and never lose what came
# before or after it: a 10 MB line, invalid UTF-8, a truncated (torn) last line.
set -u
capmon=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
rec() { # rec SEQ USER TIME
        printf '{"seq":%s,"recv":%s,"src":"webhook","body":{"event":"meeting.participant_joined","event_ts":%s,"payload":{"object":{"uuid":"m==","id":"9","participant":{"user_id":"%s","user_name":"France - Jean Dupont %s"}}}}}\n' "$1" "$3" "$3" "$2" "$2"
}
get() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }

# 1. a 10 MB line between two good records
{ rec 1 u1 1750000000000
  head -c 10485760 /dev/zero | tr '\0' 'x'; printf '\n'
  rec 3 u3 1750000002000; } > "$dir/big.jsonl"
"$capmon" replay --max --json "$dir/big.jsonl" > "$dir/out.json" 2> "$dir/err"
ok $? "replay of a log with a 10 MB line exits 0"
[ "$(get "$dir/out.json" "d['events']['invalid'], d['events']['applied'], d['meetings'][0]['participants']")" = "(1, 2, 2)" ]
ok $? "10 MB line counted invalid, records before and after applied"
grep -q "big.jsonl:2: invalid record: line longer than" "$dir/err"
ok $? "10 MB line reported with its line number"
[ "$(wc -l < "$dir/err")" -le 2 ]
ok $? "the report is one line, not the line's text"

# 2. invalid UTF-8 bytes inside a JSON string
{ rec 1 u1 1750000000000
  printf '{"seq":2,"recv":1750000001000,"src":"webhook","body":{"event":"meeting.participant_joined","event_ts":1750000001000,"payload":{"object":{"uuid":"m==","participant":{"user_id":"u2","user_name":"Bad \377\376 Name"}}}}}\n'
  rec 3 u3 1750000002000; } > "$dir/utf8.jsonl"
"$capmon" replay --max --json "$dir/utf8.jsonl" > "$dir/out.json" 2> "$dir/err"
ok $? "replay with invalid UTF-8 exits 0"
[ "$(get "$dir/out.json" "d['events']['invalid'], d['events']['applied']")" = "(1, 2)" ]
ok $? "invalid UTF-8 line counted invalid, the others applied"
grep -q "utf8.jsonl:2: invalid record: not JSON" "$dir/err"
ok $? "invalid UTF-8 reported with its line"

# 3. --strict stops at the first invalid record with exit 1
"$capmon" replay --max --json --strict "$dir/utf8.jsonl" > "$dir/out.json" 2> "$dir/err"
[ $? -eq 1 ] && grep -q "utf8.jsonl:2:.*--strict" "$dir/err" && [ ! -s "$dir/out.json" ]
ok $? "--strict exits 1 at the first invalid record and prints no snapshot"

# 4. a torn last line: reported, not counted, everything before it kept
{ rec 1 u1 1750000000000; rec 2 u2 1750000001000; rec 3 u3 1750000002000 | head -c 60; } > "$dir/torn.jsonl"
"$capmon" replay --max --json "$dir/torn.jsonl" > "$dir/out.json" 2> "$dir/err"
ok $? "replay of a torn log exits 0"
[ "$(get "$dir/out.json" "d['events']['received'], d['events']['invalid'], d['meetings'][0]['participants']")" = "(2, 0, 2)" ]
ok $? "torn last line not counted, both records before it applied"
grep -q "torn.jsonl:3: torn last line" "$dir/err"
ok $? "torn last line reported with its line number"

# 5. a missing file is a runtime error naming it; a bad option a usage error
"$capmon" replay --max --json "$dir/nope.jsonl" > /dev/null 2> "$dir/err"
[ $? -eq 1 ] && grep -q "nope.jsonl: No such file" "$dir/err"
ok $? "missing file: exit 1 and the file is named"
"$capmon" replay --speed fast "$dir/big.jsonl" > /dev/null 2> "$dir/err"
[ $? -eq 2 ] && grep -q -- "--speed" "$dir/err"
ok $? "bad --speed: exit 2 naming the option"

# 7. size caps on files capmon is given (issue 11 item 10): an endless roster
#    (/dev/zero reached 8.8 GB), a huge secret file, a relay log with a huge line;
#    each stops at its cap with one clear line (ulimit -v: no unbounded growth)
rec 1 u1 1750000000000 > "$dir/one.jsonl"
vmax=400000 # KiB; AddressSanitizer reserves terabytes of address space: no limit then
if ldd "$capmon" 2> /dev/null | grep -q libasan; then vmax=unlimited; fi
(ulimit -v $vmax; "$capmon" replay --json --roster /dev/zero "$dir/one.jsonl") > /dev/null 2> "$dir/err"
[ $? -ne 0 ] && grep -q "/dev/zero:1: line longer than 4096 bytes" "$dir/err"
ok $? "--roster /dev/zero: refused at the line cap"
{ printf 'delegation,name\n'; yes 'France,Jean Dupont' | head -c 17000000; } > "$dir/big.csv"
"$capmon" replay --json --roster "$dir/big.csv" "$dir/one.jsonl" > /dev/null 2> "$dir/err"
[ $? -ne 0 ] && grep -q "roster larger than 16 MiB" "$dir/err"
ok $? "a 17 MB roster: refused at the file cap"
head -c 100000 /dev/zero | tr '\0' 's' > "$dir/secret"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CAPMON_TOKEN=t timeout 10 "$capmon" relay --listen "127.0.0.1:$port" --log "$dir/r1.jsonl" \
        --secret-file "$dir/secret" > /dev/null 2> "$dir/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "secret longer than 4096 bytes" "$dir/err" &&
        ! grep -q ssss "$dir/err"
ok $? "a 100 kB secret file: refused, the secret not echoed"
{ rec 1 u1 1750000000000; head -c 9000000 /dev/zero | tr '\0' 'x'; printf '\n'; } > "$dir/r2.jsonl"
(ulimit -v $vmax; CAPMON_WEBHOOK_SECRET=s CAPMON_TOKEN=t timeout 10 "$capmon" relay \
        --listen "127.0.0.1:$port" --log "$dir/r2.jsonl") > /dev/null 2> "$dir/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "r2.jsonl:2: line longer than 8 MiB" "$dir/err"
ok $? "a relay log with a 9 MB line: the relay refuses to start, naming the line"

echo "1..$n"
exit $fail
