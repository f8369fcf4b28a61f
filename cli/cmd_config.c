/* capmon config check FILE: validate a configuration file and print the
 * effective configuration (defaults filled in) in the file's own format. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "deleg.h"
#include "util.h"

typedef struct ConfigOpts {
        int compact;
} ConfigOpts;

static const CliOpt CONFIG_OPTS[] = {
    {"compact", 0, CLI_FLAG, offsetof(ConfigOpts, compact), NULL,
     "print the effective configuration on one line", 0, 0, NULL},
    CLI_OPT_END,
};

static const CliCommand CONFIG_CMD = {
    .name = "config",
    .synopsis = "check FILE",
    .about = "Check a configuration file (docs/config.md): every key known, every value in\n"
             "range. Prints the effective configuration (defaults filled in, durations in\n"
             "seconds) in the same JSON format, ready to be loaded again.\n",
    .opts = CONFIG_OPTS,
    .more = "Exit status: 0 valid, 1 invalid (one line naming the file, line and key),\n"
            "2 usage error.\n",
    .min_operands = 2,
    .max_operands = 2,
    .operand = "check FILE",
};

int cmd_config(int argc, char **argv)
{
        ConfigOpts o = {0};
        char **ops;
        size_t nops;
        int rc = cli_parse(&CONFIG_CMD, &o, argc, argv, &ops, &nops);
        if (rc != CLI_RUN)
                return rc;
        if (strcmp(ops[0], "check") != 0)
                return cli_usage(&CONFIG_CMD, "unknown action \"%s\": expected \"check\"", ops[0]);
        Config cfg;
        char err[512];
        Config_init(&cfg);
        if (Config_load(&cfg, ops[1], err, sizeof err)) {
                cli_error("%s", err);
                Config_done(&cfg);
                return EXIT_RUNTIME;
        }
        /* what only the resolver can tell: alias targets that name nothing, a
         * roster that cannot be read or parsed */
        Resolver *res = Resolver_new();
        rc = Resolver_apply_config(res, &cfg, err, sizeof err);
        Resolver_free(res);
        if (rc) {
                cli_error("%s: %s", ops[1], err);
                Config_done(&cfg);
                return EXIT_RUNTIME;
        }
        /* printed loadable from anywhere: a relative roster (already relative
         * to the file's folder) becomes absolute */
        char cwd[4096];
        if (cfg.roster && cfg.roster[0] != '/' && getcwd(cwd, sizeof cwd)) {
                size_t n = strlen(cwd) + strlen(cfg.roster) + 2;
                char *abs = xmalloc(n);
                xsnprintf(abs, n, "%s/%s", cwd, cfg.roster);
                free(cfg.roster);
                cfg.roster = abs;
        }
        json_t *j = Config_to_json(&cfg);
        rc = json_dumpf(j, stdout, JSON_SORT_KEYS | (o.compact ? JSON_COMPACT : JSON_INDENT(2))) ||
             fputc('\n', stdout) == EOF || fflush(stdout);
        json_decref(j);
        Config_done(&cfg);
        if (rc) {
                cli_error("config check: cannot write the configuration: standard output");
                return EXIT_RUNTIME;
        }
        return 0;
}
