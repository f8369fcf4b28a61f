"""live: a relay source that cannot work raises `feed` on the wall clock and
says why (issue 11 items 4, 7, 8; issue 15 item 3). `capmon watch --json` against:
1. a peer that accepts TCP and never answers the upgrade: `feed` within the
   configured silence limit (5 s), then the attempt is closed after 10 s with
   "no answer from the relay within 10 s";
2. no relay (a closed port): "connection refused", `feed` at once;
3. a real relay and a wrong token: "token refused by relay (HTTP 401)", `feed`,
   and a slow retry (60 s): one attempt only in 5 s;
4. a WebSocket peer (python3-websockets) that accepts and closes at once, with
   control characters and bidi controls in its close reasons, a `feed` frame's
   reason and a non-JSON message: the reconnection delay grows (a handful of
   connections in 14 s, not 28), `feed` is one instance for the whole outage,
   the --json line stays short, and the log has no ESC, BEL nor bidi control.
usage: live_feed_errors.py CAPMON"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

CLOSER = r'''
import asyncio, json, sys, websockets
status = sys.argv[2]
n = 0
async def handler(ws, path=None):
    global n
    n += 1
    with open(status + ".tmp", "w") as f:
        json.dump({"connections": n}, f)
    import os
    os.replace(status + ".tmp", status)
    if n == 1:
        await ws.send(json.dumps({"feed": {"ok": False,
                                           "reason": "disk\x1b]0;pwned\x07 \u202egone"}}))
        await ws.send("\x1b[31mnot json")
        await ws.close(code=1000, reason="bye\x1b[2J\u2066x\u200f")
    else:
        await ws.close(code=1000, reason="again\x1b[31m\u202a")
async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1])):
        await asyncio.Future()
asyncio.run(main())
'''


def feed_alerts(path, spec):
    snap = L.last_json_line(path) or {}
    return [a for a in snap.get("alerts", []) if a["rule"] == "feed" and a["delegation"] == spec]


def firing(path, spec):
    return any(a["status"] == "firing" for a in feed_alerts(path, spec))


def text(path):
    try:
        return open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return ""


def watch(capmon, d, name, spec, env=None, extra=()):
    out, logp = os.path.join(d, name + ".out"), os.path.join(d, name + ".log")
    p = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log", logp] + list(extra) +
                [spec], env=env, stdout=open(out, "wb"))
    return p, out, logp


def silent_peer(capmon, d):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    cfg = os.path.join(d, "silence5.json")
    with open(cfg, "w") as f:
        json.dump({"rules": {"feed": {"silence": 5}}}, f)
    spec = "ws://127.0.0.1:%d/events" % port
    started = time.monotonic()
    p, out, logp = watch(capmon, d, "silent", spec, extra=["--config", cfg])
    L.wait_for(lambda: firing(out, spec), 30, "feed for a peer that never answers")
    took = time.monotonic() - started
    L.log("silent peer: feed after %.1f s (limit 5 s)" % took)
    a = feed_alerts(out, spec)[0]
    if a["threshold"] != 5 or a["value"] < 5:
        L.fail("feed should say 5 s of silence against 5: %s" % a)
    if "not connected after" not in text(logp):
        L.fail("no log line for the silent peer: %r" % text(logp))
    L.wait_for(lambda: "no answer from the relay within 10 s" in text(logp), 30,
               "the attempt to be closed after 10 s")
    if L.stop(p) != 0:
        L.fail("watch exited %d" % p.returncode)
    srv.close()
    L.log("ok - a peer that accepts and never answers raises feed and is given up after 10 s")


def no_relay(capmon, d):
    spec = "ws://127.0.0.1:%d/events" % L.free_port()
    p, out, logp = watch(capmon, d, "norelay", spec)
    L.wait_for(lambda: firing(out, spec), 10, "feed without a relay")
    L.wait_for(lambda: "connection failed: connection refused" in text(logp), 10,
               "the reason in words")
    L.stop(p)
    L.log("ok - no relay: feed, and 'connection refused' in the log")


def wrong_token(capmon, d):
    port = L.free_port()
    relay = L.start_relay(capmon, port, os.path.join(d, "relay.jsonl"), os.path.join(d, "r.err"))
    spec = "ws://127.0.0.1:%d/events" % port
    p, out, logp = watch(capmon, d, "token", spec, env={"CAPMON_TOKEN": "not-the-token"})
    L.wait_for(lambda: firing(out, spec), 10, "feed with a refused token")
    L.wait_for(lambda: "token refused by relay (HTTP 401)" in text(logp), 10, "the reason")
    if "reconnecting in 60.0 s" not in text(logp):
        L.fail("a refused token should be retried after 60 s: %r" % text(logp))
    time.sleep(5)  # an absence: no second attempt within the slow retry
    tries = text(logp).count("connection failed")
    if tries != 1:
        L.fail("%d attempts in 5 s with a refused token, expected 1" % tries)
    L.stop(p)
    L.stop(relay)
    L.log("ok - a refused token: feed, the reason in words, a 60 s retry")


def closer(capmon, d):
    port = L.free_port()
    st = os.path.join(d, "closer.json")
    script = os.path.join(d, "closer.py")
    with open(script, "w") as f:
        f.write(CLOSER)
    srv = L.spawn(["/usr/bin/python3", script, str(port), st],
                  stderr=open(os.path.join(d, "closer.err"), "wb"))
    L.wait_for(lambda: L.healthz(port) is None and _listening(port), 10, "the closing peer")
    spec = "ws://127.0.0.1:%d/events" % port
    p, out, logp = watch(capmon, d, "closer", spec)
    time.sleep(14)  # the storm runs: how many connections does it make?
    conns = json.load(open(st))["connections"]
    feed = feed_alerts(out, spec)
    longest = max(len(line) for line in open(out, "rb").read().splitlines())
    L.stop(p)
    L.stop(srv)
    L.log("closing peer: %d connections in 14 s, %d feed instance(s), longest --json line %d "
          "bytes" % (conns, len(feed), longest))
    if conns > 8:  # 0.5 s, 1, 2, 4, 8 (+-25 %): 6; every 0.5 s: 28
        L.fail("%d connections in 14 s: the backoff does not grow" % conns)
    if conns < 3:
        L.fail("only %d connections: the source gave up" % conns)
    if len(feed) != 1 or feed[0]["status"] != "firing":
        L.fail("expected one firing feed instance for the outage, got %s" % feed)
    if longest > 2000:
        L.fail("the --json line grew to %d bytes" % longest)
    raw = open(logp, "rb").read()
    for bad, what in ((b"\x1b", "ESC"), (b"\x07", "BEL"), ("\u202e".encode(), "U+202E"),
                      ("\u2066".encode(), "U+2066"), ("\u202a".encode(), "U+202A"),
                      ("\u200f".encode(), "U+200F")):
        if bad in raw:
            L.fail("%s from the network reached the log: %r" % (what, raw[:2000]))
    log = raw.decode()
    for want in ("closed by the relay: bye", "cannot reach its store (disk", "invalid message"):
        if want not in log:
            L.fail("missing %r in the log: %r" % (want, log[:2000]))
    L.log("ok - a peer that accepts and closes: backoff grows, one feed instance, clean log")


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    no_relay(capmon, d)
    wrong_token(capmon, d)
    closer(capmon, d)
    silent_peer(capmon, d)
    shutil.rmtree(d, ignore_errors=True)
    L.log("PASS")


if __name__ == "__main__":
    main()
