#!/bin/sh
# Redis store benchmark (issue 7; run on demand, not part of the test suite):
# in the same run, one relay with the file store (log fdatasync'ed before each
# 2xx) against two relays sharing a Redis stream (redis-server with appendonly
# yes, appendfsync always: the same promise), 20 WebSocket subscribers in all
# (20 on the one relay; 10 on each of the two), each receiving every record:
#  1. POST -> 2xx and POST -> received by a subscriber, p50/p99, at 1,000 events/s;
#  2. the sustained rate, acknowledged and received by every subscriber
#     (target with Redis: >= 10,000 events/s);
# then the table, the CPU each part used, and the ratios redis/file. A third
# configuration, one relay on the stream, separates the cost of Redis from that
# of a second relay (--no-redis1 skips it). Load generator and subscribers:
# bench/live_drive (C, epoll); --subs-kind watch uses `capmon watch --trace`
# subscribers instead (the whole chain, with parsing and applying; the rate runs
# are then repeated with light subscribers for the ratio), --sender
# python the asyncio sender of bench/live_load.py.
# usage: bench/bench_redis.sh [BUILDDIR] [--rate R] [--seconds S] [--subs N]
#        [--conns C] [--total T] [--no-redis1] [--appendfsync always|everysec]
#        [--subs-kind light|watch] [--sender c|python]
set -eu
cd "$(dirname "$0")/.."
b=build
case "${1:-}" in ""|-*) ;; *) b=$1; shift ;; esac
capmon=$b/capmon
[ -x "$capmon" ] || capmon=$b/cli/capmon # the executable's place since the cli/ move
[ -x "$capmon" ] && [ -x "$b/bench/live_drive" ] || {
        echo "build first: meson setup $b && ninja -C $b" >&2; exit 1; }
redis=/usr/bin/redis-server
[ -x "$redis" ] || { echo "needs $redis (apt-get install redis-server)" >&2; exit 1; }
out=bench/out/redis   # on disk, not tmpfs: fdatasync and Redis's AOF fsync are real
mkdir -p "$out"
echo "capmon $("$capmon" --version | cut -d' ' -f2), redis $("$redis" --version | cut -d' ' -f3 | cut -d= -f2), $(nproc) CPUs, data on $(df -P "$out" | awk 'NR==2 {print $1}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec /usr/bin/python3 bench/redis_load.py "$capmon" "$b/bench/live_drive" "$redis" "$out" "$@"
