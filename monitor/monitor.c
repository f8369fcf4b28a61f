#include "monitor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "util.h"

struct Monitor {
        const Config *cfg;
        Resolver *res;
        State *state;
        Alerts *alerts;
        Extractor *x; /* Monitor_feed's parser */
        void (*observer)(void *ud, const Event *ev);
        void *observer_ud;
};

void Monitor_set_observer(Monitor *m, void (*fn)(void *ud, const Event *ev), void *ud)
{
        m->observer = fn;
        m->observer_ud = ud;
}

Monitor *Monitor_new(const Config *cfg, char *err, size_t errlen)
{
        Monitor *m = xcalloc(1, sizeof *m);
        m->cfg = cfg;
        m->res = Resolver_new();
        m->x = Extractor_new();
        if (Resolver_apply_config(m->res, cfg, err, errlen))
                goto fail;
        m->state = State_new(m->res, cfg);
        m->alerts = Alerts_new(cfg);
        return m;
fail:
        Monitor_free(m);
        return NULL;
}

void Monitor_free(Monitor *m)
{
        if (!m)
                return;
        Alerts_free(m->alerts);
        State_free(m->state);
        Resolver_free(m->res);
        Extractor_free(m->x);
        free(m);
}

const State *Monitor_state(const Monitor *m)
{
        return m->state;
}

Alerts *Monitor_alerts(Monitor *m)
{
        return m->alerts;
}

const Alerts *Monitor_alerts_const(const Monitor *m)
{
        return m->alerts;
}

const Config *Monitor_config(const Monitor *m)
{
        return m->cfg;
}

static void evaluate(Monitor *m)
{
        size_t n, nt;
        Delegation *const *dirty = State_take_dirty(m->state, &n);
        const Meeting *const *touched = State_take_touched(m->state, &nt);
        Alerts_evaluate(m->alerts, m->state, touched, nt, dirty, n);
}

void Monitor_tick(Monitor *m, int64_t now)
{
        State_advance(m->state, now);
        evaluate(m);
}

void Monitor_finish(Monitor *m)
{
        State_finish(m->state);
}

void Monitor_count_invalid(Monitor *m)
{
        State_count(m->state, OUT_INVALID);
}

static Outcome invalid(Monitor *m, char *err, size_t errlen, const char *why)
{
        if (why)
                xsnprintf(err, errlen, "%s", why);
        State_count(m->state, OUT_INVALID);
        return OUT_INVALID;
}

static Outcome feed_event(Monitor *m, Event *ev, int64_t recv, char *err, size_t errlen)
{
        if (ev->type == EV_UNKNOWN) {
                State_count(m->state, OUT_IGNORED);
                return OUT_IGNORED;
        }
        ev->recv = recv;
        if (ev->time == TIME_NONE)
                ev->time = recv != TIME_NONE ? recv : State_clock(m->state);
        if (ev->time == TIME_NONE)
                return invalid(m, err, errlen,
                               "no event time (event_ts, participant time or recv)");
        Outcome o = State_apply(m->state, ev);
        if (o == OUT_APPLIED) {
                evaluate(m);
                if (m->observer)
                        m->observer(m->observer_ud, ev);
        }
        return o;
}

Outcome Monitor_feed_msg(Monitor *m, const Msg *msg, int64_t recv, char *err, size_t errlen)
{
        switch (msg->kind) {
        case MSG_NOT_JSON:
        case MSG_INVALID:
                return invalid(m, err, errlen, msg->err);
        case MSG_OTHER:
                return OUT_NONE;
        case MSG_EVENT:
                break;
        }
        Event ev = msg->ev;
        return feed_event(m, &ev, msg->recv != TIME_NONE ? msg->recv : recv, err, errlen);
}

Outcome Monitor_feed_json(Monitor *m, json_t *root, int64_t recv, char *err, size_t errlen)
{
        Msg msg;
        Msg_from_json(root, &msg);
        Outcome o = Monitor_feed_msg(m, &msg, recv, err, errlen);
        Msg_done(&msg);
        return o;
}

Outcome Monitor_feed(Monitor *m, const char *text, size_t len, int64_t recv, char *err,
                     size_t errlen)
{
        Msg msg;
        Event_extract(m->x, text, len, &msg);
        return Monitor_feed_msg(m, &msg, recv, err, errlen);
}

/* ---- snapshot ---- */

/* Whole numbers as integers, others as reals. */
static json_t *jnum(double v)
{
        if (v == floor(v) && fabs(v) < 9e15)
                return json_integer((json_int_t)v);
        return json_real(v);
}

/* ---- people lists (unidentified, waiting): oldest first, then by name ---- */

typedef struct PeopleList {
        PersonInfo *v;
        size_t n, cap;
        const char *only; /* delegation filter (interned), or NULL */
} PeopleList;

static void people_add(void *ud, const PersonInfo *p)
{
        PeopleList *l = ud;
        if (l->only && p->delegation != l->only)
                return;
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = xrealloc(l->v, l->cap * sizeof *l->v);
        }
        l->v[l->n++] = *p;
}

static int people_cmp(const void *x, const void *y)
{
        const PersonInfo *a = x, *b = y;
        if (a->since != b->since)
                return a->since < b->since ? -1 : 1;
        return strcmp(a->name, b->name);
}

static json_t *snap_people(const Meeting *mt, PeopleKind kind, const char *only)
{
        PeopleList l = {NULL, 0, 0, only};
        Meeting_each_person(mt, kind, people_add, &l);
        if (l.n > 1)
                qsort(l.v, l.n, sizeof *l.v, people_cmp);
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
                json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "name", l.v[i].name,
                                                   "delegation", l.v[i].delegation, "since",
                                                   json_time_or_null(l.v[i].since)));
        free(l.v);
        return a;
}

static json_t *snap_meeting(const Meeting *mt)
{
        json_t *o = json_object();
        json_object_set_new(o, "uuid", json_string(mt->uuid));
        json_object_set_new(o, "id", json_str_or_null(mt->id));
        json_object_set_new(o, "topic", json_str_or_null(mt->topic));
        json_object_set_new(o, "timezone", json_str_or_null(mt->timezone));
        json_object_set_new(o, "status", json_string(mt->ended ? "ended" : "live"));
        json_object_set_new(o, "started_at", json_time_or_null(mt->started_at));
        json_object_set_new(o, "ended_at", json_time_or_null(mt->ended_at));
        json_object_set_new(o, "capacity", json_integer(mt->capacity));
        json_object_set_new(o, "video_limit", json_integer(mt->video_limit));
        json_object_set_new(o, "participants", json_integer(mt->participants));
        json_object_set_new(o, "people", json_integer(mt->people));
        json_object_set_new(o, "waiting", json_integer(mt->waiting));
        json_object_set_new(o, "video_on",
                            mt->video_known ? json_integer(mt->video_on) : json_null());
        json_object_set_new(o, "video_source", json_str_or_null(mt->video_source));
        json_object_set_new(o, "video_estimate", json_boolean(mt->video_estimate));
        json_object_set_new(o, "video_since", json_time_or_null(mt->video_since));
        json_object_set_new(o, "peak_participants", json_integer(mt->peak_participants));
        json_object_set_new(o, "peak_at", json_time_or_null(mt->peak_at));
        json_object_set_new(o, "peak_video_on", json_integer(mt->peak_video_on));
        json_object_set_new(o, "unidentified", json_integer(mt->unidentified));
        json_object_set_new(o, "join_failures", json_integer(mt->join_failures));
        json_object_set_new(o, "unidentified_list",
                            mt->unidentified ? snap_people(mt, PEOPLE_IN, DELEG_UNIDENTIFIED)
                                             : json_array());
        json_object_set_new(o, "waiting_list",
                            mt->waiting ? snap_people(mt, PEOPLE_WAITING, NULL) : json_array());
        json_t *ds = json_array();
        for (size_t i = 0; i < mt->ndelegations; i++) {
                const Delegation *d = mt->delegations[i];
                json_array_append_new(
                    ds, json_pack("{s:s, s:i, s:i, s:i, s:o}", "name", d->name, "participants",
                                  d->participants, "video_on", d->video_on, "peak", d->peak,
                                  "quota", d->quota < 0 ? json_null() : json_integer(d->quota)));
        }
        json_object_set_new(o, "delegations", ds);
        if (mt->reconciles > 0) /* only once Zoom's list was applied (docs/formats.md) */
                json_object_set_new(o, "reconcile",
                                    json_pack("{s:o, s:i, s:i, s:i}", "at",
                                              json_time_or_null(mt->reconciled_at), "opened",
                                              mt->reconcile_opened, "closed", mt->reconcile_closed,
                                              "count", mt->reconciles));
        return o;
}

static json_t *snap_alert(const Alert *al)
{
        json_t *o = json_object();
        json_object_set_new(o, "rule", json_string(RULE_NAMES[al->rule]));
        json_object_set_new(o, "severity", json_string(SEVERITY_NAMES[al->severity]));
        json_object_set_new(o, "status",
                            json_string(al->status == AL_FIRING ? "firing" : "resolved"));
        json_object_set_new(o, "meeting", json_str_or_null(al->meeting));
        json_object_set_new(o, "delegation", json_str_or_null(al->delegation));
        json_object_set_new(o, "value", jnum(al->value));
        json_object_set_new(o, "threshold", jnum(al->threshold));
        json_object_set_new(o, "starts_at", json_time_or_null(al->starts_at));
        json_object_set_new(o, "ends_at", json_time_or_null(al->ends_at));
        json_object_set_new(o, "fingerprint", json_string(al->fingerprint));
        return o;
}

json_t *Monitor_snapshot(const Monitor *m)
{
        const State *s = m->state;
        json_t *root = json_object();
        json_object_set_new(root, "clock", json_time_or_null(State_clock(s)));
        const Counters *c = State_counters(s);
        json_t *ev = json_object();
        json_object_set_new(ev, "received", json_integer((json_int_t)c->received));
        for (int i = 0; i < OUT_COUNT; i++)
                json_object_set_new(ev, OUTCOME_NAMES[i], json_integer((json_int_t)c->n[i]));
        json_object_set_new(ev, "clamped", json_integer((json_int_t)c->clamped));
        json_object_set_new(root, "events", ev);
        json_t *ms = json_array();
        for (size_t i = 0; i < State_meeting_count(s); i++)
                json_array_append_new(ms, snap_meeting(State_meeting(s, i)));
        json_object_set_new(root, "meetings", ms);
        json_t *as = json_array();
        for (size_t i = 0; i < Alerts_count(m->alerts); i++)
                json_array_append_new(as, snap_alert(Alerts_get(m->alerts, i)));
        json_object_set_new(root, "alerts", as);
        json_t *fs = json_array();
        for (size_t i = 0; i < State_failure_count(s); i++) {
                const JoinFailure *f = State_failure(s, i);
                if (f->cancelled)
                        continue;
                json_t *o =
                    json_pack("{s:o, s:s, s:s, s:s, s:s}", "time", json_time_or_null(f->time),
                              "meeting", f->meeting->uuid, "name", f->name, "delegation",
                              f->delegation, "reason", f->reason);
                if (f->detail)
                        json_object_set_new(o, "detail", json_string(f->detail));
                json_array_append_new(fs, o);
        }
        json_object_set_new(root, "join_failures", fs);
        return root;
}
