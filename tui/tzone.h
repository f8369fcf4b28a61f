/* The zone the dashboard shows times in (--tz, key t): UTC, the meeting's own time
 * zone (Zoom's `timezone`, e.g. Europe/Zurich) or the local one. Every time on the
 * dashboard goes through TimeZone_format. Logs and JSON stay UTC.
 *
 * The meeting's zone is read from the system's tz database (glibc: TZ, tzset,
 * localtime_r): TimeZone_begin puts it in TZ once, TimeZone_end restores TZ as it
 * was, so a frame loads the zone once, not once per time. Single-threaded only. */
#ifndef CAPMON_TZONE_H
#define CAPMON_TZONE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* In --tz's order ("utc|meeting|local": the index is the mode). */
typedef enum TzMode { TZ_UTC, TZ_MEETING, TZ_LOCAL, TZ_MODES } TzMode;
#define TZ_CHOICES "utc|meeting|local"
extern const char *const TZ_MODE_NAMES[TZ_MODES];

typedef enum TzStyle {
        TZF_HMS,   /* "09:27:14" ("--:--:--" without a time) */
        TZF_HM,    /* "09:27" */
        TZF_CLOCK, /* "2026-03-10 09:27:14 CET": the zone's abbreviation last */
} TzStyle;

typedef struct TimeZone {
        TzMode mode;  /* asked for */
        TzMode shown; /* in use: TZ_UTC when the meeting's zone is not known */
        /* TZ_MEETING: the meeting's zone, or "" when it has none */
        char zone[CAPMON_TZ_MAX];
        /* why TZ_MEETING shows UTC: "meeting zone unknown", "zone X unknown"; else "" */
        char fallback[CAPMON_TZ_MAX + 32];
        /* the last zone looked up in the tz database, and whether it is there */
        char looked_up[CAPMON_TZ_MAX];
        int found;
        int engaged; /* TZ holds zone until TimeZone_end */
        char *saved; /* TZ before (malloc'd), NULL when it was not set */
} TimeZone;

/* Start a frame in mode for a meeting whose zone is meeting_zone (NULL or "": none;
 * a name that tz_name_valid refuses is taken as none). For TZ_MEETING with a zone
 * the tz database has, TZ is set until TimeZone_end. */
void TimeZone_begin(TimeZone *z, TzMode mode, const char *meeting_zone);
/* t (epoch ms, or TIME_NONE) in the zone shown, as style says. */
void TimeZone_format(TimeZone *z, int64_t t, TzStyle style, char *buf, size_t len);
/* Restore TZ (idempotent). */
void TimeZone_end(TimeZone *z);

#endif
