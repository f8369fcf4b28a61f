"""live: refusals of `capmon relay` and of the `webhook://` watch source: wrong
signature, stale timestamp, oversized body, malformed JSON, missing token, wrong
token; each gets its status code, a log line, and changes no state.
usage: live_refusals.py CAPMON"""
import asyncio
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

import websockets  # noqa: E402


def curl(url, body, headers):
    f = os.path.join(D, "body")
    with open(f, "wb") as fh:
        fh.write(body)
    argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
            "-X", "POST", "--data-binary", "@" + f, "-H", "Expect:"]
    for h in headers:
        argv += ["-H", h]
    r = subprocess.run(argv + [url], stdout=subprocess.PIPE, timeout=30)
    return int(r.stdout.decode() or 0)


def signed(body, ts=None, secret=L.SECRET):
    ts = ts if ts is not None else int(time.time())
    return ["x-zm-request-timestamp: %d" % ts, "x-zm-signature: %s" % L.sign(body, ts, secret)]


def cases(base):
    ok = L.join_body(1)
    big = L.join_body(2, name="x" * 300000)
    bad_json = b'{"event":"meeting.participant_joined",'
    ext = (b'{"event":"capmon.participant_join_failed","event_ts":%d,"payload":{"object":'
           b'{"uuid":"live-1","id":"1","participant":{"user_name":"A B","reason":"meeting_full"'
           b'}}}}' % L.now_ms())
    return [
        ("wrong signature", base + "/zoom", ok, signed(ok, secret="not-the-secret"), 401),
        ("no signature", base + "/zoom", ok, [], 401),
        ("stale timestamp", base + "/zoom", ok, signed(ok, ts=int(time.time()) - 301), 401),
        ("future timestamp", base + "/zoom", ok, signed(ok, ts=int(time.time()) + 400), 401),
        ("oversized body", base + "/zoom", big, signed(big), 413),
        ("malformed JSON", base + "/zoom", bad_json, signed(bad_json), 400),
        ("missing token", base + "/events", ext, [], 401),
        ("wrong token", base + "/events", ext, ["Authorization: Bearer nope"], 401),
        ("malformed JSON with token", base + "/events", bad_json,
         ["Authorization: Bearer " + L.TOKEN], 400),
    ]


def ws_status(port, query, headers):
    async def run():
        try:
            async with websockets.connect("ws://127.0.0.1:%d/events%s" % (port, query),
                                          extra_headers=headers, open_timeout=10):
                return 101
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code
    return asyncio.run(run())


def check_cases(base, where):
    for name, url, body, headers, want in cases(base):
        got = curl(url, body, headers)
        if got != want:
            L.fail("%s: %s: status %d, expected %d" % (where, name, got, want))


def main():
    global D
    capmon = sys.argv[1]
    D = L.workdir()
    port = L.free_port()
    logpath = os.path.join(D, "relay.log")
    errpath = os.path.join(D, "relay.err")
    relay = L.start_relay(capmon, port, logpath, errpath)
    base = "http://127.0.0.1:%d" % port
    check_cases(base, "relay")
    for name, query, headers, want in [
            ("ws missing token", "?since=0", {}, 401),
            ("ws wrong token", "?since=0&token=nope", {}, 401),
            ("ws wrong bearer", "?since=0", {"Authorization": "Bearer nope"}, 401),
            ("ws query token", "?since=0&token=" + L.TOKEN, {}, 101)]:
        got = ws_status(port, query, headers)
        if got != want:
            L.fail("relay: %s: status %d, expected %d" % (name, got, want))
    h = L.healthz(port)
    if not h or h["last_seq"] != 0:
        L.fail("relay state changed by refused requests: %s" % h)
    if L.log_records(logpath):
        L.fail("refused requests reached the log")
    err = open(errpath).read()
    for want in ["401 bad x-zm-signature", "401 timestamp", "413 body", "400 malformed JSON",
                 "401 missing bearer token", "401 wrong bearer token",
                 "GET /events from 127.0.0.1: 401"]:
        if want not in err:
            L.fail("relay log lacks a line with %r:\n%s" % (want, err))
    if L.SECRET in err or L.TOKEN in err:
        L.fail("a secret appears in the relay's log")
    # the control: a good one is accepted
    ok = L.join_body(3)
    if curl(base + "/zoom", ok, signed(ok)) != 200 or L.healthz(port)["last_seq"] != 1:
        L.fail("relay: a valid webhook was not accepted after the refusals")
    # url_validation (Zoom's challenge)
    chal = b'{"event":"endpoint.url_validation","payload":{"plainToken":"q7Vx3kLmT0a9"}}'
    if curl(base + "/zoom", chal, signed(chal)) != 200:
        L.fail("url_validation not answered")
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)

    # the same ingest in `capmon watch webhook://`
    wport = L.free_port()
    out = os.path.join(D, "watch.out")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log",
                     os.path.join(D, "watch.log"), "webhook://127.0.0.1:%d" % wport],
                    env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN},
                    stdout=open(out, "wb"))
    L.wait_for(lambda: L.last_json_line(out), 10, "watch webhook:// to start")
    check_cases("http://127.0.0.1:%d" % wport, "watch webhook://")
    time.sleep(0.5)
    s = L.last_json_line(out)
    if s["events"]["received"] != 0:
        L.fail("watch webhook://: refused requests changed the state: %s" % s["events"])
    if curl("http://127.0.0.1:%d/zoom" % wport, ok, signed(ok)) != 200:
        L.fail("watch webhook://: a valid webhook was refused")
    L.wait_for(lambda: L.last_json_line(out)["events"]["applied"] == 1, 10,
               "watch webhook:// to apply the valid webhook")
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    L.log("ok: every refusal has its status, a log line and no effect")
    subprocess.run(["rm", "-rf", D])


D = None
if __name__ == "__main__":
    main()
