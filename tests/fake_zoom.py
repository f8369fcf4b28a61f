"""A fake Zoom for the `zoom` source tests (our own code, loopback only):
S2S OAuth token endpoint (POST /oauth/token?grant_type=account_credentials&
account_id=..., Basic auth) issuing short-lived tokens, and the WebSocket event
delivery (/ws?subscriptionId=..&access_token=..) with build_connection,
heartbeat acks, event envelopes and one forced disconnect. Writes its
observations as JSON to --status after every change.

usage: fake_zoom.py --oauth-port P --ws-port P --status FILE [--token-life S]
       [--disconnect-after S] [--refuse-for S] [--events N] [--drops N] [--extra FILE]

--drops N: the first N connections are each closed by the server 0.2 s after
build_connection and one event (a flapping Zoom); connection N+1 stays up and
delivers --events events. The forced disconnect above is then not done."""
import argparse
import asyncio
import base64
import http.server
import json
import threading
import time
import urllib.parse

import websockets

import livelib as L  # tests/ is the script's folder

ACCOUNT, CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION = "acc-1", "cid-1", "csecret-1", "sub-1"

state = {"tokens": [], "token_refused": 0, "connections": [], "ws_refused": 0}
tokens = {}  # token -> expiry (monotonic)
lock = threading.Lock()
args = None
down_until = [0.0]


def save():
    L.save_json(args.status, state, lock)


class OAuth(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        want = "Basic " + base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()).decode()
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        ok = (u.path == "/oauth/token" and q.get("grant_type") == ["account_credentials"]
              and q.get("account_id") == [ACCOUNT] and self.headers.get("authorization") == want)
        if not ok:
            with lock:
                state["token_refused"] += 1
            save()
            body = b'{"reason":"Invalid client_id or client_secret","error":"invalid_client"}'
            self.send_response(401)
        else:
            with lock:
                tok = "tok-%d" % (len(state["tokens"]) + 1)
                tokens[tok] = time.monotonic() + args.token_life
                state["tokens"].append({"token": tok, "at": time.time()})
            save()
            body = json.dumps({"access_token": tok, "token_type": "bearer",
                               "expires_in": args.token_life,
                               "scope": "marketplace:write:websocket_connection"}).encode()
            self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def event(uid):
    return {"event": "meeting.participant_joined", "event_ts": int(time.time() * 1000),
            "payload": {"account_id": ACCOUNT, "object": {
                "uuid": "zoom-live-1", "id": "85000000001", "topic": "Fake Zoom",
                "participant": {"user_id": str(uid), "user_name": "France - Zoe %d" % uid}}}}


async def check(path, request_headers):
    q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    tok = (q.get("access_token") or [""])[0]
    now = time.monotonic()
    good = (urllib.parse.urlparse(path).path == "/ws" and q.get("subscriptionId") == [SUBSCRIPTION]
            and tok in tokens and tokens[tok] > now and now >= down_until[0])
    if not good:
        with lock:
            state["ws_refused"] += 1
        save()
        return (401 if now >= down_until[0] else 503), [], b"refused\n"
    return None


async def handler(ws, path):
    q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    with lock:
        idx = len(state["connections"])
        conn = {"token": q["access_token"][0], "start": time.time(), "end": None,
                "closed_by": None, "heartbeats": 0, "events": 0}
        state["connections"].append(conn)
    save()
    await ws.send(json.dumps({"module": "build_connection", "success": True, "content": "ok"}))
    if args.extra and idx == 0:  # one more event body, first (e.g. meeting.rtms_started)
        await ws.send(json.dumps({"module": "message", "content": open(args.extra).read()}))

    async def reader():
        async for msg in ws:
            j = json.loads(msg)
            if j.get("module") == "heartbeat":
                with lock:
                    conn["heartbeats"] += 1
                save()
                await ws.send(json.dumps({"module": "heartbeat", "success": True,
                                          "content": "live", "header": {}}))

    rt = asyncio.ensure_future(reader())
    if args.drops:
        try:
            if idx < args.drops:
                await ws.send(json.dumps({"module": "message", "content": event(idx * 1000)}))
                with lock:
                    conn["events"] += 1
                save()
                await asyncio.sleep(0.2)
                with lock:
                    conn["closed_by"] = "server"
                await ws.close(1001, "flapping")
            else:
                for i in range(args.events):
                    await ws.send(json.dumps({"module": "message",
                                              "content": event(idx * 1000 + 1 + i)}))
                    with lock:
                        conn["events"] += 1
                    save()
                await rt
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            rt.cancel()
            with lock:
                conn["end"] = time.time()
                conn["closed_by"] = conn["closed_by"] or "client"
            save()
        return
    try:
        for i in range(args.events):
            ev = event(idx * 1000 + i)
            if idx == 1 and i == 0:
                ev["event_ts"] -= 40000  # delivered 40 s late: `lag`
            # the first connection sends content as a JSON string (Zoom's way),
            # the next ones as an object (accepted too)
            content = json.dumps(ev) if idx == 0 else ev
            await ws.send(json.dumps({"module": "message", "content": content}))
            with lock:
                conn["events"] += 1
            save()
            await asyncio.sleep(0.05)
        if idx == 0:
            await asyncio.sleep(max(0, args.disconnect_after - (time.time() - conn["start"])))
            down_until[0] = time.monotonic() + args.refuse_for
            with lock:
                conn["closed_by"] = "server"
            await ws.close(1001, "forced disconnect")
        else:
            await rt
    except websockets.exceptions.ConnectionClosed:
        with lock:
            conn["closed_by"] = conn["closed_by"] or "client"
    finally:
        rt.cancel()
        with lock:
            conn["end"] = time.time()
            if not conn["closed_by"]:
                conn["closed_by"] = "client"
        save()


async def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.oauth_port), OAuth)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    async with websockets.serve(handler, "127.0.0.1", args.ws_port, process_request=check):
        save()
        await asyncio.Future()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--oauth-port", type=int, required=True)
    p.add_argument("--ws-port", type=int, required=True)
    p.add_argument("--status", required=True)
    p.add_argument("--token-life", type=int, default=2)
    p.add_argument("--disconnect-after", type=float, default=4.5)
    p.add_argument("--refuse-for", type=float, default=1.5)
    p.add_argument("--events", type=int, default=20)
    p.add_argument("--drops", type=int, default=0)
    p.add_argument("--extra", help="a file holding one more event body to send first")
    args = p.parse_args()
    asyncio.run(main())
