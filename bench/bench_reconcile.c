/* Reconcile cost for one 1,000-person meeting (issue 13): the loop time of one
 * reconcile, i.e. parsing Zoom's 4 pages (300 rows each at most, with every
 * device and network field Zoom sends) and applying the resulting
 * capmon.reconcile record to a monitor that holds the meeting; the baseline
 * in the same run is applying the same number of ordinary join events. Then
 * the Zoom requests one sitting costs per hour. Times are the thread's CPU
 * time (the machine may be busy with other work).
 * usage: bench_reconcile [PEOPLE] [ROUNDS] [CHURN] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"
#include "monitor.h"
#include "util.h"
#include "zoom_rows.h"

#define T0 1750000000000LL

/* CPU time of this thread: what the loop spends, whatever else the (shared)
 * machine runs meanwhile */
static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const COUNTRIES[] = {"France", "Kenya", "Japan", "Chile", "Canada", "India"};

/* One row as Zoom's live list gives it (Dashboard API, type=live). */
static json_t *zoom_row(int uid, int64_t join_ms)
{
        char name[64], t[40], id[16];
        xsnprintf(name, sizeof name, "%s - Delegate %d", COUNTRIES[uid % 6], uid);
        xsnprintf(id, sizeof id, "%d", uid);
        time_format(join_ms, t, sizeof t);
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
                         " s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:s}",
                         "id", "", "user_id", id, "participant_uuid", id, "user_name", name,
                         "email", "", "join_time", t, "leave_time", "", "device", "Windows",
                         "ip_address", "192.0.2.10", "location", "Geneva (CH)", "network_type",
                         "Wired", "microphone", "Headset", "speaker", "Headset", "camera",
                         "HD Webcam", "data_center", "Europe", "connection_type", "UDP", "status",
                         "in_meeting", "share_application", 0, "share_desktop", 0,
                         "share_whiteboard", 0, "recording", 0, "role", "attendee", "audio_quality",
                         "good", "video_quality", "good", "screen_share_quality", "");
}

static void feed(Monitor *m, const char *text)
{
        char err[256];
        Outcome o = Monitor_feed(m, text, strlen(text), TIME_NONE, err, sizeof err);
        if (o != OUT_APPLIED && o != OUT_DUPLICATE) {
                fprintf(stderr, "not applied: %s\n", err);
                exit(1);
        }
}

static char *join_text(int uid, int64_t t)
{
        char *s = NULL;
        json_t *b = json_pack("{s:s, s:I, s:{s:{s:s, s:s, s:{s:s, s:s}}}}", "event",
                              "meeting.participant_joined", "event_ts", (json_int_t)t, "payload",
                              "object", "uuid", "m1==", "id", "85012345678", "participant",
                              "user_id", "", "user_name", "");
        char id[16], name[64];
        xsnprintf(id, sizeof id, "%d", uid);
        xsnprintf(name, sizeof name, "%s - Delegate %d", COUNTRIES[uid % 6], uid);
        json_t *p = json_object_get(json_object_get(json_object_get(b, "payload"), "object"),
                                    "participant");
        json_object_set_new(p, "user_id", json_string(id));
        json_object_set_new(p, "user_name", json_string(name));
        s = json_dumps(b, JSON_COMPACT);
        json_decref(b);
        return s;
}

int main(int argc, char **argv)
{
        int people = argc > 1 ? atoi(argv[1]) : 1000;
        int rounds = argc > 2 ? atoi(argv[2]) : 200;
        int churn = argc > 3 ? atoi(argv[3]) : 20; /* people who changed unseen per round */
        Config cfg;
        Config_init(&cfg);
        char err[256];
        Monitor *m = Monitor_new(&cfg, err, sizeof err);

        /* baseline: the sitting's joins, one event each */
        char **joins = xcalloc((size_t)people, sizeof *joins);
        for (int i = 0; i < people; i++)
                joins[i] = join_text(i, T0 + i);
        double t = now_s();
        for (int i = 0; i < people; i++)
                feed(m, joins[i]);
        double base = now_s() - t;

        /* each round: Zoom's pages (300 rows) with `churn` people swapped */
        double parse = 0, apply = 0, worst = 0, worst_turn = 0, first = 0, first_turn = 0,
               reparse = 0, ref = 0, fastparse = 0;
        Extractor *xr = Extractor_new();
        ZoomRows *zr = ZoomRows_new(), *zref = ZoomRows_new();
        int next_uid = people;
        int *in = xcalloc((size_t)people, sizeof *in);
        for (int i = 0; i < people; i++)
                in[i] = i;
        size_t bytes = 0;
        for (int r = 0; r < rounds; r++) {
                int64_t f = T0 + 60000 + (int64_t)r * 300000;
                for (int c = 0; c < churn; c++)
                        in[(r * churn + c * 37) % people] = next_uid++;
                /* Zoom's pages, as text */
                int npages = (people + 299) / 300;
                char **pages = xcalloc((size_t)npages, sizeof *pages);
                for (int p = 0; p < npages; p++) {
                        json_t *rows = json_array();
                        for (int i = p * 300; i < people && i < (p + 1) * 300; i++)
                                json_array_append_new(rows, zoom_row(in[i], f - 1000));
                        json_t *doc = json_pack("{s:i, s:i, s:i, s:s, s:o}", "page_count", npages,
                                                "page_size", 300, "total_records", people,
                                                "next_page_token", "", "participants", rows);
                        pages[p] = json_dumps(doc, JSON_COMPACT);
                        bytes += strlen(pages[p]);
                        json_decref(doc);
                }
                double t0 = now_s();
                /* what reconcile.c does on the loop: read each page (zoom_rows.h),
                 * keep the rows' identity fields, make one record */
                ZoomRows_reset(zr);
                for (int p = 0; p < npages; p++) {
                        double tp = now_s(); /* each page is its own loop turn */
                        if (ZoomRows_page(zr, pages[p], strlen(pages[p]), err, sizeof err)) {
                                fprintf(stderr, "page %d: %s\n", p + 1, err);
                                exit(1);
                        }
                        double turn = now_s() - tp;
                        if (r == 0 && turn > first_turn)
                                first_turn = turn;
                        else if (r > 0 && turn > worst_turn)
                                worst_turn = turn;
                }
                char *text = ZoomRows_record(zr, "m1==", "85012345678", NULL, f, NULL);
                double t1 = now_s();
                feed(m, text); /* the core: parse the record once, apply */
                double t2 = now_s();
                json_t *again = json_loadb(text, strlen(text), 0, NULL); /* its parse alone */
                reparse += now_s() - t2;
                json_decref(again);
                double t3 = now_s(); /* and by the core's fast path alone */
                Msg msg;
                Event_extract(xr, text, strlen(text), &msg);
                fastparse += now_s() - t3;
                if (msg.kind != MSG_EVENT || msg.ev.rows) {
                        fprintf(stderr, "the record was not read by the fast path\n");
                        exit(1);
                }
                /* the same pages read by the reference (jansson) alone */
                double tr = now_s();
                ZoomRows_reset(zref);
                for (int p = 0; p < npages; p++)
                        ZoomRows_page_ref(zref, pages[p], strlen(pages[p]), err, sizeof err);
                char *rtext = ZoomRows_record(zref, "m1==", "85012345678", NULL, f, NULL);
                ref += now_s() - tr;
                if (strcmp(rtext, text) != 0) {
                        fprintf(stderr, "the fast and reference readers differ\n");
                        exit(1);
                }
                free(rtext);
                parse += t1 - t0;
                apply += t2 - t1;
                if (r == 0) { /* the first: the parsers' buffers are allocated */
                        first = t2 - t0;
                        if (t2 - t1 > first_turn)
                                first_turn = t2 - t1;
                } else {
                        if (t2 - t0 > worst)
                                worst = t2 - t0;
                        if (t2 - t1 > worst_turn)
                                worst_turn = t2 - t1;
                }
                free(text);
                for (int p = 0; p < npages; p++)
                        free(pages[p]);
                free(pages);
        }
        const Meeting *mt = State_meeting(Monitor_state(m), 0);
        printf("reconcile of a %d-person meeting (%d rounds, %d unseen changes each):\n", people,
               rounds, churn);
        printf("  pages: %d of 300 rows, %.0f KB of JSON per reconcile\n", (people + 299) / 300,
               (double)bytes / rounds / 1024);
        printf("  loop time per reconcile: %.2f ms (pages %.2f ms + core apply %.2f ms), worst "
               "%.2f ms after the first (%.2f ms, buffers allocated); target < 5 ms\n",
               (parse + apply) / rounds * 1e3, parse / rounds * 1e3, apply / rounds * 1e3,
               worst * 1e3, first * 1e3);
        printf("  of the apply, reading the record (simdjson, the core's fast path): %.2f ms; "
               "jansson would take %.2f ms\n",
               fastparse / rounds * 1e3, reparse / rounds * 1e3);
        printf("  the same pages read and recorded by the reference (jansson) alone: %.2f ms "
               "(ratio fast/reference %.2f); pages it had to take: %lu\n",
               ref / rounds * 1e3, parse / ref, ZoomRows_fallbacks(zr));
        printf("  longest single loop turn (one page, or the apply): %.2f ms after the first "
               "reconcile (in it: %.2f ms)\n",
               worst_turn * 1e3, first_turn * 1e3);
        printf("  baseline, same run: %d join events applied one by one: %.2f ms (ratio "
               "reconcile/joins %.2f)\n",
               people, base * 1e3, (parse + apply) / rounds / base);
        printf("  last reconcile: opened %d, closed %d; participants %d\n", mt->reconcile_opened,
               mt->reconcile_closed, mt->participants);
        int pages = (people + 299) / 300;
        printf("Zoom requests for one %d-person sitting: %d per reconcile; every 300 s: %d an "
               "hour (+%d per reconnection, +1 at start for a --meeting id);\n"
               "  a 10-hour day: %d of a Business account's 60,000 Heavy requests a day\n",
               people, pages, pages * 12, pages, pages * 12 * 10);
        for (int i = 0; i < people; i++)
                free(joins[i]);
        free(joins);
        free(in);
        ZoomRows_free(zr);
        ZoomRows_free(zref);
        Extractor_free(xr);
        int rc = mt->participants == people ? 0 : 1; /* the list's head count */
        Monitor_free(m);
        Config_done(&cfg);
        return rc;
}
