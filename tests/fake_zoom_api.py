"""A fake Zoom for reconcile tests (our own code, loopback only), written from
Zoom's documentation:

- S2S OAuth: POST /oauth/token?grant_type=account_credentials&account_id=..
  with Basic auth -> {"access_token", "token_type": "bearer", "expires_in", "scope"}.
- Dashboard API (Bearer token):
  GET /v2/metrics/meetings/{meetingId}/participants?type=live&page_size=N
      [&next_page_token=T] -> {"page_count", "page_size", "total_records",
      "next_page_token" ("" on the last page), "participants": [rows]};
      page_size default 30, at most 300; a page token names a snapshot of the
      list taken when the first page was asked, and expires after 15 minutes.
      Rows of people who left stay, with a leave_time; a rejoin adds a row.
      {meetingId}: the numeric id, or the uuid (URL-encoded; double-encoded when
      it begins with "/" or contains "//").
  GET /v2/metrics/meetings/{meetingId}/participants/qos?type=live&page_size=N
      (at most 10; more is refused with 400) -> the same envelope with
      "participants": [{"user_id", "user_name", "device", "user_qos": [samples,
      oldest first: {"date_time", "video_input": {"bitrate", "latency",
      "jitter", "avg_loss", "max_loss", "resolution", "frame_rate"},
      "audio_input": {...}}]}] for the people in the meeting now; a camera off
      sends no video (empty figures).
  GET /v2/metrics/meetings/{meetingId} -> {"uuid", "id", "topic", "host",
      "start_time", "participants" (cumulative joins), "has_video"}.
  Errors as Zoom sends them: 401 {"code": 124, "message": "Invalid access
  token."}, 400 of an account without the Dashboard feature, 404 {"code":
  3001}, 429 with Retry-After.
- Optionally (--ws-port) the WebSocket event subscription (/ws?subscriptionId=
  ..&access_token=..: build_connection, heartbeat answers, "message" envelopes).

The test drives the sitting through a control API on the REST port:
  POST /_fake/join   {"user_id", "user_name", "status"?, "deliver"?, "meeting"?}
  POST /_fake/leave  {"user_id", "deliver"?}   (deliver false: the event is lost)
  POST /_fake/video  {"user_id", "on": true|false}  a camera (for the QoS list)
  POST /_fake/drop   close the WebSocket connections (Zoom's side)
  POST /_fake/fail   {"mode": "429"|"disabled"|"expired"|"404"|"500"|"malformed",
                      "count": N, "retry_after": S}  the next N list requests
  POST /_fake/hold   {"on": true|false}  list requests wait (snapshot taken
                      on arrival) until hold is turned off
  GET  /_fake/status {"requests": [...], "tokens": N, "ws_connections": N,
                      "list_requests": N, "held": N}
Events sent over the WebSocket carry event_ts = the time of the change, so the
list and the events agree.

usage: fake_zoom_api.py --port P --status FILE [--ws-port P] [--token-life S]
       [--meeting-id ID] [--uuid U] [--topic T]"""
import argparse
import asyncio
import base64
import http.server
import json
import threading
import time
import urllib.parse

import livelib as L  # tests/ is the script's folder

ACCOUNT, CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION = "acc-1", "cid-1", "csecret-1", "sub-1"
DISABLED_MSG = ("This API is only available for ZMP and Business or higher accounts "
                "that have enabled the Dashboard feature.")

lock = threading.Condition()
args = None
tokens = {}  # token -> expiry (monotonic)
rows = []  # the live list, in join order
snapshots = {}  # page token -> (rows, offset, expiry)
fails = []  # [mode, count, retry_after]
hold = [False]
joins_total = [0]
status = {"requests": [], "tokens": 0, "token_refused": 0, "ws_connections": 0,
          "list_requests": 0, "held": 0, "qos_requests": 0, "qos_page_sizes": []}
cameras = {}  # user_id -> on
ws_clients = set()
aloop = [None]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def save():
    L.save_json(args.status, status, lock)


def meeting_object(extra=None):
    o = {"uuid": args.uuid, "id": args.meeting_id, "topic": args.topic}
    if extra:
        o.update(extra)
    return o


def send_event(name, participant, ts_ms):
    body = {"event": "meeting." + name, "event_ts": ts_ms,
            "payload": {"account_id": ACCOUNT,
                        "object": meeting_object({"participant": participant})}}
    msg = json.dumps({"module": "message", "content": json.dumps(body)})
    loop = aloop[0]
    if loop is None:
        return
    for ws in list(ws_clients):
        asyncio.run_coroutine_threadsafe(ws.send(msg), loop)


def qos_row(r):
    """A participant of the live QoS list: two samples a minute apart, the
    latest last; the older one says the opposite of the camera now."""
    on = cameras.get(r["user_id"], False)

    def video(sending):
        if not sending:
            return {"bitrate": "", "latency": "", "jitter": "", "avg_loss": "",
                    "max_loss": "", "resolution": "", "frame_rate": ""}
        return {"bitrate": "812 kbps", "latency": "42 ms", "jitter": "3 ms",
                "avg_loss": "0.01%", "max_loss": "0.2%", "resolution": "640*360",
                "frame_rate": "25 fps"}
    audio = {"bitrate": "38 kbps", "latency": "40 ms", "jitter": "2 ms", "avg_loss": "0%",
             "max_loss": "0%"}
    now = time.time()
    return {"id": "", "user_id": r["user_id"], "user_name": r["user_name"], "device": "Mac",
            "ip_address": "192.0.2.1", "location": "Geneva (CH)", "network_type": "Wired",
            "data_center": "Europe", "connection_type": "UDP", "join_time": r["join_time"],
            "leave_time": "", "user_qos": [
                {"date_time": iso(now - 60), "video_input": video(not on), "audio_input": audio},
                {"date_time": iso(now), "video_input": video(on), "audio_input": audio}]}


def meeting_matches(raw):
    """raw: the path segment as sent. The numeric id, or the uuid URL-encoded;
    Zoom wants a uuid that begins with "/" or contains "//" double-encoded,
    and so does this fake (strictly: encoded once is refused)."""
    if raw == args.meeting_id:
        return True
    once = urllib.parse.unquote(raw)
    if args.uuid.startswith("/") or "//" in args.uuid:
        return once != args.uuid and urllib.parse.unquote(once) == args.uuid
    return once == args.uuid


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj, headers=None):
        body = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body_json(self):
        n = int(self.headers.get("content-length") or 0)
        return json.loads(self.rfile.read(n) or b"{}") if n else {}

    # ---- OAuth and control ----
    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        if u.path.startswith("/_fake/"):
            return self.control(u.path[7:], self.body_json())
        q = urllib.parse.parse_qs(u.query)
        self.body_json()
        want = "Basic " + base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()).decode()
        if not (u.path == "/oauth/token" and q.get("grant_type") == ["account_credentials"]
                and q.get("account_id") == [ACCOUNT] and self.headers.get("authorization") == want):
            with lock:
                status["token_refused"] += 1
            save()
            return self.reply(401, {"reason": "Invalid client_id or client_secret",
                                    "error": "invalid_client"})
        with lock:
            status["tokens"] += 1
            tok = "tok-%d" % status["tokens"]
            tokens[tok] = time.monotonic() + args.token_life
        save()
        self.reply(200, {"access_token": tok, "token_type": "bearer",
                         "expires_in": args.token_life,
                         "scope": "dashboard_meetings:read:admin"})

    def control(self, what, j):
        now = time.time()
        with lock:
            if what == "join":
                r = {"id": "", "user_id": str(j["user_id"]),
                     "participant_uuid": "PU-%s" % j["user_id"],
                     "participant_user_id": "", "user_name": j["user_name"],
                     "email": j.get("email", ""), "join_time": iso(now), "leave_time": "",
                     "leave_reason": "", "status": j.get("status", "in_meeting"),
                     "device": "Mac", "ip_address": "192.0.2.1", "location": "Geneva (CH)",
                     "network_type": "Wired", "data_center": "Europe", "connection_type": "UDP",
                     "camera": "", "microphone": "", "speaker": "", "share_application": False,
                     "share_desktop": False, "share_whiteboard": False, "recording": False,
                     "role": "attendee", "audio_quality": "good", "video_quality": "good",
                     "screen_share_quality": ""}
                rows.append(r)
                joins_total[0] += 1
            elif what == "leave":
                for r in rows:
                    if r["user_id"] == str(j["user_id"]) and not r["leave_time"]:
                        r["leave_time"] = iso(now)
                        r["leave_reason"] = "left the meeting. Reason : left the meeting"
            elif what == "video":
                cameras[str(j["user_id"])] = bool(j.get("on"))
            elif what == "fail":
                fails.append([j["mode"], int(j.get("count", 1)), j.get("retry_after")])
            elif what == "hold":
                hold[0] = bool(j.get("on"))
                lock.notify_all()
        if what in ("join", "leave") and j.get("deliver", True):
            p = {"user_id": str(j["user_id"]), "user_name": j.get("user_name", ""),
                 "participant_uuid": "PU-%s" % j["user_id"], "id": "", "email": ""}
            ms = int(now * 1000)
            if what == "join":
                wr = j.get("status") == "in_waiting_room"
                p["date_time" if wr else "join_time"] = iso(now)
                send_event("participant_joined_waiting_room" if wr else "participant_joined",
                           p, ms)
            else:
                p["leave_time"] = iso(now)
                p["leave_reason"] = "left the meeting. Reason : left the meeting"
                send_event("participant_left", p, ms)
        if what == "drop" and aloop[0]:
            for ws in list(ws_clients):
                asyncio.run_coroutine_threadsafe(ws.close(1001, "dropped"), aloop[0])
        save()
        return self.reply(200, {"ok": True})

    # ---- Dashboard API ----
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/_fake/status":
            with lock:
                return self.reply(200, dict(status))
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("authorization") or ""
        tok = auth[7:] if auth.startswith("Bearer ") else ""
        parts = u.path.split("/")  # '', 'v2', 'metrics', 'meetings', ID, ['participants']
        entry = {"path": u.path, "query": u.query, "time": time.time(), "token": tok}
        with lock:
            status["requests"].append(entry)
        code, obj, hdrs = self.answer(parts, q, tok)
        entry["code"] = code
        save()
        self.reply(code, obj, hdrs)

    def answer(self, parts, q, tok):
        now = time.monotonic()
        if len(parts) < 5 or parts[1] != "v2" or parts[2] != "metrics" or parts[3] != "meetings":
            return 404, {"code": 404, "message": "Not found"}, None
        qos = len(parts) == 7 and parts[5] == "participants" and parts[6] == "qos"
        listing = (len(parts) == 6 and parts[5] == "participants") or qos
        with lock:
            if tok not in tokens or tokens[tok] <= now:
                return 401, {"code": 124, "message": "Invalid access token."}, None
            if listing:
                status["list_requests"] += 1
                if qos:
                    status["qos_requests"] += 1
                mode = None
                if fails:
                    mode, retry = fails[0][0], fails[0][2]
                    fails[0][1] -= 1
                    if fails[0][1] <= 0:
                        fails.pop(0)
                if mode == "429":
                    h = {"Retry-After": str(retry)} if retry is not None else {}
                    h["X-RateLimit-Category"] = "Heavy"
                    h["X-RateLimit-Type"] = "QPS"
                    return 429, {"code": 429, "message": "You have reached the maximum "
                                 "per-second rate limit for this API. Try again later."}, h
                if mode == "disabled":
                    return 400, {"code": 200, "message": DISABLED_MSG}, None
                if mode == "expired":
                    tokens.pop(tok, None)
                    return 401, {"code": 124, "message": "Access token is expired."}, None
                if mode == "404":
                    return 404, {"code": 3001, "message": "Meeting does not exist: %s."
                                 % parts[4]}, None
                if mode == "500":
                    return 500, {"code": 500, "message": "Internal error"}, None
            if not meeting_matches(parts[4]):
                return 404, {"code": 3001, "message": "Meeting does not exist: %s."
                             % parts[4]}, None
            if not listing:
                return 200, {"uuid": args.uuid, "id": int(args.meeting_id),
                             "topic": args.topic, "host": "Host", "email": "",
                             "user_type": "Licensed", "start_time": iso(time.time() - 600),
                             "duration": "00:10:00", "participants": joins_total[0],
                             "has_pstn": False, "has_voip": True, "has_3rd_party_audio": False,
                             "has_video": True, "has_screen_share": False,
                             "has_recording": False, "has_sip": False}, None
            if q.get("type") != ["live"]:
                return 400, {"code": 300, "message": "type must be live"}, None
            if qos:
                size = int((q.get("page_size") or ["1"])[0])
                status["qos_page_sizes"].append(size)
                if size > 10:
                    return 400, {"code": 300, "message": "page_size: at most 10"}, None
            else:
                size = min(int((q.get("page_size") or ["30"])[0]), 300)
            pt = (q.get("next_page_token") or [""])[0]
            if pt:
                snap = snapshots.get(pt)
                if not snap or snap[2] < now:
                    return 400, {"code": 300, "message": "Invalid next_page_token."}, None
                listed, off = snap[0], snap[1]
            else:
                listed, off = [dict(r) for r in rows], 0  # the list at arrival
                if qos:
                    listed = [qos_row(r) for r in listed
                              if not r["leave_time"] and r["status"] == "in_meeting"]
                status["held"] += 1 if hold[0] else 0
                while hold[0]:
                    lock.wait(timeout=30)
            page = listed[off:off + size]
            nxt = ""
            if off + size < len(listed):
                nxt = "npt-%d-%d" % (len(snapshots) + 1, off + size)
                snapshots[nxt] = (listed, off + size, now + 900)
            if mode == "malformed":
                return 200, b'{"page_count": 1, "participants": [{"user_id": "1", ', None
            return 200, {"page_count": (len(listed) + size - 1) // size or 1,
                         "page_size": size, "total_records": len(listed),
                         "next_page_token": nxt, "participants": page}, None


async def ws_check(path, request_headers):
    q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    tok = (q.get("access_token") or [""])[0]
    with lock:
        good = (urllib.parse.urlparse(path).path == "/ws"
                and q.get("subscriptionId") == [SUBSCRIPTION]
                and tok in tokens and tokens[tok] > time.monotonic())
    if not good:
        return 401, [], b"refused\n"
    return None


async def ws_handler(ws, path):
    with lock:
        status["ws_connections"] += 1
    save()
    await ws.send(json.dumps({"module": "build_connection", "success": True, "content": "ok"}))
    ws_clients.add(ws)
    try:
        async for msg in ws:
            if json.loads(msg).get("module") == "heartbeat":
                await ws.send(json.dumps({"module": "heartbeat", "success": True,
                                          "content": "live", "header": {}}))
    except Exception:
        pass
    finally:
        ws_clients.discard(ws)


async def ws_main():
    import websockets
    aloop[0] = asyncio.get_running_loop()
    async with websockets.serve(ws_handler, "127.0.0.1", args.ws_port, process_request=ws_check):
        await asyncio.Future()


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ws-port", type=int, default=0)
    p.add_argument("--status", required=True)
    p.add_argument("--token-life", type=int, default=3600)
    p.add_argument("--meeting-id", default="85000000001")
    p.add_argument("--uuid", default="zoom-live-1==")
    p.add_argument("--topic", default="Fake sitting")
    p.add_argument("--tls-port", type=int, default=0,
                   help="also serve the same API over TLS here (with --tls-cert/--tls-key)")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    args = p.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_port:
        import ssl
        tls = http.server.ThreadingHTTPServer(("127.0.0.1", args.tls_port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        threading.Thread(target=tls.serve_forever, daemon=True).start()
    save()
    if args.ws_port:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        asyncio.run(ws_main())
    else:
        srv.serve_forever()


if __name__ == "__main__":
    main()
