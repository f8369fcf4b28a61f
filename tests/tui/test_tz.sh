#!/bin/sh
# Times on the dashboard (issue 15 item 10) in a real terminal under tmux. The
# bundled sitting (every event says "timezone": "Europe/Zurich"; 10 March 2026,
# before Europe's switch to summer time on 29 March: CET, UTC+1) is replayed with
# --tz meeting, then t switches to local (TZ=Asia/Tokyo: JST, UTC+9), then to UTC.
# The expected times come from coreutils' date on the UTC screen, not from capmon.
# usage: test_tz.sh CAPMON SOURCE_ROOT
set -u
capmon=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/tui/tmux.sh
. "$here/tmux.sh"

# a session that keeps the server up while test sessions come and go
T new-session -d -s keep -x 80 -y 24 "sleep 600" || exit 1

rec="$src/examples/council-sitting.jsonl"
if [ ! -f "$rec" ] || [ ! -f /usr/share/zoneinfo/Europe/Zurich ] || [ ! -f /usr/share/zoneinfo/Asia/Tokyo ]; then
        echo "1..0 # SKIP no bundled recording or no tz database (tzdata)"
        exit 0
fi
[ "$(grep -o '"timezone":"[^"]*"' "$rec" | sort -u)" = '"timezone":"Europe/Zurich"' ]
ok $? "the recording's meeting is in Europe/Zurich (every zone it names)"

# in_zone ZONE "YYYY-MM-DD HH:MM:SS" (UTC) -> "YYYY-MM-DD HH:MM:SS ABBR" in ZONE
in_zone() { TZ=$1 date -d "$2 UTC" '+%Y-%m-%d %H:%M:%S %Z'; }
# clock FILE: the header's clock ("2026-03-10 12:00:00 CET")
clock() { sed -n 1p "$1" | grep -Eo '^ 2026-03-10 [0-9:]{8} [A-Z]+' | cut -c2-; }
# alert_times FILE: the alerts pane's times; failure_times FILE: the join failures pane's
alert_times() { grep -Eo '(WARN|CRIT|done) [0-9:]{8} ' "$1" | awk '{print $2}'; }
failure_times() { grep -Eo '[0-9]{2}:[0-9]{2}:[0-9]{2} (meeting_full|dropped_on_join|[a-z_]{6,}) ' "$1" | awk '{print $1}'; }
# shift_times ZONE: each UTC hh:mm:ss of standard input (on 10 March 2026) in ZONE
shift_times() { while read -r t; do in_zone "$1" "2026-03-10 $t" | awk '{print $2}'; done; }

start 120 40 TZ=Asia/Tokyo -- replay --tui --max --tz meeting "$rec"
wait_for "feed: replay finished" 60
ok $? "replay --tz meeting reaches the end"
cp "$dir/screen" "$dir/meeting"
clock "$dir/meeting" | grep -Eq '^2026-03-10 [0-9:]{8} CET$'
ok $? "--tz meeting: the header's clock in CET ($(clock "$dir/meeting"))"
T send-keys -t cap t
wait_for "^ 2026-03-10 [0-9:]{8} JST  Council, 4th sitting" 10
ok $? "t: local time (TZ=Asia/Tokyo), JST in the header"
cp "$dir/screen" "$dir/local"
T send-keys -t cap t
wait_for "^ 2026-03-10 [0-9:]{8} UTC  Council, 4th sitting" 10
ok $? "t again: UTC"
cp "$dir/screen" "$dir/utc"
utc=$(clock "$dir/utc")
want=$(in_zone Europe/Zurich "${utc% UTC}")
[ -n "$utc" ] && [ "$(clock "$dir/meeting")" = "$want" ]
ok $? "the meeting's clock is the UTC one in Zurich ($utc -> $want)"
want=$(in_zone Asia/Tokyo "${utc% UTC}")
[ "$(clock "$dir/local")" = "$want" ]
ok $? "the local clock is the UTC one in Tokyo ($want)"
alert_times "$dir/utc" | shift_times Europe/Zurich > "$dir/want"
alert_times "$dir/meeting" > "$dir/got"
[ -s "$dir/got" ] && cmp -s "$dir/want" "$dir/got"
ok $? "the alerts' times in Zurich ($(wc -l < "$dir/got") alerts)"
failure_times "$dir/utc" | shift_times Europe/Zurich > "$dir/want"
failure_times "$dir/meeting" > "$dir/got"
[ -s "$dir/got" ] && cmp -s "$dir/want" "$dir/got"
ok $? "the join failures' times in Zurich ($(wc -l < "$dir/got") shown)"
failure_times "$dir/local" > "$dir/got"
failure_times "$dir/utc" | shift_times Asia/Tokyo > "$dir/want"
[ -s "$dir/got" ] && cmp -s "$dir/want" "$dir/got"
ok $? "the join failures' times in Tokyo"

# back to the meeting's zone: the join failures panel (f) in it too
T send-keys -t cap t
wait_for "^ 2026-03-10 [0-9:]{8} CET  Council" 10
ok $? "t a third time: the meeting's zone again"
first=$(failure_times "$dir/meeting" | head -n 1)
T send-keys -t cap f
wait_for "since +name" 10 && sed -n '/since  *name/{n;p;q}' "$dir/screen" | grep -q "^ $first "
ok $? "f: the panel's newest failure at $first, in Zurich"
T send-keys -t cap Escape '?'
wait_for "t +times: UTC, the meeting's zone, local" 10
ok $? "? lists the t key"
T send-keys -t cap Escape q
wait_for "^EXIT=0" 10
ok $? "q exits 0"

# a meeting without a zone: --tz meeting shows UTC and says so
log="$dir/two.jsonl"
/usr/bin/python3 "$here/make_log.py" "$log" || exit 1
! grep -q '"timezone"' "$log"
ok $? "the small log names no zone"
start 120 40 -- replay --tui --max --tz meeting "$log"
wait_for "feed: replay finished" 30 &&
        sed -n 1p "$dir/screen" | grep -Eq "^ 20[0-9-]+ [0-9:]{8} UTC \(meeting zone unknown\)  "
ok $? "no zone: UTC (meeting zone unknown) in the header"
T send-keys -t cap q
wait_for "^EXIT=0" 10

# the demo takes --tz too
start 120 40 -- demo --tz meeting
wait_for "^ 2026-03-10 [0-9:]{8} CET  Council, 4th sitting" 30
ok $? "demo --tz meeting: the clock in CET"
T send-keys -t cap q
wait_for "^EXIT=0" 10
ok $? "demo: q exits 0"

echo "1..$n"
exit $fail
