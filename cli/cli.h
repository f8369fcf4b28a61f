/* Command-line plumbing shared by the capmon subcommands (executable only). */
#ifndef CAPMON_CLI_H
#define CAPMON_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "evlog.h"
#include "monitor.h"
#include "replayfeed.h"
#include "tzone.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/* ---- Options: one declarative table per command ----
 *
 * Each command describes its command line with a CliCommand: its name, its
 * operands, the text of its --help and a table of CliOpt, one row per option the
 * command means. cli_parse() reads argv the GNU way: options and operands in any
 * order, "--" ends the options, "-" is an operand (standard input), "--name=VALUE"
 * or "--name VALUE" (and "-w80" or "-w 80" for a short name). Anything not in the
 * table is refused ("unknown option"), a missing value says "needs a value", a bad
 * one names the option and what it expects; every such usage error names the
 * command and exits 2 (check: UNKNOWN, 3). -h/--help is accepted by every command;
 * its text is generated from the table.
 *
 * To add an option to a command:
 *   1. add a field to the command's option struct (ReplayOpts, Watch, ...);
 *   2. add one row to the command's table, e.g.
 *        {"interval", 0, CLI_DOUBLE, offsetof(Watch, interval), "S",
 *         "seconds between two --json snapshots (default 1)", .min = 0.01, .max = 86400},
 *      a CLI_CHOICE row takes one of the words of its arg ("text|json": 0 or 1),
 *      a CLI_STRING row with a call checks the value with it before keeping it,
 *      a CLI_CALL row runs a function for anything the other kinds do not cover
 *      (an address to check, a repeatable id); the common options have macros
 *      (CLI_OPT_CONFIG(T), ...) for structs that embed CommonOpts as `common`;
 *   3. check how it combines with the others after cli_parse (cli_usage);
 *   4. document it in doc/capmon.1 (and the README or docs/ where the command is
 *      described), and test it in tests/test_cli.sh.
 */
typedef enum CliKind {
        CLI_FLAG,   /* int field set to 1; takes no value */
        CLI_STRING, /* const char * field set to the value (the last one given wins),
                     * once call (when set) accepts it */
        CLI_INT,    /* int field: a whole number in [min, max] */
        CLI_DOUBLE, /* double field: a number in [min, max] */
        CLI_LIST,   /* CliList field: the value appended (repeatable) */
        CLI_CHOICE, /* int field: the index of the value among arg's words ("csv|json") */
        CLI_CALL,   /* call(opts, value, err, errlen); value NULL when arg is NULL */
} CliKind;

/* The values of a repeatable option, in order (cli_free frees the array). */
typedef struct CliList {
        const char **v;
        size_t n;
} CliList;

typedef struct CliOpt {
        const char *name; /* long name without "--"; NULL ends a table */
        char shortname;   /* 0: none */
        CliKind kind;
        size_t offset;    /* of the field in the command's option struct */
        const char *arg;  /* the value's name in --help ("FILE"); NULL: takes no value */
        const char *help; /* may hold '\n' for more lines */
        double min, max;  /* CLI_INT, CLI_DOUBLE */
        /* CLI_CALL: 0, or -1 with the reason (without the option's name) in err */
        int (*call)(void *opts, const char *value, char *err, size_t errlen);
} CliOpt;

typedef struct CliCommand {
        const char *name;     /* "replay" */
        const char *synopsis; /* after "usage: capmon NAME ": "[OPTIONS] FILE..." */
        const char *about;    /* --help text before the options */
        const CliOpt *opts;   /* the table, ended by a row with a NULL name */
        const char *more;     /* --help text after the options */
        size_t min_operands, max_operands;
        const char *operand; /* for "no log file given": "log file" */
        int nagios;          /* usage errors as "CAPMON UNKNOWN - ..." on stdout, exit 3 */
} CliCommand;

#define CLI_ANY ((size_t)-1) /* max_operands: no limit */
#define CLI_RUN (-1)         /* cli_parse: go on and run the command */

/* Parse argv (argv[0] is the command's name) into opts by c's table. CLI_RUN with
 * the operands in order at *ops (argv's own array, reordered) and their count in
 * *nops; otherwise the exit status to return at once: 0 after --help, 2 (3 for a
 * nagios command) after a usage error, printed. Options not given keep the value
 * opts had. */
int cli_parse(const CliCommand *c, void *opts, int argc, char **argv, char ***ops, size_t *nops);
/* Free what cli_parse allocated in opts (the CliList arrays). */
void cli_free(const CliCommand *c, void *opts);
/* The --help text of c on f. */
void cli_help(const CliCommand *c, FILE *f);
/* A usage error after cli_parse: "capmon CMD: MSG (see 'capmon CMD --help')" on
 * stderr (a nagios command: the UNKNOWN status line on stdout); the exit status. */
int cli_usage(const CliCommand *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An operand naming a source: a usage error (status returned) for http:// and
 * https://, with the ws:// address to use instead; CLI_RUN otherwise. */
int cli_check_source(const CliCommand *c, const char *spec);

/* A CLI_STRING row's call for a listening address "[ADDR]:PORT" (--metrics). */
int cli_listen_addr(void *opts, const char *value, char *err, size_t errlen);

/* Common options: rows for option structs that embed CommonOpts as `common`. */
#define CLI_OPT_CONFIG(T)                                                                          \
        {                                                                                          \
                "config", 0, CLI_STRING, offsetof(T, common.config), "FILE",                       \
                    "configuration file (JSON; see capmon(1), docs/config.md)", 0, 0, NULL         \
        }
#define CLI_OPT_ROSTER(T)                                                                          \
        {                                                                                          \
                "roster", 0, CLI_STRING, offsetof(T, common.roster), "FILE",                       \
                    "roster CSV: delegation,name,email,registrant_id", 0, 0, NULL                  \
        }
#define CLI_OPT_CAPACITY(T)                                                                        \
        {                                                                                          \
                "capacity", 0, CLI_INT, offsetof(T, common.capacity), "N",                         \
                    "participant capacity of every meeting (default 1000)", 1, 10000000, NULL      \
        }
#define CLI_OPT_VIDEO_LIMIT(T)                                                                     \
        {                                                                                          \
                "video-limit", 0, CLI_INT, offsetof(T, common.video_limit), "N",                   \
                    "videos shown in the gallery (default 49)", 1, 1000000, NULL                   \
        }
#define CLI_OPT_STRICT(T)                                                                          \
        {                                                                                          \
                "strict", 0, CLI_FLAG, offsetof(T, common.strict), NULL,                           \
                    "stop at the first invalid record (exit 1)", 0, 0, NULL                        \
        }
#define CLI_OPT_NO_COLOR(T)                                                                        \
        {                                                                                          \
                "no-color", 0, CLI_FLAG, offsetof(T, common.no_color), NULL,                       \
                    "no colours (also when NO_COLOR is set)", 0, 0, NULL                           \
        }
/* --tz for the commands that show the dashboard; field: an int (a TzMode) */
#define CLI_OPT_TZ(T, field)                                                                       \
        {                                                                                          \
                "tz", 0, CLI_CHOICE, offsetof(T, field), TZ_CHOICES,                               \
                    "the dashboard's times in UTC (default), the meeting's own\n"                  \
                    "time zone (Zoom's timezone, e.g. Europe/Zurich) or the local\n"               \
                    "one; key t switches. Logs and JSON stay UTC",                                 \
                    0, 0, NULL                                                                     \
        }
#define CLI_OPT_RECORD(T)                                                                          \
        {                                                                                          \
                "record", 0, CLI_STRING, offsetof(T, common.record), "FILE",                       \
                    "append every message received to FILE before applying it", 0, 0, NULL         \
        }
#define CLI_OPT_HOOK(T)                                                                            \
        {                                                                                          \
                "hook", 0, CLI_LIST, offsetof(T, common.hooks), "CMD",                             \
                    "run CMD for each alert notification (repeatable)", 0, 0, NULL                 \
        }
#define CLI_OPT_END                                                                                \
        {                                                                                          \
                NULL, 0, CLI_FLAG, 0, NULL, NULL, 0, 0, NULL                                       \
        }

/* Options every state-building command takes (each command's table says which). */
typedef struct CommonOpts {
        const char *config;
        const char *roster;
        int capacity;    /* 0: not given */
        int video_limit; /* 0: not given */
        int strict;
        int no_color;
        int tz; /* TzMode: the dashboard's times (--tz) */
        const char *record;
        CliList hooks;
} CommonOpts;

/* Defaults, the configuration file, then the command-line overrides. 0 or -1 (printed). */
int cli_load_config(const CommonOpts *o, Config *cfg);

/* "Open a monitor over these logs", for every command that reads recorded logs: the
 * configuration (defaults, file, options), the monitor on it and the logs merged by
 * arrival time. 0, or EXIT_RUNTIME with the reason said (nothing left open). */
typedef struct LogMonitor {
        Config cfg;
        Monitor *m;
        Replay *r;
} LogMonitor;
int cli_open_logs(const CommonOpts *o, char **files, size_t nfiles, LogMonitor *lm);
void cli_close_logs(LogMonitor *lm);
/* The feed policy of the commands that read logs: invalid records said on standard
 * error ("capmon: FILE:LINE: invalid record: ..."), the first 100, then counted. */
FeedPolicy cli_feed_policy(int strict);

/* Error output: "capmon: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What `capmon replay` is asked to do (its options); `capmon demo` fills one too. */
typedef struct ReplayOpts {
        CommonOpts common;
        int json;
        int max;
        double speed;      /* 0: not given */
        double idle_limit; /* seconds; 0 = none */
        int hooks;         /* --hooks: run the alert hooks */
        int tui;           /* --tui */
        int summary;       /* --summary */
} ReplayOpts;

/* Run a replay of files as o says (the dashboard, --json, or a summary). */
int replay_run(const ReplayOpts *o, char **files, size_t nfiles);

int cmd_replay(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_config(int argc, char **argv);

#endif
