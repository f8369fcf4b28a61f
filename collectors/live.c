/* Live sources -> Monitor, with the feed and lag rules (docs/live.md). */
#include "live.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evlog.h"
#include "metrics.h"
#include "rtms.h"
#include "util.h"
#include "zoom_token.h"

#define LIVE_SOURCES_MAX 64
#define GAP_HOLD_MS      (5 * 60 * 1000) /* a gap alert clears after 5 min of traffic */
#define STORE_GRACE_MS   2000 /* a relay tells a new subscriber at once if its store is down */
#define STABLE_MS        3000 /* connected this long (or a message): an outage is over */
#define LIVE_ERROR_MAX   160
#define RELAY_FEEDS_MAX  64  /* sources of relays (RTMS streams) whose state is followed */
#define RELAY_FEED_NAME  200 /* bytes of such a source's name kept */

typedef struct LiveSrc {
        char *name;
        char *gap_name;
        int silence; /* silence is a fault */
        int state;   /* -1 never connected yet, 0 down, 1 up */
        int done;
        int feed_level; /* what we last told Alerts for feed */
        int lag_level;  /* same, for lag */
        int gap_raised;
        int store_down; /* the relay says it cannot reach its store */
        char *store_name;
        unsigned long connects; /* connections established (metrics) */
        double lag_s;           /* the last lag measured (metrics) */
        int lag_known;
        int64_t alive_ms;           /* wall time of the last traffic */
        int64_t down_ms;            /* wall time it went down */
        int64_t gap_ms;             /* wall time of the last gap */
        int64_t store_ms;           /* wall time the relay said its store went down */
        int64_t store_said;         /* wall time it last said so */
        int64_t connect_ms;         /* wall time of the last connection */
        int64_t added_ms;           /* wall time the source was added */
        int proven;                 /* the connection is up for STABLE_MS or carried a message */
        char error[LIVE_ERROR_MAX]; /* the last error in words ("" none) */
} LiveSrc;

/* A source of a relay, not of this process (an RTMS stream the relay
 * follows), that the relay said is down: `feed` for "<its name> (relay)". */
typedef struct RelayFeed {
        char *name; /* the alert's subject; NULL: a free entry */
        int src;    /* the relay stream source that said it */
        int down;
        int64_t down_ms; /* wall time it went down */
        int64_t said_ms; /* wall time the relay last said so */
} RelayFeed;

struct Live {
        Monitor *m;
        Extractor *x; /* each message is read once, here */
        Loop *loop;
        FILE *record;
        FILE *trace;
        LiveLogFn log;
        void *log_ud;
        LiveSrc src[LIVE_SOURCES_MAX];
        int nsrc;
        LoopTimer *tick;
        int64_t last_event_clock; /* monitor clock after the last message */
        int64_t last_event_wall;  /* wall ms at that moment */
        void (*all_done)(void *ud);
        void *all_done_ud;
        int64_t resume_seq;          /* watch --resume: relay streams start after it (-1: none) */
        const MeetingFilter *filter; /* watch --meeting, or NULL */
        uint64_t filtered;           /* messages it skipped */
        ZoomToken *zoom_token;       /* shared by the Zoom source and REST client */
        void (*reconnect)(void *ud, int id);
        void *reconnect_ud;
        char err[512];
        Rtms *rtms; /* RTMS streams started by webhooks of any source (Live_rtms) */
        int rtms_tried;
        RelayFeed rfeed[RELAY_FEEDS_MAX];
};

static void prove(Live *lv, int id);
static void relay_feed_tick(Live *lv, int64_t now);

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void Live_logf(Live *lv, const char *fmt, ...)
{
        if (!lv->log)
                return;
        char line[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        /* parts of it come from the network (close reasons, relay frames, parse
         * errors quoting bytes): no control or bidi character reaches a log */
        char *clean = text_sanitize(line, sizeof line);
        lv->log(lv->log_ud, clean);
        free(clean);
}

Monitor *Live_monitor(Live *lv)
{
        return lv->m;
}

Loop *Live_loop(Live *lv)
{
        return lv->loop;
}

/* The monitor clock, or the wall clock before the first event. */
static int64_t alert_clock(Live *lv)
{
        int64_t c = State_clock(Monitor_state(lv->m));
        return c == TIME_NONE ? wall_ms() : c;
}

static void set_feed(Live *lv, LiveSrc *s, int level, double value, double threshold)
{
        if (level == s->feed_level && level == SEV_NONE)
                return;
        s->feed_level = level;
        Alerts_external(Monitor_alerts(lv->m), RULE_FEED, s->name, (Severity)level, value,
                        threshold, alert_clock(lv));
}

static void tick(void *ud)
{
        Live *lv = ud;
        int64_t now = wall_ms();
        const Config *cfg = Monitor_config(lv->m);
        /* the clock runs on with wall time between records */
        if (lv->last_event_clock != TIME_NONE)
                Monitor_tick(lv->m, time_add(lv->last_event_clock, now - lv->last_event_wall));
        for (int i = 0; i < lv->nsrc; i++) {
                LiveSrc *s = &lv->src[i];
                if (s->done)
                        continue;
                double silent = (double)(now - s->alive_ms) / 1000.0;
                if (s->state == 1 && !s->proven && now - s->connect_ms >= STABLE_MS)
                        prove(lv, i);
                if (s->state == 0) {
                        set_feed(lv, s, SEV_CRITICAL, (double)(now - s->down_ms) / 1000.0, 0);
                } else if (s->state < 0 && s->silence &&
                           (double)(now - s->added_ms) / 1000.0 > cfg->feed_silence_s) {
                        /* never connected (an attempt that hangs): on the wall clock */
                        if (s->feed_level == SEV_NONE)
                                Live_logf(lv, "%s: not connected after %.0f s%s%s", s->name,
                                          (double)(now - s->added_ms) / 1000.0,
                                          s->error[0] ? ": " : "", s->error);
                        set_feed(lv, s, SEV_CRITICAL, (double)(now - s->added_ms) / 1000.0,
                                 cfg->feed_silence_s);
                } else if (s->state == 1 && s->silence && silent > cfg->feed_silence_s) {
                        if (s->feed_level == SEV_NONE)
                                Live_logf(lv, "%s: silent for %.0f s", s->name, silent);
                        set_feed(lv, s, SEV_CRITICAL, silent, cfg->feed_silence_s);
                }
                if (s->store_down && s->state == 1 && s->store_said < s->connect_ms &&
                    now - s->connect_ms >= STORE_GRACE_MS)
                        Live_store(lv, i, 1, NULL); /* not repeated on this connection */
                if (s->store_down && s->state == 1)
                        Alerts_external(Monitor_alerts(lv->m), RULE_FEED, s->store_name,
                                        SEV_CRITICAL, (double)(now - s->store_ms) / 1000.0, 0,
                                        alert_clock(lv));
                if (s->gap_raised && now - s->gap_ms > GAP_HOLD_MS && s->state == 1) {
                        s->gap_raised = 0;
                        Alerts_external(Monitor_alerts(lv->m), RULE_FEED, s->gap_name, SEV_NONE, 0,
                                        1, alert_clock(lv));
                }
        }
        relay_feed_tick(lv, now);
        if (lv->trace)
                fflush(lv->trace);
        Loop_timer_start(lv->tick, 1000000);
}

Live *Live_new(Monitor *m, Loop *loop, FILE *record, LiveLogFn log, void *ud)
{
        Live *lv = xcalloc(1, sizeof *lv);
        lv->m = m;
        lv->x = Extractor_new();
        lv->loop = loop;
        lv->record = record;
        lv->log = log;
        lv->log_ud = ud;
        lv->last_event_clock = TIME_NONE;
        lv->resume_seq = -1;
        lv->tick = Loop_timer_new(loop, tick, lv);
        Loop_timer_start(lv->tick, 1000000);
        return lv;
}

void Live_free(Live *lv)
{
        if (!lv)
                return;
        Rtms_free(lv->rtms);
        Loop_timer_free(lv->tick);
        ZoomToken_free(lv->zoom_token);
        for (int i = 0; i < lv->nsrc; i++) {
                free(lv->src[i].name);
                free(lv->src[i].gap_name);
                free(lv->src[i].store_name);
        }
        for (int i = 0; i < RELAY_FEEDS_MAX; i++)
                free(lv->rfeed[i].name);
        Extractor_free(lv->x);
        free(lv);
}

static void zoom_token_log(void *ud, const char *line)
{
        Live_logf(ud, "%s", line);
}

void Live_on_reconnect(Live *lv, void (*fn)(void *ud, int id), void *ud)
{
        lv->reconnect = fn;
        lv->reconnect_ud = ud;
}

ZoomToken *Live_zoom_token(Live *lv, char *err, size_t errlen)
{
        if (!lv->zoom_token)
                lv->zoom_token = ZoomToken_new(lv->loop, zoom_token_log, lv, err, errlen);
        return lv->zoom_token;
}

/* name + suffix, in a new string: the subject of another feed instance. */
static char *suffixed(const char *name, const char *suffix)
{
        size_t n = strlen(name), k = strlen(suffix);
        char *out = xmalloc(n + k + 1);
        memcpy(out, name, n);
        memcpy(out + n, suffix, k + 1);
        return out;
}

int Live_source_add(Live *lv, const char *name, int silence)
{
        if (lv->nsrc == LIVE_SOURCES_MAX)
                return -1;
        LiveSrc *s = &lv->src[lv->nsrc];
        memset(s, 0, sizeof *s);
        s->name = xstrdup(name);
        s->gap_name = suffixed(name, " (gap)");
        s->store_name = suffixed(name, " (relay store unreachable)");
        s->silence = silence;
        s->state = -1;
        s->alive_ms = s->added_ms = wall_ms();
        return lv->nsrc++;
}

/* The connection carried traffic or lasted STABLE_MS: the outage is over. */
static void prove(Live *lv, int id)
{
        LiveSrc *s = &lv->src[id];
        s->proven = 1;
        s->error[0] = '\0';
        if (s->state == 1 && s->feed_level != SEV_NONE) {
                Live_logf(lv, "%s: receiving again", s->name);
                set_feed(lv, s, SEV_NONE, 0, 0);
        }
}

void Live_alive(Live *lv, int id)
{
        LiveSrc *s = &lv->src[id];
        s->alive_ms = wall_ms();
        if (s->state == 1 && (!s->proven || s->feed_level != SEV_NONE))
                prove(lv, id);
}

void Live_connected(Live *lv, int id, int up)
{
        LiveSrc *s = &lv->src[id];
        if (up) {
                int again = s->state == 0;
                if (s->state != 1) {
                        Live_logf(lv, "%s: connected", s->name);
                        s->connects++;
                        s->connect_ms = wall_ms();
                        s->proven = 0;
                }
                s->state = 1;
                s->alive_ms = wall_ms();
                /* a connection that is closed at once is no end of the outage:
                 * `feed` resolves with the first message, or after STABLE_MS */
                if (s->feed_level == SEV_NONE)
                        s->proven = 1;
                if (again && lv->reconnect)
                        lv->reconnect(lv->reconnect_ud, id);
                return;
        }
        if (s->state == 0)
                return;
        Live_logf(lv, "%s: %s", s->name, s->state < 0 ? "cannot connect" : "disconnected");
        s->state = 0;
        s->down_ms = wall_ms();
        set_feed(lv, s, SEV_CRITICAL, 0, 0);
}

void Live_set_error(Live *lv, int id, const char *words)
{
        char *clean = text_sanitize(words ? words : "", LIVE_ERROR_MAX - 1);
        xsnprintf(lv->src[id].error, LIVE_ERROR_MAX, "%s", clean);
        free(clean);
}

const char *Live_down_reason(const Live *lv)
{
        for (int i = 0; i < lv->nsrc; i++) {
                const LiveSrc *s = &lv->src[i];
                if (!s->done && s->error[0] && (s->state != 1 || !s->proven))
                        return s->error;
        }
        return NULL;
}

int Live_live(const Live *lv)
{
        for (int i = 0; i < lv->nsrc; i++) {
                const LiveSrc *s = &lv->src[i];
                if (!s->done && s->state == 1 && s->proven && s->feed_level == SEV_NONE)
                        return 1;
        }
        return 0;
}

void Live_gap(Live *lv, int id, int64_t from, int64_t to)
{
        LiveSrc *s = &lv->src[id];
        int64_t lost = 0; /* from and to come from the peer: any int64 */
        if (to >= from && (__builtin_sub_overflow(to, from, &lost) || lost == INT64_MAX))
                lost = INT64_MAX;
        else if (to >= from)
                lost++;
        Live_logf(lv, "%s: %lld records lost (seq %lld to %lld are no longer kept)", s->name,
                  (long long)lost, (long long)from, (long long)to);
        s->gap_raised = 1;
        s->gap_ms = wall_ms();
        Alerts_external(Monitor_alerts(lv->m), RULE_FEED, s->gap_name, SEV_CRITICAL, (double)lost,
                        1, alert_clock(lv));
}

void Live_store(Live *lv, int id, int up, const char *reason)
{
        LiveSrc *s = &lv->src[id];
        if (up) {
                if (!s->store_down)
                        return;
                s->store_down = 0;
                Live_logf(lv, "%s: the relay reaches its store again", s->name);
                Alerts_external(Monitor_alerts(lv->m), RULE_FEED, s->store_name, SEV_NONE, 0, 0,
                                alert_clock(lv));
                return;
        }
        s->store_said = wall_ms();
        if (s->store_down)
                return;
        s->store_down = 1;
        s->store_ms = wall_ms();
        Live_logf(lv, "%s: the relay cannot reach its store (%s): no events until it can", s->name,
                  reason && *reason ? reason : "no reason given");
        Alerts_external(Monitor_alerts(lv->m), RULE_FEED, s->store_name, SEV_CRITICAL, 0, 0,
                        alert_clock(lv));
}

static void relay_feed_set(Live *lv, RelayFeed *f, int down, const char *reason)
{
        int64_t now = wall_ms();
        f->down = down;
        if (down) {
                f->down_ms = now;
                Live_logf(lv, "%s: %s: down (%s)", lv->src[f->src].name, f->name,
                          reason && *reason ? reason : "no reason given");
        } else {
                Live_logf(lv, "%s: %s: %s", lv->src[f->src].name, f->name,
                          reason ? reason : "live again");
        }
        Alerts_external(Monitor_alerts(lv->m), RULE_FEED, f->name, down ? SEV_CRITICAL : SEV_NONE,
                        0, 0, alert_clock(lv));
}

void Live_relay_feed(Live *lv, int id, const char *source, int up, const char *reason)
{
        char *clean = text_sanitize(source, RELAY_FEED_NAME);
        char *name = suffixed(clean, " (relay)");
        free(clean);
        RelayFeed *f = NULL, *spare = NULL;
        for (int i = 0; i < RELAY_FEEDS_MAX && !f; i++) {
                RelayFeed *e = &lv->rfeed[i];
                if (e->name && e->src == id && strcmp(e->name, name) == 0)
                        f = e;
                else if (!spare && (!e->name || !e->down))
                        spare = e;
        }
        if (!f && !up && spare) { /* a new one (or one resolved: forgotten) */
                free(spare->name);
                memset(spare, 0, sizeof *spare);
                spare->name = name;
                spare->src = id;
                name = NULL;
                f = spare;
        } else if (!f && !up) {
                Live_logf(lv, "%s: %d sources of the relay down already: %s ignored",
                          lv->src[id].name, RELAY_FEEDS_MAX, name);
        }
        free(name);
        if (!f) /* up: nothing was raised for it */
                return;
        char why[LIVE_ERROR_MAX];
        xsnprintf(why, sizeof why, "%s", reason ? reason : "");
        if (!up)
                f->said_ms = wall_ms();
        if (f->down != !up)
                relay_feed_set(lv, f, !up, up ? NULL : why);
}

/* A new connection to the relay that does not say within STORE_GRACE_MS
 * that a source is down (a relay tells a new subscriber at once): it is not. */
static void relay_feed_tick(Live *lv, int64_t now)
{
        for (int i = 0; i < RELAY_FEEDS_MAX; i++) {
                RelayFeed *f = &lv->rfeed[i];
                if (!f->name || !f->down)
                        continue;
                const LiveSrc *s = &lv->src[f->src];
                if (s->state == 1 && f->said_ms < s->connect_ms &&
                    now - s->connect_ms >= STORE_GRACE_MS)
                        relay_feed_set(lv, f, 0, "not down at the relay any more");
                else
                        Alerts_external(Monitor_alerts(lv->m), RULE_FEED, f->name, SEV_CRITICAL,
                                        (double)(now - f->down_ms) / 1000.0, 0, alert_clock(lv));
        }
}

void Live_count_invalid(Live *lv)
{
        if (lv->filter && lv->filter->n)
                lv->filtered++;
        else
                Monitor_count_invalid(lv->m);
}

void Live_source_done(Live *lv, int id)
{
        LiveSrc *s = &lv->src[id];
        if (s->done)
                return;
        s->done = 1;
        if (s->feed_level != SEV_NONE)
                set_feed(lv, s, SEV_NONE, 0, 0);
        if (Live_active(lv) == 0 && lv->all_done)
                lv->all_done(lv->all_done_ud);
}

size_t Live_active(const Live *lv)
{
        size_t n = 0;
        for (int i = 0; i < lv->nsrc; i++)
                n += !lv->src[i].done;
        return n;
}

void Live_set_trace(Live *lv, FILE *trace)
{
        lv->trace = trace;
}

void Live_set_resume(Live *lv, int64_t seq)
{
        lv->resume_seq = seq;
}

int64_t Live_resume(const Live *lv)
{
        return lv->resume_seq;
}

void Live_set_filter(Live *lv, const MeetingFilter *f)
{
        lv->filter = f && f->n ? f : NULL;
}

const MeetingFilter *Live_filter(const Live *lv)
{
        return lv->filter;
}

uint64_t Live_filtered(const Live *lv)
{
        return lv->filtered;
}

/* Under a meeting filter: is this message applied? Messages that are no event
 * are; events of another meeting, without one, invalid or not JSON are not. */
static int wanted(const Live *lv, const Msg *msg)
{
        if (!lv->filter)
                return 1;
        return msg->has_meeting < 0 ||
               (msg->has_meeting == 1 && MeetingFilter_has(lv->filter, msg->mid));
}

void Live_on_all_done(Live *lv, void (*fn)(void *ud), void *ud)
{
        lv->all_done = fn;
        lv->all_done_ud = ud;
}

static void record_line(Live *lv, const char *src, const char *text, size_t len, int is_record,
                        int64_t now)
{
        if (!lv->record)
                return;
        if (is_record && !memchr(text, '\n', len)) {
                fwrite(text, 1, len, lv->record);
                fputc('\n', lv->record);
        } else {
                char *line;
                size_t n = Record_format(&line, -1, now, src, text, len, NULL);
                fwrite(line, 1, n, lv->record);
                free(line);
        }
        if (fflush(lv->record))
                Live_logf(lv, "--record: %s", strerror(errno));
}

static void measure_lag(Live *lv, LiveSrc *s, int64_t event_ts, int64_t arrival)
{
        if (event_ts == TIME_NONE || arrival == TIME_NONE)
                return;
        const Config *cfg = Monitor_config(lv->m);
        /* event_ts is any int64 a peer sent: subtract as reals, never overflow */
        double lag = ((double)arrival - (double)event_ts) / 1000.0;
        s->lag_s = lag;
        s->lag_known = 1;
        int level = lag > cfg->lag_s ? SEV_WARNING : SEV_NONE;
        if (level == SEV_NONE && s->lag_level == SEV_NONE)
                return;
        s->lag_level = level;
        Alerts_external(Monitor_alerts(lv->m), RULE_LAG, s->name, (Severity)level, lag, cfg->lag_s,
                        alert_clock(lv));
}

Outcome Live_message(Live *lv, int id, const char *src, const char *text, size_t len, int64_t *seq)
{
        LiveSrc *s = &lv->src[id];
        int64_t now = wall_ms();
        *seq = -1;
        s->alive_ms = now;
        Msg msg;
        Event_extract(lv->x, text, len, &msg);
        if (msg.has_seq)
                *seq = msg.seq;
        if (!wanted(lv, &msg)) {
                lv->filtered++;
                if (s->state == 1 && (!s->proven || s->feed_level != SEV_NONE))
                        prove(lv, id);
                return OUT_NONE;
        }
        if (!msg.is_header) /* a log file's header is no message */
                record_line(lv, src, text, len, msg.is_record, now);
        Outcome out;
        if (msg.kind == MSG_NOT_JSON) {
                Monitor_count_invalid(lv->m);
                Live_logf(lv, "%s: invalid message: %s", s->name, msg.err);
                out = OUT_INVALID;
        } else {
                out = Monitor_feed_msg(lv->m, &msg, msg.is_record ? TIME_NONE : now, lv->err,
                                       sizeof lv->err);
                if (out == OUT_INVALID)
                        Live_logf(lv, "%s: invalid message: %s", s->name, lv->err);
                /* a record's recv is its pacing time (msg.at) */
                if (out != OUT_INVALID && out != OUT_NONE)
                        measure_lag(lv, s, msg.event_ts, msg.is_record ? msg.at : now);
        }
        if (lv->trace && *seq >= 0) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                fprintf(lv->trace, "%lld %lld\n", (long long)*seq,
                        (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        }
        lv->last_event_clock = State_clock(Monitor_state(lv->m));
        lv->last_event_wall = now;
        if (s->state == 1 && (!s->proven || s->feed_level != SEV_NONE))
                prove(lv, id);
        return out;
}

void Source_reconnect(Source *s)
{
        if (s && s->reconnect)
                s->reconnect(s);
}

void Source_free(Source *s)
{
        if (s)
                s->free(s);
}

/* The source label: its address without the query (which may hold a token);
 * for a list of relay addresses, each without its query. */
static char *source_label(const char *name)
{
        size_t n = strlen(name), o = 0;
        char *out = xmalloc(n + 1);
        int skip = 0;
        for (size_t i = 0; i < n; i++) {
                if (name[i] == ',' && (strncmp(name + i + 1, "ws://", 5) == 0 ||
                                       strncmp(name + i + 1, "wss://", 6) == 0))
                        skip = 0;
                else if (name[i] == '?')
                        skip = 1;
                if (!skip)
                        out[o++] = name[i];
        }
        out[o] = '\0';
        return out;
}

void Live_metrics(const Live *lv, Prom *p)
{
        char **labels = xcalloc((size_t)lv->nsrc + 1, sizeof *labels);
        for (int i = 0; i < lv->nsrc; i++)
                labels[i] = source_label(lv->src[i].name);
        prom_family(p, "capmon_source_connected", "gauge",
                    "1 while the source is connected (a file: until its end), else 0.");
        for (int i = 0; i < lv->nsrc; i++) {
                const char *l[] = {"source", labels[i], NULL};
                prom_sample(p, "capmon_source_connected", l,
                            lv->src[i].state == 1 && !lv->src[i].done);
        }
        prom_family(p, "capmon_source_reconnects_total", "counter",
                    "Connections established after the first one.");
        for (int i = 0; i < lv->nsrc; i++) {
                const char *l[] = {"source", labels[i], NULL};
                unsigned long c = lv->src[i].connects;
                prom_sample(p, "capmon_source_reconnects_total", l, c ? (double)(c - 1) : 0);
        }
        prom_family(p, "capmon_lag_seconds", "gauge",
                    "Arrival minus event time of the last event of the source (absent before "
                    "the first).");
        for (int i = 0; i < lv->nsrc; i++) {
                if (!lv->src[i].lag_known)
                        continue;
                const char *l[] = {"source", labels[i], NULL};
                prom_sample(p, "capmon_lag_seconds", l, lv->src[i].lag_s);
        }
        for (int i = 0; i < lv->nsrc; i++)
                free(labels[i]);
        free(labels);
        prom_family(p, "capmon_messages_filtered_total", "counter",
                    "Messages skipped by --meeting: events of other meetings, events without "
                    "a meeting id, invalid messages.");
        prom_sample(p, "capmon_messages_filtered_total", NULL, (double)lv->filtered);
}

Rtms *Live_rtms(Live *lv)
{
        if (!lv->rtms && !lv->rtms_tried) {
                char err[300];
                lv->rtms_tried = 1;
                lv->rtms = Rtms_for_live(lv, err, sizeof err);
                if (!lv->rtms)
                        Live_logf(lv, "%s", err);
        }
        return lv->rtms;
}
