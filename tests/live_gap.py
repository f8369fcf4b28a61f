"""live: a monitor resuming from a seq older than the relay's log keeps (a
rotated log starting at seq 101) gets {"gap":{"from":6,"to":100}} first, raises
`feed` with the 95 lost records, then applies the records kept; a restarted
relay continues the numbering after a torn last line.
usage: live_gap.py CAPMON"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    logpath = os.path.join(d, "relay.log")
    with open(logpath, "w") as f:
        f.write('{"capmon_log":1,"created":"2026-01-01T00:00:00Z","source":"relay"}\n')
        for seq in range(101, 111):
            rec = {"seq": seq, "recv": L.now_ms(), "src": "webhook",
                   "body": json.loads(L.join_body(seq))}
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
        f.write('{"seq":111,"recv":1,"src":"webhook","bo')  # torn by a crash
    port = L.free_port()
    relay = L.start_relay(capmon, port, logpath, os.path.join(d, "relay.err"))
    if L.healthz(port)["last_seq"] != 110 or L.healthz(port)["first_seq"] != 101:
        L.fail("relay did not resume from the log: %s" % L.healthz(port))
    out = os.path.join(d, "watch.out")
    url = "ws://127.0.0.1:%d/events?since=5" % port
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--log",
                     os.path.join(d, "watch.log"), url],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"))
    L.wait_for(lambda: (L.last_json_line(out) or {}).get("events", {}).get("applied") == 10,
               10, "the 10 kept records")
    body = L.join_body(999)
    codes = L.curl_post_all(d, "after", port, [("x", body)])
    if codes.get("x") != 200:
        L.fail("post after restart: %s" % codes)
    L.wait_for(lambda: L.last_json_line(out)["events"]["applied"] == 11, 10, "the new record")
    if L.stop(watch) != 0 or L.stop(relay) != 0:
        L.fail("watch or relay exited non-zero")
    recs = L.log_records(logpath)
    if [r["seq"] for r in recs] != list(range(101, 112)):
        L.fail("seqs after the torn line: %s" % [r["seq"] for r in recs])
    gap = [a for a in L.last_json_line(out)["alerts"] if a["rule"] == "feed"]
    if len(gap) != 1 or gap[0]["delegation"] != url + " (gap)" or gap[0]["value"] != 95 \
            or gap[0]["status"] != "firing":
        L.fail("expected a firing feed alert for 95 lost records: %s" % gap)
    if "torn last line" not in open(os.path.join(d, "relay.err")).read():
        L.fail("the relay did not report the torn line")
    L.log("ok: gap of 95 records raised feed; torn line cut; numbering continued")
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
