/* capmon replay: recorded logs -> state -> snapshot, summary or dashboard. */
#include <signal.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dashboard.h"
#include "hook.h"
#include "loop.h"
#include "replayfeed.h"
#include "util.h"

static const CliOpt REPLAY_OPTS[] = {
    {"json", 0, CLI_FLAG, offsetof(ReplayOpts, json), NULL,
     "print the final snapshot (JSON) on standard output", 0, 0, NULL},
    {"tui", 0, CLI_FLAG, offsetof(ReplayOpts, tui), NULL,
     "show the replay in the dashboard (the default when standard\n"
     "output is a terminal); q quits, ? lists the keys",
     0, 0, NULL},
    {"summary", 0, CLI_FLAG, offsetof(ReplayOpts, summary), NULL,
     "print a text summary at the end, even on a terminal", 0, 0, NULL},
    {"max", 0, CLI_FLAG, offsetof(ReplayOpts, max), NULL,
     "no pacing: as fast as possible (the default with --json and\n--summary)", 0, 0, NULL},
    {"speed", 0, CLI_DOUBLE, offsetof(ReplayOpts, speed), "X",
     "pace by recorded arrival times, X times faster (the dashboard's\ndefault: 1)", 0.001, 1e9,
     NULL},
    {"idle-limit", 0, CLI_DOUBLE, offsetof(ReplayOpts, idle_limit), "S",
     "never wait more than S seconds between two records", 0, 1e9, NULL},
    {"hooks", 0, CLI_FLAG, offsetof(ReplayOpts, hooks), NULL,
     "run the alert hooks (--hook CMD, or \"hooks\" in the\n"
     "configuration); without it a replay notifies nobody",
     0, 0, NULL},
    CLI_OPT_HOOK(ReplayOpts),
    CLI_OPT_CONFIG(ReplayOpts),
    CLI_OPT_ROSTER(ReplayOpts),
    CLI_OPT_CAPACITY(ReplayOpts),
    CLI_OPT_VIDEO_LIMIT(ReplayOpts),
    CLI_OPT_STRICT(ReplayOpts),
    CLI_OPT_NO_COLOR(ReplayOpts),
    CLI_OPT_TZ(ReplayOpts, common.tz),
    CLI_OPT_END,
};

static const CliCommand REPLAY_CMD = {
    "replay",
    "[OPTIONS] FILE...",
    "Replay recorded event logs (JSON Lines; '-' reads standard input) through the\n"
    "monitor. Several files are merged into one stream by arrival time.\n",
    REPLAY_OPTS,
    "On a terminal the replay is shown in the dashboard, paced by the recorded\n"
    "arrival times: p pauses, + and - change the speed, and the dashboard stays\n"
    "up at the end until q. Otherwise (or with --summary) a short text summary is\n"
    "printed at the end; --json and --summary run as fast as possible unless --speed\n"
    "is given. Invalid records are reported on standard error with file and line\n"
    "(after the dashboard closes), counted and skipped. CAPMON_TUI_LOG names a file\n"
    "for diagnostics while the dashboard runs.\n"
    "Exit status: 0 done, 1 a file could not be read (or an invalid record with\n"
    "--strict), 2 usage error.\n",
    1,
    CLI_ANY,
    "log file",
    0,
};

static void sleep_ms(double ms)
{
        if (ms <= 0)
                return;
        struct timespec ts = {(time_t)(ms / 1000),
                              (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
                ;
}

static void print_summary(const Monitor *m)
{
        const State *s = Monitor_state(m);
        const Counters *c = State_counters(s);
        char t[40] = "-";
        if (State_clock(s) != TIME_NONE)
                time_format(State_clock(s), t, sizeof t);
        printf("clock %s  records %llu: applied %llu, duplicate %llu, stale %llu, orphan %llu, "
               "ignored %llu, invalid %llu\n",
               t, (unsigned long long)c->received, (unsigned long long)c->n[OUT_APPLIED],
               (unsigned long long)c->n[OUT_DUPLICATE], (unsigned long long)c->n[OUT_STALE],
               (unsigned long long)c->n[OUT_ORPHAN], (unsigned long long)c->n[OUT_IGNORED],
               (unsigned long long)c->n[OUT_INVALID]);
        for (size_t i = 0; i < State_meeting_count(s); i++) {
                const Meeting *mt = State_meeting(s, i);
                char video[32];
                if (mt->video_known)
                        xsnprintf(video, sizeof video, "%d/%d", mt->video_on, mt->video_limit);
                else
                        xsnprintf(video, sizeof video, "unknown");
                printf("meeting %s (%s) %s: %d/%d participants (peak %d), %d people, %d waiting, "
                       "video %s, %d unidentified, %d join failures, %zu delegations\n",
                       mt->topic ? mt->topic : "-", mt->id ? mt->id : mt->uuid,
                       mt->ended ? "ended" : "live", mt->participants, mt->capacity,
                       mt->peak_participants, mt->people, mt->waiting, video, mt->unidentified,
                       mt->join_failures, mt->ndelegations);
        }
        const Alerts *al = Monitor_alerts_const(m);
        for (size_t i = 0; i < Alerts_count(al); i++) {
                char line[512], st[40];
                const Alert *a = Alerts_get(al, i);
                Alert_summary(a, line, sizeof line);
                time_format(a->starts_at, st, sizeof st);
                printf("alert %s since %s\n", line, st);
        }
}

static int run(const ReplayOpts *o, char **files, size_t nfiles)
{
        LogMonitor lm;
        char err[512];
        int rc = 0;
        if (cli_open_logs(&o->common, files, nfiles, &lm))
                return EXIT_RUNTIME;
        Monitor *m = lm.m;
        Hook *hook = NULL;
        if (o->hooks) {
                hook = Hook_new(lm.cfg.hooks, lm.cfg.nhooks, NULL, err, sizeof err);
                if (!hook) {
                        cli_error("%s", err);
                        cli_close_logs(&lm);
                        return EXIT_USAGE;
                }
                Hook_attach(hook, m);
        }
        FeedPolicy policy = cli_feed_policy(o->common.strict);
        FeedTarget target = FeedTarget_monitor(m);
        Pacer pacer;
        Pacer_init(&pacer, o->speed, o->idle_limit); /* speed 0: as fast as possible */
        ReplayItem it;
        int st;
        while ((st = Replay_next(lm.r, &it, err, sizeof err)) == LINE_OK) {
                double wait = Pacer_next(&pacer, it.at);
                if (wait > 0 && hook)
                        Hook_sleep(hook, wait, State_clock(Monitor_state(m)), o->speed);
                else if (wait > 0)
                        sleep_ms(wait);
                int stop = FeedPolicy_apply(&policy, &it, &target);
                if (hook) {
                        Hook_advance(hook, State_clock(Monitor_state(m)));
                        Hook_poll(hook, Hook_now());
                }
                if (stop) {
                        rc = EXIT_RUNTIME;
                        break;
                }
        }
        if (st == LINE_ERROR) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
        }
        FeedPolicy_done(&policy);
        if (hook) {
                Hook_drain(hook); /* each call is bounded by the hook timeout */
                Alerts_set_notify(Monitor_alerts(m), NULL, NULL);
                Hook_free(hook);
        }
        if (rc == 0) {
                Monitor_finish(m);
                if (o->json) {
                        json_t *snap = Monitor_snapshot(m);
                        if (json_dumpf(snap, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF)
                                rc = EXIT_RUNTIME;
                        json_decref(snap);
                } else {
                        print_summary(m);
                }
                if (fflush(stdout) != 0) {
                        cli_error("standard output: %s", strerror(errno));
                        rc = EXIT_RUNTIME;
                }
        }
        cli_close_logs(&lm);
        return rc;
}

/* ---- the replay in the dashboard, paced on the event loop ---- */

#define TUI_MSGS     20    /* messages kept for standard error, shown after the dashboard */
#define TUI_BATCH_US 20000 /* records applied per turn of the loop, at most this long */

typedef struct TuiReplay {
        const ReplayOpts *o;
        Monitor *m;
        Replay *r;
        Loop *loop;
        Dashboard *d;
        Hook *hook;
        LoopTimer *pace, *hook_timer;
        ReplayItem it;
        int have; /* it holds the next record */
        int paused;
        Pacer pacer; /* its speed changes with + and - */
        FeedPolicy policy;
        int64_t due;    /* monotonic us when `it` is due */
        int64_t remain; /* while paused: us left until it is due */
        int rc;
        char msgs[TUI_MSGS][320];
        size_t nmsgs;
        unsigned long more;
} TuiReplay;

static void tui_msg(TuiReplay *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tui_msg(TuiReplay *t, const char *fmt, ...)
{
        if (t->nmsgs == TUI_MSGS) {
                t->more++;
                return;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->msgs[t->nmsgs++], sizeof t->msgs[0], fmt, ap);
        va_end(ap);
}

static void tui_hook_log(void *ud, const char *line)
{
        tui_msg(ud, "%s", line);
}

static void tui_feed_state(TuiReplay *t)
{
        char buf[64];
        if (t->rc)
                Dashboard_set_feed(t->d, "replay stopped: see the messages on exit", SEV_CRITICAL);
        else if (!t->have)
                Dashboard_set_feed(t->d, "replay finished", SEV_NONE);
        else if (t->paused)
                Dashboard_set_feed(t->d, "replay paused (p resumes)", SEV_WARNING);
        else if (t->o->max)
                Dashboard_set_feed(t->d, "replay max speed", SEV_NONE);
        else {
                /* a speed for people: "replay 83x", "replay 2.5x", never "83.1173x" */
                double sp = t->pacer.speed;
                if (sp >= 10 || sp == (double)(long long)sp)
                        xsnprintf(buf, sizeof buf, "replay %.0fx", sp);
                else
                        xsnprintf(buf, sizeof buf, "replay %.1fx", sp);
                Dashboard_set_feed(t->d, buf, SEV_NONE);
        }
}

static void tui_hooks_serve(TuiReplay *t)
{
        if (!t->hook)
                return;
        Hook_advance(t->hook, State_clock(Monitor_state(t->m)));
        if (Hook_poll(t->hook, Hook_now()) > 0 && !Loop_timer_pending(t->hook_timer)) {
                int ms = Hook_timeout(t->hook, Hook_now());
                if (ms < 0 || ms > 100)
                        ms = 100; /* also serves the hook pipes */
                Loop_timer_start(t->hook_timer, (int64_t)ms * 1000);
        }
}

static void tui_hook_tick(void *ud)
{
        tui_hooks_serve(ud);
}

/* Read the next record into t->it and compute when it is due. */
static void tui_next(TuiReplay *t)
{
        char err[512];
        int st = Replay_next(t->r, &t->it, err, sizeof err);
        if (st != LINE_OK) {
                t->have = 0;
                if (st == LINE_ERROR) {
                        tui_msg(t, "%s", err);
                        t->rc = EXIT_RUNTIME;
                }
                if (t->hook)
                        Hook_flush(t->hook);
                tui_feed_state(t);
                return;
        }
        t->have = 1;
        t->due += (int64_t)(Pacer_next(&t->pacer, t->it.at) * 1000);
}

/* Apply t->it. 0, or -1 to stop (--strict). */
static int tui_apply(TuiReplay *t)
{
        FeedTarget target = FeedTarget_monitor(t->m);
        if (FeedPolicy_apply(&t->policy, &t->it, &target)) {
                t->rc = EXIT_RUNTIME;
                return -1;
        }
        tui_hooks_serve(t);
        return 0;
}

static void tui_say(void *ud, const char *line)
{
        tui_msg(ud, "%s", line);
}

static void tui_pace(void *ud)
{
        TuiReplay *t = ud;
        int64_t start = Loop_now_us(), now = start;
        unsigned n = 0;
        while (t->have && !t->paused && !t->rc) {
                if (!t->o->max && t->due > now) {
                        Loop_timer_start(t->pace, t->due - now);
                        return;
                }
                if (tui_apply(t)) {
                        t->have = 0;
                        tui_feed_state(t);
                } else {
                        tui_next(t);
                }
                Dashboard_changed(t->d);
                if ((++n & 63) == 0) {
                        now = Loop_now_us();
                        if (now - start > TUI_BATCH_US) {
                                Loop_timer_start(t->pace, 0); /* let keys and frames in */
                                return;
                        }
                }
        }
}

static void tui_quit(void *ud)
{
        TuiReplay *t = ud;
        Loop_stop(t->loop);
}

static void tui_pause(void *ud)
{
        TuiReplay *t = ud;
        int64_t now = Loop_now_us();
        if (!t->have)
                return;
        t->paused = !t->paused;
        if (t->paused) {
                Loop_timer_stop(t->pace);
                t->remain = t->due > now ? t->due - now : 0;
        } else {
                t->due = now + t->remain;
                Loop_timer_start(t->pace, t->remain);
        }
        tui_feed_state(t);
}

static void tui_speed(void *ud, int dir)
{
        TuiReplay *t = ud;
        if (t->o->max)
                return;
        double old = t->pacer.speed, speed = dir > 0 ? old * 2 : old / 2;
        if (speed > 1e6 || speed < 1.0 / 64)
                return;
        t->pacer.speed = speed;
        int64_t now = Loop_now_us();
        if (t->paused) {
                t->remain = (int64_t)((double)t->remain * old / speed);
        } else if (t->have && t->due > now) {
                t->due = now + (int64_t)((double)(t->due - now) * old / speed);
                Loop_timer_start(t->pace, t->due - now);
        }
        tui_feed_state(t);
}

static int run_tui(const ReplayOpts *o, char **files, size_t nfiles)
{
        LogMonitor lm;
        char err[512];
        TuiReplay t;
        memset(&t, 0, sizeof t);
        t.o = o;
        /* the dashboard paces at 1x unless told; --max: not at all */
        Pacer_init(&t.pacer, o->max ? 0 : o->speed > 0 ? o->speed : 1, o->idle_limit);
        t.policy = (FeedPolicy){o->common.strict, 100, tui_say, &t, 0, 0};
        if (cli_open_logs(&o->common, files, nfiles, &lm))
                return EXIT_RUNTIME;
        t.m = lm.m;
        t.r = lm.r;
        const char *logpath = getenv("CAPMON_TUI_LOG");
        if (logpath && !*logpath)
                logpath = NULL;
        int rc = EXIT_RUNTIME;
        if (o->hooks) {
                t.hook = Hook_new(lm.cfg.hooks, lm.cfg.nhooks, NULL, err, sizeof err);
                if (!t.hook) {
                        cli_error("%s", err);
                        rc = EXIT_USAGE;
                        goto out;
                }
                Hook_set_log(t.hook, tui_hook_log, &t);
                Hook_attach(t.hook, t.m);
        }
        t.loop = Loop_new(logpath, err, sizeof err);
        if (!t.loop) {
                cli_error("%s", err);
                goto out;
        }
        DashboardHooks hooks = {&t, tui_quit, tui_pause, tui_speed, NULL};
        t.d = Dashboard_new(t.m, &hooks);
        DashboardOpts dopts = {o->common.no_color, logpath, (TzMode)o->common.tz};
        if (Dashboard_start(t.d, t.loop, &dopts, err, sizeof err)) {
                cli_error("%s", err);
                goto out;
        }
        t.pace = Loop_timer_new(t.loop, tui_pace, &t);
        t.hook_timer = Loop_timer_new(t.loop, tui_hook_tick, &t);
        t.due = Loop_now_us();
        tui_next(&t);
        tui_feed_state(&t);
        if (t.have)
                Loop_timer_start(t.pace, 0);
        if (Loop_run(t.loop) < 0 && !t.rc) {
                tui_msg(&t, "event loop failed");
                t.rc = EXIT_RUNTIME;
        }
        rc = t.rc;
        FeedPolicy_done(&t.policy);
out:
        Dashboard_free(t.d); /* the terminal is restored from here on */
        for (size_t i = 0; i < t.nmsgs; i++)
                cli_error("%s", t.msgs[i]);
        if (t.more)
                cli_error("%lu more messages not shown", t.more);
        if (t.hook) {
                Hook_drain(t.hook);
                Alerts_set_notify(Monitor_alerts(t.m), NULL, NULL);
                Hook_free(t.hook);
        }
        Loop_timer_free(t.pace);
        Loop_timer_free(t.hook_timer);
        Loop_free(t.loop);
        cli_close_logs(&lm);
        return rc;
}

int replay_run(const ReplayOpts *o, char **files, size_t nfiles)
{
        if (o->tui || (!o->json && !o->summary && isatty(STDOUT_FILENO)))
                return run_tui(o, files, nfiles);
        return run(o, files, nfiles);
}

int cmd_replay(int argc, char **argv)
{
        ReplayOpts o;
        memset(&o, 0, sizeof o);
        char **files;
        size_t nfiles;
        int rc = cli_parse(&REPLAY_CMD, &o, argc, argv, &files, &nfiles);
        if (rc != CLI_RUN)
                return rc;
        if (o.max && o.speed > 0)
                rc = cli_usage(&REPLAY_CMD, "--max and --speed exclude each other");
        else if (o.tui + o.json + o.summary > 1)
                rc = cli_usage(&REPLAY_CMD, "--tui, --json and --summary exclude each other");
        else if (o.tui && !isatty(STDOUT_FILENO))
                rc = cli_usage(&REPLAY_CMD, "--tui needs a terminal on standard output");
        else
                rc = replay_run(&o, files, nfiles);
        cli_free(&REPLAY_CMD, &o);
        return rc;
}
