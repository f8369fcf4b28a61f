/* scale: the work per event does not grow with the meetings seen (issue 11 item 3),
 * ended meetings are retired, duplicates are remembered for a window (issue 12 item
 * 3), and one record cannot push the clock far ahead of its arrival (issue 11 item
 * 5). docs/semantics.md, "Cost and memory" and "Clock". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "tap.h"
#include "util.h"

static Monitor *with_config(Config *cfg, const char *json)
{
        char err[256];
        Config_init(cfg);
        if (json && Config_load_text(cfg, json, strlen(json), "cfg", err, sizeof err))
                diag("config: %s", err);
        return monitor_new(cfg);
}

static const Alert *find_alert(const Monitor *m, Rule rule, const char *uuid)
{
        const Alerts *a = Monitor_alerts_const(m);
        const Alert *hit = NULL;
        for (size_t i = 0; i < Alerts_count(a); i++) {
                const Alert *al = Alerts_get(a, i);
                if (al->rule == rule && al->meeting && strcmp(al->meeting, uuid) == 0)
                        hit = al;
        }
        return hit;
}

static int repeats;

static void count_repeats(void *ud, const Alert *a, NotifyKind kind)
{
        (void)ud;
        (void)a;
        repeats += kind == NOTIFY_REPEAT;
}

/* Rules that move with time fire when an event of ANOTHER meeting moves the clock,
 * exactly as when every meeting was evaluated after every event. */
static void test_time_rules_from_other_meetings(void)
{
        Config cfg;
        Monitor *m =
            with_config(&cfg, "{\"capacity\": 10, \"rules\": {"
                              "\"capacity\": {\"for\": 10, \"repeat\": 60}, "
                              "\"join_failures\": {\"hysteresis\": 0, \"clear_for\": 0}}}");
        Alerts_set_notify(Monitor_alerts(m), count_repeats, NULL);
        repeats = 0;
        /* A: someone waits from t = 10 s */
        pev(m, "participant_joined_waiting_room", 10000, "A", "'user_id':'w'");
        /* B: events at 100 s and 130.5 s; only B is touched */
        pev(m, "participant_joined", 100000, "B", "'user_id':'b1','user_name':'France - B'");
        ok(!find_alert(m, RULE_WAITING_ROOM, "A"), "A waits 90 s: nothing");
        pev(m, "participant_joined", 130500, "B", "'user_id':'b2','user_name':'France - C'");
        const Alert *al = find_alert(m, RULE_WAITING_ROOM, "A");
        ok(al && al->status == AL_FIRING && al->starts_at == 130500,
           "A's wait passes 120 s: fires at B's event (130.5 s)");
        pev(m, "participant_joined", 140000, "B", "'user_id':'b3','user_name':'France - D'");
        ok(al && al->cur_value == 130, "the longest wait shown follows the clock (130 s)");

        /* C: 9 of 10 (warning) with for = 10 s, then only B moves */
        for (int i = 0; i < 9; i++)
                pev(m, "participant_joined", 150000, "C",
                    "'user_id':'c%d','user_name':'France - P%d'", i, i);
        ok(!find_alert(m, RULE_CAPACITY, "C"), "C at 90 %%: pending for 10 s");
        pev(m, "participant_joined", 159999, "B", "'user_id':'b4','user_name':'France - E'");
        ok(!find_alert(m, RULE_CAPACITY, "C"), "9.999 s later (B's event): still pending");
        pev(m, "participant_joined", 160000, "B", "'user_id':'b5','user_name':'France - F'");
        al = find_alert(m, RULE_CAPACITY, "C");
        ok(al && al->starts_at == 160000, "10 s later (B's event): C fires");
        pev(m, "participant_joined", 220000, "B", "'user_id':'b6','user_name':'France - G'");
        is_int(repeats, 1, "60 s after firing (B's event): C's alert repeats");

        /* D: 5 join failures at 300..304 s fire; the window ends for the first at 600 s */
        for (int i = 0; i < 5; i++)
                pev(m, "capmon.participant_join_failed", 300000 + i * 1000, "D",
                    "'user_id':'f%d','reason':'x'", i);
        al = find_alert(m, RULE_JOIN_FAILURES, "D");
        ok(al && al->status == AL_FIRING, "D: 5 failures in 300 s fire");
        pev(m, "participant_left", 599999, "B", "'user_id':'b1'");
        ok(al && al->status == AL_FIRING, "first failure 299.999 s old: firing");
        pev(m, "participant_left", 600000, "B", "'user_id':'b2'");
        ok(al && al->status == AL_RESOLVED && al->ends_at == 600000,
           "300 s old (B's event): out of the window, resolved");
        Monitor_free(m);
        Config_done(&cfg);
}

/* 40,000 one-person meetings: each event evaluates its own meeting (and those
 * whose time came), never all of them; ended meetings are retired. */
static void test_many_meetings(void)
{
        enum { N = 40000 };
        Config cfg;
        Monitor *m = with_config(&cfg, "{\"state\": {\"retire_ended_after\": 60,"
                                       " \"forget_ended_after\": 0, \"duplicate_window\": 600}}");
        uint64_t before = Alerts_meeting_evaluations(Monitor_alerts_const(m));
        int64_t t = 1750000000000;
        for (int i = 0; i < N; i++) {
                char uuid[32];
                snprintf(uuid, sizeof uuid, "m%d", i);
                pev(m, "participant_joined", t, uuid, "'user_id':'u','user_name':'France - A'");
                pev(m, "participant_left", t + 1000, uuid, "'user_id':'u'");
                mev(m, "ended", t + 2000, uuid);
                t += 10000; /* a meeting every 10 s: 111 h in all */
        }
        const State *s = Monitor_state(m);
        is_int((long long)count(m, OUT_APPLIED), 3 * N, "every event applied");
        uint64_t evals = Alerts_meeting_evaluations(Monitor_alerts_const(m)) - before;
        ok(evals <= 2 * 3 * (uint64_t)N,
           "meeting evaluations: %llu for %d events (every meeting after every event would "
           "be %llu)",
           (unsigned long long)evals, 3 * N, (unsigned long long)N * (N + 1) * 3 / 2);
        StateFootprint f;
        State_footprint(s, &f);
        is_int((long long)f.meetings, N, "every meeting is listed");
        ok(f.retired >= N - 7 && f.retired < N,
           "meetings ended over 60 s ago are retired (%zu of %d)", f.retired, N);
        ok(f.sessions <= 7 && f.persons <= 7, "sessions kept: %zu, persons kept: %zu", f.sessions,
           f.persons);
        /* 600 s of clock is 60 meetings, 180 events; two generations at most */
        ok(f.duplicates <= 2 * 180 + 3, "duplicate set: %zu keys (window: 180 events)",
           f.duplicates);
        const Meeting *mt = meeting(m, "m0");
        ok(mt && mt->ended && mt->retired && mt->participants == 0 && mt->peak_participants == 1 &&
               mt->peak_at == 1750000000000 && mt->ndelegations == 1 &&
               mt->delegations[0]->peak == 1,
           "a retired meeting keeps its summary: status, peak, peak time, delegation peak");
        Monitor_free(m);
        Config_done(&cfg);
}

/* Forgotten: after forget_ended_after an ended meeting leaves the state, the
 * snapshot and the join-failure list; the meetings after it are renumbered. */
static void test_forgotten_meeting(void)
{
        Config cfg;
        Monitor *m = with_config(&cfg, "{\"state\": {\"retire_ended_after\": 10,"
                                       " \"forget_ended_after\": 100}}");
        pev(m, "participant_joined", 1000, "gone", "'user_id':'a','user_name':'France - A'");
        pev(m, "capmon.participant_join_failed", 2000, "gone", "'user_id':'f','reason':'x'");
        pev(m, "capmon.participant_join_failed", 2000, "stays", "'user_id':'f','reason':'y'");
        mev(m, "ended", 5000, "gone");
        mev(m, "alert", 104999, "stays");
        ok(meeting(m, "gone") && meeting(m, "gone")->retired, "99.999 s after its end: retired");
        mev(m, "alert", 105000, "stays");
        const State *s = Monitor_state(m);
        ok(!State_find_meeting(s, "gone"), "100 s after its end: forgotten");
        is_int(State_meeting_count(s), 1, "one meeting listed");
        ok(State_meeting(s, 0) == meeting(m, "stays") && State_meeting(s, 0)->index == 0,
           "the other one renumbered");
        is_int(State_failure_count(s), 1, "its join failure is dropped, the other kept");
        StateFootprint f;
        State_footprint(s, &f);
        ok(f.forgotten == 1 && f.retired == 0, "footprint: 1 forgotten, 0 retired");
        json_t *snap = Monitor_snapshot(m);
        is_int(json_array_size(json_object_get(snap, "meetings")), 1, "snapshot: one meeting");
        is_int(json_array_size(json_object_get(snap, "join_failures")), 1,
               "snapshot: one join failure");
        json_decref(snap);
        is_int(
            pev(m, "participant_joined", 106000, "gone", "'user_id':'b','user_name':'Japan - B'"),
            OUT_APPLIED, "a later event for it starts it afresh");
        ok(meeting(m, "gone") && meeting(m, "gone")->participants == 1 &&
               meeting(m, "gone")->index == 1,
           "listed again, after the other");
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_retired_meeting(void)
{
        Config cfg;
        Monitor *m = with_config(&cfg, "{\"state\": {\"retire_ended_after\": 60}}");
        pev(m, "participant_joined", 1000, "r", "'user_id':'a','user_name':'France - A'");
        pev(m, "participant_joined", 1000, "r", "'user_id':'b','user_name':'Japan - B'");
        mev(m, "ended", 5000, "r");
        pev(m, "participant_joined", 6000, "other", "'user_id':'x','user_name':'Japan - X'");
        ok(!meeting(m, "r")->retired, "59 s after the end: not retired yet");
        pev(m, "participant_joined", 65000, "other", "'user_id':'y','user_name':'Japan - Y'");
        const Meeting *mt = meeting(m, "r");
        ok(mt->retired, "60 s after the end: retired");
        ok(mt->peak_participants == 2 && mt->ndelegations == 2 && Meeting_delegation(mt, "Japan") &&
               Meeting_delegation(mt, "Japan")->peak == 1,
           "its summary and delegation rows stay");
        is_int(pev(m, "participant_left", 4000, "r", "'user_id':'a'"), OUT_STALE,
               "a late leave from before the end: still stale");
        is_int(mev(m, "started", 70000, "r"), OUT_APPLIED, "a later start re-opens it");
        ok(!meeting(m, "r")->retired, "no longer retired");
        is_int(pev(m, "participant_joined", 71000, "r", "'user_id':'a','user_name':'France - A'"),
               OUT_APPLIED, "and takes new sessions");
        is_int(meeting(m, "r")->participants, 1, "counted");
        Monitor_free(m);
        Config_done(&cfg);
}

/* Duplicates are known for at least one window of clock, at most two. */
static void test_duplicate_window(void)
{
        Config cfg;
        Monitor *m = with_config(&cfg, "{\"state\": {\"duplicate_window\": 100}}");
        is_int(mev(m, "alert", 1000, "d"), OUT_APPLIED, "an alert event");
        is_int(mev(m, "alert", 1000, "d"), OUT_DUPLICATE, "its retry: duplicate");
        mev(m, "alert", 100999, "e");
        is_int(mev(m, "alert", 1000, "d"), OUT_DUPLICATE, "99.999 s of clock later: duplicate");
        mev(m, "alert", 101000, "e");
        is_int(mev(m, "alert", 1000, "d"), OUT_DUPLICATE, "100 s later: still known");
        mev(m, "alert", 301000, "e");
        is_int(mev(m, "alert", 1000, "d"), OUT_APPLIED, "300 s later: forgotten, applied again");
        StateFootprint f;
        State_footprint(Monitor_state(m), &f);
        ok(f.duplicates <= 2, "the set holds the last window only (%zu)", f.duplicates);
        Monitor_free(m);
        Config_done(&cfg);
}

static Outcome rec(Monitor *m, int64_t recv, int64_t ts, const char *event, const char *uuid,
                   const char *part)
{
        return feed(m, TIME_NONE,
                    "{'recv':%lld,'src':'t','body':{'event':'meeting.%s','event_ts':%lld,"
                    "'payload':{'object':{'uuid':'%s','participant':{%s}}}}}",
                    (long long)recv, event, (long long)ts, uuid, part);
}

static void test_clock_bound(void)
{
        Config cfg;
        Monitor *m = with_config(&cfg, NULL);
        const State *s = Monitor_state(m);
        rec(m, 1000000, 999000, "participant_joined", "c",
            "'user_id':'a','user_name':'France - A'");
        is_int(State_clock(s), 999000, "an ordinary record sets the clock");
        int64_t year = 365LL * 86400 * 1000;
        is_int(rec(m, 1001000, 1000000 + year, "participant_left", "c", "'user_id':'zz'"),
               OUT_ORPHAN, "a far-future orphan");
        is_int(State_clock(s), 1001000 + 60000, "moves the clock 60 s past its recv only");
        is_int((long long)State_counters(s)->clamped, 1, "counted in clamped");
        rec(m, 1002000, 1001000, "participant_joined", "c",
            "'user_id':'b','user_name':'Japan - B'");
        is_int(meeting(m, "c")->participants, 2, "later records still apply");
        is_int(rec(m, 1003000, 1000000 + year, "participant_left", "c", "'user_id':'zz'"),
               OUT_ORPHAN, "its retry (the same event_ts) is judged the same way");
        is_int(rec(m, 1004000, 1000000 + year, "participant_joined", "c",
                   "'user_id':'f','user_name':'France - F'"),
               OUT_APPLIED, "a far-future join applies...");
        is_int(rec(m, 1005000, 1000000 + year, "participant_joined", "c",
                   "'user_id':'f','user_name':'France - F'"),
               OUT_DUPLICATE, "...and its retry is a duplicate (the key keeps the event_ts)");
        is_int(rec(m, 1100000, 1090000, "participant_left", "c", "'user_id':'f'"), OUT_APPLIED,
               "its leave 86 s later is not stale: the join counted at recv + 60 s");
        is_int((long long)State_counters(s)->clamped, 4, "four records clamped");
        is_int(State_clock(s), 1090000, "the clock follows ordinary records again");
        /* a body without recv has nothing to be measured against */
        feed(m, TIME_NONE,
             "{'event':'meeting.alert','event_ts':%lld,'payload':{'object':{'uuid':'c'}}}",
             (long long)(1000000 + year));
        is_int(State_clock(s), 1000000 + year, "a bare body (no recv) is not bounded");
        Monitor_free(m);
        Config_done(&cfg);

        m = with_config(&cfg, "{\"state\": {\"max_clock_ahead\": 0}}");
        s = Monitor_state(m);
        rec(m, 5000, 5001, "participant_joined", "c", "'user_id':'a','user_name':'France - A'");
        is_int(State_clock(s), 5000, "max_clock_ahead 0: never past recv");
        /* extreme values: no overflow (UBSan), the bound saturates */
        rec(m, INT64_MAX - 5, INT64_MAX, "participant_left", "c", "'user_id':'q'");
        is_int(State_clock(s), INT64_MAX - 5, "recv near the int64 limit: clock = recv");
        Monitor_free(m);
        Config_done(&cfg);
}

int main(void)
{
        test_time_rules_from_other_meetings();
        test_many_meetings();
        test_retired_meeting();
        test_forgotten_meeting();
        test_duplicate_window();
        test_clock_bound();
        return done_testing();
}
