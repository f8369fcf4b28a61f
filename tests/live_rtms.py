"""live: camera counting with Zoom RTMS against a fake RTMS server
(tests/fake_rtms.py, written from Zoom's documentation).

1. The fake drops a client that does not answer keep-alives (a silent Python
   client shows it), and never drops capmon.
2. `watch webhook://`: a signed meeting.rtms_started (server_urls a comma list
   of ws:// addresses) makes capmon connect, sign the handshake, open the video
   media socket in single-participant mode without asking for video, send
   CLIENT_READY_ACK, subscribe to 3, 4, 8, 9; cameras (numeric and string user
   ids) are counted, equal to the fake's truth in `watch --json`; a camera event
   that beats its join webhook waits for it; a dropped signaling socket
   reconnects (feed raised for the rtms source, then resolved); TERMINATED ends
   the stream without reconnecting; the replay of watch's --record gives the
   same counts.
3. The relay, with a wrong client secret: the handshake is refused (status 3),
   said clearly, and not retried. With the right one, and a fake that sends
   the cameras already on at subscription: the whole picture (video_since
   null); a monitor on the relay (--json, and the dashboard under tmux) and a
   replay of the relay's log agree; meeting.rtms_stopped ends the stream.
4. `watch zoom`: an rtms_started delivered by the Zoom WebSocket event
   subscription (tests/fake_zoom.py --extra) starts the stream too.
usage: live_rtms.py CAPMON"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

import asyncio  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import websockets  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CID, CSECRET = "rtms-cid", "rtms-secret"
MEETING, STREAM = "mtg-uuid-1==", "stream-0001"
PEOPLE = {"16778240": "France - Ana Dupont", "33556610": "Spain - Bea Ruiz",
          "u-abc": "Germany - Carl Weber", "16779264": "Italy - Dino Rossi"}


def status(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def start_fake(d, name, extra=()):
    port, cport = L.free_port(), L.free_port()
    st = os.path.join(d, name + ".json")
    p = L.spawn(["/usr/bin/python3", os.path.join(HERE, "fake_rtms.py"), "--port", str(port),
                 "--control-port", str(cport), "--status", st, "--keepalive", "0.3"] +
                list(extra), stderr=open(os.path.join(d, name + ".err"), "wb"))
    L.wait_for(lambda: status(st), 10, "the fake RTMS server to start")
    return p, port, cport, st


def control(cport, cmd):
    req = urllib.request.Request("http://127.0.0.1:%d/cmd" % cport,
                                 data=json.dumps(cmd).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def rtms_started(port):
    urls = "ws://127.0.0.1:%d/sig1,ws://127.0.0.1:%d/sig2" % (port, port)
    return json.dumps({"event": "meeting.rtms_started", "event_ts": L.now_ms(),
                       "payload": {"meeting_uuid": MEETING, "operator_id": "op-1",
                                   "rtms_stream_id": STREAM, "server_urls": urls}}).encode()


def join(uid, ts=None):
    return L.join_body(uid, ts=ts, meeting=MEETING, name=PEOPLE[uid])


def post(port, body):
    code = L.post_signed(port, body)
    if code != 200:
        L.fail("POST answered %d" % code)


def subscribed(st, n):
    """The n-th accepted signaling connection has subscribed (0-based)."""
    s = status(st)
    ok = [r for r in (s or {}).get("signaling", []) if r.get("status") == 0 and r["subscribed"]]
    return len(ok) > n and ok[n]


def meeting(snap):
    ms = [m for m in (snap or {}).get("meetings", []) if m["uuid"] == MEETING]
    return ms[0] if ms else None


def video_is(out, n, since_null=None):
    m = meeting(L.last_json_line(out))
    if not m or m["video_on"] != n or m["video_source"] != "rtms":
        return False
    return since_null is None or (m["video_since"] is None) == since_null


class Tmux:
    """The dashboard of a `capmon watch` in a real terminal (tmux), or None."""
    def __init__(self, capmon, args, env):
        self.sock = "capmon-rtms-%d" % os.getpid()
        envs = " ".join("%s='%s'" % kv for kv in env.items())
        cmd = "env LANG=C.UTF-8 TERM=screen %s '%s' %s; sleep 60" % (
            envs, capmon, " ".join("'%s'" % a for a in args))
        self.t(["new-session", "-d", "-s", "cap", "-x", "120", "-y", "40", cmd])

    def t(self, argv):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] + argv,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)

    def screen(self):
        return self.t(["capture-pane", "-p", "-t", "cap"]).stdout.decode("utf-8", "replace")

    def stop(self):
        self.t(["send-keys", "-t", "cap", "q"])
        self.t(["kill-server"])


def silent_client(port):
    """Handshake properly, then never answer a keep-alive: the fake must drop it."""
    async def run():
        sig = hmac.new(CSECRET.encode(), ("%s,%s,%s" % (CID, "silent==", "s-silent")).encode(),
                       hashlib.sha256).hexdigest()
        async with websockets.connect("ws://127.0.0.1:%d/sig-silent" % port) as ws:
            await ws.send(json.dumps({"msg_type": 1, "protocol_version": 1, "sequence": 1,
                                      "meeting_uuid": "silent==", "rtms_stream_id": "s-silent",
                                      "signature": sig}))
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            except websockets.ConnectionClosed:
                return True
            except asyncio.TimeoutError:
                return False
    return asyncio.new_event_loop().run_until_complete(run())


def watch_part(capmon, d):
    fake, port, cport, st = start_fake(d, "fake1")
    if not silent_client(port):
        L.fail("the fake did not drop a client that does not answer keep-alives")
    s = status(st)
    if not [r for r in s["signaling"] if r["dropped_for_keepalive"]]:
        L.fail("the fake did not record dropping the silent client: %s" % s["signaling"])
    hp = L.free_port()
    out, wlog, rec = (os.path.join(d, n) for n in ("watch.out", "watch.log", "watch.rec"))
    env = {"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_RTMS_CLIENT_ID": CID,
           "CAPMON_RTMS_CLIENT_SECRET": CSECRET}
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.1", "--log", wlog, "--record",
                     rec, "webhook://127.0.0.1:%d" % hp], env=env, stdout=open(out, "wb"),
                    stderr=open(out + ".err", "ab"))
    L.wait_for(lambda: L.healthz(hp), 10, "the webhook receiver")
    for uid in ("16778240", "u-abc", "16779264"):
        post(hp, join(uid))
    post(hp, rtms_started(port))
    first = L.wait_for(lambda: subscribed(st, 0), 15, "capmon to handshake and subscribe")
    events = sorted(e["event_type"] for e in first["subscribed"] if e.get("subscribe"))
    if events != [3, 4, 8, 9]:
        L.fail("subscribed to %s, not [3, 4, 8, 9]" % events)
    hs = first["handshake"]
    want = hmac.new(CSECRET.encode(), ("%s,%s,%s" % (CID, MEETING, STREAM)).encode(),
                    hashlib.sha256).hexdigest()
    if hs["signature"] != want or hs["meeting_uuid"] != MEETING or hs["rtms_stream_id"] != STREAM:
        L.fail("bad signaling handshake: %s" % hs)
    if first["path"] != "/sig1":
        L.fail("the first address of server_urls was not used: %s" % first["path"])
    s = L.wait_for(lambda: (lambda s: s["client_ready"] >= 1 and s["media"] and s)(status(st)),
                   10, "the media handshake and CLIENT_READY_ACK")
    mh = s["media"][0]["handshake"]
    if mh["media_params"]["video"]["data_opt"] != 4 or mh["media_type"] != 2:
        L.fail("media handshake not video in single-participant mode: %s" % mh)
    L.wait_for(lambda: (meeting(L.last_json_line(out)) or {}).get("video_on") == 0, 10,
               "video known (0 on) once subscribed")

    # cameras: a numeric id, a string id
    control(cport, {"op": "video", "on": ["16778240", "u-abc"]})
    L.wait_for(lambda: video_is(out, 2, since_null=False), 10, "2 cameras on, video known since")
    # a camera event before its join webhook: it waits for the join
    control(cport, {"op": "video", "on": ["33556610"]})
    time.sleep(0.3)  # let the event arrive first (the point of this step)
    post(hp, join("33556610", ts=L.now_ms() - 200))
    L.wait_for(lambda: video_is(out, 3), 10, "3 cameras on (the early one applied at its join)")

    # keep-alives answered on both sockets, never dropped
    L.wait_for(lambda: (lambda r: r["ka_answered"] >= 5)(subscribed(st, 0)), 15,
               "5 keep-alives answered on signaling")
    L.wait_for(lambda: status(st)["media"][0]["ka_answered"] >= 3, 15,
               "3 keep-alives answered on the media socket")

    # a dropped signaling socket reconnects
    control(cport, {"op": "drop"})
    L.wait_for(lambda: subscribed(st, 1), 30, "capmon to reconnect and subscribe again")
    control(cport, {"op": "video", "off": ["16778240"], "on": ["16779264"]})
    L.wait_for(lambda: video_is(out, 3), 10, "3 cameras on after the reconnection")
    truth = status(st)["truth"]
    if sorted(truth) != sorted(["u-abc", "33556610", "16779264"]):
        L.fail("unexpected truth %s" % truth)

    # TERMINATED: ends without reconnecting
    n_before = len(status(st)["signaling"])
    control(cport, {"op": "terminate"})
    L.wait_for(lambda: "stream terminated" in open(wlog).read(), 10, "the stream to end")
    time.sleep(2.0)  # a window in which a reconnection (0.5 s backoff) would show
    if len(status(st)["signaling"]) != n_before:
        L.fail("capmon reconnected after TERMINATED")
    final = L.last_json_line(out)
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    L.stop(fake)

    s = status(st)
    mine = [r for r in s["signaling"] if r["path"] != "/sig-silent"]
    if any(r["dropped_for_keepalive"] for r in mine) or any(r["ka_bad"] for r in mine):
        L.fail("capmon missed or mangled a keep-alive: %s" % mine)
    if any(m["dropped_for_keepalive"] for m in s["media"]) or s["video_subscriptions"]:
        L.fail("media socket: dropped or asked for video: %s" % s["media"])
    m = meeting(final)
    if m["video_on"] != len(truth):
        L.fail("watch counts %d cameras, the truth is %d" % (m["video_on"], len(truth)))
    ds = {x["name"]: x["video_on"] for x in m["delegations"]}
    if ds != {"France": 0, "Germany": 1, "Italy": 1, "Spain": 1}:
        L.fail("video by delegation: %s" % ds)
    feed = [a for a in final["alerts"] if a["rule"] == "feed"
            and a["delegation"] == "rtms %s" % MEETING]
    if not feed or feed[-1]["status"] != "resolved":
        L.fail("no feed alert raised then resolved for the dropped RTMS socket: %s"
               % final["alerts"])
    text = open(wlog).read()
    if CSECRET in text:
        L.fail("the RTMS client secret appears in the watch log")
    rp = L.replay_snapshot(capmon, rec)
    rm = meeting(rp)
    for k in ("video_on", "peak_video_on", "video_source", "video_since", "participants"):
        if rm[k] != m[k]:
            L.fail("replay of the recording: %s %s, watch said %s" % (k, rm[k], m[k]))
    L.log("ok: watch webhook://: %d cameras, %d signaling connections, keep-alives answered"
          % (m["video_on"], len(mine)))


def relay_part(capmon, d):
    fake, port, cport, st = start_fake(
        d, "fake2", ["--snapshot", "--cameras", "16778240,u-abc",
                     "--names", ",".join("%s=%s" % kv for kv in PEOPLE.items())])
    # a wrong secret: refused, said so, not retried
    rp1 = L.free_port()
    err1 = os.path.join(d, "relay1.err")
    relay = L.spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % rp1, "--log",
                     os.path.join(d, "relay1.jsonl")],
                    env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN,
                         "CAPMON_RTMS_CLIENT_ID": CID, "CAPMON_RTMS_CLIENT_SECRET": "wrong"},
                    stderr=open(err1, "ab"))
    L.wait_for(lambda: L.healthz(rp1), 10, "relay 1")
    post(rp1, rtms_started(port))
    L.wait_for(lambda: status(st)["refused"] == 1, 10, "the fake to refuse the bad signature")
    L.wait_for(lambda: "invalid signature" in open(err1).read(), 10, "the relay to say why")
    time.sleep(1.5)  # a window in which a retry (0.5 s backoff) would show
    if len(status(st)["signaling"]) != 1:
        L.fail("the relay retried a refused handshake")
    if "wrong" in open(err1).read():
        L.fail("the secret appears in the relay's log")
    L.stop(relay)

    rp = L.free_port()
    log2 = os.path.join(d, "relay2.jsonl")
    relay = L.spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % rp, "--log", log2],
                    env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN,
                         "ZOOM_CLIENT_ID": CID, "ZOOM_CLIENT_SECRET": CSECRET},
                    stderr=open(os.path.join(d, "relay2.err"), "ab"))
    L.wait_for(lambda: L.healthz(rp), 10, "relay 2")
    out = os.path.join(d, "watch2.out")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.1", "--log",
                     os.path.join(d, "watch2.log"), "ws://127.0.0.1:%d/events" % rp],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"),
                    stderr=open(out + ".err", "ab"))
    dash = None
    if shutil.which("tmux"):
        dash = Tmux(capmon, ["watch", "ws://127.0.0.1:%d/events" % rp],
                    {"CAPMON_TOKEN": L.TOKEN})
    for uid in PEOPLE:
        post(rp, join(uid))
    post(rp, rtms_started(port))
    L.wait_for(lambda: subscribed(st, 0), 15, "the relay to subscribe (ZOOM_CLIENT_* fallback)")
    L.wait_for(lambda: video_is(out, 2, since_null=True), 15,
               "the snapshot on subscription: 2 cameras, the whole picture")
    control(cport, {"op": "video", "on": ["16779264"], "off": ["u-abc"]})
    L.wait_for(lambda: video_is(out, 2) and
               {x["name"]: x["video_on"] for x in meeting(L.last_json_line(out))["delegations"]}
               == {"France": 1, "Germany": 0, "Italy": 1, "Spain": 0}, 10,
               "the change through the relay")
    # meeting.rtms_stopped: the stream ends, its socket closes, no reconnection
    stop = json.dumps({"event": "meeting.rtms_stopped", "event_ts": L.now_ms(),
                       "payload": {"meeting_uuid": MEETING, "rtms_stream_id": STREAM,
                                   "stop_reason": 6}}).encode()
    post(rp, stop)
    L.wait_for(lambda: all(r["closed"] for r in status(st)["signaling"]), 10,
               "the signaling socket to close on rtms_stopped")
    L.wait_for(lambda: "rtms_stopped (stop reason 6)" in open(os.path.join(d, "relay2.err")).read(),
               10, "the relay to say the stream stopped")
    n = len(status(st)["signaling"])
    time.sleep(1.5)  # a window in which a reconnection (0.5 s backoff) would show
    if len(status(st)["signaling"]) != n:
        L.fail("the relay reconnected after rtms_stopped")
    final = meeting(L.last_json_line(out))
    if dash:
        def shows():
            lines = [x for x in dash.screen().splitlines() if "Video" in x]
            return any(" 2/49 videos" in x and "(rtms)" in x for x in lines) and lines
        L.wait_for(shows, 15, "the dashboard (tmux) to show 2/49 videos from rtms")
        dash.stop()
    L.stop(watch)
    L.stop(relay)
    L.stop(fake)
    rm = meeting(L.replay_snapshot(capmon, log2))
    for k in ("video_on", "peak_video_on", "video_source", "video_since"):
        if rm[k] != final[k]:
            L.fail("replay of the relay log: %s %s, the monitor said %s" % (k, rm[k], final[k]))
    srcs = {r.get("src") for r in L.log_records(log2)}
    if "rtms" not in srcs:
        L.fail("no record with src rtms in the relay log: %s" % srcs)
    L.log("ok: relay: wrong secret refused and not retried; snapshot of 2 cameras; replay agrees")


def zoom_part(capmon, d):
    """`watch zoom`: a meeting.rtms_started delivered by Zoom's WebSocket event
    subscription (tests/fake_zoom.py) starts the stream too."""
    fake, port, cport, st = start_fake(d, "fake3", ["--cameras", "16778240"])
    extra = os.path.join(d, "rtms_started.json")
    open(extra, "wb").write(rtms_started(port))
    op, wp = L.free_port(), L.free_port()
    zst = os.path.join(d, "zoom.json")
    zoom = L.spawn(["/usr/bin/python3", os.path.join(HERE, "fake_zoom.py"), "--oauth-port",
                    str(op), "--ws-port", str(wp), "--status", zst, "--events", "0",
                    "--disconnect-after", "120", "--token-life", "3600", "--extra", extra],
                   stderr=open(os.path.join(d, "zoom.err"), "wb"))
    L.wait_for(lambda: status(zst), 10, "the fake Zoom")
    out = os.path.join(d, "watch3.out")
    env = L.zoom_env(op, wp)
    env.update({"CAPMON_RTMS_CLIENT_ID": CID, "CAPMON_RTMS_CLIENT_SECRET": CSECRET})
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.1", "--reconcile-interval", "0",
                     "--log", os.path.join(d, "watch3.log"), "zoom"], env=env,
                    stdout=open(out, "wb"), stderr=open(out + ".err", "ab"))
    L.wait_for(lambda: subscribed(st, 0), 15, "the zoom source's rtms_started to subscribe")
    L.wait_for(lambda: "RTMS mtg-uuid-1==: subscribed" in open(os.path.join(d, "watch3.log")).read(),
               10, "the watch log to say so")
    if L.stop(watch) != 0:
        L.fail("watch zoom exited %d" % watch.returncode)
    L.stop(zoom)
    L.stop(fake)
    L.log("ok: watch zoom: rtms_started from the event subscription starts the stream")


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    watch_part(capmon, d)
    relay_part(capmon, d)
    zoom_part(capmon, d)
    L.check_no_sanitizer_report(*[os.path.join(d, f) for f in os.listdir(d)
                                  if f.endswith(".err")])
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
