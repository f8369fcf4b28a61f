/* Command-line plumbing shared by the capmon subcommands (executable only). */
#ifndef CAPMON_CLI_H
#define CAPMON_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "evlog.h"
#include "monitor.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/* Options every state-building command takes. */
typedef struct CommonOpts {
        const char *config;
        const char *roster;
        int capacity;    /* 0: not given */
        int video_limit; /* 0: not given */
        int strict;
        int no_color;
        const char *record;
        const char **hooks;
        size_t nhooks;
} CommonOpts;

/* getopt_long ids for the common options (above any short option). */
enum {
        OPT_CONFIG = 1000,
        OPT_ROSTER,
        OPT_CAPACITY,
        OPT_VIDEO_LIMIT,
        OPT_STRICT,
        OPT_NO_COLOR,
        OPT_RECORD,
        OPT_HOOK,
        OPT_COMMON_END,
};

#define CLI_COMMON_LONGOPTS                                                                        \
        {"config", required_argument, NULL, OPT_CONFIG},                                           \
            {"roster", required_argument, NULL, OPT_ROSTER},                                       \
            {"capacity", required_argument, NULL, OPT_CAPACITY},                                   \
            {"video-limit", required_argument, NULL, OPT_VIDEO_LIMIT},                             \
            {"strict", no_argument, NULL, OPT_STRICT},                                             \
            {"no-color", no_argument, NULL, OPT_NO_COLOR},                                         \
            {"record", required_argument, NULL, OPT_RECORD},                                       \
        {                                                                                          \
                "hook", required_argument, NULL, OPT_HOOK                                          \
        }

/* Handle a common option; 1 when handled, 0 when not common, -1 on a bad value. */
int cli_common_opt(CommonOpts *o, int opt, const char *arg);
/* Defaults, the configuration file, then the command-line overrides. 0 or -1 (printed). */
int cli_load_config(const CommonOpts *o, Config *cfg);
void cli_common_free(CommonOpts *o);

/* Error output: "capmon: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse helpers; -1 (with a message) on a bad value. */
int cli_int(const char *opt, const char *arg, int min, int max, int *out);
int cli_double(const char *opt, const char *arg, double min, double max, double *out);

/* Reports invalid records on stderr, the first `limit` of them, then a count. */
typedef struct InvalidReport {
        unsigned long shown, hidden;
        unsigned long limit;
} InvalidReport;
void cli_report_invalid(InvalidReport *r, const char *where, long line, const char *why);
void cli_report_done(InvalidReport *r);

extern const char *const COMMON_HELP;

int cmd_replay(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
