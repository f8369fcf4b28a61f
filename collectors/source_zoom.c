/* `zoom` source: a Zoom WebSocket event subscription (zoom-protocol §2).
 *
 * Server-to-Server OAuth token (account_credentials grant, Basic auth), then
 * wss://ws.zoom.us/ws?subscriptionId=..&access_token=..; {"module":"heartbeat"}
 * every 30 s; {"module":"message"} envelopes unwrapped. A fresh token is fetched
 * before the current one expires and before every reconnect. Zoom replays
 * nothing, so every disconnection raises `feed` until the stream is back. */
#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "live.h"
#include "util.h"
#include "wsutil.h"

#define ZOOM_OAUTH_URL "https://zoom.us/oauth/token"
#define ZOOM_WS_URL    "wss://ws.zoom.us/ws"
#define ZOOM_HB_MS     30000
#define TOKEN_BODY_MAX 65536
/* A connection that lasted this long resets the backoff; one that Zoom drops
 * sooner does not, so that a flapping connection backs off too. */
#define ZOOM_STABLE_US 10000000

typedef struct ZoomSource {
        Source base;
        Live *lv;
        int id;
        char *account, *client_id, *client_secret, *subscription;
        WsUrl oauth, ws;
        char *basic; /* "Basic base64(id:secret)" */
        char *token; /* current access token */
        int64_t token_expiry_us, token_life_us;
        struct lws *http_wsi, *ws_wsi;
        int http_status;
        char *http_body;
        size_t http_len;
        int http_done;
        int want_ws; /* connect the WebSocket once a token is there */
        int hb_due;  /* a heartbeat waits for WRITEABLE */
        int64_t hb_ms;
        unsigned tries;
        int64_t up_us; /* when the WebSocket was established (0: not up) */
        LoopTimer *hb, *refresh, *retry;
        WsMsg msg;
        int freeing;
} ZoomSource;

static void fetch_token(ZoomSource *s);
static void ws_open(ZoomSource *s);

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
        ZoomSource *s = ud;
        s->want_ws = 1;
        fetch_token(s); /* a fresh token at every reconnect */
}

static void on_refresh(void *ud)
{
        ZoomSource *s = ud;
        if (!s->http_wsi)
                fetch_token(s);
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

static void token_result(ZoomSource *s)
{
        json_t *root = NULL;
        const char *tok = NULL;
        json_int_t expires = 0;
        if (s->http_status == 200 && s->http_body)
                root = json_loadb(s->http_body, s->http_len, 0, NULL);
        tok = json_string_value(json_object_get(root, "access_token"));
        expires = json_integer_value(json_object_get(root, "expires_in"));
        if (!tok) {
                const char *why = json_string_value(json_object_get(root, "reason"));
                Live_logf(s->lv, "zoom: token request failed: HTTP %d%s%s", s->http_status,
                          why ? ": " : "", why ? why : "");
                json_decref(root);
                if (!s->ws_wsi)
                        Live_connected(s->lv, s->id, 0);
                retry_later(s);
                return;
        }
        free(s->token);
        s->token = xstrdup(tok);
        if (expires <= 0)
                expires = 3600;
        /* renew at 80 % of the lifetime, at most 5 min before expiry */
        int64_t life_us = (int64_t)expires * 1000000;
        int64_t early = life_us / 5 < 300000000 ? life_us / 5 : 300000000;
        s->token_expiry_us = Loop_now_us() + life_us;
        s->token_life_us = life_us;
        Loop_timer_start(s->refresh, life_us - early);
        Live_logf(s->lv, "zoom: got an access token (expires in %lld s)", (long long)expires);
        json_decref(root);
        if (s->want_ws && !s->ws_wsi)
                ws_open(s);
}

static int callback_zoom(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
        ZoomSource *s = user;
        if (!s)
                return lws_callback_http_dummy(wsi, reason, user, in, len);
        switch (reason) {
        /* ---- the OAuth token request ---- */
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
                unsigned char **p = (unsigned char **)in, *end = (*p) + len;
                if (wsi != s->http_wsi)
                        return 0;
                if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                                 (unsigned char *)s->basic, (int)strlen(s->basic),
                                                 p, end) ||
                    lws_add_http_header_by_token(
                        wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                        (unsigned char *)"application/x-www-form-urlencoded", 33, p, end) ||
                    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                                 (unsigned char *)"0", 1, p, end))
                        return -1;
                return 0;
        }
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
                s->http_status = (int)lws_http_client_http_response(wsi);
                return 0;
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
                if (s->http_len + len > TOKEN_BODY_MAX)
                        return -1;
                s->http_body = xrealloc(s->http_body, s->http_len + len + 1);
                memcpy(s->http_body + s->http_len, in, len);
                s->http_len += len;
                s->http_body[s->http_len] = '\0';
                return 0;
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
                char buf[LWS_PRE + 2048], *px = buf + LWS_PRE;
                int lenx = (int)sizeof buf - LWS_PRE;
                if (lws_http_client_read(wsi, &px, &lenx) < 0)
                        return -1;
                return 0;
        }
        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
                if (wsi == s->http_wsi && !s->http_done) {
                        s->http_done = 1;
                        s->http_wsi = NULL;
                        token_result(s);
                }
                return 0;
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
                if (wsi == s->http_wsi) {
                        s->http_wsi = NULL;
                        if (!s->http_done) {
                                s->http_done = 1;
                                if (!s->http_status)
                                        s->http_status = -1;
                                token_result(s);
                        }
                }
                return 0;
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
                if (wsi == s->http_wsi) {
                        Live_logf(s->lv, "zoom: token request failed: %s",
                                  in ? (const char *)in : "connection error");
                        s->http_wsi = NULL;
                        s->http_done = 1;
                        Live_connected(s->lv, s->id, 0);
                        retry_later(s);
                        return 0;
                }
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

static int connect_to(ZoomSource *s, const WsUrl *u, const char *path, const char *method,
                      struct lws **pwsi)
{
        struct lws_vhost *vh = ws_vhost(Live_loop(s->lv), "capmon-zoom", zoom_protocols);
        int tls = strcmp(u->scheme, "https") == 0 || strcmp(u->scheme, "wss") == 0;
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = Loop_lws(Live_loop(s->lv));
        i.vhost = vh;
        i.address = u->host;
        i.port = u->port ? u->port : (tls ? 443 : 80);
        i.path = path;
        i.host = u->host;
        i.origin = u->host;
        i.method = method;
        i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
        i.local_protocol_name = "capmon-zoom";
        i.userdata = s;
        i.pwsi = pwsi;
        if (!method)
                i.retry_and_idle_policy = &zoom_idle;
        return vh && lws_client_connect_via_info(&i) ? 0 : -1;
}

static void fetch_token(ZoomSource *s)
{
        if (s->http_wsi || s->freeing)
                return;
        char path[1024];
        xsnprintf(path, sizeof path, "%s?grant_type=account_credentials&account_id=%s",
                  s->oauth.path[0] ? s->oauth.path : "/", s->account);
        free(s->http_body);
        s->http_body = NULL;
        s->http_len = 0;
        s->http_status = 0;
        s->http_done = 0;
        if (connect_to(s, &s->oauth, path, "POST", &s->http_wsi)) {
                s->http_wsi = NULL;
                Live_logf(s->lv, "zoom: cannot start the token request");
                Live_connected(s->lv, s->id, 0);
                retry_later(s);
        }
}

static void ws_open(ZoomSource *s)
{
        char path[4096];
        s->want_ws = 0;
        int64_t margin = s->token_life_us / 4 < 5000000 ? s->token_life_us / 4 : 5000000;
        if (s->token_expiry_us && Loop_now_us() > s->token_expiry_us - margin) {
                s->want_ws = 1; /* about to expire: get a new one first */
                fetch_token(s);
                return;
        }
        xsnprintf(path, sizeof path, "%s?subscriptionId=%s&access_token=%s",
                  s->ws.path[0] ? s->ws.path : "/ws", s->subscription, s->token);
        if (connect_to(s, &s->ws, path, NULL, &s->ws_wsi)) {
                s->ws_wsi = NULL;
                Live_connected(s->lv, s->id, 0);
                retry_later(s);
        }
}

static void zoom_free(Source *base)
{
        ZoomSource *s = (ZoomSource *)base;
        s->freeing = 1;
        if (s->ws_wsi) {
                lws_set_wsi_user(s->ws_wsi, NULL);
                lws_set_timeout(s->ws_wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
        }
        if (s->http_wsi) {
                lws_set_wsi_user(s->http_wsi, NULL);
                lws_set_timeout(s->http_wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
        }
        Loop_timer_free(s->hb);
        Loop_timer_free(s->refresh);
        Loop_timer_free(s->retry);
        WsMsg_done(&s->msg);
        ws_url_done(&s->oauth);
        ws_url_done(&s->ws);
        free(s->account);
        free(s->client_id);
        free(s->client_secret);
        free(s->subscription);
        free(s->basic);
        free(s->token);
        free(s->http_body);
        free(s);
}

static char *env_need(const char *name, char *missing, size_t len)
{
        const char *v = getenv(name);
        if (v && *v)
                return xstrdup(v);
        size_t n = strlen(missing);
        xsnprintf(missing + n, len - n, "%s%s", n ? ", " : "", name);
        return NULL;
}

Source *Source_zoom_new(Live *lv, char *err, size_t errlen)
{
        ZoomSource *s = xcalloc(1, sizeof *s);
        s->base.free = zoom_free;
        s->lv = lv;
        char missing[200] = "";
        s->account = env_need("ZOOM_ACCOUNT_ID", missing, sizeof missing);
        s->client_id = env_need("ZOOM_CLIENT_ID", missing, sizeof missing);
        s->client_secret = env_need("ZOOM_CLIENT_SECRET", missing, sizeof missing);
        s->subscription = env_need("ZOOM_SUBSCRIPTION_ID", missing, sizeof missing);
        if (missing[0]) {
                xsnprintf(err, errlen, "zoom: missing environment: %s", missing);
                zoom_free(&s->base);
                return NULL;
        }
        const char *ou = getenv("CAPMON_ZOOM_OAUTH_URL"), *wu = getenv("CAPMON_ZOOM_WS_URL");
        if (ws_url_parse(ou && *ou ? ou : ZOOM_OAUTH_URL, &s->oauth, err, errlen) ||
            ws_url_parse(wu && *wu ? wu : ZOOM_WS_URL, &s->ws, err, errlen)) {
                zoom_free(&s->base);
                return NULL;
        }
        const char *hb = getenv("CAPMON_ZOOM_HEARTBEAT_MS");
        int64_t v;
        s->hb_ms = hb && !parse_int64(hb, &v) && v >= 10 ? v : ZOOM_HB_MS;
        size_t cn = strlen(s->client_id) + strlen(s->client_secret) + 2;
        char *cred = xmalloc(cn);
        xsnprintf(cred, cn, "%s:%s", s->client_id, s->client_secret);
        size_t bn = cn * 4 / 3 + 16;
        s->basic = xmalloc(bn + 6);
        memcpy(s->basic, "Basic ", 6);
        int b = lws_b64_encode_string(cred, (int)strlen(cred), s->basic + 6, (int)bn);
        OPENSSL_cleanse(cred, cn);
        free(cred);
        if (b < 0) {
                xsnprintf(err, errlen, "zoom: credentials too long");
                zoom_free(&s->base);
                return NULL;
        }
        WsMsg_init(&s->msg, LOG_LINE_MAX);
        s->id = Live_source_add(lv, "zoom", 1);
        if (s->id < 0) {
                xsnprintf(err, errlen, "too many sources");
                zoom_free(&s->base);
                return NULL;
        }
        Loop *loop = Live_loop(lv);
        s->hb = Loop_timer_new(loop, on_heartbeat, s);
        s->refresh = Loop_timer_new(loop, on_refresh, s);
        s->retry = Loop_timer_new(loop, on_retry, s);
        s->want_ws = 1;
        fetch_token(s);
        return &s->base;
}
