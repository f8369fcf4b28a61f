/* `capmon check ws://…`: read a relay stream until caught up. The relay is asked
 * (caught_up=1) to say where its log ended once it has sent every durable record
 * (docs/live.md): the state is then exactly that of the log at that moment. */
#ifndef CAPMON_CATCHUP_H
#define CAPMON_CATCHUP_H

#include <stddef.h>

#include "monitor.h"

/* Applies every record of the stream at url (ws:// or wss://, token from
 * CAPMON_TOKEN; since=N in the address starts after N, default 0) to m, until
 * the relay says it is caught up; then advances the clock by the wall time
 * elapsed since the last record's arrival at the relay. A gap notice raises
 * `feed` (critical) with the number of lost records. 0, or -1 with a message in
 * err: unreachable, refused, closed before catching up, or timeout_s elapsed. */
int Stream_catch_up(Monitor *m, const char *url, double timeout_s, char *err, size_t errlen);

#endif
