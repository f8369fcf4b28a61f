/* capmon watch: live sources -> state -> dashboard, or JSON snapshots. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dashboard.h"
#include "evlog.h"
#include "hook.h"
#include "live.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "reconcile.h"
#include "util.h"
#include "zoom_api.h"
#include "zoom_token.h"

#define HOOK_STOP_GRACE_MS 1500 /* running hook calls at shutdown, then killed */

typedef struct Watch {
        CommonOpts common;
        int json;
        double interval, duration;
        const char *logpath, *tracepath, *resume, *metrics_spec;
        FILE *trace;
        int log_format; /* LogFormat: --log-format */
        int signalled;  /* SIGINT or SIGTERM stopped it */
        Monitor *m;
        Loop *loop;
        Live *lv;
        Hook *hook;
        Dashboard *dash;
        MetricsServer *metrics;
        MeetingFilter filter;   /* --meeting */
        int reconcile_interval; /* --reconcile-interval; -1: not given */
        ZoomApi *zoom_api;
        Reconciler *reconciler;
        int reconcile_src; /* the Live source its records come from */
        int video_qos;     /* --video-qos S; 0: off */
        Reconciler *qos;   /* its poller (a Reconciler of the QoS list) */
        int qos_src;
        FILE *record;
        LoopTimer *print_timer, *stop_timer, *hook_timer, *dash_timer;
        int ended;    /* every source ended (else stopped: q, a signal, --duration) */
        Source **src; /* the sources (for r) */
        size_t nsrc;
        int rc;
} Watch;

static int set_meeting(void *opts, const char *id, char *err, size_t errlen)
{
        Watch *w = opts;
        if (w->filter.n == MEETING_FILTER_MAX && !MeetingFilter_has(&w->filter, id))
                return xsnprintf(err, errlen, "at most %d meetings", MEETING_FILTER_MAX), -1;
        if (MeetingFilter_add(&w->filter, id))
                return xsnprintf(err, errlen, "a meeting id has 1 to %d bytes", MEETING_ID_MAX - 1),
                       -1;
        return 0;
}

static const CliOpt WATCH_OPTS[] = {
    {"json", 0, CLI_FLAG, offsetof(Watch, json), NULL,
     "no dashboard: print the snapshot as one JSON line every\n--interval seconds and at exit", 0,
     0, NULL},
    {"interval", 0, CLI_DOUBLE, offsetof(Watch, interval), "S",
     "seconds between two --json snapshots (default 1)", 0.01, 86400, NULL},
    {"duration", 0, CLI_DOUBLE, offsetof(Watch, duration), "S", "stop after S seconds", 0.01, 1e9,
     NULL},
    {"log", 0, CLI_STRING, offsetof(Watch, logpath), "FILE",
     "append capmon's own log lines (connections, refusals) to FILE\n"
     "(default: standard error, none while the dashboard runs);\n"
     "SIGHUP reopens it (logrotate)",
     0, 0, NULL},
    {"log-format", 0, CLI_CHOICE, offsetof(Watch, log_format), "text|json",
     "log lines as text (default) or one JSON object each", 0, 0, NULL},
    CLI_OPT_RECORD(Watch),
    {"resume", 0, CLI_STRING, offsetof(Watch, resume), "FILE",
     "rebuild the state from FILE (a --record log of an earlier\n"
     "watch) before going live, then keep recording to it; a\n"
     "single relay source resumes after the last seq in FILE",
     0, 0, NULL},
    {"meeting", 0, CLI_CALL, 0, "ID",
     "apply only the events of meeting ID (payload.object.id;\n"
     "repeatable, up to 64); relays are asked to filter too\n"
     "(meeting=ID); anything else is skipped and counted",
     0, 0, set_meeting},
    CLI_OPT_HOOK(Watch),
    {"reconcile-interval", 0, CLI_INT, offsetof(Watch, reconcile_interval), "S",
     "reconcile with Zoom's live participant list (Dashboard API)\n"
     "every S seconds, besides at start and after reconnections\n"
     "(default 300 with a zoom source; 0: never; other sources:\n"
     "only when given, with the Zoom credentials set)",
     0, 7 * 86400, NULL},
    {"video-qos", 0, CLI_INT, offsetof(Watch, video_qos), "S",
     "estimate cameras from Zoom's live QoS list (Dashboard API)\n"
     "every S seconds: sending video counts as on (an estimate);\n"
     "pages of 10, so a 1,000-person sweep is 100 requests: below\n"
     "180 s that outruns Zoom's Heavy daily limit (warned)",
     10, 7 * 86400, NULL},
    {"metrics", 0, CLI_STRING, offsetof(Watch, metrics_spec), "ADDR:PORT",
     "serve Prometheus metrics at GET /metrics (':PORT': 127.0.0.1)", 0, 0, cli_listen_addr},
    {"trace", 0, CLI_STRING, offsetof(Watch, tracepath), "FILE",
     "append \"SEQ EPOCH_US\" for each relay record applied (benchmarks)", 0, 0, NULL},
    CLI_OPT_CONFIG(Watch),
    CLI_OPT_ROSTER(Watch),
    CLI_OPT_CAPACITY(Watch),
    CLI_OPT_VIDEO_LIMIT(Watch),
    CLI_OPT_NO_COLOR(Watch),
    CLI_OPT_TZ(Watch, common.tz),
    CLI_OPT_END,
};

static const CliCommand WATCH_CMD = {
    "watch",
    "[OPTIONS] SOURCE...",
    "Watch live meetings. SOURCE is one of:\n"
    "  ws://HOST:PORT[/events], wss://...   a capmon relay (token from CAPMON_TOKEN);\n"
    "                       resumes where it stopped after a disconnection\n"
    "  'ws://A/events,ws://B/events'   relays sharing one stream (Redis): one source\n"
    "                       whose addresses are tried in turn; after a drop the next\n"
    "                       one at once (if the connection had lasted 10 s), after a\n"
    "                       failed attempt the next one after the backoff (0.5 s to 10 s)\n"
    "  redis://HOST:PORT/STREAM, rediss://...  the relays' shared Redis stream, read\n"
    "                       directly (CAPMON_REDIS_PASSWORD; docs/redis.md)\n"
    "  zoom                 a Zoom WebSocket subscription (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID,\n"
    "                       ZOOM_CLIENT_SECRET, ZOOM_SUBSCRIPTION_ID)\n"
    "  webhook://[ADDR]:PORT  the built-in webhook receiver (CAPMON_WEBHOOK_SECRET,\n"
    "                       CAPMON_TOKEN for POST /events)\n"
    "  FILE                 a recorded log, replayed in real time\n"
    "Several sources may be combined; duplicates are counted once.\n",
    WATCH_OPTS,
    "The dashboard is used when standard output is a terminal and --json is not given;\n"
    "its header gives a failing source's last error; r reconnects now. Otherwise\n"
    "--json is implied. Exit status: 0 stopped (q, SIGINT, SIGTERM, --duration\n"
    "or every file source at its end), 1 runtime failure, 2 usage error.\n",
    1,
    CLI_ANY,
    "source",
    0,
};

static void watch_log(void *ud, const char *line)
{
        (void)ud;
        Log_text(line);
}

static int print_snapshot(Watch *w)
{
        json_t *snap = Monitor_snapshot(w->m);
        int bad = json_dumpf(snap, stdout, JSON_COMPACT) || fputc('\n', stdout) == EOF ||
                  fflush(stdout) != 0;
        json_decref(snap);
        if (bad) {
                watch_log(w, "standard output: write failed");
                w->rc = EXIT_RUNTIME;
                Loop_stop(w->loop);
        }
        return bad ? -1 : 0;
}

static void on_print(void *ud)
{
        Watch *w = ud;
        if (print_snapshot(w) == 0)
                Loop_timer_start(w->print_timer, (int64_t)(w->interval * 1e6));
}

static void on_stop(void *ud)
{
        Watch *w = ud;
        Loop_stop(w->loop);
}

static void on_signal(void *ud, int signo)
{
        Watch *w = ud;
        w->signalled = signo;
        Log_printf(LOG_INFO, "%s: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        on_stop(ud);
}

static void on_hup(void *ud, int signo)
{
        (void)ud, (void)signo;
        Log_reopen(); /* logrotate moved the file away */
}

static void on_all_done(void *ud)
{
        Watch *w = ud;
        w->ended = 1; /* not a stop: the hooks' calls are all made */
        watch_log(w, "every source has ended");
        Loop_stop(w->loop);
}

static void on_hook_tick(void *ud)
{
        Watch *w = ud;
        /* before any event the alerts (feed) are timed by the wall clock */
        int64_t clock = State_clock(Monitor_state(w->m));
        if (clock == TIME_NONE) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                clock = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        }
        Hook_advance(w->hook, clock);
        Hook_poll(w->hook, Hook_now());
        Loop_timer_start(w->hook_timer, 100000);
}

/* The dashboard: the state may change on any message; one redraw per frame. */
static void on_dash_tick(void *ud)
{
        Watch *w = ud;
        Dashboard_changed(w->dash);
        const Alerts *al = Monitor_alerts_const(w->m);
        const Alert *feed = NULL, *lag = NULL;
        for (size_t i = 0; i < Alerts_count(al); i++) {
                const Alert *a = Alerts_get(al, i);
                if (a->status != AL_FIRING)
                        continue;
                if (a->rule == RULE_FEED && !feed)
                        feed = a;
                if (a->rule == RULE_LAG && !lag)
                        lag = a;
        }
        char text[64]; /* short: the header gives it a third of the width; the
                        * alerts pane names the source */
        const char *fd = feed && feed->delegation ? feed->delegation : "";
        const char *why = Live_down_reason(w->lv); /* "token refused by relay (HTTP 401)" */
        if (feed && strstr(fd, "(gap)"))
                xsnprintf(text, sizeof text, "gap");
        else if (feed && strstr(fd, "(relay store unreachable)"))
                xsnprintf(text, sizeof text, "relay store down");
        else if (feed && strncmp(fd, "rtms ", 5) == 0) /* its own or a relay's */
                xsnprintf(text, sizeof text, "RTMS video down");
        else if (why)
                xsnprintf(text, sizeof text, "%s", why);
        else if (feed)
                xsnprintf(text, sizeof text, "disconnected");
        else if (lag)
                xsnprintf(text, sizeof text, "lag %.0f s", lag->cur_value);
        else if (!Live_live(w->lv))
                xsnprintf(text, sizeof text, "connecting");
        else
                xsnprintf(text, sizeof text, "connected");
        Dashboard_set_feed(w->dash, text, feed || why ? SEV_CRITICAL : lag ? lag->level : SEV_NONE);
        /* no source carries traffic: the figures stop being live (one of two
         * redundant sources down is not that) */
        Dashboard_set_stale(w->dash, !Live_live(w->lv));
        if (w->reconciler)
                Dashboard_set_zoom_off(w->dash, Reconciler_disabled(w->reconciler));
        Loop_timer_start(w->dash_timer, DASH_FRAME_US);
}

static void dash_quit(void *ud)
{
        on_stop(ud);
}

/* r: every source waiting to retry (backoff, refused token) tries now. */
static void dash_reconnect(void *ud)
{
        Watch *w = ud;
        for (size_t i = 0; i < w->nsrc; i++)
                Source_reconnect(w->src[i]);
}

/* --resume: a record torn by a crash was never applied (records are flushed
 * before they are applied): cut it, so that appending starts on a new line. */
static int cut_torn_line(Watch *w, const char *path)
{
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -1;
        off_t size = lseek(fd, 0, SEEK_END), end = size;
        char buf[4096];
        int rc = size < 0 ? -1 : 0;
        while (rc == 0 && end > 0) {
                size_t n = end < (off_t)sizeof buf ? (size_t)end : sizeof buf;
                if (pread(fd, buf, n, end - (off_t)n) != (ssize_t)n) {
                        rc = -1;
                        break;
                }
                size_t i = n;
                while (i > 0 && buf[i - 1] != '\n')
                        i--;
                end -= (off_t)(n - i);
                if (i > 0)
                        break;
        }
        if (rc == 0 && end < size) {
                char line[600];
                xsnprintf(line, sizeof line, "--resume: %s: torn last line (%lld bytes): cut", path,
                          (long long)(size - end));
                watch_log(w, line);
                rc = ftruncate(fd, end);
        }
        int e = errno;
        close(fd);
        errno = e;
        return rc;
}

/* --resume: apply every record of path (as `capmon replay` does), before any
 * source starts. *last_seq: the highest relay seq recorded (-1: none). */
static int resume_from(Watch *w, const char *path, int64_t *last_seq)
{
        char err[512];
        LineReader r;
        size_t n = 0;
        int flags, st;
        *last_seq = -1;
        if (cut_torn_line(w, path)) {
                cli_error("%s: %s", path, strerror(errno));
                return -1;
        }
        if (access(path, F_OK) != 0 && errno == ENOENT)
                return 0; /* nothing recorded yet */
        if (LineReader_open(&r, path, err, sizeof err)) {
                cli_error("%s", err);
                return -1;
        }
        Extractor *x = Extractor_new();
        while ((st = LineReader_next(&r, &flags)) == LINE_OK) {
                if (r.len == 0 && !(flags & LINE_TOO_LONG))
                        continue;
                n++;
                if (flags & LINE_TOO_LONG) {
                        if (!w->filter.n)
                                Monitor_count_invalid(w->m);
                        continue;
                }
                Msg msg;
                Event_extract(x, r.buf, r.len, &msg);
                if (msg.kind == MSG_NOT_JSON) {
                        if (!w->filter.n)
                                Monitor_count_invalid(w->m);
                        continue;
                }
                if (w->filter.n) { /* recorded under another filter, or none */
                        int k = msg.has_meeting;
                        if (k == 0 || (k == 1 && !MeetingFilter_has(&w->filter, msg.mid)))
                                continue;
                }
                Monitor_feed_msg(w->m, &msg, TIME_NONE, err, sizeof err);
                if (msg.has_seq && msg.seq > *last_seq)
                        *last_seq = msg.seq;
        }
        Extractor_free(x);
        int rerr = st == LINE_ERROR ? errno : 0;
        LineReader_close(&r);
        if (rerr) {
                cli_error("%s: %s", path, strerror(rerr));
                return -1;
        }
        xsnprintf(err, sizeof err, "--resume: %s: %zu records applied, last relay seq %lld", path,
                  n, (long long)*last_seq);
        watch_log(w, err);
        return 0;
}

/* GET /metrics: the state's series, then the sources'. */
static void render_metrics(void *ud, Prom *p)
{
        Watch *w = ud;
        metrics_monitor(p, w->m);
        Live_metrics(w->lv, p);
        if (w->zoom_api)
                ZoomApi_metrics(w->zoom_api, p);
}

/* ---- reconciling with Zoom's live list (docs/live.md) ---- */

static void reconcile_emit(void *ud, const char *body, size_t len)
{
        Watch *w = ud;
        int64_t seq;
        Live_message(w->lv, w->reconcile_src, "reconcile", body, len, &seq);
}

static void reconcile_on_reconnect(void *ud, int id)
{
        Watch *w = ud;
        (void)id;
        Reconciler_all_now(w->reconciler);
}

/* The Zoom REST client shared by reconciling and the QoS estimate (one token,
 * one pace, one daily budget), made on first use. */
static int zoom_api(Watch *w, char *err, size_t errlen)
{
        if (w->zoom_api)
                return 0;
        ZoomToken *tok = Live_zoom_token(w->lv, err, errlen);
        if (!tok)
                return -1;
        w->zoom_api = ZoomApi_new(w->loop, tok, watch_log, w, err, errlen);
        return w->zoom_api ? 0 : -1;
}

/* A zoom source: reconcile unless --reconcile-interval 0. Other sources: only
 * when the option is given (not 0) and the Zoom credentials are set. */
static int start_reconcile(Watch *w, char **specs, size_t nspecs, char *err, size_t errlen)
{
        int zoom = 0;
        for (size_t i = 0; i < nspecs; i++)
                zoom |= strcmp(specs[i], "zoom") == 0;
        int iv = w->reconcile_interval;
        if (iv == 0 || (!zoom && (iv < 0 || !ZoomToken_configured())))
                return 0;
        if (iv < 0)
                iv = RECONCILE_INTERVAL_DEFAULT;
        if (zoom_api(w, err, errlen))
                return -1;
        w->reconcile_src = Live_source_add(w->lv, "zoom list", 0);
        if (w->reconcile_src < 0)
                return xsnprintf(err, errlen, "too many sources"), -1;
        w->reconciler = Reconciler_new(w->loop, w->zoom_api, iv, reconcile_emit, watch_log, w);
        for (size_t i = 0; i < w->filter.n; i++)
                Reconciler_add(w->reconciler, NULL, w->filter.ids[i]);
        Reconciler_follow(w->reconciler, w->m);
        Live_on_reconnect(w->lv, reconcile_on_reconnect, w);
        xsnprintf(err, errlen, "reconciling with Zoom's live list every %d s", iv);
        watch_log(w, err);
        return 0;
}

/* ---- the video estimate from Zoom's QoS list (--video-qos) ---- */

static void qos_emit(void *ud, const char *body, size_t len)
{
        Watch *w = ud;
        int64_t seq;
        Live_message(w->lv, w->qos_src, "qos", body, len, &seq);
}

static int start_video_qos(Watch *w, char *err, size_t errlen)
{
        if (!w->video_qos)
                return 0;
        if (zoom_api(w, err, errlen))
                return -1;
        w->qos_src = Live_source_add(w->lv, "zoom qos", 0);
        if (w->qos_src < 0)
                return xsnprintf(err, errlen, "too many sources"), -1;
        w->qos = Reconciler_new(w->loop, w->zoom_api, w->video_qos, qos_emit, watch_log, w);
        Reconciler_set_list(w->qos, RECONCILE_QOS);
        for (size_t i = 0; i < w->filter.n; i++)
                Reconciler_add(w->qos, NULL, w->filter.ids[i]);
        Reconciler_follow(w->qos, w->m);
        reconcile_qos_pace(w->video_qos, err, errlen);
        watch_log(w, err);
        return 0;
}

/* Set by SIGINT/SIGTERM while the hooks are being stopped. */
static volatile sig_atomic_t second_signal;

static void on_second_signal(int signo)
{
        (void)signo;
        second_signal = 1;
}

/* Stopped (q, a signal, --duration): hook calls not started are dropped and the
 * running ones get HOOK_STOP_GRACE_MS, then their process groups are killed; a
 * second SIGINT or SIGTERM kills them at once. */
static void stop_hooks(Watch *w)
{
        struct sigaction sa, old_int, old_term;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_second_signal; /* no SA_RESTART: poll() returns at once */
        sigemptyset(&sa.sa_mask);
        second_signal = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        Hook_stop(w->hook, HOOK_STOP_GRACE_MS, &second_signal);
        if (second_signal)
                watch_log(w, "second signal: hook calls killed at once");
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
}

static int add_source(Watch *w, const char *spec, Source **out, char *err, size_t errlen)
{
        if (strncmp(spec, "ws://", 5) == 0 || strncmp(spec, "wss://", 6) == 0)
                *out = Source_ws_new(w->lv, spec, err, errlen);
        else if (strcmp(spec, "zoom") == 0)
                *out = Source_zoom_new(w->lv, err, errlen);
        else if (strncmp(spec, "webhook://", 10) == 0)
                *out = Source_webhook_new(w->lv, spec, err, errlen);
        else if (strncmp(spec, "redis://", 8) == 0 || strncmp(spec, "rediss://", 9) == 0)
                *out = Source_redis_new(w->lv, spec, err, errlen);
        else if (strstr(spec, "://"))
                return xsnprintf(err, errlen, "%s: unknown kind of source", spec), -1;
        else
                *out = Source_file_new(w->lv, spec, err, errlen);
        return *out ? 0 : -1;
}

static int run(Watch *w, char **specs, size_t nspecs)
{
        Config cfg;
        char err[512];
        int64_t resume_seq = -1;
        Source **src = xcalloc(nspecs, sizeof *src);
        w->src = src;
        w->nsrc = nspecs;
        int use_dash = !w->json && isatty(STDOUT_FILENO);
        if (cli_load_config(&w->common, &cfg)) {
                free(src);
                return EXIT_RUNTIME;
        }
        if (Log_open("capmon watch", w->logpath, (LogFormat)w->log_format, err, sizeof err)) {
                cli_error("%s", err);
                w->rc = EXIT_RUNTIME;
                goto out;
        }
        if (w->common.record) {
                w->record = fopen(w->common.record, "a");
                if (!w->record) {
                        cli_error("%s: %s", w->common.record, strerror(errno));
                        w->rc = EXIT_RUNTIME;
                        goto out;
                }
        }
        w->m = Monitor_new(&cfg, err, sizeof err);
        if (!w->m) {
                cli_error("%s", err);
                w->rc = EXIT_RUNTIME;
                goto out;
        }
        /* the --record stream appends (O_APPEND): cutting a torn line still works */
        if (w->resume && resume_from(w, w->resume, &resume_seq)) {
                w->rc = EXIT_RUNTIME;
                goto out;
        }
        w->loop = Loop_new(NULL, err, sizeof err); /* lws lines: into the log opened above */
        if (!w->loop) {
                cli_error("%s", err);
                w->rc = EXIT_RUNTIME;
                goto out;
        }
        if (cfg.nhooks) {
                w->hook = Hook_new(cfg.hooks, cfg.nhooks, NULL, err, sizeof err);
                if (!w->hook) {
                        cli_error("%s", err);
                        w->rc = EXIT_RUNTIME;
                        goto out;
                }
                Hook_set_log(w->hook, watch_log, w);
                Hook_attach(w->hook, w->m);
                w->hook_timer = Loop_timer_new(w->loop, on_hook_tick, w);
                Loop_timer_start(w->hook_timer, 100000);
        }
        w->lv = Live_new(w->m, w->loop, w->record, watch_log, w);
        Live_set_filter(w->lv, &w->filter);
        size_t nrelays = 0;
        for (size_t i = 0; i < nspecs; i++)
                nrelays +=
                    strncmp(specs[i], "ws://", 5) == 0 || strncmp(specs[i], "wss://", 6) == 0;
        if (resume_seq >= 0 && nrelays == 1) /* seqs are per relay: several cannot share one */
                Live_set_resume(w->lv, resume_seq);
        if (w->tracepath) {
                w->trace = fopen(w->tracepath, "a");
                if (!w->trace) {
                        cli_error("%s: %s", w->tracepath, strerror(errno));
                        w->rc = EXIT_RUNTIME;
                        goto out;
                }
                Live_set_trace(w->lv, w->trace);
        }
        for (size_t i = 0; i < nspecs; i++) {
                if (add_source(w, specs[i], &src[i], err, sizeof err)) {
                        cli_error("%s", err);
                        w->rc = EXIT_RUNTIME;
                        goto out;
                }
        }
        if (start_reconcile(w, specs, nspecs, err, sizeof err) ||
            start_video_qos(w, err, sizeof err)) {
                cli_error("%s", err);
                w->rc = EXIT_RUNTIME;
                goto out;
        }
        Live_on_all_done(w->lv, on_all_done, w);
        if (w->metrics_spec) {
                w->metrics = Metrics_listen(Loop_lws(w->loop), w->metrics_spec, render_metrics, w,
                                            err, sizeof err);
                if (!w->metrics) {
                        cli_error("%s", err);
                        w->rc = EXIT_RUNTIME;
                        goto out;
                }
                char url[128];
                Metrics_url(w->metrics, url, sizeof url);
                xsnprintf(err, sizeof err, "metrics on %s", url);
                watch_log(w, err);
        }
        if (use_dash) {
                /* the dashboard owns the terminal: our log goes to --log only */
                DashboardHooks hooks = {w, dash_quit, NULL, NULL, dash_reconnect};
                w->dash = Dashboard_new(w->m, &hooks);
                DashboardOpts dopts = {w->common.no_color, w->logpath, (TzMode)w->common.tz};
                Log_set_quiet(1);
                if (Dashboard_start(w->dash, w->loop, &dopts, err, sizeof err)) {
                        Log_set_quiet(0);
                        cli_error("%s", err);
                        w->rc = EXIT_RUNTIME;
                        goto out;
                }
                w->dash_timer = Loop_timer_new(w->loop, on_dash_tick, w);
                Loop_timer_start(w->dash_timer, 0);
        } else {
                Loop_on_signal(w->loop, SIGINT, on_signal, w);
                Loop_on_signal(w->loop, SIGTERM, on_signal, w);
                Loop_on_signal(w->loop, SIGHUP, on_hup, w); /* not the dashboard's hangup */
                w->print_timer = Loop_timer_new(w->loop, on_print, w);
                Loop_timer_start(w->print_timer, (int64_t)(w->interval * 1e6));
        }
        if (w->duration > 0) {
                w->stop_timer = Loop_timer_new(w->loop, on_stop, w);
                Loop_timer_start(w->stop_timer, (int64_t)(w->duration * 1e6));
        }
        if (Loop_run(w->loop) < 0) {
                watch_log(w, "event loop failed");
                w->rc = EXIT_RUNTIME;
        }
        if (w->dash) {
                Dashboard_stop(w->dash);
                Log_set_quiet(0);
        } else if (w->rc == 0) {
                print_snapshot(w);
        }
        if (w->filter.n) {
                xsnprintf(err, sizeof err,
                          "--meeting: %llu messages skipped (other meetings, no meeting id, "
                          "invalid)",
                          (unsigned long long)Live_filtered(w->lv));
                watch_log(w, err);
        }
out:
        Reconciler_free(w->reconciler);
        Reconciler_free(w->qos);
        ZoomApi_free(w->zoom_api);
        for (size_t i = 0; i < nspecs; i++)
                Source_free(src[i]);
        free(src);
        Metrics_free(w->metrics);
        Dashboard_free(w->dash);
        if (w->hook && w->ended) {
                Hook_drain(w->hook);
        } else if (w->hook) {
                stop_hooks(w);
        }
        Hook_free(w->hook);
        Loop_timer_free(w->print_timer);
        Loop_timer_free(w->stop_timer);
        Loop_timer_free(w->hook_timer);
        Loop_timer_free(w->dash_timer);
        Live_free(w->lv);
        Loop_free(w->loop);
        Monitor_free(w->m);
        Config_done(&cfg);
        if (w->record)
                fclose(w->record);
        if (w->trace)
                fclose(w->trace);
        if (w->signalled)
                Log_printf(w->rc ? LOG_ERROR : LOG_INFO, "stopped (exit status %d)", w->rc);
        Log_close();
        return w->rc;
}

int cmd_watch(int argc, char **argv)
{
        Watch w;
        memset(&w, 0, sizeof w);
        w.interval = 1;
        w.reconcile_interval = -1;
        char **specs;
        size_t nspecs;
        int rc = cli_parse(&WATCH_CMD, &w, argc, argv, &specs, &nspecs);
        for (size_t i = 0; rc == CLI_RUN && i < nspecs; i++)
                rc = cli_check_source(&WATCH_CMD, specs[i]);
        if (rc == CLI_RUN && w.resume) {
                if (w.common.record && strcmp(w.common.record, w.resume) != 0)
                        rc = cli_usage(&WATCH_CMD, "--resume records to its own file: "
                                                   "--record must be the same or absent");
                w.common.record = w.resume;
        }
        if (rc == CLI_RUN) {
                signal(SIGPIPE, SIG_IGN);
                rc = run(&w, specs, nspecs);
        }
        cli_free(&WATCH_CMD, &w);
        MeetingFilter_done(&w.filter);
        return rc;
}
