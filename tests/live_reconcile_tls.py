"""live: the relay's Zoom clients over real TLS. A relay that serves plain HTTP
(no --cert) still makes TLS client connections: with --reconcile-interval it
asks Zoom's OAuth and Dashboard API over https (tests/fake_zoom_api.py behind
Python's ssl, a test CA the relay trusts through SSL_CERT_FILE, as OpenSSL
reads it), and the lists land in its log. A CA it does not trust: refused,
and said so in the relay's log.
usage: live_reconcile_tls.py CAPMON"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402
from live_reconcile import Fake, MEETING  # noqa: E402


def relay_with(capmon, d, name, fake, cafile):
    env = {k: v for k, v in fake.env().items() if not k.endswith("_WS_URL")}
    env["CAPMON_ZOOM_OAUTH_URL"] = "https://127.0.0.1:%d/oauth/token" % fake.tls_port
    env["CAPMON_ZOOM_API_URL"] = "https://127.0.0.1:%d/v2" % fake.tls_port
    env["SSL_CERT_FILE"] = cafile
    os.environ.update(env)
    port, logpath = L.free_port(), os.path.join(d, name + ".log")
    errpath = os.path.join(d, name + ".err")
    relay = L.start_relay(capmon, port, logpath, errpath, extra=["--reconcile-interval", "1"])
    body = L.meeting_body("join", "1", MEETING, uuid="zoom-live-1==", name="Chile - Member 1")
    if L.post_signed(port, body) != 200:
        L.fail("the relay refused the webhook")
    return relay, logpath, errpath


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    ca, cert, key = L.tls_files(d)
    fake = Fake(d, "tls", ws=False, tls=(cert, key))
    for i in range(1, 3):
        fake.join(str(i), "Chile - Member %d" % i)

    relay, logpath, errpath = relay_with(capmon, d, "trusting", fake, ca)

    def recs():
        try:
            return [r for r in L.log_records_tolerant(logpath) if r.get("src") == "reconcile"]
        except (OSError, ValueError):
            return []
    L.wait_for(lambda: len(recs()) >= 1, 30,
               "a reconcile record fetched over https in the relay's log")
    L.stop(relay)
    snap = L.replay_snapshot(capmon, logpath)
    if snap["meetings"][0]["participants"] != 2:
        L.fail("the list fetched over TLS does not replay to 2 in: %s" % snap["meetings"])
    L.log("ok: a plain-HTTP relay reconciles over https (replay: 2 in)")

    # a CA the relay does not trust: no list, and the log says why
    os.makedirs(os.path.join(d, "other"))
    other, _, _ = L.tls_files(os.path.join(d, "other"))
    relay, logpath, errpath = relay_with(capmon, d, "distrusting", fake, other)
    L.wait_for(lambda: "certificate" in open(errpath).read().lower() or
               "tls" in open(errpath).read().lower(), 30,
               "the relay's log to say the server's certificate is not trusted")
    if recs():
        L.fail("a list fetched from an untrusted server")
    L.stop(relay)
    L.stop(fake.p)
    L.log("ok: an untrusted certificate is refused: %s" %
          [ln for ln in open(errpath).read().splitlines() if "ertificate" in ln or "TLS" in ln][:1])
    L.log("PASS")


if __name__ == "__main__":
    main()
