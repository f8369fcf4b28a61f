"""ops: Debian's real Alertmanager receives capmon's alerts through
examples/hooks/alertmanager.sh (`capmon replay --hooks --hook ...`). Checked
through Alertmanager's own API and amtool: the alert appears with capmon's
labels, stays firing past Alertmanager's resolve_timeout (capmon only repeats
every 30 min), and is resolved when capmon resolves it.
usage: live_alertmanager.py CAPMON SOURCE_ROOT"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

AM = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
AMTOOL = shutil.which("amtool") or "/usr/bin/amtool"
if not os.path.exists(AM) or not os.path.exists(AMTOOL) or not shutil.which("jq"):
    print("SKIP: prometheus-alertmanager (with amtool) or jq is not installed (tools/deps.sh)")
    sys.exit(77)

MEETING = "86012345678"
RESOLVE_TIMEOUT = 2  # seconds: Alertmanager would resolve a bare alert after this


def body(kind, uid, ts, name):
    return json.dumps({"event": "meeting.participant_" + kind, "event_ts": ts, "payload": {
        "account_id": "acc", "object": {"uuid": "am-1", "id": MEETING, "topic": "AM sitting",
                                        "participant": {"user_id": uid, "user_name": name}}}})


def alerts(port):
    """Alertmanager's active alerts (API v2), or None while it does not answer."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v2/alerts" % port, timeout=5) as r:
            return json.loads(r.read())
    except OSError:
        return None


def replay(capmon, src, log, am_port, d, name):
    env = dict(os.environ, CAPMON_ALERTMANAGER_URL="http://127.0.0.1:%d/api/v2/alerts" % am_port)
    out = os.path.join(d, name + ".err")
    r = subprocess.run([capmon, "replay", "--max", "--json", "--hooks", "--hook",
                        os.path.join(src, "examples", "hooks", "alertmanager.sh"), log],
                       env=env, stdout=subprocess.PIPE, stderr=open(out, "wb"), timeout=120)
    if r.returncode != 0:
        L.fail("replay %s exited %d: %s" % (name, r.returncode, open(out).read()))
    return json.loads(r.stdout)


def main():
    capmon, src = sys.argv[1], sys.argv[2]
    d = L.workdir()
    port, cport = L.free_port(), L.free_port()
    cfg = os.path.join(d, "alertmanager.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  resolve_timeout: %ds\nroute:\n  receiver: none\n"
                "receivers:\n  - name: none\n" % RESOLVE_TIMEOUT)
    am = L.spawn([AM, "--config.file=" + cfg, "--storage.path=" + os.path.join(d, "data"),
                  "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
                  "--log.level=warn"], stderr=open(os.path.join(d, "am.err"), "wb"))
    L.wait_for(lambda: alerts(port) is not None, 60, "Alertmanager to answer")

    # a delegate and a participant nobody can place: `unidentified` fires
    now = L.now_ms() - 60000
    lines = [body("joined", "1", now, "Switzerland - Anna Muster"),
             body("joined", "2", now + 1000, "iPhone 7")]
    fire_log = os.path.join(d, "fire.jsonl")
    with open(fire_log, "w") as f:
        f.write("\n".join(lines) + "\n")
    snap = replay(capmon, src, fire_log, port, d, "fire")
    firing = [a for a in snap["alerts"] if a["rule"] == "unidentified" and a["status"] == "firing"]
    if len(firing) != 1:
        L.fail("capmon's snapshot should have unidentified firing: %r" % snap["alerts"])

    def ours():
        return [a for a in alerts(port) or [] if a["labels"].get("alertname") == "unidentified"]
    got = L.wait_for(ours, 30, "the unidentified alert in Alertmanager")[0]
    labels = got["labels"]
    for k, v in (("severity", "warning"), ("meeting_id", MEETING), ("meeting_uuid", "am-1"),
                 ("meeting_topic", "AM sitting")):
        if labels.get(k) != v:
            L.fail("label %s: %r, want %r (labels %r)" % (k, labels.get(k), v, labels))
    if got["status"]["state"] != "active":
        L.fail("state %r" % got["status"])
    seen = time.time()
    # amtool, Alertmanager's own client, sees it too
    q = subprocess.run([AMTOOL, "--alertmanager.url=http://127.0.0.1:%d" % port, "alert",
                        "query", "alertname=unidentified", "-o", "json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if q.returncode != 0 or MEETING not in q.stdout.decode():
        L.fail("amtool alert query: %r %r" % (q.stdout, q.stderr))

    # Past resolve_timeout (2 s) with no repeat from capmon, it is still firing:
    # the hook sent an endsAt beyond capmon's next repeat. (A wall-clock
    # property: we wait out the timeout, then check; nothing is being awaited.)
    while time.time() < seen + RESOLVE_TIMEOUT + 3:
        time.sleep(0.2)
    still = ours()
    if len(still) != 1 or still[0]["status"]["state"] != "active":
        L.fail("the alert did not stay firing past resolve_timeout: %r" % still)
    ends = still[0]["endsAt"]
    if ends < time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1800)):
        L.fail("endsAt %s is before capmon's next repeat (30 min)" % ends)

    # capmon resolves it (the unplaced participant leaves): Alertmanager follows
    lines.append(json.dumps({"event": "meeting.participant_left", "event_ts": now + 5000,
                             "payload": {"account_id": "acc", "object": {
                                 "uuid": "am-1", "id": MEETING, "topic": "AM sitting",
                                 "participant": {"user_id": "2", "user_name": "iPhone 7"}}}}))
    res_log = os.path.join(d, "resolve.jsonl")
    with open(res_log, "w") as f:
        f.write("\n".join(lines) + "\n")
    snap = replay(capmon, src, res_log, port, d, "resolve")
    if [a["status"] for a in snap["alerts"] if a["rule"] == "unidentified"] != ["resolved"]:
        L.fail("capmon's snapshot should have unidentified resolved: %r" % snap["alerts"])
    L.wait_for(lambda: not ours(), 30, "Alertmanager to resolve the alert")
    q = subprocess.run([AMTOOL, "--alertmanager.url=http://127.0.0.1:%d" % port, "alert",
                        "query", "alertname=unidentified", "-o", "json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if q.returncode != 0 or json.loads(q.stdout or b"[]"):
        L.fail("amtool still lists it: %r %r" % (q.stdout, q.stderr))
    L.stop(am)
    L.log("ok: Alertmanager got capmon's alert with its labels, kept it firing, resolved it")


main()
