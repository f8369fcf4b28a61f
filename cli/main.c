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
    "  config check FILE check a configuration file, print the effective configuration\n"
    "\n"
    "  capmon COMMAND --help   options of one command\n"
    "  capmon --version        version\n"
    "\n"
    "See capmon(1) and the README for the log and snapshot formats.\n";

struct command {
        const char *name;
        int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"demo", cmd_demo},   {"replay", cmd_replay}, {"check", cmd_check},   {"report", cmd_report},
    {"relay", cmd_relay}, {"watch", cmd_watch},   {"config", cmd_config},
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
