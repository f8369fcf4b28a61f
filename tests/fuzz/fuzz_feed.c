/* Fuzz target: a sequence of records (one per line) fed to the monitor, then the
 * snapshot. Exercises parsing, every state rule and the alert engine together.
 * A small configuration with low limits makes alerts reachable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        cfg.capacity = 5;
        cfg.video_limit = 5;
        cfg.rules[RULE_CAPACITY].for_ms = 1000;
        cfg.rules[RULE_CAPACITY].repeat_ms = 2000;
        cfg.quotas = calloc(1, sizeof(NameInt));
        cfg.quotas[0].name = strdup("France");
        cfg.quotas[0].value = 1;
        cfg.nquotas = 1;
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        const char *p = (const char *)data, *end = p + size;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                Monitor_feed(m, p, n, 1000, err, sizeof err);
                p += n + 1;
        }
        Monitor_tick(m, State_clock(Monitor_state(m)) + 600000);
        json_t *snap = Monitor_snapshot(m);
        char *text = json_dumps(snap, JSON_COMPACT);
        if (!text)
                abort(); /* the snapshot must always be valid JSON */
        free(text);
        json_decref(snap);
        Monitor_free(m);
        Config_done(&cfg);
        return 0;
}
