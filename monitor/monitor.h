/* The core as one object: records in, state, alerts and snapshot out. Knows
 * nothing of where records come from (files, sockets) or where state goes. */
#ifndef CAPMON_MONITOR_H
#define CAPMON_MONITOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "deleg.h"
#include "message.h"
#include "state.h"

typedef struct Monitor Monitor;

/* cfg must outlive the monitor. Loads the roster named by cfg->roster. */
Monitor *Monitor_new(const Config *cfg, char *err, size_t errlen);
void Monitor_free(Monitor *m);

/* Feed one message (any accepted shape, docs/semantics.md §1). recv is its arrival
 * time (epoch ms) for messages that do not carry one, else TIME_NONE. Returns the
 * outcome; OUT_NONE for a message that is not an event (header, heartbeat); on
 * OUT_INVALID the reason is in err. */
Outcome Monitor_feed(Monitor *m, const char *text, size_t len, int64_t recv, char *err,
                     size_t errlen);
/* Same, for a message already read (Event_extract, Msg_from_json). */
Outcome Monitor_feed_msg(Monitor *m, const Msg *msg, int64_t recv, char *err, size_t errlen);
/* Same, for a message already parsed (root is borrowed). */
Outcome Monitor_feed_json(Monitor *m, json_t *root, int64_t recv, char *err, size_t errlen);
/* Observe the applied events: fn is called after each event that changed the
 * state (OUT_APPLIED), its time resolved; NULL stops. One observer. */
void Monitor_set_observer(Monitor *m, void (*fn)(void *ud, const Event *ev), void *ud);
/* Count a message that could not even be read as a whole (e.g. over the size limit). */
void Monitor_count_invalid(Monitor *m);
/* The input ended (end of a replay): what still waits counts (docs/semantics.md
 * §3, video facts). */
void Monitor_finish(Monitor *m);
/* Live sources: advance the clock to `now` (event time) and evaluate the rules. */
void Monitor_tick(Monitor *m, int64_t now);

const State *Monitor_state(const Monitor *m);
Alerts *Monitor_alerts(Monitor *m);
const Alerts *Monitor_alerts_const(const Monitor *m);
const Config *Monitor_config(const Monitor *m);

/* The snapshot document (docs/formats.md); a new reference. */
json_t *Monitor_snapshot(const Monitor *m);

#endif
