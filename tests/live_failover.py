"""live: one `capmon watch` source with three relay addresses (issue 7,
docs/live.md "capmon watch"): 'ws://DEAD,ws://A,ws://B'. Nothing listens on
DEAD: the first attempt fails and the next goes to A after the backoff. A and B
hold the same records (B's log is a copy of A's taken after the first N posts,
so the seqs match, as on relays sharing a Redis stream). After the connection
to A has been up for 10 s, A is killed -9: the watch switches to B at once,
resumes with since=N (nothing is received twice), applies M more posted to B,
and ends with the snapshot of `capmon replay` of B's log. The feed alert's
subject is the whole source spec; the log names each address switched to.
usage: live_failover.py CAPMON JSONCMP"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

N = 40
M = 30
CAP = ["--capacity", "100000"]


def body(i):
    uid = 3000 + i // 2
    return L.join_body(uid) if i % 2 == 0 else L.left_body(uid)


def post_all(port, rng, what):
    for i in rng:
        st = L.post_signed(port, body(i))
        if st != 200:
            L.fail("%s: POST %d answered %d" % (what, i, st))


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    d = L.workdir()
    pa, pb, pdead = L.free_port(), L.free_port(), L.free_port()
    alog, blog = os.path.join(d, "a.log"), os.path.join(d, "b.log")
    ra = L.start_relay(capmon, pa, alog, os.path.join(d, "a.err"))
    post_all(pa, range(N), "relay A")
    shutil.copyfile(alog, blog)
    rb = L.start_relay(capmon, pb, blog, os.path.join(d, "b.err"))

    addr = ["ws://127.0.0.1:%d/events" % p for p in (pdead, pa, pb)]
    spec = ",".join(addr)
    out, wlog = os.path.join(d, "watch.out"), os.path.join(d, "watch.log")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2"] + CAP + ["--log", wlog, spec],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"))

    def received():
        return ((L.last_json_line(out) or {}).get("events") or {}).get("received")

    def log_text():
        try:
            return open(wlog).read()
        except OSError:
            return ""
    # deadlines are generous: a loaded machine (stress --cpu 2) is slow, not wrong
    L.wait_for(lambda: received() == N, 60, "watch to apply the %d records of A" % N)
    up_a = time.monotonic()
    text = log_text()
    for want in ("connection to %s failed" % addr[0],
                 "switching to %s (address 2 of 3) in " % addr[1],
                 "connected to %s" % addr[1]):
        if want not in text:
            L.fail("watch log lacks %r:\n%s" % (want, text))
    if (L.healthz(pb) or {}).get("subscribers") != 0:
        L.fail("relay B has a subscriber before A went away")

    # a connection up for 10 s that drops: the next address at once
    time.sleep(max(0, 10.5 - (time.monotonic() - up_a)))
    ra.send_signal(signal.SIGKILL)
    ra.wait(timeout=30)
    L.wait_for(lambda: (L.healthz(pb) or {}).get("subscribers") == 1, 30,
               "the watch to switch to relay B")
    # relay B counts its subscriber when it sends the upgrade; the watch logs
    # "connected" when it reads it, a moment later on a loaded machine
    for want in ("switching to %s (address 3 of 3) now" % addr[2], "connected to %s" % addr[2]):
        L.wait_for(lambda: want in log_text(), 30, "the watch log to say %r" % want)
    post_all(pb, range(N, N + M), "relay B")
    L.wait_for(lambda: received() == N + M, 60, "watch to apply the %d records of B" % M)
    time.sleep(0.5)  # nothing more may come
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    if L.stop(rb) != 0:
        L.fail("relay B exited %d" % rb.returncode)

    recs = L.log_records(blog)
    if [r["seq"] for r in recs] != list(range(1, N + M + 1)):
        L.fail("B's log does not hold seqs 1..%d" % (N + M))
    final = L.last_json_line(out)
    ev = final["events"]
    if ev["received"] != N + M or ev["applied"] != N + M or ev["duplicate"] != 0:
        L.fail("watch: received %d, applied %d, duplicate %d; expected %d, %d, 0 "
               "(resumed on B with since=%d)" % (ev["received"], ev["applied"],
                                                  ev["duplicate"], N + M, N + M, N))
    feed = [a for a in final["alerts"] if a["rule"] == "feed"]
    if not feed or any(a["delegation"] != spec or a["status"] != "resolved" for a in feed):
        L.fail("expected resolved feed alerts named %r, got %s" % (spec, feed))
    final["alerts"] = [a for a in final["alerts"] if a["rule"] not in ("feed", "lag")]
    expected = L.replay_snapshot(capmon, blog, CAP)
    L.compare_snapshots(jsoncmp, d, expected, final, "failover")
    switches = re.findall(r"switching to \S+ \(address \d of 3\)", log_text())
    L.log("ok: failed DEAD, switched to A, A killed -9, switched to B at once, "
          "%d + %d records, none twice; switches: %s" % (N, M, switches))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
