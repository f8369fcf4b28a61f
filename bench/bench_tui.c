/* Dashboard frame cost: view build + draw for 1,000 sessions in 200 delegations,
 * into a real curses screen (newterm on /dev/null, 120x40). Prints figures.
 * usage: bench_tui [FRAMES] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dashboard.h"
#include "term.h"
#include "util.h"
#include "view.h"

#define SESSIONS    1000
#define DELEGATIONS 200

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
        double sum = 0;
        for (int i = 0; i < n; i++)
                sum += t[i];
        qsort(t, (size_t)n, sizeof *t, cmp_double);
        printf("%-38s mean %.3f ms  p50 %.3f  p99 %.3f  max %.3f  (%d frames)\n", what, sum / n,
               t[n / 2], t[n * 99 / 100], t[n - 1], n);
}

static int64_t ts = 1750000000000;

static void feed(Monitor *m, const char *ev, int i, int video)
{
        char buf[1024], err[256];
        ts += 10;
        if (video)
                snprintf(buf, sizeof buf,
                         "{\"event\":\"capmon.participant_video\",\"event_ts\":%lld,\"payload\":"
                         "{\"object\":{\"uuid\":\"m1\",\"id\":\"1\",\"topic\":\"Council sitting\","
                         "\"participant\":{\"user_id\":\"u%d\",\"video\":\"%s\"}}}}",
                         (long long)ts, i, ev);
        else
                snprintf(buf, sizeof buf,
                         "{\"event\":\"meeting.participant_%s\",\"event_ts\":%lld,\"payload\":"
                         "{\"object\":{\"uuid\":\"m1\",\"id\":\"1\",\"topic\":\"Council sitting\","
                         "\"participant\":{\"user_id\":\"u%d\",\"user_name\":\"Person %04d\"}}}}",
                         ev, (long long)ts, i, i);
        Monitor_feed(m, buf, strlen(buf), TIME_NONE, err, sizeof err);
}

/* The meeting gets a time zone (as Zoom's events carry it). */
static void feed_zone(Monitor *m, const char *zone)
{
        char buf[512], err[256];
        ts += 10;
        snprintf(buf, sizeof buf,
                 "{\"event\":\"meeting.alert\",\"event_ts\":%lld,\"payload\":{\"object\":"
                 "{\"uuid\":\"m1\",\"id\":\"1\",\"timezone\":\"%s\"}}}",
                 (long long)ts, zone);
        Monitor_feed(m, buf, strlen(buf), TIME_NONE, err, sizeof err);
}

/* 100 times (a full alerts pane and people panel) formatted in Europe/Zurich:
 * the zone set once (the view's way) against set and restored for each time. */
#define ZONE_TIMES 100
static void zone_per_time(double *t, int frames)
{
        TimeZone z;
        char buf[64];
        memset(&z, 0, sizeof z);
        for (int i = 0; i < frames; i++) {
                double t0 = now_ms();
                TimeZone_begin(&z, TZ_MEETING, "Europe/Zurich");
                for (int k = 0; k < ZONE_TIMES; k++)
                        TimeZone_format(&z, ts + k * 1000, TZF_HMS, buf, sizeof buf);
                TimeZone_end(&z);
                t[i] = now_ms() - t0;
        }
        report("100 times, zone loaded once", t, frames);
        for (int i = 0; i < frames; i++) {
                double t0 = now_ms();
                for (int k = 0; k < ZONE_TIMES; k++) {
                        TimeZone_begin(&z, TZ_MEETING, "Europe/Zurich");
                        TimeZone_format(&z, ts + k * 1000, TZF_HMS, buf, sizeof buf);
                        TimeZone_end(&z);
                }
                t[i] = now_ms() - t0;
        }
        report("100 times, zone loaded for each", t, frames);
}

int main(int argc, char **argv)
{
        int frames = argc > 1 ? atoi(argv[1]) : 2000;
        if (frames < 10)
                frames = 10;
        char roster[] = "/tmp/capmon-bench-rosterXXXXXX";
        int fd = mkstemp(roster);
        if (fd < 0)
                return 1;
        FILE *rf = fdopen(fd, "w");
        fprintf(rf, "delegation,name,email,registrant_id\n");
        for (int i = 0; i < SESSIONS; i++)
                fprintf(rf, "Delegation %03d,Person %04d,,\n", i % DELEGATIONS, i);
        fclose(rf);

        Config cfg;
        char err[256];
        Config_init(&cfg);
        cfg.roster = xstrdup(roster);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        unlink(roster);
        if (!m) {
                fprintf(stderr, "bench_tui: %s\n", err);
                return 1;
        }
        for (int i = 0; i < SESSIONS; i++)
                feed(m, "joined", i, 0);
        for (int i = 0; i < 40; i++)
                feed(m, "on", i, 1);
        const Meeting *mt = State_meeting(Monitor_state(m), 0);
        printf("state: %d participants in %zu delegations, %d videos\n", mt->participants,
               mt->ndelegations, mt->video_on);

        /* view build alone */
        double *t = xcalloc((size_t)frames, sizeof *t);
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_PARTICIPANTS, .feed = "replay 10x", .as_of = TIME_NONE};
        for (int i = 0; i < frames; i++) {
                feed(m, i % 2 ? "joined" : "left", i % SESSIONS, 0);
                double t0 = now_ms();
                View_build(&v, m, &o);
                t[i] = now_ms() - t0;
        }
        report("view build (sort by participants)", t, frames);

        /* the same in the meeting's zone (--tz meeting): the view loads the zone once
         * per build; against it, loading it for each time shown (TZ set and restored
         * around every one), which the view avoids */
        feed_zone(m, "Europe/Zurich");
        o.tz = TZ_MEETING;
        for (int i = 0; i < frames; i++) {
                feed(m, i % 2 ? "joined" : "left", i % SESSIONS, 0);
                double t0 = now_ms();
                View_build(&v, m, &o);
                t[i] = now_ms() - t0;
        }
        report("view build, --tz meeting (Zurich)", t, frames);
        printf("  header clock: %s\n", v.clock);
        View_done(&v);
        zone_per_time(t, frames);

        /* build + draw into a real curses screen */
        setenv("LINES", "40", 1);
        setenv("COLUMNS", "120", 1);
        if (!getenv("TERM"))
                setenv("TERM", "xterm-256color", 1);
        FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
        TermOpts to = {0, out, in, NULL};
        if (Term_init(&to, err, sizeof err)) {
                fprintf(stderr, "bench_tui: %s\n", err);
                return 1;
        }
        Dashboard *d = Dashboard_new(m, NULL);
        Dashboard_key(d, 's'); /* sort by participants: the table changes as counts do */
        for (int i = 0; i < frames; i++) {
                feed(m, i % 2 ? "joined" : "left", i % SESSIONS, 0);
                double t0 = now_ms();
                Dashboard_draw(d);
                t[i] = now_ms() - t0;
        }
        Term_done();
        report("frame: build + draw (120x40)", t, frames);
        Term_init(&to, err, sizeof err);
        for (int i = 0; i < frames; i++) {
                feed(m, i % 2 ? "joined" : "left", i % SESSIONS, 0);
                double t0 = now_ms();
                Term_clear_all();
                Dashboard_draw(d);
                t[i] = now_ms() - t0;
        }
        Term_done();
        report("frame: build + full repaint (120x40)", t, frames);
        Dashboard_free(d);
        fclose(out);
        fclose(in);
        free(t);
        Monitor_free(m);
        Config_done(&cfg);
        return 0;
}
