#!/bin/sh
# The dashboard's history at a glance (issue 15 item 6) in a real terminal under
# tmux: the participants and videos sparklines beside the gauges, and the + / -
# marker of delegations whose counts changed in the last 5 s of the monitor clock.
# Expected sparklines are worked out by hand from the recordings.
# usage: test_spark.sh CAPMON SOURCE_ROOT
set -u
capmon=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/tui/tmux.sh
. "$here/tmux.sh"
T new-session -d -s keep -x 80 -y 24 "sleep 600" || exit 1

# the line of a gauge ("Participants" or "Video"), and the sparkline at its end
gauge_line() { grep -E "^ $1 " "$dir/screen"; }
spark_of() { gauge_line "$1" | sed -E 's/.*  ([▁▂▃▄▅▆▇█ ]+)$/\1/'; }

# 1. A sitting made to be checked by hand (capacity 8, gallery 4), starting on a
# 30 s bucket boundary (t0 = 58333333 x 30 s). Participants: 8 from bucket 0, 4
# from bucket 20 (t0+600 s), 2 from bucket 40 (t0+1200 s); at the end (bucket 59)
# Sweden's last one leaves (t0+1772 s, 2 -> 1) and Kenya joins (t0+1775 s, 1 -> 2).
# Each bucket keeps the highest count seen in it, counting the one carried in:
# buckets 0-20 hold 8, 21-40 hold 4, 41-59 hold 2. Videos: 2 from t0+10 s, 1
# from t0+900 s (bucket 30): buckets 0-30 hold 2, 31-59 hold 1.
/usr/bin/python3 - "$dir/hand.jsonl" << 'PY'
import json, sys
t0 = 58333333 * 30000
out = []
def ev(dt, name, part=None):
    t = t0 + dt
    obj = {"uuid": "h==", "id": "86666666666", "topic": "Hand sitting"}
    if part is not None:
        obj["participant"] = part
    out.append({"seq": len(out) + 1, "recv": t, "src": "file",
                "body": {"event": name, "event_ts": t, "payload": {"object": obj}}})
J, L, V = "meeting.participant_joined", "meeting.participant_left", "capmon.participant_video"
who = ["Switzerland", "Sweden", "France", "France", "Germany", "Germany", "Brazil", "Brazil"]
ev(0, "meeting.started")
for i, c in enumerate(who):
    ev(1000 + i * 100, J, {"user_id": "u%d" % i, "user_name": "%s - Person %d" % (c, i)})
ev(10000, V, {"user_id": "u0", "video": "on"})
ev(11000, V, {"user_id": "u1", "video": "on"})
for i in (4, 5, 6, 7):
    ev(600000 + i * 100, L, {"user_id": "u%d" % i, "leave_reason": "left"})
ev(900000, V, {"user_id": "u1", "video": "off"})
for i in (2, 3):
    ev(1200000 + i * 100, L, {"user_id": "u%d" % i, "leave_reason": "left"})
ev(1772000, L, {"user_id": "u1", "leave_reason": "left"})
ev(1775000, J, {"user_id": "u8", "user_name": "Kenya - Person 8"})
with open(sys.argv[1], "w") as f:
    for r in out:
        f.write(json.dumps(r) + "\n")
PY
rep() { printf "%${2}s" "" | sed "s/ /$1/g"; }

# 200 columns: room for 60 columns, one per 30 s bucket
start 200 40 -- replay --tui --max --capacity 8 --video-limit 4 "$dir/hand.jsonl"
wait_for "feed: replay finished" 20
ok $? "hand sitting: replay reaches the end"
want="$(rep █ 21)$(rep ▄ 20)$(rep ▂ 19)"
[ "$(spark_of Participants)" = "$want" ]
ok $? "200 columns: participants sparkline, 60 buckets of 30 s, scaled to the capacity"
want="$(rep ▄ 31)$(rep ▂ 29)"
[ "$(spark_of Video)" = "$want" ]
ok $? "200 columns: videos sparkline, scaled to the gallery limit"
[ "$(gauge_line Participants | wc -m)" = "$(gauge_line Video | wc -m)" ]
ok $? "both sparklines end at the same column"
grep -Eq "^  Kenya +1\+ " "$dir/screen"
ok $? "Kenya joined 0 s before the clock: + after its count"
grep -Eq "^  Sweden +0- " "$dir/screen"
ok $? "Sweden left 3 s before the clock: - after its count"
grep -Eq "^  Switzerland +1  " "$dir/screen" && grep -Eq "^  France +0  " "$dir/screen"
ok $? "delegations unchanged for more than 5 s: no marker"

# 80 columns: the bars keep 16 columns; the video row's text (" 1/4 videos  25%
# WARN  peak 2", 29 columns) leaves 79 - 13 (label) - 18 (bar) - 29 - 2 = 17, so
# both sparklines shorten to 15 columns of 2 min (4 buckets each, the highest of
# them): buckets 0-23 █ (6), 24-43 ▄ (5), 44-59 ▂ (4); videos 0-31 ▄ (8), 32-59 ▂ (7)
T resize-window -t cap -x 80 -y 24
wait_for "^ Video +\[.{16}\] " 10
want="$(rep █ 6)$(rep ▄ 5)$(rep ▂ 4)"
[ "$(spark_of Participants)" = "$want" ]
ok $? "80 columns: participants sparkline in 15 columns"
want="$(rep ▄ 8)$(rep ▂ 7)"
[ "$(spark_of Video)" = "$want" ]
ok $? "80 columns: videos sparkline in 15 columns"
gauge_line Participants | grep -Eq "peak 8  [▁▂▃▄▅▆▇█]"
ok $? "80 columns: the sparkline does not overlap the gauge's text"
# 60 columns: no room beside a bar of 16: the sparklines go, the gauges stay whole
T resize-window -t cap -x 60 -y 20
wait_for "^ Participants \[" 10 && ! grep -Eq "[▁▂▃▄▅▆▇]" "$dir/screen" &&
        gauge_line Participants | grep -Eq "2/8 +25% ok  peak 8 *$"
ok $? "60 columns: no sparkline, the gauge's text whole"
T send-keys -t cap q
wait_for "^EXIT=0" 10

# 2. The bundled sitting (examples/council-sitting.jsonl) at 80x24: 15 columns
# (2 min each) beside both gauges. Albania's two delegates are still in when the
# meeting ends (11:00:00, the clock): its row says -. Algeria's only delegate
# left at 10:40:01: no marker.
start 80 24 -- replay --tui --max "$src/examples/council-sitting.jsonl"
wait_for "feed: replay finished" 60
ok $? "council sitting: replay reaches the end"
gauge_line Participants | grep -Eq "peak 1000  [▁▂▃▄▅▆▇█ ]{15}$" &&
        gauge_line Video | grep -Eq "peak 57  [▁▂▃▄▅▆▇█ ]{15}$"
ok $? "council sitting, 80x24: a 15-column sparkline beside each gauge"
[ "$(spark_of Participants | tr -d ' ')" != "" ]
ok $? "council sitting: the participants sparkline is not blank"
grep -Eq "^  Albania +0- " "$dir/screen" && grep -Eq "^  Algeria +0  " "$dir/screen"
ok $? "council sitting: Albania (left at the end) marked -, Algeria (left at 10:40) not"
T send-keys -t cap q
wait_for "^EXIT=0" 10

echo "1..$n"
exit $fail
