"""Helpers for the live integration tests (suite 'live'): loopback only, every
wait bounded, every process started here killed at exit."""
import atexit
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
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


def wait_for(pred, timeout, what):
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
    ts = int(now_ms() / 1000)
    req = urllib.request.Request("http://127.0.0.1:%d/zoom" % port, data=body, method="POST",
                                 headers={"content-type": "application/json",
                                          "x-zm-request-timestamp": str(ts),
                                          "x-zm-signature": sign(body, ts)})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def zoom_env(oauth_port, ws_port):
    """The environment of a `capmon watch zoom` pointed at tests/fake_zoom.py."""
    return {"ZOOM_ACCOUNT_ID": "acc-1", "ZOOM_CLIENT_ID": "cid-1",
            "ZOOM_CLIENT_SECRET": "csecret-1", "ZOOM_SUBSCRIPTION_ID": "sub-1",
            "CAPMON_ZOOM_OAUTH_URL": "http://127.0.0.1:%d/oauth/token" % oauth_port,
            "CAPMON_ZOOM_WS_URL": "ws://127.0.0.1:%d/ws" % ws_port,
            "CAPMON_ZOOM_HEARTBEAT_MS": "300"}


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
