/* alert: levels with hysteresis, `for`, `repeat`, notifications and instances
 * (docs/semantics.md §4), driven through Monitor_feed and Monitor_tick. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "tap.h"
#include "util.h"

typedef struct Note {
        Rule rule;
        NotifyKind kind;
        Severity level;
} Note;

typedef struct Notes {
        Note v[64];
        size_t n;
} Notes;

static void on_notify(void *ud, const Alert *a, NotifyKind kind)
{
        Notes *ns = ud;
        if (ns->n < sizeof ns->v / sizeof ns->v[0])
                ns->v[ns->n++] = (Note){a->rule, kind, a->level};
}

/* Notifications of one rule (and optionally one kind: -1 for any). */
static int notes(const Notes *ns, Rule rule, int kind)
{
        int n = 0;
        for (size_t i = 0; i < ns->n; i++)
                n += ns->v[i].rule == rule && (kind < 0 || (int)ns->v[i].kind == kind);
        return n;
}

static const Note *last_note(const Notes *ns, Rule rule)
{
        for (size_t i = ns->n; i-- > 0;) {
                if (ns->v[i].rule == rule)
                        return &ns->v[i];
        }
        return NULL;
}

/* The k-th instance (0-based) of a rule, or NULL; *total gets their number. */
static const Alert *instance(const Monitor *m, Rule rule, int k, int *total)
{
        const Alerts *a = Monitor_alerts_const(m);
        const Alert *hit = NULL;
        int n = 0;
        for (size_t i = 0; i < Alerts_count(a); i++) {
                const Alert *al = Alerts_get(a, i);
                if (al->rule != rule)
                        continue;
                if (n == k)
                        hit = al;
                n++;
        }
        if (total)
                *total = n;
        return hit;
}

static int instances(const Monitor *m, Rule rule)
{
        int n;
        instance(m, rule, 0, &n);
        return n;
}

/* FNV-1a 64, written again here from its definition. */
static uint64_t fnv(const char *bytes, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)bytes[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* Participants of meeting "m", all from France, moved one event at a time. */
typedef struct Crowd {
        Monitor *m;
        const char *uuid;
        int n;
        int64_t t;
        int video; /* sessions 0..video-1 have video on */
} Crowd;

static void crowd_to(Crowd *c, int target)
{
        while (c->n < target) {
                pev(c->m, "participant_joined", ++c->t, c->uuid,
                    "'user_id':'p%d','user_name':'France - P%d'", c->n, c->n);
                c->n++;
        }
        while (c->n > target) {
                c->n--;
                pev(c->m, "participant_left", ++c->t, c->uuid, "'user_id':'p%d'", c->n);
        }
}

static void video_to(Crowd *c, int target)
{
        while (c->video < target) {
                pev(c->m, "capmon.participant_video", ++c->t, c->uuid,
                    "'user_id':'p%d','video':'on'", c->video);
                c->video++;
        }
        while (c->video > target) {
                c->video--;
                pev(c->m, "capmon.participant_video", ++c->t, c->uuid,
                    "'user_id':'p%d','video':'off'", c->video);
        }
}

static Severity level_now(const Monitor *m, Rule rule)
{
        int n;
        instance(m, rule, 0, &n);
        const Alert *al = n ? instance(m, rule, n - 1, NULL) : NULL;
        return al && al->status == AL_FIRING ? al->level : SEV_NONE;
}

static void test_capacity(void)
{
        Config cfg;
        Config_init(&cfg);
        Monitor *m = monitor_new(&cfg);
        Notes ns = {.n = 0};
        Alerts_set_notify(Monitor_alerts(m), on_notify, &ns);
        Crowd c = {m, "m", 0, 1000, 0};

        crowd_to(&c, 899);
        is_int(instances(m, RULE_CAPACITY), 0, "899 of 1000: no capacity alert");
        crowd_to(&c, 900);
        int64_t fired_at = c.t;
        is_int(level_now(m, RULE_CAPACITY), SEV_WARNING, "900: warning (90 %%)");
        const Note *n = last_note(&ns, RULE_CAPACITY);
        ok(n && n->kind == NOTIFY_FIRING && n->level == SEV_WARNING, "notified: firing warning");
        const Alert *al = instance(m, RULE_CAPACITY, 0, NULL);
        ok(al && al->value == 900 && al->threshold == 900 && al->starts_at == fired_at &&
               al->ends_at == TIME_NONE && al->status == AL_FIRING,
           "value 900, threshold 900, starts_at = the clock, ends_at null");
        char fp[17];
        snprintf(fp, sizeof fp, "%016llx", (unsigned long long)fnv("capacity\0m\0", 11));
        ok(al && strcmp(al->fingerprint, fp) == 0, "fingerprint: FNV-1a of capacity NUL m NUL");
        char fp2[17];
        alert_fingerprint(RULE_CAPACITY, "m", NULL, fp2);
        is_str(fp2, fp, "alert_fingerprint agrees");
        crowd_to(&c, 999);
        is_int(level_now(m, RULE_CAPACITY), SEV_WARNING, "999: warning");
        crowd_to(&c, 1000);
        is_int(level_now(m, RULE_CAPACITY), SEV_CRITICAL, "1000: critical (100 %%)");
        n = last_note(&ns, RULE_CAPACITY);
        ok(n && n->kind == NOTIFY_CHANGED && n->level == SEV_CRITICAL, "notified: changed");
        is_int(instances(m, RULE_CAPACITY), 1, "updated in place: one instance");
        ok(al->severity == SEV_CRITICAL && al->value == 1000 && al->threshold == 1000,
           "severity critical, value 1000, threshold 1000");
        crowd_to(&c, 985);
        is_int(level_now(m, RULE_CAPACITY), SEV_CRITICAL, "985: stays critical");
        crowd_to(&c, 980);
        is_int(level_now(m, RULE_CAPACITY), SEV_CRITICAL, "980 (1000 - 20): stays critical");
        crowd_to(&c, 979);
        is_int(level_now(m, RULE_CAPACITY), SEV_WARNING, "979: warning");
        crowd_to(&c, 975);
        is_int(level_now(m, RULE_CAPACITY), SEV_WARNING, "975: warning");
        ok(al->severity == SEV_CRITICAL && al->value == 1000,
           "the highest severity and its value are kept");
        crowd_to(&c, 880);
        is_int(level_now(m, RULE_CAPACITY), SEV_WARNING, "880 (900 - 20): stays warning");
        is_int(notes(&ns, RULE_CAPACITY, -1), 3, "three notifications so far");
        crowd_to(&c, 879);
        int64_t resolved_at = c.t;
        is_int(level_now(m, RULE_CAPACITY), SEV_NONE, "879: resolved");
        ok(al->status == AL_RESOLVED && al->ends_at == resolved_at && al->starts_at == fired_at,
           "status resolved, ends_at = the clock");
        n = last_note(&ns, RULE_CAPACITY);
        ok(n && n->kind == NOTIFY_RESOLVED, "notified: resolved");
        is_int(Alerts_firing(Monitor_alerts(m)), 0, "nothing firing");
        crowd_to(&c, 899);
        is_int(instances(m, RULE_CAPACITY), 1, "back to 899: no new instance");
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_RESOLVED), 1, "resolved notified once");
        crowd_to(&c, 900);
        is_int(instances(m, RULE_CAPACITY), 2, "900 again: a new instance");
        const Alert *al2 = instance(m, RULE_CAPACITY, 1, NULL);
        ok(al2 && al2 != al && al2->status == AL_FIRING && al2->severity == SEV_WARNING &&
               al2->starts_at == c.t && strcmp(al2->fingerprint, al->fingerprint) == 0,
           "firing warning, same fingerprint");
        ok(al->status == AL_RESOLVED && al->ends_at == resolved_at,
           "the old instance stays resolved");
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_FIRING), 2, "two firing notifications");
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_video(void)
{
        Config cfg;
        Config_init(&cfg);
        Monitor *m = monitor_new(&cfg);
        Notes ns = {.n = 0};
        Alerts_set_notify(Monitor_alerts(m), on_notify, &ns);
        Crowd c = {m, "v", 0, 1000, 0};
        crowd_to(&c, 60);
        is_int(instances(m, RULE_VIDEO), 0, "video unknown: no video alert");
        video_to(&c, 44);
        is_int(instances(m, RULE_VIDEO), 0, "44 on (limit 49): nothing");
        video_to(&c, 45);
        is_int(level_now(m, RULE_VIDEO), SEV_WARNING, "45 (limit - 4): warning");
        const Alert *al = instance(m, RULE_VIDEO, 0, NULL);
        ok(al && al->threshold == 45 && al->value == 45, "threshold 45");
        video_to(&c, 49);
        is_int(level_now(m, RULE_VIDEO), SEV_WARNING, "49 (the limit): warning");
        video_to(&c, 50);
        is_int(level_now(m, RULE_VIDEO), SEV_CRITICAL, "50 (limit + 1): critical");
        ok(al->severity == SEV_CRITICAL && al->threshold == 50 && al->value == 50, "threshold 50");
        video_to(&c, 48);
        is_int(level_now(m, RULE_VIDEO), SEV_CRITICAL, "48 (50 - 2): stays critical");
        video_to(&c, 47);
        is_int(level_now(m, RULE_VIDEO), SEV_WARNING, "47: warning");
        video_to(&c, 43);
        is_int(level_now(m, RULE_VIDEO), SEV_WARNING, "43 (45 - 2): stays warning");
        video_to(&c, 42);
        is_int(level_now(m, RULE_VIDEO), SEV_NONE, "42: resolved");
        is_int(notes(&ns, RULE_VIDEO, -1), 4, "firing, changed, changed, resolved");
        video_to(&c, 50);
        is_int(instances(m, RULE_VIDEO), 2, "straight to 50: a new instance");
        is_int(level_now(m, RULE_VIDEO), SEV_CRITICAL, "at critical");
        al = instance(m, RULE_VIDEO, 1, NULL);
        ok(al && al->severity == SEV_CRITICAL && al->value == 50 && al->threshold == 50,
           "the new instance's value and threshold");
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_quota(void)
{
        Config cfg;
        Config_init(&cfg);
        char err[256];
        const char *text = "{\"quotas\": {\"FR\": 4}}";
        if (Config_load_text(&cfg, text, strlen(text), "cfg", err, sizeof err))
                diag("config: %s", err);
        Monitor *m = monitor_new(&cfg);
        Notes ns = {.n = 0};
        Alerts_set_notify(Monitor_alerts(m), on_notify, &ns);
        Crowd c = {m, "q", 0, 1000, 0};
        crowd_to(&c, 4);
        is_int(instances(m, RULE_DELEGATION_QUOTA), 0, "4 of quota 4: no alert");
        crowd_to(&c, 5);
        const Alert *al = instance(m, RULE_DELEGATION_QUOTA, 0, NULL);
        ok(al && al->status == AL_FIRING && al->level == SEV_WARNING && al->value == 5 &&
               al->threshold == 5 && al->delegation && strcmp(al->delegation, "France") == 0,
           "5: warning, threshold quota + 1 = 5, delegation France");
        char fp[17];
        snprintf(fp, sizeof fp, "%016llx",
                 (unsigned long long)fnv("delegation_quota\0q\0France", 25));
        ok(al && strcmp(al->fingerprint, fp) == 0, "fingerprint includes the delegation");
        crowd_to(&c, 7);
        is_int(instances(m, RULE_DELEGATION_QUOTA), 1, "7: still one instance");
        crowd_to(&c, 5);
        is_int(level_now(m, RULE_DELEGATION_QUOTA), SEV_WARNING, "5: still firing");
        crowd_to(&c, 4);
        is_int(level_now(m, RULE_DELEGATION_QUOTA), SEV_NONE, "4: resolved (hysteresis 0)");
        ok(al->status == AL_RESOLVED && al->ends_at == c.t, "ends_at = the clock");
        is_int(notes(&ns, RULE_DELEGATION_QUOTA, -1), 2, "firing and resolved notified");
        Monitor_free(m);
        Config_done(&cfg);
}

/* A quota alert with `for` fires on the tick once the duration has passed, whatever
 * the meeting uuid is made of. */
static int quota_fires_on_tick(const char *uuid)
{
        Config cfg;
        Config_init(&cfg);
        char err[256];
        const char *text = "{\"quotas\": {\"France\": 1},"
                           " \"rules\": {\"delegation_quota\": {\"for\": 10}}}";
        if (Config_load_text(&cfg, text, strlen(text), "cfg", err, sizeof err))
                diag("config: %s", err);
        Monitor *m = monitor_new(&cfg);
        Crowd c = {m, uuid, 0, 999, 0};
        crowd_to(&c, 2); /* 2 of quota 1 from t = 1001: pending */
        Monitor_tick(m, 5000);
        Monitor_tick(m, 11001);
        int fired = instances(m, RULE_DELEGATION_QUOTA) == 1;
        Monitor_free(m);
        Config_done(&cfg);
        return fired;
}

static void test_quota_for(void)
{
        ok(quota_fires_on_tick("plain"), "quota with for 10 s fires on the tick 10 s later");
        ok(quota_fires_on_tick("ctl\\u0007uuid"), "same for a uuid holding a control character");
}

static Monitor *small(Config *cfg, const char *rules, Notes *ns)
{
        char err[256], text[512];
        Config_init(cfg);
        snprintf(text, sizeof text, "{\"capacity\": 10, \"rules\": {%s}}", rules);
        if (Config_load_text(cfg, text, strlen(text), "cfg", err, sizeof err))
                diag("config: %s", err);
        Monitor *m = monitor_new(cfg);
        Alerts_set_notify(Monitor_alerts(m), on_notify, ns);
        return m;
}

static void test_for(void)
{
        Config cfg;
        Notes ns = {.n = 0};
        Monitor *m = small(&cfg, "\"capacity\": {\"for\": 10}", &ns);
        Crowd c = {m, "f", 0, 1000, 0};
        crowd_to(&c, 9); /* 9 of 10: warning condition from t = 1009 */
        int64_t t = c.t;
        is_int(instances(m, RULE_CAPACITY), 0, "condition holds: pending, not listed");
        Monitor_tick(m, t + 9999);
        is_int(instances(m, RULE_CAPACITY), 0, "9.999 s later: still pending");
        is_int(notes(&ns, RULE_CAPACITY, -1), 0, "nothing notified");
        Monitor_tick(m, t + 10000);
        is_int(instances(m, RULE_CAPACITY), 1, "10 s later: fires");
        const Alert *al = instance(m, RULE_CAPACITY, 0, NULL);
        ok(al && al->starts_at == t + 10000 && al->level == SEV_WARNING,
           "starts_at = the clock when it fired");
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_FIRING), 1, "firing notified");
        Monitor_free(m);
        Config_done(&cfg);

        ns.n = 0;
        m = small(&cfg, "\"capacity\": {\"for\": 10}", &ns);
        c = (Crowd){m, "f", 0, 0, 0};
        c.t = 991;
        crowd_to(&c, 9); /* reaches 9 at t = 1000 */
        Monitor_tick(m, 5000);
        c.t = 5999;
        crowd_to(&c, 8); /* t = 6000: condition gone */
        c.t = 6999;
        crowd_to(&c, 9); /* t = 7000: pending again */
        Monitor_tick(m, 11000);
        is_int(instances(m, RULE_CAPACITY), 0, "a break resets the pending time");
        Monitor_tick(m, 16999);
        is_int(instances(m, RULE_CAPACITY), 0, "9.999 s after the new start: pending");
        Monitor_tick(m, 17000);
        is_int(instances(m, RULE_CAPACITY), 1, "10 s after the new start: fires");
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_repeat(void)
{
        Config cfg;
        Notes ns = {.n = 0};
        Monitor *m = small(&cfg, "\"capacity\": {\"repeat\": 60}", &ns);
        Crowd c = {m, "r", 0, 991, 0};
        crowd_to(&c, 9); /* fires at 1000 */
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_FIRING), 1, "fires");
        Monitor_tick(m, 60999);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 0, "59.999 s: no repeat");
        Monitor_tick(m, 61000);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 1, "60 s: repeated");
        Monitor_tick(m, 100000);
        Monitor_tick(m, 120999);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 1, "119.999 s: no second repeat");
        Monitor_tick(m, 121000);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 2, "120 s: second repeat");
        c.t = 129999;
        crowd_to(&c, 10); /* 130000: critical */
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_CHANGED), 1, "severity change notified");
        Monitor_tick(m, 180999);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 2, "repeat counts from the change");
        Monitor_tick(m, 190000);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 3, "60 s after the change: repeat");
        c.t = 199999;
        crowd_to(&c, 8); /* 10 -> 9 (warning) -> 8 (resolved: 8 < 9 - 0.2) */
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_RESOLVED), 1, "resolved");
        Monitor_tick(m, 300000);
        Monitor_tick(m, 400000);
        Monitor_tick(m, 4000000);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_RESOLVED), 1, "resolved notified once");
        is_int(notes(&ns, RULE_CAPACITY, -1), 7, "1 firing + 3 repeats + 2 changes + 1 resolved");
        Monitor_free(m);
        Config_done(&cfg);

        ns.n = 0;
        m = small(&cfg, "\"unidentified\": {\"enabled\": false}", &ns);
        c = (Crowd){m, "r", 0, 991, 0};
        crowd_to(&c, 9); /* fires at 1000 */
        Monitor_tick(m, 1000 + 1800000 - 1);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 0, "default repeat: not before 30 min");
        Monitor_tick(m, 1000 + 1800000);
        is_int(notes(&ns, RULE_CAPACITY, NOTIFY_REPEAT), 1, "default repeat: 30 min");
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_other_rules(void)
{
        Config cfg;
        Notes ns = {.n = 0};
        /* the bare conditions: no hysteresis, resolved at once (test_flaps has the defaults) */
        Monitor *m = small(&cfg,
                           "\"capacity\": {\"enabled\": false}, \"waiting_room\": {\"hysteresis\": "
                           "0, \"clear_for\": 0}, \"join_failures\": {\"hysteresis\": 0, "
                           "\"clear_for\": 0}",
                           &ns);
        Crowd c = {m, "o", 0, 1000, 0};
        crowd_to(&c, 10);
        is_int(instances(m, RULE_CAPACITY), 0, "a disabled rule never fires");
        is_int(instances(m, RULE_UNIDENTIFIED), 0, "no unidentified participant: nothing");
        pev(m, "participant_joined", 2000, "o", "'user_id':'g','user_name':'Guest'");
        const Alert *al = instance(m, RULE_UNIDENTIFIED, 0, NULL);
        ok(al && al->level == SEV_WARNING && al->value == 1 && al->threshold == 1,
           "one unidentified: warning, threshold 1");
        pev(m, "participant_left", 2001, "o", "'user_id':'g'");
        ok(al && al->status == AL_RESOLVED, "resolved when it leaves");

        pev(m, "participant_joined_waiting_room", 10000, "o", "'user_id':'w'");
        Monitor_tick(m, 130000);
        is_int(instances(m, RULE_WAITING_ROOM), 0, "waiting exactly 120 s: not more than 120 s");
        Monitor_tick(m, 130001);
        al = instance(m, RULE_WAITING_ROOM, 0, NULL);
        ok(al && al->level == SEV_WARNING, "waiting 120.001 s: warning");
        ok(al && al->value == 120.001 && al->threshold == 120,
           "value: the longest wait in s (ms precision), threshold 120");
        pev(m, "participant_admitted", 130002, "o", "'user_id':'w'");
        ok(al && al->status == AL_RESOLVED, "resolved when admitted");
        for (int i = 0; i < 20; i++)
                pev(m, "participant_joined_waiting_room", 140000, "o", "'user_id':'x%d'", i);
        is_int(instances(m, RULE_WAITING_ROOM), 2, "20 waiting: a new instance");
        al = instance(m, RULE_WAITING_ROOM, 1, NULL);
        ok(al && al->value == 20 && al->threshold == 20, "value 20, threshold 20");

        for (int i = 0; i < 4; i++)
                pev(m, "capmon.participant_join_failed", 200000 + i * 1000, "o",
                    "'user_id':'f%d','reason':'x'", i);
        is_int(instances(m, RULE_JOIN_FAILURES), 0, "4 failures: nothing");
        pev(m, "capmon.participant_join_failed", 204000, "o", "'user_id':'f4','reason':'x'");
        al = instance(m, RULE_JOIN_FAILURES, 0, NULL);
        ok(al && al->level == SEV_WARNING && al->value == 5 && al->threshold == 5,
           "5 failures in 300 s: warning");
        Monitor_tick(m, 200000 + 300000 - 1);
        ok(al && al->status == AL_FIRING, "the first failure is 299.999 s old: still 5");
        Monitor_tick(m, 200000 + 300000);
        ok(al && al->status == AL_RESOLVED, "300 s old: out of the window, resolved");
        Monitor_free(m);
        Config_done(&cfg);
}

/* A source that flaps 1,000 times (issue 11 item 7): one identity keeps its
 * latest resolved instances only, while another identity and the firing one stay. */
static void test_flapping_source(void)
{
        Config cfg;
        Config_init(&cfg);
        char err[256];
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        Alerts *al = Monitor_alerts(m);
        int64_t t = 1000;
        Alerts_external(al, RULE_FEED, "ws://other/events", SEV_CRITICAL, 0, 0, t);
        Alerts_external(al, RULE_FEED, "ws://other/events", SEV_NONE, 0, 0, ++t);
        for (int i = 0; i < 1000; i++) {
                Alerts_external(al, RULE_FEED, "ws://flap/events", SEV_CRITICAL, 0, 0, ++t);
                Alerts_external(al, RULE_FEED, "ws://flap/events", SEV_NONE, 0, 0, ++t);
        }
        Alerts_external(al, RULE_FEED, "ws://flap/events", SEV_CRITICAL, 0, 0, ++t);
        int flap = 0, other = 0, firing = 0;
        int64_t oldest = INT64_MAX;
        for (size_t i = 0; i < Alerts_count(al); i++) {
                const Alert *a = Alerts_get(al, i);
                int is_flap = strcmp(a->delegation, "ws://flap/events") == 0;
                flap += is_flap && a->status == AL_RESOLVED;
                other += !is_flap;
                firing += a->status == AL_FIRING;
                if (is_flap && a->status == AL_RESOLVED && a->starts_at < oldest)
                        oldest = a->starts_at;
        }
        ok(Alerts_count(al) == ALERTS_SOURCE_RESOLVED_KEEP + 2, "1,000 flaps: %zu instances kept",
           Alerts_count(al));
        ok(flap == ALERTS_SOURCE_RESOLVED_KEEP, "the flapping source keeps %d resolved", flap);
        ok(oldest == t - 2 * ALERTS_SOURCE_RESOLVED_KEEP, "the latest ones are kept");
        ok(other == 1 && firing == 1, "the other source's instance and the firing one stay");
        Monitor_free(m);
        Config_done(&cfg);
}

/* The anti-flap defaults: waiting_room holds down to max_waiting - 2 and both
 * waiting_room and join_failures resolve only after 60 s clear. */
static void test_flaps(void)
{
        Config cfg;
        Notes ns = {.n = 0};
        Monitor *m = small(&cfg, "\"waiting_room\": {\"max_waiting\": 5}", &ns);
        for (int i = 0; i < 5; i++)
                pev(m, "participant_joined_waiting_room", 1000 + i, "w", "'user_id':'w%d'", i);
        is_int(instances(m, RULE_WAITING_ROOM), 1, "5 waiting: fires");
        /* 20 dips to 4 and back, 3 and back: the bare rule would fire 21 times */
        for (int i = 0; i < 20; i++) {
                int64_t t = 2000 + i * 1000;
                pev(m, "participant_admitted", t, "w", "'user_id':'w%d'", i);
                pev(m, "participant_joined_waiting_room", t + 500, "w", "'user_id':'w%d'", i + 5);
        }
        is_int(instances(m, RULE_WAITING_ROOM), 1, "20 dips to 4: still one instance");
        is_int(notes(&ns, RULE_WAITING_ROOM, -1), 1, "and one notification");
        pev(m, "participant_admitted", 30000, "w", "'user_id':'w20'");
        pev(m, "participant_admitted", 30001, "w", "'user_id':'w21'");
        const Alert *al = instance(m, RULE_WAITING_ROOM, 0, NULL);
        ok(al && al->status == AL_FIRING, "3 waiting (5 - hysteresis 2): still firing");
        pev(m, "participant_admitted", 30002, "w", "'user_id':'w22'");
        /* another meeting's events move the clock (the timer queue wakes "w") */
        pev(m, "participant_joined", 90001, "other", "'user_id':'o1'");
        ok(al && al->status == AL_FIRING, "2 waiting, clear for 59.999 s: still firing");
        pev(m, "participant_joined", 90002, "other", "'user_id':'o2'");
        ok(al && al->status == AL_RESOLVED, "clear for 60 s (another meeting's event): resolved");
        is_int(notes(&ns, RULE_WAITING_ROOM, NOTIFY_RESOLVED), 1, "one resolution");
        char buf[256];
        Alert_summary(al, buf, sizeof buf);
        is_str(buf, "resolved: w: 5 people waiting (limit 5)", "resolved summary, plain words");

        /* the time condition names the person; no milliseconds */
        pev(m, "participant_admitted", 95000, "w", "'user_id':'w23'");
        pev(m, "participant_admitted", 95001, "w", "'user_id':'w24'");
        pev(m, "participant_joined_waiting_room", 100000, "w",
            "'user_id':'ann','user_name':'Ann B.'");
        Monitor_tick(m, 100000 + 133250);
        al = instance(m, RULE_WAITING_ROOM, 1, NULL);
        Alert_summary(al, buf, sizeof buf);
        is_str(buf, "w: Ann B. has waited 2 min 13 s (limit 2 min)", "a wait: who and how long");
        Alert_describe(al, buf, sizeof buf);
        is_str(buf, "Ann B. has waited 2 min 13 s (limit 2 min)", "described without the meeting");
        Monitor_free(m);
        Config_done(&cfg);

        m = small(&cfg, "", &ns);
        pev(m, "participant_joined", 1000, "u", "'user_id':'g','user_name':'Guest'");
        al = instance(m, RULE_UNIDENTIFIED, 0, NULL);
        Alert_summary(al, buf, sizeof buf);
        is_str(buf, "u: 1 unidentified participant", "one unidentified: singular");
        Monitor_free(m);
        Config_done(&cfg);

        static const struct {
                double s;
                const char *want;
        } d[] = {{0, "0 s"},
                 {0.999, "0 s"},
                 {45.5, "45 s"},
                 {60, "1 min"},
                 {133.9, "2 min 13 s"},
                 {3600, "1 h"},
                 {23539700, "272 d 10 h"},
                 {6 * 3600 + 32 * 60 + 5, "6 h 32 min"}};
        for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
                format_duration(d[i].s, buf, sizeof buf);
                is_str(buf, d[i].want, "duration %g s", d[i].s);
        }
}

int main(void)
{
        test_flapping_source();
        test_capacity();
        test_video();
        test_quota();
        test_quota_for();
        test_for();
        test_repeat();
        test_other_rules();
        test_flaps();
        return done_testing();
}
