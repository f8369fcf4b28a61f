"""live (issue 11 item 1): HTTP/1.1 requests pipelined on one keep-alive
connection, sent by a raw socket (plain and TLS) to `capmon relay` and to the
`webhook://` source of `capmon watch`. libwebsockets 4.1.6 repeats the body
completion while the next request waits in its buffer (the relay then logged
the first event ~150 times and spun at 100 % CPU, deaf to /healthz and
SIGTERM). Pipelining is not served: the first request is answered and taken
once, then the connection closes (the client retries the rest, RFC 9112
9.3.2); requests one after the other on a keep-alive connection are all
answered. Each time /healthz answers, the process stays idle (no spin), and it
stops on SIGTERM.
usage: live_pipeline.py CAPMON"""
import os
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

D = None
IN_TURN_ROUNDS = 300


def signed_request(body, path="/zoom"):
    ts = int(time.time())
    return (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"x-zm-request-timestamp: %d\r\nx-zm-signature: %s\r\n"
            b"Content-Length: %d\r\n\r\n" % (path.encode(), ts, L.sign(body, ts).encode(),
                                              len(body))) + body


# the issue's reproduction: two unauthenticated POSTs back to back
ISSUE_BYTES = (b"POST /zoom HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
               b"POST /zoom HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")


def parse_responses(data):
    """[(status, body bytes)] of the complete HTTP/1.1 responses in data."""
    out = []
    while data.startswith(b"HTTP/1.1 "):
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1").split("\r\n")
        n = 0
        for h in head[1:]:
            k, _, v = h.partition(":")
            if k.strip().lower() == "content-length":
                n = int(v)
        if len(data) < end + 4 + n:
            break
        out.append((int(head[0].split()[1]), data[end + 4:end + 4 + n]))
        data = data[end + 4 + n:]
    return out


def exchange(port, chunks, tls=None, timeout=8):
    """Send the chunks on one connection (a pause between them, so that they
    arrive as separate reads), then read until the server closes or the
    deadline: (the responses in order, whether the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        s = tls.wrap_socket(s, server_hostname="localhost")
    data, closed = b"", False
    try:
        for i, c in enumerate(chunks):
            if i:
                time.sleep(0.2)
            try:
                s.sendall(c)
            except OSError:  # closed already: what came back is checked
                break
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s.settimeout(max(0.1, end - time.monotonic()))
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not b:
                closed = True
                break
            data += b
    finally:
        s.close()
    return parse_responses(data), closed


def in_turn(port, requests, tls=None, timeout=10):
    """Send each request on one connection once the answer to the previous one
    has come: (the responses, whether the server closed at the end)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        s = tls.wrap_socket(s, server_hostname="localhost")
    data, closed = b"", False
    try:
        for i, req in enumerate(requests):
            s.sendall(req)
            end = time.monotonic() + timeout
            while len(parse_responses(data)) <= i and time.monotonic() < end:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        try:
            closed = s.recv(65536) == b""
        except OSError:
            closed = True
    except OSError:
        pass
    finally:
        s.close()
    return parse_responses(data), closed


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_alive(where, proc, port, tls_curl):
    """/healthz answers, and the process stays (nearly) idle for 3 s: a spinning
    loop burns its share of a core however loaded the machine is."""
    code = L.wait_for(lambda: tls_curl("/healthz") == "200" or None, 10,
                      "%s: /healthz to answer after the pipelined requests" % where)
    c0, t0 = cpu_seconds(proc.pid), time.monotonic()
    while time.monotonic() - t0 < 3:
        time.sleep(0.2)
    used = cpu_seconds(proc.pid) - c0
    if used > 0.5:
        L.fail("%s: %.2f s of CPU in 3 s idle after pipelined requests (a spin)" % (where, used))
    return code


def statuses(got):
    return [st for st, _ in got[0]]


def run_cases(where, proc, port, tls, tls_curl, count_events):
    """The pipelined cases against one server; count_events() -> events recorded."""
    # 1. the issue's bytes: the first refused (400 bad JSON) once, then closed
    got = exchange(port, [ISSUE_BYTES], tls)
    if statuses(got) != [400] or not got[1]:
        L.fail("%s: two pipelined bad requests: %s, expected [400] and a close" % (where, got))
    check_alive(where, proc, port, tls_curl)
    # 2. two signed webhooks in one write: the first answered and taken once
    base = count_events()
    got = exchange(port, [signed_request(L.join_body(101)) + signed_request(L.join_body(102))],
                   tls)
    if statuses(got) != [200] or not got[1]:
        L.fail("%s: two pipelined webhooks: %s, expected [200] and a close" % (where, got))
    L.wait_for(lambda: count_events() >= base + 1, 10, "%s: the first event recorded" % where)
    check_alive(where, proc, port, tls_curl)
    if count_events() != base + 1:
        L.fail("%s: %d events recorded for 1 answered webhook" % (where, count_events() - base))
    # 3. the second request split: its first bytes arrive with the first body,
    # the rest later (while the first may still wait for its answer)
    second = signed_request(L.join_body(104))
    got = exchange(port, [signed_request(L.join_body(103)) + second[:7], second[7:60],
                          second[60:]], tls)
    if statuses(got) != [200] or not got[1]:
        L.fail("%s: split pipelined webhooks: %s, expected [200] and a close" % (where, got))
    # 4. a GET /healthz pipelined behind a POST, and behind a GET
    got = exchange(port, [signed_request(L.join_body(105)) +
                          b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"], tls)
    if statuses(got) != [200] or not got[1]:
        L.fail("%s: POST then GET pipelined: %s, expected [200] and a close" % (where, got))
    got = exchange(port, [b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                          signed_request(L.join_body(106))], tls)
    if statuses(got) != [200] or not got[1]:
        L.fail("%s: GET then POST pipelined: %s, expected [200] and a close" % (where, got))
    L.wait_for(lambda: count_events() >= base + 3, 10, "%s: events 103, 105" % where)
    check_alive(where, proc, port, tls_curl)
    # 5. one after the other on one keep-alive connection: every one answered
    # (a GET closes the connection after its answer)
    got = in_turn(port, [signed_request(L.join_body(107)), signed_request(L.join_body(108)),
                         b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"], tls)
    if statuses(got) != [200, 200, 200] or not got[1]:
        L.fail("%s: three requests in turn on one connection: %s" % (where, got))
    # 6. keep-alive requests in turn, many times: the answer to each must be
    # over before the next is read (a race, seen under load: the request sent
    # once the answer had come was taken for a pipelined one and closed)
    for k in range(IN_TURN_ROUNDS):
        got = in_turn(port, [signed_request(b"{}", "/nothing"),
                             b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"], tls)
        if statuses(got) != [404, 200]:
            L.fail("%s: round %d of requests in turn: %s" % (where, k, got))
    L.wait_for(lambda: count_events() >= base + 5, 10, "%s: events 107, 108" % where)
    check_alive(where, proc, port, tls_curl)
    if count_events() != base + 5:
        L.fail("%s: %d events recorded, expected 5" % (where, count_events() - base))
    if L.stop(proc, timeout=10) != 0:
        L.fail("%s: exited %d after SIGTERM" % (where, proc.returncode))
    L.log("ok: %s takes pipelined requests once (then closes) and stays idle" % where)


def relay_case(capmon, tls_files):
    where = "relay over TLS" if tls_files else "relay"
    port = L.free_port()
    logpath = os.path.join(D, "relay-%d.log" % port)
    argv = [capmon, "relay", "--listen", "127.0.0.1:%d" % port, "--log", logpath]
    tls = None
    curl_tls = []
    scheme = "http"
    if tls_files:
        ca, cert, key = tls_files
        argv += ["--cert", cert, "--key", key]
        tls = ssl.create_default_context(cafile=ca)
        curl_tls = ["--cacert", ca]
        scheme = "https"
    proc = L.spawn(argv, env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN},
                   stderr=open(os.path.join(D, "relay-%d.err" % port), "wb"))

    def tls_curl(path):
        r = subprocess.run(["curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}"] +
                           curl_tls + ["%s://localhost:%d%s" % (scheme, port, path)],
                           stdout=subprocess.PIPE, timeout=30)
        return r.stdout.decode()
    L.wait_for(lambda: proc.poll() is not None or tls_curl("/healthz") == "200", 10,
               "%s to listen" % where)
    if proc.poll() is not None:
        L.fail("%s exited %d" % (where, proc.returncode))
    run_cases(where, proc, port, tls, tls_curl, lambda: len(L.log_records(logpath)))
    # each event once, in the order sent
    users = [r["body"]["payload"]["object"]["participant"]["user_id"]
             for r in L.log_records(logpath)]
    if users != ["101", "103", "105", "107", "108"]:
        L.fail("%s: log holds %s" % (where, users))
    L.check_no_sanitizer_report(os.path.join(D, "relay-%d.err" % port))


def watch_case(capmon):
    where = "watch webhook://"
    port = L.free_port()
    out = os.path.join(D, "watch.out")
    proc = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log",
                    os.path.join(D, "watch.log"), "webhook://127.0.0.1:%d" % port],
                   env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN},
                   stdout=open(out, "wb"), stderr=open(os.path.join(D, "watch.err"), "wb"))

    def curl(path):
        r = subprocess.run(["curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:%d%s" % (port, path)],
                           stdout=subprocess.PIPE, timeout=30)
        return r.stdout.decode()

    def received():
        j = L.last_json_line(out) or {}
        return j.get("events", {}).get("received", 0)
    L.wait_for(lambda: proc.poll() is not None or curl("/healthz") == "200", 10,
               "watch webhook:// to listen")
    run_cases(where, proc, port, None, curl, received)
    L.check_no_sanitizer_report(os.path.join(D, "watch.err"))


def main():
    global D
    capmon = sys.argv[1]
    D = L.workdir()
    relay_case(capmon, None)
    relay_case(capmon, L.tls_files(D))
    watch_case(capmon)
    subprocess.run(["rm", "-rf", D])


if __name__ == "__main__":
    main()
