"""live: Debian's real Prometheus scrapes `capmon relay --metrics` and `capmon
watch --metrics` on loopback and evaluates examples/prometheus/capmon-rules.yml.
Checked through Prometheus's HTTP API (not our parser): the participants of the
meeting and of a delegation, the unidentified gauge and the relay's accepted
records equal what the snapshot and the test's own arithmetic say; the process_*
series agree with /proc; the CapmonUnidentifiedPresent rule fires.
usage: live_prometheus.py CAPMON SOURCE_ROOT"""
import json
import os
import shutil
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
if not os.path.exists(PROMETHEUS):
    print("SKIP: Debian's prometheus is not installed (tools/deps.sh installs it)")
    sys.exit(77)

MEETING = "85012345678"


def api(port, path, **q):
    url = "http://127.0.0.1:%d/api/v1/%s?%s" % (port, path, urllib.parse.urlencode(q))
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            d = json.loads(r.read())
    except OSError:
        return None
    return d.get("data") if d.get("status") == "success" else None


def query(port, expr):
    """{frozenset(labels): value} of an instant query, or None."""
    d = api(port, "query", query=expr)
    if d is None:
        return None
    return {frozenset((k, v) for k, v in r["metric"].items() if k not in ("job", "instance")):
            float(r["value"][1]) for r in d["result"]}


def one(port, expr):
    r = query(port, expr)
    if not r or len(r) != 1:
        return None
    return list(r.values())[0]


def proc_start_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    start_ticks = int(fields[19])  # field 22
    with open("/proc/stat") as f:
        btime = [int(l.split()[1]) for l in f if l.startswith("btime ")][0]
    return btime + start_ticks / os.sysconf("SC_CLK_TCK")


def check_grafana(src, pport):
    """examples/grafana/capmon.json: a dashboard Grafana can import, whose every
    query names only series that this real scrape produced, and that this real
    Prometheus accepts (with the template variables filled in)."""
    import re
    with open(os.path.join(src, "examples", "grafana", "capmon.json")) as f:
        dash = json.load(f)
    for k in ("uid", "title", "schemaVersion", "panels", "templating"):
        if k not in dash:
            L.fail("grafana: no %r" % k)
    names = set(api(pport, "label/__name__/values") or [])
    if "capmon_participants" not in names or "capmon_fsync_seconds_bucket" not in names:
        L.fail("grafana: Prometheus holds too few series: %r" % sorted(names))
    ids, exprs = set(), []
    for p in dash["panels"]:
        for k in ("id", "title", "type", "gridPos", "targets", "datasource"):
            if k not in p:
                L.fail("grafana: panel %r has no %r" % (p.get("title"), k))
        if p["id"] in ids:
            L.fail("grafana: panel id %r twice" % p["id"])
        ids.add(p["id"])
        g = p["gridPos"]
        if not (0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0):
            L.fail("grafana: panel %r outside the 24-column grid: %r" % (p["title"], g))
        for t in p["targets"]:
            exprs.append((p["title"], t["expr"]))
    if len(exprs) < 10:
        L.fail("grafana: only %d queries" % len(exprs))
    for title, e in exprs:
        for name in re.findall(r"\b((?:capmon|process)_[a-z_]+)\b", e):
            if name not in names:
                L.fail("grafana: panel %r queries %s, which capmon does not export" % (title, name))
        q = e.replace("$meeting", ".*").replace("$__rate_interval", "1m")
        if api(pport, "query", query=q) is None:
            L.fail("grafana: Prometheus refuses the query of %r: %s" % (title, q))
    L.log("grafana: %d panels, %d queries, every series exported" % (len(ids), len(exprs)))


def main():
    capmon, src = sys.argv[1], sys.argv[2]
    d = L.workdir()
    port, rmport, wmport, pport = (L.free_port() for _ in range(4))
    relay = L.start_relay(capmon, port, os.path.join(d, "relay.log"), os.path.join(d, "relay.err"),
                          extra=["--metrics", "127.0.0.1:%d" % rmport])
    wout = os.path.join(d, "watch.out")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--metrics",
                     "127.0.0.1:%d" % wmport, "--log", os.path.join(d, "watch.log"),
                     "ws://127.0.0.1:%d/events" % port],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(wout, "wb"))
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 1, 20, "watch to subscribe")

    # 5 Swiss (join_body's default name), 3 French, 2 nobody can place; one Swiss leaves
    now = L.now_ms()
    items = [("ch%d" % i, L.join_body(i, ts=now + i, meeting=MEETING)) for i in range(1, 6)]
    items += [("fr%d" % i, L.join_body(i, ts=now + i, meeting=MEETING,
                                       name="France - Delegate %d" % i)) for i in range(6, 9)]
    items += [("un%d" % i, L.join_body(i, ts=now + i, meeting=MEETING, name="iPhone %d" % i))
              for i in range(9, 11)]
    items.append(("left1", L.left_body(1, ts=now + 20, meeting=MEETING)))
    res = L.curl_post_all(d, "posts", port, items)
    if sorted(res.values()) != [200] * len(items):
        L.fail("posts: %r" % res)
    # the camera of Swiss delegate 2 (capmon's own event, through POST /events)
    video = json.dumps({"event": "capmon.participant_video", "event_ts": now + 30, "payload": {
        "object": {"uuid": MEETING, "id": MEETING,
                   "participant": {"user_id": "2", "video": "on"}}}}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/events" % port, data=video, headers={
        "Authorization": "Bearer " + L.TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            L.fail("POST /events: %d" % r.status)
    items.append(("video", video))
    # a delegate the portal could not let in (capmon's own event too)
    jf = json.dumps({"event": "capmon.participant_join_failed", "event_ts": now + 31,
                     "payload": {"object": {"uuid": MEETING, "id": MEETING, "participant": {
                         "user_name": "Kenya - Late Comer", "reason": "meeting_full"}}}}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/events" % port, data=jf, headers={
        "Authorization": "Bearer " + L.TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            L.fail("POST /events: %d" % r.status)
    items.append(("failure", jf))

    def snapshot():
        snap = L.last_json_line(wout)
        for m in (snap or {}).get("meetings", []):
            if m.get("id") == MEETING and m["participants"] == 9 and m["video_on"] == 1 \
                    and m["join_failures"] == 1:
                return m
        return None
    m = L.wait_for(snapshot, 20, "watch's snapshot to show 9 participants")
    deleg = {x["name"]: x["participants"] for x in m["delegations"]}
    if deleg.get("Switzerland") != 4 or deleg.get("France") != 3 or m["unidentified"] != 2:
        L.fail("snapshot: %r, unidentified %r" % (deleg, m["unidentified"]))

    rules = os.path.join(d, "capmon-rules.yml")
    shutil.copy(os.path.join(src, "examples", "prometheus", "capmon-rules.yml"), rules)
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%s]
scrape_configs:
  - job_name: capmon-relay
    static_configs: [{targets: ["127.0.0.1:%d"]}]
  - job_name: capmon-watch
    static_configs: [{targets: ["127.0.0.1:%d"]}]
""" % (json.dumps(rules), rmport, wmport))
    prom = L.spawn([PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(d, "tsdb"),
                    "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"],
                   stderr=open(os.path.join(d, "prometheus.err"), "wb"))

    def targets_up():
        r = api(pport, "query", query='up{job=~"capmon-.*"}')
        return r and len(r["result"]) == 2 and all(x["value"][1] == "1" for x in r["result"])
    L.wait_for(targets_up, 60, "Prometheus to scrape both capmon targets")

    def equal(expr, want):
        return lambda: one(pport, expr) == want
    L.wait_for(equal('capmon_participants{meeting="%s"}' % MEETING, m["participants"]), 30,
               "Prometheus: capmon_participants == the snapshot's participants (%d)"
               % m["participants"])
    for name, n in deleg.items():
        L.wait_for(equal('capmon_delegation_participants{meeting="%s",delegation="%s"}'
                         % (MEETING, name), n), 10,
                   "Prometheus: %s's participants == the snapshot's (%d)" % (name, n))
    L.wait_for(equal('capmon_video_on{meeting="%s"}' % MEETING, 1), 10, "capmon_video_on == 1")
    L.wait_for(equal('capmon_delegation_video_on{meeting="%s",delegation="Switzerland"}'
                     % MEETING, 1), 10, "Switzerland's videos == 1")
    L.wait_for(equal('capmon_unidentified{meeting="%s"}' % MEETING, 2), 10,
               "Prometheus: capmon_unidentified == 2")
    L.wait_for(equal('capmon_records_accepted_total{job="capmon-relay"}', len(items)), 10,
               "Prometheus: the relay's accepted records == %d posted" % len(items))
    L.wait_for(equal('capmon_meeting_info{meeting="%s"}' % MEETING, 1), 10, "meeting_info")
    info = query(pport, 'capmon_build_info{job="capmon-watch"}')
    if not info or dict(list(info)[0]).get("version") in (None, ""):
        L.fail("capmon_build_info: %r" % info)

    # process_* series against /proc: start time to the tick, fds and RSS roughly
    start = one(pport, 'process_start_time_seconds{job="capmon-watch"}')
    if start is None or abs(start - proc_start_seconds(watch.pid)) > 1.0:
        L.fail("process_start_time_seconds %r, /proc says %r" % (start, proc_start_seconds(watch.pid)))
    nfd = one(pport, 'process_open_fds{job="capmon-relay"}')
    real = len(os.listdir("/proc/%d/fd" % relay.pid))
    if nfd is None or abs(nfd - real) > 3:
        L.fail("process_open_fds %r, /proc has %d" % (nfd, real))
    rss = one(pport, 'process_resident_memory_bytes{job="capmon-watch"}')
    with open("/proc/%d/status" % watch.pid) as f:
        vmrss = [int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:")][0]
    if rss is None or not 0.5 * vmrss < rss < 2 * vmrss:
        L.fail("process_resident_memory_bytes %r, VmRSS %d" % (rss, vmrss))
    cpu = one(pport, 'process_cpu_seconds_total{job="capmon-relay"}')
    if cpu is None or cpu < 0:
        L.fail("process_cpu_seconds_total %r" % cpu)

    # the mirrored rule fires on the 2 unidentified participants, not on capacity
    def alert_firing():
        a = api(pport, "alerts")
        names = {x["labels"]["alertname"]: x["state"] for x in (a or {}).get("alerts", [])}
        return names if names.get("CapmonUnidentifiedPresent") == "firing" else None
    names = L.wait_for(alert_firing, 30, "CapmonUnidentifiedPresent to fire in Prometheus")
    for quiet in ("CapmonParticipantsNearCapacity", "CapmonMeetingFull", "CapmonFeedDown",
                  "CapmonRelayNotWriting"):
        if quiet in names:
            L.fail("%s should not be active: %r" % (quiet, names))

    check_grafana(src, pport)

    for p in (prom, watch, relay):
        L.stop(p)
    L.log("ok: Prometheus scraped relay and watch; values equal the snapshot; rules fire")


main()
