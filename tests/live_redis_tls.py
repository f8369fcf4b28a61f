"""A relay whose store is a Redis server that offers only TLS and wants a
password (docs/redis.md): rediss:// with CAPMON_REDIS_CA, the password from a
file named by CAPMON_REDIS_PASSWORD_FILE. Posts are acknowledged and land in
the stream (read back by python3-redis over TLS), a subscriber and a
`watch redis://` (rediss://) get them; without the CA, or with a wrong
password, the relay answers 503 and /healthz says why, without the password.

usage: live_redis_tls.py CAPMON JSONCMP"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

STREAM = "capmon-tls"
PASSWORD = "tls-test-pw-7f3a"
MEETING = "85012345678"


def certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*argv):
        subprocess.run(["openssl"] + list(argv), cwd=d, check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=capmon-test-ca")
    with open(os.path.join(d, "srv.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    run("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "srv.ext", "-out", "srv.crt")


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    L.need_redis()
    d = L.workdir()
    certs(d)
    tport = L.free_port()
    rdir = os.path.join(d, "redis")
    os.makedirs(rdir)
    # TLS only (--port 0), clients need no certificate, a password
    redis = L.spawn([L.REDIS_SERVER, "--port", "0", "--tls-port", str(tport),
                     "--bind", "127.0.0.1", "--dir", rdir, "--save", "", "--appendonly", "yes",
                     "--appendfsync", "always", "--daemonize", "no", "--logfile", "",
                     "--tls-cert-file", os.path.join(d, "srv.crt"),
                     "--tls-key-file", os.path.join(d, "srv.key"),
                     "--tls-ca-cert-file", os.path.join(d, "ca.crt"),
                     "--tls-auth-clients", "no", "--requirepass", PASSWORD],
                    stdout=open(os.path.join(rdir, "redis.log"), "wb"),
                    stderr=subprocess.STDOUT)
    import redis as pyredis

    def client():
        return pyredis.Redis(host="localhost", port=tport, password=PASSWORD, ssl=True,
                             ssl_ca_certs=os.path.join(d, "ca.crt"), socket_timeout=5,
                             socket_connect_timeout=5)

    def ping():
        try:
            return client().ping()
        except Exception:
            return False
    L.wait_for(lambda: redis.poll() is not None or ping(), 15, "redis-server (TLS) to answer")
    if redis.poll() is not None:
        L.fail("redis-server with TLS exited %d" % redis.returncode)
    pwfile = os.path.join(d, "redis.pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")
    url = "rediss://localhost:%d/%s" % (tport, STREAM)
    good = {"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN,
            "CAPMON_REDIS_CA": os.path.join(d, "ca.crt"), "CAPMON_REDIS_PASSWORD_FILE": pwfile}

    def relay(port, name, env):
        err = os.path.join(d, "relay-%s.err" % name)
        p = L.spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % port, "--store", url],
                    env=env, stderr=open(err, "wb"))
        L.wait_for(lambda: p.poll() is not None or L.healthz_status(port)[0] != 0, 15,
                   "relay %s to listen" % name)
        return p, err

    pa = L.free_port()
    ra, erra = relay(pa, "a", good)
    L.wait_for(lambda: L.healthz_status(pa)[0] == 200, 15, "relay A healthy over TLS")
    wout = os.path.join(d, "watch.out")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log",
                     os.path.join(d, "watch.log"), url],
                    env={"CAPMON_REDIS_CA": good["CAPMON_REDIS_CA"],
                         "CAPMON_REDIS_PASSWORD": PASSWORD},
                    stdout=open(wout, "wb"))
    sub = L.Subscriber("ws://127.0.0.1:%d/events?since=0" % pa,
                       until=lambda s: len(s.msgs) >= 5).start()
    for i in range(5):
        st, seq = L.post_signed_seq(pa, L.meeting_body("join", 60000 + i, MEETING))
        if (st, seq) != (200, i + 1):
            L.fail("POST %d over TLS: %s %r" % (i, st, seq))
    entries = [e for e in client().xrange(STREAM)]
    if [e[0].decode() for e in entries] != ["0-%d" % i for i in range(1, 6)]:
        L.fail("stream over TLS holds %r" % [e[0] for e in entries])
    sub.wait(lambda s: len(s.msgs) >= 5, 10, "the subscriber's 5 records")
    if [r["seq"] for r in sub.records()] != [1, 2, 3, 4, 5]:
        L.fail("subscriber got %r" % [r["seq"] for r in sub.records()])
    L.wait_for(lambda: (L.last_json_line(wout) or {}).get("events", {}).get("applied") == 5,
               15, "watch rediss:// to apply the 5 events")
    L.stop(watch)
    exp = os.path.join(d, "export.jsonl")
    L.write_stream_log([(e[0].decode(), {k.decode(): v for k, v in e[1].items()})
                        for e in entries], exp)
    want = L.replay_snapshot(capmon, exp)
    L.compare_snapshots(jsoncmp, d, want, L.last_json_line(wout), "watch-rediss")

    # without the CA: refused, said so
    pb = L.free_port()
    env = dict(good)
    del env["CAPMON_REDIS_CA"]
    rb, errb = relay(pb, "b", env)
    L.wait_for(lambda: L.healthz_status(pb)[0] == 503, 15, "relay B (no CA) /healthz 503")
    st, h = L.healthz_status(pb)
    if "trust" not in (h or {}).get("error", ""):
        L.fail("relay B without the CA: /healthz error %r does not say the certificate "
               "is not trusted" % (h,))
    st, seq = L.post_signed_seq(pb, L.meeting_body("join", 61000, MEETING))
    if st != 503:
        L.fail("relay B without the CA answered %s" % st)
    # a wrong password: refused, said so, the password never shown
    pc = L.free_port()
    env = dict(good)
    del env["CAPMON_REDIS_PASSWORD_FILE"]
    env["CAPMON_REDIS_PASSWORD"] = "wrong-pw-91c2"
    rc, errc = relay(pc, "c", env)
    L.wait_for(lambda: L.healthz_status(pc)[0] == 503, 15, "relay C (wrong password) 503")
    st, h = L.healthz_status(pc)
    text = open(errc).read() + repr(h)
    if "WRONGPASS" not in text and "invalid" not in text:
        L.fail("relay C: the refusal does not say the password is wrong: %r" % (h,))
    for f in (erra, errb, errc):
        t = open(f).read()
        if PASSWORD in t or "wrong-pw-91c2" in t:
            L.fail("%s shows a password" % f)
    for p in (ra, rb, rc):
        if L.stop(p) != 0:
            L.fail("relay exited %d" % p.returncode)
    L.check_no_sanitizer_report(erra, errb, errc)
    L.log("ok: rediss:// with a CA and a password file: 5 acknowledged, in the stream, "
          "served, watch rediss:// == replay; no CA: 503 'not trusted'; wrong password: 503; "
          "no password in any log")
    subprocess.run(["rm", "-rf", d])


main()
