#include "alert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "util.h"

const char *const SEVERITY_NAMES[3] = {"none", "warning", "critical"};

/* What a rule measures for one identity, and its levels. */
typedef struct Measure {
        double value;
        double thr[3]; /* firing threshold per severity; NAN when the severity is absent */
        double hyst;
        int direct; /* no hysteresis: level given in `level` */
        Severity level;
        const char *title; /* meeting topic or id, or NULL */
        const char *who;   /* person the alert is about now, or NULL */
        int timed;         /* value and thresholds are seconds */
} Measure;

/* Per identity (rule, meeting, delegation): the live instance and `for` timing. */
typedef struct Tracker {
        char fp[17];
        Rule rule;
        char *meeting;
        char *deleg;
        Alert *active;         /* firing instance, or NULL */
        int64_t pending_since; /* TIME_NONE when not pending */
        size_t live_idx;       /* index in live[], or SIZE_MAX */
        int cond;              /* waiting_room: WR_COUNT or WR_TIME while firing */
        int64_t clear_since;   /* firing, condition clear since (clear_for); or TIME_NONE */
} Tracker;

enum { WR_NONE, WR_COUNT, WR_TIME };

struct Alerts {
        const Config *cfg;
        HMap trackers; /* fingerprint -> Tracker */
        Tracker **all;
        size_t nall, capall;
        Tracker **live; /* pending or firing delegation-quota and external trackers */
        size_t nlive, caplive;
        Alert **list; /* every fired instance, in order */
        size_t nlist, caplist;
        size_t nfiring;
        AlertNotifyFn notify;
        void *ud;
        HMap by_meeting;               /* uuid -> MeetingTrackers; none for idle ended meetings */
        struct MeetingTrackers **heap; /* timer queue: min-heap on `due` */
        size_t nheap, capheap;
        struct MeetingTrackers **batch; /* meetings to evaluate now */
        size_t nbatch, capbatch;
        char **kept; /* uuids of retired meetings that fired alerts (Alert.meeting) */
        size_t nkept, capkept;
        uint64_t evaluations;
};

/* A meeting's rule trackers (not in `trackers`: only reached by meeting index) and
 * its place in the timer queue. */
typedef struct MeetingTrackers {
        Tracker *t[RULE_COUNT];
        char *uuid;        /* shared by the trackers; the key in by_meeting */
        const Meeting *mt; /* while in the batch */
        int64_t due;       /* next clock at which a rule of the meeting moves with time */
        size_t hidx;       /* index in heap[], or SIZE_MAX */
        int fired;         /* some tracker fired: Alert.meeting points at uuid */
        int batched;
} MeetingTrackers;

void alert_fingerprint(Rule rule, const char *meeting, const char *deleg, char out[17])
{
        const char *r = RULE_NAMES[rule];
        uint64_t h = hash_fnv1a(FNV_OFFSET, r, strlen(r) + 1);
        h = hash_fnv1a(h, meeting ? meeting : "", strlen(meeting ? meeting : "") + 1);
        h = hash_fnv1a(h, deleg ? deleg : "", strlen(deleg ? deleg : ""));
        xsnprintf(out, 17, "%016llx", (unsigned long long)h);
}

Alerts *Alerts_new(const Config *cfg)
{
        Alerts *a = xcalloc(1, sizeof *a);
        a->cfg = cfg;
        HMap_init(&a->trackers);
        HMap_init(&a->by_meeting);
        return a;
}

static void meeting_trackers_free(Alerts *a, struct MeetingTrackers *mts, int keep_uuid);

void Alerts_free(Alerts *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->nall; i++) {
                free(a->all[i]->meeting);
                free(a->all[i]->deleg);
                free(a->all[i]);
        }
        for (size_t i = 0; i < a->nlist; i++) {
                free(a->list[i]->title);
                free(a->list[i]->who);
                free(a->list[i]);
        }
        for (size_t i = 0; i < a->by_meeting.cap; i++) {
                if (a->by_meeting.slots[i].key)
                        meeting_trackers_free(a, a->by_meeting.slots[i].value, 0);
        }
        HMap_done(&a->by_meeting);
        for (size_t i = 0; i < a->nkept; i++)
                free(a->kept[i]);
        free(a->kept);
        free(a->heap);
        free(a->batch);
        free(a->all);
        free(a->live);
        free(a->list);
        HMap_done(&a->trackers);
        free(a);
}

void Alerts_set_notify(Alerts *a, AlertNotifyFn fn, void *ud)
{
        a->notify = fn;
        a->ud = ud;
}

size_t Alerts_count(const Alerts *a)
{
        return a->nlist;
}

const Alert *Alerts_get(const Alerts *a, size_t i)
{
        return i < a->nlist ? a->list[i] : NULL;
}

size_t Alerts_firing(const Alerts *a)
{
        return a->nfiring;
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
        if (n < *cap)
                return p;
        *cap = *cap ? *cap * 2 : 16;
        return xrealloc(p, *cap * size);
}

static Tracker *tracker_get(Alerts *a, Rule rule, const char *meeting, const char *deleg)
{
        char fp[17];
        alert_fingerprint(rule, meeting, deleg, fp);
        Tracker *t = HMap_get(&a->trackers, fp);
        if (t)
                return t;
        t = xcalloc(1, sizeof *t);
        memcpy(t->fp, fp, sizeof fp);
        t->rule = rule;
        t->meeting = meeting ? xstrdup(meeting) : NULL;
        t->deleg = deleg ? xstrdup(deleg) : NULL;
        t->pending_since = TIME_NONE;
        t->clear_since = TIME_NONE;
        t->live_idx = SIZE_MAX;
        HMap_put(&a->trackers, t->fp, t);
        a->all = grow(a->all, &a->capall, a->nall, sizeof(Tracker *));
        a->all[a->nall++] = t;
        return t;
}

static void live_set(Alerts *a, Tracker *t, int live)
{
        if (live && t->live_idx == SIZE_MAX) {
                a->live = grow(a->live, &a->caplive, a->nlive, sizeof(Tracker *));
                t->live_idx = a->nlive;
                a->live[a->nlive++] = t;
        } else if (!live && t->live_idx != SIZE_MAX) {
                Tracker *last = a->live[--a->nlive];
                a->live[t->live_idx] = last;
                last->live_idx = t->live_idx;
                t->live_idx = SIZE_MAX;
        }
}

/* Highest severity whose threshold (minus off) the value reaches. */
static Severity reach(const Measure *m, double off)
{
        for (int s = SEV_CRITICAL; s >= SEV_WARNING; s--) {
                if (!isnan(m->thr[s]) && m->value >= m->thr[s] - off)
                        return (Severity)s;
        }
        return SEV_NONE;
}

static Severity next_level(const Measure *m, Severity cur)
{
        if (m->direct)
                return m->level;
        Severity up = reach(m, 0);
        if (up > cur)
                return up;
        if (cur > SEV_NONE && m->value < m->thr[cur] - m->hyst)
                return reach(m, m->hyst);
        return cur;
}

static void notify(Alerts *a, const Alert *al, NotifyKind k)
{
        if (a->notify)
                a->notify(a->ud, al, k);
}

/* A flapping source must not grow the list without bound: of one identity's
 * resolved `feed`/`lag` instances (they describe the running process's sources,
 * never a replay) only the latest ALERTS_SOURCE_RESOLVED_KEEP are kept. */
static void prune_resolved(Alerts *a, const Tracker *t)
{
        if (t->rule != RULE_FEED && t->rule != RULE_LAG)
                return;
        size_t kept = 0, o = a->nlist;
        for (size_t i = a->nlist; i-- > 0;) {
                Alert *al = a->list[i];
                if (al->status != AL_RESOLVED || strcmp(al->fingerprint, t->fp) != 0)
                        continue;
                if (++kept > ALERTS_SOURCE_RESOLVED_KEEP) {
                        free(al->title);
                        free(al->who);
                        free(al);
                        a->list[i] = NULL;
                        o = i;
                }
        }
        if (o == a->nlist)
                return;
        size_t w = o;
        for (size_t i = o; i < a->nlist; i++) {
                if (a->list[i])
                        a->list[w++] = a->list[i];
        }
        a->nlist = w;
}

static void set_who(Alert *al, const char *who)
{
        if (!who) {
                free(al->who);
                al->who = NULL;
        } else if (!al->who || strcmp(al->who, who) != 0) {
                free(al->who);
                al->who = xstrdup(who);
        }
}

static void step(Alerts *a, Tracker *t, const Measure *m, int64_t clock)
{
        const RuleOpts *ro = &a->cfg->rules[t->rule];
        Alert *al = t->active;
        Severity lvl = next_level(m, al ? al->level : SEV_NONE);
        if (!al) {
                if (lvl == SEV_NONE || !ro->enabled) {
                        t->pending_since = TIME_NONE;
                        return;
                }
                if (ro->for_ms > 0) {
                        if (t->pending_since == TIME_NONE)
                                t->pending_since = clock;
                        if (clock - t->pending_since < ro->for_ms)
                                return;
                }
                al = xcalloc(1, sizeof *al);
                al->rule = t->rule;
                al->meeting = t->meeting;
                al->delegation = t->deleg;
                memcpy(al->fingerprint, t->fp, sizeof t->fp);
                al->status = AL_FIRING;
                al->severity = al->level = lvl;
                al->value = al->cur_value = m->value;
                al->threshold = al->cur_threshold = m->thr[lvl];
                al->starts_at = al->last_notified = clock;
                al->ends_at = TIME_NONE;
                al->title = m->title ? xstrdup(m->title) : NULL;
                al->timed = al->cur_timed = (unsigned char)m->timed;
                set_who(al, m->who);
                a->list = grow(a->list, &a->caplist, a->nlist, sizeof(Alert *));
                a->list[a->nlist++] = al;
                a->nfiring++;
                t->active = al;
                notify(a, al, NOTIFY_FIRING);
                return;
        }
        al->cur_value = m->value;
        if (lvl == SEV_NONE && ro->clear_ms > 0) {
                if (t->clear_since == TIME_NONE)
                        t->clear_since = clock;
                if (clock - t->clear_since < ro->clear_ms) {
                        al->cur_timed = (unsigned char)m->timed; /* still firing: clear_for */
                        set_who(al, m->who);
                        return;
                }
        }
        t->clear_since = TIME_NONE;
        if (lvl == SEV_NONE) {
                al->status = AL_RESOLVED;
                al->level = SEV_NONE;
                al->ends_at = clock;
                a->nfiring--;
                t->active = NULL;
                t->pending_since = TIME_NONE;
                notify(a, al, NOTIFY_RESOLVED);
                prune_resolved(a, t);
                return;
        }
        al->cur_threshold = m->thr[lvl];
        al->cur_timed = (unsigned char)m->timed;
        set_who(al, m->who);
        if (lvl != al->level) {
                al->level = lvl;
                if (lvl > al->severity) {
                        al->severity = lvl;
                        al->value = m->value;
                        al->threshold = m->thr[lvl];
                        al->timed = (unsigned char)m->timed;
                }
                al->last_notified = clock;
                notify(a, al, NOTIFY_CHANGED);
        } else if (clock - al->last_notified >= ro->repeat_ms) {
                al->last_notified = clock;
                notify(a, al, NOTIFY_REPEAT);
        }
}

/* The trackers of a meeting's rules, found by its uuid. */
static MeetingTrackers *meeting_trackers(Alerts *a, const Meeting *mt)
{
        MeetingTrackers *mts = HMap_get(&a->by_meeting, mt->uuid);
        if (!mts) {
                mts = xcalloc(1, sizeof *mts);
                mts->uuid = xstrdup(mt->uuid);
                mts->due = TIME_NONE;
                mts->hidx = SIZE_MAX;
                HMap_put(&a->by_meeting, mts->uuid, mts);
        }
        mts->mt = mt;
        return mts;
}

static void meeting_trackers_free(Alerts *a, MeetingTrackers *mts, int keep_uuid)
{
        if (!mts)
                return;
        for (int r = 0; r < RULE_COUNT; r++)
                free(mts->t[r]);
        if (keep_uuid && mts->fired) {
                a->kept = grow(a->kept, &a->capkept, a->nkept, sizeof(char *));
                a->kept[a->nkept++] = mts->uuid;
        } else {
                free(mts->uuid);
        }
        free(mts);
}

static void eval(Alerts *a, MeetingTrackers *mts, Rule rule, const Measure *m, int64_t clock)
{
        Tracker *t = mts->t[rule];
        if (!t) {
                t = mts->t[rule] = xcalloc(1, sizeof *t);
                alert_fingerprint(rule, mts->uuid, NULL, t->fp);
                t->rule = rule;
                t->meeting = mts->uuid;
                t->pending_since = TIME_NONE;
                t->clear_since = TIME_NONE;
                t->live_idx = SIZE_MAX;
        }
        step(a, t, m, clock);
        if (t->active)
                mts->fired = 1;
}

static Measure measure(double value, double warn, double crit, double hyst)
{
        Measure m = {value, {NAN, warn, crit}, hyst, 0, SEV_NONE, NULL, NULL, 0};
        return m;
}

static const char *meeting_title(const Meeting *mt)
{
        return mt->topic && *mt->topic ? mt->topic : mt->id && *mt->id ? mt->id : mt->uuid;
}

/* waiting_room: the count condition (max_waiting entries) wins over the time
 * condition (a wait over max_wait). Each clears with its own hysteresis, so a count
 * going 20, 19, 20 or a queue of long waits admitted one by one does not flap. */
static void eval_waiting(Alerts *a, const State *s, const Meeting *mt, MeetingTrackers *mts,
                         int64_t clock)
{
        const Config *c = a->cfg;
        const Tracker *t0 = mts->t[RULE_WAITING_ROOM];
        int cond = t0 && t0->active ? t0->cond : WR_NONE;
        int64_t since = State_oldest_wait(s, mt);
        double longest = since == TIME_NONE ? 0 : ((double)clock - (double)since) / 1000.0;
        Measure m = measure(mt->waiting, c->wait_max_count, NAN, 0);
        m.direct = 1;
        m.title = meeting_title(mt);
        int count_on = mt->waiting >= c->wait_max_count ||
                       (cond == WR_COUNT && mt->waiting >= c->wait_max_count - c->wait_hyst);
        int time_on =
            since != TIME_NONE && (longest > c->wait_max_s ||
                                   (cond == WR_TIME && longest > c->wait_max_s - c->wait_hyst_s));
        if (count_on || time_on) {
                m.level = SEV_WARNING;
                cond = count_on ? WR_COUNT : WR_TIME;
        }
        if (cond == WR_TIME) { /* also while clearing: said in the same terms */
                m.value = longest;
                m.thr[SEV_WARNING] = c->wait_max_s;
                m.who = State_oldest_waiter(s, mt, NULL);
                m.timed = 1;
        }
        eval(a, mts, RULE_WAITING_ROOM, &m, clock);
        Tracker *t = mts->t[RULE_WAITING_ROOM];
        t->cond = t->active ? cond : WR_NONE;
}

static void eval_meeting(Alerts *a, const State *s, MeetingTrackers *mts, int64_t clock)
{
        const Meeting *mt = mts->mt;
        const Config *c = a->cfg;
        a->evaluations++;
        double cap = mt->capacity;
        Measure m = measure(mt->participants, cap * c->cap_warn_pct / 100,
                            cap * c->cap_crit_pct / 100, cap * c->cap_hyst_pct / 100);
        m.title = meeting_title(mt);
        eval(a, mts, RULE_CAPACITY, &m, clock);

        if (mt->video_known) {
                m = measure(mt->video_on, mt->video_limit - c->video_margin, mt->video_limit + 1,
                            c->video_hyst);
                m.title = meeting_title(mt);
                eval(a, mts, RULE_VIDEO, &m, clock);
        }

        m = measure(mt->unidentified, c->unident_threshold, NAN, 0);
        m.title = meeting_title(mt);
        eval(a, mts, RULE_UNIDENTIFIED, &m, clock);

        eval_waiting(a, s, mt, mts, clock);

        int64_t window = (int64_t)(c->jf_window_s * 1000);
        m = measure(State_failures_since(s, mt, time_add(clock, -window)), c->jf_count, NAN,
                    c->jf_hyst);
        m.title = meeting_title(mt);
        eval(a, mts, RULE_JOIN_FAILURES, &m, clock);

        if (mt->reconciles > 0) { /* more than drift_max corrections in the last one */
                m = measure(mt->reconcile_opened + mt->reconcile_closed, c->drift_max + 1, NAN, 0);
                m.title = meeting_title(mt);
                eval(a, mts, RULE_DRIFT, &m, clock);
        }
}

static void eval_quota(Alerts *a, const Delegation *d, int64_t clock)
{
        Tracker *t = tracker_get(a, RULE_DELEGATION_QUOTA, d->meeting->uuid, d->name);
        Measure m = measure(d->participants, d->quota < 0 ? NAN : d->quota + 1, NAN, 0);
        m.title = meeting_title(d->meeting);
        step(a, t, &m, clock);
        live_set(a, t, t->active || t->pending_since != TIME_NONE);
}

/* ---- the timer queue: meetings whose rules move with time, by due time ---- */

static void mheap_swap(Alerts *a, size_t i, size_t k)
{
        MeetingTrackers *t = a->heap[i];
        a->heap[i] = a->heap[k];
        a->heap[k] = t;
        a->heap[i]->hidx = i;
        a->heap[k]->hidx = k;
}

static void mheap_fix(Alerts *a, size_t i)
{
        while (i > 0 && a->heap[(i - 1) / 2]->due > a->heap[i]->due) {
                mheap_swap(a, i, (i - 1) / 2);
                i = (i - 1) / 2;
        }
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, k = i;
                if (l < a->nheap && a->heap[l]->due < a->heap[k]->due)
                        k = l;
                if (r < a->nheap && a->heap[r]->due < a->heap[k]->due)
                        k = r;
                if (k == i)
                        return;
                mheap_swap(a, i, k);
                i = k;
        }
}

static void mheap_remove(Alerts *a, MeetingTrackers *mts)
{
        size_t i = mts->hidx;
        if (i == SIZE_MAX)
                return;
        mts->hidx = SIZE_MAX;
        if (i != --a->nheap) {
                a->heap[i] = a->heap[a->nheap];
                a->heap[i]->hidx = i;
                mheap_fix(a, i);
        }
}

static void mheap_set(Alerts *a, MeetingTrackers *mts, int64_t due)
{
        mts->due = due;
        if (due == TIME_NONE) {
                mheap_remove(a, mts);
                return;
        }
        if (mts->hidx == SIZE_MAX) {
                a->heap = grow(a->heap, &a->capheap, a->nheap, sizeof(MeetingTrackers *));
                mts->hidx = a->nheap;
                a->heap[a->nheap++] = mts;
        }
        mheap_fix(a, mts->hidx);
}

static int64_t earlier(int64_t a, int64_t b)
{
        return a == TIME_NONE || (b != TIME_NONE && b < a) ? b : a;
}

/* Milliseconds a wait must last to exceed max_wait (the rule compares seconds). */
static int64_t wait_limit_ms(double max_s)
{
        int64_t d = (int64_t)floor(max_s * 1000);
        while ((double)d / 1000.0 <= max_s)
                d++;
        return d;
}

/* The next clock at which one of the meeting's rules can change without an event
 * touching the meeting: a `for` that elapses, a `repeat`, a wait that grows past
 * max_wait (and the longest wait shown while it fires), a join failure leaving the
 * window. Earlier is harmless (an evaluation then changes nothing); later is not. */
static int64_t meeting_due(const Alerts *a, const State *s, const MeetingTrackers *mts,
                           int64_t clock)
{
        const Meeting *mt = mts->mt;
        const Config *c = a->cfg;
        int64_t due = TIME_NONE;
        for (int r = 0; r < RULE_COUNT; r++) {
                const Tracker *t = mts->t[r];
                if (t && t->active && t->clear_since != TIME_NONE)
                        due = earlier(due, time_add(t->clear_since, c->rules[r].clear_ms));
                if (t && t->active)
                        due =
                            earlier(due, time_add(t->active->last_notified, c->rules[r].repeat_ms));
                else if (t && t->pending_since != TIME_NONE)
                        due = earlier(due, time_add(t->pending_since, c->rules[r].for_ms));
        }
        int64_t since = State_oldest_wait(s, mt);
        if (since != TIME_NONE && mt->waiting < c->wait_max_count &&
            c->rules[RULE_WAITING_ROOM].enabled) {
                const Tracker *t = mts->t[RULE_WAITING_ROOM];
                int64_t over = time_add(since, wait_limit_ms(c->wait_max_s));
                if (t && t->active)
                        due = earlier(due, time_add(clock, 1)); /* the longest wait grows */
                else if (over > clock)
                        due = earlier(due, over);
        }
        const Tracker *jf = mts->t[RULE_JOIN_FAILURES];
        if (jf && (jf->active || jf->pending_since != TIME_NONE)) {
                int64_t window = (int64_t)(c->jf_window_s * 1000);
                int64_t first = State_first_failure_after(s, mt, time_add(clock, -window));
                if (first != TIME_NONE)
                        due = earlier(due, time_add(first, window));
        }
        if (due != TIME_NONE && due <= clock)
                due = time_add(clock, 1);
        return due;
}

static int idle(const MeetingTrackers *mts)
{
        for (int r = 0; r < RULE_COUNT; r++) {
                const Tracker *t = mts->t[r];
                if (t && (t->active || t->pending_since != TIME_NONE))
                        return 0;
        }
        return mts->hidx == SIZE_MAX;
}

static void batch_add(Alerts *a, MeetingTrackers *mts)
{
        if (mts->batched)
                return;
        mts->batched = 1;
        a->batch = grow(a->batch, &a->capbatch, a->nbatch, sizeof(MeetingTrackers *));
        a->batch[a->nbatch++] = mts;
}

static int cmp_index(const void *x, const void *y)
{
        size_t a = (*(MeetingTrackers *const *)x)->mt->index;
        size_t b = (*(MeetingTrackers *const *)y)->mt->index;
        return a < b ? -1 : a > b;
}

static void drop(Alerts *a, MeetingTrackers *mts)
{
        HMap_del(&a->by_meeting, mts->uuid);
        meeting_trackers_free(a, mts, 1);
}

uint64_t Alerts_meeting_evaluations(const Alerts *a)
{
        return a->evaluations;
}

void Alerts_evaluate(Alerts *a, const State *s, const Meeting *const *touched, size_t ntouched,
                     Delegation *const *dirty, size_t ndirty)
{
        int64_t clock = State_clock(s);
        if (clock == TIME_NONE)
                return;
        /* the meetings an event touched and those whose time has come, in meeting
         * order (the order in which their alerts fire, as if all were evaluated) */
        a->nbatch = 0;
        for (size_t i = 0; i < ntouched; i++)
                batch_add(a, meeting_trackers(a, touched[i]));
        while (a->nheap && a->heap[0]->due <= clock) {
                MeetingTrackers *mts = a->heap[0];
                mheap_set(a, mts, TIME_NONE);
                if (!mts->batched) {
                        mts->mt = State_find_meeting(s, mts->uuid);
                        if (!mts->mt) { /* forgotten by the state */
                                drop(a, mts);
                                continue;
                        }
                }
                batch_add(a, mts);
        }
        qsort(a->batch, a->nbatch, sizeof(MeetingTrackers *), cmp_index);
        for (size_t i = 0; i < a->nbatch; i++) {
                MeetingTrackers *mts = a->batch[i];
                mts->batched = 0;
                eval_meeting(a, s, mts, clock);
                mheap_set(a, mts, meeting_due(a, s, mts, clock));
                /* an ended meeting with nothing pending or firing needs no trackers:
                 * new ones start the same way if it is ever touched again */
                if (mts->mt->ended && idle(mts))
                        drop(a, mts);
        }
        for (size_t i = 0; i < ndirty; i++) {
                if (dirty[i]->quota >= 0)
                        eval_quota(a, dirty[i], clock);
        }
        /* pending and firing quota alerts also move with time (for, repeat) */
        for (size_t i = 0; i < a->nlive; i++) {
                Tracker *t = a->live[i];
                if (t->rule != RULE_DELEGATION_QUOTA)
                        continue;
                const Meeting *mt = State_find_meeting(s, t->meeting);
                const Delegation *d = mt ? Meeting_delegation(mt, t->deleg) : NULL;
                if (d) {
                        size_t before = a->nlive;
                        eval_quota(a, d, clock);
                        if (a->nlive < before)
                                i--; /* swapped out of live[] */
                }
        }
}

void Alerts_external(Alerts *a, Rule rule, const char *subject, Severity level, double value,
                     double threshold, int64_t clock)
{
        Tracker *t = tracker_get(a, rule, NULL, subject);
        Measure m = measure(value, NAN, NAN, 0);
        m.direct = 1;
        m.level = level;
        m.thr[level] = threshold;
        m.timed = rule == RULE_LAG;
        step(a, t, &m, clock);
}

void format_duration(double seconds, char *buf, size_t len)
{
        if (!(seconds > 0)) /* also NAN */
                seconds = 0;
        if (seconds > 1e12)
                seconds = 1e12;
        long long t = (long long)seconds; /* whole seconds: no milliseconds for people */
        long long d = t / 86400, h = t / 3600 % 24, mi = t / 60 % 60, se = t % 60;
        if (d > 0)
                xsnprintf(buf, len, h ? "%lld d %lld h" : "%lld d", d, h);
        else if (h > 0)
                xsnprintf(buf, len, mi ? "%lld h %lld min" : "%lld h", h, mi);
        else if (mi > 0)
                xsnprintf(buf, len, se ? "%lld min %lld s" : "%lld min", mi, se);
        else
                xsnprintf(buf, len, "%lld s", se);
}

/* A count or threshold: whole numbers as such, else one decimal (never %g). */
static const char *num(double v, char *buf, size_t len)
{
        if (isnan(v) || isinf(v))
                xsnprintf(buf, len, "?");
        else if (fabs(v) < 1e15 && v == floor(v))
                xsnprintf(buf, len, "%.0f", v);
        else
                xsnprintf(buf, len, "%.1f", v);
        return buf;
}

static const char *plural(double v, const char *one, const char *many)
{
        return v == 1 ? one : many;
}

void Alert_describe(const Alert *al, char *buf, size_t len)
{
        int firing = al->status == AL_FIRING;
        double val = firing ? al->cur_value : al->value;
        double thr = firing ? al->cur_threshold : al->threshold;
        Severity lvl = firing ? al->level : al->severity;
        const char *subj = al->delegation ? al->delegation : "";
        char v[48], t[48], d1[48], d2[48];
        num(val, v, sizeof v);
        num(thr, t, sizeof t);
        switch (al->rule) {
        case RULE_CAPACITY:
                xsnprintf(buf, len, "%s %s (%s %s)", v, plural(val, "participant", "participants"),
                          lvl == SEV_CRITICAL ? "limit" : "warning at", t);
                break;
        case RULE_VIDEO:
                if (lvl == SEV_CRITICAL)
                        xsnprintf(buf, len, "%s videos on, more than the gallery shows (%s)", v,
                                  num(thr - 1, d1, sizeof d1));
                else
                        xsnprintf(buf, len, "%s %s on (warning at %s)", v,
                                  plural(val, "video", "videos"), t);
                break;
        case RULE_DELEGATION_QUOTA:
                xsnprintf(buf, len, "%s has %s %s (quota %s)", subj, v,
                          plural(val, "participant", "participants"), num(thr - 1, d1, sizeof d1));
                break;
        case RULE_UNIDENTIFIED:
                xsnprintf(buf, len, "%s unidentified %s", v,
                          plural(val, "participant", "participants"));
                break;
        case RULE_WAITING_ROOM:
                format_duration(val, d1, sizeof d1);
                format_duration(thr, d2, sizeof d2);
                if (!(firing ? al->cur_timed : al->timed))
                        xsnprintf(buf, len, "%s %s waiting (limit %s)", v,
                                  plural(val, "person", "people"), t);
                else if (firing && al->who && *al->who)
                        xsnprintf(buf, len, "%s has waited %s (limit %s)", al->who, d1, d2);
                else
                        xsnprintf(buf, len, "a wait of %s (limit %s)", d1, d2);
                break;
        case RULE_JOIN_FAILURES:
                xsnprintf(buf, len, "%s join %s in the window (limit %s)", v,
                          plural(val, "failure", "failures"), t);
                break;
        case RULE_FEED:
                xsnprintf(buf, len, firing ? "feed %s is down" : "feed %s was down", subj);
                break;
        case RULE_DRIFT:
                xsnprintf(buf, len, "Zoom's list corrected %s %s (limit %s)", v,
                          plural(val, "session", "sessions"), t);
                break;
        default:
                format_duration(val, d1, sizeof d1);
                format_duration(thr, d2, sizeof d2);
                xsnprintf(buf, len, "events from %s arrive %s late (limit %s)", subj, d1, d2);
                break;
        }
}

void Alert_summary(const Alert *al, char *buf, size_t len)
{
        char what[CAPMON_TEXT_MAX * 2];
        Alert_describe(al, what, sizeof what);
        xsnprintf(buf, len, "%s%s%s%s",
                  al->status == AL_FIRING ? "" : "resolved: ", al->title ? al->title : "",
                  al->title ? ": " : "", what);
}
