/* Zoom REST API client on the Loop: GET requests that may span pages, for the
 * Dashboard API lists capmon reads (the live participant list of reconcile.c,
 * the live QoS list of the video estimate).
 *
 * The story of one list:
 *
 *     ZoomGet *g = ZoomApi_get(api, "participants",
 *                              "/metrics/meetings/85012345678/participants?type=live&page_size=300",
 *                              "participants", on_page, on_done, me);
 *
 * 1. ZoomApi takes the account's OAuth token (zoom_token.h, shared with the
 *    `zoom` WebSocket source) and sends GET <base><path> with
 *    "Authorization: Bearer <token>". The base is https://api.zoom.us/v2, or
 *    CAPMON_ZOOM_API_URL (tests: http://127.0.0.1:PORT/v2).
 * 2. Each page that answers 200 must be a JSON object whose `items` key is an
 *    array; on_page gets it (borrowed for the call). While the page has a
 *    non-empty `next_page_token`, the next page is asked for with
 *    &next_page_token=<it> (Zoom keeps a token 15 minutes).
 * 3. on_done is called exactly once: ZAPI_OK after the last page, or the reason
 *    it stopped. Pages already delivered are then not to be used on their own:
 *    a caller that needs the whole list (reconcile) keeps them aside and uses
 *    them only on ZAPI_OK, so a list is taken whole or not at all.
 *
 * What ZoomApi handles for every caller:
 * - 401: the token is reported refused (ZoomToken_refused), a fresh one is
 *   fetched and the page asked again, once; a second 401 is ZAPI_AUTH.
 * - 429: the page is asked again after Retry-After seconds (1 s when absent),
 *   up to ZAPI_429_TRIES times and only while Retry-After is at most
 *   ZAPI_429_WAIT_MAX_S; otherwise ZAPI_RATE_LIMITED with retry_after_s set.
 * - Pacing: requests of one ZoomApi start at most ZAPI_RATE_PER_S a second
 *   (Zoom's Heavy limit is 40/s for the whole account).
 * - A daily budget (CAPMON_ZOOM_API_DAILY_BUDGET, default 10000 requests per
 *   UTC day; Zoom's is 60000 Heavy requests a day per Business account, shared):
 *   once spent, requests are not sent (ZAPI_BUDGET) until the next UTC day.
 * - 400 whose message says the Dashboard feature is missing (plan or setting):
 *   ZAPI_DISABLED, and every later request fails the same way without being sent
 *   (ZoomApi_disabled gives Zoom's message, for the dashboard and /metrics).
 * - Every answer is counted by endpoint label and HTTP code ("error" when there
 *   was none) for capmon_zoom_api_requests_total (ZoomApi_metrics).
 * One callback at a time, on the loop; a ZoomGet can be cancelled until on_done.
 */
#ifndef CAPMON_ZOOM_API_H
#define CAPMON_ZOOM_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "zoom_token.h"

#define ZOOM_API_URL        "https://api.zoom.us/v2"
#define ZAPI_429_TRIES      5
#define ZAPI_429_WAIT_MAX_S 60
#define ZAPI_RATE_PER_S     10
#define ZAPI_DAILY_BUDGET   10000
#define ZAPI_PAGE_MAX       (8 * 1024 * 1024) /* bytes of one page */
#define ZAPI_PAGES_MAX      1000              /* pages of one list */

typedef enum ZoomApiCode {
        ZAPI_OK = 0,
        ZAPI_DISABLED,     /* 400 "... Dashboard feature": this account cannot use it */
        ZAPI_BAD_REQUEST,  /* another 4xx (bad id, expired page token...) */
        ZAPI_AUTH,         /* 401 again after a fresh token, 403, or no token at all */
        ZAPI_NOT_FOUND,    /* 404: the meeting is gone (or was never live) */
        ZAPI_RATE_LIMITED, /* 429 too often or for too long: retry_after_s */
        ZAPI_BUDGET,       /* the daily budget is spent: not sent */
        ZAPI_NETWORK,      /* no answer, a timeout or a 5xx: try again with backoff */
        ZAPI_MALFORMED,    /* a page that is not JSON, or without its items array */
} ZoomApiCode;

extern const char *const ZAPI_CODE_NAMES[];

typedef struct ZoomApiResult {
        ZoomApiCode code;
        int http;              /* the last HTTP status, 0 when none */
        const char *message;   /* one line: Zoom's message or ours (never a token) */
        int64_t retry_after_s; /* ZAPI_RATE_LIMITED: when to come back, else -1 */
        int pages;             /* pages delivered */
        int requests;          /* requests sent for this list */
} ZoomApiResult;

/* A page that answered 200 (page: the whole document; items: its array). To
 * stop early, call ZoomGet_cancel from here. */
typedef void (*ZoomPageFn)(void *ud, json_t *page, json_t *items);
/* Or the page's text itself (len bytes of a 200 answer), for a caller that
 * reads it its own way: 0 with *next the page's next_page_token ("" or NULL
 * when it is the last; valid until the next call), or -1 with the reason the
 * page is malformed in why (the list stops: ZAPI_MALFORMED, "page N <why>"). */
typedef int (*ZoomRawPageFn)(void *ud, const char *text, size_t len, const char **next, char *why,
                             size_t whylen);
typedef void (*ZoomDoneFn)(void *ud, const ZoomApiResult *r);
typedef void (*ZoomApiLogFn)(void *ud, const char *line);

typedef struct ZoomApi ZoomApi;
typedef struct ZoomGet ZoomGet;

/* tok is borrowed (it must outlive the ZoomApi). NULL with a message in err
 * when CAPMON_ZOOM_API_URL or CAPMON_ZOOM_API_DAILY_BUDGET is not valid. */
ZoomApi *ZoomApi_new(Loop *loop, ZoomToken *tok, ZoomApiLogFn log, void *ud, char *err,
                     size_t errlen);
/* Cancels every ZoomGet still running (their on_done is not called). NULL-safe. */
void ZoomApi_free(ZoomApi *a);

/* GET path (relative to the base URL, with its query) and every following page.
 * endpoint: the metrics label ("participants", "qos"). items: the key of the
 * array each page carries (NULL: a single object, not a list; on_page gets
 * items NULL). Never NULL: errors arrive through on_done (possibly
 * from inside this call, when the API is disabled or the budget spent). */
ZoomGet *ZoomApi_get(ZoomApi *a, const char *endpoint, const char *path, const char *items,
                     ZoomPageFn on_page, ZoomDoneFn on_done, void *ud);
/* The same, each page handed over as text (on_raw) rather than parsed. */
ZoomGet *ZoomApi_get_raw(ZoomApi *a, const char *endpoint, const char *path, ZoomRawPageFn on_raw,
                         ZoomDoneFn on_done, void *ud);
/* Stop a list before on_done: nothing more is called. NULL-safe. */
void ZoomGet_cancel(ZoomGet *g);

/* A meeting's id for a path: a numeric id as it is; a uuid URL-encoded, twice
 * when it begins with '/' or contains "//" (as Zoom documents). */
void ZoomApi_meeting_path_id(const char *meeting, char *out, size_t len);

/* Zoom's message when it said the Dashboard feature is missing, else NULL. */
const char *ZoomApi_disabled(const ZoomApi *a);
/* Requests sent today (UTC) and the budget. */
int64_t ZoomApi_spent_today(const ZoomApi *a);
int64_t ZoomApi_budget(const ZoomApi *a);

/* capmon_zoom_api_requests_total{endpoint,code}, capmon_zoom_api_budget_remaining
 * and capmon_zoom_api_disabled. */
struct Prom;
void ZoomApi_metrics(const ZoomApi *a, struct Prom *p);

#endif
