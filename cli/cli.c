#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const COMMON_HELP =
    "  --config FILE        configuration file (JSON; see capmon(1), docs/config.md)\n"
    "  --roster FILE        roster CSV: delegation,name,email,registrant_id\n"
    "  --capacity N         participant capacity of every meeting (default 1000)\n"
    "  --video-limit N      videos shown in the gallery (default 49)\n"
    "  --strict             stop at the first invalid record (exit 1)\n"
    "  --no-color           no colours (also when NO_COLOR is set)\n";

void cli_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("capmon: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "capmon %s: ", cmd);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, " (see 'capmon %s --help')\n", cmd);
        va_end(ap);
        return EXIT_USAGE;
}

int cli_int(const char *opt, const char *arg, int min, int max, int *out)
{
        int64_t v;
        if (parse_int64(arg, &v) || v < min || v > max) {
                cli_error("%s: expected a whole number from %d to %d, got \"%s\"", opt, min, max,
                          arg);
                return -1;
        }
        *out = (int)v;
        return 0;
}

int cli_double(const char *opt, const char *arg, double min, double max, double *out)
{
        double v;
        if (parse_double(arg, &v) || !(v >= min && v <= max)) {
                cli_error("%s: expected a number from %g to %g, got \"%s\"", opt, min, max, arg);
                return -1;
        }
        *out = v;
        return 0;
}

int cli_common_opt(CommonOpts *o, int opt, const char *arg)
{
        switch (opt) {
        case OPT_CONFIG:
                o->config = arg;
                return 1;
        case OPT_ROSTER:
                o->roster = arg;
                return 1;
        case OPT_CAPACITY:
                return cli_int("--capacity", arg, 1, 10000000, &o->capacity) ? -1 : 1;
        case OPT_VIDEO_LIMIT:
                return cli_int("--video-limit", arg, 1, 1000000, &o->video_limit) ? -1 : 1;
        case OPT_STRICT:
                o->strict = 1;
                return 1;
        case OPT_NO_COLOR:
                o->no_color = 1;
                return 1;
        case OPT_RECORD:
                o->record = arg;
                return 1;
        case OPT_HOOK:
                o->hooks = xrealloc(o->hooks, (o->nhooks + 1) * sizeof(char *));
                o->hooks[o->nhooks++] = arg;
                return 1;
        default:
                return 0;
        }
}

void cli_common_free(CommonOpts *o)
{
        free(o->hooks);
        o->hooks = NULL;
        o->nhooks = 0;
}

int cli_load_config(const CommonOpts *o, Config *cfg)
{
        char err[512];
        Config_init(cfg);
        if (o->config && Config_load(cfg, o->config, err, sizeof err)) {
                cli_error("%s", err);
                return -1;
        }
        if (o->roster) {
                free(cfg->roster);
                cfg->roster = xstrdup(o->roster);
        }
        if (o->capacity) {
                cfg->capacity = o->capacity;
                for (size_t i = 0; i < cfg->nmeetings; i++)
                        cfg->meetings[i].capacity = 0;
        }
        if (o->video_limit) {
                cfg->video_limit = o->video_limit;
                for (size_t i = 0; i < cfg->nmeetings; i++)
                        cfg->meetings[i].video_limit = 0;
        }
        if (o->nhooks) {
                for (size_t i = 0; i < cfg->nhooks; i++)
                        free(cfg->hooks[i]);
                cfg->hooks = xrealloc(cfg->hooks, o->nhooks * sizeof(char *));
                for (size_t i = 0; i < o->nhooks; i++)
                        cfg->hooks[i] = xstrdup(o->hooks[i]);
                cfg->nhooks = o->nhooks;
        }
        return 0;
}

void cli_report_invalid(InvalidReport *r, const char *where, long line, const char *why)
{
        if (r->shown >= r->limit) {
                r->hidden++;
                return;
        }
        r->shown++;
        if (line > 0)
                cli_error("%s:%ld: invalid record: %s", where, line, why);
        else
                cli_error("%s: invalid record: %s", where, why);
}

void cli_report_done(InvalidReport *r)
{
        if (r->hidden)
                cli_error("%lu more invalid records not shown", r->hidden);
}
