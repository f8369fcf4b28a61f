"""live: two relays sharing one Redis stream (--store redis://, docs/redis.md).
A real redis-server (AOF, appendfsync always) on a free loopback port; signed
webhooks posted alternately to relay A and relay B, first one at a time, then 8
in flight. Every POST is answered 200 with a seq; the seqs are exactly 1..N; the
stream holds entry 0-S with the body acknowledged with seq S, byte for byte; a
python3-websockets subscriber on each relay gets records 1..N in order, the
same text from both relays, and that text is the stream entry as the file
store would have logged it; a `capmon watch --json` on each relay ends with the
same snapshot, equal to `capmon replay --json` of the stream exported by Python;
a third relay started afterwards copies the retained stream and serves it from
any since=; a subscriber asking for a since beyond the end waits for it.
usage: live_redis.py CAPMON JSONCMP (exit 77, skipped, without redis-server)"""
import concurrent.futures
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

N = 600
SEQUENTIAL = 300          # the first SEQUENTIAL posts one at a time, the rest 8 in flight
STREAM = "capmon-test"
MEETINGS = ["85000000001", 85000000002, "85000000003"]   # payload.object.id, one a number
CAP = ["--capacity", "100000"]


def bodies(n):
    """joins and lefts in a few meetings: participant k of meeting m joins, and
    every third one leaves again later."""
    out, pending = [], []
    k = 0
    while len(out) < n:
        if pending and (len(out) % 3 == 2):
            m, uid = pending.pop(0)
            out.append(L.meeting_body("left", uid, m))
        else:
            m = MEETINGS[k % len(MEETINGS)]
            uid = 7000 + k
            out.append(L.meeting_body("join", uid, m))
            if k % 3 == 0:
                pending.append((m, uid))
            k += 1
    return out


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    L.need_redis()
    d = L.workdir()
    rport = L.free_port()
    L.start_redis(rport, os.path.join(d, "redis"))
    pa, pb = L.free_port(), L.free_port()
    ra = L.start_relay_redis(capmon, pa, rport, STREAM, os.path.join(d, "relay-a.err"))
    rb = L.start_relay_redis(capmon, pb, rport, STREAM, os.path.join(d, "relay-b.err"))
    for p in (pa, pb):
        st, h = L.healthz_status(p)
        if st != 200 or not h.get("ok") or h.get("store") != "redis":
            L.fail("relay :%d /healthz with Redis up: %s %s" % (p, st, h))

    watches, outs = [], []
    for name, p in (("a", pa), ("b", pb)):
        out = os.path.join(d, "watch-%s.out" % name)
        outs.append(out)
        watches.append(L.spawn([capmon, "watch", "--json", "--interval", "0.2"] + CAP +
                               ["--log", os.path.join(d, "watch-%s.log" % name),
                                "ws://127.0.0.1:%d/events" % p],
                               env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb")))
    # `capmon watch redis://HOST:PORT/STREAM` reads the stream itself
    out = os.path.join(d, "watch-redis.out")
    outs.append(out)
    watches.append(L.spawn([capmon, "watch", "--json", "--interval", "0.2"] + CAP +
                           ["--log", os.path.join(d, "watch-redis.log"),
                            "redis://127.0.0.1:%d/%s" % (rport, STREAM)],
                           stdout=open(out, "wb")))
    subs = {}
    for name, p in (("a", pa), ("b", pb)):
        subs[name] = L.Subscriber("ws://127.0.0.1:%d/events?since=0" % p,
                                  until=lambda s: len(s.msgs) >= N).start()
        if not subs[name].connected.is_set():
            L.fail("python subscriber on relay %s did not connect: %r" %
                   (name, subs[name].error))
    for p in (pa, pb):
        L.wait_for(lambda: (L.healthz(p) or {}).get("subscribers") == 2, 10,
                   "two subscribers on relay :%d" % p)

    posted = bodies(N)
    acked = {}   # seq -> index posted
    t0 = L.now_ms()

    def post(i):
        return i, L.post_signed_seq(pa if i % 2 == 0 else pb, posted[i])
    results = [post(i) for i in range(SEQUENTIAL)]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results += list(ex.map(post, range(SEQUENTIAL, N)))
    t1 = L.now_ms()
    for i, (status, seq) in results:
        if status != 200 or not isinstance(seq, int):
            L.fail("POST %d to relay %s: status %s seq %r" % (i, "ab"[i % 2], status, seq))
        if seq in acked:
            L.fail("seq %d acknowledged twice (posts %d and %d)" % (seq, acked[seq], i))
        acked[seq] = i
    if sorted(acked) != list(range(1, N + 1)):
        L.fail("acknowledged seqs are not 1..%d: %s..." % (N, sorted(acked)[:10]))
    # one at a time: stream order is posting order
    for i in range(SEQUENTIAL):
        if results[i][1][1] != i + 1:
            L.fail("sequential post %d got seq %d, expected %d" % (i, results[i][1][1], i + 1))

    # the stream itself, read by python3-redis
    entries = L.stream_entries(rport, STREAM)
    if [e[0] for e in entries] != ["0-%d" % s for s in range(1, N + 1)]:
        L.fail("stream IDs are not 0-1..0-%d: %s" % (N, [e[0] for e in entries][:5]))
    for eid, f in entries:
        seq = int(eid.split("-")[1])
        if f.get("body") != posted[acked[seq]]:
            L.fail("stream entry %s does not hold the body acknowledged with seq %d" % (eid, seq))
        if f.get("src") != b"webhook" or not t0 - 1000 <= int(f.get("recv", 0)) <= t1 + 1000:
            L.fail("stream entry %s: src %r recv %r (posted between %d and %d)" %
                   (eid, f.get("src"), f.get("recv"), t0, t1))
    logpath = os.path.join(d, "export.jsonl")
    L.export_stream(rport, STREAM, logpath)

    # the python subscribers: 1..N in order, same text on both relays, = the entries
    for name in "ab":
        subs[name].wait(lambda s: len(s.msgs) >= N, 30, "%d records on relay %s" % (N, name))
    ta, tb = subs["a"].msgs, subs["b"].msgs
    for i in range(N):
        eid, f = entries[i]
        want = L.record_text(i + 1, int(f["recv"]), "webhook", f["body"])
        if ta[i] != tb[i]:
            L.fail("record %d differs between relays:\nA %s\nB %s" % (i + 1, ta[i][:300],
                                                                      tb[i][:300]))
        if ta[i].rstrip("\n") != want:
            L.fail("record %d is not the stream entry as a log line:\ngot  %s\nwant %s" %
                   (i + 1, ta[i][:300], want[:300]))

    # the watches: both the same, both = replay of the export
    for out in outs:
        L.wait_for(lambda: ((L.last_json_line(out) or {}).get("events") or {})
                   .get("received") == N, 30, "watch %s to apply every record" % out)
    for w in watches:
        if L.stop(w) != 0:
            L.fail("watch exited %d" % w.returncode)
    fa, fb = L.last_json_line(outs[0]), L.last_json_line(outs[1])
    fr = L.last_json_line(outs[2]) if len(outs) > 2 else None
    expected = L.replay_snapshot(capmon, logpath, CAP)
    if expected["events"]["received"] != N or expected["events"]["applied"] < N // 2:
        L.fail("replay of the export: %s" % expected["events"])
    if len(expected["meetings"]) != len(MEETINGS):
        L.fail("replay of the export has %d meetings, posted %d" %
               (len(expected["meetings"]), len(MEETINGS)))
    L.compare_snapshots(jsoncmp, d, expected, fa, "redis-watch-a")
    L.compare_snapshots(jsoncmp, d, expected, fb, "redis-watch-b")
    L.compare_snapshots(jsoncmp, d, fa, fb, "redis-watch-a-vs-b")
    if fr is not None:
        L.compare_snapshots(jsoncmp, d, expected, fr, "redis-watch-stream")

    for p in (pa, pb):
        h = L.healthz(p)
        if not h or not h.get("ok") or h.get("last_seq") != N:
            L.fail("relay :%d /healthz after the burst: %s" % (p, h))

    # a relay started now copies the retained stream: every since= is served
    pc = L.free_port()
    rc = L.start_relay_redis(capmon, pc, rport, STREAM, os.path.join(d, "relay-c.err"))
    for since in (0, N // 2, N - 1):
        s = L.Subscriber("ws://127.0.0.1:%d/events?since=%d" % (pc, since),
                         until=lambda s, k=N - since: len(s.msgs) >= k).start()
        s.wait(lambda s, k=N - since: len(s.msgs) >= k, 20,
               "relay C to serve since=%d" % since)
        if s.msgs != ta[since:]:
            L.fail("relay C since=%d: %d records, not the same as relay A's" %
                   (since, len(s.msgs)))
    # since beyond the end: nothing until the next record, then exactly it
    ahead = L.Subscriber("ws://127.0.0.1:%d/events?since=%d" % (pb, N)).start()
    if not ahead.connected.is_set():
        L.fail("subscriber since=%d not connected: %r" % (N, ahead.error))
    time.sleep(0.5)
    if ahead.msgs:
        L.fail("since=%d (the end) was sent %d frames before any new record: %s" %
               (N, len(ahead.msgs), ahead.msgs[0][:200]))
    st, seq = L.post_signed_seq(pc, L.meeting_body("join", 9999, MEETINGS[0]))
    if st != 200 or seq != N + 1:
        L.fail("POST to relay C: %s seq %r, expected 200 seq %d" % (st, seq, N + 1))
    ahead.wait(lambda s: len(s.msgs) >= 1, 10, "the new record on relay B")
    time.sleep(0.2)
    if [r["seq"] for r in ahead.records()] != [N + 1] or len(ahead.msgs) != 1:
        L.fail("since=%d on relay B got %s" % (N, [m[:80] for m in ahead.msgs]))
    ahead.stop()

    for name, p in (("a", ra), ("b", rb), ("c", rc)):
        if L.stop(p) != 0:
            L.fail("relay %s exited %d" % (name, p.returncode))
    L.check_no_sanitizer_report(*[os.path.join(d, "relay-%s.err" % n) for n in "abc"])
    L.log("ok: %d webhooks alternately to 2 relays, seqs 1..%d, stream == acknowledged bodies, "
          "same records on both relays, both watches == replay of the export; a late relay "
          "serves the retained stream" % (N, N))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
