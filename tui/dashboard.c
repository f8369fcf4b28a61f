/* The dashboard widgets, keys and frame tick (see dashboard.h). Drawing goes
 * through term.h only; what to draw comes from the view model. */
#include "dashboard.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "term.h"
#include "util.h"

#define FILTER_MAX 64 /* bytes typed into the filter */

struct Dashboard {
        const Monitor *m;
        DashboardHooks hooks;
        Loop *loop;
        LoopFd *in;
        LoopTimer *frame;
        int started;
        View view;
        Layout lay;
        size_t meeting;
        int picked; /* the operator chose a meeting (Tab); until then: the latest */
        ViewSort sort;
        char filter[FILTER_MAX + 8];
        int editing; /* typing into a filter: the table's, or the open panel's */
        int cursor;  /* the selected table row (Enter: its people) */
        char cursor_name[VIEW_TEXT_MAX]; /* its delegation: the cursor follows it */
        int cursor_moved;                /* by the operator: until then it stays on top */
        char panel_deleg[VIEW_TEXT_MAX]; /* PANEL_DELEGATION: whose people */
        char pfilter[FILTER_MAX + 8];    /* the open panel's filter */
        ViewPanelSort psort;
        int help;
        int scroll;
        ViewPanel panel; /* people panel open (u w v f), PANEL_NONE: none */
        int pscroll;     /* its first row shown */
        int panel_body;  /* its rows on screen at the last draw */
        TzMode tz;       /* the zone times are shown in (--tz, key t) */
        char feed[128];
        Severity feed_level;
        int stale;     /* the feed is down (Dashboard_set_stale) */
        int64_t as_of; /* wall clock when it was last known live, TIME_NONE: never */
        char zoom_off[200];
        int dirty, resized;
        int64_t last_draw;
        unsigned long frames;
};

Dashboard *Dashboard_new(const Monitor *m, const DashboardHooks *hooks)
{
        Dashboard *d = xcalloc(1, sizeof *d);
        d->m = m;
        if (hooks)
                d->hooks = *hooks;
        View_init(&d->view);
        d->dirty = 1;
        d->last_draw = INT64_MIN / 2;
        d->as_of = TIME_NONE;
        return d;
}

void Dashboard_free(Dashboard *d)
{
        if (!d)
                return;
        Dashboard_stop(d);
        View_done(&d->view);
        free(d);
}

unsigned long Dashboard_frames(const Dashboard *d)
{
        return d->frames;
}

/* ---- frame scheduling ---- */

static void schedule(Dashboard *d)
{
        if (!d->started || !d->frame || !d->dirty || Loop_timer_pending(d->frame))
                return;
        int64_t wait = d->last_draw + DASH_FRAME_US - Loop_now_us();
        Loop_timer_start(d->frame, wait > 0 ? wait : 0);
}

static void on_frame(void *ud)
{
        Dashboard *d = ud;
        if (d->started && d->dirty)
                Dashboard_draw(d);
}

void Dashboard_changed(Dashboard *d)
{
        d->dirty = 1;
        schedule(d);
}

void Dashboard_set_feed(Dashboard *d, const char *text, Severity level)
{
        if (strcmp(d->feed, text) == 0 && d->feed_level == level)
                return;
        xsnprintf(d->feed, sizeof d->feed, "%s", text);
        d->feed_level = level;
        Dashboard_changed(d);
}

void Dashboard_set_stale(Dashboard *d, int stale)
{
        if (!stale) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                d->as_of = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        }
        if (d->stale != !!stale) {
                d->stale = !!stale;
                Dashboard_changed(d);
        }
}

void Dashboard_set_zoom_off(Dashboard *d, const char *why)
{
        if (strcmp(d->zoom_off, why ? why : "") == 0)
                return;
        xsnprintf(d->zoom_off, sizeof d->zoom_off, "%s", why ? why : "");
        Dashboard_changed(d);
}

static void quit(Dashboard *d)
{
        if (d->hooks.quit)
                d->hooks.quit(d->hooks.ud);
}

static void on_input(void *ud, int fd, LoopFdEvent ev)
{
        Dashboard *d = ud;
        (void)fd;
        if (ev == LOOP_FD_CLOSED) {
                d->in = NULL;
                quit(d);
                return;
        }
        int key, n = 0;
        while (d->started && (key = Term_read_key()) != TK_NONE && n++ < 256)
                Dashboard_key(d, key);
}

static void on_signal(void *ud, int signo)
{
        Dashboard *d = ud;
        if (!d->started)
                return;
        if (signo == SIGWINCH) {
                d->resized = 1;
                Dashboard_changed(d);
        } else {
                quit(d);
        }
}

int Dashboard_start(Dashboard *d, Loop *loop, const DashboardOpts *o, char *err, size_t errlen)
{
        TermOpts to = {o ? o->no_color : 0, NULL, NULL, o ? o->logpath : NULL};
        if (Term_init(&to, err, errlen))
                return -1;
        d->started = 1;
        d->loop = loop;
        d->tz = o && o->tz < TZ_MODES ? o->tz : TZ_UTC;
        if (loop) {
                d->in = Loop_add_fd(loop, Term_input_fd(), on_input, d, err, errlen);
                if (!d->in) {
                        Dashboard_stop(d);
                        return -1;
                }
                static const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
                for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
                        if (Loop_on_signal(loop, sigs[i], on_signal, d)) {
                                xsnprintf(err, errlen, "cannot handle signal %d", sigs[i]);
                                Dashboard_stop(d);
                                return -1;
                        }
                }
                d->frame = Loop_timer_new(loop, on_frame, d);
        }
        Dashboard_changed(d);
        return 0;
}

void Dashboard_stop(Dashboard *d)
{
        if (!d->started)
                return;
        d->started = 0;
        Loop_remove_fd(d->in);
        d->in = NULL;
        Loop_timer_free(d->frame);
        d->frame = NULL;
        Term_done();
}

/* ---- keys ---- */

static int table_page(const Dashboard *d)
{
        int h = (d->lay.table.h - 2) * (d->lay.table_sets > 1 ? d->lay.table_sets : 1);
        return h > 1 ? h : 1;
}

/* The filter being typed: the open panel's, else the table's. */
static char *edit_buf(Dashboard *d)
{
        return d->panel != PANEL_NONE ? d->pfilter : d->filter;
}

static void filter_pop(char *s)
{
        size_t n = strlen(s);
        while (n > 0 && ((unsigned char)s[n - 1] & 0xC0) == 0x80)
                n--;
        if (n > 0)
                n--;
        s[n] = 0;
}

static void filter_push(char *s, int cp)
{
        char enc[8];
        size_t n = strlen(s), el;
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp > 0x10FFFF)
                return;
        if (cp < 0x80) {
                enc[0] = (char)cp;
                el = 1;
        } else if (cp < 0x800) {
                enc[0] = (char)(0xC0 | (cp >> 6));
                enc[1] = (char)(0x80 | (cp & 0x3F));
                el = 2;
        } else if (cp < 0x10000) {
                enc[0] = (char)(0xE0 | (cp >> 12));
                enc[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                enc[2] = (char)(0x80 | (cp & 0x3F));
                el = 3;
        } else {
                enc[0] = (char)(0xF0 | (cp >> 18));
                enc[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                enc[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                enc[3] = (char)(0x80 | (cp & 0x3F));
                el = 4;
        }
        if (n + el > FILTER_MAX)
                return;
        memcpy(s + n, enc, el);
        s[n + el] = 0;
}

static void key_editing(Dashboard *d, int key)
{
        switch (key) {
        case TK_ENTER:
                d->editing = 0;
                break;
        case TK_ESC:
                edit_buf(d)[0] = 0;
                d->editing = 0;
                break;
        case TK_BACKSPACE:
                filter_pop(edit_buf(d));
                break;
        case TK_RESIZE:
                d->resized = 1;
                break;
        default:
                if (key < 0x110000)
                        filter_push(edit_buf(d), key);
                break;
        }
        if (d->panel != PANEL_NONE)
                d->pscroll = 0;
        else
                d->scroll = d->cursor = 0;
}

/* The scrolling keys, shared by the table and the people panels: 1 if key was one. */
static int scroll_key(int *scroll, int page, int key)
{
        switch (key) {
        case TK_UP:
        case 'k':
                (*scroll)--;
                break;
        case TK_DOWN:
        case 'j':
                (*scroll)++;
                break;
        case TK_PGUP:
                *scroll -= page;
                break;
        case TK_PGDN:
        case ' ':
                *scroll += page;
                break;
        case TK_HOME:
                *scroll = 0;
                break;
        case TK_END:
                *scroll = 1 << 30;
                break;
        default:
                return 0;
        }
        return 1;
}

/* Keys while a people panel is open: scroll it; Esc or q closes it. */
static int key_panel(Dashboard *d, int key)
{
        switch (key) {
        case TK_ESC:
                if (d->pfilter[0]) { /* Esc clears the filter first, then closes */
                        d->pfilter[0] = 0;
                        return 1;
                }
                /* fall through */
        case 'q':
        case 'Q':
                d->panel = PANEL_NONE;
                d->pfilter[0] = 0;
                return 1;
        case '/':
                d->editing = 1;
                d->pfilter[0] = 0;
                d->pscroll = 0;
                return 1;
        case 's':
                d->psort = (ViewPanelSort)((d->psort + 1) % PSORT_COUNT);
                d->pscroll = 0;
                return 1;
        case 'S':
                d->psort = (ViewPanelSort)((d->psort + PSORT_COUNT - 1) % PSORT_COUNT);
                d->pscroll = 0;
                return 1;
        default:
                return scroll_key(&d->pscroll, d->panel_body > 1 ? d->panel_body : 1, key);
        }
}

/* Open a people panel (the same one again closes it). */
static void open_panel(Dashboard *d, ViewPanel p)
{
        d->panel = d->panel == p ? PANEL_NONE : p;
        d->pscroll = 0;
        d->pfilter[0] = 0;
        d->psort = PSORT_SINCE;
}

static ViewPanel panel_of_key(int key)
{
        switch (key) {
        case 'u':
                return PANEL_UNIDENTIFIED;
        case 'w':
                return PANEL_WAITING;
        case 'v':
                return PANEL_VIDEO;
        case 'f':
                return PANEL_FAILURES;
        default:
                return PANEL_NONE;
        }
}

void Dashboard_key(Dashboard *d, int key)
{
        if (d->editing) {
                key_editing(d, key);
                Dashboard_changed(d);
                return;
        }
        if (d->help && key != 'q' && key != 'Q' && key != TK_RESIZE) {
                d->help = 0; /* any key closes the help */
                Dashboard_changed(d);
                return;
        }
        ViewPanel p = panel_of_key(key);
        if (p != PANEL_NONE) {
                open_panel(d, p);
                Dashboard_changed(d);
                return;
        }
        if (d->panel != PANEL_NONE) {
                /* a panel's own keys; the table under it gets none (Enter there
                 * would open the people of a row the operator cannot see) */
                if (key_panel(d, key)) {
                        Dashboard_changed(d);
                        return;
                }
                if (key == TK_ENTER)
                        return;
        }
        int before = d->cursor;
        if (d->panel == PANEL_NONE && scroll_key(&d->cursor, table_page(d), key)) {
                if (key == TK_PGUP || key == TK_PGDN || key == ' ')
                        d->scroll += d->cursor - before; /* a page turns the view too */
                d->cursor_name[0] = 0; /* moved by hand: follow the row it lands on */
                d->cursor_moved = 1;
                Dashboard_changed(d);
                return;
        }
        if (key == TK_ENTER && d->view.nrows > 0) {
                size_t c = d->cursor < 0 ? 0 : (size_t)d->cursor;
                if (c >= d->view.nrows)
                        c = d->view.nrows - 1;
                xsnprintf(d->panel_deleg, sizeof d->panel_deleg, "%s", d->view.rows[c].name);
                open_panel(d, PANEL_DELEGATION);
                Dashboard_changed(d);
                return;
        }
        switch (key) {
        case 'q':
        case 'Q':
                quit(d);
                return;
        case '?':
        case 'h':
                d->help = 1;
                break;
        case TK_TAB:
                d->picked = 1;
                d->meeting++;
                d->scroll = d->cursor = d->cursor_moved = 0;
                d->cursor_name[0] = 0;
                break;
        case 't': /* times: utc -> meeting -> local */
                d->tz = (TzMode)((d->tz + 1) % TZ_MODES);
                break;
        case 's':
                d->sort = (ViewSort)((d->sort + 1) % SORT_COUNT);
                d->scroll = 0; /* the cursor stays on its delegation */
                break;
        case 'S':
                d->sort = (ViewSort)((d->sort + SORT_COUNT - 1) % SORT_COUNT);
                d->scroll = 0; /* the cursor stays on its delegation */
                break;
        case '/':
                d->editing = 1;
                d->filter[0] = 0;
                d->scroll = d->cursor = 0;
                break;
        case TK_ESC:
                d->filter[0] = 0;
                d->scroll = 0; /* the cursor stays on its delegation */
                break;
        case 'p':
                if (d->hooks.pause)
                        d->hooks.pause(d->hooks.ud);
                break;
        case 'r':
                if (d->hooks.reconnect)
                        d->hooks.reconnect(d->hooks.ud);
                break;
        case '+':
        case '=':
                if (d->hooks.speed)
                        d->hooks.speed(d->hooks.ud, 1);
                break;
        case '-':
        case '_':
                if (d->hooks.speed)
                        d->hooks.speed(d->hooks.ud, -1);
                break;
        case TK_RESIZE:
                d->resized = 1;
                break;
        case 12: /* ^L: repaint */
                d->resized = 1;
                break;
        default:
                return;
        }
        Dashboard_changed(d);
}

/* ---- widgets ---- */

static TermColor level_color(Severity s)
{
        return s == SEV_CRITICAL ? TC_CRIT : s == SEV_WARNING ? TC_WARN : TC_OK;
}

static const char *level_tag(Severity s)
{
        return s == SEV_CRITICAL ? "CRIT" : s == SEV_WARNING ? "WARN" : "ok";
}

/* Draw text fitted to w columns at (y, x); returns the columns used. */
static int put_fit(int y, int x, int w, const char *s, TermColor c)
{
        char buf[VIEW_TEXT_MAX * 2];
        view_fit(s, w, buf, sizeof buf);
        return Term_put(y, x, buf, w, c);
}

static void draw_title(int y, int x, int w, const char *text)
{
        Term_fill(y, x, w, TC_TITLE);
        put_fit(y, x + 1, w - 2, text, TC_TITLE);
}

static void draw_header(const Dashboard *d, const Rect *r)
{
        const View *v = &d->view;
        char line[1024], meet[32] = "";
        if (v->nmeetings > 1)
                xsnprintf(meet, sizeof meet, "  [meeting %zu/%zu]", v->meeting + 1, v->nmeetings);
        int x = r->x;
        Term_fill(r->y, r->x, r->w, TC_TITLE);
        if (r->h == 1 && v->full) {
                x += Term_put(r->y, x, " MEETING FULL: joiners are being refused ", r->w, TC_CRIT);
        }
        if (v->has_meeting)
                /* the clock first: a narrow terminal cuts the topic, not the time */
                xsnprintf(line, sizeof line, " %s  %s  (id %s)  %s%s%s%s", v->clock, v->topic,
                          v->id, v->status, meet, v->confirmed[0] ? "  " : "", v->confirmed);
        else
                xsnprintf(line, sizeof line, " capmon  %s", v->status);
        int feedw = v->feed[0] ? view_width(v->feed) + 8 : 0;
        int room = r->x + r->w - x - (feedw < r->w / 3 ? feedw : 0);
        x += put_fit(r->y, x, room, line, TC_TITLE);
        if (v->feed[0] && feedw < r->w / 3) {
                xsnprintf(line, sizeof line, "feed: %s ", v->feed);
                int fx = r->x + r->w - view_width(line);
                if (fx > x)
                        Term_put(r->y, fx, line, r->x + r->w - fx,
                                 v->feed_level == SEV_CRITICAL  ? TC_CRIT
                                 : v->feed_level == SEV_WARNING ? TC_ATTN
                                                                : TC_TITLE);
        }
        if (r->h < 2)
                return;
        int y = r->y + 1;
        x = r->x + 1;
        if (v->full)
                x += Term_put(y, x, " MEETING FULL: joiners are being refused ", r->w, TC_CRIT) + 2;
        if (v->stale[0])
                x += Term_put(y, x, v->stale, r->x + r->w - x, TC_CRIT) + 3;
        if (!v->has_meeting) {
                Term_put(y, x, "no events yet", r->x + r->w - x, TC_DIM);
                return;
        }
        struct {
                const char *label;
                int value;
                int bad;
        } f[] = {
            {"people ", v->people, 0},
            {"waiting ", v->waiting, 0},
            {"unidentified ", v->unidentified, v->unidentified > 0},
            {"join failures ", v->join_failures, 0},
        };
        Term_fade(v->stale[0] != 0);
        for (size_t i = 0; i < sizeof f / sizeof f[0] && x < r->x + r->w; i++) {
                x += Term_put(y, x, f[i].label, r->x + r->w - x, TC_LABEL);
                xsnprintf(line, sizeof line, "%d", f[i].value);
                x += Term_put_bold(y, x, line, r->x + r->w - x, f[i].bad ? TC_MARK : TC_NORMAL);
                x += 3;
        }
        Term_fade(0);
}

/* A gauge's text after its bar: " 812/1000  81% ", the level tag, "  peak 900". */
typedef struct GaugeText {
        char right[128], peak[48];
        const char *tag;
        int width; /* of the three */
} GaugeText;

static void gauge_text(const ViewGauge *g, const char *unit, GaugeText *t)
{
        int pct = g->limit > 0 ? (int)((long long)g->value * 100 / g->limit) : 0;
        xsnprintf(t->right, sizeof t->right, " %d/%d %s %3d%% ", g->value, g->limit, unit, pct);
        t->tag = g->stale ? "STALE" : level_tag(g->level);
        xsnprintf(t->peak, sizeof t->peak, "  peak %d", g->peak);
        t->width = view_width(t->right) + (int)strlen(t->tag) + (int)strlen(t->peak);
}

#define GAUGE_LABEL 13 /* "Participants " */
#define GAUGE_BAR_KEEP                                                                             \
        16 /* columns the bar keeps before a sparkline takes any (80 columns: both fit) */

/* One gauge row in w columns: label, bar, text, then the note when keep_note (the
 * bar gives way to it) or in what is left. */
static void draw_gauge(int y, int x, int w, const char *label, const ViewGauge *g, const char *unit,
                       const char *note, int keep_note)
{
        Term_fade(g->stale);
        int lw = Term_put(y, x, label, w, TC_LABEL);
        x += lw;
        w -= lw;
        if (!g->known) {
                Term_put(y, x, *unit ? "no video feed" : "no events yet", w, TC_DIM);
                return;
        }
        GaugeText t;
        gauge_text(g, unit, &t);
        char n[80] = "";
        if (note && *note)
                xsnprintf(n, sizeof n, "  (%s)", note);
        int bw = w - t.width - 2 - (keep_note ? view_width(n) : 0);
        if (bw >= 10) {
                if (bw > 60)
                        bw = 60;
                int fill = g->limit > 0 ? (int)((long long)g->value * bw / g->limit) : bw;
                if (fill > bw)
                        fill = bw;
                if (fill == 0 && g->value > 0)
                        fill = 1;
                Term_put(y, x, "[", 1, TC_DIM);
                Term_repeat(y, x + 1, "\xE2\x96\x88", fill, /* █ */
                            g->level == SEV_CRITICAL ? TC_BAD : level_color(g->level));
                Term_repeat(y, x + 1 + fill, "\xC2\xB7", bw - fill, TC_DIM); /* · */
                Term_put(y, x + 1 + bw, "]", 1, TC_DIM);
                x += bw + 2;
                w -= bw + 2;
        }
        int used = Term_put_bold(y, x, t.right, w, TC_NORMAL);
        x += used;
        w -= used;
        Term_fade(0); /* the word says why the figures are dim */
        used = Term_put(y, x, t.tag, w,
                        g->stale   ? TC_CRIT
                        : g->level ? level_color(g->level)
                                   : TC_OK);
        Term_fade(g->stale);
        x += used;
        w -= used;
        used = Term_put(y, x, t.peak, w, TC_DIM);
        if (n[0])
                Term_put(y, x + used, n, w - used, TC_DIM);
}

/* Columns a gauge needs besides its sparkline: label, bar kept, text, note. */
static int gauge_need(const ViewGauge *g, const char *unit, const char *note)
{
        if (!g->known)
                return GAUGE_LABEL + 13; /* "no video feed" */
        GaugeText t;
        gauge_text(g, unit, &t);
        int need = GAUGE_LABEL + GAUGE_BAR_KEEP + 2 + t.width;
        if (note && *note)
                need += view_width(note) + 4; /* "  (note)" */
        return need;
}

static void draw_gauges(const Dashboard *d, const Rect *r)
{
        const View *v = &d->view;
        int w = r->w - 1;
        /* the sparklines (docs/dashboard.md): as wide as both rows allow, the same
         * width in both so they line up at the right edge; the video note yields its
         * room before they go */
        int keep_note = 1;
        int need = gauge_need(&v->cap, "", NULL);
        int nv = gauge_need(&v->video, "videos", v->video_note);
        int sw = view_spark_cols(w - (need > nv ? need : nv) - 2);
        if (sw == 0 && v->video_note[0]) {
                keep_note = 0;
                nv = gauge_need(&v->video, "videos", NULL);
                sw = view_spark_cols(w - (need > nv ? need : nv) - 2);
        }
        int gw = sw ? w - sw - 2 : w;
        draw_gauge(r->y, r->x + 1, gw, "Participants ", &v->cap, "", NULL, 0);
        draw_gauge(r->y + 1, r->x + 1, gw, "Video        ", &v->video, "videos", v->video_note,
                   keep_note && sw);
        Term_fade(0);
        if (!sw)
                return;
        char spark[HISTORY_BUCKETS * 3 + 1];
        const ViewGauge *g[2] = {&v->cap, &v->video};
        for (int i = 0; i < 2; i++) {
                if (!g[i]->known)
                        continue;
                view_spark(g[i]->history, g[i]->limit, sw, spark, sizeof spark);
                Term_fade(g[i]->stale);
                Term_put(r->y + i, r->x + 1 + w - sw, spark, sw, TC_OK);
        }
        Term_fade(0);
}

/* Keep *scroll within n rows shown body at a time; range gets "  rows 3-12 of 40
 * (PgUp/PgDn)" when they do not all fit, else "". */
static void scroll_clamp(int *scroll, size_t n, int body, char *range, size_t len)
{
        int max = (int)n - (body > 0 ? body : 0);
        if (*scroll > max)
                *scroll = max;
        if (*scroll < 0)
                *scroll = 0;
        range[0] = 0;
        if ((int)n > body && body > 0)
                xsnprintf(range, len, "  rows %d-%d of %zu (PgUp/PgDn)", *scroll + 1,
                          *scroll + body < (int)n ? *scroll + body : (int)n, n);
}

/* The cursor stays on its delegation while rows move (sort by counts, filter);
 * the rows scroll to keep it in sight. */
static void place_cursor(Dashboard *d, int visible)
{
        const View *v = &d->view;
        if (v->nrows == 0) {
                d->cursor = d->scroll = 0;
                return;
        }
        if (d->cursor_moved && d->cursor_name[0])
                for (size_t i = 0; i < v->nrows; i++)
                        if (strcmp(v->rows[i].name, d->cursor_name) == 0) {
                                d->cursor = (int)i;
                                break;
                        }
        if (d->cursor >= (int)v->nrows)
                d->cursor = (int)v->nrows - 1;
        if (d->cursor < 0)
                d->cursor = 0;
        xsnprintf(d->cursor_name, sizeof d->cursor_name, "%s", v->rows[d->cursor].name);
        if (d->cursor < d->scroll)
                d->scroll = d->cursor;
        if (visible > 0 && d->cursor >= d->scroll + visible)
                d->scroll = d->cursor - visible + 1;
}

static void draw_table_heads(const View *v, const Layout *lay, int y, int x)
{
        char line[64];
        /* the sorted column marked: names ascending, numbers descending */
        xsnprintf(line, sizeof line, "%s",
                  v->sort == SORT_NAME ? "delegation \u25B2" : "delegation");
        Term_put(y, x, line, lay->name_width, v->sort == SORT_NAME ? TC_KEY : TC_LABEL);
        x += lay->name_width;
        x += Term_put(y, x, v->sort == SORT_PARTICIPANTS ? "  \u25BCin " : "   in ", 6,
                      v->sort == SORT_PARTICIPANTS ? TC_KEY : TC_LABEL);
        if (lay->table_cols & COL_VIDEO)
                x += Term_put(y, x, v->sort == SORT_VIDEO ? " \u25BCvideo" : "  video", 7,
                              v->sort == SORT_VIDEO ? TC_KEY : TC_LABEL);
        if (lay->table_cols & COL_PEAK)
                x += Term_put(y, x, v->sort == SORT_PEAK ? " \u25BCpeak" : "  peak", 6,
                              v->sort == SORT_PEAK ? TC_KEY : TC_LABEL);
        if (lay->table_cols & COL_QUOTA)
                Term_put(y, x, "  quota", 7, TC_LABEL);
}

/* One delegation row at (y, x), w columns; the cursor's name in reverse video. */
static void draw_table_row(const ViewRow *row, const Layout *lay, int y, int x, int w, int cursor)
{
        char line[64];
        int x0 = x;
        int marked = row->flags & (ROW_UNIDENTIFIED | ROW_OVER_QUOTA);
        if (marked)
                Term_put(y, x, "!", 1, TC_MARK);
        x += 2;
        char name[VIEW_TEXT_MAX * 2];
        view_fit(row->name, lay->name_width, name, sizeof name);
        int faded = Term_fading();
        if (cursor) { /* visible even when the figures are dimmed (stale) */
                Term_fade(0);
                Term_fill(y, x, lay->name_width, TC_SELECT);
        }
        Term_put(y, x, name, lay->name_width,
                 cursor   ? TC_SELECT
                 : marked ? TC_MARK
                          : (row->flags & ROW_DIALIN ? TC_DIM : TC_NORMAL));
        Term_fade(faded);
        x += lay->name_width;
        /* a change within VIEW_CHANGED_MS: colour, and + or - after the number for
         * NO_COLOR (htop's new and dying processes) */
        xsnprintf(line, sizeof line, "%5d%s", row->participants,
                  row->change > 0   ? "+"
                  : row->change < 0 ? "-"
                                    : " ");
        x += Term_put_bold(y, x, line, 6,
                           row->change > 0   ? TC_OK
                           : row->change < 0 ? TC_BAD
                                             : TC_NORMAL);
        if (lay->table_cols & COL_VIDEO) {
                xsnprintf(line, sizeof line, "%7d", row->video_on);
                x += Term_put(y, x, line, 7, TC_NORMAL);
        }
        if (lay->table_cols & COL_PEAK) {
                xsnprintf(line, sizeof line, "%6d", row->peak);
                x += Term_put(y, x, line, 6, TC_DIM);
        }
        if (lay->table_cols & COL_QUOTA) {
                if (row->quota >= 0)
                        xsnprintf(line, sizeof line, "%7d", row->quota);
                else
                        xsnprintf(line, sizeof line, "%7s", "-");
                x += Term_put(y, x, line, 7, row->flags & ROW_OVER_QUOTA ? TC_MARK : TC_DIM);
        }
        if (row->flags & ROW_OVER_QUOTA)
                Term_put(y, x, " OVER", x0 + w - x, TC_MARK);
        else if (row->flags & ROW_UNIDENTIFIED)
                Term_put(y, x, " UNID", x0 + w - x, TC_MARK);
}

static void draw_table(Dashboard *d, const Rect *r)
{
        View *v = &d->view;
        const Layout *lay = &d->lay;
        char line[512];
        int body = r->h - 2, sets = lay->table_sets > 1 ? lay->table_sets : 1;
        int visible = body > 0 ? body * sets : 0;
        char range[64];
        place_cursor(d, visible);
        scroll_clamp(&d->scroll, v->nrows, visible, range, sizeof range);
        char filt[VIEW_TEXT_MAX + 16] = "";
        if (v->filter[0])
                xsnprintf(filt, sizeof filt, "  filter \"%s\"", v->filter);
        xsnprintf(line, sizeof line, "Delegations %zu/%zu  %s%ssort: %s%s%s", v->nrows,
                  v->ndelegations, v->stale, v->stale[0] ? "  " : "", VIEW_SORT_NAMES[v->sort],
                  filt, range);
        draw_title(r->y, r->x, r->w, line);
        if (r->h < 2)
                return;
        for (int k = 0; k < sets; k++)
                draw_table_heads(v, lay, r->y + 1, r->x + 2 + k * (lay->set_width + 1));
        if (v->nrows == 0 && body > 0) {
                if (v->filter[0])
                        xsnprintf(line, sizeof line, "no delegation matches \"%s\" (Esc clears)",
                                  v->filter);
                else
                        xsnprintf(line, sizeof line, "no delegations yet");
                put_fit(r->y + 2, r->x + 2, r->w - 2, line, TC_DIM);
                return;
        }
        Term_fade(v->stale[0] != 0);
        for (int i = 0; i < visible && d->scroll + i < (int)v->nrows; i++) {
                int k = i / body, at = d->scroll + i;
                draw_table_row(&v->rows[at], lay, r->y + 2 + i % body,
                               r->x + k * (lay->set_width + 1), lay->set_width,
                               d->cursor_moved && at == d->cursor);
        }
        Term_fade(0);
}

static void draw_alert_line(int y, int x, int w, const ViewAlert *a)
{
        if (a->firing) {
                x += Term_put(y, x, level_tag(a->level), 4, level_color(a->level));
        } else {
                x += Term_put(y, x, "done", 4, TC_DIM);
        }
        w -= 4;
        char line[VIEW_TEXT_MAX + 32];
        xsnprintf(line, sizeof line, " %s %s", a->at, a->text);
        put_fit(y, x, w, line, a->firing ? TC_NORMAL : TC_DIM);
}

static void draw_alerts(const Dashboard *d, const Rect *r)
{
        const View *v = &d->view;
        char line[VIEW_TEXT_MAX + 64];
        if (r->h == 1) {
                int x = r->x;
                xsnprintf(line, sizeof line, "Alerts: %zu firing", v->nfiring);
                x += Term_put_bold(r->y, x, line, r->w, v->nfiring ? TC_WARN : TC_LABEL);
                if (v->nalerts > 0 && v->alerts[0].firing)
                        draw_alert_line(r->y, x + 2, r->x + r->w - x - 2, &v->alerts[0]);
                return;
        }
        xsnprintf(line, sizeof line, "Alerts  %zu firing, %zu resolved", v->nfiring,
                  v->nalerts - v->nfiring);
        draw_title(r->y, r->x, r->w, line);
        if (v->nalerts == 0 && r->h > 1)
                Term_put(r->y + 1, r->x + 1, "no alerts", r->w - 1, TC_DIM);
        for (int i = 0; i + 1 < r->h && i < (int)v->nalerts; i++)
                draw_alert_line(r->y + 1 + i, r->x + 1, r->w - 1, &v->alerts[i]);
}

static void draw_failures(const Dashboard *d, const Rect *r)
{
        const View *v = &d->view;
        char line[VIEW_TEXT_MAX * 3 + 32];
        xsnprintf(line, sizeof line, "Join failures  %d (newest first)", v->join_failures);
        draw_title(r->y, r->x, r->w, line);
        if (v->nfailures == 0 && r->h > 1)
                Term_put(r->y + 1, r->x + 1, "none", r->w - 1, TC_DIM);
        for (int i = 0; i + 1 < r->h && i < (int)v->nfailures; i++) {
                const ViewFailure *f = &v->failures[i];
                int y = r->y + 1 + i, x = r->x + 1, w = r->w - 1;
                x += Term_put(y, x, f->at, w, TC_DIM) + 1;
                /* the reason in 20 columns, then one blank before the name */
                int rw = r->x + r->w - x < 20 ? r->x + r->w - x : 20;
                put_fit(y, x, rw, f->reason, TC_WARN);
                x += rw + 1;
                if (x >= r->x + r->w)
                        continue;
                view_person_label(f->name, f->delegation, line, sizeof line);
                put_fit(y, x, r->x + r->w - x, line, TC_NORMAL);
        }
}

/* A people panel over the table and the panes below it: since, name, delegation
 * (and reason for join failures), each in its own columns. */
static void draw_panel(Dashboard *d, const Rect *r)
{
        const View *v = &d->view;
        char line[VIEW_TEXT_MAX + 96];
        int body = r->h - 2;
        if (body < 0)
                body = 0;
        d->panel_body = body;
        char range[64];
        scroll_clamp(&d->pscroll, v->npersons, body, range, sizeof range);
        char count[96];
        if (v->panel_filter[0])
                xsnprintf(count, sizeof count, "%zu of %zu", v->npersons, v->panel_total);
        else
                xsnprintf(count, sizeof count, "%zu", v->npersons);
        char filt[VIEW_TEXT_MAX + 16] = "";
        if (v->panel_filter[0])
                xsnprintf(filt, sizeof filt, "  filter \"%s\"", v->panel_filter);
        xsnprintf(line, sizeof line, "%s  %s %s%s%s  (Esc closes)", v->panel_title, count,
                  v->panel_sort != PSORT_SINCE
                      ? (v->panel_sort == PSORT_NAME ? "by name" : "by delegation")
                  : v->panel == PANEL_FAILURES ? "newest first"
                                               : "oldest first",
                  filt, range);
        for (int i = 0; i < r->h; i++)
                Term_fill(r->y + i, r->x, r->w, TC_NORMAL);
        draw_title(r->y, r->x, r->w, line);
        if (r->h < 2)
                return;
        /* columns: since(8) name delegation [reason(20)], one blank between */
        int reasonw = v->panel == PANEL_FAILURES || v->panel == PANEL_DELEGATION ? 20 : 0;
        int rest = r->w - 2 - 9 - (reasonw ? reasonw + 1 : 0);
        int delegw = rest / 3 > 24 ? 24 : rest / 3;
        int namew = rest - delegw - 1;
        if (namew < 1 || delegw < 1)
                return;
        int y = r->y + 1, x = r->x + 1;
        Term_put(y, x, "since", 8, TC_LABEL);
        Term_put(y, x + 9, "name", namew, TC_LABEL);
        Term_put(y, x + 10 + namew, "delegation", delegw, TC_LABEL);
        if (reasonw)
                Term_put(y, x + 11 + namew + delegw,
                         v->panel == PANEL_FAILURES ? "reason" : "video, waiting, role", reasonw,
                         TC_LABEL);
        if (v->npersons == 0 && body > 0) {
                put_fit(y + 1, x, r->w - 2, v->panel_filter[0] ? "nobody matches" : "nobody",
                        TC_DIM);
                return;
        }
        for (int i = 0; i < body && d->pscroll + i < (int)v->npersons; i++) {
                const ViewPerson *p = &v->persons[d->pscroll + i];
                y = r->y + 2 + i;
                Term_put(y, x, p->at, 8, TC_DIM);
                put_fit(y, x + 9, namew, p->name, TC_NORMAL);
                put_fit(y, x + 10 + namew, delegw, p->delegation, TC_NORMAL);
                if (reasonw)
                        put_fit(y, x + 11 + namew + delegw, reasonw, p->reason,
                                v->panel == PANEL_FAILURES ? TC_WARN : TC_NORMAL);
        }
}

static int put_key(int y, int x, int xmax, const char *key, const char *what)
{
        int x0 = x;
        if (x + view_width(key) + view_width(what) + 1 > xmax)
                return 0;
        x += Term_put(y, x, key, xmax - x, TC_KEY);
        x += Term_put(y, x, " ", xmax - x, TC_NORMAL);
        x += Term_put(y, x, what, xmax - x, TC_NORMAL);
        return x - x0 + 2;
}

static void draw_footer(const Dashboard *d, const Rect *r)
{
        int y = r->y, x = r->x, xmax = r->x + r->w;
        if (d->editing) {
                char line[FILTER_MAX + 32];
                x += Term_put(y, x, "filter: ", r->w, TC_LABEL);
                xsnprintf(line, sizeof line, "%s_",
                          d->panel != PANEL_NONE ? d->view.panel_filter : d->view.filter);
                x += put_fit(y, x, xmax - x, line, TC_SELECT) + 2;
                x += put_key(y, x, xmax, "Enter", "keep");
                put_key(y, x, xmax, "Esc", "clear");
                return;
        }
        if (d->panel != PANEL_NONE) {
                char psort[32];
                xsnprintf(psort, sizeof psort, "sort:%s", VIEW_PANEL_SORT_NAMES[d->psort]);
                x += put_key(y, x, xmax, "Esc", d->pfilter[0] ? "clear filter" : "close");
                x += put_key(y, x, xmax, "s", psort);
                x += put_key(y, x, xmax, "/", "filter");
                x += put_key(y, x, xmax, "\xE2\x86\x91\xE2\x86\x93 PgUp PgDn", "scroll");
                put_key(y, x, xmax, "u w v f", "panels");
                return;
        }
        char sortw[32];
        xsnprintf(sortw, sizeof sortw, "sort:%s", VIEW_SORT_NAMES[d->sort]);
        x += put_key(y, x, xmax, "q", "quit");
        x += put_key(y, x, xmax, "?", "help");
        if (d->view.nmeetings > 1)
                x += put_key(y, x, xmax, "Tab", "meeting");
        x += put_key(y, x, xmax, "s", sortw);
        x += put_key(y, x, xmax, "/", d->filter[0] ? "filter (Esc clears)" : "filter");
        x += put_key(y, x, xmax, "\xE2\x86\x91\xE2\x86\x93 PgUp PgDn", "scroll");
        if (d->hooks.pause)
                x += put_key(y, x, xmax, "p", "pause");
        if (d->hooks.speed)
                x += put_key(y, x, xmax, "+/-", "speed");
        if (d->hooks.reconnect)
                put_key(y, x, xmax, "r", "reconnect");
}

static void draw_minimal(const Dashboard *d, int rows, int cols)
{
        const View *v = &d->view;
        char line[VIEW_TEXT_MAX + 64];
        int y = 0;
        if (v->has_meeting)
                xsnprintf(line, sizeof line, "%s  %s", v->topic, v->status);
        else
                xsnprintf(line, sizeof line, "capmon  %s", v->status);
        draw_title(y++, 0, cols, line);
        if (v->full)
                Term_put(y++, 0, "MEETING FULL: joiners refused", cols, TC_CRIT);
        if (v->stale[0])
                Term_put(y++, 0, v->stale, cols, TC_CRIT);
        Term_fade(v->stale[0] != 0);
        xsnprintf(line, sizeof line, "Participants %d/%d ", v->cap.value, v->cap.limit);
        int x = Term_put_bold(y, 0, line, cols, TC_NORMAL);
        Term_put(y++, x, level_tag(v->cap.level), cols - x, level_color(v->cap.level));
        if (v->video.known) {
                xsnprintf(line, sizeof line, "Video %d/%d ", v->video.value, v->video.limit);
                x = Term_put_bold(y, 0, line, cols, TC_NORMAL);
                x += Term_put(y, x, level_tag(v->video.level), cols - x,
                              level_color(v->video.level));
                if (v->video_note[0]) {
                        xsnprintf(line, sizeof line, " (%s)", v->video_note);
                        Term_put(y, x, line, cols - x, TC_DIM);
                }
                y++;
        } else {
                Term_put(y++, 0, "Video: no video feed", cols, TC_DIM);
        }
        Term_fade(0);
        xsnprintf(line, sizeof line, "Alerts: %zu firing", v->nfiring);
        Term_put_bold(y++, 0, line, cols, v->nfiring ? TC_WARN : TC_LABEL);
        for (size_t i = 0; i < v->nalerts && v->alerts[i].firing && y < rows - 1; i++)
                draw_alert_line(y++, 0, cols, &v->alerts[i]);
        Rect f = {rows - 1, 0, 1, cols};
        draw_footer(d, &f);
}

static void draw_help(const Dashboard *d, int rows, int cols)
{
        static const char *const lines[] = {
            "capmon dashboard keys",
            "",
            "q            quit",
            "?            this help (any key closes it)",
            "Tab          next meeting",
            "s / S        sort: name, participants, video, peak",
            "/            filter delegations (Enter keeps, Esc clears)",
            "Esc          clear the filter",
            "Up Down      move the selection (also k j)",
            "PgUp PgDn    scroll one page; Home End",
            "p            pause or resume the replay",
            "+ -          replay faster or slower",
            "r            live sources: reconnect now",
            "t            times: UTC, the meeting's zone, local",
            "u w v f      people: unidentified, waiting room,",
            "             video on, join failures (Esc closes)",
            "Enter        the selected delegation's people",
            "  in a panel s sorts (since, name, delegation), / filters",
            "",
            "! / OVER     delegation over its quota",
            "! / UNID     participants not identified",
            "WARN CRIT    alert level (also in colour)",
        };
        (void)d;
        int n = (int)(sizeof lines / sizeof lines[0]);
        int w = cols - 4 < 62 ? cols - 4 : 62;
        int h = rows - 2 < n + 2 ? rows - 2 : n + 2;
        if (w < 10 || h < 3)
                return;
        int y0 = (rows - h) / 2, x0 = (cols - w) / 2;
        for (int i = 0; i < h; i++)
                Term_fill(y0 + i, x0, w, TC_SELECT);
        for (int i = 0; i < n && i < h - 2; i++)
                put_fit(y0 + 1 + i, x0 + 2, w - 4, lines[i], TC_SELECT);
}

void Dashboard_draw(Dashboard *d)
{
        if (!Term_active())
                return;
        if (d->resized) {
                Term_resize();
                d->resized = 0;
        }
        int rows, cols;
        Term_size(&rows, &cols);
        View_layout(&d->lay, rows, cols);
        if (!d->picked)
                d->meeting = view_follow_meeting(d->m, d->view.nmeetings ? d->meeting : SIZE_MAX);
        ViewOpts o = {.meeting = d->meeting,
                      .sort = d->sort,
                      .filter = d->filter,
                      .feed = d->feed,
                      .feed_level = d->feed_level,
                      .zoom_off = d->zoom_off[0] ? d->zoom_off : NULL,
                      .panel = d->panel,
                      .stale = d->stale,
                      .as_of = d->as_of,
                      .panel_delegation = d->panel_deleg,
                      .panel_filter = d->pfilter,
                      .panel_sort = d->psort,
                      .tz = d->tz};
        View_build(&d->view, d->m, &o);
        if (d->view.nmeetings > 0)
                d->meeting = d->view.meeting;
        Term_erase();
        switch (d->lay.mode) {
        case VIEW_TOO_SMALL: {
                char line[64];
                xsnprintf(line, sizeof line, "too small %dx%d (min %dx%d)", cols, rows,
                          VIEW_MIN_COLS, VIEW_MIN_ROWS);
                put_fit(0, 0, cols, line, TC_NORMAL);
                break;
        }
        case VIEW_MINIMAL:
                draw_minimal(d, rows, cols);
                break;
        default:
                draw_header(d, &d->lay.header);
                draw_gauges(d, &d->lay.gauges);
                if (d->lay.table.h)
                        draw_table(d, &d->lay.table);
                if (d->lay.alerts.h)
                        draw_alerts(d, &d->lay.alerts);
                if (d->lay.failures.h)
                        draw_failures(d, &d->lay.failures);
                draw_footer(d, &d->lay.footer);
                break;
        }
        if (d->panel != PANEL_NONE && d->lay.mode != VIEW_TOO_SMALL) {
                int top = d->lay.mode == VIEW_MINIMAL ? 1 : d->lay.table.y;
                Rect pr = {top, 0, rows - 1 - top, cols};
                draw_panel(d, &pr);
        }
        if (d->help && d->lay.mode != VIEW_TOO_SMALL)
                draw_help(d, rows, cols);
        Term_flush();
        d->dirty = 0;
        d->frames++;
        d->last_draw = Loop_now_us();
}
