"""live: `watch --video-qos` estimates cameras from Zoom's live QoS list
(Dashboard API) served by the fake Zoom REST server (tests/fake_zoom_api.py).

23 people in the meeting, 7 cameras on: the QoS list is read in pages of 10
(3 requests a sweep, following next_page_token), each participant's latest
sample decides (the older sample says the opposite), and the count is 7, as an
estimate (video_source qos, video_estimate true) with a whole picture
(video_since null). Cameras change: the next sweep follows. A 429 with
Retry-After is waited out and the sweep completes. The pace is warned about:
below 180 s at start, and once a sweep shows the daily budget would be spent.
The replay of watch's --record gives the same count. `relay --video-qos`
appends the sweeps to its log (src qos): a monitor of the relay and a replay
of the log count the same.
usage: live_video_qos.py CAPMON"""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
UUID, MID = "zoom-live-1==", "85000000001"
N, ON = 23, 7


def status(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def fake_post(port, what, obj):
    req = urllib.request.Request("http://127.0.0.1:%d/_fake/%s" % (port, what),
                                 data=json.dumps(obj).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def qos_requests(st):
    return [r for r in status(st)["requests"] if r["path"].endswith("/participants/qos")]


def video(out):
    m = [m for m in (L.last_json_line(out) or {}).get("meetings", []) if m["uuid"] == UUID]
    return m[0] if m else {}


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    port = L.free_port()
    st = os.path.join(d, "fake.json")
    fake = L.spawn(["/usr/bin/python3", os.path.join(HERE, "fake_zoom_api.py"), "--port",
                    str(port), "--status", st, "--uuid", UUID, "--meeting-id", MID],
                   stderr=open(os.path.join(d, "fake.err"), "wb"))
    L.wait_for(lambda: status(st), 10, "the fake Zoom REST server")
    uids = ["%d" % (16778240 + 1024 * i) for i in range(N)]
    for i, u in enumerate(uids):
        fake_post(port, "join", {"user_id": u, "user_name": "Spain - P%d" % i, "deliver": False})
        fake_post(port, "video", {"user_id": u, "on": i < ON})
    hp = L.free_port()
    out, wlog, rec = (os.path.join(d, n) for n in ("watch.out", "watch.log", "watch.rec"))
    env = {"CAPMON_WEBHOOK_SECRET": L.SECRET, "ZOOM_ACCOUNT_ID": "acc-1",
           "ZOOM_CLIENT_ID": "cid-1", "ZOOM_CLIENT_SECRET": "csecret-1",
           "CAPMON_ZOOM_OAUTH_URL": "http://127.0.0.1:%d/oauth/token" % port,
           "CAPMON_ZOOM_API_URL": "http://127.0.0.1:%d/v2" % port,
           "CAPMON_ZOOM_API_DAILY_BUDGET": "1000"}
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.1", "--log", wlog, "--record",
                     rec, "--video-qos", "10", "webhook://127.0.0.1:%d" % hp], env=env,
                    stdout=open(out, "wb"),
                    stderr=open(out + ".err", "ab"))
    L.wait_for(lambda: L.healthz(hp), 10, "the webhook receiver")
    for i, u in enumerate(uids):
        code = L.post_signed(hp, L.join_body(u, meeting=UUID, name="Spain - P%d" % i))
        if code != 200:
            L.fail("join answered %d" % code)
    L.wait_for(lambda: video(out).get("video_on") == ON, 20, "%d cameras from the QoS list" % ON)
    m = video(out)
    if m["video_source"] != "qos" or not m["video_estimate"] or m["video_since"] is not None:
        L.fail("not labelled a whole-picture estimate from qos: %s" % m)
    reqs = qos_requests(st)
    sizes = set(status(st)["qos_page_sizes"])
    if sizes != {10}:
        L.fail("QoS pages asked with page_size %s, not 10" % sizes)
    if len(reqs) < 3 or "next_page_token" not in reqs[1]["query"] or \
            "next_page_token" not in reqs[2]["query"]:
        L.fail("the 3 pages of 23 rows were not followed: %s" % reqs[:3])

    # cameras change; the next sweep hits a 429 first and waits Retry-After
    fake_post(port, "fail", {"mode": "429", "count": 1, "retry_after": 1})
    for u in uids[:2]:
        fake_post(port, "video", {"user_id": u, "on": False})
    for u in uids[ON:ON + 3]:
        fake_post(port, "video", {"user_id": u, "on": True})
    want = ON - 2 + 3
    L.wait_for(lambda: video(out).get("video_on") == want, 40,
               "the next sweep (after a 429) to count %d" % want)
    codes = [r.get("code") for r in qos_requests(st)]
    if 429 not in codes:
        L.fail("the fake never answered 429: %s" % codes)
    text = open(wlog).read()
    if "--video-qos 10" not in text or "Heavy limit" not in text:
        L.fail("no warning about polling faster than 180 s: %s" % text)
    if "CAPMON_ZOOM_API_DAILY_BUDGET" not in text:
        L.fail("no warning that the pace outruns the daily budget: %s" % text)
    if "csecret-1" in text or "tok-" in text:
        L.fail("a secret or token in the watch log")
    final = video(out)
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    L.stop(fake)
    rp = [m for m in L.replay_snapshot(capmon, rec)["meetings"] if m["uuid"] == UUID][0]
    for k in ("video_on", "video_source", "video_estimate", "video_since", "peak_video_on"):
        if rp[k] != final[k]:
            L.fail("replay: %s %s, watch said %s" % (k, rp[k], final[k]))
    L.log("ok: %d then %d cameras from QoS pages of 10, 429 waited out, pace warned" %
          (ON, want))
    relay_part(capmon, d, uids, want)
    L.check_no_sanitizer_report(*[os.path.join(d, f) for f in os.listdir(d)
                                  if f.endswith(".err")])
    subprocess.run(["rm", "-rf", d])


def relay_part(capmon, d, uids, want):
    """`relay --video-qos`: the sweeps go into the relay's log (src qos), a
    monitor of the relay counts them, a replay of the log agrees."""
    port = L.free_port()
    st = os.path.join(d, "fake2.json")
    fake = L.spawn(["/usr/bin/python3", os.path.join(HERE, "fake_zoom_api.py"), "--port",
                    str(port), "--status", st, "--uuid", UUID, "--meeting-id", MID],
                   stderr=open(os.path.join(d, "fake2.err"), "wb"))
    L.wait_for(lambda: status(st), 10, "the fake Zoom REST server")
    for i, u in enumerate(uids):
        fake_post(port, "join", {"user_id": u, "user_name": "Spain - P%d" % i, "deliver": False})
        fake_post(port, "video", {"user_id": u, "on": i < want})
    rp = L.free_port()
    log = os.path.join(d, "relay.jsonl")
    err = os.path.join(d, "relay.err")
    relay = L.spawn([capmon, "relay", "--listen", "127.0.0.1:%d" % rp, "--log", log,
                     "--video-qos", "10"],
                    env={"CAPMON_WEBHOOK_SECRET": L.SECRET, "CAPMON_TOKEN": L.TOKEN,
                         "ZOOM_ACCOUNT_ID": "acc-1", "ZOOM_CLIENT_ID": "cid-1",
                         "ZOOM_CLIENT_SECRET": "csecret-1",
                         "CAPMON_ZOOM_OAUTH_URL": "http://127.0.0.1:%d/oauth/token" % port,
                         "CAPMON_ZOOM_API_URL": "http://127.0.0.1:%d/v2" % port},
                    stderr=open(err, "ab"))
    L.wait_for(lambda: L.healthz(rp), 10, "the relay")
    out = os.path.join(d, "watch2.out")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.1", "--log",
                     os.path.join(d, "watch2.log"), "ws://127.0.0.1:%d/events" % rp],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"),
                    stderr=open(out + ".err", "ab"))
    for i, u in enumerate(uids):
        if L.post_signed(rp, L.join_body(u, meeting=UUID, name="Spain - P%d" % i)) != 200:
            L.fail("join refused by the relay")
    # the first sweep starts with the first join webhook: the next one (10 s
    # later) lists everybody
    L.wait_for(lambda: video(out).get("video_on") == want, 40,
               "%d cameras through the relay's log" % want)
    if "warning: --video-qos 10" not in open(err).read():
        L.fail("the relay did not warn about the pace")
    final = video(out)
    L.stop(watch)
    L.stop(relay)
    L.stop(fake)
    srcs = [r.get("src") for r in L.log_records(log)]
    if "qos" not in srcs:
        L.fail("no record with src qos in the relay's log: %s" % set(srcs))
    rp_ = [m for m in L.replay_snapshot(capmon, log)["meetings"] if m["uuid"] == UUID][0]
    for k in ("video_on", "video_source", "video_estimate"):
        if rp_[k] != final[k]:
            L.fail("replay of the relay log: %s %s, the monitor said %s" % (k, rp_[k], final[k]))
    L.log("ok: relay --video-qos: %d cameras in the log, the monitor and the replay" % want)


if __name__ == "__main__":
    main()
