"""A fake Zoom RTMS server for the RTMS client tests (our own code, loopback only),
written from Zoom's RTMS documentation (event reference, data types, working with
streams): a signaling WebSocket (handshake msg_type 1 -> 2 with the signature
HMAC-SHA256(client secret, "client_id,meeting_uuid,rtms_stream_id") in lowercase
hex; status 3 for a bad signature, 8 while another signaling connection of the
stream is open), server keep-alives (12, answered by 13 with the same
timestamp; three unanswered drop the connection), the event subscription (5) and
updates (6), stream state 8 TERMINATED; and a video media WebSocket (handshake 3
-> 4) that must be asked for data_opt 4 and must never see a video subscription
(28). The cameras are driven through a control port; the truth and everything
seen are written as JSON to --status after every change.

usage: fake_rtms.py --port P --control-port C --status FILE [--keepalive S]
       [--snapshot] [--cameras UID,...] [--names UID=NAME,...]

--snapshot: on subscription, send the roster (event 3) and VIDEO_ON for the
cameras already on (else only changes are sent).
--cameras: cameras on when the stream starts (user ids; a digit-only id is sent
as a JSON number, any other as a string).

Control: POST /cmd with {"op": "video", "on": [...], "off": [...]} |
{"op": "leave", "uids": [...]} | {"op": "drop"} (close the signaling sockets
abruptly; with "hold": true, also drop every new signaling connection at once,
as a server that is gone, until {"op": "release"}) | {"op": "terminate"}
(stream state TERMINATED, then close)."""
import argparse
import asyncio
import hashlib
import hmac
import http.server
import json
import threading
import time

import websockets

import livelib as L  # tests/ is the script's folder

CLIENT_ID, CLIENT_SECRET = "rtms-cid", "rtms-secret"
MEETING, STREAM = "mtg-uuid-1==", "stream-0001"

args = None
loop = None
lock = threading.Lock()
state = {"signaling": [], "media": [], "truth": [], "silent_dropped": 0, "refused": 0,
         "duplicate": 0, "video_subscriptions": 0, "client_ready": 0, "held": 0}
hold = False  # drop new signaling connections (op drop with hold)
sig_conns = set()  # open, subscribed signaling sockets


def ms():
    return int(time.time() * 1000)


def save():
    L.save_json(args.status, state, lock)


def wire_uid(uid):
    return int(uid) if uid.isdigit() else uid


def signature(meeting, stream):
    msg = ("%s,%s,%s" % (CLIENT_ID, meeting, stream)).encode()
    return hmac.new(CLIENT_SECRET.encode(), msg, hashlib.sha256).hexdigest()


def signed(m):
    """A handshake m carries the signature of its meeting and stream."""
    return hmac.compare_digest(m.get("signature", ""),
                               signature(m.get("meeting_uuid", ""), m.get("rtms_stream_id", "")))


def connection(kind, **fields):
    """A new connection's record in state[kind] (saved), keep-alive counters at 0."""
    rec = dict(handshake=None, ka_sent=0, ka_answered=0, ka_bad=0, ka_pending=0,
               dropped_for_keepalive=False, closed=None, **fields)
    with lock:
        state[kind].append(rec)
    save()
    return rec


async def keepalives(ws, rec):
    """Send 12 every --keepalive s; three unanswered: drop the connection."""
    while True:
        await asyncio.sleep(args.keepalive)
        if rec["ka_pending"] >= 3:
            rec["dropped_for_keepalive"] = True
            save()
            await ws.close(1000, "keep-alive timeout")
            return
        t = ms() * 1000 + 123  # beyond 2^32 and not a multiple of 1000: echo exactly
        rec["ka_pending"] += 1
        rec["ka_sent"] += 1
        rec["ka_last"] = t
        await ws.send(json.dumps({"msg_type": 12, "timestamp": t}))


def on_keepalive_answer(rec, m):
    if m.get("timestamp") == rec.get("ka_last"):
        rec["ka_pending"] = 0
        rec["ka_answered"] += 1
    else:
        rec["ka_bad"] += 1


def event(etype, uids, names=None):
    ps = []
    for u in uids:
        p = {"user_id": wire_uid(u)}
        if names is not None:
            p["user_name"] = names.get(u, "User " + u)
        ps.append(p)
    return json.dumps({"msg_type": 6, "event": {"event_type": etype, "timestamp": ms(),
                                                "participants": ps}})


async def signaling(ws, path):
    if hold:
        with lock:
            state["held"] += 1
        save()
        ws.transport.abort()
        return
    rec = connection("signaling", path=path, start=time.time(), subscribed=[])
    ka = None
    try:
        async for text in ws:
            m = json.loads(text)
            t = m.get("msg_type")
            if t == 1:
                rec["handshake"] = m
                ok_sig = signed(m)
                others = [r for r in state["signaling"] if r is not rec and r["closed"] is None
                          and r.get("status") == 0]
                if not ok_sig:
                    rec["status"] = 3
                    state["refused"] += 1
                    await ws.send(json.dumps({"msg_type": 2, "protocol_version": 1,
                                              "status_code": 3, "reason": "invalid signature"}))
                elif others:
                    rec["status"] = 8
                    state["duplicate"] += 1
                    await ws.send(json.dumps({"msg_type": 2, "status_code": 8,
                                              "reason": "duplicate signal request"}))
                else:
                    rec["status"] = 0
                    media = "ws://127.0.0.1:%d/media" % args.port
                    await ws.send(json.dumps({
                        "msg_type": 2, "protocol_version": 1, "sequence": 0, "status_code": 0,
                        "reason": "", "media_server": {"server_urls": {
                            "audio": media, "video": media, "transcript": media, "all": media}}}))
                    ka = asyncio.ensure_future(keepalives(ws, rec))
                save()
            elif t == 13:
                on_keepalive_answer(rec, m)
                save()
            elif t == 7:
                state["client_ready"] += 1
                save()
            elif t == 5:
                rec["subscribed"] = m.get("events", [])
                sig_conns.add(ws)
                save()
                if args.snapshot:
                    with lock:
                        truth = list(state["truth"])
                    roster = list(args.names.keys()) or truth
                    await ws.send(event(3, roster, args.names))
                    if truth:
                        await ws.send(event(8, truth))
    except websockets.ConnectionClosed:
        pass
    finally:
        sig_conns.discard(ws)
        if ka:
            ka.cancel()
        rec["closed"] = time.time()
        save()


async def media(ws, path):
    rec = connection("media")
    ka = None
    try:
        async for text in ws:
            m = json.loads(text)
            t = m.get("msg_type")
            if t == 3:
                rec["handshake"] = m
                ok = (signed(m)
                      and m.get("media_params", {}).get("video", {}).get("data_opt") == 4)
                await ws.send(json.dumps({"msg_type": 4, "protocol_version": 1,
                                          "status_code": 0 if ok else 4, "reason": "",
                                          "payload_encrypted": False}))
                ka = asyncio.ensure_future(keepalives(ws, rec))
            elif t == 13:
                on_keepalive_answer(rec, m)
            elif t == 28:
                state["video_subscriptions"] += 1
            save()
    except websockets.ConnectionClosed:
        pass
    finally:
        if ka:
            ka.cancel()
        rec["closed"] = time.time()
        save()


async def handler(ws, path):
    if path.startswith("/media"):
        await media(ws, path)
    else:
        await signaling(ws, path)


async def broadcast(text):
    for ws in list(sig_conns):
        try:
            await ws.send(text)
        except websockets.ConnectionClosed:
            pass


async def command(cmd):
    global hold
    op = cmd.get("op")
    if op == "video":
        with lock:
            truth = [u for u in state["truth"] if u not in cmd.get("off", [])]
            truth += [u for u in cmd.get("on", []) if u not in truth]
            state["truth"] = truth
        if cmd.get("on"):
            await broadcast(event(8, cmd["on"]))
        if cmd.get("off"):
            await broadcast(event(9, cmd["off"]))
    elif op == "leave":
        with lock:
            state["truth"] = [u for u in state["truth"] if u not in cmd["uids"]]
        await broadcast(event(4, cmd["uids"]))
    elif op == "drop":
        hold = bool(cmd.get("hold"))
        for ws in list(sig_conns):
            ws.transport.abort()  # no close frame: a dropped connection
    elif op == "release":
        hold = False
    elif op == "terminate":
        await broadcast(json.dumps({"msg_type": 8, "state": 4, "reason": 6, "timestamp": ms()}))
        for ws in list(sig_conns):
            await ws.close(1000, "terminated")
    save()


class Control(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        cmd = json.loads(self.rfile.read(n))
        fut = asyncio.run_coroutine_threadsafe(command(cmd), loop)
        fut.result(timeout=10)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def main():
    global args, loop
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--control-port", type=int, required=True)
    p.add_argument("--status", required=True)
    p.add_argument("--keepalive", type=float, default=10.0)
    p.add_argument("--snapshot", action="store_true")
    p.add_argument("--cameras", default="")
    p.add_argument("--names", default="")
    args = p.parse_args()
    args.names = dict(kv.split("=", 1) for kv in args.names.split(",") if kv)
    state["truth"] = [u for u in args.cameras.split(",") if u]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.control_port), Control)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    loop.run_until_complete(websockets.serve(handler, "127.0.0.1", args.port))
    save()
    loop.run_forever()


if __name__ == "__main__":
    main()
