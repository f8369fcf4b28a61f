/* The reference replay: `capmon replay --max --json LOG` with every line read by
 * the jansson reference (Msg_from_text) instead of the fast path. bench/run.sh
 * checks that both give the same snapshot and times this as the jansson figure
 * of the whole replay. Default configuration, one log, no hooks. */
#include <stdio.h>
#include <stdlib.h>

#include "evlog.h"
#include "message.h"
#include "monitor.h"
#include "util.h"

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: ref_replay LOG\n");
                return 2;
        }
        char err[512];
        LineReader r;
        if (LineReader_open(&r, argv[1], err, sizeof err)) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        Config cfg;
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        if (!m) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        int flags;
        while (LineReader_next(&r, &flags) == LINE_OK) {
                if (r.len == 0)
                        continue;
                if (flags & LINE_TOO_LONG) {
                        Monitor_count_invalid(m);
                        continue;
                }
                Msg msg;
                Msg_from_text(r.buf, r.len, &msg);
                if (!(msg.kind == MSG_NOT_JSON && (flags & LINE_NO_NEWLINE)))
                        Monitor_feed_msg(m, &msg, TIME_NONE, err, sizeof err);
                Msg_done(&msg);
        }
        LineReader_close(&r);
        json_t *snap = Monitor_snapshot(m);
        json_dumpf(snap, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(snap);
        Monitor_free(m);
        Config_done(&cfg);
        return 0;
}
