#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "deleg.h"
#include "util.h"

const char *const OUTCOME_NAMES[OUT_COUNT] = {"applied", "duplicate", "stale",
                                              "orphan",  "ignored",   "invalid"};

#define DROP_WINDOW_MS 60000 /* early drop: closed within 60 s of its join */
#define WR_JOIN_MS     5000  /* a join within 5 s cancels a waiting-room failure */
#define VIDEO_WAIT_MS  10000 /* a video fact waits this long for its session's join */
#define HELD_MAX       4096  /* video facts waiting at once, at most */

enum { S_IN, S_BREAKOUT, S_CLOSED };

typedef struct Person {
        int n; /* counting sessions of this person */
        char key[];
} Person;

typedef struct Session {
        char *key;
        char *name;
        Person *person;
        Delegation *deleg;
        int64_t join_time, close_time;
        int64_t touched;     /* latest event time or arrival of its last open/close */
        unsigned gen;        /* reconcile generation that listed it */
        int64_t video_since; /* video on since (event time) */
        unsigned char state, video, bound;
        char role[24];
} Session;

typedef struct Wait {
        char *key;
        char *name;
        const char *deleg;
        int64_t since, close_time;
        int64_t touched; /* as Session.touched */
        unsigned gen;
        size_t heap_idx;
        unsigned char open, admitted, left;
} Wait;

/* A video fact for a session not yet known: waits for its join. */
typedef struct Held {
        char *meeting; /* its uuid */
        char *key;
        int64_t time;
        uint64_t dk; /* its duplicate key */
        const char *source;
        unsigned char video;
} Held;

typedef struct Stamp {
        int64_t at;
        char key[];
} Stamp;

typedef struct Jbh {
        char *key;
        unsigned char open;
} Jbh;

typedef struct MeetingPriv {
        HMap sessions;    /* key -> Session */
        HMap waits;       /* key -> Wait */
        HMap jbh;         /* key -> Jbh */
        HMap persons;     /* person key -> Person */
        HMap wr_failures; /* key -> latest waiting-room JoinFailure */
        HMap orphan_left; /* key -> Stamp: leaves of sessions never seen (for reconcile) */
        Wait **heap;      /* open waits, min-heap on since */
        size_t nheap, capheap;
        int64_t *ftimes; /* times of active failures, sorted */
        size_t nftimes, capftimes;
        const MeetingCfg *mcfg;
        size_t capdelegs;
        unsigned recon_gen;            /* generation of the reconcile being applied */
        unsigned char touched, queued; /* in State.touched; in the retire queue */
        unsigned char forget;          /* to be dropped (forget_batch) */
} MeetingPriv;

/* An ended meeting waiting for its retirement time (min-heap on `at`). */
typedef struct RetireEntry {
        int64_t at;
        Meeting *m;
} RetireEntry;

struct State {
        Resolver *res;
        const Config *cfg;
        Meeting **meetings;
        size_t nmeetings, capmeetings;
        HMap by_uuid;
        HSet64 seen, seen_old; /* duplicate keys: this window and the one before */
        int64_t seen_since;    /* clock when `seen` was started */
        int64_t dup_window_ms, retire_ms, ahead_ms;
        RetireEntry *rq; /* ended meetings by retirement time */
        size_t nrq, caprq;
        size_t nretired, nforgotten;
        int64_t forget_ms; /* 0: never */
        Meeting **touched, **touched_taken;
        size_t ntouched, captouched, ntouched_taken;
        Counters counters;
        int64_t clock;
        int64_t cur_recv;  /* arrival time of the record being applied, or TIME_NONE */
        Meeting *applying; /* the meeting of the record being applied, or NULL */
        JoinFailure **failures;
        size_t nfailures, capfailures;
        HMap quotas; /* canonical delegation -> quota + 1 */
        Delegation **dirty, **taken;
        size_t ndirty, capdirty, ntaken;
        Held *held; /* in arrival order */
        size_t nheld, capheld;
        int64_t held_min; /* earliest time among held */
};

/* ---- small helpers ---- */

static int counts(const struct Session *x);

static void *intptr(int v)
{
        return (void *)(intptr_t)v;
}

static int ptrint(void *p)
{
        return (int)(intptr_t)p;
}

static int64_t max64(int64_t a, int64_t b)
{
        return a > b ? a : b;
}

/* |a - b| <= ms, without overflow (times come from untrusted input). */
static int within_ms(int64_t a, int64_t b, int64_t ms)
{
        int64_t d;
        if (__builtin_sub_overflow(a, b, &d))
                return 0;
        return d >= -ms && d <= ms;
}

static int64_t secs_to_ms(double s)
{
        return s * 1000 >= (double)INT64_MAX ? INT64_MAX : (int64_t)(s * 1000);
}

/* When a change made now counts as having happened, for a later reconcile: the
 * later of the event's time and the record's arrival. */
static int64_t stamp(const State *s, int64_t t)
{
        return max64(t, s->cur_recv);
}

/* ---- creation ---- */

State *State_new(Resolver *r, const Config *cfg)
{
        State *s = xcalloc(1, sizeof *s);
        s->res = r;
        s->cfg = cfg;
        s->clock = TIME_NONE;
        s->cur_recv = TIME_NONE;
        HMap_init(&s->by_uuid);
        HSet64_init(&s->seen);
        HSet64_init(&s->seen_old);
        s->seen_since = TIME_NONE;
        s->dup_window_ms = secs_to_ms(cfg->dup_window_s);
        s->retire_ms = secs_to_ms(cfg->retire_after_s);
        s->forget_ms = secs_to_ms(cfg->forget_after_s);
        if (s->forget_ms && s->forget_ms < s->retire_ms)
                s->forget_ms = s->retire_ms;
        s->ahead_ms = secs_to_ms(cfg->clock_ahead_s);
        HMap_init(&s->quotas);
        for (size_t i = 0; i < cfg->nquotas; i++) {
                const char *canon = Resolver_lookup(r, cfg->quotas[i].name);
                if (!canon)
                        canon = Resolver_intern(r, cfg->quotas[i].name);
                HMap_put(&s->quotas, canon, intptr(cfg->quotas[i].value + 1));
        }
        return s;
}

/* Free what only judges later events of the meeting's sessions and waits: sessions,
 * waiting entries, join-before-host entries, persons, the waiting-room failure
 * index. The maps are left empty and usable. */
static void meeting_clear(Meeting *m)
{
        MeetingPriv *p = m->priv;
        for (size_t i = 0; i < p->sessions.cap; i++) {
                Session *x = p->sessions.slots[i].value;
                if (p->sessions.slots[i].key) {
                        free(x->key);
                        free(x->name);
                        free(x);
                }
        }
        for (size_t i = 0; i < p->waits.cap; i++) {
                Wait *w = p->waits.slots[i].value;
                if (p->waits.slots[i].key) {
                        free(w->key);
                        free(w->name);
                        free(w);
                }
        }
        for (size_t i = 0; i < p->jbh.cap; i++) {
                Jbh *j = p->jbh.slots[i].value;
                if (p->jbh.slots[i].key) {
                        free(j->key);
                        free(j);
                }
        }
        for (size_t i = 0; i < p->persons.cap; i++) {
                if (p->persons.slots[i].key)
                        free(p->persons.slots[i].value);
        }
        for (size_t i = 0; i < p->orphan_left.cap; i++) {
                if (p->orphan_left.slots[i].key)
                        free(p->orphan_left.slots[i].value);
        }
        HMap_done(&p->sessions);
        HMap_done(&p->waits);
        HMap_done(&p->jbh);
        HMap_done(&p->persons);
        HMap_done(&p->wr_failures);
        HMap_done(&p->orphan_left);
        free(p->heap);
        p->heap = NULL;
        p->nheap = p->capheap = 0;
}

static void meeting_free(Meeting *m)
{
        MeetingPriv *p = m->priv;
        meeting_clear(m);
        for (size_t i = 0; i < m->ndelegations; i++)
                free(m->delegations[i]);
        free(p->ftimes);
        free(p);
        free(m->delegations);
        free(m->uuid);
        free(m->id);
        free(m->topic);
        free(m->timezone);
        free(m);
}

void State_free(State *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->nmeetings; i++)
                meeting_free(s->meetings[i]);
        free(s->meetings);
        for (size_t i = 0; i < s->nfailures; i++) {
                JoinFailure *f = s->failures[i];
                free(f->name);
                free(f->reason);
                free(f->detail);
                free(f);
        }
        free(s->failures);
        HMap_done(&s->by_uuid);
        HSet64_done(&s->seen);
        HSet64_done(&s->seen_old);
        HMap_done(&s->quotas);
        free(s->dirty);
        free(s->taken);
        for (size_t i = 0; i < s->nheld; i++) {
                free(s->held[i].meeting);
                free(s->held[i].key);
        }
        free(s->held);
        free(s->touched);
        free(s->touched_taken);
        free(s->rq);
        free(s);
}

/* ---- read-only accessors ---- */

int64_t State_clock(const State *s)
{
        return s->clock;
}

const Counters *State_counters(const State *s)
{
        return &s->counters;
}

size_t State_meeting_count(const State *s)
{
        return s->nmeetings;
}

const Meeting *State_meeting(const State *s, size_t i)
{
        return i < s->nmeetings ? s->meetings[i] : NULL;
}

const Meeting *State_find_meeting(const State *s, const char *uuid)
{
        return HMap_get(&s->by_uuid, uuid);
}

size_t State_failure_count(const State *s)
{
        return s->nfailures;
}

const JoinFailure *State_failure(const State *s, size_t i)
{
        return i < s->nfailures ? s->failures[i] : NULL;
}

int64_t State_oldest_wait(const State *s, const Meeting *m)
{
        (void)s;
        return m->priv->nheap ? m->priv->heap[0]->since : TIME_NONE;
}

/* Index of the first time > t in the sorted array. */
static size_t upper_bound(const int64_t *a, size_t n, int64_t t)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (a[mid] <= t)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

int State_failures_since(const State *s, const Meeting *m, int64_t since)
{
        (void)s;
        const MeetingPriv *p = m->priv;
        return (int)(p->nftimes - upper_bound(p->ftimes, p->nftimes, since));
}

int64_t State_first_failure_after(const State *s, const Meeting *m, int64_t since)
{
        (void)s;
        const MeetingPriv *p = m->priv;
        size_t i = upper_bound(p->ftimes, p->nftimes, since);
        return i < p->nftimes ? p->ftimes[i] : TIME_NONE;
}

/* Index of the first delegation whose name is >= name (the array is sorted). */
static size_t deleg_lower_bound(const Meeting *m, const char *name)
{
        size_t lo = 0, hi = m->ndelegations;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(m->delegations[mid]->name, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

const Delegation *Meeting_delegation(const Meeting *m, const char *name)
{
        size_t i = deleg_lower_bound(m, name);
        return i < m->ndelegations && strcmp(m->delegations[i]->name, name) == 0 ? m->delegations[i]
                                                                                 : NULL;
}

void State_footprint(const State *s, StateFootprint *f)
{
        memset(f, 0, sizeof *f);
        f->meetings = s->nmeetings;
        f->retired = s->nretired;
        f->forgotten = s->nforgotten;
        for (size_t i = 0; i < s->nmeetings; i++) {
                const MeetingPriv *p = s->meetings[i]->priv;
                f->sessions += p->sessions.len;
                f->waits += p->waits.len;
                f->persons += p->persons.len;
        }
        f->duplicates = s->seen.len + s->seen_old.len;
}

void Meeting_each_person(const Meeting *m, PeopleKind kind, PersonFn fn, void *ud)
{
        const MeetingPriv *p = m->priv;
        PersonInfo pi;
        if (kind == PEOPLE_WAITING) {
                for (size_t i = 0; i < p->nheap; i++) {
                        const Wait *w = p->heap[i];
                        pi.name = w->name;
                        pi.delegation = w->deleg;
                        pi.since = w->since;
                        pi.video = 0;
                        pi.role = "";
                        fn(ud, &pi);
                }
                return;
        }
        for (size_t i = 0; i < p->sessions.cap; i++) {
                const Session *x = p->sessions.slots[i].value;
                if (!p->sessions.slots[i].key || !counts(x))
                        continue;
                pi.name = x->name;
                pi.delegation = x->deleg->name;
                pi.since = x->join_time;
                pi.video = x->video;
                pi.role = x->role;
                fn(ud, &pi);
        }
}

const char *State_oldest_waiter(const State *s, const Meeting *m, const char **delegation)
{
        (void)s;
        const Wait *w = m->priv->nheap ? m->priv->heap[0] : NULL;
        if (delegation)
                *delegation = w ? w->deleg : NULL;
        return w ? w->name : NULL;
}

void State_count(State *s, Outcome o)
{
        if (o >= OUT_COUNT)
                return;
        s->counters.received++;
        s->counters.n[o]++;
}

/* Held video facts whose wait is over (clock > time + VIDEO_WAIT_MS): orphan. */
static void held_expire(State *s)
{
        size_t o = 0;
        int64_t min = INT64_MAX;
        for (size_t i = 0; i < s->nheld; i++) {
                Held *h = &s->held[i];
                if (s->clock > time_add(h->time, VIDEO_WAIT_MS)) {
                        free(h->meeting);
                        free(h->key);
                        State_count(s, OUT_ORPHAN);
                        continue;
                }
                min = h->time < min ? h->time : min;
                s->held[o++] = *h;
        }
        s->nheld = o;
        s->held_min = min;
}

void State_finish(State *s)
{
        for (size_t i = 0; i < s->nheld; i++) {
                free(s->held[i].meeting);
                free(s->held[i].key);
                State_count(s, OUT_ORPHAN);
        }
        s->nheld = 0;
}

/* The duplicate set is two generations: a key is kept for at least one window of
 * clock and forgotten after at most two, so its size follows the event rate over a
 * window, not the length of the run. */
static void dup_rotate(State *s)
{
        if (s->seen_since == TIME_NONE) {
                s->seen_since = s->clock;
                return;
        }
        if (s->clock < time_add(s->seen_since, s->dup_window_ms))
                return;
        HSet64_done(&s->seen_old);
        if (s->clock < time_add(s->seen_since, time_add(s->dup_window_ms, s->dup_window_ms)))
                s->seen_old = s->seen;
        else
                HSet64_done(&s->seen); /* two windows without a rotation: both are old */
        HSet64_init(&s->seen);
        s->seen_since = s->clock;
}

static void retire_push(State *s, Meeting *m, int64_t at);
static void retire_due(State *s);

void State_advance(State *s, int64_t t)
{
        if (t != TIME_NONE && (s->clock == TIME_NONE || t > s->clock)) {
                s->clock = t;
                dup_rotate(s);
                retire_due(s);
        }
        if (s->nheld && s->clock > time_add(s->held_min, VIDEO_WAIT_MS))
                held_expire(s);
}

/* ---- meetings and delegations ---- */

static int quota_for(State *s, const Meeting *m, const char *deleg)
{
        const MeetingCfg *mc = m->priv->mcfg;
        if (mc) {
                for (size_t i = 0; i < mc->nquotas; i++) {
                        const char *canon = Resolver_lookup(s->res, mc->quotas[i].name);
                        if ((canon && canon == deleg) || strcmp(mc->quotas[i].name, deleg) == 0)
                                return mc->quotas[i].value;
                }
        }
        int q = ptrint(HMap_get(&s->quotas, deleg));
        return q ? q - 1 : -1;
}

static void meeting_set_limits(State *s, Meeting *m)
{
        const MeetingCfg *mc = Config_meeting(s->cfg, m->id);
        m->priv->mcfg = mc;
        m->capacity = mc && mc->capacity ? mc->capacity : s->cfg->capacity;
        m->video_limit = mc && mc->video_limit ? mc->video_limit : s->cfg->video_limit;
        for (size_t i = 0; i < m->ndelegations; i++)
                m->delegations[i]->quota = quota_for(s, m, m->delegations[i]->name);
}

static void touch(State *s, Meeting *m)
{
        if (m->priv->touched)
                return;
        m->priv->touched = 1;
        if (s->ntouched == s->captouched) {
                s->captouched = s->captouched ? s->captouched * 2 : 16;
                s->touched = xrealloc(s->touched, s->captouched * sizeof(Meeting *));
                s->touched_taken = xrealloc(s->touched_taken, s->captouched * sizeof(Meeting *));
        }
        s->touched[s->ntouched++] = m;
}

const Meeting *const *State_take_touched(State *s, size_t *n)
{
        Meeting **t = s->touched_taken;
        s->touched_taken = s->touched;
        s->touched = t;
        s->ntouched_taken = s->ntouched;
        s->ntouched = 0;
        for (size_t i = 0; i < s->ntouched_taken; i++)
                s->touched_taken[i]->priv->touched = 0;
        *n = s->ntouched_taken;
        return (const Meeting *const *)s->touched_taken;
}

static Meeting *meeting_get(State *s, const Event *ev)
{
        Meeting *m = HMap_get(&s->by_uuid, ev->meeting);
        if (!m) {
                m = xcalloc(1, sizeof *m);
                m->priv = xcalloc(1, sizeof *m->priv);
                m->uuid = xstrdup(ev->meeting); /* an identity: kept exact */
                m->started_at = m->ended_at = m->peak_at = m->video_since = TIME_NONE;
                m->reconciled_at = TIME_NONE;
                History_init(&m->history);
                HMap_init(&m->priv->sessions);
                HMap_init(&m->priv->waits);
                HMap_init(&m->priv->jbh);
                HMap_init(&m->priv->persons);
                HMap_init(&m->priv->wr_failures);
                HMap_init(&m->priv->orphan_left);
                HMap_put(&s->by_uuid, m->uuid, m);
                if (s->nmeetings == s->capmeetings) {
                        s->capmeetings = s->capmeetings ? s->capmeetings * 2 : 4;
                        s->meetings = xrealloc(s->meetings, s->capmeetings * sizeof(Meeting *));
                }
                m->index = s->nmeetings;
                s->meetings[s->nmeetings++] = m;
                meeting_set_limits(s, m);
        }
        touch(s, m);
        s->applying = m;
        if (*ev->id && (!m->id || strcmp(m->id, ev->id) != 0)) {
                free(m->id);
                m->id = text_sanitize(ev->id, CAPMON_TEXT_MAX);
                meeting_set_limits(s, m);
        }
        if (*ev->topic && (!m->topic || strcmp(m->topic, ev->topic) != 0)) {
                free(m->topic);
                m->topic = text_sanitize(ev->topic, CAPMON_TEXT_MAX);
        }
        /* an empty or implausible zone keeps the one known (it goes into TZ) */
        if (ev->timezone && tz_name_valid(ev->timezone) &&
            (!m->timezone || strcmp(m->timezone, ev->timezone) != 0)) {
                free(m->timezone);
                m->timezone = xstrdup(ev->timezone);
        }
        return m;
}

static Delegation *deleg_get(State *s, Meeting *m, const char *name)
{
        MeetingPriv *p = m->priv;
        size_t i = deleg_lower_bound(m, name);
        if (i < m->ndelegations && strcmp(m->delegations[i]->name, name) == 0)
                return m->delegations[i];
        Delegation *d = xcalloc(1, sizeof *d);
        d->name = name;
        d->meeting = m;
        d->changed_at = TIME_NONE;
        d->quota = quota_for(s, m, name);
        if (m->ndelegations == p->capdelegs) {
                p->capdelegs = p->capdelegs ? p->capdelegs * 2 : 4;
                m->delegations = xrealloc(m->delegations, p->capdelegs * sizeof(Delegation *));
        }
        memmove(m->delegations + i + 1, m->delegations + i,
                (m->ndelegations - i) * sizeof(Delegation *));
        m->delegations[i] = d;
        m->ndelegations++;
        return d;
}

/* ---- counting ---- */

static int counts(const Session *x)
{
        return x->state != S_CLOSED && !x->bound;
}

static void mark_dirty(State *s, Delegation *d)
{
        if (d->dirty)
                return;
        d->dirty = 1;
        if (s->ndirty == s->capdirty) {
                s->capdirty = s->capdirty ? s->capdirty * 2 : 64;
                s->dirty = xrealloc(s->dirty, s->capdirty * sizeof(Delegation *));
                s->taken = xrealloc(s->taken, s->capdirty * sizeof(Delegation *));
        }
        s->dirty[s->ndirty++] = d;
}

Delegation *const *State_take_dirty(State *s, size_t *n)
{
        Delegation **t = s->taken;
        s->taken = s->dirty;
        s->dirty = t;
        s->ntaken = s->ndirty;
        s->ndirty = 0;
        for (size_t i = 0; i < s->ntaken; i++)
                s->taken[i]->dirty = 0;
        *n = s->ntaken;
        return s->taken;
}

/* Add (sign 1) or remove (sign -1) a session's contribution to every count. */
static void contrib(State *s, Meeting *m, Session *x, int sign)
{
        if (!counts(x))
                return;
        mark_dirty(s, x->deleg);
        m->participants += sign;
        x->deleg->participants += sign;
        if (x->deleg->name == DELEG_UNIDENTIFIED)
                m->unidentified += sign;
        if (x->video) {
                m->video_on += sign;
                x->deleg->video_on += sign;
        }
        x->person->n += sign;
        if (x->person->n == 0 && sign < 0)
                m->people--;
        if (x->person->n == 1 && sign > 0)
                m->people++;
}

static void peaks(Meeting *m, const Session *x, int64_t t)
{
        if (m->participants > m->peak_participants) {
                m->peak_participants = m->participants;
                m->peak_at = t;
        }
        if (m->video_known && m->video_on > m->peak_video_on)
                m->peak_video_on = m->video_on;
        if (x && x->deleg->participants > x->deleg->peak)
                x->deleg->peak = x->deleg->participants;
}

/* ---- waiting-room heap (min on since; each Wait knows its index) ---- */

static void heap_swap(MeetingPriv *p, size_t a, size_t b)
{
        Wait *t = p->heap[a];
        p->heap[a] = p->heap[b];
        p->heap[b] = t;
        p->heap[a]->heap_idx = a;
        p->heap[b]->heap_idx = b;
}

static void heap_up(MeetingPriv *p, size_t i)
{
        while (i > 0 && p->heap[(i - 1) / 2]->since > p->heap[i]->since) {
                heap_swap(p, i, (i - 1) / 2);
                i = (i - 1) / 2;
        }
}

static void heap_down(MeetingPriv *p, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < p->nheap && p->heap[l]->since < p->heap[m]->since)
                        m = l;
                if (r < p->nheap && p->heap[r]->since < p->heap[m]->since)
                        m = r;
                if (m == i)
                        return;
                heap_swap(p, i, m);
                i = m;
        }
}

static void heap_push(MeetingPriv *p, Wait *w)
{
        if (p->nheap == p->capheap) {
                p->capheap = p->capheap ? p->capheap * 2 : 16;
                p->heap = xrealloc(p->heap, p->capheap * sizeof(Wait *));
        }
        w->heap_idx = p->nheap;
        p->heap[p->nheap++] = w;
        heap_up(p, w->heap_idx);
}

static void heap_remove(MeetingPriv *p, Wait *w)
{
        size_t i = w->heap_idx;
        p->nheap--;
        if (i != p->nheap) {
                heap_swap(p, i, p->nheap);
                heap_down(p, i);
                heap_up(p, i);
        }
}

static void wait_close(State *s, Meeting *m, Wait *w, int64_t t)
{
        w->open = 0;
        w->close_time = t;
        w->touched = stamp(s, t);
        m->waiting--;
        heap_remove(m->priv, w);
}

/* ---- join failures ---- */

static void ftimes_add(MeetingPriv *p, int64_t t)
{
        if (p->nftimes == p->capftimes) {
                p->capftimes = p->capftimes ? p->capftimes * 2 : 16;
                p->ftimes = xrealloc(p->ftimes, p->capftimes * sizeof(int64_t));
        }
        size_t i = upper_bound(p->ftimes, p->nftimes, t);
        memmove(p->ftimes + i + 1, p->ftimes + i, (p->nftimes - i) * sizeof(int64_t));
        p->ftimes[i] = t;
        p->nftimes++;
}

static void ftimes_remove(MeetingPriv *p, int64_t t)
{
        size_t i = upper_bound(p->ftimes, p->nftimes, t);
        if (i == 0 || p->ftimes[i - 1] != t)
                return;
        i--;
        memmove(p->ftimes + i, p->ftimes + i + 1, (p->nftimes - i - 1) * sizeof(int64_t));
        p->nftimes--;
}

static JoinFailure *failure_add(State *s, Meeting *m, int64_t t, const char *name,
                                const char *deleg, const char *reason, const char *detail)
{
        JoinFailure *f = xcalloc(1, sizeof *f);
        f->time = t;
        f->meeting = m;
        f->name = text_sanitize(name ? name : "", CAPMON_TEXT_MAX);
        f->delegation = deleg;
        f->reason = text_sanitize(reason && *reason ? reason : "other", CAPMON_TEXT_MAX);
        f->detail = detail && *detail ? text_sanitize(detail, CAPMON_TEXT_MAX) : NULL;
        if (s->nfailures == s->capfailures) {
                s->capfailures = s->capfailures ? s->capfailures * 2 : 64;
                s->failures = xrealloc(s->failures, s->capfailures * sizeof(JoinFailure *));
        }
        s->failures[s->nfailures++] = f;
        m->join_failures++;
        ftimes_add(m->priv, t);
        return f;
}

static void failure_cancel(Meeting *m, JoinFailure *f)
{
        f->cancelled = 1;
        m->join_failures--;
        ftimes_remove(m->priv, f->time);
}

/* ---- identity ---- */

static Person *person_get(Meeting *m, const Event *ev)
{
        char *key = Event_person_key(ev);
        Person *pp = HMap_get(&m->priv->persons, key);
        if (!pp) {
                size_t n = strlen(key) + 1;
                pp = xcalloc(1, sizeof *pp + n);
                memcpy(pp->key, key, n);
                HMap_put(&m->priv->persons, pp->key, pp);
        }
        free(key);
        return pp;
}

static const char *resolve(State *s, const Event *ev, const char *clean_name)
{
        PartIdent id = {clean_name, ev->email, ev->registrant_id, ev->phone};
        return Resolver_resolve(s->res, &id);
}

/* ---- video facts ---- */

static void video_source_set(Meeting *m, const char *source)
{
        m->video_source = source;
        m->video_estimate = strcmp(source, "qos") == 0 || strcmp(source, "qss") == 0;
        m->video_known = 1;
}

static void session_video(State *s, Meeting *m, Session *x, int v, int64_t t)
{
        if (x->video == v)
                return;
        contrib(s, m, x, -1);
        x->video = (unsigned char)v;
        x->video_since = v ? t : TIME_NONE;
        contrib(s, m, x, 1);
}

static void held_min_update(State *s)
{
        s->held_min = INT64_MAX;
        for (size_t i = 0; i < s->nheld; i++)
                if (s->held[i].time < s->held_min)
                        s->held_min = s->held[i].time;
}

/* Session x of m has just opened: the video facts that waited for it apply,
 * in the order they arrived, and count as applied. */
static void held_release(State *s, Meeting *m, Session *x, int64_t t)
{
        size_t o = 0, n = 0;
        for (size_t i = 0; i < s->nheld; i++) {
                Held *h = &s->held[i];
                if (strcmp(h->meeting, m->uuid) != 0 || strcmp(h->key, x->key) != 0) {
                        s->held[o++] = *h;
                        continue;
                }
                session_video(s, m, x, h->video, h->time);
                video_source_set(m, h->source);
                HSet64_add(&s->seen, h->dk);
                State_count(s, OUT_APPLIED);
                free(h->meeting);
                free(h->key);
                n++;
        }
        s->nheld = o;
        if (n) {
                held_min_update(s);
                peaks(m, x, t);
        }
}

/* ---- the rules ---- */

static Outcome on_ended(State *s, Meeting *m, int64_t t)
{
        if (m->ended) {
                m->ended_at = max64(m->ended_at, t);
                return OUT_APPLIED;
        }
        m->ended = 1;
        m->ended_at = t;
        MeetingPriv *p = m->priv;
        for (size_t i = 0; i < p->sessions.cap; i++) {
                Session *x = p->sessions.slots[i].value;
                if (!p->sessions.slots[i].key || x->state == S_CLOSED)
                        continue;
                contrib(s, m, x, -1);
                x->state = S_CLOSED;
                x->close_time = t;
                x->touched = stamp(s, t);
                x->video = 0;
        }
        while (p->nheap)
                wait_close(s, m, p->heap[0], t);
        for (size_t i = 0; i < p->jbh.cap; i++) {
                if (p->jbh.slots[i].key)
                        ((Jbh *)p->jbh.slots[i].value)->open = 0;
        }
        retire_push(s, m, time_add(t, s->retire_ms));
        return OUT_APPLIED;
}

/* Open session ev->key (x: its closed entry, or NULL) at ev->time. */
static Session *session_open(State *s, Meeting *m, Session *x, const Event *ev)
{
        MeetingPriv *p = m->priv;
        if (!x) {
                x = xcalloc(1, sizeof *x);
                x->key = xstrdup(ev->key);
                HMap_put(&p->sessions, x->key, x);
        }
        free(x->name);
        x->name = text_sanitize(ev->user_name, CAPMON_TEXT_MAX);
        x->person = person_get(m, ev);
        x->deleg = deleg_get(s, m, resolve(s, ev, x->name));
        x->join_time = ev->time;
        x->close_time = TIME_NONE;
        x->touched = stamp(s, ev->time);
        x->state = S_IN;
        x->video = 0;
        x->bound = 0;
        x->role[0] = '\0';
        contrib(s, m, x, 1);
        return x;
}

/* ---- retiring ended meetings (min-heap on the retirement time) ---- */

static void rq_swap(State *s, size_t a, size_t b)
{
        RetireEntry t = s->rq[a];
        s->rq[a] = s->rq[b];
        s->rq[b] = t;
}

static void retire_push(State *s, Meeting *m, int64_t at)
{
        if (m->priv->queued)
                return; /* the queued entry looks at ended_at again when due */
        m->priv->queued = 1;
        if (s->nrq == s->caprq) {
                s->caprq = s->caprq ? s->caprq * 2 : 16;
                s->rq = xrealloc(s->rq, s->caprq * sizeof *s->rq);
        }
        size_t i = s->nrq++;
        s->rq[i] = (RetireEntry){at, m};
        while (i > 0 && s->rq[(i - 1) / 2].at > s->rq[i].at) {
                rq_swap(s, i, (i - 1) / 2);
                i = (i - 1) / 2;
        }
}

static Meeting *retire_pop(State *s)
{
        Meeting *m = s->rq[0].m;
        s->rq[0] = s->rq[--s->nrq];
        for (size_t i = 0;;) {
                size_t l = 2 * i + 1, r = l + 1, k = i;
                if (l < s->nrq && s->rq[l].at < s->rq[k].at)
                        k = l;
                if (r < s->nrq && s->rq[r].at < s->rq[k].at)
                        k = r;
                if (k == i)
                        break;
                rq_swap(s, i, k);
                i = k;
        }
        m->priv->queued = 0;
        return m;
}

/* Retire the ended meetings whose time has come: drop their sessions, waiting
 * entries and persons; keep the summary the snapshot shows (docs/semantics.md). A
 * meeting re-opened since is skipped; one that ended again later, or that still
 * has someone in (a join after its end), waits longer. */
/* 1 when nothing of the state points at m any more but its own lists: not in the
 * touched list, no delegation in the dirty list. */
static int unreferenced(const Meeting *m)
{
        if (m->priv->touched)
                return 0;
        for (size_t i = 0; i < m->ndelegations; i++) {
                if (m->delegations[i]->dirty)
                        return 0;
        }
        return 1;
}

/* Drop the meetings marked `forget`: from the list (the others are renumbered),
 * the uuid index and the join failures. One pass over both lists per batch. */
static void forget_batch(State *s)
{
        size_t o = 0;
        for (size_t i = 0; i < s->nfailures; i++) {
                JoinFailure *f = s->failures[i];
                if (!f->meeting->priv->forget) {
                        s->failures[o++] = f;
                        continue;
                }
                free(f->name);
                free(f->reason);
                free(f->detail);
                free(f);
        }
        s->nfailures = o;
        o = 0;
        for (size_t i = 0; i < s->nmeetings; i++) {
                Meeting *m = s->meetings[i];
                if (!m->priv->forget) {
                        m->index = o;
                        s->meetings[o++] = m;
                        continue;
                }
                HMap_del(&s->by_uuid, m->uuid);
                s->nretired--;
                s->nforgotten++;
                meeting_free(m);
        }
        s->nmeetings = o;
}

/* Retire the ended meetings whose time has come: drop their sessions, waiting
 * entries and persons; keep the summary the snapshot shows (docs/semantics.md).
 * Later still (forget_ended_after), drop the summary too. A meeting re-opened
 * since is skipped; one that ended again later, or that still has someone in (a
 * join after its end), waits longer. */
static void retire_due(State *s)
{
        int forgot = 0;
        while (s->nrq && s->rq[0].at <= s->clock) {
                Meeting *m = retire_pop(s);
                if (!m->ended)
                        continue;
                int64_t at = time_add(m->ended_at, m->retired ? s->forget_ms : s->retire_ms);
                if (at > s->clock) {
                        retire_push(s, m, at);
                        continue;
                }
                if (m->participants || m->waiting) {
                        retire_push(s, m, time_add(s->clock, s->retire_ms));
                        continue;
                }
                if (!m->retired) {
                        meeting_clear(m);
                        s->nretired++;
                        m->retired = 1;
                        if (s->forget_ms)
                                retire_push(s, m, time_add(m->ended_at, s->forget_ms));
                        continue;
                }
                if (!unreferenced(m)) {
                        retire_push(s, m, time_add(s->clock, 1));
                        continue;
                }
                m->priv->forget = 1;
                forgot = 1;
        }
        if (forgot)
                forget_batch(s);
}

static Outcome on_joined(State *s, Meeting *m, const Event *ev)
{
        MeetingPriv *p = m->priv;
        Session *x = HMap_get(&p->sessions, ev->key);
        if (x && x->state == S_IN)
                return OUT_DUPLICATE;
        if (x && x->state == S_BREAKOUT) {
                x->state = S_IN;
                return OUT_APPLIED;
        }
        if (x && x->close_time >= ev->time)
                return OUT_STALE;
        x = session_open(s, m, x, ev);
        peaks(m, x, ev->time);
        if (s->nheld)
                held_release(s, m, x, ev->time);
        JoinFailure *f = HMap_get(&p->wr_failures, ev->key);
        if (f && !f->cancelled && within_ms(f->time, ev->time, WR_JOIN_MS))
                failure_cancel(m, f);
        return OUT_APPLIED;
}

static void session_close(State *s, Meeting *m, Session *x, int64_t t)
{
        contrib(s, m, x, -1);
        x->state = S_CLOSED;
        x->close_time = t;
        x->touched = stamp(s, t);
        x->video = 0;
}

/* An orphan leave changes no count, but a reconcile fetched before it must not
 * open that session (docs/semantics.md, "Reconcile"). */
static void orphan_left(State *s, Meeting *m, const Event *ev)
{
        Stamp *st = HMap_get(&m->priv->orphan_left, ev->key);
        if (!st) {
                size_t n = strlen(ev->key) + 1;
                st = xcalloc(1, sizeof *st + n);
                memcpy(st->key, ev->key, n);
                st->at = TIME_NONE;
                HMap_put(&m->priv->orphan_left, st->key, st);
        }
        st->at = max64(st->at, stamp(s, ev->time));
}

static Outcome on_left(State *s, Meeting *m, const Event *ev)
{
        Session *x = HMap_get(&m->priv->sessions, ev->key);
        if (!x) {
                orphan_left(s, m, ev);
                return OUT_ORPHAN;
        }
        if (x->state == S_CLOSED)
                return OUT_DUPLICATE;
        if (ev->time < x->join_time)
                return OUT_STALE;
        if (text_contains_ci(ev->leave_reason, "breakout room")) {
                x->state = S_BREAKOUT;
                return OUT_APPLIED;
        }
        session_close(s, m, x, ev->time);
        if (within_ms(ev->time, x->join_time, DROP_WINDOW_MS) &&
            (text_contains_ci(ev->leave_reason, "disconnected") ||
             text_contains_ci(ev->leave_reason, "connection")))
                failure_add(s, m, ev->time, x->name, x->deleg->name, "dropped_on_join",
                            ev->leave_reason);
        return OUT_APPLIED;
}

static Wait *wait_open(State *s, Meeting *m, Wait *w, const Event *ev)
{
        MeetingPriv *p = m->priv;
        if (!w) {
                w = xcalloc(1, sizeof *w);
                w->key = xstrdup(ev->key);
                HMap_put(&p->waits, w->key, w);
        }
        free(w->name);
        w->name = text_sanitize(ev->user_name, CAPMON_TEXT_MAX);
        w->deleg = resolve(s, ev, w->name);
        w->since = ev->time;
        w->close_time = TIME_NONE;
        w->touched = stamp(s, ev->time);
        w->open = 1;
        w->admitted = w->left = 0;
        heap_push(p, w);
        m->waiting++;
        return w;
}

static Outcome on_wr_joined(State *s, Meeting *m, const Event *ev)
{
        Wait *w = HMap_get(&m->priv->waits, ev->key);
        if (w && w->open)
                return OUT_DUPLICATE;
        if (w && w->close_time >= ev->time)
                return OUT_STALE;
        wait_open(s, m, w, ev);
        return OUT_APPLIED;
}

static Outcome on_admitted(State *s, Meeting *m, const Event *ev)
{
        Wait *w = HMap_get(&m->priv->waits, ev->key);
        if (!w)
                return OUT_ORPHAN;
        if (!w->open)
                return OUT_DUPLICATE;
        w->admitted = 1;
        wait_close(s, m, w, ev->time);
        return OUT_APPLIED;
}

static Outcome on_wr_left(State *s, Meeting *m, const Event *ev)
{
        MeetingPriv *p = m->priv;
        Wait *w = HMap_get(&p->waits, ev->key);
        if (!w)
                return OUT_ORPHAN;
        if (!w->open) {
                if (w->admitted && !w->left) {
                        w->left = 1;
                        return OUT_APPLIED;
                }
                return OUT_DUPLICATE;
        }
        wait_close(s, m, w, ev->time);
        w->left = 1;
        Session *x = HMap_get(&p->sessions, ev->key);
        if (x && x->join_time != TIME_NONE && within_ms(x->join_time, ev->time, WR_JOIN_MS))
                return OUT_APPLIED;
        const char *reason = text_contains_ci(ev->leave_reason, "removed")
                                 ? "rejected_from_waiting_room"
                                 : "waiting_room_abandoned";
        const char *name = *w->name ? w->name : ev->user_name;
        JoinFailure *f = failure_add(s, m, ev->time, name, w->deleg, reason, NULL);
        HMap_put(&p->wr_failures, w->key, f);
        return OUT_APPLIED;
}

static Outcome on_put_in_wr(State *s, Meeting *m, const Event *ev)
{
        MeetingPriv *p = m->priv;
        Session *x = HMap_get(&p->sessions, ev->key);
        Wait *w = HMap_get(&p->waits, ev->key);
        if (x && x->state != S_CLOSED) {
                session_close(s, m, x, ev->time);
                if (!w || !w->open)
                        wait_open(s, m, w, ev);
                return OUT_APPLIED;
        }
        if (x && x->close_time >= ev->time)
                return OUT_STALE;
        if (w && w->open)
                return OUT_DUPLICATE;
        wait_open(s, m, w, ev);
        return OUT_APPLIED;
}

static Jbh *jbh_get(Meeting *m, const char *key, int create)
{
        Jbh *j = HMap_get(&m->priv->jbh, key);
        if (!j && create) {
                j = xcalloc(1, sizeof *j);
                j->key = xstrdup(key);
                HMap_put(&m->priv->jbh, j->key, j);
        }
        return j;
}

static Outcome on_jbh(State *s, Meeting *m, const Event *ev)
{
        Jbh *j = jbh_get(m, ev->key, ev->type == EV_JBH_WAITING);
        if (ev->type == EV_JBH_WAITING) {
                if (j->open)
                        return OUT_DUPLICATE;
                j->open = 1;
                return OUT_APPLIED;
        }
        if (ev->type == EV_JBH_JOINED) {
                if (j)
                        j->open = 0;
                return OUT_APPLIED;
        }
        /* EV_JBH_WAITING_LEFT */
        if (j && !j->open)
                return OUT_DUPLICATE;
        if (j)
                j->open = 0;
        if (m->started_at == TIME_NONE || m->started_at > ev->time) {
                char *name = text_sanitize(ev->user_name, CAPMON_TEXT_MAX);
                failure_add(s, m, ev->time, name, resolve(s, ev, name), "host_absent", NULL);
                free(name);
        }
        return OUT_APPLIED;
}

/* Events that act on an open session only (else orphan). */
static Outcome on_session_fact(State *s, Meeting *m, const Event *ev)
{
        Session *x = HMap_get(&m->priv->sessions, ev->key);
        if (!x || x->state == S_CLOSED)
                return OUT_ORPHAN;
        switch (ev->type) {
        case EV_BO_JOINED:
                x->state = S_BREAKOUT;
                break;
        case EV_BO_LEFT:
                x->state = S_IN;
                break;
        case EV_ROLE:
                xsnprintf(x->role, sizeof x->role, "%s", ev->new_role);
                break;
        case EV_BIND:
                contrib(s, m, x, -1);
                x->bound = 1;
                break;
        case EV_VIDEO:
        case EV_QOS: {
                int v = ev->type == EV_VIDEO ? ev->video : ev->qos_video;
                if (v < 0)
                        break;
                session_video(s, m, x, v, ev->time);
                video_source_set(m, ev->source);
                peaks(m, x, ev->time);
                break;
        }
        default:
                break;
        }
        return OUT_APPLIED;
}

/* capmon.participant_video: a session never seen waits for its join
 * (VIDEO_WAIT_MS of event time); a known one takes the fact at once. */
static Outcome on_video(State *s, Meeting *m, const Event *ev, uint64_t dk)
{
        if (HMap_get(&m->priv->sessions, ev->key))
                return on_session_fact(s, m, ev);
        if (s->clock > time_add(ev->time, VIDEO_WAIT_MS) || s->nheld == HELD_MAX)
                return OUT_ORPHAN;
        for (size_t i = 0; i < s->nheld; i++)
                if (s->held[i].dk == dk)
                        return OUT_DUPLICATE;
        if (s->nheld == s->capheld) {
                s->capheld = s->capheld ? 2 * s->capheld : 16;
                s->held = xrealloc(s->held, s->capheld * sizeof *s->held);
        }
        s->held[s->nheld++] = (Held){.meeting = xstrdup(m->uuid),
                                     .key = xstrdup(ev->key),
                                     .time = ev->time,
                                     .dk = dk,
                                     .source = ev->source,
                                     .video = (unsigned char)ev->video};
        if (s->nheld == 1 || ev->time < s->held_min)
                s->held_min = ev->time;
        return OUT_HELD;
}

/* capmon.video_sync: a source starts following changes (partial), or gives
 * the whole picture (full: the listed sessions on, every other open one off). */
static Outcome on_video_sync(State *s, Meeting *m, const Event *ev)
{
        video_source_set(m, ev->source);
        if (!ev->full) {
                m->video_since = ev->time;
                peaks(m, NULL, ev->time);
                return OUT_APPLIED;
        }
        m->video_since = TIME_NONE;
        HMap on;
        HMap_init(&on);
        size_t n = json_array_size(ev->video_on), i;
        char(*num)[24] = xcalloc(n ? n : 1, sizeof *num);
        json_t *v;
        json_array_foreach(ev->video_on, i, v)
        {
                if (json_is_string(v))
                        HMap_put(&on, json_string_value(v), intptr(1));
                else if (json_is_integer(v)) {
                        xsnprintf(num[i], sizeof num[i], "%lld", (long long)json_integer_value(v));
                        HMap_put(&on, num[i], intptr(1));
                }
        }
        MeetingPriv *p = m->priv;
        for (size_t k = 0; k < p->sessions.cap; k++) {
                Session *x = p->sessions.slots[k].value;
                if (p->sessions.slots[k].key && x->state != S_CLOSED)
                        session_video(s, m, x, HMap_get(&on, x->key) != NULL, ev->time);
        }
        HMap_done(&on);
        free(num);
        peaks(m, NULL, ev->time);
        return OUT_APPLIED;
}

static Outcome on_join_failed(State *s, Meeting *m, const Event *ev)
{
        char detail[48] = "";
        char *name = text_sanitize(ev->user_name, CAPMON_TEXT_MAX);
        if (ev->code >= 0)
                xsnprintf(detail, sizeof detail, "code %lld", (long long)ev->code);
        failure_add(s, m, ev->time, name, resolve(s, ev, name), ev->reason, detail);
        free(name);
        return OUT_APPLIED;
}

/* ---- capmon.reconcile (docs/semantics.md §3.8) ----
 * Zoom's live list at fetch start F is the truth, except where the monitor knows
 * better: an open or close stamped at or after F (event time or arrival) wins. */

/* Pass 1: mark the open sessions and waiting entries the list names. */
static void recon_mark(Meeting *m, const Event *re, int rs, unsigned gen)
{
        MeetingPriv *p = m->priv;
        if (rs == ROW_IN_MEETING) {
                Session *x = HMap_get(&p->sessions, re->key);
                if (x && x->state != S_CLOSED)
                        x->gen = gen;
        } else {
                Wait *w = HMap_get(&p->waits, re->key);
                if (w && w->open)
                        w->gen = gen;
        }
}

/* Pass 2: close what the list did not name and nothing newer than f touched. */
static int recon_sweep(State *s, Meeting *m, int64_t f, unsigned gen)
{
        MeetingPriv *p = m->priv;
        int closed = 0;
        for (size_t i = 0; i < p->sessions.cap; i++) {
                Session *x = p->sessions.slots[i].value;
                if (!p->sessions.slots[i].key || x->state == S_CLOSED || x->gen == gen ||
                    x->touched >= f)
                        continue;
                session_close(s, m, x, f);
                closed++;
        }
        for (size_t i = 0; i < p->waits.cap; i++) {
                Wait *w = p->waits.slots[i].value;
                if (!p->waits.slots[i].key || !w->open || w->gen == gen || w->touched >= f)
                        continue;
                wait_close(s, m, w, f);
                closed++;
        }
        return closed;
}

/* Pass 3: open the listed people the monitor does not have (1 when it did),
 * unless something at or after f says otherwise. */
static int recon_open(State *s, Meeting *m, const Event *re, int rs, int64_t f)
{
        MeetingPriv *p = m->priv;
        Session *x = HMap_get(&p->sessions, re->key);
        Wait *w = HMap_get(&p->waits, re->key);
        if (rs == ROW_IN_MEETING) {
                Stamp *gone = x ? NULL : HMap_get(&p->orphan_left, re->key);
                if ((x && (x->state != S_CLOSED || x->touched >= f)) || (w && w->open) ||
                    (gone && gone->at >= f))
                        return 0; /* open, left after f, or waiting since after f */
                x = session_open(s, m, x, re);
                peaks(m, x, f);
                if (s->nheld)
                        held_release(s, m, x, f);
                return 1;
        }
        if ((w && (w->open || w->touched >= f)) || (x && x->state != S_CLOSED) ||
            (x && x->touched >= f))
                return 0;
        wait_open(s, m, w, re);
        return 1;
}

/* Row i of the list as the participant of a join, timed by its join_time (at
 * most f); ROW_LEFT for rows of people who left (they stay in Zoom's list).
 * The rows are a jansson tree (the reference read the record) or already read
 * (the fast path: ev->recon, without the rows of people who left). */
static int recon_row(const Event *ev, size_t i, Event *re, int64_t f)
{
        int rs;
        if (ev->rows) {
                char why[8];
                rs = Event_reconcile_row(json_array_get(ev->rows, i), re, why, sizeof why);
        } else {
                const Event *src = &ev->recon[i];
                *re = *src;
                if (src->pid == src->pidbuf)
                        re->pid = re->pidbuf;
                if (src->key == src->pidbuf)
                        re->key = re->pidbuf;
                rs = re->type == EV_WR_JOINED ? ROW_WAITING : ROW_IN_MEETING;
        }
        if (rs > ROW_LEFT && (re->time == TIME_NONE || re->time > f))
                re->time = f;
        return rs < 0 ? ROW_LEFT : rs;
}

static Outcome on_reconcile(State *s, Meeting *m, const Event *ev)
{
        MeetingPriv *p = m->priv;
        int64_t f = ev->time;
        int opened = 0;
        size_t n = ev->rows ? json_array_size(ev->rows) : ev->nrecon;
        Event re;
        if (++p->recon_gen == 0) /* 0 marks never listed */
                p->recon_gen = 1;
        for (size_t i = 0; i < n; i++) {
                int rs = recon_row(ev, i, &re, f);
                if (rs != ROW_LEFT)
                        recon_mark(m, &re, rs, p->recon_gen);
                if (rs != ROW_LEFT && m->ended) { /* people listed after the end */
                        m->ended = 0;
                        m->ended_at = TIME_NONE;
                }
        }
        int closed = recon_sweep(s, m, f, p->recon_gen);
        for (size_t i = 0; i < n; i++) {
                int rs = recon_row(ev, i, &re, f);
                if (rs != ROW_LEFT)
                        opened += recon_open(s, m, &re, rs, f);
        }
        m->reconciled_at = f;
        m->reconcile_opened = opened;
        m->reconcile_closed = closed;
        m->reconciles++;
        return OUT_APPLIED;
}

static uint64_t dedupe_key(const Event *ev)
{
        uint64_t h = hash_fnv1a(FNV_OFFSET, ev->name, strlen(ev->name) + 1);
        h = hash_fnv1a(h, ev->meeting, strlen(ev->meeting) + 1);
        const char *key = ev->key ? ev->key : "";
        h = hash_fnv1a(h, key, strlen(key) + 1);
        return hash_fnv1a(h, &ev->time, sizeof ev->time);
}

static Outcome apply(State *s, const Event *ev, uint64_t dk)
{
        State_advance(s, ev->time);
        if (HSet64_has(&s->seen, dk) || HSet64_has(&s->seen_old, dk))
                return OUT_DUPLICATE;
        Meeting *m = meeting_get(s, ev);
        if (m->ended && (Event_is_participant(ev->type) || ev->type == EV_RECONCILE) &&
            ev->time <= m->ended_at)
                return OUT_STALE;
        if (ev->time > m->last_event)
                m->last_event = ev->time; /* the dashboard opens on the latest meeting */
        Outcome o;
        switch (ev->type) {
        case EV_STARTED:
                if (m->ended && ev->time <= m->ended_at)
                        return OUT_STALE;
                if (m->retired) {
                        m->retired = 0;
                        s->nretired--;
                }
                m->ended = 0;
                m->ended_at = TIME_NONE;
                m->started_at = ev->time;
                o = OUT_APPLIED;
                break;
        case EV_ENDED:
                o = on_ended(s, m, ev->time);
                break;
        case EV_ALERT:
                o = OUT_APPLIED;
                break;
        case EV_JOINED:
                o = on_joined(s, m, ev);
                break;
        case EV_LEFT:
                o = on_left(s, m, ev);
                break;
        case EV_WR_JOINED:
                o = on_wr_joined(s, m, ev);
                break;
        case EV_ADMITTED:
                o = on_admitted(s, m, ev);
                break;
        case EV_WR_LEFT:
                o = on_wr_left(s, m, ev);
                break;
        case EV_PUT_IN_WR:
                o = on_put_in_wr(s, m, ev);
                break;
        case EV_JBH_WAITING:
        case EV_JBH_WAITING_LEFT:
        case EV_JBH_JOINED:
                o = on_jbh(s, m, ev);
                break;
        case EV_JOIN_FAILED:
                o = on_join_failed(s, m, ev);
                break;
        case EV_RECONCILE:
                o = on_reconcile(s, m, ev);
                break;
        case EV_VIDEO:
                o = on_video(s, m, ev, dk);
                break;
        case EV_VIDEO_SYNC:
                o = on_video_sync(s, m, ev);
                break;
        default:
                o = on_session_fact(s, m, ev);
                break;
        }
        if (o == OUT_APPLIED)
                HSet64_add(&s->seen, dk);
        return o;
}

/* After a record: the history of its meeting, and when and which way the
 * delegations it changed moved (the dirty list holds them, and maybe some of
 * earlier records not taken yet, which have not moved since). */
static void note_changes(State *s)
{
        Meeting *m = s->applying;
        s->applying = NULL;
        if (m)
                History_note(&m->history, s->clock, m->participants,
                             m->video_known ? m->video_on : -1);
        for (size_t i = 0; i < s->ndirty; i++) {
                Delegation *d = s->dirty[i];
                int dp = d->participants - d->seen_participants, dv = d->video_on - d->seen_video;
                if (dp == 0 && dv == 0)
                        continue;
                d->changed_at = s->clock;
                d->change = dp > 0 || (dp == 0 && dv > 0) ? 1 : -1;
                d->seen_participants = d->participants;
                d->seen_video = d->video_on;
        }
}

Outcome State_apply(State *s, const Event *ev)
{
        uint64_t dk = dedupe_key(ev); /* a retry carries the same event_ts */
        Outcome o;
        int64_t limit = ev->recv == TIME_NONE ? TIME_NONE : time_add(ev->recv, s->ahead_ms);
        s->cur_recv = ev->recv;
        if (limit != TIME_NONE && ev->time > limit) {
                Event e = *ev;
                e.time = limit;
                s->counters.clamped++;
                o = apply(s, &e, dk);
        } else {
                o = apply(s, ev, dk);
        }
        State_count(s, o);
        note_changes(s);
        return o;
}

static int video_on_cmp(const void *a, const void *b)
{
        const VideoOn *x = a, *y = b;
        if (x->since != y->since)
                return x->since < y->since ? -1 : 1;
        return strcmp(x->key, y->key);
}

size_t State_video_on(const State *s, const Meeting *m, VideoOn *out, size_t max)
{
        (void)s;
        const MeetingPriv *p = m->priv;
        size_t n = 0;
        VideoOn *all = xcalloc((size_t)m->video_on + 1, sizeof *all);
        for (size_t i = 0; i < p->sessions.cap && n < (size_t)m->video_on; i++) {
                const Session *x = p->sessions.slots[i].value;
                if (!p->sessions.slots[i].key || !counts(x) || !x->video)
                        continue;
                all[n++] = (VideoOn){x->key, x->name, x->deleg->name, x->video_since};
        }
        qsort(all, n, sizeof *all, video_on_cmp);
        if (out && max)
                memcpy(out, all, (n < max ? n : max) * sizeof *out);
        free(all);
        return n;
}
