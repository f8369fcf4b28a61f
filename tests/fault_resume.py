"""fault: a monitor killed (-9) and restarted with `watch --resume FILE` ends
with the same state as one that never died. Two monitors follow one relay: A
all along, B with --resume (its --record log). B is killed in the middle of a
stream of joins and leaves, a torn line is left at the end of its log (as a
crash during a write would), events keep coming while it is down, and B is
restarted: it replays FILE (cutting the torn line), then resumes the relay
stream after the last seq in FILE, so it neither misses nor re-receives a
record. At the end A's and B's snapshots are equal (every count included) and
both equal a replay of the relay's log.
usage: fault_resume.py CAPMON JSONCMP"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

N = 600


def body(i):
    # joins, and a leave for every third participant once it has joined
    if i % 4 == 3 and i >= 8:
        return L.left_body(7000 + (i - 7))
    return L.join_body(7000 + i, name=["France - A %d" % i, "Chile - B %d" % i,
                                       "Nowhere %d" % i][i % 3])


def applied(path):
    return ((L.last_json_line(path) or {}).get("events") or {}).get("received", 0)


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    d = L.workdir()
    port = L.free_port()
    logpath = os.path.join(d, "relay.log")
    relay = L.start_relay(capmon, port, logpath, os.path.join(d, "relay.err"))
    url = "ws://127.0.0.1:%d" % port
    common = ["watch", "--json", "--interval", "0.1", "--capacity", "100000"]
    out_a, out_b = os.path.join(d, "a.out"), os.path.join(d, "b.out")
    rec_b = os.path.join(d, "b.record")
    a = L.spawn([capmon] + common + ["--log", os.path.join(d, "a.log"), url],
                env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out_a, "wb"))

    def start_b():
        return L.spawn([capmon] + common + ["--log", os.path.join(d, "b.log"),
                                            "--resume", rec_b, url],
                       env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out_b, "ab"))
    b = start_b()
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 2, 10,
               "both monitors to subscribe")

    sent = [0]

    def sender():
        for i in range(N):
            if L.post_signed(port, body(i)) != 200:
                L.fail("event %d not acknowledged" % i)
            sent[0] = i + 1
            time.sleep(0.004)
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    L.wait_for(lambda: sent[0] >= N // 3, 60, "a third of the events")
    b.send_signal(signal.SIGKILL)
    b.wait(timeout=10)
    killed_at = sent[0]
    with open(rec_b, "ab") as f:  # a record torn by the crash
        f.write(b'{"seq":%d,"recv":1,"src":"webhook","body":{"event":"meeting.partic' %
                (killed_at + 1))
    L.wait_for(lambda: sent[0] >= 2 * N // 3, 60, "two thirds of the events")
    b = start_b()
    t.join(120)
    if sent[0] != N:
        L.fail("only %d of %d events sent" % (sent[0], N))
    L.wait_for(lambda: applied(out_a) == N and applied(out_b) == N, 30,
               "both monitors to apply %d records (A %d, B %d)" % (N, applied(out_a),
                                                                  applied(out_b)))
    for p in (a, b):
        if L.stop(p) != 0:
            L.fail("watch exited %d" % p.returncode)
    L.stop(relay)

    blog = open(os.path.join(d, "b.log")).read()
    if "torn last line" not in blog or "--resume" not in blog:
        L.fail("B did not report the torn line and the resume:\n" + blog)
    recs = [json.loads(l) for l in open(rec_b) if l.strip()]
    seqs = [r["seq"] for r in recs]
    if seqs != list(range(1, N + 1)):
        L.fail("B's record log is not seq 1..%d once each (%d lines)" % (N, len(seqs)))

    def final(path):
        s = L.last_json_line(path)
        s["alerts"] = [x for x in s["alerts"] if x["rule"] not in ("feed", "lag")]
        return s
    fa, fb = final(out_a), final(out_b)
    if fb["events"] != fa["events"]:
        L.fail("event counts differ: never died %s, resumed %s" % (fa["events"], fb["events"]))
    L.compare_snapshots(jsoncmp, d, fa, fb, "resumed-vs-never-died")
    L.compare_snapshots(jsoncmp, d, L.replay_snapshot(capmon, logpath, ["--capacity", "100000"]),
                        fb, "resumed-vs-replay")
    L.log("ok: B killed after %d events, restarted after %d; %d records, B's state equals "
          "A's and the replay's" % (killed_at, 2 * N // 3, N))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
