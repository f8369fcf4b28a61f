/* capmon demo: the dashboard on the bundled recording, sped up. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#ifndef CAPMON_SOURCE_ROOT
#define CAPMON_SOURCE_ROOT "."
#endif
#ifndef CAPMON_DATADIR
#define CAPMON_DATADIR "/usr/local/share/capmon"
#endif
#define DEMO_LOG    "council-sitting.jsonl"
#define DEMO_FILL_S 120.0 /* the sitting fills up in about this many seconds */
#define DEMO_IDLE_S 2.0   /* quiet stretches last at most 2 s */

/* The speed that makes the busiest meeting go from 5 % to 95 % of its peak in about
 * DEMO_FILL_S seconds (gaps capped like the replay caps them); 0 when unknown. */
static double demo_speed(char *path)
{
        CommonOpts none;
        memset(&none, 0, sizeof none);
        LogMonitor lm;
        if (cli_open_logs(&none, &path, 1, &lm))
                return 0;
        Monitor *m = lm.m;
        char err[512];
        double speed = 0;
        int reached = 0, cap = 0;
        int64_t *first_at = NULL, elapsed = 0; /* ms of replay time at 1x */
        Pacer pacer;
        Pacer_init(&pacer, 1, 0);
        FeedPolicy silent = {0, 0, NULL, NULL, 0, 0};
        FeedTarget target = FeedTarget_monitor(m);
        ReplayItem it;
        while (Replay_next(lm.r, &it, err, sizeof err) == LINE_OK) {
                FeedPolicy_apply(&silent, &it, &target);
                elapsed += (int64_t)Pacer_next(&pacer, it.at);
                const State *s = Monitor_state(m);
                int p = 0;
                for (size_t i = 0; i < State_meeting_count(s); i++) {
                        if (State_meeting(s, i)->participants > p)
                                p = State_meeting(s, i)->participants;
                }
                if (p > reached) {
                        if (p >= cap) {
                                cap = p * 2 + 16;
                                first_at = xrealloc(first_at, (size_t)cap * sizeof *first_at);
                        }
                        for (int l = reached + 1; l <= p; l++)
                                first_at[l] = elapsed;
                        reached = p;
                }
        }
        if (reached >= 20) {
                int lo = reached * 5 / 100, hi = (reached * 95 + 99) / 100;
                double span = (double)(first_at[hi] - first_at[lo > 0 ? lo : 1]) / 1000.0;
                if (span > 0)
                        speed = span / DEMO_FILL_S;
        }
        if (speed > 0 && speed < 1)
                speed = 1;
        free(first_at);
        cli_close_logs(&lm);
        return speed;
}

typedef struct DemoOpts {
        double speed; /* 0: computed */
        int no_color;
        int tz; /* TzMode */
} DemoOpts;

static const CliOpt DEMO_OPTS[] = {
    {"speed", 0, CLI_DOUBLE, offsetof(DemoOpts, speed), "X",
     "replay speed (default: computed from the recording)", 0.001, 1e9, NULL},
    {"no-color", 0, CLI_FLAG, offsetof(DemoOpts, no_color), NULL,
     "no colours (also when NO_COLOR is set)", 0, 0, NULL},
    CLI_OPT_TZ(DemoOpts, tz),
    CLI_OPT_END,
};

static const CliCommand DEMO_CMD = {
    "demo",
    "[OPTIONS] [FILE]",
    "The dashboard on a recorded council sitting (" DEMO_LOG "), sped up so\n"
    "that the sitting fills up in about two minutes, then holds. It only reads the\n"
    "recording: nothing is sent anywhere. FILE replays another recording the same way.\n",
    DEMO_OPTS,
    "Keys: q quit, ? help, p pause, + and - speed, Tab next meeting, s sort,\n"
    "/ filter (Esc clears), t times (UTC, the meeting's zone, local), arrows and\n"
    "PgUp/PgDn scroll.\n"
    "The recording is looked up in " CAPMON_SOURCE_ROOT "/examples, then in\n"
    "../share/capmon beside the executable, then in " CAPMON_DATADIR ".\n"
    "Exit status: 0 done, 1 the recording could not be read, 2 usage error (also when\n"
    "standard output is not a terminal).\n",
    0,
    1,
    "recording",
    0,
};

int cmd_demo(int argc, char **argv)
{
        DemoOpts d = {0, 0, TZ_UTC};
        char **ops;
        size_t nops;
        int rc = cli_parse(&DEMO_CMD, &d, argc, argv, &ops, &nops);
        if (rc != CLI_RUN)
                return rc;
        if (!isatty(STDOUT_FILENO))
                return cli_usage(&DEMO_CMD, "the demo needs a terminal on standard output");
        /* the source tree, beside the executable (an unpacked or relocated
         * install: BIN/../share/capmon), then where it was installed */
        char exe_data[4096] = "";
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        xsnprintf(exe_data, sizeof exe_data, "%s/../share/capmon/" DEMO_LOG, self);
                }
        }
        const char *where[] = {CAPMON_SOURCE_ROOT "/examples/" DEMO_LOG, exe_data,
                               CAPMON_DATADIR "/" DEMO_LOG};
        char *path = nops ? ops[0] : NULL;
        for (size_t i = 0; !path && i < sizeof where / sizeof where[0]; i++) {
                if (*where[i] && access(where[i], R_OK) == 0)
                        path = (char *)where[i];
        }
        if (!path) {
                cli_error("demo: recording not found (looked for %s, %s and %s)", where[0],
                          exe_data, where[2]);
                return EXIT_RUNTIME;
        }
        ReplayOpts o;
        memset(&o, 0, sizeof o);
        o.tui = 1;
        o.common.no_color = d.no_color;
        o.common.tz = d.tz;
        o.speed = d.speed > 0 ? d.speed : demo_speed(path);
        if (o.speed == 0)
                o.speed = 30;
        o.idle_limit = DEMO_IDLE_S;
        return replay_run(&o, &path, 1);
}
