"""Load driver for bench/bench_redis.sh (loopback only; run on demand).

Compares, in the same run, the relay's two stores with the same subscribers:
  file   one relay, --log on disk (fdatasync before each 2xx), SUBS subscribers;
  redis  two relays sharing one Redis stream (redis-server with appendonly yes,
         appendfsync always, on the same disk), SUBS/2 subscribers on each; the
         sender spreads its connections over both relays;
  redis1 (unless --no-redis1) one relay on the Redis stream, SUBS subscribers:
         tells the cost of Redis from the cost of a second relay.
Phases for each: (1) RATE events/s for SECONDS: POST -> 2xx and POST ->
received by a subscriber, p50/p99; (2) TOTAL events with CONNS requests in
flight: acknowledged events/s, and the rate at which every subscriber had
received every record.

Subscribers (--subs-kind): `light` (default), bench/live_drive sub: plain
WebSocket clients in one epoll process that note each record's arrival (the
relay's fan-out, not the monitor's work); `watch`: `capmon watch --trace`,
each parsing and applying every record (the whole chain; on 2 cores 20 of them
cost more than the relays). Sender (--sender): `c` (default), bench/live_drive
send, or `python`, live_load.py's asyncio sender (~5x the CPU per request).
The CPU seconds of each part per 10,000 events are printed with phase 2.
usage: redis_load.py CAPMON LIVE_DRIVE REDIS_SERVER WORKDIR [--rate R]
       [--seconds S] [--subs N] [--conns C] [--total T] [--no-redis1]
       [--appendfsync always|everysec] [--subs-kind light|watch] [--sender c|python]"""
import argparse
import asyncio
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_load import (SECRET, TOKEN, free_port, healthz, load, pct,  # noqa: E402
                       read_trace, start, stop, wait_for)

ENV = dict(os.environ, CAPMON_WEBHOOK_SECRET=SECRET, CAPMON_TOKEN=TOKEN)


def cpu_s(pid):
    """User+system CPU seconds of a live process so far (/proc/PID/stat)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            a = f.read().rsplit(")", 1)[1].split()
        return (int(a[11]) + int(a[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def usage(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def c_load(a, work, ports, rate, seconds, conns, total):
    n = total if total else int(rate * seconds)
    out = os.path.join(work, "send.out")
    t0 = time.monotonic()
    r = subprocess.run([a.live_drive, "send", out, str(rate or 0), str(n), str(conns),
                        ",".join(map(str, ports))], env=ENV, timeout=600,
                       stderr=subprocess.PIPE)
    took = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("bench: live_drive send: %s" % r.stderr.decode())
    res = []
    with open(out) as f:
        for line in f:
            seq, s, e, st = map(int, line.split())
            res.append((seq if seq >= 0 else None, s, e, st))
    # the sender's own figure excludes its start (connections), like py_load's
    first, last = min(x[1] for x in res), max(x[2] for x in res)
    return res, min(took, (last - first) / 1e6)


class Setup:
    """The processes of one configuration: redis-server (redis stores), the
    relays and the subscribers; cpu() per part."""

    def __init__(self, a, work, kind, phase):
        self.a, self.kind, self.procs, self.group = a, kind, [], {}
        self.dir = os.path.join(work, "%s-%s" % (kind, phase))
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        nrelays = 2 if kind == "redis" else 1
        store = []
        if kind != "file":
            rport = free_port()
            self._add("redis", start(
                [a.redis_server, "--port", str(rport), "--bind", "127.0.0.1", "--dir", self.dir,
                 "--save", "", "--appendonly", "yes", "--appendfsync", a.appendfsync,
                 "--daemonize", "no"],
                stdout=open(os.path.join(self.dir, "redis.log"), "w"), stderr=subprocess.STDOUT))
            wait_for(lambda: redis_ping(rport), 10, "redis-server")
            store = ["--store", "redis://127.0.0.1:%d/bench" % rport, "--cache-dir", self.dir]
        self.ports = []
        for k in range(nrelays):
            port = free_port()
            extra = store or ["--log", os.path.join(self.dir, "relay.log")]
            self._add("relays", start(
                [a.capmon, "relay", "--listen", "127.0.0.1:%d" % port] + extra, env=ENV,
                stderr=open(os.path.join(self.dir, "relay%d.err" % k), "w")))
            wait_for(lambda: (healthz(port) or {}).get("ok"), 10, "relay %s" % kind)
            self.ports.append(port)
        per = a.subs // nrelays
        self.traces, self.sub = [], None
        if a.subs_kind == "watch":
            for k in range(a.subs):
                tr = os.path.join(self.dir, "trace%d" % k)
                self.traces.append(tr)
                self._add("subs", start(
                    [a.capmon, "watch", "--json", "--interval", "3600", "--capacity", "10000000",
                     "--trace", tr, "--log", os.devnull,
                     "ws://127.0.0.1:%d" % self.ports[k % nrelays]],
                    env=ENV, stdout=subprocess.DEVNULL))
        else:
            self.sub_out = os.path.join(self.dir, "sub.out")
            self.sub = start([a.live_drive, "sub", self.sub_out] +
                             ["%d:%d" % (p, per) for p in self.ports], env=ENV,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=open(os.path.join(self.dir, "sub.err"), "w"))
            self._add("subs", self.sub)
            r, _, _ = select.select([self.sub.stdout], [], [], 20)
            if not r or self.sub.stdout.readline().strip() != b"ready":
                sys.exit("bench: the light subscribers did not connect: %s" %
                         open(os.path.join(self.dir, "sub.err")).read())
        for port in self.ports:
            wait_for(lambda: (healthz(port) or {}).get("subscribers") == per, 20,
                     "%d subscribers on each relay" % per)

    def _add(self, group, p):
        self.procs.append(p)
        self.group[p.pid] = group

    def cpu(self):
        c = {"redis": 0.0, "relays": 0.0, "subs": 0.0}
        for p in self.procs:
            if p.poll() is None:
                c[self.group[p.pid]] += cpu_s(p.pid)
        return c

    def received(self, last, sends):
        """Wait until every subscriber has seq `last`; then (latencies in us,
        time the last record reached the last subscriber, missing count)."""
        recv = {}
        if self.sub:
            self.sub.stdin.write(b"%d\n" % last)
            self.sub.stdin.close()
            self.sub.wait(timeout=150)
            with open(self.sub_out) as f:
                for line in f:
                    k, seq, us = line.split()
                    recv.setdefault(int(k), {})[int(seq)] = int(us)
            subs = self.a.subs
        else:
            def all_done():  # traces are flushed every second
                for tr in self.traces:
                    try:
                        with open(tr, "rb") as f:
                            f.seek(max(0, os.path.getsize(tr) - 200))
                            if not any(x.split(b" ")[0] == str(last).encode()
                                       for x in f.read().split(b"\n")):
                                return False
                    except OSError:
                        return False
                return True
            end = time.monotonic() + 120
            while time.monotonic() < end and not all_done():
                time.sleep(0.2)
            for k, tr in enumerate(self.traces):
                recv[k] = read_trace(tr)
            subs = len(self.traces)
        lat, last_t, missing = [], 0, 0
        for k in range(subs):
            t = recv.get(k, {})
            for seq, t0 in sends.items():
                t1 = t.get(seq)
                if t1 is None:
                    missing += 1
                    continue
                lat.append(t1 - t0)
                last_t = max(last_t, t1)
        return lat, last_t, missing

    def close(self):
        for p in reversed(self.procs):
            stop(p)


def run(a, kind, phase, rate, seconds, conns, total):
    s = Setup(a, a.work, kind, phase)
    try:
        c0, me0, ch0 = s.cpu(), usage(resource.RUSAGE_SELF), usage(resource.RUSAGE_CHILDREN)
        if a.sender == "c":
            res, took = c_load(a, s.dir, s.ports, rate, seconds, conns, total)
        else:
            res, took = asyncio.run(load(s.ports, rate, seconds, conns, total))
        sender = usage(resource.RUSAGE_SELF) - me0 + usage(resource.RUSAGE_CHILDREN) - ch0
        ok = [r for r in res if r[3] == 200 and r[0] is not None]
        if not ok:
            sys.exit("bench: %s: nothing acknowledged (statuses %s)" %
                     (kind, sorted({r[3] for r in res})))
        if len({r[0] for r in ok}) != len(ok):
            sys.exit("bench: %s: a seq was acknowledged twice" % kind)
        sends = {r[0]: r[1] for r in ok}
        ch1 = usage(resource.RUSAGE_CHILDREN)
        lat, last_t, missing = s.received(max(sends), sends)
        c2 = s.cpu()
        if s.sub:   # exited and reaped: its CPU is in RUSAGE_CHILDREN now
            c2["subs"] = usage(resource.RUSAGE_CHILDREN) - ch1   # its whole life
        cpu = {k: c2[k] - c0[k] for k in c0}
        cpu["sender"] = sender
    finally:
        s.close()
    shutil.rmtree(s.dir, ignore_errors=True)
    first = min(r[1] for r in ok)
    return {"sent": len(res), "acked": len(ok), "took": took,
            "acks": [r[2] - r[1] for r in ok], "applied": lat, "missing": missing,
            "all_applied_s": (last_t - first) / 1e6, "cpu": cpu}


def ms(us):
    return "%.2f" % (us / 1000.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capmon")
    ap.add_argument("live_drive")
    ap.add_argument("redis_server")
    ap.add_argument("work")
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--subs", type=int, default=20)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--total", type=int, default=100000)
    ap.add_argument("--no-redis1", action="store_true")
    ap.add_argument("--appendfsync", default="always", choices=["always", "everysec"])
    ap.add_argument("--subs-kind", default="light", choices=["light", "watch"])
    ap.add_argument("--sender", default="c", choices=["c", "python"])
    a = ap.parse_args()
    if a.subs % 2:
        sys.exit("bench: --subs must be even (half on each relay)")
    os.makedirs(a.work, exist_ok=True)
    kinds = ["file", "redis"] + ([] if a.no_redis1 else ["redis1"])
    label = {"file": "file, 1 relay, %d subs" % a.subs,
             "redis": "redis, 2 relays, %d+%d subs" % (a.subs // 2, a.subs // 2),
             "redis1": "redis, 1 relay, %d subs" % a.subs}
    what = "received" if a.subs_kind == "light" else "applied"
    print("subscribers: %s; sender: %s; redis appendfsync %s" % (
        "bench/live_drive sub (receive only)" if a.subs_kind == "light"
        else "capmon watch --trace (parse and apply)",
        "bench/live_drive send" if a.sender == "c" else "Python asyncio", a.appendfsync),
        flush=True)
    steady, peak = {}, {}
    for k in kinds:
        steady[k] = run(a, k, "steady", a.rate, a.seconds, 16, None)
        print("  %-28s steady: done" % label[k], file=sys.stderr, flush=True)
    for k in kinds:
        peak[k] = run(a, k, "max", None, 0, a.conns, a.total)
        print("  %-28s max: done" % label[k], file=sys.stderr, flush=True)

    print()
    print("1. %g events/s offered for %g s (16 connections); latencies in ms; POST -> %s"
          " by a subscriber (all %d)" % (a.rate, a.seconds, what, a.subs))
    print("   %-28s %8s %8s %8s %9s %9s %9s %8s" % (
        "store", "2xx p50", "2xx p99", "2xx max", "sub p50", "sub p99", "sub max", "missing"))
    for k in kinds:
        r = steady[k]
        print("   %-28s %8s %8s %8s %9s %9s %9s %8d" % (
            label[k], ms(pct(r["acks"], 50)), ms(pct(r["acks"], 99)), ms(max(r["acks"])),
            ms(pct(r["applied"], 50)), ms(pct(r["applied"], 99)), ms(max(r["applied"])),
            r["missing"]))
    print()
    print("2. %d events as fast as the sender goes (%d in flight), every subscriber %s"
          " every record" % (a.total, a.conns, "receiving" if a.subs_kind == "light"
                             else "applying"))
    print("   %-28s %9s %12s %8s   %s" % ("store", "acked/s", "all-subs/s", "missing",
                                          "CPU s per 10,000 events: sender relays redis subs"))
    for k in kinds:
        r = peak[k]
        per = 10000.0 / r["acked"]
        print("   %-28s %9.0f %12.0f %8d   %25.2f %6.2f %5.2f %4.2f" % (
            label[k], r["acked"] / r["took"], r["acked"] / r["all_applied_s"], r["missing"],
            r["cpu"]["sender"] * per, r["cpu"]["relays"] * per, r["cpu"]["redis"] * per,
            r["cpu"]["subs"] * per))
    if a.subs_kind == "watch":
        # the same runs with light subscribers: what the full monitors cost
        a.subs_kind = "light"
        light = {}
        for k in kinds:
            light[k] = run(a, k, "max", None, 0, a.conns, a.total)
            print("  %-28s max, light subscribers: done" % label[k], file=sys.stderr, flush=True)
        a.subs_kind = "watch"
        print()
        print("   the same with bench/live_drive sub (receive only) subscribers:")
        for k in kinds:
            r, w = light[k], peak[k]
            print("   %-28s %9.0f %12.0f %8d   all-subs/s watch / light: %.2f" % (
                label[k], r["acked"] / r["took"], r["acked"] / r["all_applied_s"], r["missing"],
                (w["acked"] / w["all_applied_s"]) / (r["acked"] / r["all_applied_s"])))
        print("target: %d capmon watch monitors >= 20,000 events/s (file store): %s (%.0f/s)" % (
            a.subs, "MET" if peak["file"]["acked"] / peak["file"]["all_applied_s"] >= 20000
            else "NOT MET", peak["file"]["acked"] / peak["file"]["all_applied_s"]))
    f, rd = peak["file"], peak["redis"]
    sf, sr = steady["file"], steady["redis"]
    print()
    print("ratio redis (2 relays) / file: sustained acked %.2f, all subscribers %.2f; "
          "at %g/s p99 POST->2xx %.2f, p99 POST->subscriber %.2f" % (
              (rd["acked"] / rd["took"]) / (f["acked"] / f["took"]),
              (rd["acked"] / rd["all_applied_s"]) / (f["acked"] / f["all_applied_s"]),
              a.rate, pct(sr["acks"], 99) / pct(sf["acks"], 99),
              pct(sr["applied"], 99) / pct(sf["applied"], 99)))
    target = min(rd["acked"] / rd["took"], rd["acked"] / rd["all_applied_s"])
    print("target: redis, 2 relays, %d subscribers >= 10,000 events/s sustained: %s (%.0f/s)"
          % (a.subs, "MET" if target >= 10000 else "NOT MET", target))


if __name__ == "__main__":
    main()
