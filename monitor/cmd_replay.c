/* capmon replay: recorded logs -> state -> snapshot, summary or dashboard. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static const char REPLAY_HELP[] =
    "usage: capmon replay [OPTIONS] FILE...\n"
    "\n"
    "Replay recorded event logs (JSON Lines; '-' reads standard input) through the\n"
    "monitor. Several files are merged into one stream by arrival time.\n"
    "\n"
    "  --json               print the final snapshot (JSON) on standard output\n"
    "  --max                no pacing: as fast as possible\n"
    "  --speed X            pace by recorded arrival times, X times faster (default 1)\n"
    "  --idle-limit S       never wait more than S seconds between two records\n"
    "%s"
    "  -h, --help           this help\n"
    "\n"
    "Without --json, a short text summary is printed at the end. Invalid records are\n"
    "reported on standard error with file and line, counted and skipped.\n"
    "Exit status: 0 done, 1 a file could not be read (or an invalid record with\n"
    "--strict), 2 usage error.\n";

enum { OPT_JSON = OPT_COMMON_END + 1, OPT_MAX, OPT_SPEED, OPT_IDLE, OPT_TUI };

typedef struct ReplayOpts {
        CommonOpts common;
        int json;
        int max;
        double speed;
        double idle_limit; /* seconds; 0 = none */
} ReplayOpts;

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

static int run(ReplayOpts *o, char **files, size_t nfiles)
{
        Config cfg;
        char err[512];
        int rc = 0;
        if (cli_load_config(&o->common, &cfg))
                return EXIT_RUNTIME;
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        if (!m) {
                cli_error("%s", err);
                Config_done(&cfg);
                return EXIT_RUNTIME;
        }
        Replay *r = Replay_open(files, nfiles, err, sizeof err);
        if (!r) {
                cli_error("%s", err);
                Monitor_free(m);
                Config_done(&cfg);
                return EXIT_RUNTIME;
        }
        InvalidReport rep = {0, 0, 100};
        ReplayItem it;
        int64_t prev_at = TIME_NONE;
        int st;
        while ((st = Replay_next(r, &it, err, sizeof err)) == LINE_OK) {
                if (it.len == 0 && !(it.flags & LINE_TOO_LONG))
                        continue; /* blank line */
                if (!it.root && (it.flags & LINE_NO_NEWLINE) && !(it.flags & LINE_TOO_LONG)) {
                        cli_error("%s:%ld: torn last line (no newline, not JSON): ignored", it.path,
                                  it.line);
                        continue;
                }
                if (!o->max && it.at != TIME_NONE) {
                        if (prev_at != TIME_NONE && it.at > prev_at) {
                                double wait = (double)(it.at - prev_at) / o->speed;
                                if (o->idle_limit > 0 && wait > o->idle_limit * 1000)
                                        wait = o->idle_limit * 1000;
                                sleep_ms(wait);
                        }
                        if (prev_at == TIME_NONE || it.at > prev_at)
                                prev_at = it.at;
                }
                Outcome out;
                if (it.flags & LINE_TOO_LONG) {
                        xsnprintf(err, sizeof err, "line longer than %d bytes", LOG_LINE_MAX);
                        Monitor_count_invalid(m);
                        out = OUT_INVALID;
                } else if (!it.root) {
                        xsnprintf(err, sizeof err, "not JSON: %s (column %d)", it.jerr.text,
                                  it.jerr.column);
                        Monitor_count_invalid(m);
                        out = OUT_INVALID;
                } else {
                        out = Monitor_feed_json(m, it.root, TIME_NONE, err, sizeof err);
                }
                if (out == OUT_INVALID) {
                        if (o->common.strict) {
                                cli_error("%s:%ld: invalid record: %s (--strict)", it.path, it.line,
                                          err);
                                rc = EXIT_RUNTIME;
                                break;
                        }
                        cli_report_invalid(&rep, it.path, it.line, err);
                }
        }
        if (st == LINE_ERROR) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
        }
        cli_report_done(&rep);
        if (rc == 0) {
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
        Replay_close(r);
        Monitor_free(m);
        Config_done(&cfg);
        return rc;
}

int cmd_replay(int argc, char **argv)
{
        static const struct option longopts[] = {
            CLI_COMMON_LONGOPTS,
            {"json", no_argument, NULL, OPT_JSON},
            {"max", no_argument, NULL, OPT_MAX},
            {"speed", required_argument, NULL, OPT_SPEED},
            {"idle-limit", required_argument, NULL, OPT_IDLE},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        ReplayOpts o;
        memset(&o, 0, sizeof o);
        o.speed = 1;
        int c, speed_given = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
                int k = cli_common_opt(&o.common, c, optarg);
                if (k < 0)
                        return EXIT_USAGE;
                if (k > 0)
                        continue;
                switch (c) {
                case 'h':
                        printf(REPLAY_HELP, COMMON_HELP);
                        return 0;
                case OPT_JSON:
                        o.json = 1;
                        break;
                case OPT_MAX:
                        o.max = 1;
                        break;
                case OPT_SPEED:
                        if (cli_double("--speed", optarg, 0.001, 1e9, &o.speed))
                                return EXIT_USAGE;
                        speed_given = 1;
                        break;
                case OPT_IDLE:
                        if (cli_double("--idle-limit", optarg, 0, 1e9, &o.idle_limit))
                                return EXIT_USAGE;
                        break;
                case ':':
                        return cli_usage_error("replay", "%s needs a value", argv[optind - 1]);
                default:
                        return cli_usage_error("replay", "unknown option %s", argv[optind - 1]);
                }
        }
        if (o.max && speed_given)
                return cli_usage_error("replay", "--max and --speed exclude each other");
        if (optind >= argc)
                return cli_usage_error("replay", "no log file given");
        int rc = run(&o, argv + optind, (size_t)(argc - optind));
        cli_common_free(&o.common);
        return rc;
}
