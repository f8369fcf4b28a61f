"""live: the `zoom` source against a fake Zoom (tests/fake_zoom.py): it
authenticates (S2S OAuth, Basic auth), sends heartbeats, stays connected past a
token expiry (renewing the token before it expires), reconnects with a fresh
token after a forced disconnect, and raises then clears `feed`; an event
delivered 40 s late raises `lag`, the next one clears it.
usage: live_zoom.py CAPMON"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

EVENTS = 20
TOKEN_LIFE = 2
DISCONNECT_AFTER = 4.5


def status(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    op, wp = L.free_port(), L.free_port()
    st = os.path.join(d, "fake.json")
    fake = L.spawn(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "fake_zoom.py"),
                    "--oauth-port", str(op), "--ws-port", str(wp), "--status", st,
                    "--token-life", str(TOKEN_LIFE), "--disconnect-after", str(DISCONNECT_AFTER),
                    "--events", str(EVENTS)], stderr=open(os.path.join(d, "fake.err"), "wb"))
    L.wait_for(lambda: status(st), 10, "the fake Zoom to start")
    out = os.path.join(d, "watch.out")
    wlog = os.path.join(d, "watch.log")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.1", "--log", wlog, "zoom"],
                    env=L.zoom_env(op, wp),
                    stdout=open(out, "wb"))

    def second_connection_ready():
        s = status(st)
        c = s and s["connections"]
        return c and len(c) >= 2 and c[1]["events"] == EVENTS and c[1]["heartbeats"] >= 3
    L.wait_for(second_connection_ready, 30, "a second connection with heartbeats")
    L.wait_for(lambda: (L.last_json_line(out) or {}).get("events", {}).get("received")
               == 2 * EVENTS, 10, "watch to apply the events of both connections")
    # a feed alert must have been firing while the fake refused to reconnect ...
    snaps = [json.loads(l) for l in open(out).read().splitlines() if l.strip()]
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    L.stop(fake)

    s = status(st)
    c1 = s["connections"][0]
    if s["token_refused"]:
        L.fail("the fake refused %d token requests (bad Basic auth or grant)" % s["token_refused"])
    if c1["closed_by"] != "server" or c1["end"] - c1["start"] < DISCONNECT_AFTER - 0.2:
        L.fail("first connection did not last past the token expiry: %s" % c1)
    if c1["heartbeats"] < 5:
        L.fail("too few heartbeats on the first connection: %s" % c1)
    toks = s["tokens"]
    before_disc = [t for t in toks if t["at"] < c1["end"]]
    if len(before_disc) < 2:
        L.fail("the token was not renewed before it expired: %s" % toks)
    c2 = s["connections"][1]
    if c2["token"] == c1["token"] or c2["token"] not in [t["token"] for t in toks
                                                        if t["at"] > c1["end"]]:
        L.fail("the reconnect did not use a fresh token: %s" % c2)
    if s["ws_refused"] < 1:
        L.fail("the client did not retry while the fake refused connections")

    firing = [sn for sn in snaps if any(a["rule"] == "feed" and a["status"] == "firing"
                                        for a in sn["alerts"])]
    if not firing:
        L.fail("no snapshot shows the feed alert firing during the disconnection")
    final = L.last_json_line(out)
    feed = [a for a in final["alerts"] if a["rule"] == "feed"]
    if not feed or feed[-1]["status"] != "resolved" or feed[-1]["delegation"] != "zoom":
        L.fail("feed alert not resolved at the end: %s" % feed)
    lag = [a for a in final["alerts"] if a["rule"] == "lag"]
    if len(lag) != 1 or lag[0]["status"] != "resolved" or lag[0]["value"] < 39:
        L.fail("expected one resolved lag alert (an event 40 s late): %s" % lag)
    if final["events"]["applied"] != 2 * EVENTS or final["meetings"][0]["participants"] != 2 * EVENTS:
        L.fail("events not applied: %s" % final["events"])
    text = open(wlog).read()
    if "csecret-1" in text or "tok-" in text:
        L.fail("a secret or token appears in the watch log")
    L.log("ok: %d tokens, 2 connections, %d+%d heartbeats, feed raised and cleared" %
          (len(toks), c1["heartbeats"], c2["heartbeats"]))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
