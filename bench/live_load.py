"""Load driver for bench/bench_live.sh (loopback only).

Phases, each printed as figures:
 1. relay at RATE events/s for SECONDS with SUBS `capmon watch` subscribers:
    POST -> 2xx (the record is fdatasync'ed) and POST -> applied in each
    subscriber (watch --trace), p50/p99/max;
 2. relay at the highest rate the sender reaches (CONNS requests in flight):
    acknowledged events/s and the rate at which every subscriber applied them;
 3. the floor: the same two loads against a trivial lws HTTP server (no
    verification, no log, no fan-out).
usage: live_load.py CAPMON FLOOR_HTTP WORKDIR [RATE SECONDS SUBS CONNS]"""
import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

SECRET, TOKEN = "bench-secret", "bench-token"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def healthz(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    sys.exit("bench: timed out waiting for " + what)


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def body(i):
    return json.dumps({
        "event": "meeting.participant_joined", "event_ts": int(time.time() * 1000),
        "payload": {"account_id": "bench", "object": {
            "uuid": "bench-1", "id": "1", "topic": "bench",
            "participant": {"user_id": str(i), "user_name": "Switzerland - Bench %d" % i}}}},
        separators=(",", ":")).encode()


def request(port, i):
    b = body(i)
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + b,
                           hashlib.sha256).hexdigest()
    head = ("POST /zoom HTTP/1.1\r\nHost: 127.0.0.1:%d\r\ncontent-type: application/json\r\n"
            "x-zm-request-timestamp: %s\r\nx-zm-signature: %s\r\ncontent-length: %d\r\n\r\n"
            % (port, ts, sig, len(b)))
    return head.encode() + b


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    n = 0
    for l in lines[1:]:
        if l.lower().startswith("content-length:"):
            n = int(l.split(":")[1])
    data = await reader.readexactly(n) if n else b""
    return status, data


async def load(port, rate, seconds, conns, total=None):
    """rate None: as fast as conns in-flight requests allow. port: one port, or
    a list (connection k goes to ports[k % len]). Returns a list of
    (seq or None, send_us, ack_us, status)."""
    q = asyncio.Queue()
    results = []
    n = total if total else int(rate * seconds)
    ports = port if isinstance(port, (list, tuple)) else [port]

    async def worker(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                i = await q.get()
                if i is None:
                    return
                req = request(port, i)
                t0 = time.time_ns() // 1000
                writer.write(req)
                status, data = await read_response(reader)
                t1 = time.time_ns() // 1000
                seq = None
                if data[:7] == b'{"seq":':
                    seq = json.loads(data)["seq"]
                results.append((seq, t0, t1, status))
        finally:
            writer.close()

    tasks = [asyncio.ensure_future(worker(ports[k % len(ports)])) for k in range(conns)]
    start = time.monotonic()
    for i in range(n):
        if rate:
            due = start + i / rate
            d = due - time.monotonic()
            if d > 0:
                await asyncio.sleep(d)
        await q.put(i)
        if not rate and q.qsize() > conns * 4:
            while q.qsize() > conns:
                await asyncio.sleep(0.0005)
    for _ in tasks:
        await q.put(None)
    await asyncio.gather(*tasks)
    return results, time.monotonic() - start


def start(argv, **kw):
    return subprocess.Popen(argv, start_new_session=True, **kw)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def read_trace(path):
    t = {}
    try:
        with open(path) as f:
            for line in f:
                a = line.split()
                if len(a) == 2:
                    t.setdefault(int(a[0]), int(a[1]))
    except OSError:
        pass
    return t


def relay_phase(capmon, work, name, rate, seconds, subs, conns, total=None):
    port = free_port()
    log = os.path.join(work, name + ".log")
    for f in [log]:
        if os.path.exists(f):
            os.unlink(f)
    env = dict(os.environ, CAPMON_WEBHOOK_SECRET=SECRET, CAPMON_TOKEN=TOKEN)
    relay = start([capmon, "relay", "--listen", "127.0.0.1:%d" % port, "--log", log],
                  env=env, stderr=open(os.path.join(work, name + ".relay.err"), "w"))
    wait_for(lambda: healthz(port), 10, "the relay")
    watches, traces = [], []
    for k in range(subs):
        tr = os.path.join(work, "%s.trace%d" % (name, k))
        if os.path.exists(tr):
            os.unlink(tr)
        traces.append(tr)
        watches.append(start([capmon, "watch", "--json", "--interval", "3600", "--capacity",
                              "10000000", "--trace", tr, "--log", os.devnull,
                              "ws://127.0.0.1:%d" % port], env=env,
                             stdout=subprocess.DEVNULL))
    wait_for(lambda: (healthz(port) or {}).get("subscribers") == subs, 20, "the subscribers")
    res, took = asyncio.run(load(port, rate, seconds, conns, total))
    ok = [r for r in res if r[3] == 200 and r[0] is not None]
    last = max(r[0] for r in ok)
    # the traces are flushed every second: wait until every subscriber has it all
    def all_done():
        for tr in traces:
            try:
                with open(tr, "rb") as f:
                    f.seek(max(0, os.path.getsize(tr) - 200))
                    tail = f.read().split(b"\n")
                if not any(l.split(b" ")[0] == str(last).encode() for l in tail):
                    return False
            except OSError:
                return False
        return True
    end = time.monotonic() + 120
    while time.monotonic() < end and not all_done():
        time.sleep(0.2)
    for w in watches:
        stop(w)
    stop(relay)
    sends = {r[0]: r[1] for r in ok}
    acks = [r[2] - r[1] for r in ok]
    applied, last_applied, missing = [], 0, 0
    for tr in traces:
        t = read_trace(tr)
        for seq, s in sends.items():
            a = t.get(seq)
            if a is None:
                missing += 1
                continue
            applied.append(a - s)
            last_applied = max(last_applied, a)
    first_send = min(r[1] for r in ok)
    return {"sent": len(res), "acked": len(ok), "took": took, "acks": acks,
            "applied": applied, "missing": missing, "last_seq": last,
            "all_applied_s": (last_applied - first_send) / 1e6}


def floor_phase(floor, rate, seconds, conns, total=None):
    port = free_port()
    p = start([floor, str(port)])
    time.sleep(0.3)
    res, took = asyncio.run(load(port, rate, seconds, conns, total))
    stop(p)
    ok = [r for r in res if r[3] == 200]
    return {"acked": len(ok), "took": took, "acks": [r[2] - r[1] for r in ok]}


def ms(us):
    return "%.2f ms" % (us / 1000.0)


def main():
    capmon, floor, work = sys.argv[1:4]
    rate = float(sys.argv[4]) if len(sys.argv) > 4 else 1000
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 10
    subs = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    conns = int(sys.argv[7]) if len(sys.argv) > 7 else 64
    os.makedirs(work, exist_ok=True)

    r = relay_phase(capmon, work, "steady", rate, seconds, subs, 16)
    f = floor_phase(floor, rate, seconds, 16)
    print("1. %g events/s for %g s, %d subscribers (sender: Python asyncio, 16 connections)"
          % (rate, seconds, subs))
    print("   relay  POST->2xx (fdatasync'ed): p50 %s  p99 %s  max %s  (%d/%d acked)" % (
        ms(pct(r["acks"], 50)), ms(pct(r["acks"], 99)), ms(max(r["acks"])), r["acked"],
        r["sent"]))
    print("   relay  POST->applied in watch:   p50 %s  p99 %s  max %s  (%d samples, %d missing)"
          % (ms(pct(r["applied"], 50)), ms(pct(r["applied"], 99)), ms(max(r["applied"])),
             len(r["applied"]), r["missing"]))
    print("   floor  POST->200 (trivial lws):  p50 %s  p99 %s  max %s" % (
        ms(pct(f["acks"], 50)), ms(pct(f["acks"], 99)), ms(max(f["acks"]))))

    total = 50000
    r = relay_phase(capmon, work, "max", None, 0, subs, conns, total)
    f = floor_phase(floor, None, 0, conns, total)
    print("2. %d events as fast as the sender goes (%d in flight), %d subscribers"
          % (total, conns, subs))
    print("   relay  acknowledged: %.0f events/s; applied by all %d subscribers: %.0f events/s"
          "  (%d missing)" % (r["acked"] / r["took"], subs, r["acked"] / r["all_applied_s"],
                              r["missing"]))
    print("   floor  acknowledged: %.0f events/s  (same sender: its ceiling)" %
          (f["acked"] / f["took"]))


if __name__ == "__main__":
    main()
