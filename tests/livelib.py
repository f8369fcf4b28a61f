"""Helpers for the live integration tests (suite 'live'): loopback only, every
wait bounded, every process started here killed at exit."""
import atexit
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SECRET = "live-test-secret"
TOKEN = "live-test-token"

_procs = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def log(msg):
    print(msg, flush=True)


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(_cleanup)


def spawn(argv, env=None, stdout=None, stderr=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.Popen(argv, env=e, stdout=stdout, stderr=stderr,
                         start_new_session=True)
    _procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=10):
    """Signal p and wait (bounded); SIGKILL if it does not go."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)
            fail("%s did not stop within %d s" % (p.args[0], timeout))
    return p.returncode


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# Deadlines are generous and only cost time when something is wrong: each wait
# is on a condition. tools/test.sh scales them on a slow run (the sanitizers,
# a loaded machine) with CAPMON_TEST_TIMEOUT_SCALE.
TIMEOUT_SCALE = max(1.0, float(os.environ.get("CAPMON_TEST_TIMEOUT_SCALE", "1") or 1))


def wait_for(pred, timeout, what):
    timeout *= TIMEOUT_SCALE
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    fail("timed out after %g s waiting for %s" % (timeout, what))


def workdir():
    d = tempfile.mkdtemp(prefix="capmon-live-")
    return d


def sign(body, ts, secret=SECRET):
    msg = ("v0:%s:" % ts).encode() + body
    return "v0=" + hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def now_ms():
    return int(time.time() * 1000)


def post_signed(port, body):
    """POST a signed webhook body to the relay's /zoom with urllib; the HTTP status."""
    return post_signed_seq(port, body)[0]


def save_json(path, obj, lock):
    """Write obj to path whole (a temporary file renamed over it), holding lock:
    the fakes save from an HTTP thread and from their event loop, and two
    renames of one temporary file lose one (the other finds it gone)."""
    with lock:
        text = json.dumps(obj)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def zoom_env(oauth_port, ws_port):
    """The environment of a `capmon watch zoom` pointed at tests/fake_zoom.py."""
    return {"ZOOM_ACCOUNT_ID": "acc-1", "ZOOM_CLIENT_ID": "cid-1",
            "ZOOM_CLIENT_SECRET": "csecret-1", "ZOOM_SUBSCRIPTION_ID": "sub-1",
            "CAPMON_ZOOM_OAUTH_URL": "http://127.0.0.1:%d/oauth/token" % oauth_port,
            "CAPMON_ZOOM_WS_URL": "ws://127.0.0.1:%d/ws" % ws_port,
            "CAPMON_ZOOM_HEARTBEAT_MS": "300",
            # the reconciler runs too: never towards the real api.zoom.us (a
            # resolver that hangs would stall the loop); port 9 refuses at once
            "CAPMON_ZOOM_API_URL": "http://127.0.0.1:9/v2"}


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)


def tls_files(d):
    """A test CA and a server certificate for localhost / 127.0.0.1 signed by it,
    made with openssl in d: (ca.pem, srv.pem, srv.key) paths."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out",
            p("ca.pem"), "-days", "2", "-subj", "/CN=capmon test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("srv.key"), "-out",
            p("srv.csr"), "-subj", "/CN=localhost")
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", p("srv.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p("srv.pem"), "-days", "2", "-extfile", p("ext.cnf"))
    return p("ca.pem"), p("srv.pem"), p("srv.key")


def healthz(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


def start_relay(capmon, port, logpath, errpath, extra=()):
    p = spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % port, "--log", logpath] + list(extra),
              env={"CAPMON_WEBHOOK_SECRET": SECRET, "CAPMON_TOKEN": TOKEN},
              stderr=open(errpath, "ab"))
    wait_for(lambda: p.poll() is not None or healthz(port), 10, "the relay to listen")
    if p.poll() is not None:
        fail("relay exited %d: %s" % (p.returncode, open(errpath).read()))
    return p


def curl_config(d, name, port, items, path="/zoom", stale=False):
    """A curl config posting each (id, body bytes) signed, with an id in the query
    so that parallel answers can be told apart."""
    lines = []
    ts = int(time.time()) - (1000 if stale else 0)
    for i, body in items:
        f = os.path.join(d, "body-%s" % i)
        with open(f, "wb") as fh:
            fh.write(body)
        lines += [
            'url = "http://127.0.0.1:%d%s?id=%s"' % (port, path, i),
            'request = "POST"',
            'header = "content-type: application/json"',
            'header = "x-zm-request-timestamp: %d"' % ts,
            'header = "x-zm-signature: %s"' % sign(body, ts),
            'data-binary = "@%s"' % f,
            'output = "/dev/null"',
            'write-out = "%{url_effective} %{http_code}\\n"',
            'max-time = 10',
            'next',
        ]
    cfg = os.path.join(d, "curl-%s.cfg" % name)
    with open(cfg, "w") as fh:
        fh.write("\n".join(lines[:-1]) + "\n")
    return cfg


def curl_post_all(d, name, port, items, parallel=1):
    """Post every item with curl; returns {id: http status (0: no answer)}."""
    cfg = curl_config(d, name, port, items)
    argv = ["curl", "-s", "-K", cfg]
    if parallel > 1:
        argv[1:1] = ["-Z", "--parallel-max", str(parallel)]
    p = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out, _ = p.communicate(timeout=300)
    return parse_curl(out.decode())


def parse_curl(text):
    res = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 2 or "id=" not in parts[0]:
            continue
        res[parts[0].split("id=")[1]] = int(parts[1])
    return res


def join_body(uid, ts=None, meeting="live-1", name=None):
    name = name or "Switzerland - Delegate %s" % uid
    return json.dumps({
        "event": "meeting.participant_joined", "event_ts": ts or now_ms(),
        "payload": {"account_id": "acc", "object": {
            "uuid": meeting, "id": "85012345678", "topic": "Live test",
            "participant": {"user_id": str(uid), "user_name": name, "id": ""}}}},
        separators=(",", ":")).encode()


def left_body(uid, ts=None, meeting="live-1"):
    return json.dumps({
        "event": "meeting.participant_left", "event_ts": ts or now_ms(),
        "payload": {"account_id": "acc", "object": {
            "uuid": meeting, "id": "85012345678",
            "participant": {"user_id": str(uid), "user_name": "Switzerland - Delegate %s" % uid,
                            "leave_reason": "left the meeting. Reason : left the meeting"}}}},
        separators=(",", ":")).encode()


def last_json_line(path):
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    except OSError:
        return None
    for l in reversed(lines):
        try:
            return json.loads(l)
        except ValueError:
            continue
    return None


def replay_snapshot(capmon, logpath, extra=()):
    out = subprocess.run([capmon, "replay", "--max", "--json"] + list(extra) + [logpath],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if out.returncode != 0:
        fail("replay exited %d: %s" % (out.returncode, out.stderr.decode()))
    return json.loads(out.stdout)


def compare_snapshots(jsoncmp, d, expected, actual, name):
    """jsoncmp with the clock masked: a live monitor's clock keeps running on its
    1 s tick after the last record (SPEC §4.1), a replay's stops at it."""
    expected = dict(expected)
    expected["clock"] = "*"
    e = os.path.join(d, name + "-expected.json")
    a = os.path.join(d, name + "-actual.json")
    json.dump(expected, open(e, "w"), indent=1)
    json.dump(actual, open(a, "w"), indent=1)
    r = subprocess.run([jsoncmp, e, a], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    if r.returncode != 0:
        fail("%s: watch snapshot differs from the replay of the log:\n%s" %
             (name, r.stdout.decode()))


def log_records(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            j = json.loads(line)
            if "seq" in j:
                recs.append(j)
    return recs


def log_records_tolerant(path):
    """Records of a log that may end with a torn line (after kill -9)."""
    recs = []
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if "seq" in j:
                recs.append(j)
    return recs


# ---- Redis (issue 7: several relays sharing a Redis stream, docs/redis.md) ----

REDIS_SERVER = "/usr/bin/redis-server"


def redis_missing():
    """What is missing to run redis-server tests (None: nothing)."""
    if not os.access(REDIS_SERVER, os.X_OK):
        return "%s not installed" % REDIS_SERVER
    try:
        import redis  # noqa: F401
    except ImportError:
        return "python3-redis not installed"
    return None


def need_redis():
    """Exit 77 (meson: skipped) when redis-server or python3-redis is missing."""
    why = redis_missing()
    if why:
        log("SKIP: " + why)
        sys.exit(77)


def redis_client(port):
    """A python3-redis client of the server on 127.0.0.1:port (bytes replies,
    every call bounded by 5 s)."""
    import redis
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5,
                       socket_connect_timeout=5)


def _redis_ping(port):
    try:
        return redis_client(port).ping()
    except Exception:
        return False


def start_redis(port, dir, aof=True, extra=()):
    """A redis-server on 127.0.0.1:port with its files in dir (no RDB snapshots;
    AOF with appendfsync always unless aof=False), its log in dir/redis.log.
    Returns the process once it answers PING. Started again with the same port
    and dir it reloads its AOF."""
    os.makedirs(dir, exist_ok=True)
    argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", dir,
            "--save", "", "--daemonize", "no", "--logfile", "",
            "--appendonly", "yes" if aof else "no"]
    if aof:
        argv += ["--appendfsync", "always"]
    argv += list(extra)
    p = spawn(argv, stdout=open(os.path.join(dir, "redis.log"), "ab"),
              stderr=subprocess.STDOUT)
    wait_for(lambda: p.poll() is not None or _redis_ping(port), 15, "redis-server to answer PING")
    if p.poll() is not None:
        fail("redis-server exited %d: %s" % (p.returncode,
                                            open(os.path.join(dir, "redis.log")).read()[-2000:]))
    return p


def stream_entries(port, stream, page=1000):
    """Every entry of the stream, [(id str, {field str: value bytes})], read with
    XRANGE in pages."""
    r = redis_client(port)
    out = []
    start = "-"
    while True:
        batch = r.xrange(stream, min=start, max="+", count=page)
        for eid, fields in batch:
            out.append((eid.decode(), {k.decode(): v for k, v in fields.items()}))
        if len(batch) < page:
            return out
        start = "(" + out[-1][0]


def export_stream(port, stream, path):
    """Write the stream as a capmon log (docs/formats.md), independently of
    capmon: one {"seq","recv","src","body"} line per entry, seq being the
    number after '-' of the entry ID. Returns the records written."""
    return write_stream_log(stream_entries(port, stream), path)


def write_stream_log(entries, path):
    """export_stream's writing part, for entries read elsewhere (as
    stream_entries gives them)."""
    recs = []
    with open(path, "w") as f:
        for eid, fields in entries:
            rec = {"seq": int(eid.split("-")[1]), "recv": int(fields["recv"]),
                   "src": fields["src"].decode(), "body": json.loads(fields["body"])}
            recs.append(rec)
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    return recs


def start_relay_redis(capmon, port, redis_port, stream, errpath, extra=(), wait_ok=True):
    """A relay on 127.0.0.1:port with --store redis://127.0.0.1:redis_port/stream;
    waits until it listens (and, with wait_ok, until /healthz says ok)."""
    p = spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % port,
               "--store", "redis://127.0.0.1:%d/%s" % (redis_port, stream)] + list(extra),
              env={"CAPMON_WEBHOOK_SECRET": SECRET, "CAPMON_TOKEN": TOKEN},
              stderr=open(errpath, "ab"))

    def up():
        if p.poll() is not None:
            return True
        st, h = healthz_status(port)
        return st == 200 if wait_ok else st != 0
    wait_for(up, 15, "the relay to listen with its Redis store")
    if p.poll() is not None:
        fail("relay exited %d: %s" % (p.returncode, open(errpath).read()))
    return p


def healthz_status(port):
    """(HTTP status, JSON body or None) of GET /healthz; (0, None) without answer."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read())
        except ValueError:
            return e.code, None
    except OSError:
        return 0, None


def post_signed_seq(port, body, timeout=10):
    """POST a signed webhook to /zoom: (HTTP status, seq or None); status 0 when
    no answer came (connection refused, reset, timeout)."""
    ts = int(now_ms() / 1000)
    req = urllib.request.Request("http://127.0.0.1:%d/zoom" % port, data=body, method="POST",
                                 headers={"content-type": "application/json",
                                          "x-zm-request-timestamp": str(ts),
                                          "x-zm-signature": sign(body, ts)})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            data = r.read()
            try:
                return r.status, json.loads(data).get("seq")
            except ValueError:
                return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, None
    except (OSError, http.client.HTTPException):
        return 0, None


def meeting_body(kind, uid, meeting_id, ts=None, uuid=None, name=None):
    """A participant_joined (kind "join") or participant_left ("left") webhook
    body for meeting `meeting_id` (payload.object.id: a str, or an int to send
    it as a JSON number); uuid defaults to "uuid-<id>"."""
    uuid = uuid or "uuid-%s" % meeting_id
    part = {"user_id": str(uid), "user_name": name or "Switzerland - Delegate %s" % uid,
            "id": ""}
    if kind == "left":
        part["leave_reason"] = "left the meeting. Reason : left the meeting"
    return json.dumps({
        "event": "meeting.participant_joined" if kind == "join" else "meeting.participant_left",
        "event_ts": ts or now_ms(),
        "payload": {"account_id": "acc", "object": {
            "uuid": uuid, "id": meeting_id, "topic": "Live test %s" % meeting_id,
            "participant": part}}}, separators=(",", ":")).encode()


def record_text(seq, recv, src, body):
    """The line (without newline) the relay writes and streams for a record whose
    body (bytes) is compact JSON on one line: Record_format splices it verbatim."""
    return '{"seq":%d,"recv":%d,"src":"%s","body":%s}' % (seq, recv, src, body.decode())


class Subscriber:
    """A python3-websockets subscriber of a relay stream in a thread of its own:
    every text frame, in order, in .msgs. until(sub) -> True ends it early.
    .error: the exception that ended it (None: stopped or until); .status: the
    HTTP status when the upgrade was refused."""

    def __init__(self, url, until=None, token=TOKEN):
        self.url, self.until, self.token = url, until, token
        self.msgs, self.error, self.status = [], None, None
        self.connected, self.done = threading.Event(), threading.Event()
        self._stop = False
        self._t = threading.Thread(target=self._main, daemon=True)

    def start(self, timeout=10):
        self._t.start()
        end = time.monotonic() + timeout
        while time.monotonic() < end and not (self.connected.is_set() or self.done.is_set()):
            time.sleep(0.02)
        return self

    def _main(self):
        import asyncio
        import websockets

        async def run():
            hdrs = {"Authorization": "Bearer " + self.token} if self.token else {}
            async with websockets.connect(self.url, extra_headers=hdrs, max_size=2 ** 22,
                                          open_timeout=10, close_timeout=2) as ws:
                self.connected.set()
                while not self._stop:
                    try:
                        m = await asyncio.wait_for(ws.recv(), 0.2)
                    except asyncio.TimeoutError:
                        continue
                    self.msgs.append(m)
                    if self.until and self.until(self):
                        return
        try:
            asyncio.run(run())
        except Exception as e:
            self.status = getattr(e, "status_code", None)
            self.error = e
        finally:
            self.done.set()

    def stop(self, timeout=5):
        self._stop = True
        self.done.wait(timeout)
        return self

    def records(self):
        """The records (frames with a seq) as parsed JSON."""
        return [j for j in map(json.loads, list(self.msgs)) if "seq" in j]

    def controls(self):
        """The control frames (gap, caught_up, feed) as parsed JSON."""
        return [j for j in map(json.loads, list(self.msgs)) if "seq" not in j]

    def wait(self, pred, timeout, what):
        def ok():
            if self.error is not None and not pred(self):
                fail("subscriber %s ended: %r (waiting for %s)" % (self.url, self.error, what))
            return pred(self)
        return wait_for(ok, timeout, what)


def check_no_sanitizer_report(*paths):
    """Fail if a process's stderr file holds an ASan/UBSan report (a sanitizer
    build: UBSan's default only prints and carries on)."""
    for p in paths:
        try:
            text = open(p, errors="replace").read()
        except OSError:
            continue
        for mark in ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer"):
            k = text.find(mark)
            if k >= 0:
                fail("%s: sanitizer report: %s" % (p, text[max(0, k - 200):k + 300]))
