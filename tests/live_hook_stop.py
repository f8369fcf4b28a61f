"""live: `capmon watch` stops promptly while hook calls are queued (issue 11
item 6). A recorded log makes a capacity alert fire and resolve ten times, three
seconds of event time apart, so each notification is its own hook call; the hook
(`sh -c`) starts a background child, then sleeps far longer than its 10 s
timeout. With one call running and the others queued:
1. SIGTERM: watch exits within a few seconds (not 10 s per queued call), logs
   the calls dropped and the one killed, and the hook's background child is
   killed with its process group;
2. SIGTERM twice: the second kills the running call at once, and says so.
usage: live_hook_stop.py CAPMON"""
import json
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

CYCLES = 5


def recording(path):
    """Records: capacity 2; two joins fire `capacity`, a leave resolves it."""
    recs, seq, ts = [], 0, 1_700_000_000_000
    recv = ts

    def add(event, obj):
        nonlocal seq, ts, recv
        seq += 1
        ts += 3000  # event time: 3 s apart, more than a hook group (2 s)
        recv += 20  # arrival: 20 ms apart, so the file plays fast
        obj = dict(obj, uuid="m1==", id="111")
        recs.append({"seq": seq, "recv": recv, "src": "t",
                     "body": {"event": event, "event_ts": ts, "payload": {"object": obj}}})
    add("meeting.started", {"topic": "Hooks"})
    for k in range(CYCLES):
        for u in ("a%d" % k, "b%d" % k):
            add("meeting.participant_joined",
                {"participant": {"user_id": u, "user_name": "France - " + u}})
        for u in ("a%d" % k, "b%d" % k):
            add("meeting.participant_left", {"participant": {"user_id": u}})
    with open(path, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def run(capmon, d, name, second):
    rec = os.path.join(d, "rec.jsonl")
    recording(rec)
    cfg = os.path.join(d, "cfg.json")
    with open(cfg, "w") as f:
        json.dump({"capacity": 2}, f)
    pids = os.path.join(d, name + ".pids")
    started = os.path.join(d, name + ".started")
    hook = ("sh -c 'echo $$ >> %s; sleep 300 & echo $! >> %s; cat > /dev/null; "
            "echo x >> %s; sleep 300'" % (pids, pids, started))
    logp = os.path.join(d, name + ".log")
    port = L.free_port()  # a webhook receiver keeps watch running after the file
    w = L.spawn([capmon, "watch", "--json", "--interval", "1", "--config", cfg, "--log", logp,
                 "--hook", hook, rec, "webhook://127.0.0.1:%d" % port],
                env={"CAPMON_WEBHOOK_SECRET": L.SECRET}, stdout=open(os.path.join(d, name + ".out"),
                                                                    "wb"))
    L.wait_for(lambda: os.path.exists(started), 30, "the first hook call to run")
    out = os.path.join(d, name + ".out")
    L.wait_for(lambda: (L.last_json_line(out) or {}).get("events", {}).get("received") ==
               1 + 4 * CYCLES, 30, "the file to be played")
    pid_list = [int(x) for x in open(pids).read().split()]
    t0 = time.monotonic()
    w.send_signal(signal.SIGTERM)
    if second:
        time.sleep(0.1)
        w.send_signal(signal.SIGTERM)
    try:
        w.wait(timeout=30)
    except Exception:
        L.fail("watch did not stop within 30 s of SIGTERM")
    took = time.monotonic() - t0
    log = open(logp).read()
    L.log("%s: stopped %.2f s after SIGTERM, exit %d" % (name, took, w.returncode))
    if w.returncode != 0:
        L.fail("watch exited %d: %s" % (w.returncode, log))
    if took > 6:  # 1.5 s of grace; before: 10 s per queued call
        L.fail("watch took %.1f s to stop with hook calls queued" % took)
    if "queued calls dropped at shutdown" not in log and "queued call dropped at shutdown" \
            not in log:
        L.fail("the dropped calls are not logged: %s" % log)
    if "killed at shutdown" not in log:
        L.fail("the running call's kill is not logged: %s" % log)
    if second and "second signal" not in log:
        L.fail("the second signal is not logged: %s" % log)
    L.wait_for(lambda: not any(alive(p) for p in pid_list), 10,
               "the hook and its background child (%s) to be gone" % pid_list)
    return took


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    run(capmon, d, "term", False)
    L.log("ok - SIGTERM with hook calls queued: a prompt stop, drops and kill logged, "
          "the hook's background child killed")
    took = run(capmon, d, "twice", True)
    if took > 1.4:
        L.log("note: the second signal took %.2f s (loaded machine?)" % took)
    L.log("ok - a second SIGTERM kills the running call at once")
    shutil.rmtree(d, ignore_errors=True)
    L.log("PASS")


if __name__ == "__main__":
    main()
