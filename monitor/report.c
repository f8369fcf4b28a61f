/* Attendance: session intervals taken from the applied events of a replay. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deleg.h"
#include "event.h"
#include "hmap.h"
#include "monitor.h"
#include "util.h"

typedef struct Interval {
        int64_t from, to;
} Interval;

typedef struct RPerson {
        char *key;  /* "r:<registrant>", "u:<zoom user id>", "e:<email>", "s:<session>" */
        char *name; /* latest display name */
        const char *deleg;
        Interval *iv;
        size_t niv, capiv;
        int sessions, drops;
        int open; /* sessions open now */
        int64_t first_join;
        /* computed by finish */
        int64_t last_leave; /* TIME_NONE while present at the end */
        int64_t present_ms;
        Interval *merged;
        size_t nmerged;
} RPerson;

typedef struct RSession {
        char *key;
        RPerson *person;
        int open;
        int64_t since;
} RSession;

typedef struct RDeleg {
        const char *name;
        int people, peak;
        int64_t peak_at, person_ms;
} RDeleg;

typedef struct RMeeting {
        char *uuid, *id, *topic, *timezone;
        int64_t started_at, ended_at;
        HMap sessions; /* session key -> RSession */
        RSession **sl;
        size_t nsl, capsl;
        HMap persons; /* person key -> RPerson */
        RPerson **pl;
        size_t npl, cappl;
        RDeleg *dl; /* computed by finish, sorted by name */
        size_t ndl;
} RMeeting;

struct Report {
        const Config *cfg;
        Monitor *mon;
        Resolver *res;
        HMap by_uuid;
        RMeeting **ml;
        size_t nml, capml;
        int finished;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
        if (n < *cap)
                return p;
        *cap = *cap ? *cap * 2 : 8;
        return xrealloc(p, *cap * size);
}

static void apply(void *ud, const Event *ev);

Report *Report_new(const Config *cfg, char *err, size_t errlen)
{
        Report *r = xcalloc(1, sizeof *r);
        r->cfg = cfg;
        HMap_init(&r->by_uuid);
        r->mon = Monitor_new(cfg, err, errlen);
        if (!r->mon) {
                Report_free(r);
                return NULL;
        }
        Monitor_set_observer(r->mon, apply, r);
        /* The same delegation resolution as the monitor's (monitor.c). */
        r->res = Resolver_new();
        if (Resolver_apply_config(r->res, cfg, err, errlen))
                goto fail;
        return r;
fail:
        Report_free(r);
        return NULL;
}

static void person_free(RPerson *p)
{
        free(p->key);
        free(p->name);
        free(p->iv);
        free(p->merged);
        free(p);
}

static void meeting_free(RMeeting *m)
{
        for (size_t i = 0; i < m->nsl; i++) {
                free(m->sl[i]->key);
                free(m->sl[i]);
        }
        for (size_t i = 0; i < m->npl; i++)
                person_free(m->pl[i]);
        HMap_done(&m->sessions);
        HMap_done(&m->persons);
        free(m->sl);
        free(m->pl);
        free(m->dl);
        free(m->uuid);
        free(m->id);
        free(m->topic);
        free(m->timezone);
        free(m);
}

void Report_free(Report *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->nml; i++)
                meeting_free(r->ml[i]);
        free(r->ml);
        HMap_done(&r->by_uuid);
        Resolver_free(r->res);
        Monitor_free(r->mon);
        free(r);
}

const Counters *Report_counters(const Report *r)
{
        return State_counters(Monitor_state(r->mon));
}

void Report_count_invalid(Report *r)
{
        Monitor_count_invalid(r->mon);
}

/* ---- reading ---- */

static RMeeting *meeting_get(Report *r, const Event *ev)
{
        RMeeting *m = HMap_get(&r->by_uuid, ev->meeting);
        if (!m) {
                m = xcalloc(1, sizeof *m);
                m->uuid = xstrdup(ev->meeting);
                m->started_at = m->ended_at = TIME_NONE;
                HMap_init(&m->sessions);
                HMap_init(&m->persons);
                r->ml = grow(r->ml, &r->capml, r->nml, sizeof *r->ml);
                r->ml[r->nml++] = m;
                HMap_put(&r->by_uuid, m->uuid, m);
        }
        return m;
}

static void set_text(char **dst, const char *s)
{
        if (!s || !*s)
                return;
        free(*dst);
        *dst = text_sanitize(s, CAPMON_TEXT_MAX);
}

/* The person key of docs/semantics.md §2 (kinds kept apart by a prefix). */
static RPerson *person_get(RMeeting *m, const Event *ev)
{
        char *key = Event_person_key(ev);
        RPerson *p = HMap_get(&m->persons, key);
        if (!p) {
                p = xcalloc(1, sizeof *p);
                p->key = key;
                p->first_join = TIME_NONE;
                m->pl = grow(m->pl, &m->cappl, m->npl, sizeof *m->pl);
                m->pl[m->npl++] = p;
                HMap_put(&m->persons, p->key, p);
        } else {
                free(key);
        }
        return p;
}

static RSession *session_get(RMeeting *m, const char *key, int create)
{
        RSession *x = HMap_get(&m->sessions, key);
        if (!x && create) {
                x = xcalloc(1, sizeof *x);
                x->key = xstrdup(key);
                m->sl = grow(m->sl, &m->capsl, m->nsl, sizeof *m->sl);
                m->sl[m->nsl++] = x;
                HMap_put(&m->sessions, x->key, x);
        }
        return x;
}

static void interval_add(RPerson *p, int64_t from, int64_t to)
{
        p->iv = grow(p->iv, &p->capiv, p->niv, sizeof *p->iv);
        p->iv[p->niv++] = (Interval){from, to};
}

static void session_close(RSession *x, int64_t t)
{
        if (!x || !x->open)
                return;
        x->open = 0;
        x->person->open--;
        interval_add(x->person, x->since, t > x->since ? t : x->since);
}

static void on_joined(Report *r, RMeeting *m, const Event *ev, int64_t t)
{
        RSession *x = session_get(m, ev->key, 1);
        if (x->open)
                return; /* back from a breakout room */
        RPerson *p = person_get(m, ev);
        char *name = text_sanitize(ev->user_name, CAPMON_TEXT_MAX);
        PartIdent id = {name, ev->email, ev->registrant_id, ev->phone};
        const char *d = Resolver_resolve(r->res, &id);
        /* a person's delegation: the latest identified one */
        if (!p->deleg || d != DELEG_UNIDENTIFIED)
                p->deleg = d;
        if (*name) {
                free(p->name);
                p->name = name;
        } else {
                free(name);
        }
        x->person = p;
        x->open = 1;
        x->since = t;
        p->open++;
        p->sessions++;
        if (p->first_join == TIME_NONE || t < p->first_join)
                p->first_join = t;
}

static int is_drop(const char *reason)
{
        return text_contains_ci(reason, "disconnected") || text_contains_ci(reason, "connection");
}

/* The monitor's observer: one applied event, its time resolved. */
static void apply(void *ud, const Event *ev)
{
        Report *r = ud;
        int64_t t = ev->time;
        RMeeting *m = meeting_get(r, ev);
        set_text(&m->id, ev->id);
        set_text(&m->topic, ev->topic);
        set_text(&m->timezone, ev->timezone);
        RSession *x;
        switch (ev->type) {
        case EV_STARTED:
                m->started_at = t;
                m->ended_at = TIME_NONE;
                break;
        case EV_ENDED:
                m->ended_at = t;
                for (size_t i = 0; i < m->nsl; i++)
                        session_close(m->sl[i], t);
                break;
        case EV_JOINED:
                on_joined(r, m, ev, t);
                break;
        case EV_LEFT:
                if (text_contains_ci(ev->leave_reason, "breakout room"))
                        break; /* still in the meeting */
                x = session_get(m, ev->key, 0);
                if (x && x->open && is_drop(ev->leave_reason))
                        x->person->drops++;
                session_close(x, t);
                break;
        case EV_PUT_IN_WR:
                session_close(session_get(m, ev->key, 0), t);
                break;
        case EV_BIND: {
                /* a phone bound to a computer session: the same person, one seat */
                x = session_get(m, ev->key, 0);
                RSession *to = session_get(m, ev->bind_user_id, 0);
                if (x && x->open && to && to->person && to->person != x->person) {
                        x->person->open--;
                        x->person->sessions--;
                        x->person = to->person;
                        x->person->open++;
                        x->person->sessions++;
                        if (x->since < x->person->first_join)
                                x->person->first_join = x->since;
                }
                break;
        }
        default:
                break;
        }
}

Outcome Report_feed(Report *r, const Msg *msg, char *err, size_t errlen)
{
        return Monitor_feed_msg(r->mon, msg, TIME_NONE, err, errlen);
}

/* ---- results ---- */

static int cmp_iv(const void *a, const void *b)
{
        const Interval *x = a, *y = b;
        return x->from < y->from ? -1 : x->from > y->from;
}

static int cmp_person(const void *a, const void *b)
{
        const RPerson *x = *(RPerson *const *)a, *y = *(RPerson *const *)b;
        int c = strcmp(x->deleg, y->deleg);
        if (c)
                return c;
        c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
        return c ? c : strcmp(x->key, y->key);
}

typedef struct Edge {
        int64_t t;
        int d; /* +1 join, -1 leave */
} Edge;

static int cmp_edge(const void *a, const void *b)
{
        const Edge *x = a, *y = b;
        if (x->t != y->t)
                return x->t < y->t ? -1 : 1;
        return x->d - y->d; /* leaves first: back-to-back is not concurrent */
}

/* to - from (to >= from), saturated: event times are any int64 a record carried. */
static int64_t span(int64_t from, int64_t to)
{
        int64_t d;
        return __builtin_sub_overflow(to, from, &d) ? INT64_MAX : d;
}

static void person_finish(RPerson *p, int64_t end)
{
        qsort(p->iv, p->niv, sizeof *p->iv, cmp_iv);
        p->merged = xcalloc(p->niv ? p->niv : 1, sizeof *p->merged);
        p->nmerged = 0;
        p->present_ms = 0;
        p->last_leave = TIME_NONE;
        for (size_t i = 0; i < p->niv; i++) {
                Interval v = p->iv[i];
                if (p->nmerged && v.from <= p->merged[p->nmerged - 1].to) {
                        if (v.to > p->merged[p->nmerged - 1].to)
                                p->merged[p->nmerged - 1].to = v.to;
                } else {
                        p->merged[p->nmerged++] = v;
                }
        }
        for (size_t i = 0; i < p->nmerged; i++) {
                p->present_ms = time_add(p->present_ms, span(p->merged[i].from, p->merged[i].to));
                if (p->last_leave == TIME_NONE || p->merged[i].to > p->last_leave)
                        p->last_leave = p->merged[i].to;
        }
        (void)end;
}

static void meeting_finish(RMeeting *m, int64_t end)
{
        /* sessions open at the end of the input: present until the last event time */
        for (size_t i = 0; i < m->nsl; i++) {
                RSession *x = m->sl[i];
                if (x->open) {
                        interval_add(x->person, x->since, end > x->since ? end : x->since);
                        x->open = 0; /* person->open stays: still present at the end */
                }
        }
        /* compact in place: a person left with no session (a phone merged into its
         * computer's person by a bind) is freed as it is met, the rest move down */
        size_t n = 0;
        for (size_t i = 0; i < m->npl; i++) {
                RPerson *p = m->pl[i];
                if (p->sessions <= 0) {
                        person_free(p);
                        continue;
                }
                person_finish(p, end);
                if (p->open > 0)
                        p->last_leave = TIME_NONE;
                m->pl[n++] = p;
        }
        m->npl = n;
        HMap_done(&m->persons); /* no longer needed, and now holds freed keys */
        HMap_init(&m->persons);
        for (size_t i = 0; i < m->npl; i++) { /* ids are untrusted text too */
                char *k = text_sanitize(m->pl[i]->key, CAPMON_TEXT_MAX * 2);
                free(m->pl[i]->key);
                m->pl[i]->key = k;
        }
        qsort(m->pl, m->npl, sizeof *m->pl, cmp_person);
        /* delegations: persons are sorted by delegation first */
        m->dl = xcalloc(m->npl ? m->npl : 1, sizeof *m->dl);
        for (size_t i = 0; i < m->npl;) {
                size_t j = i, ne = 0;
                while (j < m->npl && strcmp(m->pl[j]->deleg, m->pl[i]->deleg) == 0)
                        ne += m->pl[j++]->nmerged * 2;
                RDeleg *d = &m->dl[m->ndl++];
                d->name = m->pl[i]->deleg;
                d->peak_at = TIME_NONE;
                Edge *e = xcalloc(ne ? ne : 1, sizeof *e);
                size_t k = 0;
                for (size_t q = i; q < j; q++) {
                        RPerson *p = m->pl[q];
                        d->people++;
                        d->person_ms = time_add(d->person_ms, p->present_ms);
                        for (size_t v = 0; v < p->nmerged; v++) {
                                e[k++] = (Edge){p->merged[v].from, +1};
                                e[k++] = (Edge){p->merged[v].to, -1};
                        }
                }
                qsort(e, k, sizeof *e, cmp_edge);
                int cur = 0;
                for (size_t q = 0; q < k; q++) {
                        cur += e[q].d;
                        if (cur > d->peak) {
                                d->peak = cur;
                                d->peak_at = e[q].t;
                        }
                }
                free(e);
                i = j;
        }
}

void Report_finish(Report *r)
{
        if (r->finished)
                return;
        r->finished = 1;
        int64_t end = State_clock(Monitor_state(r->mon));
        for (size_t i = 0; i < r->nml; i++)
                meeting_finish(r->ml[i], end);
}

static double minutes(int64_t ms)
{
        /* one decimal, as in the CSV */
        return (double)(time_add(ms, 3000) / 6000) / 10.0; /* ms may be saturated */
}

json_t *Report_json(const Report *r, ReportBy by)
{
        json_t *ms = json_array();
        for (size_t i = 0; i < r->nml; i++) {
                const RMeeting *m = r->ml[i];
                json_t *o = json_object();
                json_object_set_new(o, "uuid", json_string(m->uuid));
                json_object_set_new(o, "id", json_str_or_null(m->id));
                json_object_set_new(o, "topic", json_str_or_null(m->topic));
                json_object_set_new(o, "timezone", json_str_or_null(m->timezone));
                json_object_set_new(o, "started_at", json_time_or_null(m->started_at));
                json_object_set_new(o, "ended_at", json_time_or_null(m->ended_at));
                json_t *rows = json_array();
                if (by == REPORT_BY_PERSON) {
                        for (size_t k = 0; k < m->npl; k++) {
                                const RPerson *p = m->pl[k];
                                json_array_append_new(
                                    rows, json_pack("{s:s, s:o, s:s, s:o, s:o, s:f, s:i, s:i}",
                                                    "delegation", p->deleg, "name",
                                                    json_str_or_null(p->name), "person", p->key,
                                                    "first_join", json_time_or_null(p->first_join),
                                                    "last_leave", json_time_or_null(p->last_leave),
                                                    "minutes", minutes(p->present_ms), "sessions",
                                                    p->sessions, "drops", p->drops));
                        }
                        json_object_set_new(o, "people", rows);
                } else {
                        for (size_t k = 0; k < m->ndl; k++) {
                                const RDeleg *d = &m->dl[k];
                                json_array_append_new(
                                    rows,
                                    json_pack("{s:s, s:i, s:i, s:o, s:f}", "delegation", d->name,
                                              "people", d->people, "peak_concurrent", d->peak,
                                              "peak_at", json_time_or_null(d->peak_at),
                                              "person_minutes", minutes(d->person_ms)));
                        }
                        json_object_set_new(o, "delegations", rows);
                }
                json_array_append_new(ms, o);
        }
        return json_pack("{s:o}", "meetings", ms);
}

/* RFC 4180: quoted when it holds a comma, quote, CR or LF. */
static void csv_field(FILE *f, const char *s, int last)
{
        if (!s)
                s = "";
        if (strpbrk(s, ",\"\r\n")) {
                fputc('"', f);
                for (const char *c = s; *c; c++) {
                        if (*c == '"')
                                fputc('"', f);
                        fputc(*c, f);
                }
                fputc('"', f);
        } else {
                fputs(s, f);
        }
        fputc(last ? '\n' : ',', f);
}

static void csv_time(FILE *f, int64_t t)
{
        char buf[40] = "";
        if (t != TIME_NONE)
                time_format(t, buf, sizeof buf);
        csv_field(f, buf, 0);
}

int Report_csv(const Report *r, ReportBy by, FILE *f)
{
        if (by == REPORT_BY_PERSON)
                fputs("meeting,meeting_id,topic,timezone,delegation,name,person,first_join,"
                      "last_leave,minutes,sessions,drops\n",
                      f);
        else
                fputs("meeting,meeting_id,topic,timezone,delegation,people,peak_concurrent,"
                      "peak_at,person_minutes\n",
                      f);
        for (size_t i = 0; i < r->nml; i++) {
                const RMeeting *m = r->ml[i];
                size_t n = by == REPORT_BY_PERSON ? m->npl : m->ndl;
                for (size_t k = 0; k < n; k++) {
                        csv_field(f, m->uuid, 0);
                        csv_field(f, m->id, 0);
                        csv_field(f, m->topic, 0);
                        csv_field(f, m->timezone, 0);
                        if (by == REPORT_BY_PERSON) {
                                const RPerson *p = m->pl[k];
                                csv_field(f, p->deleg, 0);
                                csv_field(f, p->name, 0);
                                csv_field(f, p->key, 0);
                                csv_time(f, p->first_join);
                                csv_time(f, p->last_leave);
                                fprintf(f, "%.1f,%d,%d\n", minutes(p->present_ms), p->sessions,
                                        p->drops);
                        } else {
                                const RDeleg *d = &m->dl[k];
                                csv_field(f, d->name, 0);
                                fprintf(f, "%d,%d,", d->people, d->peak);
                                csv_time(f, d->peak_at);
                                fprintf(f, "%.1f\n", minutes(d->person_ms));
                        }
                }
        }
        return ferror(f) ? -1 : 0;
}
