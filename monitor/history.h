/* A meeting's recent history for the dashboard's sparklines: a fixed ring of
 * HISTORY_BUCKETS buckets of HISTORY_BUCKET_MS of the monitor clock (event time),
 * each holding the highest participants and videos seen in it. Driven by event
 * time only, so a replay gives the same history at any speed. Fixed size: no
 * allocation, ever. */
#ifndef CAPMON_HISTORY_H
#define CAPMON_HISTORY_H

#include <stdint.h>

#define HISTORY_BUCKETS   60    /* 30 minutes */
#define HISTORY_BUCKET_MS 30000 /* 30 s each */

typedef enum HistorySeries { HIST_PARTICIPANTS, HIST_VIDEO, HIST_SERIES } HistorySeries;

typedef struct History {
        int64_t first, last;  /* bucket numbers (time / HISTORY_BUCKET_MS); last < first: empty */
        int cur[HIST_SERIES]; /* the counts as of the latest note */
        int max[HIST_SERIES][HISTORY_BUCKETS]; /* ring, indexed by bucket % HISTORY_BUCKETS */
} History;

void History_init(History *h);
/* The counts are now these, at monitor time t (-1: unknown, e.g. no video feed).
 * The bucket of t keeps the highest count seen in it, including the count carried
 * in from before; buckets without a note carry the count they started with. A
 * time older than the latest note counts in the latest bucket. */
void History_note(History *h, int64_t t, int participants, int video);
/* The HISTORY_BUCKETS buckets that end with the one of now (oldest first) into
 * out: -1 for buckets before the first note or unknown counts. A now older than
 * the latest note reads as the latest bucket. */
void History_read(const History *h, int64_t now, HistorySeries series, int out[HISTORY_BUCKETS]);

#endif
