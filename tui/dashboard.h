/* The dashboard: widgets drawn from the view model, keys, and the frame tick on
 * the event loop. Handlers only change state and mark the dashboard dirty; one
 * frame timer redraws, at most every DASH_FRAME_US, and only when something
 * changed (no timer runs while nothing happens). */
#ifndef CAPMON_DASHBOARD_H
#define CAPMON_DASHBOARD_H

#include <stddef.h>

#include "loop.h"
#include "monitor.h"
#include "view.h"

#define DASH_FRAME_US 200000 /* at most one frame per 200 ms */

/* What the dashboard asks of its owner. Any hook may be NULL (p and +/- are then
 * not offered: a live source cannot pause). */
typedef struct DashboardHooks {
        void *ud;
        void (*quit)(void *ud);           /* q, SIGINT, SIGTERM, SIGHUP, terminal gone */
        void (*pause)(void *ud);          /* p: toggle */
        void (*speed)(void *ud, int dir); /* + (1) or - (-1) */
        void (*reconnect)(void *ud);      /* r: live sources retry now */
} DashboardHooks;

typedef struct DashboardOpts {
        int no_color;
        const char *logpath; /* standard error while the dashboard runs; NULL: dropped */
        TzMode tz;           /* the zone times are shown in at first (key t cycles) */
} DashboardOpts;

typedef struct Dashboard Dashboard;

Dashboard *Dashboard_new(const Monitor *m, const DashboardHooks *hooks);
void Dashboard_free(Dashboard *d); /* stops it first; NULL-safe */

/* Take the terminal and, when loop is given, watch keys and signals on it. 0, or
 * -1 with a message in err. */
int Dashboard_start(Dashboard *d, Loop *loop, const DashboardOpts *o, char *err, size_t errlen);
/* Give the terminal back. */
void Dashboard_stop(Dashboard *d);

/* The state changed: redraw on the next frame tick. */
void Dashboard_changed(Dashboard *d);
/* Feed state shown in the header (copied). */
void Dashboard_set_feed(Dashboard *d, const char *text, Severity level);
/* Whether the feed is down, so every figure shown is no longer live: marked stale
 * (dimmed, "STALE as of 18:51:38": the last call that said it was live). */
void Dashboard_set_stale(Dashboard *d, int stale);
/* Why reconciling with Zoom's list is off (shown in the header), or NULL. */
void Dashboard_set_zoom_off(Dashboard *d, const char *why);
/* Handle one key (TK_* or a code point); marks the dashboard dirty. */
void Dashboard_key(Dashboard *d, int key);
/* Build the view and draw it now (tests and benchmarks; the loop uses the tick). */
void Dashboard_draw(Dashboard *d);
unsigned long Dashboard_frames(const Dashboard *d);

#endif
