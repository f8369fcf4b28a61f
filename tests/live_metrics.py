"""live: `--metrics` on `capmon relay` and `capmon watch`. Signed webhooks (and
one with a bad signature, and a join failure from the portal) go into a relay
watched by `capmon watch`; both /metrics endpoints are scraped with curl and
parsed with a parser we did not write (Debian's python3-prometheus-client),
and the values are checked. usage: live_metrics.py CAPMON"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("SKIP: python3-prometheus-client is not installed (tools/deps.sh)")
    sys.exit(77)

MEETING = "85012345678"
ODD_ID = 'odd"id\\with\nnewline'  # label escaping, through the real parser
ODD_LABEL = 'odd"id\\withnewline'  # control characters are dropped from labels


def curl(argv):
    r = subprocess.run(["curl", "-s", "--max-time", "10"] + argv, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout


def scrape(port):
    """(content type, {family name: family}) of GET /metrics, or None."""
    hdr = os.path.join(D, "headers")
    rc, body = curl(["-D", hdr, "http://127.0.0.1:%d/metrics" % port])
    if rc != 0:
        return None
    ctype = None
    with open(hdr) as f:
        lines = f.read().splitlines()
    if not lines or " 200 " not in lines[0] + " ":
        L.fail("GET /metrics on %d: %s" % (port, lines[:1]))
    for line in lines:
        if line.lower().startswith("content-type:"):
            ctype = line.split(":", 1)[1].strip()
    text = body.decode("utf-8")
    try:
        fams = {f.name: f for f in text_string_to_metric_families(text)}
    except Exception as e:  # the parser's verdict is the point of the test
        L.fail("port %d: /metrics does not parse: %r\n%s" % (port, e, text))
    for line in text.splitlines():  # every family has HELP and TYPE lines
        if line.startswith("# TYPE "):
            name = line.split()[2]
            if "# HELP %s " % name not in text:
                L.fail("no HELP line for %s" % name)
    return ctype, fams, text


def value(fams, family, sample=None, **labels):
    f = fams.get(family)
    if f is None:
        return None
    for s in f.samples:
        if (sample is None or s.name == sample) and all(
                s.labels.get(k) == v for k, v in labels.items()) and (
                labels or not s.labels):
            return s.value
    return None


def expect(fams, family, want, sample=None, **labels):
    got = value(fams, family, sample, **labels)
    if got != want:
        L.fail("%s%s %s: expected %r, got %r" % (family, labels, sample or "", want, got))


def post_raw(port, path, body, headers):
    f = os.path.join(D, "raw-body")
    with open(f, "wb") as fh:
        fh.write(body)
    argv = ["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", "@" + f,
            "-H", "Expect:", "-H", "content-type: application/json"]
    for h in headers:
        argv += ["-H", h]
    rc, out = curl(argv + ["http://127.0.0.1:%d%s" % (port, path)])
    return int(out.decode() or 0)


def main():
    global D
    capmon = sys.argv[1]
    D = L.workdir()
    port, rmport, wmport = L.free_port(), L.free_port(), L.free_port()
    logpath = os.path.join(D, "relay.log")
    relay = L.start_relay(capmon, port, logpath, os.path.join(D, "relay.err"),
                          extra=["--metrics", ":%d" % rmport])
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--metrics",
                     "127.0.0.1:%d" % wmport, "--log", os.path.join(D, "watch.log"),
                     "ws://127.0.0.1:%d/events" % port],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(os.path.join(D, "watch.out"), "wb"))
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 1, 10,
               "watch to subscribe")
    L.wait_for(lambda: scrape(wmport), 10, "watch's /metrics")

    now = L.now_ms()
    items = [("j%d" % i, L.join_body(i, ts=now + i)) for i in range(1, 4)]
    items += [("f%d" % i, L.join_body(i, ts=now + i, name="France - Delegate %d" % i))
              for i in range(4, 6)]
    items += [("dup", L.join_body(2, ts=now + 2)),  # Zoom's redelivery: a duplicate
              ("left1", L.left_body(1, ts=now + 10))]
    odd = json.loads(L.join_body(9, ts=now + 11, meeting="live-odd"))
    odd["payload"]["object"]["id"] = ODD_ID
    items.append(("odd", json.dumps(odd).encode()))
    res = L.curl_post_all(D, "posts", port, items)
    if sorted(res.values()) != [200] * len(items):
        L.fail("posts: %r" % res)
    # one post with a bad signature: refused, never in the log
    ts = int(time.time())
    bad = L.join_body(7, ts=now + 12)
    code = post_raw(port, "/zoom", bad, ["x-zm-request-timestamp: %d" % ts,
                                         "x-zm-signature: %s" % L.sign(bad, ts, "wrong")])
    if code != 401:
        L.fail("bad signature answered %d" % code)
    # a join failure from the portal
    jf = json.dumps({"event": "capmon.participant_join_failed", "event_ts": now + 13,
                     "payload": {"object": {"uuid": "live-1", "id": MEETING, "participant": {
                         "user_name": "Kenya - Late Comer", "reason": "meeting_full"}}}})
    code = post_raw(port, "/events", jf.encode(), ["Authorization: Bearer " + L.TOKEN])
    if code != 200:
        L.fail("join failure answered %d" % code)
    naccepted = len(items) + 1

    def applied():
        s = scrape(wmport)
        total = sum(value(s[1], "capmon_events", "capmon_events_total", outcome=o) or 0
                    for o in ("applied", "duplicate"))
        return s if total == naccepted else None
    ctype, fams, text = L.wait_for(applied, 15, "watch to apply every record")
    L.log("watch /metrics:\n" + text)
    if ctype != "text/plain; version=0.0.4; charset=utf-8":
        L.fail("watch content type %r" % ctype)
    for fam, typ in [("capmon_participants", "gauge"), ("capmon_capacity", "gauge"),
                     ("capmon_video_limit", "gauge"), ("capmon_waiting", "gauge"),
                     ("capmon_people", "gauge"), ("capmon_delegation_participants", "gauge"),
                     ("capmon_join_failures", "counter"), ("capmon_events", "counter"),
                     ("capmon_alerts_firing", "gauge"), ("capmon_source_connected", "gauge"),
                     ("capmon_source_reconnects", "counter"), ("capmon_lag_seconds", "gauge")]:
        if fam not in fams or fams[fam].type != typ:
            L.fail("family %s: %r" % (fam, fams.get(fam)))
    expect(fams, "capmon_participants", 4, meeting=MEETING)
    expect(fams, "capmon_people", 4, meeting=MEETING)
    expect(fams, "capmon_capacity", 1000, meeting=MEETING)
    expect(fams, "capmon_video_limit", 49, meeting=MEETING)
    expect(fams, "capmon_waiting", 0, meeting=MEETING)
    if value(fams, "capmon_video_on", meeting=MEETING) is not None:
        L.fail("video_on must be absent while unknown")
    expect(fams, "capmon_delegation_participants", 2, meeting=MEETING, delegation="Switzerland")
    expect(fams, "capmon_delegation_participants", 2, meeting=MEETING, delegation="France")
    expect(fams, "capmon_participants", 1, meeting=ODD_LABEL)  # escaped and parsed back
    expect(fams, "capmon_join_failures", 1, "capmon_join_failures_total", meeting=MEETING,
           reason="meeting_full")
    for outcome, n in [("applied", naccepted - 1), ("duplicate", 1), ("stale", 0),
                       ("orphan", 0), ("ignored", 0), ("invalid", 0)]:
        expect(fams, "capmon_events", n, "capmon_events_total", outcome=outcome)
    expect(fams, "capmon_alerts_firing", 0, rule="capacity", severity="warning")
    src = "ws://127.0.0.1:%d/events" % port
    expect(fams, "capmon_source_connected", 1, source=src)
    expect(fams, "capmon_source_reconnects", 0, "capmon_source_reconnects_total", source=src)
    lag = value(fams, "capmon_lag_seconds", source=src)
    if lag is None or not -5 < lag < 30:
        L.fail("lag_seconds %r" % lag)
    for s in fams["capmon_delegation_participants"].samples:
        if set(s.labels) != {"meeting", "delegation"}:
            L.fail("unexpected labels %r" % s.labels)

    ctype, fams, text = scrape(rmport)
    L.log("relay /metrics:\n" + text)
    if ctype != "text/plain; version=0.0.4; charset=utf-8":
        L.fail("relay content type %r" % ctype)
    expect(fams, "capmon_records_accepted", naccepted, "capmon_records_accepted_total")
    expect(fams, "capmon_records_refused", 1, "capmon_records_refused_total",
           reason="bad_signature")
    expect(fams, "capmon_records_refused", 0, "capmon_records_refused_total", reason="bad_token")
    expect(fams, "capmon_subscribers", 1)
    expect(fams, "capmon_log_bytes", os.path.getsize(logpath))
    if fams["capmon_fsync_seconds"].type != "histogram":
        L.fail("fsync_seconds is not a histogram")
    count = value(fams, "capmon_fsync_seconds", "capmon_fsync_seconds_count")
    inf = value(fams, "capmon_fsync_seconds", "capmon_fsync_seconds_bucket", le="+Inf")
    if not count or count < 1 or inf != count:
        L.fail("fsync histogram: count %r, +Inf %r" % (count, inf))

    # anything but GET /metrics
    rc, out = curl(["-o", "/dev/null", "-w", "%{http_code}",
                    "http://127.0.0.1:%d/other" % wmport])
    if out != b"404":
        L.fail("GET /other: %r" % out)
    # loopback by default: ":PORT" binds 127.0.0.1 only
    ss = subprocess.run(["ss", "-ltnH"], stdout=subprocess.PIPE, timeout=10).stdout.decode() \
        if os.path.exists("/usr/bin/ss") or os.path.exists("/bin/ss") else ""
    for line in ss.splitlines():
        if line.split()[3:4] and line.split()[3].endswith(":%d" % rmport) and \
                not line.split()[3].startswith("127.0.0.1:"):
            L.fail("relay metrics not on loopback: %s" % line)

    # the relay restarts: watch's source goes down, then reconnects (counted)
    if L.stop(relay) != 0:
        L.fail("relay exited %r" % relay.returncode)
    L.wait_for(lambda: value(scrape(wmport)[1], "capmon_source_connected", source=src) == 0, 10,
               "source_connected 0 while the relay is down")
    relay = L.start_relay(capmon, port, logpath, os.path.join(D, "relay.err"),
                          extra=["--metrics", ":%d" % rmport])
    L.wait_for(lambda: value(scrape(wmport)[1], "capmon_source_reconnects",
                             "capmon_source_reconnects_total", source=src) == 1, 15,
               "source_reconnects_total 1 after the relay restarted")
    fams = scrape(wmport)[1]
    expect(fams, "capmon_source_connected", 1, source=src)
    expect(fams, "capmon_participants", 4, meeting=MEETING)  # resumed, nothing twice
    fams = scrape(rmport)[1]
    expect(fams, "capmon_records_accepted", 0, "capmon_records_accepted_total")  # this run

    if L.stop(watch) != 0:
        L.fail("watch exited %r" % watch.returncode)
    if L.stop(relay) != 0:
        L.fail("relay exited %r" % relay.returncode)
    L.log("ok: metrics of relay and watch parse and hold the expected values")


main()
