/* Times in the zone the operator chose (see tzone.h). */
#include "tzone.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

const char *const TZ_MODE_NAMES[TZ_MODES] = {"utc", "meeting", "local"};

/* Whether the tz database has zone (glibc reads $TZDIR, else /usr/share/zoneinfo):
 * without it glibc would show UTC under the zone's name. Looked up once per zone. */
static int zone_found(TimeZone *z, const char *zone)
{
        if (strcmp(z->looked_up, zone) == 0)
                return z->found;
        const char *dir = getenv("TZDIR");
        char path[4096];
        struct stat st;
        if (!dir || !*dir)
                dir = "/usr/share/zoneinfo";
        z->found = xsnprintf(path, sizeof path, "%s/%s", dir, zone) == 0 && stat(path, &st) == 0 &&
                   S_ISREG(st.st_mode);
        xsnprintf(z->looked_up, sizeof z->looked_up, "%s", zone);
        return z->found;
}

static void engage(TimeZone *z)
{
        const char *old = getenv("TZ");
        char tz[CAPMON_TZ_MAX + 1];
        z->saved = old ? xstrdup(old) : NULL;
        xsnprintf(tz, sizeof tz, ":%s", z->zone); /* ':': a file of the database, never a rule */
        setenv("TZ", tz, 1);
        tzset();
        z->engaged = 1;
}

void TimeZone_begin(TimeZone *z, TzMode mode, const char *meeting_zone)
{
        TimeZone_end(z);
        z->mode = mode < TZ_MODES ? mode : TZ_UTC;
        z->shown = z->mode;
        z->zone[0] = z->fallback[0] = 0;
        if (z->mode != TZ_MEETING)
                return;
        if (meeting_zone && tz_name_valid(meeting_zone))
                xsnprintf(z->zone, sizeof z->zone, "%s", meeting_zone);
        if (!z->zone[0])
                xsnprintf(z->fallback, sizeof z->fallback, "meeting zone unknown");
        else if (!zone_found(z, z->zone))
                xsnprintf(z->fallback, sizeof z->fallback, "zone %s unknown", z->zone);
        if (z->fallback[0]) {
                z->shown = TZ_UTC;
                return;
        }
        engage(z);
}

void TimeZone_end(TimeZone *z)
{
        if (!z->engaged)
                return;
        if (z->saved)
                setenv("TZ", z->saved, 1);
        else
                unsetenv("TZ");
        tzset();
        free(z->saved);
        z->saved = NULL;
        z->engaged = 0;
}

/* The broken-down time of t in the zone shown and its abbreviation; -1 when there
 * is no such time. */
static int convert(const TimeZone *z, int64_t t, struct tm *tm, char *abbr, size_t len)
{
        if (t == TIME_NONE)
                return -1;
        time_t s = (time_t)(t / 1000 - (t % 1000 < 0)); /* floor: times before 1970 */
        if (z->shown == TZ_UTC) {
                if (!gmtime_r(&s, tm))
                        return -1;
                xsnprintf(abbr, len, "UTC");
                return 0;
        }
        if (!localtime_r(&s, tm))
                return -1;
        if (tm->tm_zone && *tm->tm_zone) {
                xsnprintf(abbr, len, "%s", tm->tm_zone);
        } else {
                long off = tm->tm_gmtoff / 60;
                xsnprintf(abbr, len, "%c%02ld%02ld", off < 0 ? '-' : '+', labs(off) / 60,
                          labs(off) % 60);
        }
        return 0;
}

void TimeZone_format(TimeZone *z, int64_t t, TzStyle style, char *buf, size_t len)
{
        struct tm tm;
        char abbr[16];
        if (convert(z, t, &tm, abbr, sizeof abbr) || tm.tm_year + 1900 > 9999 ||
            tm.tm_year + 1900 < 0) {
                xsnprintf(buf, len, "%s", style == TZF_HM ? "--:--" : "--:--:--");
                return;
        }
        switch (style) {
        case TZF_HMS:
                xsnprintf(buf, len, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
                break;
        case TZF_HM:
                xsnprintf(buf, len, "%02d:%02d", tm.tm_hour, tm.tm_min);
                break;
        case TZF_CLOCK:
                xsnprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, abbr);
                break;
        }
}
