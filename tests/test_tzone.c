/* The dashboard's time zones (tui/tzone.c): known instants worked out by hand from
 * the zones' rules, the fallbacks to UTC, and TZ left as it was found.
 *
 * Europe/Zurich: CET (UTC+1); CEST (UTC+2) from the last Sunday of March, 01:00 UTC,
 * to the last Sunday of October, 01:00 UTC. 2026: 1 January is a Thursday, so
 * 1 February and 1 March are Sundays; the last Sunday of March is the 29th, that
 * of October the 25th. Asia/Kolkata: IST, UTC+5:30 all year. Buenos Aires: UTC-3
 * all year, abbreviated "-03" by the tz database. Asia/Tokyo: JST, UTC+9. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tap.h"
#include "tzone.h"
#include "util.h"

static int64_t at(const char *iso)
{
        int64_t t = time_parse(iso);
        if (t == TIME_NONE)
                diag("time_parse(%s) failed", iso);
        return t;
}

/* iso shown in mode for a meeting in zone, as style says */
static void shown(TzMode mode, const char *zone, const char *iso, TzStyle style, const char *want,
                  const char *what)
{
        TimeZone z;
        char buf[64];
        memset(&z, 0, sizeof z);
        TimeZone_begin(&z, mode, zone);
        TimeZone_format(&z, at(iso), style, buf, sizeof buf);
        TimeZone_end(&z);
        is_str(buf, want, "%s", what);
}

static int have_zone(const char *zone)
{
        char path[256];
        struct stat st;
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
        return stat(path, &st) == 0;
}

static void test_meeting_zone(void)
{
        static const struct {
                const char *zone, *iso;
                TzStyle style;
                const char *want, *what;
        } cases[] = {
            {"Europe/Zurich", "2026-03-10T08:27:14Z", TZF_CLOCK, "2026-03-10 09:27:14 CET",
             "winter in Zurich: CET, UTC+1"},
            {"Europe/Zurich", "2026-07-01T12:00:00Z", TZF_CLOCK, "2026-07-01 14:00:00 CEST",
             "summer in Zurich: CEST, UTC+2"},
            {"Europe/Zurich", "2026-03-29T00:59:59Z", TZF_CLOCK, "2026-03-29 01:59:59 CET",
             "the last second of CET in 2026"},
            {"Europe/Zurich", "2026-03-29T01:00:00Z", TZF_CLOCK, "2026-03-29 03:00:00 CEST",
             "clocks go forward at 01:00 UTC on 29 March"},
            {"Europe/Zurich", "2026-10-25T00:59:59Z", TZF_HMS, "02:59:59",
             "the last second of CEST in 2026"},
            {"Europe/Zurich", "2026-10-25T01:00:00Z", TZF_CLOCK, "2026-10-25 02:00:00 CET",
             "clocks go back at 01:00 UTC on 25 October"},
            {"Europe/Zurich", "2026-12-31T23:30:00Z", TZF_CLOCK, "2027-01-01 00:30:00 CET",
             "the date is the zone's (next year already)"},
            {"Asia/Kolkata", "2026-03-10T08:27:14Z", TZF_CLOCK, "2026-03-10 13:57:14 IST",
             "a half-hour offset: Kolkata, UTC+5:30"},
            {"America/Argentina/Buenos_Aires", "2026-03-10T02:27:14Z", TZF_CLOCK,
             "2026-03-09 23:27:14 -03", "west of UTC, the day before; a numeric abbreviation"},
            {"Europe/Zurich", "2026-03-10T08:27:14Z", TZF_HM, "09:27", "hh:mm"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                shown(TZ_MEETING, cases[i].zone, cases[i].iso, cases[i].style, cases[i].want,
                      cases[i].what);
}

static void test_fallbacks(void)
{
        TimeZone z;
        char buf[64];
        memset(&z, 0, sizeof z);
        TimeZone_begin(&z, TZ_MEETING, NULL);
        TimeZone_format(&z, at("2026-03-10T08:27:14Z"), TZF_CLOCK, buf, sizeof buf);
        is_str(buf, "2026-03-10 08:27:14 UTC", "meeting without a zone: UTC");
        ok(z.shown == TZ_UTC && strcmp(z.fallback, "meeting zone unknown") == 0,
           "and it says so (%s)", z.fallback);
        TimeZone_begin(&z, TZ_MEETING, "Mars/Olympus_Mons");
        TimeZone_format(&z, at("2026-03-10T08:27:14Z"), TZF_CLOCK, buf, sizeof buf);
        is_str(buf, "2026-03-10 08:27:14 UTC", "a zone the tz database lacks: UTC");
        is_str(z.fallback, "zone Mars/Olympus_Mons unknown", "and it names the zone");
        TimeZone_begin(&z, TZ_MEETING, "../../../etc/passwd");
        ok(z.shown == TZ_UTC && z.zone[0] == 0 && !z.engaged,
           "an implausible name is no zone (TZ untouched)");
        TimeZone_begin(&z, TZ_MEETING, "Europe");
        ok(z.shown == TZ_UTC && strcmp(z.fallback, "zone Europe unknown") == 0,
           "a folder of the database is no zone");
        TimeZone_begin(&z, TZ_UTC, "Europe/Zurich");
        TimeZone_format(&z, at("2026-03-10T08:27:14Z"), TZF_CLOCK, buf, sizeof buf);
        is_str(buf, "2026-03-10 08:27:14 UTC", "utc: the meeting's zone does not matter");
        ok(!z.engaged && z.fallback[0] == 0, "utc: TZ untouched, nothing to say");
        TimeZone_format(&z, TIME_NONE, TZF_HMS, buf, sizeof buf);
        is_str(buf, "--:--:--", "no time: dashes");
        TimeZone_format(&z, at("1969-12-31T23:59:59.500Z"), TZF_HMS, buf, sizeof buf);
        is_str(buf, "23:59:59", "before 1970: rounded down, not up");
        TimeZone_format(&z, INT64_MAX, TZF_CLOCK, buf, sizeof buf);
        is_str(buf, "--:--:--", "beyond year 9999: dashes");
        TimeZone_end(&z);
}

/* local is the process's TZ; showing a meeting's zone leaves it as it was. */
static void test_local_and_restore(void)
{
        TimeZone z;
        char buf[64];
        memset(&z, 0, sizeof z);
        setenv("TZ", "Asia/Tokyo", 1);
        tzset();
        TimeZone_begin(&z, TZ_LOCAL, "Europe/Zurich");
        TimeZone_format(&z, at("2026-03-10T08:27:14Z"), TZF_CLOCK, buf, sizeof buf);
        is_str(buf, "2026-03-10 17:27:14 JST", "local: the process's zone (TZ=Asia/Tokyo)");
        TimeZone_begin(&z, TZ_MEETING, "Europe/Zurich");
        ok(z.engaged && strcmp(getenv("TZ"), ":Europe/Zurich") == 0,
           "meeting: TZ names the zone's file while in use");
        TimeZone_format(&z, at("2026-03-10T08:27:14Z"), TZF_HMS, buf, sizeof buf);
        is_str(buf, "09:27:14", "meeting: Zurich");
        TimeZone_end(&z);
        ok(getenv("TZ") && strcmp(getenv("TZ"), "Asia/Tokyo") == 0, "TZ restored after use");
        TimeZone_end(&z);
        ok(getenv("TZ") && strcmp(getenv("TZ"), "Asia/Tokyo") == 0, "a second end changes nothing");
        TimeZone_begin(&z, TZ_LOCAL, NULL);
        TimeZone_format(&z, at("2026-03-10T08:27:14Z"), TZF_HMS, buf, sizeof buf);
        is_str(buf, "17:27:14", "local again: Tokyo, not Zurich (tzset after the restore)");
        time_t s = (time_t)(at("2026-03-10T08:27:14Z") / 1000);
        struct tm tm;
        localtime_r(&s, &tm);
        ok(tm.tm_hour == 17, "and so is the process's own localtime_r");
        unsetenv("TZ");
        tzset();
        TimeZone_begin(&z, TZ_MEETING, "Europe/Zurich");
        TimeZone_begin(&z, TZ_MEETING, "Asia/Kolkata"); /* begin again: ends the first */
        TimeZone_format(&z, at("2026-03-10T08:27:14Z"), TZF_HMS, buf, sizeof buf);
        is_str(buf, "13:57:14", "a new begin switches zones");
        TimeZone_end(&z);
        ok(getenv("TZ") == NULL, "TZ unset before: unset after");
}

int main(void)
{
        if (!have_zone("Europe/Zurich") || !have_zone("Asia/Kolkata") ||
            !have_zone("America/Argentina/Buenos_Aires") || !have_zone("Asia/Tokyo")) {
                printf("1..0 # SKIP the tz database (tzdata) is not installed\n");
                return 0;
        }
        unsetenv("TZDIR");
        test_meeting_zone();
        test_fallbacks();
        test_local_and_restore();
        return done_testing();
}
