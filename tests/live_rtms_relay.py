"""live: an RTMS stream followed by the relay that drops reaches the monitors
subscribed to the relay as `feed` (issue 14 item 1), against tests/fake_rtms.py.

1. relay + fake RTMS + `capmon watch --json ws://…/events` + python3-websockets
   subscribers (an independent peer: Debian's websockets, not capmon's client),
   one unfiltered, one with the stream's meeting=ID, one with another meeting:
   - while the stream is up, nobody is told anything about it;
   - the fake drops the signaling socket and refuses new ones: the watch shows
     `feed` firing for `rtms <meeting uuid> (relay)`, and the subscribers get
     exactly {"feed":{"ok":false,"source":"rtms <uuid>","reason":"RTMS stream
     dropped; reconnecting"}} (not the other meeting's subscriber);
   - a second watch and a subscriber that connect while it is down are told at
     once (the current state);
   - the fake lets the relay in again: the relay subscribes again, the watches
     resolve the alert, the subscribers get exactly {"feed":{"ok":true,
     "source":…}} once; meeting.rtms_stopped then sends nothing more; one log
     line per change in the watches' logs;
   - a dashboard (tmux) on the relay says `RTMS video down` in its header while
     it is down, and no more once it is back.
2. a scripted relay (python3-websockets) sends hostile feed frames: control and
   bidi characters in the source and reason (sanitised in the alert and the
   log), ok:true for an unknown source (harmless: no alert, no log line), a
   repeated down (one log line); a new connection that does not repeat a
   source's down resolves it after 2 s while one it repeats stays firing.
usage: live_rtms_relay.py CAPMON"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402
import live_rtms as R  # noqa: E402

MEETING_ID = "8123456789"
SOURCE = "rtms %s" % R.MEETING
SUBJECT = SOURCE + " (relay)"
DOWN = {"feed": {"ok": False, "source": SOURCE, "reason": "RTMS stream dropped; reconnecting"}}
UP = {"feed": {"ok": True, "source": SOURCE}}


def rtms_started(port):
    urls = "ws://127.0.0.1:%d/sig1" % port
    return json.dumps({"event": "meeting.rtms_started", "event_ts": L.now_ms(),
                       "payload": {"meeting_uuid": R.MEETING, "meeting_id": int(MEETING_ID),
                                   "operator_id": "op-1", "rtms_stream_id": R.STREAM,
                                   "server_urls": urls}}).encode()


def alerts(out, subject):
    snap = L.last_json_line(out) or {}
    return [a for a in snap.get("alerts", []) if a["rule"] == "feed" and
            a["delegation"] == subject]


def status_is(out, subject, st):
    a = alerts(out, subject)
    return bool(a) and a[-1]["status"] == st


def meeting_of(record):
    try:
        return record["body"]["payload"]["object"]["id"]
    except (KeyError, TypeError):
        return None


def feeds(sub):
    return [c for c in sub.controls() if "feed" in c]


def text(path):
    try:
        return open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return ""


def watch(capmon, d, name, url):
    out, logp = os.path.join(d, name + ".out"), os.path.join(d, name + ".log")
    p = L.spawn([capmon, "watch", "--json", "--interval", "0.1", "--log", logp, url],
                env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"),
                stderr=open(out + ".err", "ab"))
    return p, out, logp


def relay_part(capmon, d):
    fake, port, cport, st = R.start_fake(d, "fake")
    rp = L.free_port()
    rerr = os.path.join(d, "relay.err")
    relay = L.spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % rp, "--log",
                     os.path.join(d, "relay.jsonl")],
                    env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN,
                         "CAPMON_RTMS_CLIENT_ID": R.CID, "CAPMON_RTMS_CLIENT_SECRET": R.CSECRET},
                    stderr=open(rerr, "ab"))
    L.wait_for(lambda: L.healthz(rp), 20, "the relay")
    url = "ws://127.0.0.1:%d/events" % rp
    wa, outa, loga = watch(capmon, d, "watch-a", url)
    subs = {"all": L.Subscriber(url).start(20),
            "mine": L.Subscriber(url + "?meeting=" + MEETING_ID).start(20),
            "other": L.Subscriber(url + "?meeting=999").start(20)}
    for k, s in subs.items():
        if not s.connected.is_set():
            L.fail("subscriber %s did not connect: %r" % (k, s.error))
    L.wait_for(lambda: "connected" in text(loga), 30, "watch a to connect to the relay")
    R.post(rp, rtms_started(port))
    L.wait_for(lambda: R.subscribed(st, 0), 30, "the relay to subscribe to the stream")
    L.wait_for(lambda: "RTMS %s: subscribed" % R.MEETING in text(rerr), 30,
               "the relay to say it subscribed")
    L.wait_for(lambda: L.last_json_line(outa), 30, "watch a's first snapshot")
    if alerts(outa, SUBJECT) or any(feeds(s) for s in subs.values()):
        L.fail("told of a stream that never went down: %s %s"
               % (alerts(outa, SUBJECT), {k: feeds(s) for k, s in subs.items()}))

    dash = R.Tmux(capmon, ["watch", url], {"CAPMON_TOKEN": L.TOKEN}) \
        if shutil.which("tmux") else None
    if dash:
        L.wait_for(lambda: "connected" in dash.screen(), 30, "the dashboard to connect")

    # the socket drops and the fake refuses new ones: the stream stays down
    R.control(cport, {"op": "drop", "hold": True})
    L.wait_for(lambda: status_is(outa, SUBJECT, "firing"), 30, "watch a: feed firing for " + SUBJECT)
    subs["all"].wait(lambda s: feeds(s), 30, "the down frame (unfiltered subscriber)")
    subs["mine"].wait(lambda s: feeds(s), 30, "the down frame (meeting=%s)" % MEETING_ID)
    for k in ("all", "mine"):
        if feeds(subs[k]) != [DOWN]:
            L.fail("subscriber %s got %s, not [%s]" % (k, feeds(subs[k]), DOWN))
    L.wait_for(lambda: R.status(st)["held"] >= 1, 30, "the relay to try again (refused)")
    if dash:
        L.wait_for(lambda: "RTMS video down" in dash.screen(), 30,
                   "the dashboard's header to say RTMS video down")

    # connecting while it is down: told at once
    wb, outb, logb = watch(capmon, d, "watch-b", url)
    late = L.Subscriber(url).start(20)
    L.wait_for(lambda: status_is(outb, SUBJECT, "firing"), 30,
               "watch b (connected while down): feed firing")
    late.wait(lambda s: feeds(s), 30, "the down frame (subscriber connected while down)")
    if feeds(late) != [DOWN]:
        L.fail("the late subscriber got %s, not [%s]" % (feeds(late), DOWN))

    # back: resolved everywhere
    n_sig = len(R.status(st)["signaling"])
    R.control(cport, {"op": "release"})
    L.wait_for(lambda: len([r for r in R.status(st)["signaling"] if r.get("status") == 0
                            and r["subscribed"]]) >= 2, 60,
               "the relay to reconnect and subscribe again")
    for name, out in (("a", outa), ("b", outb)):
        L.wait_for(lambda: status_is(out, SUBJECT, "resolved"), 30,
                   "watch %s: feed resolved" % name)
    if dash:
        L.wait_for(lambda: "RTMS video down" not in dash.screen() and
                   "connected" in dash.screen(), 30, "the dashboard's header: connected again")
        dash.stop()
    for k, s in (("all", subs["all"]), ("mine", subs["mine"]), ("late", late)):
        s.wait(lambda s: len(feeds(s)) >= 2, 30, "the up frame (%s)" % k)
        if feeds(s) != [DOWN, UP]:
            L.fail("subscriber %s got %s, not [%s, %s]" % (k, feeds(s), DOWN, UP))

    # rtms_stopped: done, nothing more to say; a new subscriber hears nothing
    stop = json.dumps({"event": "meeting.rtms_stopped", "event_ts": L.now_ms(),
                       "payload": {"meeting_uuid": R.MEETING, "rtms_stream_id": R.STREAM,
                                   "stop_reason": 6}}).encode()
    R.post(rp, stop)
    L.wait_for(lambda: "rtms_stopped (stop reason 6)" in text(rerr), 30, "the stream to stop")
    after = L.Subscriber(url).start(20)
    # records posted after the stop: once each subscriber has the last one it
    # may see, anything said about the stream would have come before it
    R.post(rp, L.meeting_body("join", "16778240", MEETING_ID, uuid=R.MEETING))
    R.post(rp, L.meeting_body("join", "16778241", "999"))
    for k, s in list(subs.items()) + [("late", late), ("after", after)]:
        last = MEETING_ID if k == "mine" else "999"
        s.wait(lambda s: last in [meeting_of(r) for r in s.records()], 30,
               "the last join record (%s)" % k)
    want = {"all": [DOWN, UP], "mine": [DOWN, UP], "other": [], "late": [DOWN, UP], "after": []}
    got = {k: feeds(s) for k, s in list(subs.items()) + [("late", late), ("after", after)]}
    if got != want:
        L.fail("feed frames: %s, want %s" % (got, want))
    if n_sig < 1:
        L.fail("no signaling connection recorded before the release")

    for name, logp, out in (("a", loga, outa), ("b", logb, outb)):
        lines = [x for x in text(logp).splitlines() if SUBJECT in x]
        downs = [x for x in lines if "down (RTMS stream dropped; reconnecting)" in x]
        ups = [x for x in lines if x.endswith(SUBJECT + ": live again")]
        if len(downs) != 1 or len(ups) != 1 or len(lines) != 2:
            L.fail("watch %s: log lines for %s: %s" % (name, SUBJECT, lines))
        if len(alerts(out, SUBJECT)) != 1:
            L.fail("watch %s: one outage should be one instance: %s"
                   % (name, alerts(out, SUBJECT)))
    for s in list(subs.values()) + [late, after]:
        s.stop()
    for p in (wa, wb):
        if L.stop(p) != 0:
            L.fail("a watch exited %d" % p.returncode)
    L.stop(relay)
    L.stop(fake)
    L.log("ok: relay: an RTMS stream's drop and return reach every subscriber "
          "(watch a, watch b connected while down, python3-websockets), filtered by meeting")


SCRIPTED = r'''
import asyncio, json, os, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
n = 0
def feed(ok, source, reason=None):
    f = {"ok": ok, "source": source}
    if reason is not None:
        f["reason"] = reason
    return json.dumps({"feed": f})
async def handler(ws, path=None):
    global n
    n += 1
    open(os.path.join(d, "conn%d" % n), "w").close()
    if n == 1:
        await ws.send(feed(True, "rtms never-down=="))
        await ws.send(feed(False, "rtms evil\x1b]0;pwned\x07\u202e==", "gone\x1b[2J\u2066"))
        await ws.send(feed(False, "rtms keep==", "x"))
        await ws.send(feed(False, "rtms keep==", "x"))
        while not os.path.exists(os.path.join(d, "close1")):
            await asyncio.sleep(0.05)
        await ws.close(1000, "bye")
        return
    await ws.send(feed(False, "rtms keep==", "still"))
    while not os.path.exists(os.path.join(d, "up2")):
        await asyncio.sleep(0.05)
    await ws.send(feed(True, "rtms keep=="))
    await asyncio.Future()
async def main():
    import websockets
    async with websockets.serve(handler, "127.0.0.1", port):
        await asyncio.Future()
asyncio.run(main())
'''


def scripted_part(capmon, d):
    sd = os.path.join(d, "scripted")
    os.makedirs(sd)
    port = L.free_port()
    srv = L.spawn(["/usr/bin/python3", "-c", SCRIPTED, str(port), sd],
                  stderr=open(os.path.join(d, "scripted.err"), "wb"))
    url = "ws://127.0.0.1:%d/events" % port
    L.wait_for(lambda: _listening(port), 20, "the scripted relay")
    w, out, logp = watch(capmon, d, "watch-s", url)
    evil = "rtms evil]0;pwned== (relay)"  # ESC, BEL and U+202E removed
    keep = "rtms keep== (relay)"
    L.wait_for(lambda: status_is(out, evil, "firing") and status_is(out, keep, "firing"), 30,
               "feed firing for both sources of the scripted relay")
    snap = L.last_json_line(out)
    subjects = {a["delegation"] for a in snap["alerts"] if a["rule"] == "feed"}
    if any("never-down" in s for s in subjects):
        L.fail("ok:true for an unknown source raised something: %s" % subjects)
    open(os.path.join(sd, "close1"), "w").close()
    L.wait_for(lambda: os.path.exists(os.path.join(sd, "conn2")), 60, "the watch to reconnect")
    L.wait_for(lambda: status_is(out, evil, "resolved") and status_is(out, keep, "firing"), 30,
               "the source not repeated on the new connection resolved, the repeated one firing")
    open(os.path.join(sd, "up2"), "w").close()
    L.wait_for(lambda: status_is(out, keep, "resolved"), 30, "ok:true resolves it")
    if L.stop(w) != 0:
        L.fail("the watch exited %d" % w.returncode)
    L.stop(srv)
    log = text(logp)
    for bad in ("\x1b", "\x07", "\u202e", "\u2066"):
        if bad in log:
            L.fail("the watch log holds %r: %r" % (bad, log))
    if "never-down" in log:
        L.fail("ok:true for an unknown source was logged")
    # keep: down once (said again on the same and on the new connection: no
    # line), then live again with ok:true
    kl = [x for x in log.splitlines() if keep in x]
    if len(kl) != 2 or not kl[0].endswith(keep + ": down (x)") or \
            not kl[1].endswith(keep + ": live again"):
        L.fail("log lines for %s: %s" % (keep, kl))
    el = [x for x in log.splitlines() if evil in x]
    if len(el) != 2 or not el[0].endswith(": down (gone[2J)") or \
            not el[1].endswith(": not down at the relay any more"):
        L.fail("log lines for %s: %s" % (evil, el))
    L.log("ok: scripted relay: sanitised, an unknown ok:true is harmless, a new connection "
          "resolves what it does not repeat")


def _listening(port):
    import socket
    s = socket.socket()
    try:
        s.settimeout(1)
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    relay_part(capmon, d)
    scripted_part(capmon, d)
    L.check_no_sanitizer_report(*[os.path.join(d, f) for f in os.listdir(d)
                                  if f.endswith(".err")])
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
