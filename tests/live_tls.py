"""live: `capmon relay --cert --key` serves https and wss: a signed webhook posted
with curl over TLS is accepted and reaches `capmon watch wss://` that trusts the
test CA; a monitor that does not trust it never connects and raises `feed`.
usage: live_tls.py CAPMON"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    p = lambda n: os.path.join(d, n)  # noqa: E731
    L.tls_files(d)
    port = L.free_port()
    relay = L.spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % port, "--log", p("relay.log"),
                     "--cert", p("srv.pem"), "--key", p("srv.key")],
                    env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN},
                    stderr=open(p("relay.err"), "wb"))

    def curl(*args):
        r = subprocess.run(["curl", "-s", "--cacert", p("ca.pem"), "--max-time", "5", "-o",
                            "/dev/null", "-w", "%{http_code}"] + list(args),
                           stdout=subprocess.PIPE, timeout=30)
        return r.stdout.decode()
    L.wait_for(lambda: curl("https://localhost:%d/healthz" % port) == "200", 10,
               "the relay over TLS")
    good = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log", p("good.log"),
                    "wss://localhost:%d" % port],
                   env={"CAPMON_TOKEN": L.TOKEN, "SSL_CERT_FILE": p("ca.pem")},
                   stdout=open(p("good.out"), "wb"))
    bad = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log", p("bad.log"),
                   "wss://localhost:%d" % port],
                  env={"CAPMON_TOKEN": L.TOKEN, "SSL_CERT_FILE": "/nonexistent"},
                  stdout=open(p("bad.out"), "wb"))
    L.wait_for(lambda: (L.last_json_line(p("good.out")) or {}).get("clock", 1) is None and
               "connected" in open(p("good.log")).read(), 10, "the trusting monitor to connect")
    body = L.join_body(1)
    with open(p("body"), "wb") as f:
        f.write(body)
    ts = int(L.now_ms() / 1000)
    code = curl("-X", "POST", "--data-binary", "@" + p("body"), "-H",
                "x-zm-request-timestamp: %d" % ts, "-H", "x-zm-signature: " + L.sign(body, ts),
                "https://localhost:%d/zoom" % port)
    if code != "200":
        L.fail("signed webhook over https: %s" % code)
    L.wait_for(lambda: (L.last_json_line(p("good.out")) or {}).get("events", {})
               .get("applied") == 1, 10, "the event over wss")
    feed = [a for a in L.last_json_line(p("bad.out"))["alerts"] if a["rule"] == "feed"]
    if not feed or feed[0]["status"] != "firing":
        L.fail("a monitor that cannot verify the relay's certificate shows no feed alert")
    # the reason in words, for the log and the dashboard's header (issue 15 item 3)
    L.wait_for(lambda: "connection failed: TLS: certificate not trusted" in open(p("bad.log")).read(),
               10, "the untrusted certificate named in the log")
    for proc, name in [(good, "watch"), (bad, "watch"), (relay, "relay")]:
        if L.stop(proc) != 0:
            L.fail("%s exited %d" % (name, proc.returncode))
    L.log("ok: https ingest and wss stream; an untrusted certificate raises feed and says so")
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
