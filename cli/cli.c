#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

void cli_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("capmon: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* ---- the option tables ---- */

#define HELP_COL 23 /* where the options' help text starts */

static int vusage(const CliCommand *c, const char *fmt, va_list ap)
{
        FILE *f = c->nagios ? stdout : stderr;
        if (c->nagios)
                fputs("CAPMON UNKNOWN - ", f);
        fprintf(f, "capmon %s: ", c->name);
        vfprintf(f, fmt, ap);
        fprintf(f, " (see 'capmon %s --help')\n", c->name);
        return c->nagios ? 3 : EXIT_USAGE;
}

int cli_usage(const CliCommand *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int rc = vusage(c, fmt, ap);
        va_end(ap);
        return rc;
}

int cli_check_source(const CliCommand *c, const char *spec)
{
        static const char *const http[][2] = {{"http://", "ws://"}, {"https://", "wss://"}};
        for (size_t i = 0; i < sizeof http / sizeof http[0]; i++) {
                size_t n = strlen(http[i][0]);
                if (strncmp(spec, http[i][0], n) == 0)
                        return cli_usage(c, "%s: a relay streams over WebSocket: %s%s", spec,
                                         http[i][1], spec + n);
        }
        return CLI_RUN;
}

static void help_line(FILE *f, const char *label, const char *text)
{
        int col = fprintf(f, "  %s", label);
        for (const char *t = text; *t;) {
                const char *nl = strchr(t, '\n');
                size_t n = nl ? (size_t)(nl - t) : strlen(t);
                if (col >= HELP_COL - 1) { /* a long label: its text on the next line */
                        fputc('\n', f);
                        col = 0;
                }
                fprintf(f, "%*s%.*s\n", HELP_COL - col, "", (int)n, t);
                col = 0;
                t += n + (nl != NULL);
        }
}

void cli_help(const CliCommand *c, FILE *f)
{
        fprintf(f, "usage: capmon %s %s\n\n%s\n", c->name, c->synopsis, c->about);
        for (const CliOpt *o = c->opts; o->name; o++) {
                char label[80];
                if (o->shortname)
                        xsnprintf(label, sizeof label, "-%c, --%s%s%s", o->shortname, o->name,
                                  o->arg ? " " : "", o->arg ? o->arg : "");
                else
                        xsnprintf(label, sizeof label, "--%s%s%s", o->name, o->arg ? " " : "",
                                  o->arg ? o->arg : "");
                help_line(f, label, o->help);
        }
        help_line(f, "-h, --help", "this help");
        if (c->more && *c->more)
                fprintf(f, "\n%s", c->more);
}

static const CliOpt *find_long(const CliCommand *c, const char *name, size_t len)
{
        for (const CliOpt *o = c->opts; o->name; o++) {
                if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                        return o;
        }
        return NULL;
}

static const CliOpt *find_short(const CliCommand *c, char ch)
{
        for (const CliOpt *o = c->opts; o->name; o++) {
                if (o->shortname == ch)
                        return o;
        }
        return NULL;
}

/* Store value (NULL for a flag) by o's kind. 0, or -1 with the reason in err. */
static int set_opt(const CliOpt *o, void *opts, const char *value, char *err, size_t errlen)
{
        char *field = (char *)opts + o->offset;
        int64_t i;
        double d;
        switch (o->kind) {
        case CLI_FLAG:
                *(int *)(void *)field = 1;
                return 0;
        case CLI_STRING:
                if (o->call && o->call(opts, value, err, errlen))
                        return -1;
                *(const char **)(void *)field = value;
                return 0;
        case CLI_INT:
                if (parse_int64(value, &i) || (double)i < o->min || (double)i > o->max) {
                        xsnprintf(err, errlen,
                                  "expected a whole number from %.0f to %.0f, got \"%s\"", o->min,
                                  o->max, value);
                        return -1;
                }
                *(int *)(void *)field = (int)i;
                return 0;
        case CLI_DOUBLE:
                if (parse_double(value, &d) || !(d >= o->min && d <= o->max)) {
                        xsnprintf(err, errlen, "expected a number from %g to %g, got \"%s\"",
                                  o->min, o->max, value);
                        return -1;
                }
                *(double *)(void *)field = d;
                return 0;
        case CLI_LIST: {
                CliList *l = (CliList *)(void *)field;
                l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
                l->v[l->n++] = value;
                return 0;
        }
        case CLI_CHOICE: {
                size_t n = strlen(value);
                int k = 0;
                for (const char *w = o->arg; *w; k++) {
                        size_t len = strcspn(w, "|");
                        if (len == n && strncmp(w, value, n) == 0) {
                                *(int *)(void *)field = k;
                                return 0;
                        }
                        w += len + (w[len] == '|');
                }
                char words[128]; /* "a|b|c" as "a, b or c" */
                size_t w = 0;
                for (const char *c = o->arg; *c && w + 5 < sizeof words; c++) {
                        if (*c != '|') {
                                words[w++] = *c;
                        } else {
                                int last = strchr(c + 1, '|') == NULL;
                                memcpy(words + w, last ? " or " : ", ", last ? 4 : 2);
                                w += last ? 4 : 2;
                        }
                }
                words[w] = '\0';
                xsnprintf(err, errlen, "expected %s, got \"%s\"", words, value);
                return -1;
        }
        case CLI_CALL:
                return o->call(opts, value, err, errlen);
        }
        return -1;
}

/* One option at argv[*i]: 0 (with *i on its last argument), or a usage error's status. */
static int parse_opt(const CliCommand *c, void *opts, int argc, char **argv, int *i)
{
        const char *a = argv[*i], *value = NULL;
        const CliOpt *o;
        char shown[64], err[512];
        if (a[1] == '-') {
                const char *eq = strchr(a + 2, '=');
                size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
                o = find_long(c, a + 2, len);
                xsnprintf(shown, sizeof shown, "--%.*s", (int)len, a + 2);
                if (o && eq && !o->arg)
                        return cli_usage(c, "%s takes no value", shown);
                if (eq)
                        value = eq + 1;
        } else {
                o = find_short(c, a[1]);
                xsnprintf(shown, sizeof shown, "-%c", a[1]);
                if (o && a[2]) {
                        if (!o->arg)
                                return cli_usage(c, "%s takes no value", shown);
                        value = a + 2;
                }
        }
        if (!o)
                return cli_usage(c, "unknown option %s", a[1] == '-' ? shown : a);
        if (o->arg && !value) {
                /* the next argument, unless there is none or it is an option */
                if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
                        return cli_usage(c, "%s needs a value (%s)", shown, o->arg);
                value = argv[++*i];
        }
        if (set_opt(o, opts, value, err, sizeof err)) {
                size_t n = strlen(shown); /* a reason may name the option already */
                int named = strncmp(err, shown, n) == 0 && err[n] == ':';
                return cli_usage(c, "%s%s%s", named ? "" : shown, named ? "" : ": ", err);
        }
        return 0;
}

int cli_parse(const CliCommand *c, void *opts, int argc, char **argv, char ***ops, size_t *nops)
{
        size_t n = 0;
        int only_operands = 0, rc = CLI_RUN;
        for (int i = 1; i < argc && rc == CLI_RUN; i++) {
                char *a = argv[i];
                if (only_operands || a[0] != '-' || a[1] == '\0')
                        argv[n++] = a; /* n < i: that slot was read already */
                else if (strcmp(a, "--") == 0)
                        only_operands = 1;
                else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
                        cli_help(c, stdout), rc = 0;
                else if ((rc = parse_opt(c, opts, argc, argv, &i)) == 0)
                        rc = CLI_RUN;
        }
        if (rc == CLI_RUN && n < c->min_operands)
                rc = cli_usage(c, "no %s given", c->operand);
        else if (rc == CLI_RUN && n > c->max_operands)
                rc = c->max_operands == 0 ? cli_usage(c, "unexpected argument \"%s\"", argv[0])
                                          : cli_usage(c, "%zu %ss given, at most %zu", n,
                                                      c->operand, c->max_operands);
        if (rc != CLI_RUN) {
                cli_free(c, opts);
                return rc;
        }
        *ops = argv;
        *nops = n;
        return CLI_RUN;
}

int cli_listen_addr(void *opts, const char *value, char *err, size_t errlen)
{
        (void)opts;
        char *addr;
        int port;
        if (metrics_parse_listen(value, &addr, &port, err, errlen))
                return -1;
        free(addr);
        return 0;
}

void cli_free(const CliCommand *c, void *opts)
{
        for (const CliOpt *o = c->opts; o->name; o++) {
                if (o->kind != CLI_LIST)
                        continue;
                CliList *l = (CliList *)(void *)((char *)opts + o->offset);
                free(l->v);
                l->v = NULL;
                l->n = 0;
        }
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
        if (o->hooks.n) {
                for (size_t i = 0; i < cfg->nhooks; i++)
                        free(cfg->hooks[i]);
                cfg->hooks = xrealloc(cfg->hooks, o->hooks.n * sizeof(char *));
                for (size_t i = 0; i < o->hooks.n; i++)
                        cfg->hooks[i] = xstrdup(o->hooks.v[i]);
                cfg->nhooks = o->hooks.n;
        }
        return 0;
}

int cli_open_logs(const CommonOpts *o, char **files, size_t nfiles, LogMonitor *lm)
{
        char err[512];
        lm->m = NULL;
        lm->r = NULL;
        if (cli_load_config(o, &lm->cfg)) {
                Config_done(&lm->cfg);
                return EXIT_RUNTIME;
        }
        lm->m = Monitor_new(&lm->cfg, err, sizeof err);
        if (lm->m)
                lm->r = Replay_open(files, nfiles, err, sizeof err);
        if (!lm->r) {
                cli_error("%s", err);
                cli_close_logs(lm);
                return EXIT_RUNTIME;
        }
        return 0;
}

void cli_close_logs(LogMonitor *lm)
{
        Replay_close(lm->r);
        Monitor_free(lm->m);
        Config_done(&lm->cfg);
        lm->r = NULL;
        lm->m = NULL;
}

static void say_stderr(void *ud, const char *line)
{
        (void)ud;
        cli_error("%s", line);
}

FeedPolicy cli_feed_policy(int strict)
{
        return (FeedPolicy){strict, 100, say_stderr, NULL, 0, 0};
}
