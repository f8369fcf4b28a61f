#!/bin/sh
# Scale benchmarks (issue 11 item 3, issue 12 item 3; run on demand, not in the
# test suite). Logs are generated into a temporary folder or through a pipe, never
# committed.
#  1. many meetings: replay, report and check of 20,000 and 40,000 one-person
#     meetings (tools/gen-recording.py --mode meetings); seconds and the 40k/20k
#     ratio (linear: about 2; it was about 10 when every event re-evaluated every
#     meeting), and peak RSS of each.
#  2. long runs: peak RSS of replay --max over 1,000,000 and 10,000,000 records of
#     the same steady account (--mode churn: the same number of concurrent
#     sessions and live meetings), generated through a pipe; the ratio (target
#     <= 1.10).
# usage: bench/bench_scale.sh [BUILDDIR] [--quick]   (default: build; --quick:
#        100,000 and 1,000,000 records in part 2)
set -eu
cd "$(dirname "$0")/.."
b=${1:-build}
quick=${2:-}
capmon=$b/cli/capmon
[ -x "$capmon" ] || capmon=$b/capmon
[ -x "$capmon" ] || { echo "build first: meson setup $b && ninja -C $b" >&2; exit 1; }
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s%N; }
# run CMD...: "<CPU seconds> <peak RSS KiB>" of one run of CMD (stdout discarded);
# CPU time (user + system), not wall time: the machine may be shared
run() {
        /usr/bin/time -f '%U %S %M' -o "$tmp/rss" "$@" > /dev/null 2> "$tmp/err" || true
        $py -c "u, s, m = open('$tmp/rss').read().split()[-3:]; print('%.2f %s' % (float(u) + float(s), m))"
}
ratio() { $py -c "print('%.2f' % ($2 / max($1, 1e-9)))"; }

echo "1. many one-person meetings (started, joined, left, ended)"
for n in 20000 40000; do
        $py tools/gen-recording.py --mode meetings --count $n --out "$tmp/m$n.jsonl" 2> /dev/null
done
for cmd in "replay --max --json" "report --format json" "check"; do
        set -- $cmd
        r20=$(run "$capmon" "$@" "$tmp/m20000.jsonl")
        r40=$(run "$capmon" "$@" "$tmp/m40000.jsonl")
        s20=${r20% *} s40=${r40% *}
        printf '  %-7s 20k: %6ss CPU %7s KiB   40k: %6ss CPU %7s KiB   ratio %s (linear: 2)\n' \
                "$1" "$s20" "${r20#* }" "$s40" "${r40#* }" "$(ratio "$s20" "$s40")"
done

echo "2. long runs of a steady account (churn: 2,000 sessions open in 5 live meetings)"
if [ "$quick" = --quick ]; then small=100000 big=1000000; else small=1000000 big=10000000; fi
for n in $small $big; do
        t0=$(now)
        $py tools/gen-recording.py --mode churn --records $n --meetings 5 --concurrent 2000 \
                2> "$tmp/gen$n" |
                /usr/bin/time -f %M -o "$tmp/rss$n" "$capmon" replay --max --summary - \
                        > "$tmp/sum$n" 2> "$tmp/err$n"
        t1=$(now)
        printf '  %9s records: peak RSS %7s KiB  (%s; %.0f s)\n' "$n" \
                "$(tail -1 "$tmp/rss$n")" "$(sed 's/^churn: //' "$tmp/gen$n")" \
                "$($py -c "print(($t1 - $t0) / 1e9)")"
        head -1 "$tmp/sum$n" | sed 's/^/      /'
done
a=$(tail -1 "$tmp/rss$small") z=$(tail -1 "$tmp/rss$big")
echo "  peak RSS ratio $big/$small records: $(ratio "$a" "$z") (target <= 1.10)"
