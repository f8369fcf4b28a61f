"""live: `capmon relay --reconcile-interval`: first a relay with its log file
(the lists land in the log and replay); then on a shared Redis stream, two
relays, one fake Zoom (tests/fake_zoom_api.py). Exactly one relay polls Zoom's
live list (one OAuth token ever asked, every list request with it, the
poller gauge 1 on one relay and 0 on the other); its lists land in the stream
as records (src "reconcile") that both relays serve; when the poller is killed
(-9: it cannot give the lease up) the other takes over once the lease expires.
Then `capmon replay` of the exported stream shows the list's counts.
usage: live_reconcile_relay.py CAPMON"""
import json
import os
import signal
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402
from live_reconcile import Fake, MEETING  # noqa: E402

STREAM = "capmon:reconcile-test"


def gauge(port, name):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def reconcile_records(rport):
    return [f for _, f in L.stream_entries(rport, STREAM) if f["src"] == b"reconcile"]


def file_relay(capmon, d):
    """A relay with its log file: the lists go into the log (src "reconcile")."""
    fake = Fake(d, "file", ws=False)
    for i in range(1, 3):
        fake.join(str(i), "Chile - Member %d" % i)
    os.environ.update({k: v for k, v in fake.env().items() if not k.endswith("_WS_URL")})
    port, logpath = L.free_port(), os.path.join(d, "relay.log")
    relay = L.start_relay(capmon, port, logpath, os.path.join(d, "file-relay.err"),
                          extra=["--reconcile-interval", "1"])
    body = L.meeting_body("join", "1", MEETING, uuid="zoom-live-1==", name="Chile - Member 1")
    if L.post_signed(port, body) != 200:
        L.fail("the relay refused the webhook")

    def recs():
        try:
            return [r for r in L.log_records_tolerant(logpath) if r.get("src") == "reconcile"]
        except (OSError, ValueError):
            return []
    L.wait_for(lambda: len(recs()) >= 2, 20, "two reconcile records in the relay's log")
    L.stop(relay)
    L.stop(fake.p)
    snap = L.replay_snapshot(capmon, logpath)
    if snap["meetings"][0]["participants"] != 2:
        L.fail("the relay's log does not replay to the list's 2: %s" % snap["meetings"])
    L.log("ok: a relay with a log file appends the lists to it (replay: 2 in)")


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    file_relay(capmon, d)
    L.need_redis()
    fake = Fake(d, "relay", ws=False)
    for i in range(1, 4):
        fake.join(str(i), "Japan - Member %d" % i)
    os.environ.update({k: v for k, v in fake.env().items() if not k.endswith("_WS_URL")})
    rport = L.free_port()
    L.start_redis(rport, os.path.join(d, "redis"), aof=False)
    ports = [L.free_port(), L.free_port()]
    mports = [L.free_port(), L.free_port()]
    relays = [L.start_relay_redis(capmon, ports[i], rport, STREAM, os.path.join(d, "relay%d.err" % i),
                                  extra=["--reconcile-interval", "1", "--metrics",
                                         ":%d" % mports[i]]) for i in range(2)]
    # a webhook to relay 0 only: relay 1 hears of the meeting through Redis
    body = L.meeting_body("join", "1", MEETING, uuid="zoom-live-1==", name="Japan - Member 1")
    if L.post_signed(ports[0], body) != 200:
        L.fail("the relay refused the webhook")
    L.wait_for(lambda: len(reconcile_records(rport)) >= 3, 20,
               "three reconcile records in the stream")
    g = [gauge(mports[0], "capmon_reconcile_poller"), gauge(mports[1], "capmon_reconcile_poller")]
    if sorted(g) != [0.0, 1.0]:
        L.fail("expected one poller (gauges 1 and 0), got %s" % g)
    s = fake.get_status()
    toks = {r["token"] for r in s["requests"]}
    if s["tokens"] != 1 or toks != {"tok-1"}:
        L.fail("more than one relay polled: %d tokens, requests with %s" % (s["tokens"], toks))
    poller = g.index(1.0)
    L.log("ok: relay %d polls alone (%d list requests, one token)" % (poller, s["list_requests"]))

    relays[poller].send_signal(signal.SIGKILL)
    relays[poller].wait(timeout=10)
    other = 1 - poller
    n = len(reconcile_records(rport))
    L.wait_for(lambda: gauge(mports[other], "capmon_reconcile_poller") == 1.0, 20,
               "the other relay to take the lease over")
    L.wait_for(lambda: len(reconcile_records(rport)) >= n + 2, 20,
               "reconcile records from the new poller")
    s = fake.get_status()
    if s["tokens"] != 2:
        L.fail("the new poller should have asked one token (tokens: %d)" % s["tokens"])
    L.log("ok: after kill -9 of the poller, relay %d took over" % other)

    # a meeting Zoom does not have (404): asked once, taken out of the shared set,
    # not asked again each interval (it was: a 404 a second here, for a day)
    gone_id = "85999999999"
    body = L.meeting_body("join", "9", gone_id, uuid="gone-1==", name="Peru - Member 9")
    if L.post_signed(ports[other], body) != 200:
        L.fail("the relay refused the webhook")

    def asked_gone():
        return sum(1 for r in fake.get_status()["requests"] if gone_id in r["path"] or
                   "gone-1" in r["path"])
    errp = os.path.join(d, "relay%d.err" % other)
    L.wait_for(lambda: "no longer asked" in open(errp).read(), 20,
               "the relay to give the gone meeting up")
    asked = asked_gone()
    set_key = "%s:capmon-reconcile-lease:shared" % STREAM
    members = L.redis_client(rport).smembers(set_key)
    if any(b"gone-1==" in m for m in members):
        L.fail("the gone meeting is still shared: %s" % members)
    n = len(reconcile_records(rport))
    L.wait_for(lambda: len(reconcile_records(rport)) >= n + 3, 30,
               "three more reconciles of the live meeting")
    if asked_gone() != asked:
        L.fail("the gone meeting was asked again: %d requests, then %d" % (asked, asked_gone()))
    L.log("ok: a meeting Zoom does not have is asked %d time(s), then no more, and unshared"
          % asked)

    log = os.path.join(d, "stream.jsonl")
    L.export_stream(rport, STREAM, log)
    snap = L.replay_snapshot(capmon, log)
    m = [x for x in snap["meetings"] if x["uuid"] == "zoom-live-1=="]
    if not m or m[0]["participants"] != 3 or m[0]["reconcile"]["count"] < 3:
        L.fail("replay of the stream: expected 3 in after the reconciles: %s" % json.dumps(m))
    L.stop(relays[other])
    L.stop(fake.p)
    L.log("ok: the stream replays to the list's 3 participants")


if __name__ == "__main__":
    main()
