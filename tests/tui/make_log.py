#!/usr/bin/env python3
"""Writes a small two-meeting event log for the dashboard tests (JSON Lines).

Meeting "Council sitting" fills past a capacity of 12 (run with --capacity 12),
has video, join failures and a participant whose display name carries terminal
escapes (ESC [2J and BEL); meeting "Informal meeting" has two Italians."""
import json
import sys

T0 = 1750000000000
lines = []
t = T0


def ev(name, uuid, mid, topic, part=None, dt=100):
    global t
    t += dt
    obj = {"uuid": uuid, "id": mid, "topic": topic}
    if part is not None:
        obj["participant"] = part
    body = {"event": name, "event_ts": t, "payload": {"object": obj}}
    lines.append({"seq": len(lines) + 1, "recv": t, "src": "file", "body": body})


A = ("a==", "81234567890", "Council sitting")
B = ("b==", "89999999999", "Informal meeting")
ev("meeting.started", *A)
# the second meeting early: the first one has the latest event, so the dashboard
# opens on it
ev("meeting.started", *B)
ev("meeting.participant_joined", *B, {"user_id": "b1", "user_name": "Italy - Mario Rossi"})
ev("meeting.participant_joined", *B, {"user_id": "b2", "user_name": "Italy - Giulia Bianchi"})
names = [
    "Switzerland - Anna Muster", "Suisse - Jean Dupont", "CHE - Lea Frei",
    "Sweden - Karl Berg", "Sweden - Eva Lind", "France - Marie Curie",
    "Germany - Hans Weber", "Brazil - Ana Souza", "Kenya - Wanjiru Kamau",
    "Japan - \u5c71\u7530\u592a\u90ce", "\u738b\u4f1f",
    "Evil\u001b[2J\u0007 Name", "Unknown iPhone", "Norway - Ola Nordmann",
]
for i, n in enumerate(names):
    ev("meeting.participant_joined", *A,
       {"user_id": "u%d" % i, "user_name": n, "id": "p%d" % i})
for i in range(0, 8):
    ev("capmon.participant_video", *A, {"user_id": "u%d" % i, "video": "on"})
ev("capmon.participant_join_failed", *A,
   {"user_name": "Chile - Pedro Rojas", "reason": "meeting_full"})
ev("capmon.participant_join_failed", *A,
   {"user_name": "Peru - Rosa Quispe", "reason": "wrong_passcode"})
ev("capmon.participant_join_failed", *A,
   {"user_name": "Evil\u001b[2J\u0007 Caller", "reason": "locked"})
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for r in lines:
        f.write(json.dumps(r) + "\n")
