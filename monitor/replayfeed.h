/* Reading recorded logs the same way in every command: one pacing rule (Pacer) and
 * one policy for what a log holds besides events (FeedPolicy: blank lines, a torn
 * last line, invalid records, --strict). replay, report, check and demo use both;
 * the file source of watch uses the Pacer. */
#ifndef CAPMON_REPLAYFEED_H
#define CAPMON_REPLAYFEED_H

#include <stdint.h>

#include "evlog.h"
#include "monitor.h"

/* Records are spaced by their recorded arrival times (ReplayItem.at) divided by the
 * speed, each gap cut to the idle limit; time only moves forward (a record older
 * than the latest waits nothing). Speed 0: no pacing. The speed may change between
 * records (the dashboard's + and -). */
typedef struct Pacer {
        double speed;
        double idle_limit_ms; /* 0: none */
        int64_t prev_at;
} Pacer;

void Pacer_init(Pacer *p, double speed, double idle_limit_s);
/* Milliseconds to wait before the record whose pacing time is at (TIME_NONE: 0). */
double Pacer_next(Pacer *p, int64_t at);

/* Where accepted records go: a Monitor (FeedTarget_monitor) or anything built on
 * one (the attendance report). */
typedef struct FeedTarget {
        Outcome (*apply)(void *ud, const Msg *msg, char *err, size_t errlen);
        void (*count_invalid)(void *ud);
        void *ud;
} FeedTarget;

FeedTarget FeedTarget_monitor(Monitor *m);

/* Blank lines are skipped; a torn last line (no newline, not JSON) is said and
 * ignored; an invalid record is counted and said (the first `limit`, then only
 * counted), or with strict stops the reading. Lines are said through say (NULL:
 * silently), without a final newline: "FILE:LINE: invalid record: WHY". */
typedef struct FeedPolicy {
        int strict;
        unsigned long limit;
        void (*say)(void *ud, const char *line);
        void *ud;
        unsigned long told, untold;
} FeedPolicy;

/* Apply one replay item to t as the policy says: 0 to go on, -1 to stop (strict). */
int FeedPolicy_apply(FeedPolicy *p, const ReplayItem *it, const FeedTarget *t);
/* Apply every remaining item of r: 0 at its end, 1 when the policy stopped it
 * (strict), -1 when a file could not be read (err says why). */
int FeedPolicy_drain(FeedPolicy *p, Replay *r, const FeedTarget *t, char *err, size_t errlen);
/* Say how many invalid records were not said, if any. */
void FeedPolicy_done(FeedPolicy *p);

#endif
