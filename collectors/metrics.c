/* Prometheus text exposition (0.0.4) and its GET /metrics listener. */
#include "metrics.h"

#include <dirent.h>
#include <libwebsockets.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "monitor.h"
#include "util.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_CHUNK        (16 * 1024)
#define METRICS_LABEL_MAX    256

void Prom_init(Prom *p)
{
        memset(p, 0, sizeof *p);
}

void Prom_done(Prom *p)
{
        free(p->buf);
        memset(p, 0, sizeof *p);
}

static void prom_put(Prom *p, const char *s, size_t n)
{
        if (p->len + n + 1 > p->cap) {
                p->cap = (p->len + n + 1) * 2;
                if (p->cap < 4096)
                        p->cap = 4096;
                p->buf = xrealloc(p->buf, p->cap);
        }
        memcpy(p->buf + p->len, s, n);
        p->len += n;
        p->buf[p->len] = '\0';
}

static void prom_puts(Prom *p, const char *s)
{
        prom_put(p, s, strlen(s));
}

/* Escape for HELP text (\\ and \n) or, with quote, a label value (also \"). */
static void prom_escaped(Prom *p, const char *s, int quote)
{
        for (; *s; s++) {
                if (*s == '\\')
                        prom_puts(p, "\\\\");
                else if (*s == '\n')
                        prom_puts(p, "\\n");
                else if (quote && *s == '"')
                        prom_puts(p, "\\\"");
                else
                        prom_put(p, s, 1);
        }
}

void prom_family(Prom *p, const char *name, const char *type, const char *help)
{
        prom_puts(p, "# HELP ");
        prom_puts(p, name);
        prom_puts(p, " ");
        prom_escaped(p, help, 0);
        prom_puts(p, "\n# TYPE ");
        prom_puts(p, name);
        prom_puts(p, " ");
        prom_puts(p, type);
        prom_puts(p, "\n");
}

void prom_sample(Prom *p, const char *name, const char *const *labels, double value)
{
        prom_puts(p, name);
        if (labels && labels[0]) {
                prom_puts(p, "{");
                for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
                        char *v = text_sanitize(labels[i + 1], METRICS_LABEL_MAX);
                        if (i)
                                prom_puts(p, ",");
                        prom_puts(p, labels[i]);
                        prom_puts(p, "=\"");
                        prom_escaped(p, v, 1);
                        prom_puts(p, "\"");
                        free(v);
                }
                prom_puts(p, "}");
        }
        char num[40];
        if (isnan(value))
                xsnprintf(num, sizeof num, "NaN");
        else if (isinf(value))
                xsnprintf(num, sizeof num, "%s", value > 0 ? "+Inf" : "-Inf");
        else if (value == floor(value) && fabs(value) < 1e15)
                xsnprintf(num, sizeof num, "%.0f", value);
        else
                xsnprintf(num, sizeof num, "%.15g", value); /* epoch seconds keep their fraction */
        prom_puts(p, " ");
        prom_puts(p, num);
        prom_puts(p, "\n");
}

/* ---- the monitor's series ---- */

/* The meeting label: its id (what ops know), else its uuid. */
static const char *meeting_label(const Meeting *mt)
{
        return mt->id && *mt->id ? mt->id : mt->uuid;
}

/* Instances of a recurring meeting share an id: only the latest is shown. */
static int meeting_shown(const State *s, size_t i)
{
        const char *l = meeting_label(State_meeting(s, i));
        for (size_t k = i + 1; k < State_meeting_count(s); k++)
                if (strcmp(meeting_label(State_meeting(s, k)), l) == 0)
                        return 0;
        return 1;
}

/* Join failure reasons are free text from the portal: the label is bounded. */
static const char *const FAILURE_REASONS[] = {
    "meeting_full",
    "wrong_passcode",
    "locked",
    "registration_required",
    "not_started",
    "removed",
    "waiting_room_abandoned",
    "rejected_from_waiting_room",
    "host_absent",
    "dropped_on_join",
    "other",
};
#define NREASONS (sizeof FAILURE_REASONS / sizeof *FAILURE_REASONS)

static size_t reason_index(const char *r)
{
        for (size_t i = 0; i < NREASONS; i++)
                if (strcmp(r, FAILURE_REASONS[i]) == 0)
                        return i;
        return NREASONS - 1;
}

typedef void (*MeetingValueFn)(const Meeting *mt, double *v, int *present);

static void gauge(Prom *p, const State *s, const char *name, const char *help, MeetingValueFn fn)
{
        prom_family(p, name, "gauge", help);
        for (size_t i = 0; i < State_meeting_count(s); i++) {
                if (!meeting_shown(s, i))
                        continue;
                const Meeting *mt = State_meeting(s, i);
                double v = 0;
                int present = 1;
                fn(mt, &v, &present);
                const char *l[] = {"meeting", meeting_label(mt), NULL};
                if (present)
                        prom_sample(p, name, l, v);
        }
}

static void v_participants(const Meeting *mt, double *v, int *present)
{
        (void)present;
        *v = mt->participants;
}
static void v_capacity(const Meeting *mt, double *v, int *present)
{
        (void)present;
        *v = mt->capacity;
}
static void v_video_on(const Meeting *mt, double *v, int *present)
{
        *present = mt->video_known;
        *v = mt->video_on;
}
static void v_video_limit(const Meeting *mt, double *v, int *present)
{
        (void)present;
        *v = mt->video_limit;
}
static void v_waiting(const Meeting *mt, double *v, int *present)
{
        (void)present;
        *v = mt->waiting;
}
static void v_people(const Meeting *mt, double *v, int *present)
{
        (void)present;
        *v = mt->people;
}
static void v_unidentified(const Meeting *mt, double *v, int *present)
{
        (void)present;
        *v = mt->unidentified;
}

static void join_failures(Prom *p, const State *s)
{
        prom_family(p, "capmon_join_failures_total", "counter",
                    "Join failures, by meeting and reason (waiting-room ones once they can no "
                    "longer be cancelled by a join, 5 s of event time).");
        size_t nm = State_meeting_count(s);
        uint64_t *n = xcalloc(nm * NREASONS + 1, sizeof *n);
        int64_t clock = State_clock(s);
        for (size_t i = 0; i < State_failure_count(s); i++) {
                const JoinFailure *f = State_failure(s, i);
                if (f->cancelled || !f->meeting)
                        continue;
                size_t r = reason_index(f->reason);
                if ((strcmp(f->reason, "waiting_room_abandoned") == 0 ||
                     strcmp(f->reason, "rejected_from_waiting_room") == 0) &&
                    (clock == TIME_NONE || clock - f->time <= 5000))
                        continue; /* a join within 5 s may still cancel it */
                /* counted under the shown instance of its meeting label */
                const char *l = meeting_label(f->meeting);
                for (size_t k = 0; k < nm; k++) {
                        if (meeting_shown(s, k) &&
                            strcmp(meeting_label(State_meeting(s, k)), l) == 0) {
                                n[k * NREASONS + r]++;
                                break;
                        }
                }
        }
        for (size_t k = 0; k < nm; k++) {
                if (!meeting_shown(s, k))
                        continue;
                for (size_t r = 0; r < NREASONS; r++) {
                        if (!n[k * NREASONS + r])
                                continue;
                        const char *l[] = {"meeting", meeting_label(State_meeting(s, k)), "reason",
                                           FAILURE_REASONS[r], NULL};
                        prom_sample(p, "capmon_join_failures_total", l,
                                    (double)n[k * NREASONS + r]);
                }
        }
        free(n);
}

/* One sample per delegation of every shown meeting: participants, or (video)
 * sessions with video on, only where the meeting's video state is known. */
static void delegation_series(Prom *p, const State *s, const char *name, int video)
{
        for (size_t i = 0; i < State_meeting_count(s); i++) {
                if (!meeting_shown(s, i))
                        continue;
                const Meeting *mt = State_meeting(s, i);
                if (video && !mt->video_known)
                        continue;
                for (size_t k = 0; k < mt->ndelegations; k++) {
                        const Delegation *d = mt->delegations[k];
                        const char *l[] = {"meeting", meeting_label(mt), "delegation", d->name,
                                           NULL};
                        prom_sample(p, name, l, video ? d->video_on : d->participants);
                }
        }
}

/* capmon_alerts_firing by meeting label ("" for alerts of no meeting, such as
 * feed), rule and severity; every combination is present, zeros included. */
static void alerts_firing(Prom *p, const Monitor *m)
{
        const State *s = Monitor_state(m);
        const Alerts *al = Monitor_alerts_const(m);
        prom_family(p, "capmon_alerts_firing", "gauge",
                    "Alert instances firing, by meeting, rule and current severity.");
        size_t nm = State_meeting_count(s);
        for (size_t k = 0; k <= nm; k++) { /* k == nm: no meeting */
                if (k < nm && !meeting_shown(s, k))
                        continue;
                const char *label = k < nm ? meeting_label(State_meeting(s, k)) : "";
                for (int r = 0; r < RULE_COUNT; r++) {
                        for (int sev = SEV_WARNING; sev <= SEV_CRITICAL; sev++) {
                                size_t n = 0;
                                for (size_t i = 0; i < Alerts_count(al); i++) {
                                        const Alert *a = Alerts_get(al, i);
                                        if (a->rule != (Rule)r || a->status != AL_FIRING ||
                                            a->level != (Severity)sev)
                                                continue;
                                        const Meeting *am =
                                            a->meeting ? State_find_meeting(s, a->meeting) : NULL;
                                        const char *al_label = am ? meeting_label(am) : "";
                                        n += strcmp(al_label, label) == 0;
                                }
                                const char *l[] = {"meeting",     label,      "rule",
                                                   RULE_NAMES[r], "severity", SEVERITY_NAMES[sev],
                                                   NULL};
                                prom_sample(p, "capmon_alerts_firing", l, (double)n);
                        }
                }
        }
}

void metrics_monitor(Prom *p, const Monitor *m)
{
        const State *s = Monitor_state(m);
        gauge(p, s, "capmon_participants",
              "Open sessions held against the capacity (in the meeting or a breakout room).",
              v_participants);
        gauge(p, s, "capmon_capacity", "The meeting's capacity.", v_capacity);
        gauge(p, s, "capmon_video_on", "Sessions with video on (absent while unknown).",
              v_video_on);
        gauge(p, s, "capmon_video_limit", "Videos shown at most (gallery view).", v_video_limit);
        gauge(p, s, "capmon_waiting", "Participants in the waiting room.", v_waiting);
        gauge(p, s, "capmon_people", "Distinct persons among the participants.", v_people);

        gauge(p, s, "capmon_unidentified",
              "Participants no delegation could be found for (the Unidentified row).",
              v_unidentified);

        prom_family(p, "capmon_meeting_info", "gauge",
                    "Always 1: the meeting's topic, by meeting (join on the meeting label).");
        for (size_t i = 0; i < State_meeting_count(s); i++) {
                if (!meeting_shown(s, i))
                        continue;
                const Meeting *mt = State_meeting(s, i);
                const char *l[] = {"meeting", meeting_label(mt), "topic",
                                   mt->topic ? mt->topic : "", NULL};
                prom_sample(p, "capmon_meeting_info", l, 1);
        }

        prom_family(p, "capmon_delegation_participants", "gauge",
                    "Participants per delegation (every delegation seen in the meeting).");
        delegation_series(p, s, "capmon_delegation_participants", 0);
        prom_family(p, "capmon_delegation_video_on", "gauge",
                    "Sessions with video on per delegation (absent while the meeting's video "
                    "state is unknown).");
        delegation_series(p, s, "capmon_delegation_video_on", 1);
        join_failures(p, s);

        const Counters *c = State_counters(s);
        prom_family(p, "capmon_events_total", "counter",
                    "Records received, by outcome (docs/semantics.md).");
        for (int o = 0; o < OUT_COUNT; o++) {
                const char *l[] = {"outcome", OUTCOME_NAMES[o], NULL};
                prom_sample(p, "capmon_events_total", l, (double)c->n[o]);
        }
        prom_family(p, "capmon_events_clamped_total", "counter",
                    "Records whose event time was further ahead of their arrival than "
                    "state.max_clock_ahead (docs/semantics.md).");
        prom_sample(p, "capmon_events_clamped_total", NULL, (double)c->clamped);

        alerts_firing(p, m);
}

/* Process metrics, as every exporter has them (the Prometheus client libraries'
 * process_* names), from /proc/self; and capmon_build_info. */
void metrics_process(Prom *p)
{
        prom_family(p, "capmon_build_info", "gauge", "Always 1: the version of capmon running.");
        const char *l[] = {"version", CAPMON_VERSION, NULL};
        prom_sample(p, "capmon_build_info", l, 1);

        long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
        unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
        long long rss = 0;
        int have_stat = 0;
        FILE *f = fopen("/proc/self/stat", "r");
        if (f) {
                char buf[1024];
                size_t n = fread(buf, 1, sizeof buf - 1, f);
                buf[n] = '\0';
                fclose(f);
                /* the command name may hold spaces and parentheses: fields
                 * start after the last ')' (proc(5): state is field 3) */
                char *q = strrchr(buf, ')');
                if (q && sscanf(q + 2,
                                "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
                                "%*d %*d %*d %*d %llu %llu %lld",
                                &utime, &stime, &start, &vsize, &rss) == 5)
                        have_stat = tick > 0;
        }
        double boot = 0;
        f = fopen("/proc/stat", "r");
        if (f) {
                char line[256];
                while (fgets(line, sizeof line, f))
                        if (strncmp(line, "btime ", 6) == 0)
                                boot = strtod(line + 6, NULL);
                fclose(f);
        }
        if (have_stat) {
                prom_family(p, "process_cpu_seconds_total", "counter",
                            "Total user and system CPU time spent in seconds.");
                prom_sample(p, "process_cpu_seconds_total", NULL,
                            (double)(utime + stime) / (double)tick);
                prom_family(p, "process_resident_memory_bytes", "gauge",
                            "Resident memory size in bytes.");
                prom_sample(p, "process_resident_memory_bytes", NULL, (double)rss * (double)page);
                prom_family(p, "process_virtual_memory_bytes", "gauge",
                            "Virtual memory size in bytes.");
                prom_sample(p, "process_virtual_memory_bytes", NULL, (double)vsize);
                if (boot > 0) {
                        prom_family(p, "process_start_time_seconds", "gauge",
                                    "Start time of the process since unix epoch in seconds.");
                        prom_sample(p, "process_start_time_seconds", NULL,
                                    boot + (double)start / (double)tick);
                }
        }
        DIR *d = opendir("/proc/self/fd");
        if (d) {
                double n = 0;
                struct dirent *e;
                while ((e = readdir(d)))
                        n += e->d_name[0] != '.';
                closedir(d);
                prom_family(p, "process_open_fds", "gauge", "Number of open file descriptors.");
                prom_sample(p, "process_open_fds", NULL, n - 1); /* less the opendir's own */
        }
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
                prom_family(p, "process_max_fds", "gauge",
                            "Maximum number of open file descriptors.");
                prom_sample(p, "process_max_fds", NULL, (double)rl.rlim_cur);
        }
}

/* ---- the listener ---- */

struct MetricsServer {
        struct lws_vhost *vh;
        MetricsRenderFn render;
        void *ud;
        char *addr;
        int port;
};

typedef struct MetricsConn {
        Prom doc;
        size_t off;
        int status;
        int headers_sent;
        int close; /* not a GET: close after the answer */
} MetricsConn;

int metrics_parse_listen(const char *spec, char **addr, int *port, char *err, size_t errlen)
{
        const char *colon = strrchr(spec, ':');
        int64_t v;
        *addr = NULL;
        if (!colon || parse_int64(colon + 1, &v) || v < 0 || v > 65535)
                return xsnprintf(err, errlen, "--metrics: expected [ADDR]:PORT, got \"%s\"", spec),
                       -1;
        const char *a = spec;
        size_t n = (size_t)(colon - spec);
        if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
                a++;
                n -= 2;
        } else if (memchr(a, ':', n) || memchr(a, '[', n) || memchr(a, ']', n)) {
                return xsnprintf(err, errlen, "--metrics: expected [ADDR]:PORT, got \"%s\"", spec),
                       -1;
        }
        *addr = n ? xstrndup(a, n) : xstrdup("127.0.0.1");
        *port = (int)v;
        return 0;
}

static void conn_done(MetricsConn *c)
{
        Prom_done(&c->doc);
        c->off = 0;
        c->headers_sent = 0;
}

static int metrics_write(struct lws *wsi, MetricsConn *c)
{
        if (!c->headers_sent) {
                unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
                                                  *end = hdr + sizeof hdr - 1;
                if (lws_add_http_common_headers(wsi, (unsigned int)c->status,
                                                c->status == 200 ? METRICS_CONTENT_TYPE
                                                                 : "text/plain; charset=utf-8",
                                                (lws_filepos_t)c->doc.len, &p, end))
                        return -1;
                if (c->close &&
                    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                                 (const unsigned char *)"close", 5, &p, end))
                        return -1;
                if (lws_finalize_write_http_header(wsi, start, &p, end))
                        return -1;
                c->headers_sent = 1;
        }
        size_t n = c->doc.len - c->off;
        if (n > METRICS_CHUNK)
                n = METRICS_CHUNK;
        int final = c->off + n == c->doc.len;
        if (n) {
                unsigned char *b = xmalloc(LWS_PRE + n);
                memcpy(b + LWS_PRE, c->doc.buf + c->off, n);
                int w =
                    lws_write(wsi, b + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
                free(b);
                if (w < 0)
                        return -1;
                c->off += n;
        }
        if (!final) {
                lws_callback_on_writable(wsi);
                return 0;
        }
        int close = c->close;
        conn_done(c);
        if (close || lws_http_transaction_completed(wsi))
                return -1;
        return 0;
}

static int callback_metrics(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
        MetricsConn *c = user;
        switch (reason) {
        case LWS_CALLBACK_HTTP: {
                MetricsServer *s = lws_vhost_user(lws_get_vhost(wsi));
                const char *uri = in ? (const char *)in : "";
                int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
                conn_done(c);
                c->close = !get;
                if (!get) {
                        c->status = 405;
                        prom_puts(&c->doc, "only GET /metrics\n");
                } else if (strcmp(uri, "/metrics") != 0) {
                        c->status = 404;
                        prom_puts(&c->doc, "not found: try /metrics\n");
                } else {
                        c->status = 200;
                        if (s && s->render)
                                s->render(s->ud, &c->doc);
                        metrics_process(&c->doc);
                }
                lws_callback_on_writable(wsi);
                return 0;
        }
        case LWS_CALLBACK_HTTP_BODY:
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
                return 0; /* a body (not a GET) is ignored: answered 405 and closed */
        case LWS_CALLBACK_HTTP_WRITEABLE:
                if (!c || !c->status)
                        return 0;
                return metrics_write(wsi, c);
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        case LWS_CALLBACK_CLOSED_HTTP:
                if (c)
                        conn_done(c);
                break;
        default:
                break;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols metrics_protocols[] = {
    {"capmon-metrics", callback_metrics, sizeof(MetricsConn), 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

MetricsServer *Metrics_listen(struct lws_context *cx, const char *spec, MetricsRenderFn render,
                              void *ud, char *err, size_t errlen)
{
        MetricsServer *s = xcalloc(1, sizeof *s);
        if (metrics_parse_listen(spec, &s->addr, &s->port, err, errlen)) {
                free(s);
                return NULL;
        }
        s->render = render;
        s->ud = ud;
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = s->port;
        info.iface = s->addr;
        info.protocols = metrics_protocols;
        info.vhost_name = "capmon-metrics";
        info.user = s;
        if (!strchr(s->addr, ':'))
                info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
        s->vh = lws_create_vhost(cx, &info);
        if (!s->vh) {
                xsnprintf(err, errlen, "--metrics: cannot listen on %s:%d", s->addr, s->port);
                Metrics_free(s);
                return NULL;
        }
        return s;
}

int Metrics_port(const MetricsServer *s)
{
        return s && s->vh ? lws_get_vhost_listen_port(s->vh) : -1;
}

void Metrics_url(const MetricsServer *s, char *buf, size_t len)
{
        int v6 = strchr(s->addr, ':') != NULL;
        xsnprintf(buf, len, "http://%s%s%s:%d/metrics", v6 ? "[" : "", s->addr, v6 ? "]" : "",
                  Metrics_port(s));
}

void Metrics_free(MetricsServer *s)
{
        if (!s)
                return;
        if (s->vh)
                lws_vhost_destroy(s->vh);
        free(s->addr);
        free(s);
}
