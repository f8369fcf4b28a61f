"""live: meeting filters on relay streams (docs/redis.md, "Meeting filters"),
with the file store and (when redis-server is installed) the Redis store.

Webhooks for three meetings (payload.object.id "111", 222 as a JSON number and
"222" as a string, "333") and some without a meeting id are posted; python3-
websockets subscribers with ?meeting=111, with ?meeting=222&meeting=333, and
one connected after the posts with &caught_up=1, receive exactly the records
of those meetings (computed here from what was posted), in seq order, and the
control frames only; `capmon watch --meeting 111` ends with the snapshot of a
replay of the 111 records alone. 64 meeting= parameters are accepted; 65, an
empty one, or one of 128 bytes are refused with HTTP 400.
usage: live_filter.py CAPMON JSONCMP"""
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

N = 240
CAP = ["--capacity", "100000"]
# (payload.object.id as sent, the text it is compared as)
MEETINGS = [("111", "111"), (222, "222"), ("222", "222"), ("333", "333"), ("4444", "4444")]


def bodies():
    """[(body bytes, meeting text or None)]: joins and lefts spread over the
    meetings, every 20th without payload.object.id."""
    out = []
    for i in range(N):
        if i % 20 == 19:
            b = json.dumps({"event": "meeting.participant_joined", "event_ts": L.now_ms(),
                            "payload": {"account_id": "acc", "object": {
                                "uuid": "no-id-meeting", "participant": {
                                    "user_id": str(i), "user_name": "Switzerland - X %d" % i}}}},
                           separators=(",", ":")).encode()
            out.append((b, None))
            continue
        mid, text = MEETINGS[i % len(MEETINGS)]
        uid = 100 + i // 10
        kind = "left" if (i // len(MEETINGS)) % 4 == 3 else "join"
        out.append((L.meeting_body(kind, uid, mid, uuid="uuid-%s" % text), text))
    return out


def check_400(port, query, what):
    s = L.Subscriber("ws://127.0.0.1:%d/events?since=0&%s" % (port, query)).start()
    s.done.wait(10)
    if s.connected.is_set() or s.status != 400:
        L.fail("%s: expected HTTP 400, got %s (connected %s, %r)" %
               (what, s.status, s.connected.is_set(), s.error))


def run(capmon, jsoncmp, d, store, port, post):
    url = "ws://127.0.0.1:%d/events?since=0" % port
    sentinel = {"111": None, "222": None}

    def saw_sentinel(m):
        return lambda s: sentinel[m] is not None and any(
            r["seq"] == sentinel[m] for r in s.records())
    live1 = L.Subscriber(url + "&meeting=111").start()
    live23 = L.Subscriber(url + "&meeting=222&meeting=333").start()
    out = os.path.join(d, "watch-%s.out" % store)
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--meeting", "111"] + CAP +
                    ["--log", os.path.join(d, "watch-%s.log" % store), url],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"))
    for s in (live1, live23):
        if not s.connected.is_set():
            L.fail("%s: filtered subscriber did not connect: %r" % (store, s.error))
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 3, 10,
               "%s: three subscribers" % store)

    posted = bodies()
    # the last two records: one of 111, one of 222 (sentinels: everything before
    # them has been sent to a subscriber that got them)
    posted.append((L.meeting_body("join", 9001, "111", uuid="uuid-111"), "111"))
    posted.append((L.meeting_body("join", 9002, 222, uuid="uuid-222"), "222"))
    by_seq = {}
    for i, (b, m) in enumerate(posted):
        st, seq = post(i, b)
        if st != 200 or not isinstance(seq, int):
            L.fail("%s: POST %d: %s %r" % (store, i, st, seq))
        by_seq[seq] = (b, m)
    sentinel["111"] = max(s for s, (b, m) in by_seq.items() if m == "111")
    sentinel["222"] = max(s for s, (b, m) in by_seq.items() if m == "222")

    def want(ms):
        return [s for s in sorted(by_seq) if by_seq[s][1] in ms]
    # caught_up's seq is the last record of the relay's own copy when the
    # subscriber arrives; with Redis that copy follows the stream a few ms
    # behind the 2xx (even for the relay's own writes): wait until it has all
    L.wait_for(lambda: (L.healthz(port) or {}).get("last_seq") == max(by_seq), 10,
               "%s: the relay's copy to reach seq %d" % (store, max(by_seq)))
    late = L.Subscriber(url + "&meeting=333&meeting=4444&caught_up=1",
                        until=lambda s: any("caught_up" in c for c in s.controls())).start()
    live1.wait(saw_sentinel("111"), 20, "%s: the last 111 record on ?meeting=111" % store)
    live23.wait(saw_sentinel("222"), 20, "%s: the last 222 record on ?meeting=222&333" % store)
    late.wait(lambda s: s.done.is_set(), 20, "%s: caught_up on the late subscriber" % store)
    for s, ms in ((live1, {"111"}), (live23, {"222", "333"}), (late, {"333", "4444"})):
        s.stop()
        got = [r["seq"] for r in s.records()]
        if got != want(ms):
            L.fail("%s: %s got seqs %s..., expected %s... (%d vs %d)" %
                   (store, s.url, got[:12], want(ms)[:12], len(got), len(want(ms))))
        for r in s.records():
            if json.dumps(r["body"], separators=(",", ":")).encode() != by_seq[r["seq"]][0]:
                L.fail("%s: %s: record %d is not the body posted" % (store, s.url, r["seq"]))
        other = [c for c in s.controls() if set(c) - {"caught_up", "feed", "gap"}]
        if other:
            L.fail("%s: %s: unexpected frames %s" % (store, s.url, other[:3]))
    cu = [c["caught_up"] for c in late.controls() if "caught_up" in c]
    if len(cu) != 1 or cu[0].get("seq") != max(by_seq):
        L.fail("%s: caught_up frames %s, expected one with seq %d" % (store, cu, max(by_seq)))

    # watch --meeting 111 == replay of the 111 records alone
    only = os.path.join(d, "only111-%s.jsonl" % store)
    with open(only, "w") as f:   # live1's records: checked above against what was posted
        for r in live1.records():
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    n111 = len(want({"111"}))
    L.wait_for(lambda: ((L.last_json_line(out) or {}).get("events") or {})
               .get("received") == n111, 20, "%s: watch --meeting 111 to apply %d records"
               % (store, n111))
    if L.stop(watch) != 0:
        L.fail("%s: watch exited %d" % (store, watch.returncode))
    final = L.last_json_line(out)
    expected = L.replay_snapshot(capmon, only, CAP)
    if len(expected["meetings"]) != 1:
        L.fail("replay of the 111 records has %d meetings" % len(expected["meetings"]))
    final["alerts"] = [a for a in final["alerts"] if a["rule"] not in ("feed", "lag")]
    expected["alerts"] = [a for a in expected["alerts"] if a["rule"] not in ("feed", "lag")]
    L.compare_snapshots(jsoncmp, d, expected, final, "filter-watch-" + store)

    # limits: 64 filters fine, 65 / empty / 128 bytes refused
    ok64 = L.Subscriber(url + "&" + "&".join("meeting=%d" % k for k in range(63)) +
                        "&meeting=111").start()
    if not ok64.connected.is_set():
        L.fail("%s: 64 meeting= parameters refused: %s %r" % (store, ok64.status, ok64.error))
    ok64.wait(saw_sentinel("111"), 10, "%s: the 111 records with 64 filters" % store)
    if [r["seq"] for r in ok64.records()] != want({"111"}):
        L.fail("%s: 64 filters: wrong records" % store)
    ok64.stop()
    check_400(port, "&".join("meeting=%d" % k for k in range(65)), store + ": 65 meeting=")
    check_400(port, "meeting=", store + ": an empty meeting=")
    check_400(port, "meeting=" + "9" * 128, store + ": a 128-byte meeting=")
    long_ok = L.Subscriber(url + "&meeting=" + urllib.parse.quote("x" * 127)).start()
    if not long_ok.connected.is_set():
        L.fail("%s: a 127-byte meeting= refused: %s" % (store, long_ok.status))
    long_ok.stop()
    L.log("ok: %s store: filters by meeting (string and number ids), caught_up, "
          "watch --meeting == replay of that meeting, 64 filters ok, 65 refused" % store)


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    d = L.workdir()
    port = L.free_port()
    relay = L.start_relay(capmon, port, os.path.join(d, "relay.log"), os.path.join(d, "relay.err"))
    run(capmon, jsoncmp, d, "file", port, lambda i, b: L.post_signed_seq(port, b))
    if L.stop(relay) != 0:
        L.fail("file relay exited %d" % relay.returncode)

    if L.redis_missing():
        L.log("redis store part skipped: " + L.redis_missing())
    else:
        rport = L.free_port()
        L.start_redis(rport, os.path.join(d, "redis"))
        pa, pb = L.free_port(), L.free_port()
        ra = L.start_relay_redis(capmon, pa, rport, "capmon-filter", os.path.join(d, "a.err"))
        rb = L.start_relay_redis(capmon, pb, rport, "capmon-filter", os.path.join(d, "b.err"))
        # subscribers on A, posts alternately to A and B
        run(capmon, jsoncmp, d, "redis", pa,
            lambda i, b: L.post_signed_seq(pa if i % 2 == 0 else pb, b))
        for p in (ra, rb):
            if L.stop(p) != 0:
                L.fail("redis relay exited %d" % p.returncode)
    L.check_no_sanitizer_report(*[os.path.join(d, n) for n in ("relay.err", "a.err", "b.err")])
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
