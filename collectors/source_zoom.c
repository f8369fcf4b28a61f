/* `zoom` source: a Zoom WebSocket event subscription (zoom-protocol §2).
 *
 * Server-to-Server OAuth token (the Live's shared ZoomToken, zoom_token.h), then
 * wss://ws.zoom.us/ws?subscriptionId=..&access_token=..; {"module":"heartbeat"}
 * every 30 s; {"module":"message"} envelopes unwrapped. A fresh token is fetched
 * before every reconnect (the token module renews it before expiry). Zoom
 * replays nothing, so every disconnection raises `feed` until the stream is
 * back, and a reconciler (reconcile.h) hears of each connection to ask Zoom's
 * live list for what was lost. */
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "live.h"
#include "rtms.h"
#include "util.h"
#include "wsutil.h"
#include "zoom_token.h"

#define ZOOM_WS_URL "wss://ws.zoom.us/ws"
#define ZOOM_HB_MS  30000
/* A connection that lasted this long resets the backoff; one that Zoom drops
 * sooner does not, so that a flapping connection backs off too. */
#define ZOOM_STABLE_US 10000000

typedef struct ZoomSource {
        Source base;
        Live *lv;
        int id;
        char *subscription;
        WsUrl ws;
        ZoomToken *tok;         /* the Live's, shared */
        ZoomTokenWait *tokwait; /* a token being fetched for the next connection */
        struct lws *ws_wsi;
        int hb_due; /* a heartbeat waits for WRITEABLE */
        int64_t hb_ms;
        unsigned tries;
        int64_t up_us; /* when the WebSocket was established (0: not up) */
        LoopTimer *hb, *retry;
        WsMsg msg;
        int freeing;
} ZoomSource;

static void fetch_token(ZoomSource *s, int fresh);
static int connect_ws(ZoomSource *s, const char *path);

static void retry_later(ZoomSource *s)
{
        if (s->freeing)
                return;
        if (!s->ws_wsi) { /* the WebSocket went down (not a token renewal failing) */
                if (s->up_us && Loop_now_us() - s->up_us >= ZOOM_STABLE_US)
                        s->tries = 0;
                s->up_us = 0;
        }
        int64_t us = ws_backoff_us(s->tries++);
        Live_logf(s->lv, "zoom: retrying in %.1f s", (double)us / 1e6);
        Loop_timer_start(s->retry, us);
}

static void on_retry(void *ud)
{
        fetch_token(ud, 1); /* a fresh token at every reconnect */
}

static void on_heartbeat(void *ud)
{
        ZoomSource *s = ud;
        if (!s->ws_wsi)
                return;
        s->hb_due = 1;
        lws_callback_on_writable(s->ws_wsi);
        Loop_timer_start(s->hb, s->hb_ms * 1000);
}

static void ws_open(ZoomSource *s, const char *token)
{
        char path[4096];
        xsnprintf(path, sizeof path, "%s?subscriptionId=%s&access_token=%s",
                  s->ws.path[0] ? s->ws.path : "/ws", s->subscription, token);
        if (connect_ws(s, path)) {
                s->ws_wsi = NULL;
                Live_connected(s->lv, s->id, 0);
                retry_later(s);
        }
}

static void on_token(void *ud, const char *token, const char *error)
{
        ZoomSource *s = ud;
        s->tokwait = NULL;
        if (!token) {
                (void)error; /* the token module logged it */
                if (!s->ws_wsi)
                        Live_connected(s->lv, s->id, 0);
                retry_later(s);
                return;
        }
        if (!s->ws_wsi)
                ws_open(s, token);
}

static int callback_zoom(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
        ZoomSource *s = user;
        if (!s)
                return lws_callback_http_dummy(wsi, reason, user, in, len);
        switch (reason) {
        /* ---- the event WebSocket ---- */
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
                s->up_us = Loop_now_us();
                WsMsg_reset(&s->msg);
                Live_connected(s->lv, s->id, 1);
                Loop_timer_start(s->hb, s->hb_ms * 1000);
                return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE: {
                if (WsMsg_add(&s->msg, wsi, in, len) != WSMSG_DONE) {
                        if (s->msg.dropped) {
                                s->msg.dropped = 0;
                                Live_logf(s->lv, "zoom: message over the size limit dropped");
                                Live_count_invalid(s->lv);
                        }
                        return 0;
                }
                json_t *root = json_loadb(s->msg.buf, s->msg.len, 0, NULL);
                const char *module = json_string_value(json_object_get(root, "module"));
                int64_t seq;
                Rtms_offer(Live_rtms(s->lv), s->msg.buf, s->msg.len);
                if (module && strcmp(module, "message") == 0) {
                        json_t *c = json_object_get(root, "content");
                        if (json_is_string(c))
                                Live_message(s->lv, s->id, "zoom", json_string_value(c),
                                             json_string_length(c), &seq);
                        else if (json_is_object(c)) { /* lenient: content as an object */
                                char *text = json_dumps(c, JSON_COMPACT);
                                if (text)
                                        Live_message(s->lv, s->id, "zoom", text, strlen(text),
                                                     &seq);
                                free(text);
                        } else {
                                Live_message(s->lv, s->id, "zoom", s->msg.buf, s->msg.len, &seq);
                        }
                } else if (module && strcmp(module, "build_connection") == 0 &&
                           json_is_false(json_object_get(root, "success"))) {
                        const char *why = json_string_value(json_object_get(root, "content"));
                        Live_logf(s->lv, "zoom: connection refused: %s", why ? why : "?");
                        json_decref(root);
                        return -1; /* closes; reconnects with a fresh token */
                } else if (module) {
                        Live_alive(s->lv, s->id); /* heartbeat ack, build_connection */
                } else {
                        /* no module: let the core judge it (top-level event body) */
                        Live_message(s->lv, s->id, "zoom", s->msg.buf, s->msg.len, &seq);
                }
                json_decref(root);
                return 0;
        }
        case LWS_CALLBACK_CLIENT_WRITEABLE:
                if (s->hb_due && wsi == s->ws_wsi) {
                        static const char hb[] = "{\"module\":\"heartbeat\"}";
                        unsigned char b[LWS_PRE + sizeof hb];
                        memcpy(b + LWS_PRE, hb, sizeof hb - 1);
                        s->hb_due = 0;
                        if (lws_write(wsi, b + LWS_PRE, sizeof hb - 1, LWS_WRITE_TEXT) <
                            (int)sizeof hb - 1)
                                return -1;
                }
                return 0;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
                if (wsi != s->ws_wsi)
                        return 0;
                Live_logf(s->lv, "zoom: connection failed: %s",
                          in ? (const char *)in : "unknown error");
                /* fallthrough */
        case LWS_CALLBACK_CLIENT_CLOSED:
                if (wsi != s->ws_wsi)
                        return 0;
                s->ws_wsi = NULL;
                s->hb_due = 0;
                Loop_timer_stop(s->hb);
                Live_connected(s->lv, s->id, 0);
                retry_later(s);
                return 0;
        default:
                break;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols zoom_protocols[] = {
    {"capmon-zoom", callback_zoom, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const lws_retry_bo_t zoom_idle = {
    .secs_since_valid_ping = 45,
    .secs_since_valid_hangup = 90,
};

static int connect_ws(ZoomSource *s, const char *path)
{
        struct lws_vhost *vh = ws_vhost(Live_loop(s->lv), "capmon-zoom", zoom_protocols);
        int tls = strcmp(s->ws.scheme, "wss") == 0;
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = Loop_lws(Live_loop(s->lv));
        i.vhost = vh;
        i.address = s->ws.host;
        i.port = s->ws.port ? s->ws.port : (tls ? 443 : 80);
        i.path = path;
        i.host = s->ws.host;
        i.origin = s->ws.host;
        i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
        i.local_protocol_name = "capmon-zoom";
        i.userdata = s;
        i.pwsi = &s->ws_wsi;
        i.retry_and_idle_policy = &zoom_idle;
        return vh && lws_client_connect_via_info(&i) ? 0 : -1;
}

static void fetch_token(ZoomSource *s, int fresh)
{
        if (s->tokwait || s->freeing)
                return;
        s->tokwait = ZoomToken_get(s->tok, fresh, on_token, s);
}

static void zoom_free(Source *base)
{
        ZoomSource *s = (ZoomSource *)base;
        s->freeing = 1;
        if (s->ws_wsi) {
                lws_set_wsi_user(s->ws_wsi, NULL);
                lws_set_timeout(s->ws_wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
        }
        ZoomTokenWait_cancel(s->tokwait);
        Loop_timer_free(s->hb);
        Loop_timer_free(s->retry);
        WsMsg_done(&s->msg);
        ws_url_done(&s->ws);
        free(s->subscription);
        free(s);
}

Source *Source_zoom_new(Live *lv, char *err, size_t errlen)
{
        ZoomSource *s = xcalloc(1, sizeof *s);
        s->base.free = zoom_free;
        s->lv = lv;
        static const char *const need[] = {"ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID",
                                           "ZOOM_CLIENT_SECRET", "ZOOM_SUBSCRIPTION_ID"};
        char missing[200] = "";
        for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
                const char *v = getenv(need[k]);
                size_t n = strlen(missing);
                if (!v || !*v)
                        xsnprintf(missing + n, sizeof missing - n, "%s%s", n ? ", " : "", need[k]);
        }
        if (missing[0]) {
                xsnprintf(err, errlen, "zoom: missing environment: %s", missing);
                zoom_free(&s->base);
                return NULL;
        }
        s->subscription = xstrdup(getenv("ZOOM_SUBSCRIPTION_ID"));
        s->tok = Live_zoom_token(lv, err, errlen);
        const char *wu = getenv("CAPMON_ZOOM_WS_URL");
        if (!s->tok || ws_url_parse(wu && *wu ? wu : ZOOM_WS_URL, &s->ws, err, errlen)) {
                zoom_free(&s->base);
                return NULL;
        }
        const char *hb = getenv("CAPMON_ZOOM_HEARTBEAT_MS");
        int64_t v;
        s->hb_ms = hb && !parse_int64(hb, &v) && v >= 10 ? v : ZOOM_HB_MS;
        WsMsg_init(&s->msg, LOG_LINE_MAX);
        s->id = Live_source_add(lv, "zoom", 1);
        if (s->id < 0) {
                xsnprintf(err, errlen, "too many sources");
                zoom_free(&s->base);
                return NULL;
        }
        Loop *loop = Live_loop(lv);
        s->hb = Loop_timer_new(loop, on_heartbeat, s);
        s->retry = Loop_timer_new(loop, on_retry, s);
        fetch_token(s, 0);
        return &s->base;
}
