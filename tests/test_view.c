/* The dashboard's view model, without a terminal: gauge levels at the hysteresis
 * boundaries, sort orders, filter, layout collapse by size, text sanitising. */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replayfeed.h"
#include "tap.h"
#include "util.h"
#include "view.h"

static int64_t now = 1750000000000;

static void feed(Monitor *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void feed(Monitor *m, const char *fmt, ...)
{
        char buf[2048], err[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        now += 1000;
        Outcome o = Monitor_feed(m, buf, strlen(buf), TIME_NONE, err, sizeof err);
        if (o != OUT_APPLIED)
                diag("not applied (%d): %s: %s", (int)o, err, buf);
}

#define OBJ "\"uuid\":\"m1\",\"id\":\"42\",\"topic\":\"Sitting\""

static void join(Monitor *m, const char *uid, const char *name)
{
        feed(m,
             "{\"event\":\"meeting.participant_joined\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{" OBJ ",\"participant\":{\"user_id\":\"%s\",\"user_name\":\"%s\"}}}}",
             (long long)now + 1000, uid, name);
}

static void leave(Monitor *m, const char *uid)
{
        feed(m,
             "{\"event\":\"meeting.participant_left\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{" OBJ ",\"participant\":{\"user_id\":\"%s\",\"leave_reason\":\"left\"}}}}",
             (long long)now + 1000, uid);
}

static void video(Monitor *m, const char *uid, int on)
{
        feed(m,
             "{\"event\":\"capmon.participant_video\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{" OBJ ",\"participant\":{\"user_id\":\"%s\",\"video\":\"%s\"}}}}",
             (long long)now + 1000, uid, on ? "on" : "off");
}

/* A join failure; name goes into the JSON as given (JSON escapes allowed). */
static void fail_join(Monitor *m, const char *name, const char *reason)
{
        feed(m,
             "{\"event\":\"capmon.participant_join_failed\",\"event_ts\":%lld,\"payload\":{"
             "\"object\":{" OBJ ",\"participant\":{\"user_name\":\"%s\",\"reason\":\"%s\"}}}}",
             (long long)now + 1000, name, reason);
}

/* Bring the meeting to exactly n open sessions named cap<i>. */
static int cap_open;
static void set_participants(Monitor *m, int n)
{
        char uid[32], name[64];
        while (cap_open < n) {
                snprintf(uid, sizeof uid, "cap%d", cap_open);
                snprintf(name, sizeof name, "Kenya - Person %d", cap_open);
                join(m, uid, name);
                cap_open++;
        }
        while (cap_open > n) {
                cap_open--;
                snprintf(uid, sizeof uid, "cap%d", cap_open);
                leave(m, uid);
        }
}

static Severity cap_level(Monitor *m, View *v)
{
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        View_build(v, m, &o);
        return v->cap.level;
}

static void test_gauges(void)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        cfg.capacity = 100;  /* warning 90, critical 100, hysteresis 2 */
        cfg.video_limit = 9; /* warning 5, critical 10, hysteresis 2 */
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        View v;
        View_init(&v);
        cap_open = 0;
        static const struct {
                int n;
                Severity want;
                const char *why;
        } steps[] = {
            {89, SEV_NONE, "89/100: below warning"},
            {90, SEV_WARNING, "90/100: warning fires at 90 %"},
            {99, SEV_WARNING, "99/100: still warning"},
            {100, SEV_CRITICAL, "100/100: critical fires at 100 %"},
            {98, SEV_CRITICAL, "98: critical holds (falls below 100 - 2)"},
            {97, SEV_WARNING, "97: falls to warning"},
            {88, SEV_WARNING, "88: warning holds (falls below 90 - 2)"},
            {87, SEV_NONE, "87: resolved"},
            {100, SEV_CRITICAL, "back to 100: critical at once"},
            {87, SEV_NONE, "100 -> 87: straight to none"},
        };
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
                set_participants(m, steps[i].n);
                is_int(cap_level(m, &v), steps[i].want, "capacity gauge %s", steps[i].why);
        }
        is_int(v.cap.value, 87, "gauge value");
        is_int(v.cap.limit, 100, "gauge limit");
        is_int(v.cap.peak, 100, "gauge peak");
        ok(!v.full, "not full at 87/100");
        set_participants(m, 100);
        cap_level(m, &v);
        ok(v.full, "full at 100/100: joiners are refused");

        ok(!v.video.known, "video unknown before any video event (\"no video feed\")");
        is_int(v.video.level, SEV_NONE, "unknown video has no level");
        static const struct {
                int n;
                Severity want;
        } vs[] = {{4, SEV_NONE},    {5, SEV_WARNING}, {10, SEV_CRITICAL}, {8, SEV_CRITICAL},
                  {7, SEV_WARNING}, {3, SEV_WARNING}, {2, SEV_NONE}};
        int on = 0;
        char uid[32];
        for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
                while (on < vs[i].n) {
                        snprintf(uid, sizeof uid, "cap%d", on++);
                        video(m, uid, 1);
                }
                while (on > vs[i].n) {
                        snprintf(uid, sizeof uid, "cap%d", --on);
                        video(m, uid, 0);
                }
                cap_level(m, &v);
                ok(v.video.known, "video known");
                is_int(v.video.level, vs[i].want, "video gauge at %d/9", vs[i].n);
        }
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

static void names(const View *v, char *out, size_t len)
{
        out[0] = 0;
        for (size_t i = 0; i < v->nrows; i++) {
                size_t n = strlen(out);
                snprintf(out + n, len - n, "%s%s", i ? "," : "", v->rows[i].name);
        }
}

static void test_table(void)
{
        Config cfg;
        char err[256], got[512];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        /* Switzerland 3 in, 1 video; Sweden 2 in, 2 videos; France peak 4, now 1 */
        join(m, "s1", "Switzerland - A B");
        join(m, "s2", "Suisse - C D");
        join(m, "s3", "CHE - E F");
        join(m, "w1", "Sweden - G H");
        join(m, "w2", "Sweden - I J");
        for (int i = 0; i < 4; i++) {
                char uid[8];
                snprintf(uid, sizeof uid, "f%d", i);
                join(m, uid, "France - K L");
        }
        leave(m, "f1");
        leave(m, "f2");
        leave(m, "f3");
        join(m, "u1", "Some Laptop");
        video(m, "s1", 1);
        video(m, "w1", 1);
        video(m, "w2", 1);
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .feed = "replay 2x", .as_of = TIME_NONE};
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got, "Unidentified,France,Sweden,Switzerland",
               "sort by name, Unidentified pinned on top");
        ok(v.rows[0].flags & ROW_UNIDENTIFIED, "Unidentified row marked");
        ok(!(v.rows[1].flags & ROW_UNIDENTIFIED), "France not marked");
        is_str(v.feed, "replay 2x", "feed text");
        o.sort = SORT_PARTICIPANTS;
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got, "Unidentified,Switzerland,Sweden,France",
               "sort by participants (ties by name)");
        o.sort = SORT_VIDEO;
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got, "Unidentified,Sweden,Switzerland,France", "sort by video");
        o.sort = SORT_PEAK;
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got, "Unidentified,France,Switzerland,Sweden", "sort by peak");

        o.sort = SORT_NAME;
        o.filter = "swi";
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got, "Switzerland", "filter \"swi\"");
        is_int(v.ndelegations, 4, "filter keeps the total count");
        o.filter = "SWE";
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got, "Sweden", "filter is case-insensitive");
        o.filter = "an";
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got, "France,Switzerland", "filter is a substring");
        o.filter = "zz";
        View_build(&v, m, &o);
        is_int(v.nrows, 0, "no match: no rows");
        o.filter = "";
        View_build(&v, m, &o);
        is_int(v.nrows, 4, "empty filter: all rows");

        /* quota: France over a quota of 0 */
        Config_done(&cfg);
        Monitor_free(m);
        View_done(&v);
}

/* The reader's alphabet (order worked out by hand with the Unicode collation
 * algorithm's first level: letters without case or accents, "Türkiye" = turkiye). */
static void test_collation(void)
{
        Config cfg;
        char err[256], got[512];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        join(m, "a", "Turkmenistan - A B");
        join(m, "b", "Croatia - C D");
        join(m, "c", "T\u00FCrkiye - E F");
        join(m, "d", "Czech Republic - G H");
        join(m, "e", "C\u00F4te d'Ivoire - I J");
        join(m, "f", "Tunisia - K L");
        join(m, "g", "Cuba - M N");
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got,
               "C\u00F4te d'Ivoire,Croatia,Cuba,Czech Republic,Tunisia,T\u00FCrkiye,Turkmenistan",
               "names sort by letters, accents and case aside");
        o.sort = SORT_PARTICIPANTS; /* all tied at 1: ties keep the same order */
        View_build(&v, m, &o);
        names(&v, got, sizeof got);
        is_str(got,
               "C\u00F4te d'Ivoire,Croatia,Cuba,Czech Republic,Tunisia,T\u00FCrkiye,Turkmenistan",
               "ties in a count sort by the same alphabet");
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_quota_and_failures(void)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        if (Config_load_text(&cfg, "{\"quotas\": {\"France\": 1}}", 25, "test", err, sizeof err))
                diag("config: %s", err);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        join(m, "f1", "France - A B");
        join(m, "f2", "France - C D");
        fail_join(m, "Evil\\u001b[2J\\u0007 One", "locked");
        fail_join(m, "Chile - Second", "meeting_full");
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        View_build(&v, m, &o);
        ok(v.nrows == 1 && (v.rows[0].flags & ROW_OVER_QUOTA), "France over its quota: marked");
        is_int(v.rows[0].quota, 1, "quota shown");
        is_int(v.nfailures, 2, "two join failures");
        is_str(v.failures[0].name, "Chile - Second", "newest failure first");
        is_str(v.failures[1].name, "Evil[2J One", "failure name without ESC and BEL");
        ok(v.nfiring >= 1 && v.alerts[0].firing, "alerts: firing first");
        int quota_alert = 0;
        for (size_t i = 0; i < v.nalerts; i++)
                quota_alert |= v.alerts[i].rule == RULE_DELEGATION_QUOTA && v.alerts[i].firing;
        ok(quota_alert, "delegation_quota alert listed");
        /* resolve: one leaves; the resolved alert sorts after firing ones */
        leave(m, "f2");
        View_build(&v, m, &o);
        ok(!(v.rows[0].flags & ROW_OVER_QUOTA), "back at quota: not marked");
        ok(v.nalerts >= 1, "resolved alert still listed");
        int order_ok = 1, seen_resolved = 0;
        for (size_t i = 0; i < v.nalerts; i++) {
                if (!v.alerts[i].firing)
                        seen_resolved = 1;
                else if (seen_resolved)
                        order_ok = 0;
        }
        ok(order_ok, "no firing alert after a resolved one");
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_panels(void)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        join(m, "p1", "Unknown iPhone");
        join(m, "p2", "Sweden - Eva Lind");
        join(m, "p3", "Evil\\u001b[2J Pad");
        video(m, "p2", 1);
        feed(m,
             "{\"event\":\"meeting.participant_joined_waiting_room\",\"event_ts\":%lld,"
             "\"payload\":{\"object\":{" OBJ ",\"participant\":{\"user_id\":\"w1\","
             "\"user_name\":\"Kenya - Wanjiru Kamau\"}}}}",
             (long long)now + 1000);
        fail_join(m, "Chile - Pedro Rojas", "meeting_full");
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        View_build(&v, m, &o);
        ok(v.panel == PANEL_NONE && v.npersons == 0, "no panel: no people built");
        o.panel = PANEL_UNIDENTIFIED;
        View_build(&v, m, &o);
        ok(v.npersons == 2 && strcmp(v.persons[0].name, "Unknown iPhone") == 0 &&
               strcmp(v.persons[1].name, "Evil[2J Pad") == 0 &&
               strcmp(v.persons[0].delegation, "Unidentified") == 0,
           "u: the unidentified, oldest first, names sanitised");
        o.panel = PANEL_WAITING;
        View_build(&v, m, &o);
        ok(v.npersons == 1 && strcmp(v.persons[0].name, "Kenya - Wanjiru Kamau") == 0 &&
               strcmp(v.persons[0].delegation, "Kenya") == 0 && v.persons[0].since != TIME_NONE,
           "w: the waiting room with delegation and since");
        o.panel = PANEL_VIDEO;
        View_build(&v, m, &o);
        ok(v.npersons == 1 && strcmp(v.persons[0].name, "Sweden - Eva Lind") == 0,
           "v: the one with video on");
        o.panel = PANEL_FAILURES;
        View_build(&v, m, &o);
        ok(v.npersons == 1 && strcmp(v.persons[0].reason, "meeting_full") == 0 &&
               strcmp(v.persons[0].delegation, "Chile") == 0,
           "f: the join failure with its reason");
        leave(m, "p1");
        o.panel = PANEL_UNIDENTIFIED;
        View_build(&v, m, &o);
        ok(v.npersons == 1 && strcmp(v.persons[0].name, "Evil[2J Pad") == 0, "u: who left is gone");
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_follow_meeting(void)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        is_int((int)view_follow_meeting(m, SIZE_MAX), 0, "no meeting: 0");
        join(m, "a1", "Kenya - A");
        feed(m,
             "{\"event\":\"meeting.started\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{\"uuid\":\"m2\",\"id\":\"43\",\"topic\":\"Other\"}}}",
             (long long)now + 1000);
        is_int((int)view_follow_meeting(m, SIZE_MAX), 1, "opens on the latest, not the first");
        join(m, "a2", "Kenya - B");
        is_int((int)view_follow_meeting(m, SIZE_MAX), 0, "opening now: the first is the latest");
        is_int((int)view_follow_meeting(m, 1), 1,
               "showing the second: stays while it is not quiet");
        now += VIEW_QUIET_MS + 5000;
        join(m, "a3", "Kenya - C");
        is_int((int)view_follow_meeting(m, 1), 0,
               "the shown one quiet for a minute: follows the latest");
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_layout(void)
{
        Layout l;
        View_layout(&l, 40, 120);
        is_int(l.mode, VIEW_FULL, "120x40: full");
        ok(l.header.h == 2 && l.gauges.h == 2 && l.table.h > 10 && l.alerts.h > 3 &&
               l.failures.h > 3 && l.footer.h == 1,
           "120x40: every pane");
        ok(l.alerts.x > l.table.x + l.table.w - 1, "120x40: alerts beside the table");
        is_int(l.table_cols, COL_VIDEO | COL_PEAK | COL_QUOTA, "120x40: every column");
        is_int(l.table_sets, 1, "120x40: one set of table columns");
        View_layout(&l, 60, 200);
        /* 200 - 70 (panes) - 1 = 129 columns: two sets of 64, one blank between */
        ok(l.table_sets == 2 && l.set_width == 64 && l.table.w == 129,
           "200x60: two sets of table columns (%d of %d in %d)", l.table_sets, l.set_width,
           l.table.w);
        is_int(l.table_cols, COL_VIDEO | COL_PEAK | COL_QUOTA, "200x60: every column in a set");
        ok(l.name_width == 64 - 2 - 6 - 7 - 6 - 7 - 5, "200x60: the name keeps the rest (%d)",
           l.name_width);
        View_layout(&l, 60, 196); /* 125 columns: not two sets of 63 */
        is_int(l.table_sets, 1, "196x60: one set");
        View_layout(&l, 24, 80);
        is_int(l.mode, VIEW_FULL, "80x24: full");
        ok(l.failures.h > 0 && l.alerts.h > 0 && l.table.h >= 4, "80x24: stacked panes");
        ok(l.table.h - 2 >= VIEW_TABLE_MIN, "80x24: at least 10 delegation rows");
        ok(l.alerts.h >= 2 && l.failures.h >= 2, "80x24: alerts and failures keep a line each");
        ok(l.table.y + l.table.h <= l.alerts.y && l.alerts.y + l.alerts.h <= l.failures.y &&
               l.failures.y + l.failures.h <= l.footer.y,
           "80x24: panes do not overlap");
        View_layout(&l, 24, 79);
        is_int(l.mode, VIEW_REDUCED, "79x24: reduced");
        is_int(l.failures.h, 0, "79x24: join failures pane goes first");
        ok(l.alerts.h > 1, "79x24: alerts pane kept");
        is_int(l.header.h, 2, "79x24: header keeps the counts line");
        View_layout(&l, 19, 79);
        ok(l.header.h == 1 && l.alerts.h == 1, "79x19: header and alerts on one line each");
        View_layout(&l, 23, 80);
        is_int(l.failures.h, 0, "80x23: join failures pane goes first");
        View_layout(&l, 16, 60);
        is_int(l.mode, VIEW_REDUCED, "60x16: reduced");
        is_int(l.alerts.h, 1, "60x16: alerts become one line");
        ok(l.table.h >= 4, "60x16: table kept");
        ok(l.name_width >= 16, "60x16: names keep 16 columns");
        View_layout(&l, 15, 60);
        is_int(l.mode, VIEW_MINIMAL, "60x15: minimal");
        View_layout(&l, 16, 59);
        is_int(l.mode, VIEW_MINIMAL, "59x16: minimal");
        View_layout(&l, 10, 40);
        is_int(l.mode, VIEW_MINIMAL, "40x10: minimal");
        View_layout(&l, 9, 40);
        is_int(l.mode, VIEW_TOO_SMALL, "40x9: one line");
        View_layout(&l, 10, 39);
        is_int(l.mode, VIEW_TOO_SMALL, "39x10: one line");
        View_layout(&l, 0, 0);
        is_int(l.mode, VIEW_TOO_SMALL, "0x0: one line");

        /* shrinking never brings a pane back, and panes stay on screen */
        int bad = 0;
        for (int rows = 60; rows >= 1; rows--) {
                for (int cols = 200; cols >= 1; cols -= 7) {
                        Layout a, b;
                        View_layout(&a, rows, cols);
                        View_layout(&b, rows - 1 > 0 ? rows - 1 : 0, cols);
                        if (b.mode < a.mode || (a.failures.h == 0 && b.failures.h > 0) ||
                            (a.alerts.h <= 1 && b.alerts.h > 1))
                                bad++;
                        const Rect *rs[] = {&a.header, &a.gauges,   &a.table,
                                            &a.alerts, &a.failures, &a.footer};
                        for (size_t i = 0; i < 6; i++) {
                                if (rs[i]->h && (rs[i]->y < 0 || rs[i]->y + rs[i]->h > rows ||
                                                 rs[i]->x + rs[i]->w > cols || rs[i]->h < 0))
                                        bad++;
                        }
                }
        }
        is_int(bad, 0, "collapse is monotonic and every pane fits");
}

static void test_person_label(void)
{
        char b[64];
        view_person_label("Farhan Reddy (India)", "India", b, sizeof b);
        is_str(b, "Farhan Reddy (India)", "name already naming its delegation: not doubled");
        view_person_label("Ann Berg", "Sweden", b, sizeof b);
        is_str(b, "Ann Berg (Sweden)", "delegation added after the name");
        view_person_label("Ann Berg", "", b, sizeof b);
        is_str(b, "Ann Berg", "no delegation: the name alone");
        view_person_label("Ann (Indiana)", "India", b, sizeof b);
        is_str(b, "Ann (Indiana) (India)", "a longer word in brackets is not the delegation");
        view_person_label("Dominica - Ann Long", "Dominica", b, sizeof b);
        is_str(b, "Dominica - Ann Long", "name starting with its delegation: not doubled");
        view_person_label("Indiana Jones", "India", b, sizeof b);
        is_str(b, "Indiana Jones (India)", "a longer first word is not the delegation");
        view_person_label("(India)", "India", b, sizeof b);
        is_str(b, "(India)", "name that is only the delegation");
}

static void test_text(void)
{
        char out[VIEW_TEXT_MAX], fit[VIEW_TEXT_MAX * 2];
        int w;

        w = view_sanitize("Evil\x1b[2J\x07 Name", out, sizeof out);
        is_str(out, "Evil[2J Name", "ESC and BEL removed");
        is_int(w, 12, "width of the result");
        view_sanitize("a\x1b]0;title\x07z", out, sizeof out);
        ok(!strchr(out, 0x1b) && !strchr(out, 0x07), "OSC sequence: no ESC, no BEL");
        view_sanitize("x\xc2\x9b"
                      "31my",
                      out, sizeof out);
        is_str(out, "x31my", "C1 CSI (U+009B) removed");
        view_sanitize("tab\there\r\nnl\x7f", out, sizeof out);
        is_str(out, "tabherenl", "TAB, CR, LF, DEL removed");
        view_sanitize("bidi\xe2\x80\xae"
                      "evil",
                      out, sizeof out);
        is_str(out, "bidievil", "bidi override removed");
        view_sanitize("bad\xff\xfe!", out, sizeof out);
        is_str(out, "bad\xef\xbf\xbd\xef\xbf\xbd!", "invalid bytes become U+FFFD");
        view_sanitize("over\xc0\xaflong", out, sizeof out);
        ok(!strstr(out, "\xc0\xaf") && strstr(out, "\xef\xbf\xbd"), "overlong form replaced");
        view_sanitize("cut\xe4\xb8", out, sizeof out);
        ok(strncmp(out, "cut\xef\xbf\xbd", 6) == 0 && !strstr(out, "\xe4\xb8"),
           "truncated sequence replaced");
        view_sanitize("sur\xed\xa0\x80x", out, sizeof out);
        ok(!strstr(out, "\xed\xa0\x80"), "UTF-16 surrogate replaced");
        view_sanitize(NULL, out, sizeof out);
        is_str(out, "", "NULL is empty");

        char longname[400];
        memset(longname, 'a', 300);
        memcpy(longname, "Switzerland - ", 14);
        longname[300] = 0;
        w = view_sanitize(longname, out, sizeof out);
        ok(strlen(out) < VIEW_TEXT_MAX, "300-character name kept within the buffer");
        is_int(w, (int)strlen(out), "300-character name: width = bytes (ASCII)");
        w = view_fit(out, 20, fit, sizeof fit);
        is_int(w, 20, "300-character name fitted to 20 columns");
        is_int(view_width(fit), 20, "measured width 20");
        ok(strstr(fit, "\xe2\x80\xa6") != NULL, "ends with an ellipsis");
        /* multi-byte 300-character name, cut on a character boundary */
        char wide[1000] = "";
        for (int i = 0; i < 300; i++)
                strcat(wide, "\xc3\xa9"); /* é */
        view_sanitize(wide, out, 11);
        is_str(out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "cut on a character boundary");

        is_int(view_width("\xe7\x8e\x8b\xe4\xbc\x9f"), 4, "CJK: two characters, four columns");
        w = view_sanitize("Japan - \xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e", out,
                          sizeof out);
        is_int(w, 16, "Japan - 山田太郎: 16 columns");
        w = view_fit("\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e", 5, fit, sizeof fit);
        is_str(fit, "\xe5\xb1\xb1\xe7\x94\xb0\xe2\x80\xa6", "CJK fitted to 5 columns: 山田…");
        is_int(w, 5, "fitted width 5");
        w = view_fit("\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e", 4, fit, sizeof fit);
        ok(w <= 4 && view_width(fit) == w, "CJK fitted to 4 columns never overflows");
        w = view_fit("\xe5\xb1\xb1\xe7\x94\xb0", 4, fit, sizeof fit);
        is_str(fit, "\xe5\xb1\xb1\xe7\x94\xb0", "exact fit: no ellipsis");
        w = view_fit("e\xcc\x81t\xc3\xa9", 3, fit, sizeof fit);
        is_int(w, 3, "combining accent takes no column");
        w = view_fit("abc", 0, fit, sizeof fit);
        ok(w == 0 && fit[0] == 0, "zero columns: empty");
}

/* The header's last confirmation by Zoom's list (issue 13). */
/* Stale figures (the feed is down): the words, and both gauges flagged. */
static void test_stale(void)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        join(m, "a", "Kenya - A B");
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        View_build(&v, m, &o);
        is_str(v.stale, "", "live: no stale mark");
        ok(!v.cap.stale && !v.video.stale, "live: gauges not stale");
        o.stale = 1;
        View_build(&v, m, &o);
        is_str(v.stale, "STALE: never connected", "stale, never live");
        o.as_of = 1750000000000 + 3723000; /* 2025-06-15 15:06:40Z + 1 h 2 min 3 s */
        View_build(&v, m, &o);
        is_str(v.stale, "STALE as of 16:08:43", "stale since a known time (UTC)");
        ok(v.cap.stale && v.video.stale, "stale: both gauges flagged");
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_confirmed(void)
{
        Config cfg;
        Config_init(&cfg);
        char err[256];
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        join(m, "1", "France - A");
        join(m, "2", "France - B");
        View_build(&v, m, &o);
        is_str(v.confirmed, "", "never reconciled: nothing said");
        /* fetched 60 s after the joins: 1 kept, 2 closed, 3 opened */
        int64_t f = (now / 60000 + 2) * 60000; /* a whole minute: hh:mm:00 */
        char t[40], want[80];
        time_format(f, t, sizeof t);
        xsnprintf(want, sizeof want, "Zoom list %.8sZ +1/-1", t + 11);
        feed(m,
             "{\"event\":\"capmon.reconcile\",\"event_ts\":%lld,\"payload\":"
             "{\"object\":{" OBJ ",\"participants\":[{\"user_id\":\"1\",\"status\":"
             "\"in_meeting\"},{\"user_id\":\"3\",\"user_name\":\"Chile - C\","
             "\"status\":\"in_meeting\"}]}}}",
             (long long)f);
        View_build(&v, m, &o);
        is_str(v.confirmed, want, "time of the fetch, opened and closed");
        ok(strcmp(t + 17, "00.000Z") == 0, "the fetch time is a whole minute (%s)", t);
        o.zoom_off = "This API is only available for \x1b[31mBusiness";
        View_build(&v, m, &o);
        is_str(v.confirmed, "Zoom list off: This API is only available for [31mBusiness",
               "off: Zoom's reason, control characters removed");
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

/* Where the video count comes from, in the gauge's note. */
static void test_video_note(void)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        join(m, "1", "France - A");
        View_build(&v, m, &o);
        is_str(v.video_note, "", "no video fact: no note");
        video(m, "1", 1);
        View_build(&v, m, &o);
        is_str(v.video_note, "portal", "a video adapter's fact: portal");
        /* a partial RTMS picture since 2025-06-15T15:06:47Z (now + 1 s) */
        feed(m,
             "{\"event\":\"capmon.video_sync\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{" OBJ ",\"source\":\"rtms\",\"full\":false}}}",
             (long long)now + 1000);
        View_build(&v, m, &o);
        char want[64];
        time_t t = (time_t)(now / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(want, sizeof want, "rtms, known since %02d:%02d", tm.tm_hour, tm.tm_min);
        is_str(v.video_note, want, "partial rtms picture: known since HH:MM (UTC)");
        feed(m,
             "{\"event\":\"capmon.video_sync\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{" OBJ ",\"source\":\"qos\",\"full\":true,\"video_on\":[]}}}",
             (long long)now + 1000);
        View_build(&v, m, &o);
        is_str(v.video_note, "qos estimate", "a whole QoS picture: an estimate");
        is_int(v.video.value, 0, "and it turned the camera off");
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

/* Sparklines: columns from buckets, heights against the limit (as the bar). */
static void test_spark(void)
{
        int h[HISTORY_BUCKETS];
        char out[HISTORY_BUCKETS * 3 + 1];
        for (int i = 0; i < HISTORY_BUCKETS; i++)
                h[i] = -1;
        is_int(view_spark(h, 1000, 10, out, sizeof out), 10, "10 columns");
        is_str(out, "          ", "nothing known: blank");
        /* 10 columns of 6 buckets; each column's highest bucket, scaled by 8/1000 and
         * cut down, at least ▁ above zero, at most █ */
        static const int top[10] = {-1, 0, 1, 500, 999, 1000, 1500, 125, 250, 874};
        for (int c = 0; c < 10; c++) {
                for (int i = 0; i < 6; i++)
                        h[c * 6 + i] = top[c] < 0 ? -1 : i == 3 ? top[c] : 0;
        }
        view_spark(h, 1000, 10, out, sizeof out);
        is_str(out, "  ▁▄▇██▁▂▆", "-1 0 1 500 999 1000 1500 125 250 874 of 1000");
        is_int(view_width(out), 10, "one column each");
        /* the same buckets in 5 columns: pairs of columns merged, the higher wins */
        view_spark(h, 1000, 5, out, sizeof out);
        is_str(out, " ▄██▆", "5 columns of 12 buckets: -1|0, 1|500, 999|1000, 1500|125, 250|874");
        for (int i = 0; i < HISTORY_BUCKETS; i++)
                h[i] = i < 30 ? 49 : 0;
        view_spark(h, 49, 20, out, sizeof out);
        is_str(out, "██████████          ", "gallery full for 15 minutes, then none");
        is_int(view_spark(h, 49, 7, out, sizeof out), 0, "7 does not divide 60: nothing");
        is_int(view_spark(h, 49, 60, out, 8), 2, "a short buffer: what fits, whole glyphs");
        is_str(out, "██", "two glyphs in 8 bytes");
        /* the widths that keep 30 minutes */
        static const int room[][2] = {{200, 60}, {60, 60}, {59, 30}, {29, 20}, {19, 15},
                                      {14, 12},  {11, 10}, {10, 10}, {9, 0},   {-5, 0}};
        for (size_t i = 0; i < sizeof room / sizeof room[0]; i++)
                is_int(view_spark_cols(room[i][0]), room[i][1], "room %d: %d columns", room[i][0],
                       room[i][1]);
}

/* The bundled sitting replayed at speed, with frames every frame_ms of (simulated)
 * wall time: the history shown at the end, and the number of frames drawn. */
typedef struct Paced {
        int cap[HISTORY_BUCKETS], video[HISTORY_BUCKETS];
        int mid[HISTORY_BUCKETS]; /* participants after half of the records */
        char rows[4096];          /* the rows' change markers at the end */
        long frames;
} Paced;

static void paced(const char *path, double speed, double frame_ms, Paced *out)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        char *paths[1] = {(char *)path};
        Replay *r = Replay_open(paths, 1, err, sizeof err);
        if (!r) {
                diag("%s", err);
                return;
        }
        Pacer pc;
        Pacer_init(&pc, speed, 0);
        FeedPolicy pol;
        memset(&pol, 0, sizeof pol);
        FeedTarget t = FeedTarget_monitor(m);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        View v;
        View_init(&v);
        double wall = 0, next_frame = 0;
        long n = 0;
        ReplayItem it;
        out->frames = 0;
        while (Replay_next(r, &it, err, sizeof err) == LINE_OK) {
                wall += Pacer_next(&pc, it.at);
                while (next_frame <= wall) {
                        View_build(&v, m, &o);
                        next_frame += frame_ms;
                        out->frames++;
                }
                FeedPolicy_apply(&pol, &it, &t);
                if (++n == 2400) {
                        View_build(&v, m, &o);
                        memcpy(out->mid, v.cap.history, sizeof out->mid);
                }
        }
        Monitor_finish(m);
        View_build(&v, m, &o);
        memcpy(out->cap, v.cap.history, sizeof out->cap);
        memcpy(out->video, v.video.history, sizeof out->video);
        out->rows[0] = 0;
        for (size_t i = 0; i < v.nrows; i++) {
                size_t l = strlen(out->rows);
                snprintf(out->rows + l, sizeof out->rows - l, "%c",
                         v.rows[i].change > 0   ? '+'
                         : v.rows[i].change < 0 ? '-'
                                                : '.');
        }
        View_done(&v);
        Replay_close(r);
        Monitor_free(m);
        Config_done(&cfg);
}

static void test_spark_pacing(const char *path)
{
        if (!path) {
                ok(1, "# SKIP no recording given");
                return;
        }
        static Paced slow, fast, none;
        /* speed 1 with a frame every 2 s of its 3 hours (5,370 frames: a frame
         * every 200 ms made 53,702, over 300 s under valgrind on a loaded CI) */
        paced(path, 1, 2000, &slow);
        paced(path, 1000, 200, &fast); /* speed 1000: a frame every 200 s of the sitting */
        paced(path, 0, 1e18, &none);   /* no pacing, one frame */
        diag("frames: speed 1 %ld, speed 1000 %ld, unpaced %ld", slow.frames, fast.frames,
             none.frames);
        ok(slow.frames > 50 * fast.frames, "speed 1 drew far more frames than speed 1000");
        ok(memcmp(slow.cap, fast.cap, sizeof slow.cap) == 0 &&
               memcmp(slow.cap, none.cap, sizeof slow.cap) == 0,
           "participants history: the same at speed 1, 1000 and unpaced");
        ok(memcmp(slow.video, fast.video, sizeof slow.video) == 0 &&
               memcmp(slow.video, none.video, sizeof slow.video) == 0,
           "videos history: the same");
        ok(memcmp(slow.mid, fast.mid, sizeof slow.mid) == 0 &&
               memcmp(slow.mid, none.mid, sizeof slow.mid) == 0,
           "halfway through: the same");
        is_str(slow.rows, fast.rows, "changed-delegation markers: the same");
        int known = 0, top = 0;
        for (int i = 0; i < HISTORY_BUCKETS; i++) {
                known += slow.cap[i] >= 0;
                if (slow.cap[i] > top)
                        top = slow.cap[i];
        }
        is_int(known, HISTORY_BUCKETS, "a 3-hour sitting fills the whole window");
        ok(top > 0 && top <= 1000, "participants in the last 30 minutes: at most the peak (%d)",
           top);
}

/* Rows changed within VIEW_CHANGED_MS of the clock carry their direction. */
static void test_changed_rows(void)
{
        Config cfg;
        char err[256];
        Config_init(&cfg);
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        View v;
        View_init(&v);
        ViewOpts o = {.sort = SORT_NAME, .as_of = TIME_NONE};
        join(m, "a", "France - A"); /* each feed() is 1 s later */
        join(m, "b", "Germany - B");
        join(m, "c", "Germany - C");
        leave(m, "b");
        View_build(&v, m, &o);
        ok(v.nrows == 2 && v.rows[0].change == 1 && v.rows[1].change == -1,
           "France joined 3 s ago: up; Germany lost one just now: down");
        for (int i = 0; i < 2; i++)
                join(m, i ? "e" : "d", "Kenya - D"); /* 2 s on: France 5 s old */
        View_build(&v, m, &o);
        ok(v.rows[0].change == 0, "France, 5 s after its change: no longer marked");
        ok(v.rows[1].change == -1 && v.rows[2].change == 1, "Germany still down, Kenya up");
        Monitor_tick(m, now + 60000);
        View_build(&v, m, &o);
        ok(v.rows[1].change == 0 && v.rows[2].change == 0, "a minute later: none marked");
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

/* "hh:mm:ss" of t (ms) shifted by off seconds, worked out with gmtime_r. */
static void hms_plus(int64_t t, int off, char *buf, size_t len)
{
        time_t s = (time_t)(t / 1000) + off;
        struct tm tm;
        gmtime_r(&s, &tm);
        snprintf(buf, len, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Times in the zone asked for (issue 15 item 10): the clock, the alerts, the join
 * failures, the people panels, Zoom's list and the video note. Mid-June in
 * Europe/Zurich is CEST, UTC+2. */
static void test_time_zones(void)
{
        Config cfg;
        char err[256], want[96], t[16];
        Config_init(&cfg);
        cfg.capacity = 2; /* a firing capacity alert */
        Monitor *m = Monitor_new(&cfg, err, sizeof err);
        feed(m,
             "{\"event\":\"meeting.started\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{" OBJ ",\"timezone\":\"Europe/Zurich\"}}}",
             (long long)now + 1000);
        join(m, "1", "France - A");
        join(m, "2", "France - B");
        fail_join(m, "Chile - Pedro Rojas", "meeting_full");
        int64_t f = (now / 60000 + 2) * 60000;
        feed(m,
             "{\"event\":\"capmon.reconcile\",\"event_ts\":%lld,\"payload\":"
             "{\"object\":{" OBJ ",\"participants\":[{\"user_id\":\"1\",\"status\":"
             "\"in_meeting\"},{\"user_id\":\"2\",\"status\":\"in_meeting\"}]}}}",
             (long long)f);
        feed(m,
             "{\"event\":\"capmon.video_sync\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{" OBJ ",\"source\":\"rtms\",\"full\":false}}}",
             (long long)f + 1000);
        const char *tz_before = getenv("TZ");
        char saved[256];
        snprintf(saved, sizeof saved, "%s", tz_before ? tz_before : "(unset)");
        View v;
        View_init(&v);
        ViewOpts o = {
            .sort = SORT_NAME, .panel = PANEL_FAILURES, .tz = TZ_MEETING, .as_of = TIME_NONE};
        View_build(&v, m, &o);
        time_t c = (time_t)(State_clock(Monitor_state(m)) / 1000) + 7200;
        struct tm tm;
        gmtime_r(&c, &tm);
        snprintf(want, sizeof want, "%04d-%02d-%02d %02d:%02d:%02d CEST", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        is_str(v.clock, want, "meeting: the clock in Zurich's summer time, named");
        ok(v.nalerts > 0, "a capacity alert");
        hms_plus(v.alerts[0].since, 7200, t, sizeof t);
        is_str(v.alerts[0].at, t, "meeting: the alert's time in Zurich");
        ok(v.nfailures == 1, "a join failure");
        hms_plus(v.failures[0].time, 7200, t, sizeof t);
        is_str(v.failures[0].at, t, "meeting: the join failure's time in Zurich");
        ok(v.npersons == 1, "the failures panel");
        is_str(v.persons[0].at, t, "meeting: the panel's time in Zurich");
        hms_plus(f, 7200, t, sizeof t);
        snprintf(want, sizeof want, "Zoom list %s +0/-0", t);
        is_str(v.confirmed, want, "meeting: Zoom's list in Zurich, no Z");
        snprintf(want, sizeof want, "rtms, known since %.5s", t);
        is_str(v.video_note, want, "meeting: video known since, in Zurich");
        const char *tz_after = getenv("TZ");
        is_str(tz_after ? tz_after : "(unset)", saved, "TZ as it was after the build");

        o.tz = TZ_UTC;
        View_build(&v, m, &o);
        hms_plus(v.alerts[0].since, 0, t, sizeof t);
        ok(strstr(v.clock, " UTC") && strcmp(v.alerts[0].at, t) == 0, "utc: clock %s, alert %s",
           v.clock, v.alerts[0].at);
        hms_plus(f, 0, t, sizeof t);
        snprintf(want, sizeof want, "Zoom list %sZ +0/-0", t);
        is_str(v.confirmed, want, "utc: Zoom's list with its Z");

        /* a second meeting without a zone, the latest: meeting falls back to UTC */
        feed(m,
             "{\"event\":\"meeting.started\",\"event_ts\":%lld,\"payload\":{\"object\":"
             "{\"uuid\":\"m2\",\"id\":\"43\",\"topic\":\"Other\"}}}",
             (long long)f + 2000);
        o.tz = TZ_MEETING;
        o.meeting = 1;
        View_build(&v, m, &o);
        ok(strstr(v.clock, " UTC (meeting zone unknown)") != NULL,
           "meeting without a zone: UTC, and says so (%s)", v.clock);
        View_done(&v);
        Monitor_free(m);
        Config_done(&cfg);
}

int main(int argc, char **argv)
{
        if (!setlocale(LC_ALL, "C.UTF-8"))
                setlocale(LC_ALL, "en_US.UTF-8");
        test_gauges();
        test_table();
        test_collation();
        test_stale();
        test_quota_and_failures();
        test_layout();
        test_person_label();
        test_panels();
        test_follow_meeting();
        test_text();
        test_time_zones();
        test_confirmed();
        test_video_note();
        test_spark();
        test_spark_pacing(argc > 1 ? argv[1] : NULL);
        test_changed_rows();
        return done_testing();
}
