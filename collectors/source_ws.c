/* ws:// / wss:// source: a capmon relay stream (SPEC §5). Reconnects with
 * exponential backoff and jitter, resumes from the last seq applied, raises
 * `feed` while disconnected and when the relay reports a gap. */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "live.h"
#include "util.h"
#include "wsutil.h"

typedef struct WsSource {
        Source base;
        Live *lv;
        int id;
        char *name;
        char *host, *path, *query; /* path without '?'; query: other parameters */
        int port, tls;
        char *auth; /* "Bearer <token>" or NULL */
        struct lws *wsi;
        LoopTimer *retry;
        unsigned tries;
        int64_t last_seq; /* -1: none yet */
        WsMsg msg;
        int freeing;
} WsSource;

static void ws_connect(void *ud);

static void schedule_retry(WsSource *s)
{
        if (s->freeing)
                return;
        int64_t us = ws_backoff_us(s->tries++);
        Live_logf(s->lv, "%s: reconnecting in %.1f s", s->name, (double)us / 1e6);
        Loop_timer_start(s->retry, us);
}

static void on_message(WsSource *s, const char *text, size_t len)
{
        json_t *root = NULL;
        if (len > 7 && memcmp(text, "{\"gap\"", 6) == 0)
                root = json_loadb(text, len, 0, NULL);
        json_t *gap = json_object_get(root, "gap");
        if (json_is_object(gap)) {
                json_int_t from = json_integer_value(json_object_get(gap, "from"));
                json_int_t to = json_integer_value(json_object_get(gap, "to"));
                Live_gap(s->lv, s->id, from, to);
                json_decref(root);
                return;
        }
        json_decref(root);
        int64_t seq;
        Live_message(s->lv, s->id, "relay", text, len, &seq);
        if (seq >= 0)
                s->last_seq = seq;
}

static int callback_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
        WsSource *s = user;
        if (!s) /* detached by Source_free */
                return lws_callback_http_dummy(wsi, reason, user, in, len);
        switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
                if (s && s->auth) {
                        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
                        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                                         (unsigned char *)s->auth,
                                                         (int)strlen(s->auth), p, end))
                                return -1;
                }
                return 0;
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
                s->tries = 0;
                WsMsg_reset(&s->msg);
                Live_connected(s->lv, s->id, 1);
                return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE:
                if (WsMsg_add(&s->msg, wsi, in, len) == WSMSG_DONE)
                        on_message(s, s->msg.buf, s->msg.len);
                if (s->msg.dropped) {
                        Live_logf(s->lv, "%s: message over %d bytes dropped", s->name,
                                  LOG_LINE_MAX);
                        Monitor_count_invalid(Live_monitor(s->lv));
                        s->msg.dropped = 0;
                }
                return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
                Live_alive(s->lv, s->id);
                return 0;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
                if (s->wsi != wsi)
                        return 0;
                Live_logf(s->lv, "%s: connection failed: %s", s->name,
                          in ? (const char *)in : "unknown error");
                s->wsi = NULL;
                Live_connected(s->lv, s->id, 0);
                schedule_retry(s);
                return 0;
        case LWS_CALLBACK_CLIENT_CLOSED:
                if (s->wsi != wsi)
                        return 0;
                s->wsi = NULL;
                Live_connected(s->lv, s->id, 0);
                schedule_retry(s);
                return 0;
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
                if (len > 2)
                        Live_logf(s->lv, "%s: closed by the relay: %.*s", s->name, (int)len - 2,
                                  (const char *)in + 2);
                return 0;
        default:
                break;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols ws_protocols[] = {
    {"capmon-ws-source", callback_ws, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const lws_retry_bo_t ws_idle = {
    .secs_since_valid_ping = 15,
    .secs_since_valid_hangup = 40,
};

static void ws_connect(void *ud)
{
        WsSource *s = ud;
        struct lws_vhost *vh = ws_vhost(Live_loop(s->lv), "capmon-ws-source", ws_protocols);
        char path[1024];
        if (s->last_seq >= 0)
                xsnprintf(path, sizeof path, "%s?since=%lld%s%s", s->path, (long long)s->last_seq,
                          s->query ? "&" : "", s->query ? s->query : "");
        else
                xsnprintf(path, sizeof path, "%s%s%s", s->path, s->query ? "?" : "",
                          s->query ? s->query : "");
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = Loop_lws(Live_loop(s->lv));
        i.vhost = vh;
        i.address = s->host;
        i.port = s->port;
        i.path = path;
        i.host = s->host;
        i.origin = s->host;
        i.ssl_connection = s->tls ? LCCSCF_USE_SSL : 0;
        i.local_protocol_name = "capmon-ws-source";
        i.userdata = s;
        i.pwsi = &s->wsi;
        i.retry_and_idle_policy = &ws_idle;
        if (!vh || !lws_client_connect_via_info(&i)) {
                s->wsi = NULL;
                Live_connected(s->lv, s->id, 0);
                schedule_retry(s);
        }
}

static void ws_free(Source *base)
{
        WsSource *s = (WsSource *)base;
        s->freeing = 1;
        if (s->wsi) {
                lws_set_wsi_user(s->wsi, NULL);
                lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
        }
        Loop_timer_free(s->retry);
        WsMsg_done(&s->msg);
        free(s->name);
        free(s->host);
        free(s->path);
        free(s->query);
        free(s->auth);
        free(s);
}

Source *Source_ws_new(Live *lv, const char *url, char *err, size_t errlen)
{
        WsUrl u;
        if (ws_url_parse(url, &u, err, errlen))
                return NULL;
        if (strcmp(u.scheme, "ws") != 0 && strcmp(u.scheme, "wss") != 0) {
                ws_url_done(&u);
                xsnprintf(err, errlen, "%s: not a ws:// or wss:// address", url);
                return NULL;
        }
        WsSource *s = xcalloc(1, sizeof *s);
        s->base.free = ws_free;
        s->lv = lv;
        s->tls = strcmp(u.scheme, "wss") == 0;
        s->host = u.host;
        s->port = u.port ? u.port : (s->tls ? 443 : 80);
        s->path = u.path[0] && strcmp(u.path, "/") != 0 ? u.path : xstrdup("/events");
        if (s->path != u.path)
                free(u.path);
        s->last_seq = -1;
        /* keep other query parameters; since= comes from our own state */
        if (u.query) {
                int64_t since;
                char *q = ws_query_take(u.query, "since", &since);
                if (q && !*q) {
                        free(q);
                        q = NULL;
                }
                s->query = q;
                if (since >= 0)
                        s->last_seq = since;
                free(u.query);
        }
        if (s->last_seq < 0)
                s->last_seq = Live_resume(lv);
        free(u.scheme);
        s->name = xstrdup(url);
        const char *tok = getenv("CAPMON_TOKEN");
        if (tok && *tok) {
                size_t n = strlen(tok) + 8;
                s->auth = xmalloc(n);
                xsnprintf(s->auth, n, "Bearer %s", tok);
        }
        WsMsg_init(&s->msg, LOG_LINE_MAX);
        s->id = Live_source_add(lv, url, 1); /* pongs count as traffic */
        if (s->id < 0) {
                xsnprintf(err, errlen, "too many sources");
                ws_free(&s->base);
                return NULL;
        }
        s->retry = Loop_timer_new(Live_loop(lv), ws_connect, s);
        ws_connect(s);
        return &s->base;
}
