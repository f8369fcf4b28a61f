/* capmon report: attendance per person or per delegation from recorded logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "util.h"

typedef struct ReportOpts {
        CommonOpts common;
        int by; /* ReportBy: the index of --by's word */
        int json;
} ReportOpts;

static const CliOpt REPORT_OPTS[] = {
    {"by", 0, CLI_CHOICE, offsetof(ReportOpts, by), "person|delegation",
     "rows per person (default) or per delegation", 0, 0, NULL},
    {"format", 0, CLI_CHOICE, offsetof(ReportOpts, json), "csv|json", "output format (default csv)",
     0, 0, NULL},
    CLI_OPT_CONFIG(ReportOpts),
    CLI_OPT_ROSTER(ReportOpts),
    CLI_OPT_STRICT(ReportOpts),
    CLI_OPT_END,
};

static const CliCommand REPORT_CMD = {
    "report",
    "[OPTIONS] FILE...",
    "Attendance from recorded event logs ('-' reads standard input; several files are\n"
    "merged by arrival time), one row per meeting and person or delegation.\n",
    REPORT_OPTS,
    "A person is merged across rejoins and devices (registrant id, else Zoom user id,\n"
    "else email, else the session); minutes count the union of their sessions, so two\n"
    "devices at once count once. Sessions open when a meeting ends close at its end;\n"
    "sessions open at the end of the logs count up to the last event time, with an\n"
    "empty last_leave. Times are RFC 3339 UTC. See docs/report.md.\n"
    "Exit status: 0 done, 1 a file could not be read or written, 2 usage error.\n",
    1,
    CLI_ANY,
    "log file",
    0,
};

static Outcome report_apply(void *ud, const Msg *msg, char *err, size_t errlen)
{
        return Report_feed(ud, msg, err, errlen);
}

static void report_invalid(void *ud)
{
        Report_count_invalid(ud);
}

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
        FeedPolicy policy = cli_feed_policy(co->strict);
        FeedTarget target = {report_apply, report_invalid, rep};
        int st = FeedPolicy_drain(&policy, r, &target, err, sizeof err);
        if (st < 0)
                cli_error("%s", err);
        if (st)
                rc = EXIT_RUNTIME;
        FeedPolicy_done(&policy);
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
        ReportOpts o;
        memset(&o, 0, sizeof o);
        o.by = REPORT_BY_PERSON;
        char **files;
        size_t nfiles;
        int rc = cli_parse(&REPORT_CMD, &o, argc, argv, &files, &nfiles);
        if (rc != CLI_RUN)
                return rc;
        rc = run(&o.common, (ReportBy)o.by, o.json, files, nfiles);
        cli_free(&REPORT_CMD, &o);
        return rc;
}
