/* capmon check: a Nagios/Icinga plugin. Builds the state from a source, then
 * prints one status line with performance data and exits 0/1/2/3. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catchup.h"
#include "cli.h"
#include "util.h"

typedef struct CheckOpts {
        CommonOpts common;
        double warn, crit; /* percent of the capacity; -1: the configuration's */
        double timeout;
        const char *meeting; /* --meeting ID: report on this meeting */
} CheckOpts;

static const CliOpt CHECK_OPTS[] = {
    {"warning", 'w', CLI_DOUBLE, offsetof(CheckOpts, warn), "P",
     "capacity warning at P % of the capacity (default 90)", 0.001, 1000, NULL},
    {"critical", 'c', CLI_DOUBLE, offsetof(CheckOpts, crit), "P",
     "capacity critical at P % of the capacity (default 100)", 0.001, 1000, NULL},
    {"timeout", 't', CLI_DOUBLE, offsetof(CheckOpts, timeout), "S",
     "give up (UNKNOWN) after S seconds (default 10)", 0.001, 3600, NULL},
    {"meeting", 0, CLI_STRING, offsetof(CheckOpts, meeting), "ID",
     "report on meeting ID (its id or uuid) and its alerts only,\n"
     "instead of the fullest live meeting",
     0, 0, NULL},
    CLI_OPT_CONFIG(CheckOpts),
    CLI_OPT_ROSTER(CheckOpts),
    CLI_OPT_CAPACITY(CheckOpts),
    CLI_OPT_VIDEO_LIMIT(CheckOpts),
    CLI_OPT_END,
};

static const CliCommand CHECK_CMD = {
    "check",
    "[OPTIONS] SOURCE",
    "Nagios/Icinga plugin: reads SOURCE (an event log file; '-' reads standard input;\n"
    "or a relay stream ws://HOST:PORT[/events] or wss://..., token from CAPMON_TOKEN,\n"
    "read until the relay says it has sent its whole log), applies capmon's rules and\n"
    "prints one status line with performance data:\n"
    "  CAPMON WARNING - 948/1000 participants, ... | participants=948;900;1000;0;1000 ...\n",
    CHECK_OPTS,
    "The state is the worst alert firing at the end of the source (every rule of the\n"
    "configuration counts, with its hysteresis), the figures those of the fullest live\n"
    "meeting (or of --meeting ID). Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
    "(source unreadable, no meeting in it, relay unreachable, token refused, timeout,\n"
    "or a usage error: plugins never exit 2 for a usage error).\n"
    "See docs/report.md.\n",
    1,
    1,
    "SOURCE",
    1,
};

enum { CHECK_OK = 0, CHECK_WARNING = 1, CHECK_CRITICAL = 2, CHECK_UNKNOWN = 3 };
static const char *const CHECK_NAMES[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* A source fills the monitor until it is caught up: a log file to its end, a
 * relay stream (ws://, wss://) until the relay says its log has been sent. */
typedef struct CheckSource {
        const char *scheme; /* prefix it handles, NULL: anything else (a file) */
        int (*read)(Monitor *m, const char *source, double timeout, char *err, size_t errlen);
} CheckSource;

static int read_log(Monitor *m, const char *path, double timeout, char *err, size_t errlen)
{
        (void)timeout;
        char *paths[1] = {(char *)path};
        Replay *r = Replay_open(paths, 1, err, errlen);
        if (!r)
                return -1;
        FeedPolicy silent = {0, 0, NULL, NULL, 0, 0}; /* one status line, nothing else */
        FeedTarget target = FeedTarget_monitor(m);
        int st = FeedPolicy_drain(&silent, r, &target, err, errlen);
        Replay_close(r);
        return st < 0 ? -1 : 0;
}

static int read_stream(Monitor *m, const char *url, double timeout, char *err, size_t errlen)
{
        return Stream_catch_up(m, url, timeout, err, errlen);
}

static const CheckSource SOURCES[] = {
    {"ws://", read_stream},
    {"wss://", read_stream},
    {NULL, read_log},
};

static const CheckSource *source_for(const char *s)
{
        size_t i = 0;
        for (; SOURCES[i].scheme; i++) {
                if (strncmp(s, SOURCES[i].scheme, strlen(SOURCES[i].scheme)) == 0)
                        break;
        }
        return &SOURCES[i];
}

static void unknown(const char *fmt, const char *arg)
{
        printf("CAPMON UNKNOWN - ");
        printf(fmt, arg);
        printf("\n");
}

/* The meeting to show: meeting `want` (its id or uuid) when given, else the fullest
 * live one, else the last one. */
static const Meeting *pick(const State *s, const char *want)
{
        const Meeting *best = NULL;
        if (want) {
                for (size_t i = 0; i < State_meeting_count(s); i++) {
                        const Meeting *mt = State_meeting(s, i);
                        if ((mt->id && strcmp(mt->id, want) == 0) ||
                            (mt->uuid && strcmp(mt->uuid, want) == 0))
                                return mt;
                }
                return NULL;
        }
        for (size_t i = 0; i < State_meeting_count(s); i++) {
                const Meeting *mt = State_meeting(s, i);
                if (mt->ended)
                        continue;
                if (!best || (double)mt->participants / mt->capacity >
                                 (double)best->participants / best->capacity)
                        best = mt;
        }
        if (!best && State_meeting_count(s))
                best = State_meeting(s, State_meeting_count(s) - 1);
        return best;
}

/* Status-line text must not contain '|' (it starts the performance data). */
static void plain(char *s)
{
        for (; *s; s++) {
                if (*s == '|')
                        *s = '/';
        }
}

static int report(const Monitor *m, const Config *cfg, const char *source, const char *want)
{
        const State *s = Monitor_state(m);
        const Meeting *mt = pick(s, want);
        if (!mt) {
                if (want)
                        printf("CAPMON UNKNOWN - no meeting %s in %s\n", want, source);
                else
                        unknown("no meeting in %s", source);
                return CHECK_UNKNOWN;
        }
        const Alerts *al = Monitor_alerts_const(m);
        int state = CHECK_OK;
        const Alert *worst = NULL;
        size_t nfiring = 0;
        for (size_t i = 0; i < Alerts_count(al); i++) {
                const Alert *a = Alerts_get(al, i);
                if (a->status != AL_FIRING)
                        continue;
                if (want && a->meeting && (!mt->uuid || strcmp(a->meeting, mt->uuid) != 0))
                        continue; /* another meeting's (alerts without a meeting count) */
                nfiring++;
                if (!worst || a->level > worst->level)
                        worst = a;
        }
        if (worst)
                state = worst->level == SEV_CRITICAL ? CHECK_CRITICAL : CHECK_WARNING;

        char text[1024], video[64], alert[600] = "";
        if (mt->video_known)
                xsnprintf(video, sizeof video, "%d/%d", mt->video_on, mt->video_limit);
        else
                xsnprintf(video, sizeof video, "unknown");
        if (worst) {
                char sum[512];
                Alert_summary(worst, sum, sizeof sum);
                if (nfiring > 1)
                        xsnprintf(alert, sizeof alert, "; %s (and %zu more alert%s)", sum,
                                  nfiring - 1, nfiring > 2 ? "s" : "");
                else
                        xsnprintf(alert, sizeof alert, "; %s", sum);
        }
        xsnprintf(text, sizeof text,
                  "%d/%d participants, video %s, %d waiting, %d unidentified, %d join failures "
                  "in \"%s\" (%s, %s)%s",
                  mt->participants, mt->capacity, video, mt->waiting, mt->unidentified,
                  mt->join_failures, mt->topic ? mt->topic : "-", mt->id ? mt->id : mt->uuid,
                  mt->ended ? "ended" : "live", alert);
        plain(text);

        double cap = mt->capacity;
        int vwarn = (int)(mt->video_limit - cfg->video_margin);
        char vval[32];
        if (mt->video_known)
                xsnprintf(vval, sizeof vval, "%d", mt->video_on);
        else
                xsnprintf(vval, sizeof vval, "U");
        int64_t clock = State_clock(s);
        int recent = State_failures_since(s, mt, clock - (int64_t)(cfg->jf_window_s * 1000));
        printf("CAPMON %s - %s | participants=%d;%g;%g;0;%d video=%s;%d;%d;0;%d "
               "waiting=%d;%d;;0; unidentified=%d;%g;;0; join_failures=%d;%d;;0; people=%d;;;0;\n",
               CHECK_NAMES[state], text, mt->participants, cap * cfg->cap_warn_pct / 100,
               cap * cfg->cap_crit_pct / 100, mt->capacity, vval, vwarn, mt->video_limit,
               mt->video_limit, mt->waiting, cfg->wait_max_count, mt->unidentified,
               cfg->unident_threshold, recent, cfg->jf_count, mt->people);
        return state;
}

int cmd_check(int argc, char **argv)
{
        CheckOpts o;
        memset(&o, 0, sizeof o);
        o.warn = o.crit = -1;
        o.timeout = 10;
        char **ops;
        size_t nops;
        int rc = cli_parse(&CHECK_CMD, &o, argc, argv, &ops, &nops);
        if (rc != CLI_RUN)
                return rc;
        const char *source = ops[0];
        if ((rc = cli_check_source(&CHECK_CMD, source)) != CLI_RUN)
                return rc;
        Config cfg;
        if (cli_load_config(&o.common, &cfg)) {
                Config_done(&cfg);
                unknown("cannot load the configuration%s", "");
                return CHECK_UNKNOWN;
        }
        if (o.warn > 0)
                cfg.cap_warn_pct = o.warn;
        if (o.crit > 0)
                cfg.cap_crit_pct = o.crit;
        if (cfg.cap_warn_pct > cfg.cap_crit_pct) {
                Config_done(&cfg);
                return cli_usage(&CHECK_CMD, "the warning level is above the critical level");
        }
        char err[512];
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        if (!m) {
                unknown("%s", err);
                Config_done(&cfg);
                return CHECK_UNKNOWN;
        }
        const CheckSource *src = source_for(source);
        if (src->read(m, source, o.timeout, err, sizeof err)) {
                plain(err);
                unknown("%s", err);
                rc = CHECK_UNKNOWN;
        } else {
                rc = report(m, &cfg, source, o.meeting);
        }
        Monitor_free(m);
        Config_done(&cfg);
        if (fflush(stdout) != 0)
                return CHECK_UNKNOWN;
        return rc;
}
