/* history: the dashboard's ring of 30 s buckets (monitor/history.h), and the
 * delegations' latest change (Delegation.changed_at/change). Expected values are
 * worked out by hand in the comments. */
#include <string.h>

#include "feed.h"
#include "history.h"
#include "tap.h"
#include "util.h"

#define B HISTORY_BUCKET_MS

/* The bucket read `back` buckets before the newest (0: the newest). */
static int at(const int *out, int back)
{
        return out[HISTORY_BUCKETS - 1 - back];
}

static int all_are(const int *out, int from, int to, int want)
{
        for (int i = from; i <= to; i++)
                if (out[i] != want)
                        return 0;
        return 1;
}

static void test_ring(void)
{
        History h;
        int p[HISTORY_BUCKETS], v[HISTORY_BUCKETS];
        History_init(&h);
        History_read(&h, 10 * (int64_t)B, HIST_PARTICIPANTS, p);
        ok(all_are(p, 0, HISTORY_BUCKETS - 1, -1), "empty: every bucket unknown");

        /* bucket 2 (60 s .. 90 s): 5, then 3, then 7: the highest is kept */
        History_note(&h, 2 * B, 5, -1);
        History_read(&h, 2 * B, HIST_PARTICIPANTS, p);
        History_read(&h, 2 * B, HIST_VIDEO, v);
        is_int(at(p, 0), 5, "first note: its bucket holds 5");
        ok(all_are(p, 0, HISTORY_BUCKETS - 2, -1), "buckets before the first note: unknown");
        is_int(at(v, 0), -1, "video unknown (-1) stays unknown");
        History_note(&h, 2 * B + 15000, 3, -1);
        History_note(&h, 3 * B - 1, 7, -1);
        History_read(&h, 3 * B - 1, HIST_PARTICIPANTS, p);
        is_int(at(p, 0), 7, "5, 3, 7 in one bucket: 7");

        /* bucket 3 opens with 7 carried in; 4 noted in it: the bucket holds 7 */
        History_note(&h, 3 * B, 4, 2);
        History_read(&h, 3 * B, HIST_PARTICIPANTS, p);
        History_read(&h, 3 * B, HIST_VIDEO, v);
        is_int(at(p, 0), 7, "rollover: the count carried in (7) beats the later 4");
        is_int(at(p, 1), 7, "rollover: the bucket before keeps 7");
        is_int(at(v, 0), 2, "video known from now: 2");
        is_int(at(v, 1), -1, "video before: still unknown");

        /* a gap: nothing in buckets 4 and 5; 2 noted in bucket 6 (t = 180 s + 1 ms).
         * 4, 5 and 6 start with 4 carried in: 4, 4, max(4, 2) = 4 */
        History_note(&h, 6 * B + 1, 2, 1);
        History_read(&h, 6 * B + 100, HIST_PARTICIPANTS, p);
        is_int(at(p, 0), 4, "gap: bucket 6 holds the 4 carried in");
        is_int(at(p, 1), 4, "gap: bucket 5 carries 4");
        is_int(at(p, 2), 4, "gap: bucket 4 carries 4");
        is_int(at(p, 3), 7, "bucket 3: 7");
        is_int(at(p, 4), 7, "bucket 2: 7");
        is_int(at(p, 5), -1, "bucket 1: before the first note");
        /* read later without a note: 7, 8, 9 carry the latest count, 2 */
        History_read(&h, 9 * B + 5, HIST_PARTICIPANTS, p);
        History_read(&h, 9 * B + 5, HIST_VIDEO, v);
        ok(at(p, 0) == 2 && at(p, 1) == 2 && at(p, 2) == 2, "read ahead: 9, 8, 7 carry 2");
        is_int(at(p, 3), 4, "read ahead: bucket 6 still 4");
        ok(at(v, 0) == 1 && at(v, 3) == 2 && at(v, 6) == 2 && at(v, 7) == -1,
           "videos: 1 carried, bucket 6 held 2, bucket 3 2, bucket 2 unknown");

        /* a long gap rolls the ring over: 9 noted in bucket 76; buckets 17..75 carry
         * 2, and what was noted in buckets 2..6 is gone (no unknown any more) */
        History_note(&h, 76 * (int64_t)B, 9, 1);
        History_read(&h, 76 * (int64_t)B, HIST_PARTICIPANTS, p);
        is_int(at(p, 0), 9, "after 70 buckets: 9 in the newest");
        ok(all_are(p, 0, HISTORY_BUCKETS - 2, 2), "the 59 before carry 2");
        /* a time older than the latest note counts in the latest bucket */
        History_note(&h, 10 * B, 12, 1);
        History_read(&h, 10 * B, HIST_PARTICIPANTS, p);
        is_int(at(p, 0), 12, "an older time: in the latest bucket, read there too");
        is_int(at(p, 1), 2, "and nowhere else");
        /* exactly HISTORY_BUCKETS later: the old newest bucket is the oldest read */
        History_note(&h, (76 + HISTORY_BUCKETS - 1) * (int64_t)B, 0, 0);
        History_read(&h, (76 + HISTORY_BUCKETS - 1) * (int64_t)B, HIST_PARTICIPANTS, p);
        is_int(p[0], 12, "59 buckets later: bucket 76 is the oldest shown, 12");
        ok(all_are(p, 1, HISTORY_BUCKETS - 2, 12), "the buckets between carry 12");
        is_int(at(p, 0), 12, "the newest: 12 carried in, then 0: 12");

        /* fixed memory: the ring lives in the struct, whatever the time covered */
        ok(sizeof(History) <= 2 * sizeof(int) * HISTORY_BUCKETS + 64,
           "one History is %zu bytes, fixed", sizeof(History));
}

/* A full sitting through the core: the meeting's ring follows its counts. */
static void test_meeting(void)
{
        Config cfg;
        Config_init(&cfg);
        Monitor *m = monitor_new(&cfg);
        int64_t t0 = 1000 * (int64_t)B; /* a bucket boundary */
        int p[HISTORY_BUCKETS], v[HISTORY_BUCKETS];
        /* 3 join in bucket 0; one leaves in bucket 2; 6 hours of one participant */
        pev(m, "participant_joined", t0 + 1000, "m", "'user_id':'a','user_name':'France - A'");
        pev(m, "participant_joined", t0 + 2000, "m", "'user_id':'b','user_name':'France - B'");
        pev(m, "participant_joined", t0 + 3000, "m", "'user_id':'c','user_name':'Kenya - C'");
        pev(m, "participant_left", t0 + 2 * B + 10, "m", "'user_id':'c','leave_reason':'x'");
        const Meeting *mt = meeting(m, "m");
        History_read(&mt->history, State_clock(Monitor_state(m)), HIST_PARTICIPANTS, p);
        History_read(&mt->history, State_clock(Monitor_state(m)), HIST_VIDEO, v);
        ok(at(p, 0) == 3 && at(p, 1) == 3 && at(p, 2) == 3 && at(p, 3) == -1,
           "buckets 0-2 hold 3 (bucket 2 started with 3), before: unknown");
        ok(all_are(v, 0, HISTORY_BUCKETS - 1, -1), "no video information: unknown");
        pev(m, "capmon.participant_video", t0 + 3 * B, "m", "'user_id':'a','video':'on'");
        /* b leaves in bucket 4 (2 -> 1), then 6 hours of copies of its leave (duplicates) */
        for (int i = 1; i <= 720; i++)
                pev(m, "participant_left", t0 + 3 * B + i * 30000 + 5, "m",
                    "'user_id':'b','leave_reason':'x'");
        History_read(&mt->history, t0 + 730 * (int64_t)B, HIST_PARTICIPANTS, p);
        History_read(&mt->history, t0 + 730 * (int64_t)B, HIST_VIDEO, v);
        ok(all_are(p, 0, HISTORY_BUCKETS - 1, 1), "6 hours later: 1 throughout the window");
        ok(all_are(v, 0, HISTORY_BUCKETS - 1, 1), "and 1 video throughout");
        Monitor_free(m);
        Config_done(&cfg);
}

static const Delegation *deleg(const Monitor *m, const char *name)
{
        return Meeting_delegation(meeting(m, "m"), name);
}

static void test_changes(void)
{
        Config cfg;
        Config_init(&cfg);
        Monitor *m = monitor_new(&cfg);
        pev(m, "participant_joined", 1000, "m", "'user_id':'a','user_name':'France - A'");
        const Delegation *fr = deleg(m, "France");
        ok(fr && fr->changed_at == 1000 && fr->change == 1, "a join: up at 1000");
        pev(m, "participant_joined", 2000, "m", "'user_id':'k','user_name':'Kenya - K'");
        ok(fr->changed_at == 1000, "another delegation's join leaves France as it was");
        is_int(pev(m, "participant_joined", 1000, "m", "'user_id':'a','user_name':'France - A'"),
               OUT_DUPLICATE, "a duplicate");
        ok(fr->changed_at == 1000 && fr->change == 1, "a duplicate changes nothing");
        pev(m, "capmon.participant_video", 3000, "m", "'user_id':'a','video':'on'");
        ok(fr->changed_at == 3000 && fr->change == 1, "video on, same participants: up at 3000");
        pev(m, "capmon.participant_video", 4000, "m", "'user_id':'a','video':'off'");
        ok(fr->changed_at == 4000 && fr->change == -1, "video off: down at 4000");
        pev(m, "participant_left", 5000, "m", "'user_id':'a','leave_reason':'x'");
        ok(fr->changed_at == 5000 && fr->change == -1, "a leave: down at 5000");
        is_int(fr->participants, 0, "France empty");
        const Delegation *ke = deleg(m, "Kenya");
        ok(ke && ke->changed_at == 2000 && ke->change == 1, "Kenya: up at 2000");
        Monitor_free(m);
        Config_done(&cfg);
}

int main(void)
{
        test_ring();
        test_meeting();
        test_changes();
        return done_testing();
}
