/* capmon report: attendance per person or per delegation from recorded logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "util.h"

static const char REPORT_HELP[] =
    "usage: capmon report [OPTIONS] FILE...\n"
    "\n"
    "Attendance from recorded event logs ('-' reads standard input; several files are\n"
    "merged by arrival time), one row per meeting and person or delegation.\n"
    "\n"
    "  --by person|delegation   rows per person (default) or per delegation\n"
    "  --format csv|json        output format (default csv)\n"
    "  --config FILE            configuration file (aliases, organisations, roster)\n"
    "  --roster FILE            roster CSV: delegation,name,email,registrant_id\n"
    "  --strict                 stop at the first invalid record (exit 1)\n"
    "  -h, --help               this help\n"
    "\n"
    "A person is merged across rejoins and devices (registrant id, else Zoom user id,\n"
    "else email, else the session); minutes count the union of their sessions, so two\n"
    "devices at once count once. Sessions open when a meeting ends close at its end;\n"
    "sessions open at the end of the logs count up to the last event time, with an\n"
    "empty last_leave. Times are RFC 3339 UTC. See docs/report.md.\n"
    "Exit status: 0 done, 1 a file could not be read or written, 2 usage error.\n";

enum { OPT_BY = OPT_COMMON_END + 1, OPT_FORMAT };

static int run(const CommonOpts *co, ReportBy by, int json, char **files, size_t nfiles)
{
        Config cfg;
        char err[512];
        int rc = 0;
        if (cli_load_config(co, &cfg))
                return EXIT_RUNTIME;
        Report *rep = Report_new(&cfg, err, sizeof err);
        if (!rep) {
                cli_error("%s", err);
                Config_done(&cfg);
                return EXIT_RUNTIME;
        }
        Replay *r = Replay_open(files, nfiles, err, sizeof err);
        if (!r) {
                cli_error("%s", err);
                Report_free(rep);
                Config_done(&cfg);
                return EXIT_RUNTIME;
        }
        InvalidReport inv = {0, 0, 100};
        ReplayItem it;
        int st;
        while ((st = Replay_next(r, &it, err, sizeof err)) == LINE_OK) {
                ItemKind kind = ReplayItem_kind(&it, err, sizeof err);
                if (kind == ITEM_BLANK)
                        continue;
                if (kind == ITEM_TORN) {
                        cli_error("%s:%ld: torn last line (no newline, not JSON): ignored", it.path,
                                  it.line);
                        continue;
                }
                Outcome out = OUT_INVALID;
                if (kind == ITEM_INVALID)
                        Report_count_invalid(rep);
                else
                        out = Report_feed(rep, it.root, err, sizeof err);
                if (out == OUT_INVALID) {
                        if (co->strict) {
                                cli_error("%s:%ld: invalid record: %s (--strict)", it.path, it.line,
                                          err);
                                rc = EXIT_RUNTIME;
                                break;
                        }
                        cli_report_invalid(&inv, it.path, it.line, err);
                }
        }
        if (st == LINE_ERROR) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
        }
        cli_report_done(&inv);
        if (rc == 0) {
                Report_finish(rep);
                if (json) {
                        json_t *doc = Report_json(rep, by);
                        if (json_dumpf(doc, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF)
                                rc = EXIT_RUNTIME;
                        json_decref(doc);
                } else if (Report_csv(rep, by, stdout)) {
                        rc = EXIT_RUNTIME;
                }
                if (fflush(stdout) != 0 || rc) {
                        cli_error("standard output: %s", strerror(errno));
                        rc = EXIT_RUNTIME;
                }
        }
        Replay_close(r);
        Report_free(rep);
        Config_done(&cfg);
        return rc;
}

int cmd_report(int argc, char **argv)
{
        static const struct option longopts[] = {
            CLI_COMMON_LONGOPTS,
            {"by", required_argument, NULL, OPT_BY},
            {"format", required_argument, NULL, OPT_FORMAT},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        CommonOpts co;
        memset(&co, 0, sizeof co);
        ReportBy by = REPORT_BY_PERSON;
        int json = 0, c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
                int k = cli_common_opt(&co, c, optarg);
                if (k < 0) {
                        cli_common_free(&co);
                        return EXIT_USAGE;
                }
                if (k > 0)
                        continue;
                switch (c) {
                case 'h':
                        fputs(REPORT_HELP, stdout);
                        cli_common_free(&co);
                        return 0;
                case OPT_BY:
                        if (strcmp(optarg, "person") == 0) {
                                by = REPORT_BY_PERSON;
                        } else if (strcmp(optarg, "delegation") == 0) {
                                by = REPORT_BY_DELEGATION;
                        } else {
                                cli_common_free(&co);
                                return cli_usage_error("report",
                                                       "--by: expected person or delegation, "
                                                       "got \"%s\"",
                                                       optarg);
                        }
                        break;
                case OPT_FORMAT:
                        if (strcmp(optarg, "csv") == 0) {
                                json = 0;
                        } else if (strcmp(optarg, "json") == 0) {
                                json = 1;
                        } else {
                                cli_common_free(&co);
                                return cli_usage_error(
                                    "report", "--format: expected csv or json, got \"%s\"", optarg);
                        }
                        break;
                case ':':
                        cli_common_free(&co);
                        return cli_usage_error("report", "%s needs a value", argv[optind - 1]);
                default:
                        cli_common_free(&co);
                        return cli_usage_error("report", "unknown option %s", argv[optind - 1]);
                }
        }
        if (optind >= argc) {
                cli_common_free(&co);
                return cli_usage_error("report", "no log file given");
        }
        int rc = run(&co, by, json, argv + optind, (size_t)(argc - optind));
        cli_common_free(&co);
        return rc;
}
