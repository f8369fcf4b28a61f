"""live: reconciling with Zoom's live list, the real binary against a fake Zoom
(tests/fake_zoom_api.py: OAuth, the Dashboard live list with paging, the
WebSocket subscription), each part on its own fake and watch:

1. mid-sitting: a monitor started while 350 people are in (2 pages of the live
   list, a waiting-room row, rows of people who left) shows the true counts
   after its first reconcile; `watch --record` then `capmon replay` of the
   recording gives the same snapshot;
2. lost events: the `zoom` source's socket drops, joins and leaves happen while
   it is down (never delivered), it reconnects: the reconcile after the
   reconnection brings the true counts; a 429 with Retry-After and an expired
   token on the way are honoured (metrics count them);
3. racing: joins and leaves delivered while a reconcile's list is being fetched
   are neither lost nor undone;
4. errors: a malformed page applies nothing; Zoom's 400 of an account without
   the Dashboard feature turns reconciling off with the reason in the log and
   in /metrics, and no request is sent after it;
5. limits: 5xx retried with backoff, 404 at the next interval, and the daily
   budget (CAPMON_ZOOM_API_DAILY_BUDGET) stops the requests.
usage: live_reconcile.py CAPMON JSONCMP"""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MEETING = "85000000001"


class Fake:
    def __init__(self, d, name, ws=True, uuid=None, tls=None):
        self.port = L.free_port()
        self.ws_port = L.free_port() if ws else 0
        self.tls_port = L.free_port() if tls else 0  # tls: (cert, key) files
        self.status_path = os.path.join(d, name + "-fake.json")
        argv = ["/usr/bin/python3", os.path.join(HERE, "fake_zoom_api.py"), "--port",
                str(self.port), "--status", self.status_path, "--meeting-id", MEETING]
        if ws:
            argv += ["--ws-port", str(self.ws_port)]
        if uuid:
            argv += ["--uuid", uuid]
        if tls:
            argv += ["--tls-port", str(self.tls_port), "--tls-cert", tls[0], "--tls-key", tls[1]]
        self.p = L.spawn(argv, stderr=open(os.path.join(d, name + "-fake.err"), "wb"))
        L.wait_for(lambda: self.get_status(), 10, "the fake Zoom API to start")
        if ws:
            L.wait_for(self.ws_up, 10, "the fake's WebSocket port")

    def ws_up(self):
        import socket
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", self.ws_port))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def call(self, what, obj=None):
        req = urllib.request.Request("http://127.0.0.1:%d/_fake/%s" % (self.port, what),
                                     data=json.dumps(obj or {}).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def get_status(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/_fake/status" % self.port,
                                        timeout=5) as r:
                return json.loads(r.read())
        except OSError:
            return None

    def join(self, uid, name, deliver=True, status="in_meeting"):
        self.call("join", {"user_id": uid, "user_name": name, "deliver": deliver,
                           "status": status})

    def leave(self, uid, deliver=True):
        self.call("leave", {"user_id": uid, "deliver": deliver})

    def env(self):
        e = {"ZOOM_ACCOUNT_ID": "acc-1", "ZOOM_CLIENT_ID": "cid-1",
             "ZOOM_CLIENT_SECRET": "csecret-1", "ZOOM_SUBSCRIPTION_ID": "sub-1",
             "CAPMON_ZOOM_OAUTH_URL": "http://127.0.0.1:%d/oauth/token" % self.port,
             "CAPMON_ZOOM_API_URL": "http://127.0.0.1:%d/v2" % self.port,
             "CAPMON_ZOOM_HEARTBEAT_MS": "300", "CAPMON_WEBHOOK_SECRET": L.SECRET}
        if self.ws_port:
            e["CAPMON_ZOOM_WS_URL"] = "ws://127.0.0.1:%d/ws" % self.ws_port
        return e


def watch(capmon, d, name, fake, extra, sources=("zoom",)):
    out = os.path.join(d, name + ".out")
    log = os.path.join(d, name + ".log")
    argv = [capmon, "watch", "--json", "--interval", "0.1", "--log", log] + list(extra) + list(
        sources)
    p = L.spawn(argv, env=fake.env(), stdout=open(out, "wb"))
    return p, out, log


def meeting(out):
    snap = L.last_json_line(out) or {}
    ms = snap.get("meetings") or []
    return ms[0] if ms else None


def counts(out):
    m = meeting(out)
    if not m:
        return None
    return (m["participants"], m["people"], m["waiting"])


def reconciles(out):
    m = meeting(out)
    return (m or {}).get("reconcile", {}).get("count", 0)


def text_of(path):
    try:
        return open(path).read()
    except OSError:
        return ""


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode()


def mid_sitting(capmon, jsoncmp, d):
    fake = Fake(d, "mid", ws=False)
    for i in range(350):
        fake.join(str(1000 + i), "France - Person %d" % i)
    for i in range(0, 350, 7):  # 50 left: their rows stay, with a leave_time
        fake.leave(str(1000 + i))
    fake.join("9001", "Kenya - Amina Otieno", status="in_waiting_room")
    rec = os.path.join(d, "mid.jsonl")
    mport = L.free_port()
    # a webhook source (no Zoom subscription): reconciling only with the option
    p, out, log = watch(capmon, d, "mid", fake,
                        ["--meeting", MEETING, "--reconcile-interval", "600", "--record", rec,
                         "--metrics", ":%d" % mport],
                        sources=("webhook://127.0.0.1:%d" % L.free_port(),))
    L.wait_for(lambda: counts(out) == (300, 300, 1), 20,
               "the true counts (300 in, 1 waiting) after one reconcile")
    s = fake.get_status()
    lists = [r for r in s["requests"] if r["path"].endswith("/participants")]
    if len(lists) != 2 or "next_page_token=" not in lists[1]["query"] or \
            "page_size=300" not in lists[0]["query"]:
        L.fail("expected two pages of 300 with next_page_token: %s" % lists)
    if reconciles(out) != 1:
        L.fail("one reconcile expected, got %d" % reconciles(out))
    text = metrics(mport)
    want = 'capmon_zoom_api_requests_total{endpoint="participants",code="200"} 2'
    if want not in text:
        L.fail("metrics lack %r:\n%s" % (want, text))
    if L.stop(p) != 0:
        L.fail("watch exited %d" % p.returncode)
    L.stop(fake.p)
    live = L.last_json_line(out)
    L.compare_snapshots(jsoncmp, d, live, L.replay_snapshot(capmon, rec), "mid-sitting")
    L.log("ok: mid-sitting: 300 in and 1 waiting after one reconcile of 2 pages; replay agrees")


def lost_events(capmon, jsoncmp, d):
    fake = Fake(d, "lost")
    rec = os.path.join(d, "lost.jsonl")
    mport = L.free_port()
    p, out, log = watch(capmon, d, "lost", fake, ["--record", rec, "--metrics", ":%d" % mport])
    L.wait_for(lambda: (fake.get_status() or {}).get("ws_connections", 0) >= 1, 15,
               "the zoom source to connect")
    for i in range(1, 11):
        fake.join(str(i), "Switzerland - Delegate %d" % i)
    L.wait_for(lambda: counts(out) and counts(out)[0] == 10, 15, "10 joins delivered")
    L.wait_for(lambda: reconciles(out) >= 1, 15, "the first reconcile of the meeting")
    first = fake.get_status()["list_requests"]
    # the next list requests: a 429 (Retry-After 1) then an expired token
    fake.call("fail", {"mode": "429", "count": 1, "retry_after": 1})
    fake.call("fail", {"mode": "expired", "count": 1})
    fake.call("drop")
    # while the socket is down nothing is delivered: 4 leave, 6 join
    for i in range(1, 5):
        fake.leave(str(i), deliver=False)
    for i in range(11, 17):
        fake.join(str(i), "Switzerland - Delegate %d" % i, deliver=False)
    L.wait_for(lambda: fake.get_status()["ws_connections"] >= 2, 20, "the reconnection")
    L.wait_for(lambda: counts(out) == (12, 12, 0), 30,
               "the true counts (12) after the reconcile that follows the reconnection")
    s = fake.get_status()
    codes = [r["code"] for r in s["requests"] if r["path"].endswith("/participants")]
    if codes[first:first + 3] != [429, 401, 200]:
        L.fail("after the reconnection: expected 429, 401, 200, got %s" % codes[first:])
    if s["tokens"] < 2:
        L.fail("the expired token was not renewed (%d tokens)" % s["tokens"])
    t429 = [r["time"] for r in s["requests"] if r.get("code") == 429][0]
    t401 = [r["time"] for r in s["requests"] if r.get("code") == 401][0]
    if t401 - t429 < 0.9:
        L.fail("Retry-After 1 not honoured: asked again after %.2f s" % (t401 - t429))
    text = metrics(mport)
    for want in ('endpoint="participants",code="429"} 1', 'endpoint="participants",code="401"} 1'):
        if want not in text:
            L.fail("metrics lack %r" % want)
    m = meeting(out)
    sw = [x for x in m["delegations"] if x["name"] == "Switzerland"][0]
    if sw["participants"] != 12 or m["reconcile"]["opened"] != 6 or m["reconcile"]["closed"] != 4:
        L.fail("expected Switzerland 12, opened 6, closed 4: %s" % m)
    if L.stop(p) != 0:
        L.fail("watch exited %d" % p.returncode)
    L.stop(fake.p)
    for line in open(log):
        if "csecret-1" in line or "tok-" in line:
            L.fail("a secret or token appears in the watch log: %s" % line)
    live = L.last_json_line(out)
    # feed (the drop) is measured by the live sources, not recorded: a replay
    # cannot know it; everything else must agree
    if not any(a["rule"] == "feed" for a in live["alerts"]):
        L.fail("the drop raised no feed alert")
    if not any(a["rule"] == "drift" and a["value"] == 10 for a in live["alerts"]):
        L.fail("a reconcile correcting 10 sessions raised no drift alert: %s" % live["alerts"])
    live["alerts"] = [a for a in live["alerts"] if a["rule"] not in ("feed", "lag")]
    for a in live["alerts"]:  # fired at the live clock, which a 1 s tick moves on
        a["starts_at"] = "*"
        a["ends_at"] = "*" if a["ends_at"] else None
    L.compare_snapshots(jsoncmp, d, live, L.replay_snapshot(capmon, rec), "lost-events")
    L.log("ok: lost events: 10 in, drop, 4 left and 6 joined unseen, reconcile: 12; "
          "429 waited, expired token renewed; replay agrees")


def racing(capmon, jsoncmp, d):
    # a uuid Zoom wants double-encoded in paths (it begins with "/", has "//")
    fake = Fake(d, "race", uuid="/race//Uu1+x==")
    for i in range(1, 6):
        fake.join(str(i), "France - Racer %d" % i, deliver=False)
    fake.call("hold", {"on": True})  # the first list waits once taken
    p, out, log = watch(capmon, d, "race", fake, ["--meeting", MEETING])
    L.wait_for(lambda: (fake.get_status() or {}).get("held", 0) >= 1 and
               fake.get_status()["ws_connections"] >= 1, 15,
               "a list request held and the subscription up")
    time.sleep(0.2)  # the list was taken: what follows happens during the fetch
    fake.join("6", "France - Racer 6")  # after the fetch began: not in the list
    fake.leave("1")  # after the fetch began: still in the list
    L.wait_for(lambda: counts(out) == (1, 1, 0) or counts(out) == (2, 2, 0), 15,
               "the join and leave delivered during the fetch")
    fake.call("hold", {"on": False})
    L.wait_for(lambda: reconciles(out) >= 1, 15, "the reconcile to be applied")
    time.sleep(0.3)
    c = counts(out)
    if c != (5, 5, 0):  # 2..5 from the list, 6 from its join; 1 left
        L.fail("racing: expected 5 in (2..6), got %s: %s" % (c, meeting(out)))
    lists = [r["path"] for r in fake.get_status()["requests"] if r["path"].endswith("/participants")]
    if not lists or "/%252Frace%252F%252FUu1%252Bx%253D%253D/" not in lists[0]:
        L.fail("the uuid was not double-encoded in the list's path: %s" % lists[:1])
    if L.stop(p) != 0:
        L.fail("watch exited %d" % p.returncode)
    L.stop(fake.p)
    L.log("ok: racing: a join and a leave during the fetch are kept (5 in); the uuid "
          "/race//Uu1+x== double-encoded")


def errors(capmon, d):
    fake = Fake(d, "err")
    fake.join("1", "Chile - Ana Diaz", deliver=False)
    fake.call("fail", {"mode": "malformed", "count": 1})
    mport = L.free_port()
    p, out, log = watch(capmon, d, "err", fake,
                        ["--meeting", MEETING, "--reconcile-interval", "1", "--metrics",
                         ":%d" % mport])
    L.wait_for(lambda: counts(out) == (1, 1, 0), 20, "the list read after a malformed page")
    logtext = open(log).read()
    if "malformed page" not in logtext:
        L.fail("no log line for the malformed page:\n" + logtext)
    fake.call("fail", {"mode": "disabled", "count": 1000})
    L.wait_for(lambda: "reconciling is off" in text_of(log), 15, "reconciling turned off")
    n = fake.get_status()["list_requests"]
    text = metrics(mport)
    if 'capmon_zoom_api_disabled{reason="This API is only available' not in text or \
            'endpoint="participants",code="400"} 1' not in text:
        L.fail("metrics do not show the Dashboard as off:\n" + text)
    time.sleep(2.5)  # two more intervals: nothing more is asked
    if fake.get_status()["list_requests"] != n:
        L.fail("requests were sent after Zoom said the Dashboard is off")
    if L.stop(p) != 0:
        L.fail("watch exited %d" % p.returncode)
    L.stop(fake.p)
    L.log("ok: errors: a malformed page applied nothing; a disabled Dashboard turns it off")


def limits(capmon, d):
    """5xx and 404 are retried (backoff; the next interval); the daily budget stops it."""
    fake = Fake(d, "lim", ws=False)
    fake.join("1", "Peru - Rosa Quispe", deliver=False)
    fake.call("fail", {"mode": "500", "count": 2})
    fake.call("fail", {"mode": "404", "count": 1})
    os.environ["CAPMON_ZOOM_API_DAILY_BUDGET"] = "7"
    try:
        p, out, log = watch(capmon, d, "lim", fake, ["--meeting", MEETING, "--reconcile-interval",
                                                      "1"])
    finally:
        del os.environ["CAPMON_ZOOM_API_DAILY_BUDGET"]
    L.wait_for(lambda: "budget spent" in text_of(log), 30, "the daily budget to be spent")
    codes = [r["code"] for r in fake.get_status()["requests"]]
    # the meeting's details, then the list: 500, 500 (backoff), 404 (next interval), 200s
    if codes[:5] != [200, 500, 500, 404, 200] or len(codes) != 7:
        L.fail("expected 7 requests (200 500 500 404 200 ...), got %s" % codes)
    if counts(out) != (1, 1, 0):
        L.fail("the list was not applied after the errors: %s" % (counts(out),))
    time.sleep(2.5)
    if len(fake.get_status()["requests"]) != 7:
        L.fail("requests were sent past the daily budget")
    text = open(log).read()
    for want in ("network error: HTTP 500", "not found: HTTP 404"):
        if want not in text:
            L.fail("log lacks %r:\n%s" % (want, text))
    if L.stop(p) != 0:
        L.fail("watch exited %d" % p.returncode)
    L.stop(fake.p)
    L.log("ok: limits: 500s retried, 404 at the next interval, the budget of 7 requests kept")


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    d = L.workdir()
    mid_sitting(capmon, jsoncmp, d)
    lost_events(capmon, jsoncmp, d)
    racing(capmon, jsoncmp, d)
    errors(capmon, d)
    limits(capmon, d)


if __name__ == "__main__":
    main()
