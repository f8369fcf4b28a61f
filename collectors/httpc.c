/* One HTTP(S) request on the Loop: the lws client life cycle (read from the
 * v4.1 minimal http-client example's order of callbacks), a bounded body, a
 * timeout of our own. */
#include "httpc.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wsutil.h"

struct Httpc {
        Loop *loop;
        struct lws *wsi;
        LoopTimer *timeout;
        HttpcFn fn;
        void *ud;
        char *auth;
        int post;
        WsUrl url;
        char *path; /* path?query */
        int status;
        int64_t retry_after;
        char *body;
        size_t len, max;
        int over;
        int starting;       /* inside lws_client_connect_via_info */
        char sync_err[128]; /* a connection error reported while starting */
};

static void httpc_free(Httpc *h)
{
        Loop_timer_free(h->timeout);
        ws_url_done(&h->url);
        free(h->path);
        free(h->auth);
        free(h->body);
        free(h);
}

/* Detach from the connection (which lws then closes) and free. */
static void httpc_drop(Httpc *h)
{
        if (h->wsi) {
                lws_set_wsi_user(h->wsi, NULL);
                lws_set_timeout(h->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
                h->wsi = NULL;
        }
        httpc_free(h);
}

static void finish(Httpc *h, const char *err)
{
        HttpcResp r;
        memset(&r, 0, sizeof r);
        r.status = err ? 0 : h->status;
        r.body = h->body ? h->body : "";
        r.len = h->len;
        r.retry_after = h->retry_after;
        r.err = err;
        HttpcFn fn = h->fn;
        void *ud = h->ud;
        if (h->wsi) { /* lws keeps the connection: it must not call us again */
                lws_set_wsi_user(h->wsi, NULL);
                h->wsi = NULL;
        }
        fn(ud, &r); /* may start other requests */
        httpc_free(h);
}

static void on_timeout(void *ud)
{
        Httpc *h = ud;
        if (h->wsi) {
                lws_set_wsi_user(h->wsi, NULL);
                lws_set_timeout(h->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
                h->wsi = NULL;
        }
        finish(h, "timed out");
}

static int64_t header_int(struct lws *wsi, enum lws_token_indexes tok)
{
        char buf[32];
        int64_t v;
        if (lws_hdr_copy(wsi, buf, sizeof buf, tok) <= 0 || parse_int64(buf, &v) || v < 0)
                return -1;
        return v;
}

static int add_headers(Httpc *h, struct lws *wsi, unsigned char **p, unsigned char *end)
{
        if (h->auth &&
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                         (unsigned char *)h->auth, (int)strlen(h->auth), p, end))
                return -1;
        if (!h->post)
                return 0;
        static const char form[] = "application/x-www-form-urlencoded";
        return lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (unsigned char *)form,
                                            (int)sizeof form - 1, p, end) ||
                       lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                                    (unsigned char *)"0", 1, p, end)
                   ? -1
                   : 0;
}

static int body_add(Httpc *h, const void *in, size_t len)
{
        if (h->over || h->len + len > h->max) {
                h->over = 1;
                return -1;
        }
        h->body = xrealloc(h->body, h->len + len + 1);
        memcpy(h->body + h->len, in, len);
        h->len += len;
        h->body[h->len] = '\0';
        return 0;
}

static int callback_httpc(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
        Httpc *h = user;
        if (!h || wsi != h->wsi)
                return lws_callback_http_dummy(wsi, reason, user, in, len);
        switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
                return add_headers(h, wsi, (unsigned char **)in, *(unsigned char **)in + len);
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
                h->status = (int)lws_http_client_http_response(wsi);
                h->retry_after = header_int(wsi, WSI_TOKEN_HTTP_RETRY_AFTER);
                return 0;
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
                if (body_add(h, in, len)) {
                        finish(h, "response body over the size limit");
                        return -1;
                }
                return 0;
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
                char buf[LWS_PRE + 4096], *px = buf + LWS_PRE;
                int n = (int)sizeof buf - LWS_PRE;
                return lws_http_client_read(wsi, &px, &n) < 0 ? -1 : 0;
        }
        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
                finish(h, NULL);
                return 0;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP: {
                const char *why = reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR
                                      ? (in ? (const char *)in : "connection failed")
                                  /* closed before COMPLETED: an answer without
                                   * a length ends here */
                                  : h->status && !h->over ? NULL
                                                          : "connection closed";
                if (h->starting) { /* Httpc_request reports it (h must live on) */
                        lws_set_wsi_user(wsi, NULL);
                        h->wsi = NULL;
                        if (!h->sync_err[0])
                                xsnprintf(h->sync_err, sizeof h->sync_err, "%s",
                                          why ? why : "connection closed");
                        return 0;
                }
                finish(h, why); /* detaches: lws may call this wsi back while closing it */
                return 0;
        }
        default:
                break;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols httpc_protocols[] = {
    {"capmon-httpc", callback_httpc, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

Httpc *Httpc_request(Loop *loop, const char *method, const char *url, const char *auth,
                     size_t max_body, HttpcFn fn, void *ud, char *err, size_t errlen)
{
        Httpc *h = xcalloc(1, sizeof *h);
        h->loop = loop;
        h->fn = fn;
        h->ud = ud;
        h->max = max_body;
        h->post = strcmp(method, "POST") == 0;
        h->retry_after = -1;
        h->auth = auth ? xstrdup(auth) : NULL;
        if (ws_url_parse(url, &h->url, err, errlen)) {
                free(h->auth);
                free(h);
                return NULL;
        }
        int tls = strcmp(h->url.scheme, "https") == 0;
        if (!tls && strcmp(h->url.scheme, "http") != 0) {
                xsnprintf(err, errlen, "%s: not an http:// or https:// URL", url);
                httpc_free(h);
                return NULL;
        }
        size_t pn = strlen(h->url.path) + (h->url.query ? strlen(h->url.query) : 0) + 3;
        h->path = xmalloc(pn);
        xsnprintf(h->path, pn, "%s%s%s", *h->url.path ? h->url.path : "/", h->url.query ? "?" : "",
                  h->url.query ? h->url.query : "");
        struct lws_vhost *vh = ws_vhost(loop, "capmon-httpc", httpc_protocols);
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = Loop_lws(loop);
        i.vhost = vh;
        i.address = h->url.host;
        i.port = h->url.port ? h->url.port : (tls ? 443 : 80);
        i.path = h->path;
        i.host = h->url.host;
        i.origin = h->url.host;
        i.method = h->post ? "POST" : "GET";
        i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
        i.alpn = "http/1.1";
        i.protocol = "capmon-httpc";
        i.local_protocol_name = "capmon-httpc";
        i.userdata = h;
        i.pwsi = &h->wsi;
        h->timeout = Loop_timer_new(loop, on_timeout, h);
        h->starting = 1;
        struct lws *w = vh ? lws_client_connect_via_info(&i) : NULL;
        h->starting = 0;
        if (!w || h->sync_err[0]) {
                xsnprintf(err, errlen, "cannot reach %s: %s", h->url.host,
                          h->sync_err[0]
                              ? h->sync_err
                              : "the name does not resolve (or no connection could start)");
                if (h->wsi)
                        lws_set_wsi_user(h->wsi, NULL);
                httpc_free(h);
                return NULL;
        }
        Loop_timer_start(h->timeout, HTTPC_TIMEOUT_US);
        return h;
}

void Httpc_cancel(Httpc *h)
{
        if (h)
                httpc_drop(h);
}
