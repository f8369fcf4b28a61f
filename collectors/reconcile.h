/* Reconciling with Zoom's live list (docs/live.md, "Reconciling with Zoom's
 * list"): for each meeting it is told of, the Reconciler fetches the Dashboard
 * live participant list through a ZoomApi and hands it on as one
 * capmon.reconcile event body (docs/semantics.md, "Reconcile"), which the
 * caller records and applies like any other message (watch: Live_message;
 * relay: appended to its log). At most one fetch per meeting is in flight;
 * a request while one runs makes it run once more afterwards.
 *
 * When: at once for a new meeting, on Reconciler_all_now (after a reconnection
 * of a source that loses events while down), and every interval. Errors: each
 * is one log line; network errors and malformed lists retry with backoff
 * (0.5 s .. 30 s), 429 after Retry-After, 404 and refused tokens at the next
 * interval; a 400 saying the account lacks the Dashboard feature turns
 * reconciling off for good (Reconciler_disabled gives Zoom's reason). */
#ifndef CAPMON_RECONCILE_H
#define CAPMON_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "zoom_api.h"

#define RECONCILE_INTERVAL_DEFAULT 300 /* seconds */
#define RECONCILE_MEETINGS_MAX     256

typedef struct Reconciler Reconciler;

/* body: a capmon.reconcile event body (JSON text, len bytes), valid for the call. */
typedef void (*ReconcileEmitFn)(void *ud, const char *body, size_t len);
typedef void (*ReconcileLogFn)(void *ud, const char *line);

/* api is borrowed. interval_s: seconds between reconciles of a meeting (0: only
 * at start and on Reconciler_all_now). */
Reconciler *Reconciler_new(Loop *loop, ZoomApi *api, int64_t interval_s, ReconcileEmitFn emit,
                           ReconcileLogFn log, void *ud);
void Reconciler_free(Reconciler *r); /* NULL-safe; cancels fetches in flight */

/* Keep meeting reconciled: uuid (its live instance) and/or id (the meeting
 * number; the uuid is then asked of Zoom). A meeting already known is not
 * added twice (by uuid, or by id while its uuid is unknown). */
void Reconciler_add(Reconciler *r, const char *uuid, const char *id);
/* Stop reconciling a meeting (it ended). */
void Reconciler_forget(Reconciler *r, const char *uuid);
/* The same for a meeting known by its number only (its uuid not learnt yet). */
void Reconciler_forget_id(Reconciler *r, const char *id);
/* With fn set (the relay, which adds a meeting back on its next event): a meeting
 * Zoom says is gone (404 on its live list) is forgotten, so it is not asked for
 * again each interval; fn is told after that (the relay takes it out of the shared
 * set). Without fn (watch), and for meetings known only by id, a 404 is asked
 * again at the next interval (the Dashboard can lag a meeting's start). */
typedef void (*ReconcileGoneFn)(void *ud, const char *uuid, const char *id);
void Reconciler_on_gone(Reconciler *r, ReconcileGoneFn fn, void *ud);
/* Reconcile every meeting now (a source came back after losing events). */
void Reconciler_all_now(Reconciler *r);
/* Whether to fetch at all (a relay that is not the elected poller: 0). Turning
 * it on fetches every meeting at once. */
void Reconciler_set_active(Reconciler *r, int active);

/* What the Reconciler fetches: the live participant list, emitted as
 * capmon.reconcile (the default); or the live QoS list (pages of at most 10,
 * GET /metrics/meetings/{id}/participants/qos?type=live), whose latest
 * video_input per participant (sending video = camera on) is emitted as one
 * capmon.video_sync with source "qos" and the whole picture (`watch
 * --video-qos`, docs/live.md). Set before the first meeting is added. */
typedef enum ReconcileList { RECONCILE_PARTICIPANTS, RECONCILE_QOS } ReconcileList;
void Reconciler_set_list(Reconciler *r, ReconcileList list);
/* The line to log when a QoS estimate every qos_s seconds starts: a warning
 * below 180 s (a 1,000-person meeting then outruns Zoom's Heavy daily limit). */
void reconcile_qos_pace(int qos_s, char *out, size_t len);

/* Follow a monitor's meetings: every second, its new live meetings are added
 * and its ended ones forgotten. m must outlive the Reconciler. */
struct Monitor;
void Reconciler_follow(Reconciler *r, const struct Monitor *m);

/* Zoom's reason when reconciling is off (Dashboard unavailable), else NULL. */
const char *Reconciler_disabled(const Reconciler *r);
/* Lists fetched and emitted so far; fetches that failed. */
uint64_t Reconciler_done(const Reconciler *r);
uint64_t Reconciler_failed(const Reconciler *r);
size_t Reconciler_meetings(const Reconciler *r);

#endif
