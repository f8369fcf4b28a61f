/* capmon: real-time capacity monitor for large Zoom meetings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#ifndef CAPMON_VERSION
#define CAPMON_VERSION "unknown"
#endif

static const char MAIN_HELP[] =
    "usage: capmon COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Real-time capacity monitor for large Zoom meetings: participants per delegation,\n"
    "videos, waiting room and join failures against the meeting's limits, with alerts.\n"
    "\n"
    "commands:\n"
    "  demo              the dashboard on a recorded council sitting: start here\n"
    "  replay FILE...    replay recorded event logs in the dashboard; --json prints the\n"
    "                    final snapshot\n"
    "  check SOURCE      Nagios/Icinga plugin: status line with performance data\n"
    "  report FILE...    attendance per person or delegation (CSV or JSON) from logs\n"
    "  watch SOURCE...   live dashboard (or --json snapshots) from relays, Zoom, webhooks\n"
    "  relay             receive Zoom webhooks, log them durably, stream them to monitors\n"
    "\n"
    "  capmon COMMAND --help   options of one command\n"
    "  capmon --version        version\n"
    "\n"
    "See capmon(1) and the README for the log and snapshot formats.\n";

/* ---- capmon demo ---- */

#ifndef CAPMON_SOURCE_ROOT
#define CAPMON_SOURCE_ROOT "."
#endif
#ifndef CAPMON_DATADIR
#define CAPMON_DATADIR "/usr/local/share/capmon"
#endif
#define DEMO_LOG    "council-sitting.jsonl"
#define DEMO_FILL_S 120.0 /* the sitting fills up in about this many seconds */
#define DEMO_IDLE   "2"   /* quiet stretches last at most 2 s */

static const char DEMO_HELP[] =
    "usage: capmon demo [OPTIONS] [FILE]\n"
    "\n"
    "The dashboard on a recorded council sitting (" DEMO_LOG "), sped up so\n"
    "that the sitting fills up in about two minutes, then holds. It only reads the\n"
    "recording: nothing is sent anywhere. FILE replays another recording the same way.\n"
    "\n"
    "  --speed X            replay speed (default: computed from the recording)\n"
    "  --no-color           no colours (also when NO_COLOR is set)\n"
    "  -h, --help           this help\n"
    "\n"
    "Keys: q quit, ? help, p pause, + and - speed, Tab next meeting, s sort,\n"
    "/ filter (Esc clears), arrows and PgUp/PgDn scroll.\n"
    "The recording is looked up in " CAPMON_SOURCE_ROOT "/examples, then in\n" CAPMON_DATADIR ".\n";

/* The speed that makes the busiest meeting go from 5 % to 95 % of its peak in about
 * DEMO_FILL_S seconds (gaps capped like the replay caps them); 0 when unknown. */
static double demo_speed(const char *path)
{
        Config cfg;
        char err[512];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        char *paths[1] = {(char *)path};
        Replay *r = m ? Replay_open(paths, 1, err, sizeof err) : NULL;
        double speed = 0;
        int reached = 0, cap = 0;
        int64_t *first_at = NULL, prev = TIME_NONE, elapsed = 0; /* ms of capped replay time */
        ReplayItem it;
        while (r && Replay_next(r, &it, err, sizeof err) == LINE_OK) {
                if (!it.root)
                        continue;
                Monitor_feed_json(m, it.root, TIME_NONE, err, sizeof err);
                if (it.at != TIME_NONE) {
                        if (prev != TIME_NONE && it.at > prev)
                                elapsed += it.at - prev;
                        if (prev == TIME_NONE || it.at > prev)
                                prev = it.at;
                }
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
        Replay_close(r);
        Monitor_free(m);
        Config_done(&cfg);
        return speed;
}

static int cmd_demo(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"speed", required_argument, NULL, 's'},
            {"no-color", no_argument, NULL, 'n'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        double speed = 0;
        int no_color = 0, c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
                switch (c) {
                case 'h':
                        fputs(DEMO_HELP, stdout);
                        return 0;
                case 's':
                        if (cli_double("--speed", optarg, 0.001, 1e9, &speed))
                                return EXIT_USAGE;
                        break;
                case 'n':
                        no_color = 1;
                        break;
                case ':':
                        return cli_usage_error("demo", "%s needs a value", argv[optind - 1]);
                default:
                        return cli_usage_error("demo", "unknown option %s", argv[optind - 1]);
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("demo", "one recording at most");
        if (!isatty(STDOUT_FILENO))
                return cli_usage_error("demo", "the demo needs a terminal on standard output");
        static const char *const where[] = {CAPMON_SOURCE_ROOT "/examples/" DEMO_LOG,
                                            CAPMON_DATADIR "/" DEMO_LOG};
        const char *path = optind < argc ? argv[optind] : NULL;
        for (size_t i = 0; !path && i < sizeof where / sizeof where[0]; i++) {
                if (access(where[i], R_OK) == 0)
                        path = where[i];
        }
        if (!path) {
                cli_error("demo: recording not found (looked for %s and %s)", where[0], where[1]);
                return EXIT_RUNTIME;
        }
        if (speed == 0)
                speed = demo_speed(path);
        if (speed == 0)
                speed = 30;
        char speedarg[32];
        xsnprintf(speedarg, sizeof speedarg, "%.3g", speed);
        char *args[10];
        int n = 0;
        args[n++] = (char *)"replay";
        args[n++] = (char *)"--tui";
        args[n++] = (char *)"--speed";
        args[n++] = speedarg;
        args[n++] = (char *)"--idle-limit";
        args[n++] = (char *)DEMO_IDLE;
        if (no_color)
                args[n++] = (char *)"--no-color";
        args[n++] = (char *)"--";
        args[n++] = (char *)path;
        args[n] = NULL;
        optind = 0; /* cmd_replay parses afresh */
        return cmd_replay(n, args);
}

struct command {
        const char *name;
        int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"demo", cmd_demo},     {"replay", cmd_replay}, {"check", cmd_check},
    {"report", cmd_report}, {"relay", cmd_relay},   {"watch", cmd_watch},
};

int main(int argc, char **argv)
{
        if (argc < 2) {
                fputs(MAIN_HELP, stderr);
                return EXIT_USAGE;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
                fputs(MAIN_HELP, stdout);
                return 0;
        }
        if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
                printf("capmon %s\n", CAPMON_VERSION);
                return 0;
        }
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
                if (strcmp(cmd, commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);
        }
        fprintf(stderr, "capmon: unknown command \"%s\" (see 'capmon --help')\n", cmd);
        return EXIT_USAGE;
}
