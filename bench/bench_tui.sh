#!/bin/sh
# Dashboard benchmarks (run on demand, not part of the test suite):
#  1. view build + draw for 1,000 sessions in 200 delegations, per frame, into a
#     real curses screen (target <= 2 ms);
#  2. CPU use of `capmon demo` while paused, over 10 s (target < 1 %), and while
#     it replays, for comparison. Needs tmux. Without the bundled recording, a
#     generated two-meeting log is replayed instead.
# usage: bench/bench_tui.sh [BUILDDIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
b=${1:-build}
[ -x "$b/cli/capmon" ] && [ -x "$b/bench/bench_tui" ] || {
        echo "build first: meson setup $b && ninja -C $b" >&2
        exit 1
}
"$b/bench/bench_tui" 2000

command -v tmux > /dev/null || { echo "tmux not installed: CPU figures skipped"; exit 0; }
sock="capmon-bench-$$"
dir=$(mktemp -d)
T() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'T kill-server > /dev/null 2>&1; rm -rf "$dir"' EXIT
hz=$(getconf CLK_TCK)
if [ -f examples/council-sitting.jsonl ]; then
        cmd="$b/cli/capmon demo"
else
        /usr/bin/python3 tests/tui/make_log.py "$dir/log.jsonl"
        cmd="$b/cli/capmon replay --tui --speed 0.5 $dir/log.jsonl"
fi
T new-session -d -s b -x 120 -y 40 "exec env LANG=C.UTF-8 $cmd"
sleep 2
pid=$(T display -p -t b '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wakeups() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }
cpu() { # cpu SECONDS: percent of one CPU used by $pid over that time
        t0=$(ticks "$pid"); w0=$(wakeups "$pid"); s0=$(date +%s%N)
        sleep "$1"
        t1=$(ticks "$pid"); w1=$(wakeups "$pid"); s1=$(date +%s%N)
        awk -v t="$((t1 - t0))" -v hz="$hz" -v ns="$((s1 - s0))" -v w="$((w1 - w0))" \
                'BEGIN { printf "%.2f %% CPU (%d ticks), %d wakeups in %.1f s\n", 100 * t / hz / (ns / 1e9), t, w, ns / 1e9 }'
}
printf "capmon (pid %s) replaying:  " "$pid"
cpu 5
T send-keys -t b p
sleep 1
printf "capmon (pid %s) paused:     " "$pid"
cpu 10
T send-keys -t b q
