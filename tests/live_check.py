"""live: `capmon check ws://…` reads a relay stream until the relay says it is
caught up, then prints the status line: 0, 1 and 2 on three relays prepared for
it (the same as `capmon check` on their logs), also over wss://; 3 when the
token is refused, when the relay is down, and when it never answers (bounded by
--timeout). usage: live_check.py CAPMON"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

CAP = 10


def check(capmon, source, token=L.TOKEN, extra=(), env=None, limit=20):
    e = dict(os.environ)
    e.pop("CAPMON_TOKEN", None)
    if token is not None:
        e["CAPMON_TOKEN"] = token
    e.update(env or {})
    t0 = time.monotonic()
    r = subprocess.run([capmon, "check", "--capacity", str(CAP)] + list(extra) + [source],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=limit)
    out = r.stdout.decode()
    if r.stderr:  # a plugin writes one line on stdout, nothing else (sanitizer reports)
        L.fail("check %s: stderr: %s" % (source, r.stderr.decode()))
    if len(out.splitlines()) != 1:
        L.fail("check %s: expected one line, got %r (stderr %r)" % (source, out, r.stderr))
    return r.returncode, out.strip(), time.monotonic() - t0


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    p = lambda n: os.path.join(d, n)  # noqa: E731
    # three relays, three streams: 3/10 (OK), 9/10 (WARNING at 90 %), 10/10 (CRITICAL)
    relays = {}
    for name, n, want in [("ok", 3, 0), ("warning", 9, 1), ("critical", 10, 2)]:
        port = L.free_port()
        relay = L.start_relay(capmon, port, p(name + ".log"), p(name + ".err"))
        now = L.now_ms()
        items = [("%s%d" % (name, i), L.join_body(i, ts=now + i)) for i in range(n)]
        res = L.curl_post_all(d, name, port, items)
        if sorted(res.values()) != [200] * n:
            L.fail("%s: posts %r" % (name, res))
        relays[name] = (relay, port, n, want)

    for name, (relay, port, n, want) in relays.items():
        rc, line, _ = check(capmon, "ws://127.0.0.1:%d/events" % port)
        L.log("%s: %d %s" % (name, rc, line))
        if rc != want:
            L.fail("%s stream: exit %d, expected %d: %s" % (name, rc, want, line))
        status = ["OK", "WARNING", "CRITICAL"][want]
        if not line.startswith("CAPMON %s - %d/%d participants" % (status, n, CAP)):
            L.fail("%s stream: status line %r" % (name, line))
        if not re.search(r"\| participants=%d;9;10;0;10 video=U;45;49;0;49 " % n, line):
            L.fail("%s stream: perfdata %r" % (name, line))
        # the same verdict and figures as the log the relay wrote
        frc, fline, _ = check(capmon, p(name + ".log"))
        if frc != rc or fline.split("|")[1] != line.split("|")[1]:
            L.fail("%s: stream and log differ:\n %s\n %s" % (name, line, fline))
        # since= in the address starts later (the first two records are not read)
        rc2, line2, _ = check(capmon, "ws://127.0.0.1:%d?since=2" % port)
        if "participants=%d;" % (n - 2) not in line2:
            L.fail("%s: since=2: %r" % (name, line2))

    relay, port, n, want = relays["warning"]
    # the token is refused, or missing: UNKNOWN
    for tok in ("not-the-token", None):
        rc, line, _ = check(capmon, "ws://127.0.0.1:%d" % port, token=tok)
        if rc != 3 or not line.startswith("CAPMON UNKNOWN - "):
            L.fail("token %r: exit %d %r" % (tok, rc, line))
    # an empty relay: no meeting yet
    eport = L.free_port()
    empty = L.start_relay(capmon, eport, p("empty.log"), p("empty.err"))
    rc, line, _ = check(capmon, "ws://127.0.0.1:%d" % eport)
    if rc != 3 or "no meeting" not in line:
        L.fail("empty relay: exit %d %r" % (rc, line))
    # the relay is down
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)
    rc, line, took = check(capmon, "ws://127.0.0.1:%d" % port)
    L.log("down: %d %s (%.2f s)" % (rc, line, took))
    if rc != 3 or not line.startswith("CAPMON UNKNOWN - ") or took > 5:
        L.fail("relay down: exit %d in %.1f s: %r" % (rc, took, line))
    # a peer that accepts and never answers: bounded by --timeout
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    rc, line, took = check(capmon, "ws://127.0.0.1:%d" % hole.getsockname()[1],
                           extra=["--timeout", "1"])
    hole.close()
    L.log("black hole: %d %s (%.2f s)" % (rc, line, took))
    if rc != 3 or took > 4:
        L.fail("silent peer: exit %d in %.1f s: %r" % (rc, took, line))

    # wss:// with a relay that has its own certificate (a test CA)
    L.tls_files(d)  # ca.pem, srv.pem, srv.key in d
    if L.stop(relays["critical"][0]) != 0:  # its log is served again, over TLS
        L.fail("relay exited")
    tport = L.free_port()
    tls = L.spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % tport, "--log",
                   p("critical.log"), "--cert", p("srv.pem"), "--key", p("srv.key")],
                  env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN},
                  stderr=open(p("tls.err"), "wb"))
    L.wait_for(lambda: subprocess.run(
        ["curl", "-s", "--cacert", p("ca.pem"), "--max-time", "2", "-o", "/dev/null",
         "https://localhost:%d/healthz" % tport]).returncode == 0, 10, "the relay over TLS")
    rc, line, _ = check(capmon, "wss://localhost:%d" % tport, env={"SSL_CERT_FILE": p("ca.pem")})
    L.log("wss: %d %s" % (rc, line))
    if rc != 2 or "participants=10;" not in line:
        L.fail("wss: exit %d %r" % (rc, line))
    rc, line, _ = check(capmon, "wss://localhost:%d" % tport,
                        env={"SSL_CERT_FILE": "/nonexistent"})
    if rc != 3:
        L.fail("wss with an untrusted certificate: exit %d %r" % (rc, line))

    for proc in (relays["ok"][0], empty, tls):
        if L.stop(proc) != 0:
            L.fail("relay exited %d" % proc.returncode)
    L.log("ok: check on relay streams: 0, 1, 2, and 3 when refused, down or silent")
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
