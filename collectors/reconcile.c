/* The Reconciler (reconcile.h): per meeting, the live list fetched whole and
 * emitted as one capmon.reconcile body. */
#include "reconcile.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "event.h"
#include "monitor.h"
#include "util.h"
#include "wsutil.h"
#include "zoom_rows.h"

#define PAGE_SIZE     300   /* Zoom's maximum for the live list */
#define QOS_PAGE_SIZE 10    /* and for the QoS list */
#define HEAVY_PER_DAY 60000 /* Zoom's Heavy requests a day of a Business account */

typedef struct RMeeting {
        Reconciler *r;
        char *uuid, *id, *topic;
        ZoomGet *get;
        ZoomRows *list; /* the live list being fetched, read fast (zoom_rows.h) */
        json_t *rows;   /* QoS: user ids with video on */
        int64_t fetch_ms;
        int again; /* asked for while a fetch ran */
        int invalid_row;
        unsigned tries;
        ZoomApiCode last_error; /* to log a repeated error once */
        LoopTimer *timer;
} RMeeting;

struct Reconciler {
        Loop *loop;
        ZoomApi *api;
        ReconcileList list;
        const char *what; /* "reconcile" or "video qos", for log lines */
        int warned_budget;
        int64_t interval_us;
        ReconcileEmitFn emit;
        ReconcileLogFn log;
        void *ud;
        RMeeting *m[RECONCILE_MEETINGS_MAX];
        size_t n;
        int active;
        uint64_t done, failed;
        char *disabled;
        const Monitor *follow;
        size_t followed; /* meetings of the monitor seen */
        LoopTimer *follow_timer;
        ReconcileGoneFn gone;
        void *gone_ud;
};

static int64_t wall_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static const char *name_of(const RMeeting *m)
{
        return m->id ? m->id : m->uuid;
}

static void run(RMeeting *m);

static void on_timer(void *ud)
{
        run(ud);
}

static void schedule(RMeeting *m, int64_t us)
{
        if (us >= 0)
                Loop_timer_start(m->timer, us);
}

/* Leading number of a QoS figure: 812, "812 kbps", "1.2 Mbps"; 0 when none. */
static double qos_number(json_t *v)
{
        if (json_is_number(v))
                return json_number_value(v);
        return json_is_string(v) ? strtod(json_string_value(v), NULL) : 0;
}

/* A QoS row's camera: its latest user_qos sample (the greatest date_time; the
 * last of equal ones) with a video_input; sending video (bitrate > 0) is on. */
static int qos_video_on(json_t *row)
{
        json_t *samples = json_object_get(row, "user_qos"), *q, *best = NULL;
        const char *best_t = "";
        size_t i;
        json_array_foreach(samples, i, q)
        {
                const char *t = json_string_value(json_object_get(q, "date_time"));
                if (!json_is_object(json_object_get(q, "video_input")))
                        continue;
                if (!best || strcmp(t ? t : "", best_t) >= 0) {
                        best = q;
                        best_t = t ? t : "";
                }
        }
        json_t *vi = json_object_get(best, "video_input");
        return qos_number(json_object_get(vi, "bitrate")) > 0;
}

static void on_qos_page(RMeeting *m, json_t *items)
{
        size_t i;
        json_t *row;
        json_array_foreach(items, i, row)
        {
                json_t *uid = json_object_get(row, "user_id");
                if (!qos_video_on(row))
                        continue;
                if (json_is_integer(uid))
                        json_array_append_new(
                            m->rows, json_sprintf("%lld", (long long)json_integer_value(uid)));
                else if (json_is_string(uid) && json_string_length(uid))
                        json_array_append(m->rows, uid);
        }
}

static void on_page(void *ud, json_t *page, json_t *items)
{
        (void)page;
        on_qos_page(ud, items);
}

/* A page of the live list: its rows kept as the record will hold them (the
 * rows of people who left stay in Zoom's list: skipped). */
static int on_list_page(void *ud, const char *text, size_t len, const char **next, char *why,
                        size_t whylen)
{
        RMeeting *m = ud;
        if (ZoomRows_page(m->list, text, len, why, whylen))
                return -1;
        const char *bad = ZoomRows_bad(m->list);
        if (bad && !m->invalid_row)
                log_linef(m->r->log, m->r->ud, "%s %s: Zoom's list has a bad row (%s)", m->r->what,
                          name_of(m), bad);
        m->invalid_row = bad != NULL;
        *next = ZoomRows_next(m->list);
        return 0;
}

/* Hand on one event body (name, payload.object obj: stolen), timed by the
 * fetch start. */
static void emit_event(RMeeting *m, const char *name, json_t *obj)
{
        json_t *body = json_pack("{s:s, s:I, s:{s:o}}", "event", name, "event_ts",
                                 (json_int_t)m->fetch_ms, "payload", "object", obj);
        char *text = json_dumps(body, JSON_COMPACT);
        if (text)
                m->r->emit(m->r->ud, text, strlen(text));
        free(text);
        json_decref(body);
}

static void emit_qos(RMeeting *m)
{
        emit_event(m, "capmon.video_sync",
                   json_pack("{s:s?, s:s?, s:s, s:b, s:O}", "uuid", m->uuid, "id", m->id, "source",
                             "qos", "full", 1, "video_on", m->rows));
}

/* QoS sweeps cost a request per 10 participants: say once when this pace
 * would spend more in a day than capmon's daily budget or Zoom's Heavy one. */
static void qos_budget(RMeeting *m, const ZoomApiResult *res)
{
        Reconciler *r = m->r;
        if (r->warned_budget || !r->interval_us)
                return;
        double per_day = (double)res->requests * 86400e6 / (double)r->interval_us;
        int64_t budget = ZoomApi_budget(r->api);
        if (per_day <= (double)budget && per_day <= HEAVY_PER_DAY)
                return;
        r->warned_budget = 1;
        log_linef(
            r->log, r->ud,
            "video qos %s: %d requests a sweep every %lld s is %.0f a day, more than %s (%lld); "
            "poll less often",
            name_of(m), res->requests, (long long)(r->interval_us / 1000000), per_day,
            per_day > (double)budget ? "the daily budget (CAPMON_ZOOM_API_DAILY_BUDGET)"
                                     : "Zoom's Heavy daily limit",
            (long long)(per_day > (double)budget ? budget : HEAVY_PER_DAY));
}

static void emit(RMeeting *m)
{
        size_t len;
        char *text = ZoomRows_record(m->list, m->uuid, m->id, m->topic, m->fetch_ms, &len);
        m->r->emit(m->r->ud, text, len);
        free(text);
}

static void finished(RMeeting *m)
{
        json_decref(m->rows);
        m->rows = NULL;
        if (m->again) {
                m->again = 0;
                schedule(m, 0);
        }
}

static void failed(RMeeting *m, const ZoomApiResult *res, int64_t next_us)
{
        Reconciler *r = m->r;
        r->failed++;
        if (res->code != m->last_error || res->code == ZAPI_NETWORK)
                log_linef(r->log, r->ud, "%s %s: %s: %s%s", r->what, name_of(m),
                          ZAPI_CODE_NAMES[res->code], res->message,
                          next_us >= 0 ? "" : " (reconciling is off)");
        m->last_error = res->code;
        schedule(m, next_us);
}

static void on_list(void *ud, const ZoomApiResult *res)
{
        RMeeting *m = ud;
        Reconciler *r = m->r;
        m->get = NULL;
        if (res->code == ZAPI_OK && m->invalid_row) {
                ZoomApiResult bad = *res;
                bad.code = ZAPI_MALFORMED;
                bad.message = "a row without a session key or with an unknown status";
                failed(m, &bad, ws_backoff_us(m->tries++));
        } else if (res->code == ZAPI_OK) {
                r->done++;
                m->tries = 0;
                if (m->last_error != ZAPI_OK)
                        log_linef(r->log, r->ud, "%s %s: Zoom's list is read again", r->what,
                                  name_of(m));
                m->last_error = ZAPI_OK;
                if (r->list == RECONCILE_QOS) {
                        qos_budget(m, res);
                        emit_qos(m);
                } else {
                        emit(m);
                }
                schedule(m, r->interval_us ? r->interval_us : -1);
        } else if (res->code == ZAPI_DISABLED) {
                if (!r->disabled)
                        r->disabled = xstrdup(res->message);
                failed(m, res, -1);
        } else if (res->code == ZAPI_RATE_LIMITED) {
                failed(m, res, (res->retry_after_s > 0 ? res->retry_after_s : 1) * 1000000);
        } else if (res->code == ZAPI_NETWORK || res->code == ZAPI_MALFORMED) {
                failed(m, res, ws_backoff_us(m->tries++));
        } else if (res->code == ZAPI_NOT_FOUND && m->uuid && r->gone) {
                /* gone: not asked again each interval (a 404 a time) */
                log_linef(r->log, r->ud, "%s %s: %s: %s; no longer asked (until an event of it)",
                          r->what, name_of(m), ZAPI_CODE_NAMES[res->code], res->message);
                r->failed++;
                char *uuid = xstrdup(m->uuid), *id = m->id ? xstrdup(m->id) : NULL;
                finished(m);
                Reconciler_forget(r, uuid);    /* frees m */
                r->gone(r->gone_ud, uuid, id); /* may forget it in another Reconciler */
                free(uuid);
                free(id);
                return;
        } else { /* 404, refused token, budget, other 4xx: at the next interval */
                failed(m, res, r->interval_us ? r->interval_us : 60000000);
        }
        finished(m);
}

static void start_list(RMeeting *m)
{
        char path[1200], pid[900];
        int qos = m->r->list == RECONCILE_QOS;
        ZoomApi_meeting_path_id(m->uuid ? m->uuid : m->id, pid, sizeof pid);
        xsnprintf(path, sizeof path, "/metrics/meetings/%s/participants%s?type=live&page_size=%d",
                  pid, qos ? "/qos" : "", qos ? QOS_PAGE_SIZE : PAGE_SIZE);
        m->invalid_row = 0;
        m->fetch_ms = wall_ms();
        if (qos) {
                m->rows = json_array();
                m->get = ZoomApi_get(m->r->api, "qos", path, "participants", on_page, on_list, m);
                return;
        }
        if (!m->list)
                m->list = ZoomRows_new();
        ZoomRows_reset(m->list);
        m->get = ZoomApi_get_raw(m->r->api, "participants", path, on_list_page, on_list, m);
}

/* The meeting's details: its live instance's uuid and topic. */
static void on_detail_page(void *ud, json_t *page, json_t *items)
{
        RMeeting *m = ud;
        (void)items;
        const char *uuid = json_string_value(json_object_get(page, "uuid"));
        const char *topic = json_string_value(json_object_get(page, "topic"));
        if (uuid && *uuid && !m->uuid)
                m->uuid = xstrdup(uuid);
        if (topic && *topic && !m->topic)
                m->topic = text_sanitize(topic, CAPMON_TEXT_MAX);
}

static void on_detail(void *ud, const ZoomApiResult *res)
{
        RMeeting *m = ud;
        m->get = NULL;
        if (res->code == ZAPI_OK && m->uuid) {
                start_list(m);
                return;
        }
        ZoomApiResult bad = *res;
        if (res->code == ZAPI_OK) {
                bad.code = ZAPI_MALFORMED;
                bad.message = "the meeting's details have no uuid";
        }
        on_list(ud, &bad); /* the same handling of errors */
}

static void run(RMeeting *m)
{
        Reconciler *r = m->r;
        if (!r->active || r->disabled)
                return;
        if (m->get) {
                m->again = 1;
                return;
        }
        Loop_timer_stop(m->timer);
        if (m->uuid) {
                start_list(m);
                return;
        }
        char path[1200], pid[900];
        ZoomApi_meeting_path_id(m->id, pid, sizeof pid);
        xsnprintf(path, sizeof path, "/metrics/meetings/%s?type=live", pid);
        /* the details document has no list ("participants" is a cumulative
         * count): read as one page without items */
        m->get = ZoomApi_get(r->api, "meeting", path, NULL, on_detail_page, on_detail, m);
}

static RMeeting *find(Reconciler *r, const char *uuid, const char *id)
{
        for (size_t i = 0; i < r->n; i++) {
                RMeeting *m = r->m[i];
                if (uuid && m->uuid && strcmp(uuid, m->uuid) == 0)
                        return m;
                if (id && m->id && strcmp(id, m->id) == 0 && (!m->uuid || !uuid))
                        return m;
        }
        return NULL;
}

void Reconciler_add(Reconciler *r, const char *uuid, const char *id)
{
        if (uuid && !*uuid)
                uuid = NULL;
        if (id && !*id)
                id = NULL;
        if ((!uuid && !id) || r->n == RECONCILE_MEETINGS_MAX)
                return;
        RMeeting *m = find(r, uuid, id);
        if (m) {
                if (uuid && !m->uuid)
                        m->uuid = xstrdup(uuid);
                if (id && !m->id)
                        m->id = xstrdup(id);
                return;
        }
        m = xcalloc(1, sizeof *m);
        m->r = r;
        m->uuid = uuid ? xstrdup(uuid) : NULL;
        m->id = id ? xstrdup(id) : NULL;
        m->timer = Loop_timer_new(r->loop, on_timer, m);
        r->m[r->n++] = m;
        schedule(m, 0);
}

static void meeting_free(RMeeting *m)
{
        ZoomGet_cancel(m->get);
        Loop_timer_free(m->timer);
        json_decref(m->rows);
        ZoomRows_free(m->list);
        free(m->uuid);
        free(m->id);
        free(m->topic);
        free(m);
}

void Reconciler_forget(Reconciler *r, const char *uuid)
{
        for (size_t i = 0; i < r->n; i++) {
                if (r->m[i]->uuid && strcmp(r->m[i]->uuid, uuid) == 0) {
                        meeting_free(r->m[i]);
                        r->m[i] = r->m[--r->n];
                        return;
                }
        }
}

void Reconciler_forget_id(Reconciler *r, const char *id)
{
        for (size_t i = 0; i < r->n; i++) {
                if (!r->m[i]->uuid && r->m[i]->id && strcmp(r->m[i]->id, id) == 0) {
                        meeting_free(r->m[i]);
                        r->m[i] = r->m[--r->n];
                        return;
                }
        }
}

void Reconciler_on_gone(Reconciler *r, ReconcileGoneFn fn, void *ud)
{
        r->gone = fn;
        r->gone_ud = ud;
}

void Reconciler_all_now(Reconciler *r)
{
        for (size_t i = 0; i < r->n; i++)
                run(r->m[i]);
}

void Reconciler_set_active(Reconciler *r, int active)
{
        int was = r->active;
        r->active = active;
        if (active && !was)
                Reconciler_all_now(r);
}

const char *Reconciler_disabled(const Reconciler *r)
{
        return r->disabled;
}

uint64_t Reconciler_done(const Reconciler *r)
{
        return r->done;
}

uint64_t Reconciler_failed(const Reconciler *r)
{
        return r->failed;
}

size_t Reconciler_meetings(const Reconciler *r)
{
        return r->n;
}

static void on_follow(void *ud)
{
        Reconciler *r = ud;
        const State *s = Monitor_state(r->follow);
        size_t n = State_meeting_count(s);
        for (; r->followed < n; r->followed++) {
                const Meeting *mt = State_meeting(s, r->followed);
                if (!mt->ended)
                        Reconciler_add(r, mt->uuid, mt->id);
        }
        for (size_t i = 0; i < r->n; i++) { /* ended meetings have no live list */
                const Meeting *mt = r->m[i]->uuid ? State_find_meeting(s, r->m[i]->uuid) : NULL;
                if (mt && mt->ended && !r->m[i]->get) {
                        Reconciler_forget(r, mt->uuid);
                        i--;
                }
        }
        Loop_timer_start(r->follow_timer, 1000000);
}

void Reconciler_follow(Reconciler *r, const Monitor *m)
{
        r->follow = m;
        if (!r->follow_timer)
                r->follow_timer = Loop_timer_new(r->loop, on_follow, r);
        Loop_timer_start(r->follow_timer, 0);
}

Reconciler *Reconciler_new(Loop *loop, ZoomApi *api, int64_t interval_s, ReconcileEmitFn emit,
                           ReconcileLogFn log, void *ud)
{
        Reconciler *r = xcalloc(1, sizeof *r);
        r->loop = loop;
        r->api = api;
        r->interval_us = interval_s > 0 ? interval_s * 1000000 : 0;
        r->emit = emit;
        r->log = log;
        r->ud = ud;
        r->active = 1;
        r->what = "reconcile";
        return r;
}

void reconcile_qos_pace(int qos_s, char *out, size_t len)
{
        if (qos_s > 0 && qos_s < 180)
                xsnprintf(out, len,
                          "warning: --video-qos %d: a 1,000-person meeting costs 100 requests a "
                          "sweep, %d a day, over Zoom's Heavy limit of 60,000 a day for the "
                          "whole account; use 180 s or more",
                          qos_s, 100 * (86400 / qos_s));
        else
                xsnprintf(out, len, "estimating cameras from Zoom's QoS list every %d s", qos_s);
}

void Reconciler_set_list(Reconciler *r, ReconcileList list)
{
        r->list = list;
        r->what = list == RECONCILE_QOS ? "video qos" : "reconcile";
}

void Reconciler_free(Reconciler *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                meeting_free(r->m[i]);
        Loop_timer_free(r->follow_timer);
        free(r->disabled);
        free(r);
}
