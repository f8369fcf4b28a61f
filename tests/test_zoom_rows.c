/* Zoom's live list read for a reconcile (collectors/zoom_rows.h): the fast
 * reader (simdjson) against the reference (jansson) on pages as Zoom documents
 * them and on odd ones; a few outcomes written out by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"
#include "tap.h"
#include "util.h"
#include "zoom_rows.h"

/* Both readers on one page (fresh lists): the same outcome, reason, rows,
 * bad-row reason and next token. Returns the fast reader's fallbacks. */
static unsigned long same(const char *what, const char *page, size_t len)
{
        ZoomRows *f = ZoomRows_new(), *r = ZoomRows_new();
        char wf[256] = "", wr[256] = "";
        int rf = ZoomRows_page(f, page, len, wf, sizeof wf);
        int rr = ZoomRows_page_ref(r, page, len, wr, sizeof wr);
        size_t lf, lr;
        const char *tf = ZoomRows_text(f, &lf), *tr = ZoomRows_text(r, &lr);
        int eq = rf == rr && strcmp(wf, wr) == 0 && lf == lr && memcmp(tf, tr, lf) == 0 &&
                 ZoomRows_count(f) == ZoomRows_count(r) &&
                 strcmp(ZoomRows_next(f), ZoomRows_next(r)) == 0 &&
                 !ZoomRows_bad(f) == !ZoomRows_bad(r) &&
                 (!ZoomRows_bad(f) || strcmp(ZoomRows_bad(f), ZoomRows_bad(r)) == 0);
        if (!ok(eq, "%s: the fast reader and the reference agree", what))
                diag("fast %d \"%s\" [%.*s]; reference %d \"%s\" [%.*s]", rf, wf, (int)lf, tf, rr,
                     wr, (int)lr, tr);
        unsigned long fb = ZoomRows_fallbacks(f);
        ZoomRows_free(f);
        ZoomRows_free(r);
        return fb;
}

static unsigned long same_s(const char *what, const char *page)
{
        return same(what, page, strlen(page));
}

static int page(ZoomRows *z, const char *text, char *why, size_t whylen)
{
        return ZoomRows_page(z, text, strlen(text), why, whylen);
}

/* The fast reader alone on one page: its rows' text (static), rc in *rc. */
static const char *rows_of(const char *page, int *rc, unsigned long *fallbacks)
{
        static char out[4096];
        ZoomRows *z = ZoomRows_new();
        char why[256] = "";
        *rc = ZoomRows_page(z, page, strlen(page), why, sizeof why);
        size_t len;
        const char *t = ZoomRows_text(z, &len);
        snprintf(out, sizeof out, "%s", *rc ? why : t);
        *fallbacks = ZoomRows_fallbacks(z);
        ZoomRows_free(z);
        return out;
}

#define ROW_LEFT_PAGE                                                                              \
        "{\"page_count\":1,\"page_size\":300,\"total_records\":3,\"next_page_token\":\"\","        \
        "\"participants\":["                                                                       \
        "{\"id\":\"\",\"user_id\":\"16778240\",\"participant_uuid\":\"C2B9-u1\","                  \
        "\"user_name\":\"France - Delegate 1\",\"device\":\"Windows\",\"ip_address\":"             \
        "\"192.0.2.10\",\"location\":\"Geneva (CH)\",\"email\":\"\",\"join_time\":"                \
        "\"2025-06-15T09:00:00Z\",\"leave_time\":\"\",\"share_application\":false,"                \
        "\"status\":\"in_meeting\",\"audio_quality\":\"good\"},"                                   \
        "{\"id\":\"\",\"user_id\":\"16778241\",\"user_name\":\"Kenya\",\"join_time\":"             \
        "\"2025-06-15T09:00:01Z\",\"leave_time\":\"2025-06-15T09:10:00Z\",\"status\":"             \
        "\"in_meeting\"},"                                                                         \
        "{\"user_id\":\"16778242\",\"user_name\":\"Waiting\",\"status\":\"in_waiting_room\","      \
        "\"registrant_id\":null}]}"

/* A record made by ZoomRows applied by the core's fast path (Monitor_feed:
 * Event_extract) and by its reference (Monitor_feed_json): the same state. */
static void applied_both_ways(void)
{
        static const char *const joins[] = {"1", "2", "3"};
        Config cfg;
        Config_init(&cfg);
        char err[256];
        Monitor *fast = Monitor_new(&cfg, err, sizeof err),
                *ref = Monitor_new(&cfg, err, sizeof err);
        for (int i = 0; i < 3; i++) {
                char j[400];
                snprintf(j, sizeof j,
                         "{\"event\":\"meeting.participant_joined\",\"event_ts\":%lld,"
                         "\"payload\":{\"object\":{\"uuid\":\"m1==\",\"id\":\"850\","
                         "\"participant\":{\"user_id\":\"%s\",\"user_name\":\"France - D%s\"}}}}",
                         1750000000000LL + i, joins[i], joins[i]);
                Monitor_feed(fast, j, strlen(j), TIME_NONE, err, sizeof err);
                json_t *t = json_loads(j, 0, NULL);
                Monitor_feed_json(ref, t, TIME_NONE, err, sizeof err);
                json_decref(t);
        }
        /* 2 still in, 4 new (an id only, a number), 5 waiting, 3 left: 1 and 3
         * close, 4 opens and 5 waits */
        ZoomRows *z = ZoomRows_new();
        char why[256];
        page(z,
             "{\"participants\":[{\"user_id\":\"2\",\"user_name\":\"France - D2\","
             "\"status\":\"in_meeting\"},{\"id\":4,\"user_name\":\"Kenya - D4\",\"status\":"
             "\"in_meeting\",\"join_time\":\"2025-06-15T15:06:00Z\"},{\"user_id\":\"5\","
             "\"user_name\":\"Chile\",\"status\":\"in_waiting_room\"},{\"user_id\":\"3\","
             "\"status\":\"in_meeting\",\"leave_time\":\"2025-06-15T15:06:41Z\"}]}",
             why, sizeof why);
        char *rec = ZoomRows_record(z, "m1==", "850", NULL, 1750000060000LL, NULL);
        ZoomRows_free(z);
        Outcome of = Monitor_feed(fast, rec, strlen(rec), TIME_NONE, err, sizeof err);
        json_t *t = json_loads(rec, 0, NULL);
        Outcome orf = Monitor_feed_json(ref, t, TIME_NONE, err, sizeof err);
        json_decref(t);
        free(rec);
        is_int(of, OUT_APPLIED, "the record applied by the fast path");
        is_int(orf, OUT_APPLIED, "... and by the reference");
        const Meeting *a = State_meeting(Monitor_state(fast), 0);
        const Meeting *b = State_meeting(Monitor_state(ref), 0);
        ok(a->participants == 2 && a->waiting == 1 && a->reconcile_opened == 2 &&
               a->reconcile_closed == 2,
           "fast path: 2 in, 1 waiting, opened 2, closed 2 (got %d, %d, %d, %d)", a->participants,
           a->waiting, a->reconcile_opened, a->reconcile_closed);
        ok(b->participants == 2 && b->waiting == 1 && b->reconcile_opened == 2 &&
               b->reconcile_closed == 2,
           "reference: the same counts");
        json_t *sa = Monitor_snapshot(fast), *sb = Monitor_snapshot(ref);
        ok(json_equal(sa, sb), "the same snapshot both ways");
        json_decref(sa);
        json_decref(sb);
        Monitor_free(fast);
        Monitor_free(ref);
        Config_done(&cfg);
}

int main(void)
{
        int rc;
        unsigned long fb;
        /* by hand: the kept fields in the record's order, device and network
         * fields out, the row of someone who left skipped, a null left out */
        const char *rows = rows_of(ROW_LEFT_PAGE, &rc, &fb);
        is_int(rc, 0, "a page as Zoom documents it is read");
        is_str(
            rows,
            "{\"user_id\":\"16778240\",\"participant_uuid\":\"C2B9-u1\",\"id\":\"\","
            "\"user_name\":\"France - Delegate 1\",\"email\":\"\",\"join_time\":"
            "\"2025-06-15T09:00:00Z\",\"status\":\"in_meeting\"},"
            "{\"user_id\":\"16778242\",\"user_name\":\"Waiting\",\"status\":\"in_waiting_room\"}",
            "kept fields in order, the left row skipped, null left out");
        is_int(fb, 0, "... by the fast reader itself");
        is_int(same_s("Zoom's page", ROW_LEFT_PAGE), 0, "no fallback on Zoom's page");

        /* by hand: escapes are written as jansson writes them */
        rows = rows_of("{\"participants\":[{\"user_id\":\"a\\u00e9\\/\\\"\\\\\\n\\u0001\\ud83d"
                       "\\ude00\",\"status\":\"in_meeting\"}],\"next_page_token\":\"t1\"}",
                       &rc, &fb);
        is_str(rows,
               "{\"user_id\":\"a\xc3\xa9/\\\"\\\\\\n\\u0001\xf0\x9f\x98\x80\",\"status\":"
               "\"in_meeting\"}",
               "escapes: UTF-8 as is, quote, backslash and controls escaped");
        is_int(fb, 0, "... by the fast reader itself");

        /* a record by hand */
        ZoomRows *z = ZoomRows_new();
        char why[256];
        is_int(
            page(z, "{\"participants\":[{\"id\":12,\"status\":\"in_meeting\"}]}", why, sizeof why),
            0, "a number as id is read");
        size_t len;
        char *rec = ZoomRows_record(z, "m1==", "850", NULL, 1750000000000LL, &len);
        is_str(rec,
               "{\"event\":\"capmon.reconcile\",\"event_ts\":1750000000000,\"payload\":{\"object\":"
               "{\"uuid\":\"m1==\",\"id\":\"850\",\"topic\":null,\"fetch_started\":\"2025-06-15T15:"
               "06:40.000Z\","
               "\"participants\":[{\"id\":12,\"status\":\"in_meeting\"}]}}}",
               "the record: rows between the brackets, an absent topic null (as json_pack s? "
               "writes it)");
        is_int(len, strlen(rec), "the record's length");
        free(rec);
        ZoomRows_reset(z);
        rec = ZoomRows_record(z, "m1==", NULL, "Sitting", 1750000000000LL, NULL);
        ok(strstr(rec, "\"topic\":\"Sitting\"") && strstr(rec, "\"participants\":[]}}}") &&
               strstr(rec, "\"id\":null"),
           "an empty list: an empty array, the id null");
        free(rec);
        /* pages add up; the next token is the last page's */
        page(z,
             "{\"participants\":[{\"user_id\":\"1\",\"status\":\"in_meeting\"}],"
             "\"next_page_token\":\"abc\"}",
             why, sizeof why);
        is_str(ZoomRows_next(z), "abc", "the next page's token");
        page(z, "{\"participants\":[{\"user_id\":\"2\",\"status\":\"in_meeting\"}]}", why,
             sizeof why);
        is_str(ZoomRows_next(z), "", "no token on the last page");
        ZoomRows_text(z, &len);
        is_int(ZoomRows_count(z), 2, "two pages, two rows");
        ok(strstr(ZoomRows_text(z, &len), "\"1\"") && strstr(ZoomRows_text(z, &len), "},{"),
           "rows of both pages, comma separated");
        /* a malformed page adds nothing */
        ok(page(z, "{\"participants\":[{\"user_id\":\"3\"", why, sizeof why) == -1 &&
               strncmp(why, "is not JSON: ", 13) == 0,
           "a truncated page: a clean error (%s)", why);
        is_int(ZoomRows_count(z), 2, "... and nothing of it kept");
        is_int(ZoomRows_fallbacks(z), 1, "... read by the reference");
        ZoomRows_free(z);

        /* odd input: both readers agree (the fast one falls back where unsure) */
        static const struct {
                const char *what, *page;
                int fallback;
        } odd[] = {
            {"numbers as user_id",
             "{\"participants\":[{\"user_id\":16778240,\"status\":\"in_meeting\","
             "\"user_name\":\"N\"}]}",
             0},
            {"id as a number, nothing else",
             "{\"participants\":[{\"id\":-0,\"status\":\"in_waiting_room\"}]}", 0},
            {"booleans kept",
             "{\"participants\":[{\"user_id\":\"1\",\"email\":true,\"status\":"
             "\"in_meeting\"}]}",
             0},
            {"missing fields",
             "{\"participants\":[{\"user_name\":\"Only\",\"status\":\"in_meeting\"}]}", 0},
            {"no participants left", "{\"participants\":[],\"next_page_token\":\"\"}", 0},
            {"row without a key",
             "{\"participants\":[{\"email\":\"x\",\"status\":\"in_meeting\"}]}", 1},
            {"row with an unknown status",
             "{\"participants\":[{\"user_id\":\"1\",\"status\":\"gone\"}]}", 1},
            {"row with a number as status", "{\"participants\":[{\"user_id\":\"1\",\"status\":3}]}",
             1},
            {"a row that is not an object", "{\"participants\":[7]}", 1},
            {"empty strings only",
             "{\"participants\":[{\"user_id\":\"\",\"id\":\"\",\"status\":\"in_meeting\"}]}", 1},
            {"a real as user_id",
             "{\"participants\":[{\"user_id\":1.5,\"user_name\":\"R\","
             "\"status\":\"in_meeting\"}]}",
             1},
            {"a nested value in a row",
             "{\"participants\":[{\"user_id\":\"1\",\"q\":{\"a\":1},"
             "\"status\":\"in_meeting\"}]}",
             1},
            {"duplicate key in a row",
             "{\"participants\":[{\"user_id\":\"1\",\"user_id\":\"2\",\"status\":\"in_meeting\"}]}",
             1},
            {"duplicate key at the top", "{\"participants\":[],\"participants\":[]}", 1},
            {"an escaped key",
             "{\"participants\":[{\"user\\u005fid\":\"1\",\"status\":\"in_meeting\"}]}", 0},
            {"\\u0000 in a name",
             "{\"participants\":[{\"user_id\":\"1\",\"user_name\":\"a\\u0000b\","
             "\"status\":\"in_meeting\"}]}",
             1},
            {"a lone surrogate",
             "{\"participants\":[{\"user_id\":\"\\ud800\",\"status\":\"in_meeting\"}]}", 1},
            {"invalid UTF-8",
             "{\"participants\":[{\"user_id\":\"\xc3\x28\",\"status\":\"in_meeting\"}]}", 1},
            {"an integer past int64",
             "{\"participants\":[{\"user_id\":\"1\",\"n\":18446744073709551615,\"status\":\"in_"
             "meeting\"}]}",
             1},
            {"an integer past uint64",
             "{\"participants\":[{\"user_id\":\"1\",\"n\":184467440737095516150,\"status\":\"in_"
             "meeting\"}]}",
             1},
            {"truncated", "{\"participants\":[{\"user_id\":\"1\",\"status\":\"in_mee", 1},
            {"trailing content", "{\"participants\":[]} {}", 1},
            {"an array at the top", "[{\"participants\":[]}]", 1},
            {"no participants", "{\"page_size\":300}", 1},
            {"participants not an array", "{\"participants\":{}}", 1},
            {"next_page_token a number", "{\"participants\":[],\"next_page_token\":5}", 1},
            {"next_page_token null", "{\"participants\":[],\"next_page_token\":null}", 1},
            {"bad literal",
             "{\"participants\":[{\"user_id\":\"1\",\"x\":tru,\"status\":\"in_meeting\"}]}", 1},
            {"empty text", "", 1},
        };
        for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
                is_int(same_s(odd[i].what, odd[i].page), odd[i].fallback, "%s: %s", odd[i].what,
                       odd[i].fallback ? "taken by the reference" : "read by the fast reader");
        /* a NUL byte inside the text */
        static const char nul[] =
            "{\"participants\":[{\"user_id\":\"1\0\",\"status\":\"in_meeting\"}]}";
        same("a NUL byte", nul, sizeof nul - 1);
        applied_both_ways();
        return done_testing();
}
