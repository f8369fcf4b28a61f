"""live (issue 11 item 11): HTTP framing and bounds, against `capmon relay` (raw
sockets and python3-websockets as the peers) and `capmon watch ws://` (a fake
relay written here):
- a POST whose body cannot be delimited exactly is answered 400 or 411 and the
  connection closed (differing duplicate Content-Length, non-decimal lengths,
  chunked, Transfer-Encoding with Content-Length, no Content-Length); an equal
  duplicate Content-Length is fine; none of the refused reaches the log;
- `since=` longer than 63 characters is a 400 (it was skipped: the stream
  started from 0);
- a malformed gap frame (`{"gap":{}}`, no `to`, `to` < `from`) is invalid
  input, not a critical `feed` alert; a well-formed one still raises it.
usage: live_framing.py CAPMON"""
import asyncio
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402
from live_pipeline import exchange  # noqa: E402

import websockets  # noqa: E402


def post(headers, body):
    ts = int(time.time())
    return (b"POST /zoom HTTP/1.1\r\nHost: x\r\nx-zm-request-timestamp: %d\r\n"
            b"x-zm-signature: %s\r\n" % (ts, L.sign(body, ts).encode()) + headers +
            b"\r\n" + body)


def framing_cases():
    body = L.join_body(7)
    n = len(body)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (n, body)
    return [
        ("differing duplicate Content-Length",
         post(b"Content-Length: %d\r\nContent-Length: %d\r\n" % (n, n + 1), body), 400),
        ("hexadecimal Content-Length", post(b"Content-Length: 0x%x\r\n" % n, body), 400),
        ("signed Content-Length", post(b"Content-Length: +%d\r\n" % n, body), 400),
        ("negative Content-Length", post(b"Content-Length: -1\r\n", body), 400),
        ("Content-Length with trailing text", post(b"Content-Length: %dabc\r\n" % n, body), 400),
        ("chunked body", post(b"Transfer-Encoding: chunked\r\n", chunked), 411),
        ("Transfer-Encoding and Content-Length",
         post(b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % len(chunked), chunked),
         400),
        ("no Content-Length", post(b"", body), 411),
    ]


def ws_status(port, query):
    async def run():
        try:
            async with websockets.connect("ws://127.0.0.1:%d/events%s" % (port, query),
                                          extra_headers={"Authorization": "Bearer " + L.TOKEN},
                                          open_timeout=10):
                return 101
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code
    return asyncio.run(run())


def relay_checks(capmon, d):
    port = L.free_port()
    logpath = os.path.join(d, "relay.log")
    errpath = os.path.join(d, "relay.err")
    relay = L.start_relay(capmon, port, logpath, errpath)
    for name, data, want in framing_cases():
        got, closed = exchange(port, [data])
        if [st for st, _ in got] != [want] or not closed:
            L.fail("relay: %s: %s (closed: %s), expected [%d] and a close" %
                   (name, got, closed, want))
    if L.log_records(logpath):
        L.fail("relay: a refused request reached the log")
    err = open(errpath).read()
    for want in ["411 Content-Length required", "411 chunked bodies are not accepted",
                 "400 bad Content-Length", "400 both Transfer-Encoding and Content-Length"]:
        if want not in err:
            L.fail("relay log lacks %r:\n%s" % (want, err))
    # the control: equal duplicates delimit the body exactly
    body = L.join_body(8)
    got, _ = exchange(port, [post(b"Content-Length: %d\r\nContent-Length: %d\r\n"
                                  b"Connection: close\r\n" % (len(body), len(body)), body)])
    if [st for st, _ in got] != [200] or len(L.log_records(logpath)) != 1:
        L.fail("relay: equal duplicate Content-Length refused: %s" % got)
    # since=: at most 63 characters
    if ws_status(port, "?since=" + "0" * 62 + "1") != 101:
        L.fail("relay: since= of 63 characters refused")
    if ws_status(port, "?since=" + "0" * 63 + "1") != 400:
        L.fail("relay: since= of 64 characters not refused with 400")
    if ws_status(port, "?since=" + "0" * 300) != 400:
        L.fail("relay: since= of 300 characters not refused with 400")
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)
    L.check_no_sanitizer_report(errpath)
    L.log("ok: relay refuses undelimited bodies (400/411, closed) and a since= over 63")


class FakeRelay:
    """A relay stream that sends the given frames to each subscriber, then idles."""

    def __init__(self, frames):
        self.frames, self.port = frames, L.free_port()
        self.ready = threading.Event()
        threading.Thread(target=self._main, daemon=True).start()
        self.ready.wait(10)

    def _main(self):
        async def handler(ws, path=None):
            for f in self.frames:
                await ws.send(f)
            await asyncio.sleep(3600)

        async def run():
            async with websockets.serve(handler, "127.0.0.1", self.port):
                self.ready.set()
                await asyncio.Future()
        asyncio.run(run())


def watch_gap(capmon, d, frames, name):
    relay = FakeRelay(frames)
    out = os.path.join(d, name + ".out")
    w = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log",
                 os.path.join(d, name + ".log"), "ws://127.0.0.1:%d" % relay.port],
                env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"),
                stderr=open(os.path.join(d, name + ".err"), "wb"))
    j = L.wait_for(lambda: (lambda j: j if j and j["events"]["received"] >= 2 else None)(
        L.last_json_line(out)), 15, "%s: watch to take the frames" % name)
    time.sleep(0.5)  # a few more snapshots: an alert would show in them
    j = L.last_json_line(out)
    if L.stop(w) != 0:
        L.fail("%s: watch exited %d" % (name, w.returncode))
    feed = [a for a in j["alerts"] if a["rule"] == "feed" and "(gap)" in a["delegation"]]
    return j["events"], feed


def gap_checks(capmon, d):
    rec = lambda seq, uid: json.dumps(  # noqa: E731
        {"seq": seq, "recv": L.now_ms(), "src": "webhook",
         "body": json.loads(L.join_body(uid))}, separators=(",", ":"))
    bad = ['{"gap":{}}', '{"gap":{"from":5}}', '{"gap":{"from":7,"to":3}}',
           '{"gap":{"from":"1","to":"2"}}']
    events, feed = watch_gap(capmon, d, [rec(1, 1)] + bad + [rec(2, 2)], "bad-gaps")
    if feed:
        L.fail("malformed gap frames raised feed: %s" % feed)
    if events["invalid"] != len(bad) or events["applied"] != 2:
        L.fail("malformed gap frames: expected %d invalid and 2 applied: %s" % (len(bad), events))
    events, feed = watch_gap(capmon, d, [rec(1, 1), '{"gap":{"from":2,"to":4}}', rec(5, 2)],
                             "good-gap")
    if len(feed) != 1 or feed[0]["value"] != 3:
        L.fail("a well-formed gap of 3 records did not raise feed: %s" % feed)
    L.log("ok: malformed gap frames are invalid input; a gap still raises feed")


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    relay_checks(capmon, d)
    gap_checks(capmon, d)
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
