"""live (issue 11 item 2): slow bodies, many of them, and running out of
descriptors, against `capmon relay` (raw sockets and curl as the peers):
- a body trickled a byte at a time is answered 408 and closed (the whole body
  must come within 10 s of the headers; lws restarted its own timeout at every
  byte, so it was kept forever);
- with 300 bodies trickling, further POSTs are answered 503 at once, GET
  /healthz still answers, the log lines stay few (rate-limited), and once they
  are gone a webhook is accepted again;
- under `ulimit -n 64`, 100 idle connections: the relay stops accepting for a
  while instead of spinning on accept() at EMFILE (it burned a core and wrote
  ~150,000 lines a second), and recovers once they close.
usage: live_slowbody.py CAPMON"""
import os
import resource
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402
from live_pipeline import cpu_seconds, parse_responses, signed_request  # noqa: E402

D = None


def slow_conn(port, declared=400, sent=20):
    """A POST whose headers and first bytes are sent; the rest never comes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /zoom HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % declared +
              b"{" * sent)
    return s


def status(port, data, timeout=10):
    """One request on its own connection: the status of the answer (0: none)."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(data)
        got = b""
        while not parse_responses(got):
            b = s.recv(65536)
            if not b:
                break
            got += b
        s.close()
        r = parse_responses(got)
        return r[0][0] if r else 0
    except OSError:
        return 0


def curl_healthz(port):
    r = subprocess.run(["curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://127.0.0.1:%d/healthz" % port], stdout=subprocess.PIPE, timeout=30)
    return r.stdout.decode()


def trickle(capmon):
    port = L.free_port()
    errpath = os.path.join(D, "trickle.err")
    relay = L.start_relay(capmon, port, os.path.join(D, "trickle.log"), errpath)
    s = slow_conn(port, declared=100, sent=10)
    got, closed, start = b"", False, time.monotonic()
    s.settimeout(0.5)
    while time.monotonic() - start < 40 and not closed:
        try:
            s.sendall(b" ")  # one byte every 0.5 s: never complete before 45 s
        except OSError:
            closed = True
            break
        try:
            b = s.recv(65536)
            if not b:
                closed = True
            got += b
        except socket.timeout:
            pass
        except OSError:
            closed = True
    s.close()
    r = parse_responses(got)
    if not closed or [st for st, _ in r] != [408]:
        L.fail("a trickled body: answers %s, closed %s after %.0f s (expected 408 and a close)" %
               (r, closed, time.monotonic() - start))
    if "408 body not complete within 10 s" not in open(errpath).read():
        L.fail("no log line for the timed-out body")
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)
    L.check_no_sanitizer_report(errpath)
    L.log("ok: a trickled body is answered 408 and closed")


def many_slow(capmon):
    port = L.free_port()
    errpath = os.path.join(D, "many.err")
    logpath = os.path.join(D, "many.log")
    relay = L.start_relay(capmon, port, logpath, errpath)
    rss0 = int(open("/proc/%d/statm" % relay.pid).read().split()[1]) * os.sysconf("SC_PAGESIZE")
    conns = [slow_conn(port) for _ in range(300)]
    # wait until the relay has taken them all: then the cap is reached
    L.wait_for(lambda: status(port, signed_request(L.join_body(1))) == 503, 20,
               "a POST to be refused 503 with 300 slow bodies in progress")
    for _ in range(3):
        if curl_healthz(port) != "200":
            L.fail("/healthz does not answer with 300 slow bodies in progress")
    for _ in range(200):  # refusals: their log lines are rate-limited
        status(port, signed_request(L.join_body(2)))
    rss1 = int(open("/proc/%d/statm" % relay.pid).read().split()[1]) * os.sysconf("SC_PAGESIZE")
    L.log("relay RSS: %.1f MB idle, %.1f MB with 300 slow bodies" % (rss0 / 1e6, rss1 / 1e6))
    for c in conns:
        c.close()
    L.wait_for(lambda: status(port, signed_request(L.join_body(3))) == 200, 20,
               "a webhook accepted once the slow bodies are gone")
    lines = open(errpath).read().count("\n")
    if lines > 200:
        L.fail("%d log lines for 200 refusals and 300 slow bodies (not rate-limited)" % lines)
    if "too many requests in progress" not in open(errpath).read():
        L.fail("no log line for the 503 refusals")
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)
    L.check_no_sanitizer_report(errpath)
    L.log("ok: 300 slow bodies: POSTs 503, /healthz answers, %d log lines, recovers" % lines)


def emfile(capmon):
    port = L.free_port()
    errpath = os.path.join(D, "emfile.err")

    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    relay = subprocess.Popen([capmon, "relay", "--listen", "127.0.0.1:%d" % port, "--log",
                              os.path.join(D, "emfile.log")],
                             env=dict(os.environ, CAPMON_WEBHOOK_SECRET=L.SECRET,
                                      CAPMON_TOKEN=L.TOKEN),
                             stderr=open(errpath, "wb"), preexec_fn=low_nofile,
                             start_new_session=True)
    L._procs.append(relay)
    L.wait_for(lambda: relay.poll() is not None or L.healthz(port), 10, "the relay to listen")
    conns = []
    for _ in range(100):  # more than its descriptors: the backlog holds the rest
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        conns.append(s)
    time.sleep(1)  # let it take what it can
    c0, t0 = cpu_seconds(relay.pid), time.monotonic()
    n0 = open(errpath).read().count("\n")
    while time.monotonic() - t0 < 3:
        time.sleep(0.2)
    used = cpu_seconds(relay.pid) - c0
    lines = open(errpath).read().count("\n") - n0
    if relay.poll() is not None:
        L.fail("relay died under ulimit -n 64: %s" % open(errpath).read()[-2000:])
    if used > 0.3 or lines > 100:
        L.fail("relay used %.2f s of CPU and wrote %d log lines in 3 s with its descriptors "
               "exhausted (a spin on accept)" % (used, lines))
    for s in conns:
        s.close()
    L.wait_for(lambda: curl_healthz(port) == "200", 30, "/healthz once the connections close")
    L.wait_for(lambda: status(port, signed_request(L.join_body(4))) == 200, 30,
               "a webhook accepted once the connections close")
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)
    L.check_no_sanitizer_report(errpath)
    L.log("ok: at EMFILE the relay pauses (%.2f s CPU, %d lines in 3 s) and recovers" %
          (used, lines))


def main():
    global D
    capmon = sys.argv[1]
    D = L.workdir()
    which = sys.argv[2:] or ["trickle", "many", "emfile"]
    if "emfile" in which:
        emfile(capmon)
    if "many" in which:
        many_slow(capmon)
    if "trickle" in which:
        trickle(capmon)
    subprocess.run(["rm", "-rf", D])


if __name__ == "__main__":
    main()
