/* Helpers for the unit tests that drive the core through Monitor_feed with small
 * JSON texts. In the formats, a single quote stands for a double quote (write
 * \u0027 for a real apostrophe), so that events stay readable in C strings. */
#ifndef CAPMON_TEST_FEED_H
#define CAPMON_TEST_FEED_H

#include <stdint.h>

#include "monitor.h"

/* printf into a new buffer, then every ' becomes ". The caller frees it. */
char *jtext(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Feeds one message (see jtext) with the given recv (TIME_NONE: none). */
Outcome feed(Monitor *m, int64_t recv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A participant event: name (without '.': "meeting." is prepended), event_ts (TIME_NONE:
 * none), meeting uuid, and the participant object's fields (see jtext), e.g.
 * pev(m, "participant_joined", 1000, "m1", "'user_id':'%s'", key). */
Outcome pev(Monitor *m, const char *event, int64_t ts, const char *uuid, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A meeting event (started, ended, alert) with event_ts and uuid. */
Outcome mev(Monitor *m, const char *event, int64_t ts, const char *uuid);
/* The reason of the last OUT_INVALID from feed(). */
const char *feed_err(void);

/* A new monitor over cfg (aborts the test on failure). */
Monitor *monitor_new(const Config *cfg);

/* Shortcuts on the first meeting with this uuid. */
const Meeting *meeting(const Monitor *m, const char *uuid);
/* A delegation row's participants, or -1 when the row is not listed. */
int deleg_participants(const Monitor *m, const char *uuid, const char *deleg);
/* Number of join failures (not cancelled) of the meeting with this reason. */
int failures(const Monitor *m, const char *uuid, const char *reason);
/* The counter for outcome o, and the received count. */
uint64_t count(const Monitor *m, Outcome o);
uint64_t received(const Monitor *m);

#endif
