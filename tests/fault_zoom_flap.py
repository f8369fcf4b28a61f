"""fault: the Zoom WebSocket keeps dropping. The fake Zoom (tests/fake_zoom.py
--drops 5) accepts each connection, sends one event and closes it 0.2 s later,
five times, then stays up. capmon's reconnection delay must grow (0.5 s, 1 s,
2 s, 4 s, 8 s, +-25 % jitter: a connection that is dropped at once does not reset
the backoff), `feed` is raised while down and cleared once connected, every event
is applied, and capmon spends little CPU over the whole test (no busy loop).
usage: fault_zoom_flap.py CAPMON"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

DROPS = 5
EVENTS = 10


def status(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    op, wp = L.free_port(), L.free_port()
    st = os.path.join(d, "fake.json")
    fake = L.spawn(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "fake_zoom.py"),
                    "--oauth-port", str(op), "--ws-port", str(wp), "--status", st,
                    "--token-life", "3600", "--drops", str(DROPS), "--events", str(EVENTS)],
                   stderr=open(os.path.join(d, "fake.err"), "wb"))
    L.wait_for(lambda: status(st), 10, "the fake Zoom to start")
    out = os.path.join(d, "watch.out")
    started = time.monotonic()
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2",
                     "--log", os.path.join(d, "watch.log"), "zoom"],
                    env=L.zoom_env(op, wp),
                    stdout=open(out, "wb"))

    def stable():
        s = status(st)
        c = s and s["connections"]
        return c and len(c) > DROPS and c[DROPS]["events"] == EVENTS
    L.wait_for(stable, 120, "the connection after %d drops" % DROPS)
    L.wait_for(lambda: (L.last_json_line(out) or {}).get("events", {}).get("applied")
               == DROPS + EVENTS, 10, "watch to apply every event")
    time.sleep(1)  # connected and idle a while: heartbeats only
    cpu = cpu_seconds(watch.pid)
    wall = time.monotonic() - started
    snaps = [json.loads(l) for l in open(out).read().splitlines() if l.strip()]
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    L.stop(fake)

    conns = status(st)["connections"]
    gaps = [conns[k + 1]["start"] - conns[k]["end"] for k in range(DROPS)]
    L.log("reconnection delays: %s s" % ", ".join("%.2f" % g for g in gaps))
    for k, g in enumerate(gaps):
        lo, hi = 0.5 * 2 ** k * 0.75 - 0.05, 0.5 * 2 ** k * 1.25 + 1.5
        if not lo <= g <= hi:
            L.fail("delay %d is %.2f s, expected %.2f..%.2f s (backoff 0.5 s doubling, "
                   "+-25 %%)" % (k + 1, g, lo, hi))
    if gaps[-1] < 4 * gaps[0]:
        L.fail("the backoff did not grow: %s" % gaps)
    if any(c["closed_by"] != "server" for c in conns[:DROPS]):
        L.fail("a dropped connection was not closed by the fake: %s" % conns[:DROPS])

    firing = [sn for sn in snaps if any(a["rule"] == "feed" and a["status"] == "firing"
                                        for a in sn["alerts"])]
    if not firing:
        L.fail("no snapshot shows the feed alert firing between the drops")
    final = L.last_json_line(out)
    feed = [a for a in final["alerts"] if a["rule"] == "feed"]
    if not feed or feed[-1]["status"] != "resolved":
        L.fail("feed alert not resolved once connected: %s" % feed)
    if final["events"]["applied"] != DROPS + EVENTS:
        L.fail("events not applied: %s" % final["events"])
    # a busy loop would burn about `wall` seconds; sanitiser builds cost more
    limit = max(1.5, 0.08 * wall)
    if cpu > limit:
        L.fail("capmon used %.2f s of CPU in %.1f s (limit %.2f s): busy loop?" %
               (cpu, wall, limit))
    L.log("ok: %d drops, backoff grew to %.1f s, feed raised and cleared, %d events; "
          "CPU %.2f s in %.1f s" % (DROPS, gaps[-1], DROPS + EVENTS, cpu, wall))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
