/* Zoom REST client (zoom_api.h): paged GETs with the shared token, 429 and
 * 401 handling, pacing, a daily budget and per-endpoint counters. */
#include "zoom_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpc.h"
#include "metrics.h"
#include "util.h"
#include "wsutil.h"

#define COUNTERS_MAX 64

const char *const ZAPI_CODE_NAMES[] = {"ok",           "disabled",      "bad request",
                                       "unauthorized", "not found",     "rate limited",
                                       "budget spent", "network error", "malformed page"};

typedef struct Counter {
        char endpoint[24];
        char code[8];
        uint64_t n;
} Counter;

struct ZoomGet {
        ZoomApi *a;
        ZoomGet *next;
        char endpoint[24];
        char *path, *items, *page_token, *token;
        ZoomPageFn on_page;
        ZoomRawPageFn on_raw;
        ZoomDoneFn on_done;
        void *ud;
        Httpc *req;
        ZoomTokenWait *tw;
        LoopTimer *timer;
        int tries429, renewed, pages, requests, http;
        int in_page, cancelled;
        int in_token, freed_in_token; /* ZoomToken_get may answer at once */
};

struct ZoomApi {
        Loop *loop;
        ZoomToken *tok;
        ZoomApiLogFn log;
        void *log_ud;
        char *base;
        int64_t budget, spent, day;
        int64_t next_slot_us;
        char *disabled;
        Counter counters[COUNTERS_MAX];
        size_t ncounters;
        ZoomGet *gets;
};

/* RFC 3986 percent-encoding of everything but the unreserved characters;
 * cut (still well-formed) when out is too small. */
static void url_encode(const char *in, char *out, size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;
        for (const unsigned char *c = (const unsigned char *)in; *c; c++) {
                int plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                            (*c >= '0' && *c <= '9') || strchr("-._~", *c);
                if (o + (plain ? 1 : 3) >= len)
                        break;
                if (plain) {
                        out[o++] = (char)*c;
                } else {
                        out[o++] = '%';
                        out[o++] = hex[*c >> 4];
                        out[o++] = hex[*c & 15];
                }
        }
        if (len)
                out[o] = '\0';
}

static int64_t utc_day(void)
{
        return (int64_t)time(NULL) / 86400;
}

static void count(ZoomApi *a, const char *endpoint, int status)
{
        char code[8];
        if (status)
                xsnprintf(code, sizeof code, "%d", status);
        else
                xsnprintf(code, sizeof code, "error");
        for (size_t i = 0; i < a->ncounters; i++) {
                Counter *c = &a->counters[i];
                if (strcmp(c->endpoint, endpoint) == 0 && strcmp(c->code, code) == 0) {
                        c->n++;
                        return;
                }
        }
        if (a->ncounters == COUNTERS_MAX)
                return;
        Counter *c = &a->counters[a->ncounters++];
        xsnprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
        xsnprintf(c->code, sizeof c->code, "%s", code);
        c->n = 1;
}

static void get_free(ZoomGet *g)
{
        for (ZoomGet **p = &g->a->gets; *p; p = &(*p)->next) {
                if (*p == g) {
                        *p = g->next;
                        break;
                }
        }
        Httpc_cancel(g->req);
        ZoomTokenWait_cancel(g->tw);
        Loop_timer_free(g->timer);
        free(g->path);
        free(g->items);
        free(g->page_token);
        free(g->token);
        free(g);
}

static void done(ZoomGet *g, ZoomApiCode code, const char *message, int64_t retry_after)
{
        ZoomApiResult r;
        memset(&r, 0, sizeof r);
        r.code = code;
        r.http = g->http;
        r.message = message ? message : ZAPI_CODE_NAMES[code];
        r.retry_after_s = retry_after;
        r.pages = g->pages;
        r.requests = g->requests;
        ZoomDoneFn fn = g->on_done;
        void *ud = g->ud;
        if (g->in_token) /* inside send_page's ZoomToken_get: it frees g after */
                g->freed_in_token = 1;
        else
                get_free(g);
        fn(ud, &r);
}

/* Zoom's error message of a body ({"code": N, "message": "..."}), sanitised. */
static char *zoom_message(const HttpcResp *r)
{
        json_t *root = json_loadb(r->body, r->len, 0, NULL);
        const char *m = json_string_value(json_object_get(root, "message"));
        char buf[64];
        if (!m) {
                xsnprintf(buf, sizeof buf, "HTTP %d", r->status);
                m = buf;
        }
        char *out = text_sanitize(m, 200);
        json_decref(root);
        return out;
}

static void send_page(void *ud);

/* A page for an on_raw caller; 0, or -1 when the list ended (g done or freed). */
static int raw_page(ZoomGet *g, const HttpcResp *r, const char **tok)
{
        char why[256], reason[200];
        *tok = NULL;
        g->in_page = 1;
        int rc = g->on_raw(g->ud, r->body, r->len, tok, reason, sizeof reason);
        g->in_page = 0;
        if (g->cancelled) {
                get_free(g);
                return -1;
        }
        if (rc) {
                xsnprintf(why, sizeof why, "page %d %s", g->pages + 1, reason);
                done(g, ZAPI_MALFORMED, why, -1);
                return -1;
        }
        g->pages++;
        return 0;
}

/* After a page: the next one, or the end of the list. */
static void page_done(ZoomGet *g, const char *tok)
{
        int more = tok && *tok;
        if (g->cancelled || !more || g->pages >= ZAPI_PAGES_MAX) {
                if (g->cancelled)
                        get_free(g);
                else if (more)
                        done(g, ZAPI_MALFORMED, "more pages than capmon reads", -1);
                else
                        done(g, ZAPI_OK, NULL, -1);
                return;
        }
        free(g->page_token);
        g->page_token = xstrdup(tok);
        g->tries429 = 0;
        Loop_timer_start(g->timer, 0);
}

static void on_page(ZoomGet *g, const HttpcResp *r)
{
        json_error_t jerr;
        char why[256];
        if (g->on_raw) {
                const char *tok;
                if (raw_page(g, r, &tok) == 0)
                        page_done(g, tok);
                return;
        }
        json_t *root = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
        json_t *items = g->items ? json_object_get(root, g->items) : NULL;
        json_t *next = json_object_get(root, "next_page_token");
        if (!root || !json_is_object(root) || (g->items && !json_is_array(items)) ||
            (next && !json_is_string(next))) {
                if (!root)
                        xsnprintf(why, sizeof why, "page %d is not JSON: %s", g->pages + 1,
                                  jerr.text);
                else
                        xsnprintf(why, sizeof why, "page %d has no \"%s\" array", g->pages + 1,
                                  g->items);
                json_decref(root);
                done(g, ZAPI_MALFORMED, why, -1);
                return;
        }
        g->pages++;
        g->in_page = 1;
        g->on_page(g->ud, root, items);
        g->in_page = 0;
        char *tok = json_string_value(next) ? xstrdup(json_string_value(next)) : NULL;
        json_decref(root);
        page_done(g, tok);
        free(tok);
}

static void on_resp(void *ud, const HttpcResp *r)
{
        ZoomGet *g = ud;
        ZoomApi *a = g->a;
        g->req = NULL;
        g->http = r->status;
        count(a, g->endpoint, r->status);
        if (r->status == 200) {
                on_page(g, r);
                return;
        }
        if (r->status == 0) {
                char why[200];
                xsnprintf(why, sizeof why, "no answer: %s", r->err ? r->err : "?");
                done(g, ZAPI_NETWORK, why, -1);
                return;
        }
        if (r->status == 401 && !g->renewed) {
                g->renewed = 1; /* once: a fresh token, the same page */
                ZoomToken_refused(a->tok, g->token);
                log_linef(a->log, a->log_ud, "zoom api: %s: token refused (401), renewing it",
                          g->endpoint);
                Loop_timer_start(g->timer, 0);
                return;
        }
        if (r->status == 429) {
                int64_t ra = r->retry_after >= 0 ? r->retry_after : 1;
                if (g->tries429 < ZAPI_429_TRIES && ra <= ZAPI_429_WAIT_MAX_S) {
                        g->tries429++;
                        log_linef(a->log, a->log_ud,
                                  "zoom api: %s: rate limited (429), again in %lld s", g->endpoint,
                                  (long long)ra);
                        Loop_timer_start(g->timer, ra * 1000000);
                        return;
                }
                done(g, ZAPI_RATE_LIMITED, "rate limited by Zoom (429)", ra);
                return;
        }
        char *msg = zoom_message(r);
        ZoomApiCode code = ZAPI_BAD_REQUEST;
        if (r->status == 400 && text_contains_ci(msg, "Dashboard feature")) {
                code = ZAPI_DISABLED;
                if (!a->disabled) {
                        a->disabled = xstrdup(msg);
                        log_linef(a->log, a->log_ud,
                                  "zoom api: Dashboard API unavailable, reconciling is off: %s",
                                  msg);
                }
        } else if (r->status == 401 || r->status == 403) {
                code = ZAPI_AUTH;
        } else if (r->status == 404) {
                code = ZAPI_NOT_FOUND;
        } else if (r->status >= 500) {
                code = ZAPI_NETWORK;
        }
        char line[300];
        xsnprintf(line, sizeof line, "HTTP %d: %s", r->status, msg);
        free(msg);
        done(g, code, line, -1);
}

static void on_token(void *ud, const char *token, const char *error)
{
        ZoomGet *g = ud;
        ZoomApi *a = g->a;
        char url[4096], auth[4200], err[256], enc[1024];
        g->tw = NULL;
        if (!token) {
                done(g, ZAPI_AUTH, error, -1);
                return;
        }
        free(g->token);
        g->token = xstrdup(token);
        url_encode(g->page_token ? g->page_token : "", enc, sizeof enc);
        xsnprintf(url, sizeof url, "%s%s%s%s%s", a->base, g->path,
                  g->page_token ? (strchr(g->path, '?') ? "&" : "?") : "",
                  g->page_token ? "next_page_token=" : "", g->page_token ? enc : "");
        xsnprintf(auth, sizeof auth, "Bearer %s", token);
        g->requests++;
        a->spent++;
        g->req =
            Httpc_request(a->loop, "GET", url, auth, ZAPI_PAGE_MAX, on_resp, g, err, sizeof err);
        if (!g->req) {
                count(a, g->endpoint, 0);
                done(g, ZAPI_NETWORK, err, -1);
        }
}

static void send_page(void *ud)
{
        ZoomGet *g = ud;
        ZoomApi *a = g->a;
        if (a->disabled) {
                done(g, ZAPI_DISABLED, a->disabled, -1);
                return;
        }
        int64_t day = utc_day();
        if (day != a->day) {
                a->day = day;
                a->spent = 0;
        }
        if (a->spent >= a->budget) {
                done(g, ZAPI_BUDGET, "the daily budget of Zoom API requests is spent", -1);
                return;
        }
        int64_t now = Loop_now_us(), gap = 1000000 / ZAPI_RATE_PER_S;
        if (now < a->next_slot_us) {
                Loop_timer_start(g->timer, a->next_slot_us - now);
                return;
        }
        a->next_slot_us = now + gap;
        /* the token may be at hand: on_token then runs (and may end g) before
         * ZoomToken_get returns */
        g->in_token = 1;
        ZoomTokenWait *tw = ZoomToken_get(a->tok, 0, on_token, g);
        g->in_token = 0;
        if (g->freed_in_token) {
                ZoomTokenWait_cancel(tw);
                g->tw = NULL;
                get_free(g);
                return;
        }
        g->tw = tw;
}

ZoomGet *ZoomApi_get(ZoomApi *a, const char *endpoint, const char *path, const char *items,
                     ZoomPageFn page, ZoomDoneFn on_done, void *ud)
{
        ZoomGet *g = xcalloc(1, sizeof *g);
        g->a = a;
        xsnprintf(g->endpoint, sizeof g->endpoint, "%s", endpoint);
        g->path = xstrdup(path);
        g->items = items ? xstrdup(items) : NULL;
        g->on_page = page;
        g->on_done = on_done;
        g->ud = ud;
        g->timer = Loop_timer_new(a->loop, send_page, g);
        g->next = a->gets;
        a->gets = g;
        Loop_timer_start(g->timer, 0); /* on_done never runs inside this call */
        return g;
}

ZoomGet *ZoomApi_get_raw(ZoomApi *a, const char *endpoint, const char *path, ZoomRawPageFn on_raw,
                         ZoomDoneFn on_done, void *ud)
{
        ZoomGet *g = ZoomApi_get(a, endpoint, path, NULL, NULL, on_done, ud);
        g->on_raw = on_raw;
        return g;
}

void ZoomGet_cancel(ZoomGet *g)
{
        if (!g)
                return;
        if (g->in_page)
                g->cancelled = 1; /* freed when on_page returns */
        else
                get_free(g);
}

void ZoomApi_meeting_path_id(const char *meeting, char *out, size_t len)
{
        int numeric = *meeting != '\0';
        for (const char *c = meeting; *c; c++)
                numeric &= *c >= '0' && *c <= '9';
        if (numeric) {
                xsnprintf(out, len, "%s", meeting);
                return;
        }
        if (meeting[0] == '/' || strstr(meeting, "//")) {
                char once[512];
                url_encode(meeting, once, sizeof once);
                url_encode(once, out, len);
        } else {
                url_encode(meeting, out, len);
        }
}

const char *ZoomApi_disabled(const ZoomApi *a)
{
        return a->disabled;
}

int64_t ZoomApi_spent_today(const ZoomApi *a)
{
        return a->day == utc_day() ? a->spent : 0;
}

int64_t ZoomApi_budget(const ZoomApi *a)
{
        return a->budget;
}

void ZoomApi_metrics(const ZoomApi *a, Prom *p)
{
        prom_family(p, "capmon_zoom_api_requests_total", "counter",
                    "Zoom REST API requests, by endpoint and HTTP status (error: no answer).");
        for (size_t i = 0; i < a->ncounters; i++) {
                const char *l[] = {"endpoint", a->counters[i].endpoint, "code", a->counters[i].code,
                                   NULL};
                prom_sample(p, "capmon_zoom_api_requests_total", l, (double)a->counters[i].n);
        }
        prom_family(p, "capmon_zoom_api_budget_remaining", "gauge",
                    "Zoom REST API requests capmon may still send today (UTC).");
        prom_sample(p, "capmon_zoom_api_budget_remaining", NULL,
                    (double)(a->budget - ZoomApi_spent_today(a)));
        prom_family(p, "capmon_zoom_api_disabled", "gauge",
                    "1 when Zoom said the Dashboard API is not available to this account "
                    "(reason: Zoom's message).");
        const char *l[] = {"reason", a->disabled ? a->disabled : "", NULL};
        prom_sample(p, "capmon_zoom_api_disabled", l, a->disabled ? 1 : 0);
}

ZoomApi *ZoomApi_new(Loop *loop, ZoomToken *tok, ZoomApiLogFn log, void *ud, char *err,
                     size_t errlen)
{
        const char *base = getenv("CAPMON_ZOOM_API_URL");
        const char *budget = getenv("CAPMON_ZOOM_API_DAILY_BUDGET");
        int64_t b = ZAPI_DAILY_BUDGET;
        if (!base || !*base)
                base = ZOOM_API_URL;
        if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) {
                xsnprintf(err, errlen, "CAPMON_ZOOM_API_URL: %s: not an http(s):// URL", base);
                return NULL;
        }
        if (budget && *budget && (parse_int64(budget, &b) || b < 1)) {
                xsnprintf(err, errlen, "CAPMON_ZOOM_API_DAILY_BUDGET: %s: not a positive number",
                          budget);
                return NULL;
        }
        ZoomApi *a = xcalloc(1, sizeof *a);
        a->loop = loop;
        a->tok = tok;
        a->log = log;
        a->log_ud = ud;
        a->base = xstrdup(base);
        size_t n = strlen(a->base);
        if (n && a->base[n - 1] == '/')
                a->base[n - 1] = '\0';
        a->budget = b;
        a->day = utc_day();
        return a;
}

void ZoomApi_free(ZoomApi *a)
{
        if (!a)
                return;
        while (a->gets)
                get_free(a->gets);
        free(a->base);
        free(a->disabled);
        free(a);
}
