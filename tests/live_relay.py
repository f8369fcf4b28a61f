"""live: signed webhooks posted with curl into `capmon relay`, streamed to two
subscribers at once (`capmon watch --json` and a python3-websockets client):
both get every record in order; watch's final snapshot equals the replay of the
relay's log. usage: live_relay.py CAPMON JSONCMP"""
import asyncio
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

import websockets  # noqa: E402

N = 300


def client(port, got, ready, done):
    async def run():
        url = "ws://127.0.0.1:%d/events?since=0" % port
        async with websockets.connect(
                url, extra_headers={"Authorization": "Bearer " + L.TOKEN},
                max_size=2 ** 21) as ws:
            ready.set()
            while len(got) < N:
                msg = await asyncio.wait_for(ws.recv(), 30)
                got.append(msg)
        done.set()
    try:
        asyncio.run(run())
    except Exception as e:  # reported by the main thread
        got.append("ERROR %r" % e)
        ready.set()
        done.set()


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    d = L.workdir()
    port = L.free_port()
    logpath = os.path.join(d, "relay.log")
    relay = L.start_relay(capmon, port, logpath, os.path.join(d, "relay.err"))
    watch_out = os.path.join(d, "watch.out")
    recpath = os.path.join(d, "watch-record.jsonl")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--capacity", "100000",
                     "--record", recpath, "--log", os.path.join(d, "watch.log"),
                     "ws://127.0.0.1:%d" % port],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(watch_out, "wb"))
    got, ready, done = [], threading.Event(), threading.Event()
    t = threading.Thread(target=client, args=(port, got, ready, done), daemon=True)
    t.start()
    if not ready.wait(10):
        L.fail("python client did not connect")
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 2, 10,
               "two subscribers on the relay")

    items = []
    for i in range(N):
        uid = 1000 + i // 2
        items.append((str(i), L.join_body(uid) if i % 2 == 0 else L.left_body(uid)))
    # one record over 64 KiB (the 8-byte WebSocket length form) and one over 125 bytes
    items[150] = ("150", L.join_body(1075, name="Switzerland - " + "Long" * 20000))
    codes = L.curl_post_all(d, "burst", port, items)
    bad = {k: v for k, v in codes.items() if v != 200}
    if len(codes) != N or bad:
        L.fail("curl: %d answers, not 200: %s" % (len(codes), list(bad.items())[:5]))

    if not done.wait(30):
        L.fail("python client got %d of %d records" % (len(got), N))
    t.join(5)
    if any(g.startswith("ERROR") for g in got):
        L.fail("python client: %s" % got[-1])

    def watch_has_all():
        s = L.last_json_line(watch_out)
        return s and s["events"]["received"] == N
    L.wait_for(watch_has_all, 30, "watch to apply every record")
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)

    # the python client: every record, in order, identical to the log
    recs = L.log_records(logpath)
    if len(recs) != N:
        L.fail("log holds %d records, expected %d" % (len(recs), N))
    for i, (msg, rec) in enumerate(zip(got, recs)):
        j = json.loads(msg)
        if j != rec or j["seq"] != i + 1:
            L.fail("python client record %d differs from the log: %s" % (i, msg[:200]))
    # bodies in posting order
    for i, rec in enumerate(recs):
        if json.dumps(rec["body"], separators=(",", ":")).encode() != items[i][1]:
            L.fail("log record %d is not the %d-th body posted" % (i + 1, i))

    final = L.last_json_line(watch_out)
    expected = L.replay_snapshot(capmon, logpath, ["--capacity", "100000"])
    L.compare_snapshots(jsoncmp, d, expected, final, "relay-stream")
    # watch --record holds the same records: its replay is the same
    if L.replay_snapshot(capmon, recpath, ["--capacity", "100000"]) != expected:
        L.fail("replay of watch --record differs from replay of the relay log")
    L.log("ok: %d webhooks, 2 subscribers, in order; watch snapshot == replay" % N)
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
