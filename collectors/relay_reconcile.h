/* `capmon relay --reconcile-interval S`: the relay reconciles the meetings its
 * webhooks name with Zoom's live list (reconcile.h) and appends each list to
 * its log as a record (src "reconcile"), so that every monitor receives it.
 * Relays sharing a Redis stream elect one poller with a lease in Redis
 * (lease.h, key "<stream>:capmon-reconcile-lease"); the others only learn the
 * meetings, ready to take over. */
#ifndef CAPMON_RELAY_RECONCILE_H
#define CAPMON_RELAY_RECONCILE_H

#include <stddef.h>

#include "redis.h"

struct lws_context;
struct Prom;

typedef struct RelayReconcile RelayReconcile;

/* body: a capmon.reconcile (src "reconcile") or capmon.video_sync (src "qos")
 * event body to append to the log. */
typedef void (*RelayAppendFn)(void *ud, const char *src, const char *body, size_t len);
typedef void (*RelayLogFn)(void *ud, const char *line);

/* On the relay's context cx; ru: the shared stream (NULL: a log file, no
 * election). interval_s: the live list every S s (0: not at all); qos_s: the
 * QoS camera estimate every S s (reconcile.h RECONCILE_QOS; 0: not at all).
 * Zoom credentials from the environment (zoom_token.h). NULL with a message in
 * err. */
RelayReconcile *RelayReconcile_new(struct lws_context *cx, int interval_s, int qos_s,
                                   const RedisUrl *ru, RelayAppendFn append, RelayLogFn log,
                                   void *ud, char *err, size_t errlen);
/* An accepted webhook body: learn the meeting it names (ended: forget it). */
void RelayReconcile_offer(RelayReconcile *rr, const char *body, size_t len);
/* capmon_zoom_api_* and capmon_reconcile_poller (1 on the elected relay). */
void RelayReconcile_metrics(const RelayReconcile *rr, struct Prom *p);
void RelayReconcile_free(RelayReconcile *rr); /* NULL-safe */

#endif
