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
        ViewOpts o = {0, SORT_PARTICIPANTS, NULL, "replay 10x", SEV_NONE, NULL, PANEL_NONE, TZ_UTC};
        for (int i = 0; i < frames; i++) {
                feed(m, i % 2 ? "joined" : "left", i % SESSIONS, 0);
                double t0 = now_ms();
                View_build(&v, m, &o);
                t[i] = now_ms() - t0;
        }
        report("view build (sort by participants)", t, frames);
        View_done(&v);

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
