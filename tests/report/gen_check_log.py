#!/usr/bin/python3
# Makes a log for tests/test_report.sh: LOG N VIDEO = a meeting with N participants
# (five delegations, registrant ids) of whom VIDEO have their camera on.
import json, sys
path, n, video = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = 1773129600000
countries = ["Switzerland", "France", "Japan", "Brazil", "Kenya"]
with open(path, "w") as f:
    def rec(t, event, part=None):
        o = {"uuid": "M1==", "id": "85012345678", "topic": "Council, 3rd sitting"}
        if part: o["participant"] = part
        f.write(json.dumps({"recv": t, "src": "webhook", "body": {"event": event, "event_ts": t, "payload": {"object": o}}}) + "\n")
    rec(t0, "meeting.started")
    for i in range(n):
        rec(t0 + 1000 + i * 100, "meeting.participant_joined", {"user_id": "u%d" % i, "user_name": "%s - Delegate %d" % (countries[i % 5], i), "registrant_id": "r%d" % i})
    for i in range(video):
        rec(t0 + 200000 + i * 100, "capmon.participant_video", {"user_id": "u%d" % i, "video": "on"})
