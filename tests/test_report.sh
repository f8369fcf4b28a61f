#!/bin/sh
# capmon report and capmon check on logs made for them. TAP output.
set -u
capmon=$1 src=$2
data=$src/tests/report
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
py=/usr/bin/python3

# ---- capmon report ----
# tests/report/attendance.jsonl, meeting "Council, 3rd sitting" (timezone
# Europe/Zurich), started 07:59, ended 09:00 (UTC, 2026-03-10). By hand:
#  Anna Muster (registrant rA): session a1 08:00-08:10 (its join is delivered
#    twice: the duplicate changes nothing), rejoin a2 08:15, never leaves: closed
#    by the end at 09:00 (a "left" at 09:00:05 comes after the end). 10 + 45 = 55.0
#    min, 2 sessions, first 08:00, last 09:00.
#  Jean Dupont (registrant rB), two devices: laptop b1 08:05-08:50 (a "left" at
#    08:30 to a breakout room keeps it in), tablet b2 08:20-08:55. Union 08:05-08:55
#    = 50.0 min (not 45 + 35 = 80), 2 sessions.
#  Marie Curie (no registrant, no user id: email, case-insensitive): c1 08:02:00-
#    08:02:30 "Disconnected from the network" (a drop), c2 (email in other case)
#    08:03 to the end 09:00. 0.5 + 57 = 57.5 min, 2 sessions, 1 drop.
#  "Guest 123" (no identity: the session key d1, Unidentified) 08:30-08:40: 10.0.
#  A "left" of an unknown session (orphan) counts for nobody.
# Per delegation: France 2 people, both present from 08:05 (Marie since 08:03,
# Jean from 08:05): peak 2 at 08:05, 50 + 57.5 = 107.5 person-minutes;
# Switzerland 1, peak 1 at 08:00, 55.0; Unidentified 1, peak 1 at 08:30, 10.0.
"$capmon" report "$data/attendance.jsonl" > "$dir/person.csv" 2> "$dir/err"
[ $? -eq 0 ] && cmp -s "$dir/person.csv" "$data/expected-person.csv"
ok $? "report --by person (default) matches the hand-computed CSV"
[ -s "$dir/person.csv" ] && diff "$data/expected-person.csv" "$dir/person.csv" | sed 's/^/# /'
"$capmon" report --by delegation --format csv "$data/attendance.jsonl" > "$dir/deleg.csv"
[ $? -eq 0 ] && cmp -s "$dir/deleg.csv" "$data/expected-delegation.csv"
ok $? "report --by delegation matches the hand-computed CSV"
diff "$data/expected-delegation.csv" "$dir/deleg.csv" | sed 's/^/# /'
"$capmon" report --format json "$data/attendance.jsonl" > "$dir/person.json"
$py - "$dir/person.json" "$data/expected-person.csv" << 'PY'
import csv, json, sys
d = json.load(open(sys.argv[1]))
(m,) = d["meetings"]
assert m["timezone"] == "Europe/Zurich" and m["ended_at"] == "2026-03-10T09:00:00.000Z", m
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == len(m["people"])
for r, p in zip(rows, m["people"]):
    for k in ("delegation", "name", "person", "first_join", "last_leave", "sessions", "drops"):
        assert str(p[k]) == r[k], (k, p[k], r[k])
    assert abs(p["minutes"] - float(r["minutes"])) < 1e-9
PY
ok $? "report --format json: the same figures"
"$capmon" report --by delegation --format json "$data/attendance.jsonl" |
        $py -c "import json,sys; d=json.load(sys.stdin); assert [x['person_minutes'] for x in d['meetings'][0]['delegations']] == [107.5, 55.0, 10.0]"
ok $? "report --by delegation --format json"
# a log cut after the rejoin of Anna at 08:15: open sessions count up to the last
# event (Jean 08:05-08:15 = 10.0 min), last_leave empty
head -n 10 "$data/attendance.jsonl" > "$dir/cut.jsonl"
"$capmon" report "$dir/cut.jsonl" | grep -q ',France - Jean Dupont,r:rB,2026-03-10T08:05:00.000Z,,10.0,1,0$'
ok $? "sessions open at the end of the log: counted to the last event, no last_leave"
"$capmon" report --by nobody "$data/attendance.jsonl" 2> "$dir/err"
[ $? -eq 2 ] && grep -q 'expected person or delegation' "$dir/err"
ok $? "report --by with a bad value: usage error"
"$capmon" report "$dir/missing.jsonl" 2> /dev/null
[ $? -eq 1 ]
ok $? "report on a missing file: exit 1"

# tests/report/bind.jsonl (issue 15 item 1: a bind made the report's finish free
# people it kept). Two phones bound to computers, by hand (UTC, 2026-03-10):
#  Ana Muster (rA): computer c1 08:00-08:30; phone p1 joins 08:01, is bound to c1 at
#    08:02, leaves 08:20: one person, union 08:00-08:30 = 30.0 min, 2 sessions.
#  Jean Dupont (rB): computer c2 08:05-08:10; phone p2 joins 08:06, bound at 08:07,
#    leaves 08:15: union 08:05-08:15 = 10.0 min, 2 sessions.
#  The phones have no rows of their own. Per delegation: one person each, peak 1 at
#  the computer's join, 10.0 and 30.0 person-minutes. The meeting ends at 08:40.
"$capmon" report "$data/bind.jsonl" > "$dir/bind.csv" 2> "$dir/err"
[ $? -eq 0 ] && cmp -s "$dir/bind.csv" "$data/expected-bind-person.csv"
ok $? "report with binds: phones merged into their computers' people"
diff "$data/expected-bind-person.csv" "$dir/bind.csv" | sed 's/^/# /'
"$capmon" report --by delegation "$data/bind.jsonl" > "$dir/bind.csv" 2> "$dir/err"
[ $? -eq 0 ] && cmp -s "$dir/bind.csv" "$data/expected-bind-delegation.csv"
ok $? "report --by delegation with binds"
"$capmon" report --format json "$data/bind.jsonl" |
        $py -c "import json,sys; d=json.load(sys.stdin); assert [(p['name'], p['minutes'], p['sessions']) for p in d['meetings'][0]['people']] == [('France - Jean Dupont', 10.0, 2), ('Switzerland - Ana Muster', 30.0, 2)], d"
ok $? "report --format json with binds"

# ---- capmon check ----
$py "$data/gen_check_log.py" "$dir/ok.jsonl" 500 20
$py "$data/gen_check_log.py" "$dir/warn.jsonl" 948 47
$py "$data/gen_check_log.py" "$dir/crit.jsonl" 1000 49
"$capmon" check "$dir/ok.jsonl" > "$dir/out"
[ $? -eq 0 ] && grep -q '^CAPMON OK - 500/1000 participants, video 20/49, .* | participants=500;900;1000;0;1000 video=20;45;49;0;49 waiting=0;20;;0; unidentified=0;1;;0; join_failures=0;5;;0; people=500;;;0;$' "$dir/out"
ok $? "check: OK, exit 0, with performance data"
"$capmon" check "$dir/warn.jsonl" > "$dir/out"
[ $? -eq 1 ] && grep -q '^CAPMON WARNING - 948/1000 participants, video 47/49, .*; Council, 3rd sitting: 948 participants (warning at 900) (and 1 more alert) | participants=948;900;1000;0;1000 video=47;45;49;0;49 ' "$dir/out"
ok $? "check: WARNING, exit 1"
"$capmon" check "$dir/crit.jsonl" > "$dir/out"
[ $? -eq 2 ] && grep -q '^CAPMON CRITICAL - 1000/1000 participants, .* | participants=1000;900;1000;0;1000 video=49;45;49;0;49 ' "$dir/out"
ok $? "check: CRITICAL, exit 2"
[ "$(wc -l < "$dir/out")" -eq 1 ]
ok $? "check: one line"
"$capmon" check "$dir/missing.jsonl" > "$dir/out"
[ $? -eq 3 ] && grep -q '^CAPMON UNKNOWN - .*missing.jsonl: No such file or directory$' "$dir/out"
ok $? "check: unreadable source, UNKNOWN, exit 3"
"$capmon" check --warning 40 --critical 60 "$dir/ok.jsonl" > "$dir/out"
[ $? -eq 1 ] && grep -q ' | participants=500;400;600;0;1000 ' "$dir/out"
ok $? "check --warning/--critical set the capacity levels (percent)"
"$capmon" check --warning 95 --critical 90 "$dir/ok.jsonl" > "$dir/out"
[ $? -eq 3 ]
ok $? "check: usage error is UNKNOWN (3), not CRITICAL"
printf '' > "$dir/empty.jsonl"
"$capmon" check "$dir/empty.jsonl" > "$dir/out"
[ $? -eq 3 ] && grep -q '^CAPMON UNKNOWN - no meeting in' "$dir/out"
ok $? "check: no meeting in the source, exit 3"

echo "1..$n"
exit $fail
