#!/bin/sh
# Live path benchmark (issue 3; run on demand, not part of the test suite):
# signed webhook POST -> relay (verified, logged, fdatasync'ed) -> applied in
# `capmon watch` subscribers, at 1,000 events/s with 10 subscribers (p50/p99),
# then the highest sustained rate; the same loads against a trivial libwebsockets
# HTTP server (bench/floor_http.c) as the floor, in the same run.
# usage: bench/bench_live.sh [BUILDDIR] [RATE SECONDS SUBSCRIBERS INFLIGHT]
set -eu
cd "$(dirname "$0")/.."
b=${1:-build}
[ $# -gt 0 ] && shift
[ -x "$b/cli/capmon" ] && [ -x "$b/bench/floor_http" ] || {
        echo "build first: meson setup $b && ninja -C $b" >&2; exit 1; }
out=bench/out/live   # on disk, not tmpfs: the relay's fdatasync is real
mkdir -p "$out"
echo "capmon $("$b/cli/capmon" --version | cut -d' ' -f2), $(nproc) CPUs, log on $(df -P "$out" | awk 'NR==2 {print $1}')"
exec /usr/bin/python3 bench/live_load.py "$b/cli/capmon" "$b/bench/floor_http" "$out" "$@"
