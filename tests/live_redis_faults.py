"""fault: two relays sharing a Redis stream (docs/redis.md), with a sender that
posts each event until it gets a 2xx, trying the other relay after a failure
(as Zoom behind a balancer does).

relay-kill9: relay A is killed -9 in the middle of the burst. A `capmon watch`
  given 'ws://A/events,ws://B/events' moves to B and resumes; it ends with the
  snapshot of `capmon replay` of the stream (exported by Python), counters
  included (nothing applied twice, nothing missed); every acknowledged event is
  the stream entry of its seq.
redis-restart: redis-server (AOF, appendfsync always) is killed -9 in the middle
  of the burst and started again on the same port and directory. Every seq
  acknowledged before or after is in the stream afterwards with its body; while
  Redis is down both relays answer POSTs 503 and /healthz 503 {"ok":false,
  "store":"redis","error":...}, python subscribers on both relays get
  {"feed":{"ok":false,...}} and later {"feed":{"ok":true}}, and a `watch --json
  --interval 1` on each relay shows the feed alert firing; afterwards the
  retries succeed and both watches end equal to the replay of the export, their
  feed alert resolved.
redis-data-lost: redis-server (without AOF) is killed and started again empty:
  the stream's numbering goes back; the relay that gets an entry number it
  already had must stop with an error (docs/redis.md), and once restarted serve
  the new stream.
redis-stream-deleted: the same with the stream deleted (DEL) while the relay
  stays connected (registered as fault-redis-stream-deleted).
redis-deleted-idle: the stream deleted while the relay is idle, then recreated
  by another writer: the relay stops.
redis-wait: --wait-replicas with a real replica.
usage: live_redis_faults.py CAPMON JSONCMP relay-kill9|redis-restart|redis-data-lost|
       redis-stream-deleted|redis-deleted-idle|redis-wait
(exit 77, skipped, without redis-server)"""
import collections
import os
import queue
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

STREAM = "capmon-faults"
CAP = ["--capacity", "100000"]
MEETINGS = ["86000000001", 86000000002]


class Sender:
    """Posts body i to relay ports[i % 2] first; on anything but a 2xx with a
    seq it waits a little and tries the other relay, until acknowledged or the
    deadline. acked: {i: seq}; answers: Counter of non-2xx statuses (0: no
    answer) per port."""

    def __init__(self, ports, bodies, workers=8, deadline=45):
        self.ports, self.bodies = ports, bodies
        self.acked, self.answers = {}, collections.Counter()
        self.lock = threading.Lock()
        self.q = queue.Queue()
        for i in range(len(bodies)):
            self.q.put(i)
        self.end = time.monotonic() + deadline
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _work(self):
        while True:
            try:
                i = self.q.get_nowait()
            except queue.Empty:
                return
            k, tries = i % 2, 0
            while time.monotonic() < self.end:
                port = self.ports[k]
                st, seq = L.post_signed_seq(port, self.bodies[i], timeout=5)
                if 200 <= st < 300 and isinstance(seq, int):
                    with self.lock:
                        self.acked[i] = seq
                    break
                with self.lock:
                    self.answers[(port, st)] += 1
                tries += 1
                k = 1 - k
                time.sleep(0.01 if tries < 2 else 0.1)

    def join(self):
        for t in self.threads:
            t.join(max(0.0, self.end - time.monotonic()) + 10)
        if len(self.acked) != len(self.bodies):
            L.fail("sender: %d of %d acknowledged before its deadline; failures %s" %
                   (len(self.acked), len(self.bodies), dict(self.answers)))


def bodies(n, base):
    out = []
    for i in range(n):
        m = MEETINGS[i % 2]
        uid = base + i // 2
        # participant uid joins, its next event (4 later) is a left for half of them
        if i % 8 >= 4 and (i // 2) % 2 == 0:
            out.append(L.meeting_body("left", base + (i - 4) // 2, m))
        else:
            out.append(L.meeting_body("join", uid, m))
    return out


def check_stream(rport, posted, acked, what):
    """Every acknowledged seq holds its body; IDs are 0-1..0-M without holes;
    every body posted is there. Returns (entries, export path's records)."""
    entries = L.stream_entries(rport, STREAM)
    ids = [e[0] for e in entries]
    if ids != ["0-%d" % s for s in range(1, len(entries) + 1)]:
        L.fail("%s: stream IDs are not 0-1..0-%d: %s" % (what, len(entries), ids[:5]))
    by_seq = {int(e[0].split("-")[1]): e[1]["body"] for e in entries}
    lost = [(i, s) for i, s in acked.items() if by_seq.get(s) != posted[i]]
    if lost:
        L.fail("%s: %d acknowledged events are not the stream entry of their seq: %s" %
               (what, len(lost), lost[:5]))
    if set(by_seq.values()) != set(posted):
        L.fail("%s: the stream does not hold every body posted" % what)
    return entries


def start_watch(capmon, d, name, url, interval):
    out = os.path.join(d, "watch-%s.out" % name)
    p = L.spawn([capmon, "watch", "--json", "--interval", str(interval)] + CAP +
                ["--log", os.path.join(d, "watch-%s.log" % name), url],
                env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"))
    return p, out


def finish_watch(capmon, jsoncmp, d, w, out, logpath, nrec, name, want_feed):
    L.wait_for(lambda: ((L.last_json_line(out) or {}).get("events") or {})
               .get("received") == nrec, 30, "watch %s to apply the %d records" % (name, nrec))
    if L.stop(w) != 0:
        L.fail("watch %s exited %d" % (name, w.returncode))
    final = L.last_json_line(out)
    feed = [a for a in final["alerts"] if a["rule"] == "feed"]
    if any(a["status"] != "resolved" for a in feed) or (want_feed and not feed):
        L.fail("watch %s: expected %s feed alert, got %s" %
               ("a resolved" if want_feed else "no firing", name, feed))
    expected = L.replay_snapshot(capmon, logpath, CAP)
    if final["events"] != expected["events"]:
        L.fail("watch %s counted %s, the replay of the stream %s (applied twice or missed)" %
               (name, final["events"], expected["events"]))
    final["alerts"] = [a for a in final["alerts"] if a["rule"] not in ("feed", "lag")]
    L.compare_snapshots(jsoncmp, d, expected, final, "redis-fault-" + name)
    return final


def relay_kill9(capmon, jsoncmp, d):
    N, KILL_AFTER = 1500, 400
    rport = L.free_port()
    L.start_redis(rport, os.path.join(d, "redis"))
    pa, pb = L.free_port(), L.free_port()
    ra = L.start_relay_redis(capmon, pa, rport, STREAM, os.path.join(d, "relay-a.err"))
    rb = L.start_relay_redis(capmon, pb, rport, STREAM, os.path.join(d, "relay-b.err"))
    w, out = start_watch(capmon, d, "failover", "ws://127.0.0.1:%d/events,ws://127.0.0.1:%d/events"
                         % (pa, pb), 0.2)
    L.wait_for(lambda: (L.healthz(pa) or {}).get("subscribers") == 1, 10,
               "the failover watch to subscribe to its first relay (A)")
    if (L.healthz(pb) or {}).get("subscribers") != 0:
        L.fail("the failover watch is connected to B as well: %s" % L.healthz(pb))

    posted = bodies(N, 20000)
    s = Sender([pa, pb], posted).start()
    L.wait_for(lambda: len(s.acked) >= KILL_AFTER, 30, "%d acknowledged" % KILL_AFTER)
    ra.send_signal(signal.SIGKILL)
    ra.wait(timeout=10)
    at_kill = len(s.acked)
    L.wait_for(lambda: (L.healthz(pb) or {}).get("subscribers") == 1, 15,
               "the failover watch to move to relay B")
    s.join()
    if at_kill >= N - 100:
        L.fail("relay A was killed too late (%d of %d acknowledged)" % (at_kill, N))
    bad = {k: v for k, v in s.answers.items() if k[1] != 0}
    if bad:
        L.fail("answers other than no-answer from the dead relay: %s" % bad)
    if not any(k == (pa, 0) for k in s.answers):
        L.fail("no request to relay A failed: the kill was not mid-burst")

    entries = check_stream(rport, posted, s.acked, "after kill -9 of relay A")
    logpath = os.path.join(d, "export.jsonl")
    L.export_stream(rport, STREAM, logpath)
    final = finish_watch(capmon, jsoncmp, d, w, out, logpath, len(entries), "failover",
                         want_feed=False)
    if L.stop(rb) != 0:
        L.fail("relay B exited %d" % rb.returncode)
    L.log("ok: relay A killed after %d of %d acknowledged; %d stream entries (%d written but "
          "unacknowledged); retried on B; the failover watch (applied %d, duplicate %d) == replay"
          % (at_kill, N, len(entries), len(entries) - N, final["events"]["applied"],
             final["events"]["duplicate"]))


def redis_restart(capmon, jsoncmp, d):
    N, KILL_AFTER = 1200, 300
    rport = L.free_port()
    rdir = os.path.join(d, "redis")
    redis = L.start_redis(rport, rdir)
    pa, pb = L.free_port(), L.free_port()
    ra = L.start_relay_redis(capmon, pa, rport, STREAM, os.path.join(d, "relay-a.err"))
    rb = L.start_relay_redis(capmon, pb, rport, STREAM, os.path.join(d, "relay-b.err"))
    wa, outa = start_watch(capmon, d, "a", "ws://127.0.0.1:%d/events" % pa, 1)
    wb, outb = start_watch(capmon, d, "b", "ws://127.0.0.1:%d/events" % pb, 1)
    subs = [L.Subscriber("ws://127.0.0.1:%d/events?since=0" % p).start() for p in (pa, pb)]
    for p in (pa, pb):
        L.wait_for(lambda: (L.healthz(p) or {}).get("subscribers") == 2, 10,
                   "two subscribers on relay :%d" % p)

    posted = bodies(N, 30000)
    s = Sender([pa, pb], posted).start()
    L.wait_for(lambda: len(s.acked) >= KILL_AFTER, 30, "%d acknowledged" % KILL_AFTER)
    redis.send_signal(signal.SIGKILL)
    redis.wait(timeout=10)
    down_at = time.monotonic()
    acked_at_kill = dict(s.acked)

    # while Redis is down
    for p in (pa, pb):
        def unhealthy():
            st, h = L.healthz_status(p)
            return st == 503 and h and h.get("ok") is False and h.get("store") == "redis" \
                and h.get("error")
        L.wait_for(unhealthy, 10, "relay :%d /healthz to answer 503 {ok:false,store:redis,"
                   "error}" % p)
    for k, p in enumerate((pa, pb)):
        st, seq = L.post_signed_seq(p, L.meeting_body("join", 99990 + k, MEETINGS[0]))
        if st != 503:
            L.fail("POST to relay :%d while Redis is down: %s (seq %r), expected 503" %
                   (p, st, seq))
    for sub in subs:
        sub.wait(lambda s: any(c.get("feed", {}).get("ok") is False
                               and isinstance(c["feed"].get("reason"), str)
                               and c["feed"]["reason"] for c in s.controls()),
                 10, "{\"feed\":{\"ok\":false,\"reason\":...}} on %s" % sub.url)
    for name, out in (("a", outa), ("b", outb)):
        def feed_firing():
            snap = L.last_json_line(out) or {}
            return any(a["rule"] == "feed" and a["status"] == "firing"
                       for a in snap.get("alerts", []))
        L.wait_for(feed_firing, 10, "watch %s to show the feed alert firing" % name)
    outage = time.monotonic() - down_at
    acked_during = len(s.acked) - len(acked_at_kill)

    redis = L.start_redis(rport, rdir)   # same port, same dir: the AOF is reloaded
    up_at = time.monotonic()
    # nothing acknowledged before the kill was lost
    have = {int(e[0].split("-")[1]): e[1]["body"] for e in L.stream_entries(rport, STREAM)}
    lost = [(i, q) for i, q in acked_at_kill.items() if have.get(q) != posted[i]]
    if lost:
        L.fail("after the Redis restart, %d events acknowledged before the kill are gone: %s"
               % (len(lost), lost[:5]))
    for p in (pa, pb):
        L.wait_for(lambda: L.healthz_status(p)[0] == 200, 25,
                   "relay :%d /healthz to answer 200 again" % p)
    for sub in subs:
        def feed_back(s):
            c = s.controls()
            f = [k for k, x in enumerate(c) if "feed" in x and x["feed"].get("ok") is False]
            return f and any(x.get("feed", {}).get("ok") is True for x in c[f[0]:])
        sub.wait(feed_back, 15, "{\"feed\":{\"ok\":true}} after the outage on %s" % sub.url)
    s.join()
    back_in = time.monotonic() - up_at
    bad = {k: v for k, v in s.answers.items() if k[1] != 503}
    if bad:
        L.fail("answers other than 503 while Redis was down: %s" % bad)
    if not s.answers:
        L.fail("no POST was refused: Redis was not killed mid-burst")

    entries = check_stream(rport, posted, s.acked, "after the Redis restart")
    logpath = os.path.join(d, "export.jsonl")
    L.export_stream(rport, STREAM, logpath)
    # the python subscribers saw every record once, in seq order
    for sub in subs:
        sub.wait(lambda s: len(s.records()) >= len(entries), 20,
                 "every record on %s" % sub.url)
        seqs = [r["seq"] for r in sub.records()]
        if seqs != list(range(1, len(entries) + 1)):
            L.fail("%s: records not 1..%d once each in order: %s" %
                   (sub.url, len(entries), seqs[:20]))
        sub.stop()
    fa = finish_watch(capmon, jsoncmp, d, wa, outa, logpath, len(entries), "a", want_feed=True)
    finish_watch(capmon, jsoncmp, d, wb, outb, logpath, len(entries), "b", want_feed=True)
    for name, p in (("a", ra), ("b", rb)):
        if L.stop(p) != 0:
            L.fail("relay %s exited %d" % (name, p.returncode))
    L.log("ok: Redis killed after %d acknowledged, down %.1f s (%d acknowledged meanwhile), "
          "relays back %.1f s after its restart; %d refusals, all 503; %d entries for %d events; "
          "none lost; both watches == replay (applied %d, duplicate %d)" %
          (len(acked_at_kill), outage, acked_during, back_in, sum(s.answers.values()),
           len(entries), N, fa["events"]["applied"], fa["events"]["duplicate"]))


def redis_data_lost(capmon, jsoncmp, d, how="restart"):
    """redis-server restarted without its data (no AOF), or (how="del") the
    stream deleted under the relay's open connections: the stream's numbering
    goes back. docs/redis.md: a relay that sees an entry number it already had
    stops with an error; restarted, it rebuilds its copy from the stream."""
    rport = L.free_port()
    rdir = os.path.join(d, "redis")
    redis = L.start_redis(rport, rdir, aof=False)
    pa = L.free_port()
    errpath = os.path.join(d, "relay-a.err")
    ra = L.start_relay_redis(capmon, pa, rport, STREAM, errpath)
    for i in range(5):
        st, seq = L.post_signed_seq(pa, L.meeting_body("join", 40000 + i, MEETINGS[0]))
        if (st, seq) != (200, i + 1):
            L.fail("POST %d before the loss: %s %r" % (i, st, seq))
    if how == "del":
        L.redis_client(rport).delete(STREAM)
    else:
        redis.send_signal(signal.SIGKILL)
        redis.wait(timeout=10)
        shutil_rm(rdir)
        L.start_redis(rport, rdir, aof=False)   # empty: the stream starts again at 0-1
    answers = []
    end = time.monotonic() + 20
    while ra.poll() is None and time.monotonic() < end:
        answers.append(L.post_signed_seq(pa, L.meeting_body("join", 41000 + len(answers),
                                                            MEETINGS[0]), timeout=3))
        time.sleep(0.2)
    if ra.poll() is None:
        L.fail("the relay kept running after the stream's numbering went back "
               "(answers to POSTs since: %s; healthz %s)" % (answers[:10], L.healthz_status(pa)))
    if ra.returncode == 0:
        L.fail("the relay stopped with status 0 after the numbering went back")
    reused = [a for a in answers if a[0] == 200 and isinstance(a[1], int) and a[1] <= 5]
    L.log("relay stopped (exit %d) after %d POSTs; acknowledged with a reused seq: %s" %
          (ra.returncode, len(answers), reused))
    # restarted, it serves the new stream
    ra = L.start_relay_redis(capmon, pa, rport, STREAM, errpath)
    entries = L.stream_entries(rport, STREAM)
    sub = L.Subscriber("ws://127.0.0.1:%d/events?since=0" % pa,
                       until=lambda s: len(s.msgs) >= len(entries)).start()
    sub.wait(lambda s: len(s.msgs) >= len(entries), 10, "the restarted relay's records")
    want = [L.record_text(int(e[0].split("-")[1]), int(e[1]["recv"]), "webhook", e[1]["body"])
            for e in entries]
    if [m.rstrip("\n") for m in sub.msgs] != want:
        L.fail("the restarted relay does not serve the new stream: %s" % sub.msgs[:3])
    if L.stop(ra) != 0:
        L.fail("restarted relay exited %d" % ra.returncode)
    L.log("ok: numbering went back: the relay stopped with an error; restarted, it serves "
          "the %d entries of the new stream" % len(entries))


def redis_wait(capmon, jsoncmp, d):
    """--wait-replicas: with a real replica (redis-server --replicaof), a 2xx
    means the replica has the entry; asking for more replicas than there are
    (or the replica frozen) answers 503 and /healthz says why."""
    rport, qport = L.free_port(), L.free_port()
    L.start_redis(rport, os.path.join(d, "primary"))
    replica = L.start_redis(qport, os.path.join(d, "replica"),
                            extra=["--replicaof", "127.0.0.1", str(rport)])
    L.wait_for(lambda: L.redis_client(rport).info("replication").get("connected_slaves") == 1
               and L.redis_client(qport).info("replication").get("master_link_status") == "up",
               15, "the replica to sync")
    pa, pb = L.free_port(), L.free_port()
    ra = L.start_relay_redis(capmon, pa, rport, STREAM, os.path.join(d, "relay-a.err"),
                             extra=["--wait-replicas", "1", "--wait-timeout", "2000"])
    rb = L.start_relay_redis(capmon, pb, rport, STREAM, os.path.join(d, "relay-b.err"),
                             extra=["--wait-replicas", "2", "--wait-timeout", "300"],
                             wait_ok=False)
    q = L.redis_client(qport)
    for i in range(20):
        st, seq = L.post_signed_seq(pa, L.meeting_body("join", 50000 + i, MEETINGS[0]))
        if st != 200 or seq != i + 1:
            L.fail("POST %d with --wait-replicas 1: %s %r" % (i, st, seq))
        # WAIT 1 answered before the 2xx: the replica has the entry already
        have = q.xrange(STREAM, min="0-%d" % seq, max="0-%d" % seq)
        if len(have) != 1:
            L.fail("seq %d acknowledged but not on the replica" % seq)
    # two replicas asked, one exists: refused, and the relay says why
    L.wait_for(lambda: L.healthz_status(pb)[0] == 503, 10, "relay B's /healthz to answer 503")
    st, h = L.healthz_status(pb)
    if "WAIT" not in (h or {}).get("error", ""):
        L.fail("relay B /healthz does not say why: %r" % (h,))
    t0 = time.monotonic()
    st, seq = L.post_signed_seq(pb, L.meeting_body("join", 51000, MEETINGS[0]))
    took = time.monotonic() - t0
    if st != 503:
        L.fail("--wait-replicas 2 with one replica answered %s %r, not 503" % (st, seq))
    if took < 0.25:
        L.fail("the 503 came after %.3f s: WAIT's 300 ms were not waited" % took)
    # the replica frozen: relay A (one replica asked) refuses too, then recovers
    replica.send_signal(signal.SIGSTOP)
    try:
        st, seq = L.post_signed_seq(pa, L.meeting_body("join", 52000, MEETINGS[0]))
        if st != 503:
            L.fail("replica frozen: --wait-replicas 1 answered %s %r, not 503" % (st, seq))
        L.wait_for(lambda: L.healthz_status(pa)[0] == 503, 10, "relay A /healthz 503")
    finally:
        replica.send_signal(signal.SIGCONT)
    L.wait_for(lambda: L.healthz_status(pa)[0] == 200, 15, "relay A /healthz 200 again")
    st, seq = L.post_signed_seq(pa, L.meeting_body("join", 53000, MEETINGS[0]))
    if st != 200:
        L.fail("replica back: relay A answered %s" % st)
    for p in (ra, rb):
        if L.stop(p) != 0:
            L.fail("relay exited %d" % p.returncode)
    L.log("ok: --wait-replicas 1: 20 acknowledged entries were on the replica at the 2xx; "
          "2 asked of 1: 503 after the WAIT timeout, /healthz 503 with the reason; replica "
          "frozen: 503, then 200 again")


def redis_deleted_idle(capmon, jsoncmp, d):
    """The stream deleted while the relay is idle and stays connected, then
    recreated by another writer: the relay must notice (its copy would mix two
    numberings) and stop rather than serve the new entries under old seqs."""
    rport = L.free_port()
    L.start_redis(rport, os.path.join(d, "redis"), aof=False)
    pa = L.free_port()
    errpath = os.path.join(d, "relay-a.err")
    ra = L.start_relay_redis(capmon, pa, rport, STREAM, errpath)
    for i in range(5):
        st, seq = L.post_signed_seq(pa, L.meeting_body("join", 70000 + i, MEETINGS[0]))
        if (st, seq) != (200, i + 1):
            L.fail("POST %d: %s %r" % (i, st, seq))
    time.sleep(1.5)  # idle: the relay's reader waits in XREAD BLOCK
    r = L.redis_client(rport)
    r.delete(STREAM)
    time.sleep(2.5)  # at least one idle XREAD sees the stream gone
    for i in range(3):  # another writer starts the stream again: 0-1, 0-2, 0-3
        r.xadd(STREAM, {"recv": str(L.now_ms()), "src": "webhook",
                        "body": L.meeting_body("join", 71000 + i, MEETINGS[0])}, id="0-*")
    L.wait_for(lambda: ra.poll() is not None, 10, "the relay to stop on the recreated stream")
    if ra.returncode == 0:
        L.fail("the relay stopped with status 0")
    if "went back" not in open(errpath).read():
        L.fail("the relay's log does not say the stream went back")
    L.log("ok: stream deleted while the relay was idle and connected, then recreated by "
          "another writer: the relay stopped (exit %d) instead of serving seqs 1..3 again"
          % ra.returncode)


def shutil_rm(path):
    subprocess.run(["rm", "-rf", path], timeout=30)


def main():
    capmon, jsoncmp, which = sys.argv[1], sys.argv[2], sys.argv[3]
    L.need_redis()
    d = L.workdir()
    {"relay-kill9": relay_kill9, "redis-restart": redis_restart,
     "redis-data-lost": redis_data_lost, "redis-wait": redis_wait,
     "redis-deleted-idle": redis_deleted_idle,
     "redis-stream-deleted": lambda c, j, d: redis_data_lost(c, j, d, "del")}[which](
         capmon, jsoncmp, d)
    L.check_no_sanitizer_report(*[os.path.join(d, "relay-%s.err" % n) for n in "ab"])
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
