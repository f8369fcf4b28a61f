"""live: `capmon watch --meeting` filters on its own side (issue 7), whatever
the source, and the relay's feed frames. A log is made here with records of
meetings "111" (as a string and as a JSON number), "222", "a/b c" and 333,
records without payload.object.id, a line that is not JSON and a recorded
invalid message. The expected state is `capmon replay` of the log filtered
here, independently, to meetings 111 and "a/b c".

1. file source: `watch --meeting 111 --meeting 'a/b c' LOG` ends at the end of
   the log with the expected snapshot; --record holds only what was applied;
   the log counts the messages skipped.
2. relay source: a fake relay (python3-websockets) that ignores meeting= sends
   every line of the log: the watch asked for
   ?meeting=111&meeting=a%2Fb%20c and ends with the same snapshot. The fake
   relay then sends {"feed":{"ok":false,"reason":…}}: `feed` fires for
   "<source> (relay store unreachable)" and the log gives the reason; then
   {"feed":{"ok":true}} resolves it; a {"caught_up":…} frame is not counted.
usage: live_watch_filter.py CAPMON JSONCMP"""
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

import websockets  # noqa: E402

CAP = ["--capacity", "100000"]
WANT = {"111", "a/b c"}
REASON = "redis: Connection refused"


def event(kind, uid, mid, ts):
    obj = {"uuid": "uuid-%s" % mid, "topic": "Filter test %s" % mid,
           "participant": {"user_id": str(uid), "user_name": "France - Delegate %s" % uid}}
    if mid is not None:
        obj["id"] = mid
    else:
        obj["uuid"] = "uuid-none"
    if kind == "left":
        obj["participant"]["leave_reason"] = "left the meeting"
    return {"event": "meeting.participant_" + ("joined" if kind == "join" else "left"),
            "event_ts": ts, "payload": {"account_id": "acc", "object": obj}}


def make_log(path):
    """The log's lines (header first) and the lines of meetings WANT."""
    t0 = L.now_ms() - 60000
    lines = [json.dumps({"capmon_log": 1, "created": "2026-01-01T00:00:00Z", "source": "test"})]
    seq = 0
    meetings = ["111", 111, "222", "a/b c", 333, None]
    for i in range(120):
        mid = meetings[i % len(meetings)]
        uid = 500 + (i // len(meetings)) % 7
        kind = "join" if (i // len(meetings)) % 2 == 0 else "left"
        seq += 1
        ts = t0 + seq * 10
        lines.append(json.dumps({"seq": seq, "recv": ts, "src": "webhook",
                                 "body": event(kind, uid, mid, ts)}, separators=(",", ":")))
        if i == 50:
            lines.append("{this is not json")
        if i == 70:
            seq += 1
            lines.append(json.dumps({"seq": seq, "recv": ts + 1, "src": "webhook",
                                     "invalid": "not JSON", "raw": "{oops"}))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")

    def meeting(line):
        try:
            j = json.loads(line)
        except ValueError:
            return None
        mid = j.get("body", {}).get("payload", {}).get("object", {}).get("id")
        return str(mid) if isinstance(mid, (str, int)) and not isinstance(mid, bool) else None
    return lines, [l for l in lines if meeting(l) in WANT]


class FakeRelay:
    """Sends every record line (not the header) to each subscriber, ignoring
    its query, then the control frames the main thread asks for."""

    def __init__(self, port, lines):
        self.port, self.lines = port, lines
        self.paths, self.frames, self.ready = [], [], threading.Event()
        self.t = threading.Thread(target=self._main, daemon=True)
        self.t.start()
        if not self.ready.wait(10):
            L.fail("the fake relay did not start")

    def send(self, frame):
        self.frames.append(json.dumps(frame, separators=(",", ":")))

    def _main(self):
        async def handler(ws, path):
            self.paths.append(path)
            for line in self.lines[1:]:
                await ws.send(line)
            sent = 0
            try:
                while True:
                    while sent < len(self.frames):
                        await ws.send(self.frames[sent])
                        sent += 1
                    await asyncio.sleep(0.05)
            except websockets.exceptions.ConnectionClosed:
                pass

        async def run():
            async with websockets.serve(handler, "127.0.0.1", self.port, max_size=2 ** 22):
                self.ready.set()
                await asyncio.Future()
        asyncio.run(run())


def watch_argv(capmon, d, name, source):
    return [capmon, "watch", "--json", "--interval", "0.2", "--meeting", "111",
            "--meeting", "a/b c", "--record", os.path.join(d, name + ".rec"),
            "--log", os.path.join(d, name + ".log")] + CAP + [source]


def check_final(capmon, jsoncmp, d, name, final, expected):
    final = dict(final)
    final["alerts"] = [a for a in final["alerts"] if a["rule"] not in ("feed", "lag")]
    L.compare_snapshots(jsoncmp, d, expected, final, name)
    rec = [json.loads(l) for l in open(os.path.join(d, name + ".rec")) if l.strip()]
    ids = {str(r["body"]["payload"]["object"]["id"]) for r in rec}
    if len(rec) != expected["events"]["received"] or not ids <= WANT:
        L.fail("%s: --record holds %d records of meetings %s; expected %d of %s" %
               (name, len(rec), ids, expected["events"]["received"], WANT))


def skipped_line(d, name):
    text = open(os.path.join(d, name + ".log")).read()
    for line in text.splitlines():
        if "--meeting:" in line and "messages skipped" in line:
            return int(line.split("--meeting: ")[1].split()[0])
    L.fail("%s: no '--meeting: N messages skipped' line in the watch log:\n%s" % (name, text))


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    d = L.workdir()
    logpath, only = os.path.join(d, "all.jsonl"), os.path.join(d, "only.jsonl")
    lines, kept = make_log(logpath)
    with open(only, "w") as f:
        f.write(lines[0] + "\n" + "\n".join(kept) + "\n")
    expected = L.replay_snapshot(capmon, only, CAP)
    if sorted(m["id"] for m in expected["meetings"]) != sorted(WANT):
        L.fail("the filtered replay has meetings %s" % [m["id"] for m in expected["meetings"]])
    if expected["events"]["received"] != len(kept) or expected["events"]["invalid"]:
        L.fail("the filtered replay: %s" % expected["events"])
    nskip = len(lines) - 1 - len(kept)  # every line but the header and the kept ones

    # 1. a file source
    out = os.path.join(d, "file.out")
    w = L.spawn(watch_argv(capmon, d, "file", logpath), stdout=open(out, "wb"))
    try:
        w.wait(timeout=30)
    except subprocess.TimeoutExpired:
        L.fail("watch of a file did not end")
    if w.returncode != 0:
        L.fail("watch of a file exited %d" % w.returncode)
    check_final(capmon, jsoncmp, d, "file", L.last_json_line(out), expected)
    if skipped_line(d, "file") != nskip:
        L.fail("file: %d messages skipped, expected %d" % (skipped_line(d, "file"), nskip))

    # 2. a relay that does not filter
    port = L.free_port()
    fake = FakeRelay(port, lines)
    src = "ws://127.0.0.1:%d/events" % port
    out = os.path.join(d, "ws.out")
    w = L.spawn(watch_argv(capmon, d, "ws", src), env={"CAPMON_TOKEN": L.TOKEN},
                stdout=open(out, "wb"))

    def snap():
        return L.last_json_line(out) or {}
    L.wait_for(lambda: (snap().get("events") or {}).get("received") == len(kept), 20,
               "watch to apply the %d records of meetings %s" % (len(kept), WANT))
    q = urllib.parse.urlparse(fake.paths[0])
    if q.path != "/events" or "meeting=111&meeting=a%2Fb%20c" not in q.query or \
            urllib.parse.parse_qs(q.query).get("meeting") != ["111", "a/b c"]:
        L.fail("the watch asked for %r, expected /events?...meeting=111&meeting=a%%2Fb%%20c" %
               fake.paths[0])

    store = src + " (relay store unreachable)"

    def store_alert(status):
        return any(a["rule"] == "feed" and a["delegation"] == store and a["status"] == status
                   for a in snap().get("alerts", []))
    fake.send({"feed": {"ok": False, "reason": REASON}})
    L.wait_for(lambda: store_alert("firing"), 10, "feed to fire for %r" % store)
    fake.send({"feed": {"ok": True}})
    fake.send({"caught_up": {"seq": 1}})
    L.wait_for(lambda: store_alert("resolved") and not store_alert("firing"), 10,
               "feed to resolve for %r" % store)
    time.sleep(0.5)
    if L.stop(w) != 0:
        L.fail("watch of the fake relay exited %d" % w.returncode)
    final = L.last_json_line(out)
    if final["events"]["invalid"] != 0:
        L.fail("ws: control frames counted as invalid: %s" % final["events"])
    if [a for a in final["alerts"] if a["rule"] == "feed" and a["delegation"] == src]:
        L.fail("ws: the connection's own feed alert fired while the store was down")
    check_final(capmon, jsoncmp, d, "ws", final, expected)
    if skipped_line(d, "ws") != nskip:
        L.fail("ws: %d messages skipped, expected %d" % (skipped_line(d, "ws"), nskip))
    text = open(os.path.join(d, "ws.log")).read()
    for want in ("the relay cannot reach its store (%s)" % REASON,
                 "the relay reaches its store again"):
        if want not in text:
            L.fail("ws: the watch log lacks %r:\n%s" % (want, text))
    L.log("ok: %d of %d records kept (%d skipped) from a file and from a relay that does not "
          "filter; feed frames down/up; caught_up ignored" % (len(kept), len(lines) - 1, nskip))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
