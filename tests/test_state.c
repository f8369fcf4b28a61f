/* state: the rules of docs/semantics.md §3, driven through Monitor_feed. */
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "tap.h"
#include "util.h"

static Config cfg;

static Outcome J(Monitor *m, const char *mt, const char *key, int64_t t, const char *name)
{
        return pev(m, "participant_joined", t, mt, "'user_id':'%s','user_name':'%s'", key, name);
}

static Outcome L(Monitor *m, const char *mt, const char *key, int64_t t, const char *reason)
{
        return pev(m, "participant_left", t, mt, "'user_id':'%s','leave_reason':'%s'", key, reason);
}

/* Any participant event with just a session key. */
static Outcome E(Monitor *m, const char *event, const char *mt, const char *key, int64_t t)
{
        return pev(m, event, t, mt, "'user_id':'%s'", key);
}

static const JoinFailure *last_failure(const Monitor *m)
{
        const State *s = Monitor_state(m);
        size_t n = State_failure_count(s);
        return n ? State_failure(s, n - 1) : NULL;
}

static void test_duplicates(void)
{
        Monitor *m = monitor_new(&cfg);
        is_int(J(m, "m", "u1", 1000, "France - Jean"), OUT_APPLIED, "join");
        is_int(J(m, "m", "u1", 1000, "France - Jean"), OUT_DUPLICATE, "same join again: duplicate");
        is_int(J(m, "m", "u1", 2000, "France - Jean"), OUT_DUPLICATE,
               "join of a session open in 'in': duplicate");
        is_int(meeting(m, "m")->participants, 1, "one participant");
        is_int(L(m, "m", "u1", 500, ""), OUT_STALE, "leave before the join: stale");
        is_int(L(m, "m", "u1", 500, ""), OUT_STALE, "its copy is stale again, not duplicate");
        is_int(L(m, "m", "ghost", 3000, ""), OUT_ORPHAN, "leave of an unknown session: orphan");
        is_int(L(m, "m", "ghost", 3000, ""), OUT_ORPHAN, "its copy is orphan again");
        is_int(mev(m, "meeting.started", 100, "m"), OUT_APPLIED, "meeting.started");
        is_int(mev(m, "webinar.started", 100, "m"), OUT_APPLIED,
               "webinar.started, same meeting and time: a different event");
        is_int(mev(m, "meeting.started", 100, "m"), OUT_DUPLICATE,
               "meeting.started again: duplicate");
        is_int(J(m, "other", "u1", 1000, "France - Jean"), OUT_APPLIED,
               "same key and time in another meeting: applied");
        is_int(L(m, "m", "u1", 5000, ""), OUT_APPLIED, "leave");
        is_int(L(m, "m", "u1", 5000, ""), OUT_DUPLICATE, "same leave again: duplicate");
        is_int(L(m, "m", "u1", 6000, ""), OUT_DUPLICATE, "leave of a closed session: duplicate");
        is_int(J(m, "m", "u1", 5000, "France - Jean"), OUT_STALE, "join at the close time: stale");
        is_int(J(m, "m", "u1", 4000, "France - Jean"), OUT_STALE, "join before the close: stale");
        is_int(J(m, "m", "u1", 5001, "France - Jean"), OUT_APPLIED,
               "join after the close: reopens");
        is_int(meeting(m, "m")->participants, 1, "one participant again");
        const Counters *c = State_counters(Monitor_state(m));
        is_int(c->n[OUT_APPLIED], 6, "6 applied");
        is_int(c->n[OUT_DUPLICATE], 5, "5 duplicate");
        is_int(c->n[OUT_STALE], 4, "4 stale");
        is_int(c->n[OUT_ORPHAN], 2, "2 orphan");
        is_int(c->received, 17, "received = 17, the sum");
        is_int(State_clock(Monitor_state(m)), 6000, "clock: the latest event time seen");
        ok(strcmp(State_meeting(Monitor_state(m), 0)->uuid, "m") == 0 &&
               strcmp(State_meeting(Monitor_state(m), 1)->uuid, "other") == 0,
           "meetings in order of creation");
        Monitor_free(m);
}

static void test_ended(void)
{
        Monitor *m = monitor_new(&cfg);
        mev(m, "started", 1000, "m");
        J(m, "m", "a", 2000, "France - A");
        J(m, "m", "b", 2100, "Kenya - B");
        pev(m, "participant_joined_waiting_room", 2200, "m", "'user_id':'w','user_name':'W'");
        E(m, "participant_jbh_waiting", "m", "j", 2300);
        pev(m, "capmon.participant_video", 2400, "m", "'user_id':'a','video':'on'");
        const Meeting *mt = meeting(m, "m");
        ok(mt->participants == 2 && mt->waiting == 1 && mt->video_on == 1, "before the end");
        is_int(mev(m, "ended", 3000, "m"), OUT_APPLIED, "ended");
        ok(mt->ended && mt->ended_at == 3000, "status ended at 3000");
        ok(mt->participants == 0 && mt->people == 0 && mt->waiting == 0 && mt->video_on == 0,
           "sessions and waiting entries closed, video off");
        ok(deleg_participants(m, "m", "France") == 0 && deleg_participants(m, "m", "Kenya") == 0,
           "delegation rows stay, at zero");
        is_int(mt->join_failures, 0, "closing by the end records no failure");
        is_int(J(m, "m", "c", 3000, "C"), OUT_STALE, "join at ended_at: stale");
        is_int(J(m, "m", "c", 2999, "C"), OUT_STALE, "join before ended_at: stale");
        is_int(L(m, "m", "a", 2500, ""), OUT_STALE, "leave before ended_at: stale");
        is_int(pev(m, "capmon.participant_video", 3000, "m", "'user_id':'a','video':'off'"),
               OUT_STALE, "capmon.participant_video at ended_at: stale");
        is_int(pev(m, "capmon.participant_join_failed", 2900, "m", "'user_id':'z'"), OUT_STALE,
               "capmon.participant_join_failed before ended_at: stale");
        is_int(mev(m, "ended", 2500, "m"), OUT_APPLIED, "an earlier second ended: applied");
        is_int(mt->ended_at, 3000, "ended_at does not move back");
        is_int(mev(m, "ended", 3500, "m"), OUT_APPLIED, "a later second ended");
        is_int(mt->ended_at, 3500, "ended_at moves later");
        is_int(mev(m, "started", 3500, "m"), OUT_STALE, "started at ended_at: stale");
        is_int(mev(m, "started", 3000, "m"), OUT_STALE, "started before ended_at: stale");
        ok(mt->ended, "still ended");
        is_int(mev(m, "started", 3600, "m"), OUT_APPLIED, "started after ended_at: re-opens");
        ok(!mt->ended && mt->ended_at == TIME_NONE && mt->started_at == 3600,
           "live, ended_at cleared, started_at = 3600");
        is_int(J(m, "m", "c", 3700, "C"), OUT_APPLIED, "join after the restart");
        is_int(J(m, "m", "a", 3650, "France - A"), OUT_APPLIED, "a closed session re-opens");
        is_int(mt->participants, 2, "two participants");
        is_int(E(m, "participant_jbh_waiting_left", "m", "j", 3800), OUT_DUPLICATE,
               "J entry closed by the end: its waiting_left is a duplicate");
        is_int(mev(m, "meeting.alert", 3900, "m"), OUT_APPLIED, "meeting.alert: applied");
        is_int(mt->participants, 2, "alert changes nothing");
        is_int(mev(m, "meeting.alert", 100, "fresh"), OUT_APPLIED, "meeting.alert on a new uuid");
        ok(meeting(m, "fresh") != NULL, "creates the meeting");
        Monitor_free(m);
}

static void test_orphans(void)
{
        Monitor *m = monitor_new(&cfg);
        is_int(L(m, "o", "x", 1000, ""), OUT_ORPHAN, "leave: orphan");
        const Meeting *mt = meeting(m, "o");
        ok(mt && !mt->ended && mt->ndelegations == 0, "an orphan still creates the meeting, live");
        is_int(E(m, "participant_joined_breakout_room", "o", "x", 1000), OUT_ORPHAN,
               "joined_breakout_room: orphan");
        is_int(E(m, "participant_left_breakout_room", "o", "x", 1000), OUT_ORPHAN,
               "left_breakout_room: orphan");
        is_int(pev(m, "participant_role_changed", 1000, "o", "'user_id':'x','new_role':'host'"),
               OUT_ORPHAN, "role_changed: orphan");
        is_int(pev(m, "participant_bind", 1000, "o", "'user_id':'x','bind_user_id':'y'"),
               OUT_ORPHAN, "bind: orphan");
        is_int(pev(m, "capmon.participant_video", 1000, "o", "'user_id':'x','video':'on'"),
               OUT_HELD, "video for an unknown session: held (its join may be late)");
        is_int(mt->video_known, 0, "an orphan video event leaves video unknown");
        is_int(pev(m, "participant_qos", 1000, "o",
                   "'user_id':'x','qos':[{'type':'video_input','details':{'bitrate':500}}]"),
               OUT_ORPHAN, "qos: orphan");
        is_int(mt->video_known, 0, "still unknown");
        is_int(E(m, "participant_admitted", "o", "x", 1000), OUT_ORPHAN, "admitted: orphan");
        is_int(E(m, "participant_left_waiting_room", "o", "x", 1000), OUT_ORPHAN,
               "left_waiting_room: orphan");
        J(m, "o", "y", 2000, "Y");
        L(m, "o", "y", 3000, "");
        is_int(E(m, "participant_joined_breakout_room", "o", "y", 3100), OUT_ORPHAN,
               "a closed session is not open: orphan");
        is_int(pev(m, "participant_role_changed", 2500, "o", "'user_id':'y','new_role':'cohost'"),
               OUT_ORPHAN, "role change of a closed session: orphan");
        Monitor_free(m);
}

static void test_breakout(void)
{
        Monitor *m = monitor_new(&cfg);
        const Meeting *mt;
        J(m, "b", "b1", 1000, "France - Ann");
        is_int(L(m, "b", "b1", 2000, "Left to join Breakout Room 3"), OUT_APPLIED,
               "leave to a breakout room");
        mt = meeting(m, "b");
        ok(mt->participants == 1 && deleg_participants(m, "b", "France") == 1,
           "still counts in breakout");
        is_int(J(m, "b", "b1", 2500, "France - Ann"), OUT_APPLIED, "join back from breakout");
        is_int(mt->participants, 1, "one participant, not two");
        is_int(J(m, "b", "b1", 2600, "France - Ann"), OUT_DUPLICATE, "then a join is a duplicate");
        is_int(E(m, "participant_joined_breakout_room", "b", "b1", 3000), OUT_APPLIED,
               "joined_breakout_room");
        is_int(mt->participants, 1, "counts in breakout");
        is_int(E(m, "participant_left_breakout_room", "b", "b1", 3100), OUT_APPLIED,
               "left_breakout_room");
        is_int(J(m, "b", "b1", 3200, "France - Ann"), OUT_DUPLICATE,
               "back in 'in': a join is a duplicate");
        is_int(L(m, "b", "b1", 900, "BREAKOUT ROOM"), OUT_STALE,
               "a breakout leave before the join: stale");
        is_int(L(m, "b", "b1", 4000, "left the meeting"), OUT_APPLIED, "leave the meeting");
        ok(mt->participants == 0 && deleg_participants(m, "b", "France") == 0, "closed");
        J(m, "b", "b2", 10000, "B2");
        is_int(L(m, "b", "b2", 20000, "Disconnected from breakout room"), OUT_APPLIED,
               "early 'disconnected' leave to a breakout room");
        ok(mt->participants == 1 && mt->join_failures == 0,
           "breakout: still counts, no early-drop failure");
        Monitor_free(m);
}

static void test_put_in_waiting_room(void)
{
        Monitor *m = monitor_new(&cfg);
        J(m, "p", "p", 1000, "Kenya - P");
        pev(m, "capmon.participant_video", 1100, "p", "'user_id':'p','video':'on'");
        is_int(E(m, "participant_put_in_waiting_room", "p", "p", 2000), OUT_APPLIED,
               "put in waiting room");
        const Meeting *mt = meeting(m, "p");
        ok(mt->participants == 0 && mt->waiting == 1 && mt->video_on == 0,
           "session closed (video off), waiting entry opened");
        is_int(mt->join_failures, 0, "no failure");
        is_int(State_oldest_wait(Monitor_state(m), mt), 2000, "waiting since 2000");
        is_int(E(m, "participant_put_in_waiting_room", "p", "p", 2000), OUT_DUPLICATE,
               "same again: duplicate");
        is_int(E(m, "participant_put_in_waiting_room", "p", "p", 2100), OUT_DUPLICATE,
               "waiting entry already open: duplicate");
        is_int(E(m, "participant_put_in_waiting_room", "p", "p", 1500), OUT_STALE,
               "before the session's close: stale");
        is_int(E(m, "participant_admitted", "p", "p", 2500), OUT_APPLIED, "admitted");
        is_int(mt->waiting, 0, "nobody waiting");
        is_int(J(m, "p", "p", 2600, "Kenya - P"), OUT_APPLIED, "joins again");
        ok(mt->participants == 1 && mt->video_on == 0, "one participant, video off again");
        is_int(E(m, "participant_put_in_waiting_room", "p", "q", 3000), OUT_APPLIED,
               "put in waiting room with no session: opens a waiting entry");
        is_int(mt->waiting, 1, "one waiting");
        Monitor_free(m);
}

static void test_bind(void)
{
        Monitor *m = monitor_new(&cfg);
        J(m, "k", "ph", 1000, "+41 22 730 5111");
        pev(m, "participant_joined", 1000, "k", "'user_id':'u','id':'zu','user_name':'France - J'");
        J(m, "k", "guest", 1000, "Guest");
        const Meeting *mt = meeting(m, "k");
        ok(mt->participants == 3 && mt->people == 3 && mt->unidentified == 1 &&
               deleg_participants(m, "k", "Dial-in") == 1,
           "phone, user and guest counted");
        is_int(pev(m, "participant_bind", 1100, "k", "'user_id':'ph','bind_user_id':'u'"),
               OUT_APPLIED, "bind the phone session");
        ok(mt->participants == 2 && mt->people == 2 && deleg_participants(m, "k", "Dial-in") == 0,
           "a bound phone session counts nowhere");
        is_int(pev(m, "participant_bind", 1200, "k", "'user_id':'guest','bind_user_id':'u'"),
               OUT_APPLIED, "bind the guest");
        ok(mt->participants == 1 && mt->unidentified == 0, "nor in unidentified");
        is_int(L(m, "k", "ph", 1300, ""), OUT_APPLIED, "the bound session leaves");
        is_int(mt->participants, 1, "counts unchanged");
        is_int(pev(m, "participant_bind", 1400, "k", "'user_id':'nobody','bind_user_id':'u'"),
               OUT_ORPHAN, "bind of an unknown session: orphan");
        Monitor_free(m);
}

static void test_waiting_room(void)
{
        Monitor *m = monitor_new(&cfg);
        const char *wj = "participant_joined_waiting_room";
        const char *wl = "participant_left_waiting_room";
        is_int(pev(m, wj, 1000, "w", "'user_id':'w1','user_name':'Kenya - Ann'"), OUT_APPLIED,
               "joined waiting room");
        const Meeting *mt = meeting(m, "w");
        is_int(mt->waiting, 1, "one waiting");
        is_int(deleg_participants(m, "w", "Kenya"), -1, "a waiting entry lists no delegation row");
        is_int(pev(m, wj, 1000, "w", "'user_id':'w1','user_name':'Kenya - Ann'"), OUT_DUPLICATE,
               "same again: duplicate");
        is_int(E(m, wj, "w", "w1", 1100), OUT_DUPLICATE, "entry open: duplicate");
        is_int(E(m, "participant_admitted", "w", "w1", 2000), OUT_APPLIED, "admitted");
        is_int(mt->waiting, 0, "nobody waiting");
        is_int(E(m, "participant_admitted", "w", "w1", 2100), OUT_DUPLICATE,
               "admitted again: duplicate");
        is_int(E(m, wl, "w", "w1", 2000), OUT_APPLIED, "left after admission: applied");
        is_int(E(m, wl, "w", "w1", 2050), OUT_DUPLICATE, "left again: duplicate");
        is_int(mt->join_failures, 0, "admission: no failure");
        is_int(E(m, wj, "w", "w1", 1500), OUT_STALE, "re-entry before the close: stale");
        is_int(E(m, wj, "w", "w1", 3000), OUT_APPLIED, "re-entry after the close: applied");
        is_int(mt->waiting, 1, "waiting again");

        /* failures when an open, not admitted entry closes by leaving */
        pev(m, wj, 1000, "w", "'user_id':'w2','user_name':'Kenya - Bo'");
        is_int(pev(m, wl, 5000, "w", "'user_id':'w2','leave_reason':'Removed by host'"),
               OUT_APPLIED, "removed from the waiting room");
        const JoinFailure *f = last_failure(m);
        ok(f && strcmp(f->reason, "rejected_from_waiting_room") == 0 && f->time == 5000 &&
               strcmp(f->delegation, "Kenya") == 0 && strcmp(f->name, "Kenya - Bo") == 0,
           "rejected_from_waiting_room at 5000, delegation and name from the entry");
        pev(m, wj, 1000, "w", "'user_id':'w3','user_name':'W3'");
        is_int(E(m, wl, "w", "w3", 5000), OUT_APPLIED, "left the waiting room");
        f = last_failure(m);
        ok(f && strcmp(f->reason, "waiting_room_abandoned") == 0 && f->time == 5000 &&
               strcmp(f->delegation, "Unidentified") == 0,
           "waiting_room_abandoned");
        is_int(mt->join_failures, 2, "two failures");

        /* a join of K within 5 s (before or after) means no failure */
        E(m, wj, "w", "w4", 1000);
        J(m, "w", "w4", 10000, "W4");
        is_int(mt->waiting, 2, "a join does not close K's waiting entry (w1, w4 wait)");
        E(m, wl, "w", "w4", 15000);
        is_int(mt->join_failures, 2, "join 5 s before the wait closes: no failure");
        E(m, wj, "w", "w5", 1000);
        J(m, "w", "w5", 10000, "W5");
        E(m, wl, "w", "w5", 15001);
        is_int(failures(m, "w", "waiting_room_abandoned"), 2,
               "join 5.001 s before the wait closes: a failure");

        /* a failure is cancelled by a late-arriving join within 5 s of its time */
        E(m, wj, "w", "w6", 1000);
        E(m, wl, "w", "w6", 20000);
        is_int(mt->join_failures, 4, "w6 abandoned: 4 failures");
        is_int(J(m, "w", "w6", 25000, "W6"), OUT_APPLIED, "w6 joins 5 s after");
        is_int(mt->join_failures, 3, "w6's failure cancelled");
        E(m, wj, "w", "w7", 1000);
        E(m, wl, "w", "w7", 20000);
        J(m, "w", "w7", 15000, "W7");
        is_int(mt->join_failures, 3, "a join 5 s before, arriving late, also cancels");
        E(m, wj, "w", "w8", 1000);
        E(m, wl, "w", "w8", 20000);
        J(m, "w", "w8", 25001, "W8");
        is_int(mt->join_failures, 4, "a join 5.001 s after does not cancel");
        is_int(failures(m, "w", "waiting_room_abandoned"), 3, "abandoned: w3, w5, w8");
        int cancelled = 0;
        for (size_t i = 0; i < State_failure_count(Monitor_state(m)); i++)
                cancelled += State_failure(Monitor_state(m), i)->cancelled;
        is_int(cancelled, 2, "two failures kept as cancelled");

        /* a waiting room entry put in by the host and then left */
        E(m, "participant_put_in_waiting_room", "w", "w9", 30000);
        E(m, wl, "w", "w9", 40000);
        is_int(failures(m, "w", "waiting_room_abandoned"), 4, "put in, then left: abandoned");
        Monitor_free(m);
}

static void test_jbh(void)
{
        Monitor *m = monitor_new(&cfg);
        const char *jw = "participant_jbh_waiting";
        const char *jl = "participant_jbh_waiting_left";
        is_int(E(m, jw, "j", "j1", 1000), OUT_APPLIED, "jbh_waiting");
        const Meeting *mt = meeting(m, "j");
        is_int(mt->waiting, 0, "join-before-host entries are not counted in waiting");
        is_int(E(m, jw, "j", "j1", 1100), OUT_DUPLICATE, "jbh_waiting while open: duplicate");
        is_int(E(m, jl, "j", "j1", 2000), OUT_APPLIED, "jbh_waiting_left, no started_at");
        is_int(failures(m, "j", "host_absent"), 1, "host_absent");
        is_int(E(m, jl, "j", "j1", 2100), OUT_DUPLICATE, "left again: duplicate");
        is_int(E(m, jl, "j", "j2", 2000), OUT_APPLIED, "jbh_waiting_left with no entry");
        is_int(failures(m, "j", "host_absent"), 2, "host_absent too");
        mev(m, "started", 3000, "j");
        E(m, jw, "j", "j3", 2500);
        E(m, jl, "j", "j3", 2900);
        is_int(failures(m, "j", "host_absent"), 3, "left before started_at: host_absent");
        E(m, jw, "j", "j4", 3100);
        is_int(E(m, jl, "j", "j4", 3200), OUT_APPLIED, "left after started_at");
        is_int(failures(m, "j", "host_absent"), 3, "no failure");
        E(m, jw, "j", "j5", 2800);
        is_int(E(m, "participant_jbh_joined", "j", "j5", 3000), OUT_APPLIED, "jbh_joined");
        is_int(E(m, jl, "j", "j5", 3001), OUT_DUPLICATE, "closed by jbh_joined: duplicate");
        is_int(E(m, "participant_jbh_joined", "j", "j6", 3000), OUT_APPLIED,
               "jbh_joined without an entry: applied");
        is_int(mt->join_failures, 3, "three failures");
        is_int(mt->participants, 0, "jbh events open no session");
        Monitor_free(m);
}

static void test_early_drop(void)
{
        Monitor *m = monitor_new(&cfg);
        J(m, "d", "d1", 10000, "Kenya - D1");
        L(m, "d", "d1", 70000, "left the meeting. Reason: disconnected");
        const JoinFailure *f = last_failure(m);
        ok(f && strcmp(f->reason, "dropped_on_join") == 0 && f->time == 70000 && f->detail &&
               strcmp(f->detail, "left the meeting. Reason: disconnected") == 0 &&
               strcmp(f->delegation, "Kenya") == 0 && strcmp(f->name, "Kenya - D1") == 0,
           "closed 60 s after its join, 'disconnected': dropped_on_join, detail = reason");
        J(m, "d", "d2", 10000, "D2");
        L(m, "d", "d2", 71000, "Disconnected");
        is_int(failures(m, "d", "dropped_on_join"), 1, "61 s: no failure");
        J(m, "d", "d3", 10000, "D3");
        L(m, "d", "d3", 70001, "disconnected");
        is_int(failures(m, "d", "dropped_on_join"), 1, "60.001 s: no failure");
        J(m, "d", "d4", 10000, "D4");
        L(m, "d", "d4", 20000, "Network CONNECTION lost");
        is_int(failures(m, "d", "dropped_on_join"), 2, "'connection', any case: failure");
        J(m, "d", "d5", 10000, "D5");
        L(m, "d", "d5", 20000, "left the meeting");
        J(m, "d", "d6", 10000, "D6");
        E(m, "participant_left", "d", "d6", 10000);
        is_int(failures(m, "d", "dropped_on_join"), 2, "other reasons or none: no failure");
        const Meeting *mt = meeting(m, "d");
        is_int(mt->join_failures, 2, "meeting join_failures");
        is_int(State_failures_since(Monitor_state(m), mt, 20000), 1, "failures after 20000");
        is_int(State_failures_since(Monitor_state(m), mt, 19999), 2, "failures after 19999");

        pev(m, "capmon.participant_join_failed", 80000, "d",
            "'user_id':'f1','user_name':'Kenya - F','reason':'','code':1234");
        f = last_failure(m);
        ok(f && strcmp(f->reason, "other") == 0 && f->detail &&
               strcmp(f->detail, "code 1234") == 0 && strcmp(f->delegation, "Kenya") == 0,
           "participant_join_failed: empty reason is 'other', detail 'code N'");
        pev(m, "capmon.participant_join_failed", 80000, "d",
            "'user_id':'f2','user_name':'+41 22 730 5111','reason':'password_wrong','code':'99'");
        f = last_failure(m);
        ok(f && strcmp(f->reason, "password_wrong") == 0 && f->detail &&
               strcmp(f->detail, "code 99") == 0 && strcmp(f->delegation, "Dial-in") == 0,
           "participant_join_failed: reason, code as text, delegation from the name");
        pev(m, "capmon.participant_join_failed", 80000, "d", "'user_id':'f3','reason':'x'");
        f = last_failure(m);
        ok(f && f->detail == NULL, "no code: no detail");
        is_int(mt->join_failures, 5, "five failures");
        is_int(mt->participants, 0, "join failures open no session");
        Monitor_free(m);
}

static const char QOS[] = "'user_id':'%s','qos':[{'type':'audio_input','details':{'bitrate':"
                          "'40 kbps'}},{'type':'video_input','details':{%s}}]";

static void test_video(void)
{
        Monitor *m = monitor_new(&cfg);
        J(m, "v", "a", 1000, "France - A");
        J(m, "v", "b", 1000, "France - B");
        const Meeting *mt = meeting(m, "v");
        ok(!mt->video_known && mt->peak_video_on == 0, "video unknown until a video fact");
        is_int(pev(m, "participant_qos", 1050, "v",
                   "'user_id':'a','qos':[{'type':'audio_input','details':{'bitrate':30}}]"),
               OUT_APPLIED, "QSS without video_input: applied");
        is_int(mt->video_known, 0, "still unknown");
        is_int(pev(m, "capmon.participant_video", 1100, "v", "'user_id':'a','video':'on'"),
               OUT_APPLIED, "video on");
        ok(mt->video_known && mt->video_on == 1 && mt->peak_video_on == 1, "known, 1 on");
        is_int(pev(m, "participant_qos", 1200, "v", QOS, "b", "'bitrate':'812 kbps'"), OUT_APPLIED,
               "QSS '812 kbps'");
        is_int(mt->video_on, 2, "2 on");
        const Delegation *d = Meeting_delegation(mt, "France");
        ok(d && d->video_on == 2, "delegation video_on 2");
        pev(m, "participant_qos", 1300, "v", QOS, "b", "'bitrate':'0.0 kbps'");
        is_int(mt->video_on, 1, "QSS '0.0 kbps': off");
        pev(m, "participant_qos", 1400, "v", QOS, "b", "'bitrate':300");
        is_int(mt->video_on, 2, "QSS 300: on");
        pev(m, "participant_qos", 1500, "v", QOS, "b", "'bitrate':0");
        is_int(mt->video_on, 1, "QSS 0: off");
        pev(m, "participant_qos", 1600, "v", QOS, "b", "'bitrate':'1.5 Mbps'");
        is_int(mt->video_on, 2, "QSS '1.5 Mbps': on");
        pev(m, "participant_qos", 1700, "v", QOS, "b", "'resolution':'640*360'");
        is_int(mt->video_on, 1, "QSS without a bitrate: off");
        is_int(feed(m, TIME_NONE,
                    "{'event':'meeting.participant_qos','event_ts':1800,'payload':{'object':"
                    "{'uuid':'v','participant':{'user_id':'b'},'qos':[{'type':'video_input',"
                    "'details':{'bitrate':'900 kbps'}}]}}}"),
               OUT_APPLIED, "payload.object.qos[]");
        is_int(mt->video_on, 2, "read too: on");
        is_int(mt->peak_video_on, 2, "peak_video_on 2");
        is_int(L(m, "v", "b", 1900, ""), OUT_APPLIED, "b leaves");
        ok(mt->video_on == 1 && d->video_on == 1 && mt->peak_video_on == 2,
           "closing turns video off; peak kept");
        pev(m, "capmon.participant_video", 2000, "v", "'user_id':'a','video':'off'");
        ok(mt->video_on == 0 && mt->video_known, "off: 0 on, still known");
        is_int(J(m, "v", "b", 2100, "France - B"), OUT_APPLIED, "b rejoins");
        is_int(mt->video_on, 0, "with video off");

        J(m, "v2", "x", 1000, "X");
        pev(m, "participant_qos", 1100, "v2", QOS, "nobody", "'bitrate':500");
        ok(!meeting(m, "v2")->video_known, "an orphan QSS leaves video unknown");
        Monitor_free(m);
}

static void test_video_held(void)
{
        Monitor *m = monitor_new(&cfg);
        const State *st = Monitor_state(m);
        J(m, "h", "a", 1000, "France - A");
        const Meeting *mt = meeting(m, "h");
        is_int(pev(m, "capmon.participant_video", 2000, "h",
                   "'user_id':'late','video':'on','source':'rtms'"),
               OUT_HELD, "video before its join: held");
        is_int(pev(m, "capmon.participant_video", 2000, "h",
                   "'user_id':'late','video':'on','source':'rtms'"),
               OUT_DUPLICATE, "the same fact again: duplicate");
        is_int((int)State_counters(st)->received, 2, "held: not counted yet (1 join + 1 dup)");
        ok(!mt->video_known, "held: video still unknown");
        is_int(J(m, "h", "late", 1500, "Germany - Late"), OUT_APPLIED, "its join, earlier time");
        ok(mt->video_known && mt->video_on == 1, "the held fact applies at the join");
        is_int((int)count(m, OUT_APPLIED), 3, "and counts as applied");
        is_str(mt->video_source, "rtms", "video_source rtms");
        is_int(mt->video_estimate, 0, "rtms is exact");
        is_int(pev(m, "capmon.participant_video", 2000, "h",
                   "'user_id':'late','video':'on','source':'rtms'"),
               OUT_DUPLICATE, "a third copy after release: duplicate");

        /* the wait is 10 s of event time: at +10 s still waiting, after it orphan */
        is_int(pev(m, "capmon.participant_video", 3000, "h",
                   "'user_id':'ghost','video':'on','source':'rtms'"),
               OUT_HELD, "ghost: held");
        Monitor_tick(m, 13000);
        is_int((int)count(m, OUT_ORPHAN), 0, "at its time + 10 s: still waiting");
        Monitor_tick(m, 13001);
        is_int((int)count(m, OUT_ORPHAN), 1, "past it: orphan");
        is_int(J(m, "h", "ghost", 3000, "Ghost"), OUT_APPLIED, "ghost joins too late");
        is_int(mt->video_on, 1, "with video off");
        is_int(pev(m, "capmon.participant_video", 1000, "h", "'user_id':'old','video':'on'"),
               OUT_ORPHAN, "a fact already older than the wait: orphan at once");
        is_int(pev(m, "capmon.participant_video", 13500, "h", "'user_id':'fin','video':'on'"),
               OUT_HELD, "fin: held");
        Monitor_finish(m);
        is_int((int)count(m, OUT_ORPHAN), 3, "end of input: what waits is orphan");
        const Counters *c = State_counters(st);
        uint64_t sum = 0;
        for (int i = 0; i < OUT_COUNT; i++)
                sum += c->n[i];
        ok(sum == c->received, "received is the sum of the outcomes");
        Monitor_free(m);
}

static void test_video_sync(void)
{
        Monitor *m = monitor_new(&cfg);
        J(m, "s", "1", 1000, "France - A");
        J(m, "s", "2", 1000, "France - B");
        J(m, "s", "3", 1000, "Spain - C");
        const Meeting *mt = meeting(m, "s");
        is_int(feed(m, TIME_NONE,
                    "{'event':'capmon.video_sync','event_ts':2000,'payload':{'object':"
                    "{'uuid':'s','source':'rtms','full':false}}}"),
               OUT_APPLIED, "partial sync");
        ok(mt->video_known && mt->video_on == 0 && mt->video_since == 2000,
           "known, 0 on, video since its time");
        pev(m, "capmon.participant_video", 2500, "s", "'user_id':'3','video':'on','source':'rtms'");
        VideoOn v[4];
        is_int((int)State_video_on(Monitor_state(m), mt, v, 4), 1, "one with video on");
        ok(strcmp(v[0].key, "3") == 0 && v[0].since == 2500 &&
               strcmp(v[0].delegation, "Spain") == 0,
           "listed with its since-time and delegation");
        is_int(feed(m, TIME_NONE,
                    "{'event':'capmon.video_sync','event_ts':3000,'payload':{'object':"
                    "{'uuid':'s','source':'qos','full':true,'video_on':['1',2,'nobody']}}}"),
               OUT_APPLIED, "full sync from qos");
        ok(mt->video_on == 2 && mt->video_since == TIME_NONE, "1 and 2 on, 3 off; whole picture");
        ok(mt->video_estimate && strcmp(mt->video_source, "qos") == 0, "an estimate");
        is_int((int)State_video_on(Monitor_state(m), mt, v, 1), 2, "two, one written");
        ok(v[0].since == 3000 && strcmp(v[0].key, "1") == 0, "sorted by since, then key");
        is_int(feed(m, TIME_NONE,
                    "{'event':'capmon.video_sync','event_ts':3100,'payload':{'object':"
                    "{'uuid':'s','full':true}}}"),
               OUT_INVALID, "full without video_on: invalid");
        Monitor_free(m);
}

static void test_people(void)
{
        Monitor *m = monitor_new(&cfg);
        const char *j = "participant_joined";
        pev(m, j, 1000, "p", "'user_id':'s1','id':'zoomU'");
        pev(m, j, 1000, "p", "'user_id':'s2','id':'zoomU'");
        const Meeting *mt = meeting(m, "p");
        ok(mt->participants == 2 && mt->people == 1, "same Zoom user id: one person");
        pev(m, j, 1000, "p", "'user_id':'s3','email':'A@X.org'");
        pev(m, j, 1000, "p", "'user_id':'s4','email':'a@x.ORG'");
        is_int(mt->people, 2, "same email, any case: one person");
        pev(m, j, 1000, "p", "'user_id':'s5','registrant_id':'R1','id':'other'");
        pev(m, j, 1000, "p", "'user_id':'s6','registrant_id':'R1','email':'b@x.org'");
        is_int(mt->people, 3, "same registrant_id: one person (registrant first)");
        pev(m, j, 1000, "p", "'user_id':'s7','registrant_id':'c@x.org'");
        pev(m, j, 1000, "p", "'user_id':'s8','email':'c@x.org'");
        is_int(mt->people, 5, "a registrant id never equals an email");
        pev(m, j, 1000, "p", "'user_id':'zoomU'");
        is_int(mt->people, 6, "a session key never equals a Zoom user id");
        is_int(mt->participants, 9, "nine sessions");
        L(m, "p", "s1", 2000, "");
        is_int(mt->people, 6, "one of two sessions of a person leaves: still a person");
        L(m, "p", "s2", 2000, "");
        is_int(mt->people, 5, "both left: one person fewer");
        Monitor_free(m);
}

/* issue 11 item 11: person keys were cut at 256 bytes, so distinct long ids
 * sharing a prefix merged into one person. */
static void test_long_ids(void)
{
        Monitor *m = monitor_new(&cfg);
        const char *j = "participant_joined";
        char a[400], b[400];
        memset(a, 'r', 300);
        a[300] = '\0';
        memcpy(b, a, 301);
        b[299] = 's';
        pev(m, j, 1000, "q", "'user_id':'s1','registrant_id':'%s'", a);
        pev(m, j, 1000, "q", "'user_id':'s2','registrant_id':'%s'", b);
        const Meeting *mt = meeting(m, "q");
        is_int(mt->people, 2, "registrant ids of 300 bytes differing in the last: two people");
        pev(m, j, 1000, "q", "'user_id':'s3','registrant_id':'%s'", a);
        is_int(mt->people, 2, "the same 300-byte registrant id again: the same person");
        pev(m, j, 1000, "q", "'user_id':'%s'", a);
        pev(m, j, 1000, "q", "'user_id':'%s'", b);
        is_int(mt->people, 4, "session keys of 300 bytes differing in the last: two people");
        Monitor_free(m);
}

static void test_delegations(void)
{
        Config c;
        Config_init(&c);
        char err[256];
        const char *text = "{\"quotas\": {\"Switzerland\": 4, \"Kenya\": 1},"
                           " \"meetings\": {\"850\": {\"quotas\": {\"CH\": 2}}}}";
        if (Config_load_text(&c, text, strlen(text), "cfg", err, sizeof err))
                diag("config: %s", err);
        Monitor *m = monitor_new(&c);
        J(m, "d", "1", 1000, "Zambia - A");
        J(m, "d", "2", 2000, "C\xc3\xb4te d\\u0027Ivoire - B");
        J(m, "d", "3", 3000, "Czech Republic - C");
        J(m, "d", "4", 4000, "Guest");
        J(m, "d", "5", 5000, "+41 22 730 5111");
        J(m, "d", "6", 6000, "Afghanistan - D");
        J(m, "d", "7", 7000, "Suisse - E");
        J(m, "d", "8", 7000, "CHE - F");
        const Meeting *mt = meeting(m, "d");
        static const char *const order[] = {"Afghanistan", "Czech Republic", "C\xc3\xb4te d'Ivoire",
                                            "Dial-in",     "Switzerland",    "Unidentified",
                                            "Zambia"};
        int sorted = mt->ndelegations == 7;
        for (size_t i = 0; sorted && i < 7; i++)
                sorted = strcmp(mt->delegations[i]->name, order[i]) == 0;
        ok(sorted, "rows sorted by name in byte order (Czech before C\xc3\xb4te)");
        is_int(mt->unidentified, 1, "one unidentified");
        ok(mt->peak_participants == 8 && mt->peak_at == 7000, "peak 8 first reached at 7000");
        const Delegation *ch = Meeting_delegation(mt, "Switzerland");
        ok(ch && ch->participants == 2 && ch->quota == 4, "Switzerland: 2 participants, quota 4");
        const Delegation *za = Meeting_delegation(mt, "Zambia");
        ok(za && za->quota == -1, "no quota configured: -1 (null)");
        for (int k = 1; k <= 8; k++) {
                char key[4];
                snprintf(key, sizeof key, "%d", k);
                L(m, "d", key, 8000, "");
        }
        int zero = mt->ndelegations == 7;
        for (size_t i = 0; i < mt->ndelegations; i++)
                zero =
                    zero && mt->delegations[i]->participants == 0 && mt->delegations[i]->peak >= 1;
        ok(zero, "after everyone left: all 7 rows stay, at zero, with their peaks");
        ok(mt->participants == 0 && mt->peak_participants == 8 && mt->peak_at == 7000, "peak kept");
        J(m, "d", "9", 9000, "A");
        J(m, "d", "10", 9000, "B");
        J(m, "d", "11", 9000, "C");
        J(m, "d", "12", 9000, "D");
        J(m, "d", "13", 9000, "E");
        J(m, "d", "14", 9000, "F");
        J(m, "d", "15", 9000, "G");
        J(m, "d", "16", 9500, "H");
        is_int(mt->peak_at, 7000, "reaching the peak again keeps the first time");
        J(m, "d", "17", 9600, "I");
        ok(mt->peak_participants == 9 && mt->peak_at == 9600, "a new peak moves peak_at");
        ok(Meeting_delegation(mt, "Unidentified")->peak == 9, "delegation peak");

        feed(m, TIME_NONE,
             "{'event':'meeting.participant_joined','event_ts':1000,'payload':{'object':"
             "{'uuid':'mq','id':850,'participant':{'user_id':'x','user_name':'CH - X'}}}}");
        ch = Meeting_delegation(meeting(m, "mq"), "Switzerland");
        ok(ch && ch->quota == 2, "a meeting's quota replaces the global one");
        J(m, "mq", "y", 1000, "Kenya - Y");
        const Delegation *ke = Meeting_delegation(meeting(m, "mq"), "Kenya");
        ok(ke && ke->quota == 1, "global quotas apply to the others");
        ok(meeting(m, "fresh") == NULL && mev(m, "started", 1, "fresh") == OUT_APPLIED &&
               meeting(m, "fresh")->peak_at == TIME_NONE &&
               meeting(m, "fresh")->peak_participants == 0,
           "a new meeting: peak 0, peak_at null");
        Monitor_free(m);
        Config_done(&c);
}

static void test_names(void)
{
        Monitor *m = monitor_new(&cfg);
        char name[400];
        memset(name, 'n', sizeof name - 1);
        name[sizeof name - 1] = '\0';
        memcpy(name, "Kenya - ", 8);
        pev(m, "participant_joined_waiting_room", 1000, "s", "'user_id':'a','user_name':'%s'",
            name);
        E(m, "participant_left_waiting_room", "s", "a", 2000);
        const JoinFailure *f = last_failure(m);
        ok(f && strlen(f->name) == 256 && strcmp(f->delegation, "Kenya") == 0,
           "display names cut at 256 bytes");
        pev(m, "participant_joined_waiting_room", 1000, "s",
            "'user_id':'b','user_name':'Bad\\u001b[31m\\u0007Name\\u009b'");
        E(m, "participant_left_waiting_room", "s", "b", 2000);
        f = last_failure(m);
        ok(f && strcmp(f->name, "Bad[31mName") == 0, "control characters removed from names");
        char reason[301];
        memset(reason, 'r', 300);
        reason[300] = '\0';
        pev(m, "capmon.participant_join_failed", 3000, "s", "'user_id':'c','reason':'%.200s'",
            reason);
        f = last_failure(m);
        ok(f && strlen(f->reason) == 200, "a 200-byte reason is kept whole (cut at 256)");
        pev(m, "capmon.participant_join_failed", 3000, "s", "'user_id':'d','reason':'%s'", reason);
        f = last_failure(m);
        ok(f && strlen(f->reason) == 256, "a 300-byte reason is cut at 256 bytes");
        pev(m, "capmon.participant_join_failed", 3000, "s",
            "'user_id':'e','reason':'bad\\u001b]0;x\\u0007'");
        f = last_failure(m);
        ok(f && strcmp(f->reason, "bad]0;x") == 0, "control characters removed from reasons");
        feed(m, TIME_NONE,
             "{'event':'meeting.started','event_ts':3100,'payload':{'object':{'uuid':'s',"
             "'topic':'Plenary\\u001b[2J\\u009b'}}}");
        ok(meeting(m, "s")->topic && strcmp(meeting(m, "s")->topic, "Plenary[2J") == 0,
           "control characters removed from topics");
        Monitor_free(m);
}

/* The meeting's time zone: the last plausible IANA name an event carried. */
static void test_timezone(void)
{
        Monitor *m = monitor_new(&cfg);
        const char *ev = "{'event':'meeting.%s','event_ts':%d,'payload':{'object':{'uuid':'z'%s}}}";
        feed(m, TIME_NONE, ev, "started", 1000, "");
        ok(meeting(m, "z")->timezone == NULL, "no timezone: none known");
        feed(m, TIME_NONE, ev, "alert", 1100, ",'timezone':'Europe/Zurich'");
        ok(meeting(m, "z")->timezone && strcmp(meeting(m, "z")->timezone, "Europe/Zurich") == 0,
           "timezone kept as Zoom names it");
        feed(m, TIME_NONE, ev, "alert", 1200, ",'timezone':''");
        feed(m, TIME_NONE, ev, "alert", 1300, ",'timezone':'../../../etc/passwd'");
        feed(m, TIME_NONE, ev, "alert", 1400, ",'timezone':'Europe/Zurich\\u001b[2J'");
        feed(m, TIME_NONE, ev, "alert", 1500, ",'timezone':42");
        ok(meeting(m, "z")->timezone && strcmp(meeting(m, "z")->timezone, "Europe/Zurich") == 0,
           "empty, path-like, escaped and non-string zones keep the one known");
        feed(m, TIME_NONE,
             "{'event':'meeting.participant_joined','event_ts':1600,'payload':{'object':{"
             "'uuid':'z','timezone':'Asia/Tokyo','participant':{'user_id':'a'}}}}");
        ok(meeting(m, "z")->timezone && strcmp(meeting(m, "z")->timezone, "Asia/Tokyo") == 0,
           "a participant event's zone counts too");
        feed(m, TIME_NONE, ev, "alert", 1700, ",'timezone':'America/Argentina/Buenos_Aires'");
        ok(meeting(m, "z")->timezone &&
               strcmp(meeting(m, "z")->timezone, "America/Argentina/Buenos_Aires") == 0,
           "a later valid zone replaces it");
        Monitor_free(m);
}

int main(void)
{
        Config_init(&cfg);
        test_duplicates();
        test_ended();
        test_orphans();
        test_breakout();
        test_put_in_waiting_room();
        test_bind();
        test_waiting_room();
        test_jbh();
        test_early_drop();
        test_video();
        test_video_held();
        test_video_sync();
        test_people();
        test_long_ids();
        test_delegations();
        test_names();
        test_timezone();
        Config_done(&cfg);
        return done_testing();
}
