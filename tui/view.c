/* The dashboard's view model (see view.h). No curses here. */
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "deleg.h"
#include "util.h"

const char *const VIEW_SORT_NAMES[SORT_COUNT] = {"name", "participants", "video", "peak"};
const char *const VIEW_PANEL_NAMES[PANEL_COUNT] = {"",         "Unidentified",  "Waiting room",
                                                   "Video on", "Join failures", "Delegation"};
const char *const VIEW_PANEL_SORT_NAMES[PSORT_COUNT] = {"since", "name", "delegation"};
const char *const VIEW_MODE_NAMES[4] = {"full", "reduced", "minimal", "too small"};

/* ---- text ---- */

static size_t utf8_put(int32_t cp, char *out)
{
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xC0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xE0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}

static int removed_char(int32_t cp)
{
        return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x200E || cp == 0x200F ||
               cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static int char_width(int32_t cp)
{
        int w = wcwidth((wchar_t)cp);
        return w < 0 ? -1 : w;
}

int view_sanitize(const char *in, char *out, size_t outlen)
{
        size_t o = 0, n = in ? strlen(in) : 0;
        int width = 0;
        if (outlen == 0)
                return 0;
        for (size_t i = 0; i < n;) {
                size_t cl;
                int32_t cp = utf8_next((const unsigned char *)in + i, n - i, &cl);
                i += cl;
                if (cp >= 0 && removed_char(cp))
                        continue;
                int w = cp < 0 ? -1 : char_width(cp);
                if (w < 0) {
                        cp = 0xFFFD;
                        w = 1;
                }
                char enc[4];
                size_t el = utf8_put(cp, enc);
                if (o + el >= outlen)
                        break;
                memcpy(out + o, enc, el);
                o += el;
                width += w;
        }
        out[o] = 0;
        return width;
}

int view_width(const char *s)
{
        int width = 0;
        size_t n = strlen(s);
        for (size_t i = 0; i < n;) {
                size_t cl;
                int32_t cp = utf8_next((const unsigned char *)s + i, n - i, &cl);
                i += cl;
                int w = cp < 0 ? 1 : char_width(cp);
                width += w < 0 ? 1 : w;
        }
        return width;
}

int view_fit(const char *s, int cols, char *out, size_t outlen)
{
        if (outlen == 0)
                return 0;
        out[0] = 0;
        if (cols <= 0)
                return 0;
        int total = view_width(s);
        int limit = total <= cols ? cols : cols - 1; /* room for the ellipsis */
        size_t o = 0, n = strlen(s);
        int width = 0;
        for (size_t i = 0; i < n;) {
                size_t cl;
                int32_t cp = utf8_next((const unsigned char *)s + i, n - i, &cl);
                int w = cp < 0 ? 1 : char_width(cp);
                if (w < 0)
                        w = 1;
                if (width + w > limit || o + cl + 4 > outlen)
                        break;
                memcpy(out + o, s + i, cl);
                o += cl;
                width += w;
                i += cl;
        }
        if (total > cols || width < total) {
                if (o + 3 < outlen && width < cols) {
                        memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
                        o += 3;
                        width++;
                }
        }
        out[o] = 0;
        return width;
}

void view_person_label(const char *name, const char *delegation, char *out, size_t len)
{
        size_t n = strlen(name), dl = delegation ? strlen(delegation) : 0;
        /* "Farhan Reddy (India)" and "India - Farhan Reddy" already say it */
        int ends = n >= dl + 2 && name[n - 1] == ')' && name[n - dl - 2] == '(' &&
                   memcmp(name + n - dl - 1, delegation, dl) == 0;
        int starts = n > dl && memcmp(name, delegation, dl) == 0 &&
                     (name[dl] == ' ' || name[dl] == '-' || name[dl] == ':');
        if (dl == 0 || ends || starts)
                xsnprintf(out, len, "%s", name);
        else
                xsnprintf(out, len, "%s (%s)", name, delegation);
}

/* ---- sparklines ---- */

int view_spark(const int *history, int limit, int cols, char *out, size_t outlen)
{
        static const char *const blocks[9] = {" ",
                                              "\xE2\x96\x81",
                                              "\xE2\x96\x82",
                                              "\xE2\x96\x83",
                                              "\xE2\x96\x84",
                                              "\xE2\x96\x85",
                                              "\xE2\x96\x86",
                                              "\xE2\x96\x87",
                                              "\xE2\x96\x88"}; /* ▁ to █ */
        size_t o = 0;
        if (outlen == 0)
                return 0;
        out[0] = 0;
        if (cols <= 0 || HISTORY_BUCKETS % cols != 0)
                return 0;
        int per = HISTORY_BUCKETS / cols;
        for (int c = 0; c < cols; c++) {
                int v = -1;
                for (int i = c * per; i < (c + 1) * per; i++)
                        if (history[i] > v)
                                v = history[i];
                int level = 0;
                if (v > 0) {
                        /* as the bar: cut down, but never empty when above zero */
                        long long l = limit > 0 ? (long long)v * 8 / limit : 8;
                        level = l < 1 ? 1 : l > 8 ? 8 : (int)l;
                }
                size_t n = strlen(blocks[level]);
                if (o + n >= outlen)
                        return c;
                memcpy(out + o, blocks[level], n);
                o += n;
                out[o] = 0;
        }
        return cols;
}

int view_spark_cols(int room)
{
        for (int c = HISTORY_BUCKETS; c >= VIEW_SPARK_MIN; c--)
                if (HISTORY_BUCKETS % c == 0 && c <= room)
                        return c;
        return 0;
}

/* ---- model ---- */

void View_init(View *v)
{
        memset(v, 0, sizeof *v);
}

void View_done(View *v)
{
        TimeZone_end(&v->tz);
        free(v->rows);
        free(v->persons);
        memset(v, 0, sizeof *v);
}

size_t view_follow_meeting(const Monitor *m, size_t current)
{
        const State *s = Monitor_state(m);
        size_t n = State_meeting_count(s), best = 0;
        if (n == 0)
                return 0;
        for (size_t i = 1; i < n; i++)
                if (State_meeting(s, i)->last_event >= State_meeting(s, best)->last_event)
                        best = i;
        if (current >= n)
                return best;
        const Meeting *cur = State_meeting(s, current);
        if (cur->ended || cur->last_event + VIEW_QUIET_MS < State_meeting(s, best)->last_event)
                return best;
        return current;
}

Severity view_alert_level(const Alerts *al, Rule rule, const char *meeting)
{
        for (size_t i = 0; i < Alerts_count(al); i++) {
                const Alert *a = Alerts_get(al, i);
                if (a->rule == rule && a->status == AL_FIRING && !a->delegation && a->meeting &&
                    strcmp(a->meeting, meeting) == 0)
                        return a->level != SEV_NONE ? a->level : a->severity;
        }
        return SEV_NONE;
}

/* The reader's alphabet, as the Unicode collation algorithm's first level does it:
 * letters compared without case or accents ("Côte d'Ivoire" before "Croatia",
 * "Türkiye" before "Turkmenistan" as i < m), and only a tie looks at the bytes. */
static int cmp_name(const ViewRow *a, const ViewRow *b)
{
        int c = strcmp(a->key, b->key);
        return c ? c : strcmp(a->name, b->name);
}

static int cmp_rows_name(const void *x, const void *y)
{
        return cmp_name(x, y);
}

#define CMP_DESC(field)                                                                            \
        static int cmp_rows_##field(const void *x, const void *y)                                  \
        {                                                                                          \
                const ViewRow *a = x, *b = y;                                                      \
                if (a->field != b->field)                                                          \
                        return a->field > b->field ? -1 : 1;                                       \
                return cmp_name(a, b);                                                             \
        }
CMP_DESC(participants)
CMP_DESC(video_on)
CMP_DESC(peak)

static int cmp_alerts(const void *x, const void *y)
{
        const ViewAlert *a = x, *b = y;
        if (a->firing != b->firing)
                return a->firing ? -1 : 1;
        if (a->level != b->level)
                return a->level > b->level ? -1 : 1;
        if (a->since != b->since)
                return a->since > b->since ? -1 : 1; /* newest first */
        return 0;
}

static void build_rows(View *v, const Meeting *mt, const char *filter, int64_t now)
{
        char ffold[VIEW_TEXT_MAX], nfold[VIEW_TEXT_MAX];
        ffold[0] = 0;
        if (filter && *filter)
                text_fold(filter, ffold, sizeof ffold);
        if (v->rows_cap < mt->ndelegations) {
                free(v->rows);
                v->rows_cap = mt->ndelegations;
                v->rows = xcalloc(v->rows_cap, sizeof *v->rows);
        }
        v->ndelegations = mt->ndelegations;
        v->nrows = 0;
        for (size_t i = 0; i < mt->ndelegations; i++) {
                const Delegation *d = mt->delegations[i];
                if (ffold[0]) {
                        text_fold(d->name, nfold, sizeof nfold);
                        if (!strstr(nfold, ffold))
                                continue;
                }
                ViewRow *r = &v->rows[v->nrows++];
                view_sanitize(d->name, r->name, sizeof r->name);
                if (ffold[0])
                        memcpy(r->key, nfold, sizeof r->key);
                else
                        text_fold(d->name, r->key, sizeof r->key);
                r->participants = d->participants;
                r->video_on = d->video_on;
                r->peak = d->peak;
                r->quota = d->quota;
                r->flags = 0;
                r->change = 0;
                if (d->changed_at != TIME_NONE && now != TIME_NONE &&
                    now - d->changed_at < VIEW_CHANGED_MS)
                        r->change = d->change;
                if (strcmp(d->name, DELEG_UNIDENTIFIED) == 0)
                        r->flags |= ROW_UNIDENTIFIED;
                if (strcmp(d->name, DELEG_DIALIN) == 0)
                        r->flags |= ROW_DIALIN;
                if (d->quota >= 0 && d->participants > d->quota)
                        r->flags |= ROW_OVER_QUOTA;
        }
        static int (*const cmps[SORT_COUNT])(const void *, const void *) = {
            cmp_rows_name, cmp_rows_participants, cmp_rows_video_on, cmp_rows_peak};
        qsort(v->rows, v->nrows, sizeof *v->rows, cmps[v->sort]);
        /* Unidentified, Dial-in and over-quota rows on top, in the sort order */
        ViewRow tmp;
        for (size_t i = 0, top = 0; i < v->nrows; i++) {
                if (!(v->rows[i].flags & (ROW_UNIDENTIFIED | ROW_DIALIN | ROW_OVER_QUOTA)))
                        continue;
                if (i > top) {
                        tmp = v->rows[i];
                        memmove(&v->rows[top + 1], &v->rows[top], (i - top) * sizeof *v->rows);
                        v->rows[top] = tmp;
                }
                top++;
        }
}

static void build_alerts(View *v, const Alerts *al, const char *uuid)
{
        /* Keep the VIEW_ALERTS most important: firing ones always win. */
        v->nalerts = v->nfiring = 0;
        char line[512];
        for (size_t i = 0; i < Alerts_count(al); i++) {
                const Alert *a = Alerts_get(al, i);
                if (a->meeting && strcmp(a->meeting, uuid) != 0)
                        continue;
                ViewAlert va;
                va.rule = a->rule;
                va.firing = a->status == AL_FIRING;
                va.level = va.firing && a->level != SEV_NONE ? a->level : a->severity;
                va.since = va.firing ? a->starts_at : a->ends_at;
                if (va.firing)
                        v->nfiring++;
                if (v->nalerts == VIEW_ALERTS) {
                        /* full: replace the least important if this one beats it */
                        qsort(v->alerts, v->nalerts, sizeof *v->alerts, cmp_alerts);
                        if (cmp_alerts(&va, &v->alerts[VIEW_ALERTS - 1]) >= 0)
                                continue;
                        v->nalerts--;
                }
                Alert_describe(a, line, sizeof line);
                view_sanitize(line, va.text, sizeof va.text);
                v->alerts[v->nalerts++] = va;
        }
        qsort(v->alerts, v->nalerts, sizeof *v->alerts, cmp_alerts);
}

static void build_failures(View *v, const State *s, const Meeting *mt)
{
        v->nfailures = 0;
        for (size_t i = State_failure_count(s); i > 0 && v->nfailures < VIEW_FAILURES; i--) {
                const JoinFailure *f = State_failure(s, i - 1);
                if (f->meeting != mt || f->cancelled)
                        continue;
                ViewFailure *vf = &v->failures[v->nfailures++];
                vf->time = f->time;
                view_sanitize(f->name, vf->name, sizeof vf->name);
                view_sanitize(f->delegation ? f->delegation : "", vf->delegation,
                              sizeof vf->delegation);
                view_sanitize(f->reason, vf->reason, sizeof vf->reason);
        }
}

/* ---- people panels ---- */

static ViewPerson *person_add(View *v)
{
        if (v->npersons == v->persons_cap) {
                v->persons_cap = v->persons_cap ? v->persons_cap * 2 : 64;
                v->persons = xrealloc(v->persons, v->persons_cap * sizeof *v->persons);
        }
        ViewPerson *p = &v->persons[v->npersons++];
        p->reason[0] = 0;
        return p;
}

static void person_set(ViewPerson *p, const char *name, const char *delegation, int64_t since)
{
        p->since = since;
        view_sanitize(name ? name : "", p->name, sizeof p->name);
        view_sanitize(delegation ? delegation : "", p->delegation, sizeof p->delegation);
}

typedef struct PanelCollect {
        View *v;
        int unidentified_only;
        const char *delegation; /* only this one (sanitised, as its row shows it) */
        const char *note;       /* reason column for everyone collected */
} PanelCollect;

static void panel_person(void *ud, const PersonInfo *pi)
{
        PanelCollect *c = ud;
        if (c->unidentified_only &&
            (!pi->delegation || strcmp(pi->delegation, DELEG_UNIDENTIFIED) != 0))
                return;
        char d[VIEW_TEXT_MAX];
        if (c->delegation) {
                view_sanitize(pi->delegation ? pi->delegation : "", d, sizeof d);
                if (strcmp(d, c->delegation) != 0)
                        return;
        }
        ViewPerson *p = person_add(c->v);
        person_set(p, pi->name, pi->delegation, pi->since);
        if (c->note) {
                char r[VIEW_TEXT_MAX];
                const char *role = pi->role ? pi->role : "";
                const char *video = pi->video ? "video on" : "";
                xsnprintf(r, sizeof r, "%s%s%s%s%s", c->note, *c->note && *video ? ", " : "", video,
                          *role && (*video || *c->note) ? ", " : "", role);
                view_sanitize(r, p->reason, sizeof p->reason);
        }
}

static int cmp_people(const void *x, const void *y)
{
        const ViewPerson *a = x, *b = y;
        if (a->since != b->since)
                return a->since < b->since ? -1 : 1; /* oldest first */
        return strcmp(a->name, b->name);
}

/* The people sorted by name or delegation in the reader's alphabet (as the table),
 * through a folded key beside each. */
typedef struct PersonKey {
        char key[2 * VIEW_TEXT_MAX];
        size_t i;
} PersonKey;

static int cmp_person_keys(const void *x, const void *y)
{
        const PersonKey *a = x, *b = y;
        int c = strcmp(a->key, b->key);
        return c ? c : (a->i < b->i ? -1 : a->i > b->i);
}

static void sort_people(View *v, ViewPanelSort by)
{
        if (by == PSORT_SINCE || v->npersons < 2)
                return;
        PersonKey *k = xcalloc(v->npersons, sizeof *k);
        for (size_t i = 0; i < v->npersons; i++) {
                const ViewPerson *p = &v->persons[i];
                char a[VIEW_TEXT_MAX], b[VIEW_TEXT_MAX];
                text_fold(by == PSORT_NAME ? p->name : p->delegation, a, sizeof a);
                text_fold(by == PSORT_NAME ? p->delegation : p->name, b, sizeof b);
                xsnprintf(k[i].key, sizeof k[i].key, "%s%c%s", a, 1, b);
                k[i].i = i;
        }
        qsort(k, v->npersons, sizeof *k, cmp_person_keys);
        ViewPerson *sorted = xcalloc(v->npersons, sizeof *sorted);
        for (size_t i = 0; i < v->npersons; i++)
                sorted[i] = v->persons[k[i].i];
        memcpy(v->persons, sorted, v->npersons * sizeof *sorted);
        free(sorted);
        free(k);
}

/* Keep the people whose name or delegation holds the filter (folded, as the
 * table's filter). */
static void filter_people(View *v, const char *filter)
{
        char ffold[VIEW_TEXT_MAX], fold[VIEW_TEXT_MAX];
        v->panel_total = v->npersons;
        if (!filter || !*filter)
                return;
        text_fold(filter, ffold, sizeof ffold);
        size_t n = 0;
        for (size_t i = 0; i < v->npersons; i++) {
                const ViewPerson *p = &v->persons[i];
                text_fold(p->name, fold, sizeof fold);
                int keep = strstr(fold, ffold) != NULL;
                if (!keep) {
                        text_fold(p->delegation, fold, sizeof fold);
                        keep = strstr(fold, ffold) != NULL;
                }
                if (keep)
                        v->persons[n++] = *p;
        }
        v->npersons = n;
}

static void build_panel(View *v, const State *s, const Meeting *mt, const ViewOpts *o)
{
        v->npersons = 0;
        switch (v->panel) {
        case PANEL_UNIDENTIFIED:
        case PANEL_WAITING: {
                PanelCollect c = {v, v->panel == PANEL_UNIDENTIFIED, NULL, NULL};
                Meeting_each_person(mt, v->panel == PANEL_WAITING ? PEOPLE_WAITING : PEOPLE_IN,
                                    panel_person, &c);
                qsort(v->persons, v->npersons, sizeof *v->persons, cmp_people);
                break;
        }
        case PANEL_DELEGATION: {
                char d[VIEW_TEXT_MAX];
                view_sanitize(o->panel_delegation ? o->panel_delegation : "", d, sizeof d);
                xsnprintf(v->panel_title, sizeof v->panel_title, "Delegation %s", d);
                PanelCollect c = {v, 0, d, ""};
                Meeting_each_person(mt, PEOPLE_IN, panel_person, &c);
                c.note = "waiting room";
                Meeting_each_person(mt, PEOPLE_WAITING, panel_person, &c);
                qsort(v->persons, v->npersons, sizeof *v->persons, cmp_people);
                break;
        }
        case PANEL_VIDEO: {
                size_t n = State_video_on(s, mt, NULL, 0);
                VideoOn *on = xcalloc(n ? n : 1, sizeof *on);
                n = State_video_on(s, mt, on, n);
                for (size_t i = 0; i < n; i++)
                        person_set(person_add(v), on[i].name, on[i].delegation, on[i].since);
                free(on);
                break; /* already oldest first */
        }
        case PANEL_FAILURES:
                for (size_t i = State_failure_count(s); i > 0; i--) {
                        const JoinFailure *f = State_failure(s, i - 1);
                        if (f->meeting != mt || f->cancelled)
                                continue;
                        ViewPerson *p = person_add(v);
                        person_set(p, f->name, f->delegation, f->time);
                        view_sanitize(f->reason, p->reason, sizeof p->reason);
                }
                break;
        default:
                break;
        }
        filter_people(v, o->panel_filter);
        sort_people(v, v->panel_sort);
}

/* The header's "last confirmed by Zoom" (docs/dashboard.md): "Zoom list
 * 12:41:07Z +2/-1" (no Z outside UTC). */
static void build_confirmed(View *v, const Meeting *mt, const ViewOpts *o)
{
        char t[16], text[VIEW_TEXT_MAX];
        if (o->zoom_off) {
                xsnprintf(text, sizeof text, "Zoom list off: %s", o->zoom_off);
                view_sanitize(text, v->confirmed, sizeof v->confirmed);
        } else if (mt->reconciles > 0) {
                TimeZone_format(&v->tz, mt->reconciled_at, TZF_HMS, t, sizeof t);
                xsnprintf(v->confirmed, sizeof v->confirmed, "Zoom list %s%s +%d/-%d", t,
                          v->tz.shown == TZ_UTC ? "Z" : "", mt->reconcile_opened,
                          mt->reconcile_closed);
        }
}

/* Where the video count comes from, and whether it is whole (docs/semantics.md
 * §3 Counts): "rtms", "qos estimate", "rtms, known since 14:05". */
static void view_video_note(View *v, const Meeting *mt)
{
        v->video_note[0] = 0;
        if (!mt->video_known || !mt->video_source)
                return;
        const char *est = mt->video_estimate ? " estimate" : "";
        if (mt->video_since == TIME_NONE) {
                xsnprintf(v->video_note, sizeof v->video_note, "%s%s", mt->video_source, est);
                return;
        }
        char t[16];
        TimeZone_format(&v->tz, mt->video_since, TZF_HM, t, sizeof t);
        xsnprintf(v->video_note, sizeof v->video_note, "%s%s, known since %s", mt->video_source,
                  est, t);
}

/* The clock and the times of the panes in the zone shown (docs/dashboard.md). */
static void build_times(View *v, const State *s, const ViewOpts *o)
{
        v->stale[0] = 0;
        if (o->stale && o->as_of == TIME_NONE) {
                xsnprintf(v->stale, sizeof v->stale, "STALE: never connected");
        } else if (o->stale) {
                char t[48];
                TimeZone_format(&v->tz, o->as_of, TZF_HMS, t, sizeof t);
                xsnprintf(v->stale, sizeof v->stale, "STALE as of %s", t);
        }
        v->clock[0] = 0;
        if (State_clock(s) != TIME_NONE) {
                char t[48];
                TimeZone_format(&v->tz, State_clock(s), TZF_CLOCK, t, sizeof t);
                xsnprintf(v->clock, sizeof v->clock, "%s%s%s%s", t, v->tz.fallback[0] ? " (" : "",
                          v->tz.fallback, v->tz.fallback[0] ? ")" : "");
        }
        for (size_t i = 0; i < v->nalerts; i++)
                TimeZone_format(&v->tz, v->alerts[i].since, TZF_HMS, v->alerts[i].at,
                                sizeof v->alerts[i].at);
        for (size_t i = 0; i < v->nfailures; i++)
                TimeZone_format(&v->tz, v->failures[i].time, TZF_HMS, v->failures[i].at,
                                sizeof v->failures[i].at);
        for (size_t i = 0; i < v->npersons; i++)
                TimeZone_format(&v->tz, v->persons[i].since, TZF_HMS, v->persons[i].at,
                                sizeof v->persons[i].at);
}

void View_build(View *v, const Monitor *m, const ViewOpts *o)
{
        const State *s = Monitor_state(m);
        const Alerts *al = Monitor_alerts_const(m);
        v->sort = o->sort < SORT_COUNT ? o->sort : SORT_NAME;
        view_sanitize(o->filter ? o->filter : "", v->filter, sizeof v->filter);
        view_sanitize(o->feed ? o->feed : "", v->feed, sizeof v->feed);
        v->feed_level = o->feed_level;
        v->nmeetings = State_meeting_count(s);
        v->has_meeting = v->nmeetings > 0;
        v->nrows = v->ndelegations = v->nalerts = v->nfiring = v->nfailures = v->npersons = 0;
        v->panel = o->panel < PANEL_COUNT ? o->panel : PANEL_NONE;
        xsnprintf(v->panel_title, sizeof v->panel_title, "%s", VIEW_PANEL_NAMES[v->panel]);
        view_sanitize(o->panel_filter ? o->panel_filter : "", v->panel_filter,
                      sizeof v->panel_filter);
        v->panel_sort = o->panel_sort < PSORT_COUNT ? o->panel_sort : PSORT_SINCE;
        v->panel_total = 0;
        memset(&v->cap, 0, sizeof v->cap);
        memset(&v->video, 0, sizeof v->video);
        v->video_note[0] = 0;
        v->topic[0] = v->id[0] = v->confirmed[0] = 0;
        v->full = v->people = v->waiting = v->unidentified = v->join_failures = 0;
        if (!v->has_meeting) {
                v->meeting = 0;
                v->status = "waiting for events";
                TimeZone_begin(&v->tz, o->tz, NULL);
                build_times(v, s, o);
                TimeZone_end(&v->tz);
                return;
        }
        v->meeting = o->meeting % v->nmeetings;
        const Meeting *mt = State_meeting(s, v->meeting);
        TimeZone_begin(&v->tz, o->tz, mt->timezone);
        view_sanitize(mt->topic ? mt->topic : "(no topic)", v->topic, sizeof v->topic);
        view_sanitize(mt->id ? mt->id : mt->uuid, v->id, sizeof v->id);
        build_confirmed(v, mt, o);
        v->status = mt->ended ? "ended" : "live";
        v->cap.known = 1;
        v->cap.value = mt->participants;
        v->cap.limit = mt->capacity;
        v->cap.peak = mt->peak_participants;
        v->cap.level = view_alert_level(al, RULE_CAPACITY, mt->uuid);
        v->cap.stale = v->video.stale = o->stale;
        v->video.known = mt->video_known;
        v->video.value = mt->video_on;
        v->video.limit = mt->video_limit;
        v->video.peak = mt->peak_video_on;
        v->video.level = mt->video_known ? view_alert_level(al, RULE_VIDEO, mt->uuid) : SEV_NONE;
        view_video_note(v, mt);
        History_read(&mt->history, State_clock(s), HIST_PARTICIPANTS, v->cap.history);
        History_read(&mt->history, State_clock(s), HIST_VIDEO, v->video.history);
        v->full = !mt->ended && mt->participants >= mt->capacity;
        v->people = mt->people;
        v->waiting = mt->waiting;
        v->unidentified = mt->unidentified;
        v->join_failures = mt->join_failures;
        build_rows(v, mt, o->filter, State_clock(s));
        build_alerts(v, al, mt->uuid);
        build_failures(v, s, mt);
        build_panel(v, s, mt, o);
        build_times(v, s, o);
        TimeZone_end(&v->tz);
}

/* ---- layout ---- */

static Rect rect(int y, int x, int h, int w)
{
        Rect r = {y, x, h, w};
        return r;
}

static void table_columns(Layout *lay)
{
        /* mark(2) name participants(6) tag(5); optional columns while the name keeps 16 */
        static const struct {
                unsigned col;
                int w;
        } opt[] = {{COL_VIDEO, 7}, {COL_PEAK, 6}, {COL_QUOTA, 7}};
        lay->table_sets = lay->mode == VIEW_FULL && lay->table.w >= 2 * VIEW_SET_MIN + 1 ? 2 : 1;
        lay->set_width = lay->table_sets == 2 ? (lay->table.w - 1) / 2 : lay->table.w;
        int w = lay->set_width;
        int used = 2 + 6 + 5;
        lay->table_cols = 0;
        for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
                if (w - used - opt[i].w >= 16) {
                        lay->table_cols |= opt[i].col;
                        used += opt[i].w;
                }
        }
        lay->name_width = w - used;
        if (lay->name_width < 1)
                lay->name_width = 1;
        if (lay->name_width > 40)
                lay->name_width = 40;
}

void View_layout(Layout *lay, int rows, int cols)
{
        memset(lay, 0, sizeof *lay);
        lay->rows = rows;
        lay->cols = cols;
        if (rows < VIEW_MIN_ROWS || cols < VIEW_MIN_COLS) {
                lay->mode = VIEW_TOO_SMALL;
                return;
        }
        if (rows < VIEW_REDUCED_ROWS || cols < VIEW_REDUCED_COLS) {
                lay->mode = VIEW_MINIMAL;
                return;
        }
        lay->footer = rect(rows - 1, 0, 1, cols);
        if (rows >= VIEW_FULL_ROWS && cols >= VIEW_FULL_COLS) {
                lay->mode = VIEW_FULL;
                lay->header = rect(0, 0, 2, cols);
                lay->gauges = rect(2, 0, 2, cols);
                int y = 5, h = rows - 1 - y;
                if (cols >= 110) {
                        int right = cols / 2;
                        if (right > 70)
                                right = 70;
                        lay->table = rect(y, 0, h, cols - right - 1);
                        lay->alerts = rect(y, cols - right, h / 2, right);
                        lay->failures = rect(y + h / 2, cols - right, h - h / 2, right);
                } else {
                        /* the table keeps its title, heads and VIEW_TABLE_MIN rows; the
                         * spacer line and the panes below give way first */
                        int fh = 5, ah = 6;
                        if (h - fh - ah < VIEW_TABLE_MIN + 2) {
                                y = 4;
                                h = rows - 1 - y;
                                int rest = h - (VIEW_TABLE_MIN + 2);
                                ah = rest - rest / 2;
                                fh = rest / 2;
                        }
                        lay->table = rect(y, 0, h - fh - ah, cols);
                        lay->alerts = rect(y + h - fh - ah, 0, ah, cols);
                        lay->failures = rect(y + h - fh, 0, fh, cols);
                }
        } else {
                lay->mode = VIEW_REDUCED;
                int hh = rows >= 20 ? 2 : 1; /* the counts line needs the room */
                lay->header = rect(0, 0, hh, cols);
                lay->gauges = rect(hh, 0, 2, cols);
                int y = hh + 2, h = rows - 1 - y;
                int ah = rows >= 20 ? 4 : 1;
                lay->table = rect(y, 0, h - ah, cols);
                lay->alerts = rect(y + h - ah, 0, ah, cols);
        }
        table_columns(lay);
}
