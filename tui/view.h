/* The dashboard's view model: what to show, built from a const monitor, with no
 * terminal involved (unit-tested). Layout decisions are a pure function of the
 * terminal size. All text in a View is sanitised UTF-8: no control characters, no
 * invalid sequences, with its display width measured by wcwidth. */
#ifndef CAPMON_VIEW_H
#define CAPMON_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "monitor.h"
#include "tzone.h"

#define VIEW_TEXT_MAX 260 /* bytes of any text in the view (the core keeps 256) */
#define VIEW_ALERTS   64  /* alerts kept for the pane */
#define VIEW_FAILURES 64  /* join failures kept for the pane */

typedef enum ViewSort { SORT_NAME, SORT_PARTICIPANTS, SORT_VIDEO, SORT_PEAK, SORT_COUNT } ViewSort;
extern const char *const VIEW_SORT_NAMES[SORT_COUNT];

enum { ROW_UNIDENTIFIED = 1, ROW_OVER_QUOTA = 2, ROW_DIALIN = 4 };

typedef struct ViewGauge {
        int known; /* 0: no data (video: "no video feed") */
        int value, limit, peak;
        Severity level; /* from the alert engine (hysteresis included) */
        /* the last 30 minutes (History): highest count of each 30 s of the monitor
         * clock, oldest first, ending now; -1 where nothing is known */
        int history[HISTORY_BUCKETS];
        int stale; /* the feed is down: the figure is as of View.as_of */
} ViewGauge;

typedef struct ViewRow {
        char name[VIEW_TEXT_MAX];
        char key[VIEW_TEXT_MAX];                 /* collation key: name folded (case, accents) */
        int participants, video_on, peak, quota; /* quota -1: none */
        unsigned flags;
        int change; /* counts went up (1) or down (-1) within VIEW_CHANGED_MS; else 0 */
} ViewRow;

#define VIEW_CHANGED_MS 5000 /* how long a changed delegation stays highlighted */

typedef struct ViewAlert {
        Rule rule;
        int firing;
        Severity level; /* now (firing) or highest reached (resolved) */
        int64_t since;  /* starts_at, or ends_at when resolved */
        char at[16];    /* since as "12:41:07" in the zone shown */
        char text[VIEW_TEXT_MAX];
} ViewAlert;

typedef struct ViewFailure {
        int64_t time;
        char at[16]; /* time as "12:41:07" in the zone shown */
        char name[VIEW_TEXT_MAX];
        char delegation[VIEW_TEXT_MAX];
        char reason[VIEW_TEXT_MAX];
} ViewFailure;

/* The people panels (keys u, w, v, f): the people an operator must act on. */
typedef enum ViewPanel {
        PANEL_NONE,
        PANEL_UNIDENTIFIED, /* counting sessions in the Unidentified delegation */
        PANEL_WAITING,      /* open waiting-room entries */
        PANEL_VIDEO,        /* counting sessions with video on */
        PANEL_FAILURES,     /* join failures (not cancelled), newest first */
        PANEL_DELEGATION,   /* one delegation's people, in and waiting (Enter on its row) */
        PANEL_COUNT
} ViewPanel;
extern const char *const VIEW_PANEL_NAMES[PANEL_COUNT];

/* How a people panel is sorted (key s in the panel). */
typedef enum ViewPanelSort { PSORT_SINCE, PSORT_NAME, PSORT_DELEGATION, PSORT_COUNT } ViewPanelSort;
extern const char *const VIEW_PANEL_SORT_NAMES[PSORT_COUNT];

typedef struct ViewPerson {
        int64_t since; /* joined, started waiting, video on, or failed */
        char at[16];   /* since as "12:41:07" in the zone shown */
        char name[VIEW_TEXT_MAX];
        char delegation[VIEW_TEXT_MAX];
        /* join failures: the reason; a delegation's people: "video on", "waiting
         * room", the role */
        char reason[VIEW_TEXT_MAX];
} ViewPerson;

typedef struct ViewOpts {
        size_t meeting; /* index of the meeting shown (wraps) */
        ViewSort sort;
        const char *filter; /* delegation substring (case- and accent-insensitive); NULL: all */
        const char *feed;   /* feed state, e.g. "replay 12x" */
        Severity feed_level;
        const char *zoom_off;         /* why reconciling with Zoom's list is off, or NULL */
        ViewPanel panel;              /* people panel to build, PANEL_NONE: none */
        TzMode tz;                    /* the zone times are shown in (UTC: 0) */
        int stale;                    /* the feed is down: every figure is as of as_of */
        int64_t as_of;                /* when the feed was last known live (UTC ms), or TIME_NONE */
        const char *panel_delegation; /* PANEL_DELEGATION: its name as a row shows it */
        const char *panel_filter;     /* people whose name or delegation holds it; NULL: all */
        ViewPanelSort panel_sort;
} ViewOpts;

typedef struct View {
        size_t nmeetings, meeting;
        int has_meeting;
        char topic[VIEW_TEXT_MAX], id[VIEW_TEXT_MAX];
        const char *status; /* "live", "ended", "waiting for events" */
        /* event-time clock in the zone shown, "2021-06-08 12:41:07 UTC", "2021-06-08
         * 14:41:07 CEST", "... UTC (meeting zone unknown)" */
        char clock[CAPMON_TZ_MAX + 64];
        TimeZone tz; /* the zone times are shown in: mode asked, zone, fallback */
        char feed[VIEW_TEXT_MAX];
        Severity feed_level;
        /* when Zoom's live list last confirmed the picture ("Zoom list 12:41:07Z
         * +2/-1"; no Z outside UTC), "Zoom list off: <why>", or "" (never reconciled) */
        char confirmed[VIEW_TEXT_MAX];
        int full; /* participants >= capacity: joiners are refused */
        /* the feed is down: figures are not live; "STALE as of 18:51:38" (zone shown) or
         * "STALE: never connected"; "" while live */
        char stale[64];
        ViewGauge cap, video;
        /* where the video count comes from: "rtms", "qos estimate", "rtms, known
         * since 14:05" (a partial picture; in the zone shown); "" when unknown */
        char video_note[64];
        int people, waiting, unidentified, join_failures;
        ViewSort sort;
        char filter[VIEW_TEXT_MAX];
        ViewRow *rows; /* sorted, filtered; Unidentified, Dial-in, over-quota rows first */
        size_t nrows, ndelegations, rows_cap;
        ViewAlert alerts[VIEW_ALERTS]; /* firing first (critical first), then resolved */
        size_t nalerts, nfiring;
        ViewFailure failures[VIEW_FAILURES]; /* newest first */
        size_t nfailures;
        ViewPanel panel;
        char panel_title[VIEW_TEXT_MAX + 32]; /* "Waiting room", "Delegation Kenya" */
        char panel_filter[VIEW_TEXT_MAX];
        ViewPanelSort panel_sort;
        size_t panel_total; /* people in the panel before its filter */
        /* the panel's people: oldest first (failures newest first), or as panel_sort */
        ViewPerson *persons;
        size_t npersons, persons_cap;
} View;

void View_init(View *v);
void View_done(View *v);
/* Rebuild v from the monitor (reusing its memory). */
void View_build(View *v, const Monitor *m, const ViewOpts *o);

/* Which meeting the dashboard shows while the operator has not chosen one (Tab):
 * at first (current == SIZE_MAX) the one with the most recent event (ties: the
 * one seen later); after that it stays on current unless current has ended or had
 * no event for VIEW_QUIET_MS while the latest one had. 0 when there is none. */
#define VIEW_QUIET_MS 60000
size_t view_follow_meeting(const Monitor *m, size_t current);

/* The gauge level: severity of the rule's firing alert for the meeting, else none. */
Severity view_alert_level(const Alerts *al, Rule rule, const char *meeting);

/* ---- layout ---- */

typedef enum ViewMode { VIEW_FULL, VIEW_REDUCED, VIEW_MINIMAL, VIEW_TOO_SMALL } ViewMode;
extern const char *const VIEW_MODE_NAMES[4];

#define VIEW_MIN_ROWS     10
#define VIEW_MIN_COLS     40
#define VIEW_FULL_ROWS    24
#define VIEW_FULL_COLS    80
#define VIEW_REDUCED_ROWS 16
#define VIEW_REDUCED_COLS 60
#define VIEW_TABLE_MIN    10 /* delegation rows the full layout keeps (80x24) */
#define VIEW_SET_MIN      63 /* a table set with every column and 30 for the name */

typedef struct Rect {
        int y, x, h, w; /* h == 0: not shown */
} Rect;

enum { COL_VIDEO = 1, COL_PEAK = 2, COL_QUOTA = 4 };

typedef struct Layout {
        ViewMode mode;
        int rows, cols;
        Rect header;   /* 2 lines (full), 1 line (reduced) */
        Rect gauges;   /* 2 lines */
        Rect table;    /* title line, column heads, rows */
        Rect alerts;   /* title + lines, or h == 1: a one-line summary */
        Rect failures; /* shown in the full layout only */
        Rect footer;
        unsigned table_cols; /* COL_* shown besides name and participants */
        int name_width;
        /* wide terminals: the rows flow on into a second set of columns beside the
         * first (1 or 2), each set_width wide with one blank between */
        int table_sets, set_width;
} Layout;

/* Collapse order as the terminal shrinks: the join-failures pane goes first (below
 * 80x24), then the alerts pane becomes one line, then the minimal view (below
 * 60x16: meeting, participants, video, firing alerts), then one line (below 40x10). */
void View_layout(Layout *lay, int rows, int cols);

/* ---- text ---- */

/* Copy untrusted text into out (at most outlen-1 bytes, cut on a character
 * boundary): control characters (C0, DEL, C1) and bidirectional overrides are
 * removed, invalid UTF-8 and unprintable characters become U+FFFD. Returns the
 * display width of the result. */
int view_sanitize(const char *in, char *out, size_t outlen);
/* Display width of sanitised text (wcwidth; needs a UTF-8 locale). */
int view_width(const char *s);
/* Copy s cut to at most cols columns, ending with "…" when cut. Returns the width. */
int view_fit(const char *s, int cols, char *out, size_t outlen);

/* A sparkline of history (HISTORY_BUCKETS values, oldest first) in cols columns,
 * a divisor of HISTORY_BUCKETS (each column the highest of its buckets): one of
 * "▁▂▃▄▅▆▇█" scaled against limit as the gauge's bar is (a count above zero shows
 * at least ▁, at or over the limit █), a space for zero or unknown. Returns the
 * columns written (0 when cols does not divide HISTORY_BUCKETS). */
int view_spark(const int *history, int limit, int cols, char *out, size_t outlen);
/* The widest sparkline that fits in room columns: the largest divisor of
 * HISTORY_BUCKETS from VIEW_SPARK_MIN up, so it always spans 30 minutes; 0: none. */
#define VIEW_SPARK_MIN 10
int view_spark_cols(int room);

/* "name (delegation)", or name alone when it already ends with "(delegation)",
 * starts with "delegation -", or the delegation is empty. */
void view_person_label(const char *name, const char *delegation, char *out, size_t len);

#endif
