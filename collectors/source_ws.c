/* ws:// / wss:// source: a capmon relay stream (SPEC §5). Reconnects with
 * exponential backoff and jitter, resumes from the last seq applied, raises
 * `feed` while disconnected, when the relay reports a gap and while it cannot
 * reach its store. A list of addresses (relays sharing one stream, so one seq
 * numbering) is one source: each new attempt goes to the next address. */
#include <errno.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "live.h"
#include "util.h"
#include "wsutil.h"

#define WS_ADDR_MAX     16   /* addresses in one source */
#define WS_FILTER_QUERY 2048 /* longest meeting=... query sent to the relay */
#define WS_FAILOVER_STABLE                                                                         \
        10000000                    /* us up before a drop switches at once (and resets            \
                                     * the backoff) */
#define WS_ANSWER_DEADLINE 10000000 /* us for the connection and the upgrade's answer */
#define WS_REFUSED_RETRY   60000000 /* us before trying again a token refused (401/403) */

/* One address of the source. */
typedef struct WsAddr {
        char *host, *path, *query; /* path without '?'; query: other parameters, or NULL */
        int port, tls;
        char *shown; /* scheme://host:port/path for log lines: the query may hold a token */
} WsAddr;

typedef struct WsSource {
        Source base;
        Live *lv;
        int id;
        char *name;
        WsAddr addr[WS_ADDR_MAX];
        size_t naddr, cur; /* cur: the address of the current or next attempt */
        char *meetings;    /* "meeting=A&meeting=B" (URL-encoded) or NULL */
        char *auth;        /* "Bearer <token>" or NULL */
        struct lws *wsi;
        LoopTimer *retry;
        LoopTimer *deadline; /* the attempt's answer deadline */
        unsigned tries;
        int refused;      /* the last attempt's token was refused: a slow retry */
        int timed_out;    /* the deadline closed the attempt */
        unsigned ends;    /* attempts ended (error or close): seen by on_deadline */
        int64_t up_us;    /* Loop_now_us() when the connection was established, 0: down */
        int64_t last_seq; /* -1: none yet */
        WsMsg msg;
        int freeing;
} WsSource;

static void ws_connect(void *ud);

/* After a failed attempt or a dropped connection. One address: the backoff
 * (the same address). Several: the next address; at once when a connection
 * that had been up for WS_FAILOVER_STABLE dropped, else after the backoff. */
static void schedule_retry(WsSource *s, int dropped)
{
        if (s->freeing)
                return;
        int stable = dropped && s->up_us && Loop_now_us() - s->up_us >= WS_FAILOVER_STABLE;
        s->up_us = 0;
        Loop_timer_stop(s->deadline);
        /* only a connection that lasted resets the backoff: a relay that
         * accepts and closes at once is retried less and less often */
        if (stable)
                s->tries = 0;
        if (s->naddr < 2) {
                int64_t us = s->refused ? WS_REFUSED_RETRY : ws_backoff_us(s->tries++);
                Live_logf(s->lv, "%s: reconnecting in %.1f s%s", s->name, (double)us / 1e6,
                          s->refused ? " (the dashboard's r key: now)" : "");
                Loop_timer_start(s->retry, us);
                return;
        }
        s->cur = (s->cur + 1) % s->naddr;
        int64_t us = s->refused ? WS_REFUSED_RETRY : stable ? 0 : ws_backoff_us(s->tries++);
        char when[32];
        if (us)
                xsnprintf(when, sizeof when, "in %.1f s", (double)us / 1e6);
        else
                xsnprintf(when, sizeof when, "now");
        Live_logf(s->lv, "%s: switching to %s (address %zu of %zu) %s", s->name,
                  s->addr[s->cur].shown, s->cur + 1, s->naddr, when);
        Loop_timer_start(s->retry, us);
}

/* The relay's control frames (docs/live.md): {"gap":{...}}, {"feed":{...}},
 * {"caught_up":{...}}, each the only key. 1 when text is one (handled). */
static int control_frame(WsSource *s, const char *text, size_t len)
{
        static const char *const prefixes[] = {"{\"gap\"", "{\"feed\"", "{\"caught_up\""};
        int any = 0;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
                size_t n = strlen(prefixes[i]);
                any |= len > n && memcmp(text, prefixes[i], n) == 0;
        }
        if (!any)
                return 0;
        json_t *root = json_loadb(text, len, 0, NULL);
        int done = 0;
        json_t *gap = json_object_get(root, "gap");
        json_t *from = json_object_get(gap, "from"), *to = json_object_get(gap, "to");
        json_t *feed = json_object_get(root, "feed");
        json_t *ok = json_object_get(feed, "ok");
        if (json_object_size(root) != 1) {
                /* not a control frame: Live_message counts it */
        } else if (json_is_integer(from) && json_is_integer(to) && json_integer_value(from) >= 1 &&
                   json_integer_value(to) >= json_integer_value(from)) {
                /* a gap names the records lost, from <= to; anything else
                 * ({"gap":{}}) is invalid input, not a critical alert */
                Live_alive(s->lv, s->id);
                Live_gap(s->lv, s->id, json_integer_value(from), json_integer_value(to));
                done = 1;
        } else if (gap) {
                Live_alive(s->lv, s->id);
                Live_count_invalid(s->lv);
                Live_logf(s->lv, "%s: invalid message: a gap frame without 1 <= from <= to",
                          s->name);
                done = 1;
        } else if (json_is_object(feed) && json_is_boolean(ok)) {
                json_t *why = json_object_get(feed, "reason");
                json_t *source = json_object_get(feed, "source");
                Live_alive(s->lv, s->id);
                if (json_is_string(source)) /* one of the relay's sources (RTMS) */
                        Live_relay_feed(s->lv, s->id, json_string_value(source), json_is_true(ok),
                                        json_is_string(why) ? json_string_value(why) : NULL);
                else /* the relay's store */
                        Live_store(s->lv, s->id, json_is_true(ok),
                                   json_is_string(why) ? json_string_value(why) : NULL);
                done = 1;
        } else if (json_is_object(json_object_get(root, "caught_up"))) {
                Live_alive(s->lv, s->id); /* not asked for (capmon check asks): nothing to do */
                done = 1;
        }
        json_decref(root);
        return done;
}

static void on_message(WsSource *s, const char *text, size_t len)
{
        if (control_frame(s, text, len))
                return;
        int64_t seq;
        Live_message(s->lv, s->id, "relay", text, len, &seq);
        if (seq >= 0)
                s->last_seq = seq;
}

/* Why an attempt failed, in the words an operator needs (the header shows them). */
static void failure_words(WsSource *s, struct lws *wsi, const char *in, int err, char *out,
                          size_t len)
{
        const char *msg = in ? in : "";
        unsigned status = wsi ? lws_http_client_http_response(wsi) : 0;
        const char *x509 = strstr(msg, "X509_V_ERR = ");
        long verify = X509_V_OK; /* lws 4.1 says only "connect SSL err 1": ask OpenSSL */
        SSL *ssl = wsi ? lws_get_ssl(wsi) : NULL;
        if (ssl)
                verify = SSL_get_verify_result(ssl);
        if (x509)
                verify = atol(x509 + 13);
        s->refused = status == 401 || status == 403;
        if (s->timed_out)
                xsnprintf(out, len, "no answer from the relay within %d s",
                          WS_ANSWER_DEADLINE / 1000000);
        else if (s->refused)
                xsnprintf(out, len, "token refused by relay (HTTP %u)", status);
        else if (status && status != 101)
                xsnprintf(out, len, "the relay answered HTTP %u, not a WebSocket", status);
        else if (verify != X509_V_OK)
                xsnprintf(out, len, "%s",
                          verify == X509_V_ERR_CERT_HAS_EXPIRED ? "TLS: certificate expired"
                          : verify == X509_V_ERR_CERT_NOT_YET_VALID
                              ? "TLS: certificate not yet valid"
                          : verify == X509_V_ERR_HOSTNAME_MISMATCH
                              ? "TLS: certificate is for another host name"
                              : "TLS: certificate not trusted");
        else if (err == ECONNREFUSED || strcmp(msg, "Unable to connect") == 0)
                /* lws 4.1's words when the peer refused the TCP connection (the
                 * errno is gone by the time it calls back) */
                xsnprintf(out, len, "connection refused");
        else if (err == EHOSTUNREACH || err == ENETUNREACH)
                xsnprintf(out, len, "host unreachable");
        else if (err == ETIMEDOUT)
                xsnprintf(out, len, "connection timed out");
        else if (strstr(msg, "getaddrinfo") || strstr(msg, "resolve") || strstr(msg, "DNS"))
                xsnprintf(out, len, "cannot resolve the relay's host name");
        else if (strstr(msg, "SSL") || strstr(msg, "ssl") || strstr(msg, "tls"))
                xsnprintf(out, len, "TLS: handshake failed (%s)", msg);
        else
                xsnprintf(out, len, "cannot connect (%s)", *msg ? msg : "unknown error");
}

/* An attempt ended before the upgrade: say why, then the backoff. */
static void attempt_failed(WsSource *s, const char *words)
{
        if (s->naddr > 1)
                Live_logf(s->lv, "%s: connection to %s failed: %s", s->name, s->addr[s->cur].shown,
                          words);
        else
                Live_logf(s->lv, "%s: connection failed: %s", s->name, words);
        Live_set_error(s->lv, s->id, words);
        s->wsi = NULL;
        s->ends++;
        Live_connected(s->lv, s->id, 0);
        schedule_retry(s, 0);
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
                Loop_timer_stop(s->deadline);
                s->refused = 0;
                s->up_us = Loop_now_us();
                WsMsg_reset(&s->msg);
                if (s->naddr > 1)
                        Live_logf(s->lv, "%s: connected to %s", s->name, s->addr[s->cur].shown);
                Live_connected(s->lv, s->id, 1);
                return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE:
                if (WsMsg_add(&s->msg, wsi, in, len) == WSMSG_DONE)
                        on_message(s, s->msg.buf, s->msg.len);
                if (s->msg.dropped) {
                        Live_logf(s->lv, "%s: message over %d bytes dropped", s->name,
                                  LOG_LINE_MAX);
                        Live_count_invalid(s->lv);
                        s->msg.dropped = 0;
                }
                return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
                Live_alive(s->lv, s->id);
                return 0;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
                int err = errno;
                if (s->wsi != wsi)
                        return 0;

                char words[200];
                failure_words(s, wsi, in, err, words, sizeof words);
                attempt_failed(s, words);
                return 0;
        }
        case LWS_CALLBACK_CLIENT_CLOSED:
                if (s->wsi != wsi)
                        return 0;
                s->wsi = NULL;
                s->ends++;
                if (s->up_us && Loop_now_us() - s->up_us < WS_FAILOVER_STABLE)
                        Live_set_error(s->lv, s->id, "the relay closes the connection at once");
                Live_connected(s->lv, s->id, 0);
                schedule_retry(s, 1);
                return 0;
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
                if (len > 2) /* the reason is the relay's text: Live_logf sanitises it */
                        Live_logf(s->lv, "%s: closed by the relay: %.*s", s->name,
                                  (int)(len - 2 > 200 ? 200 : len - 2), (const char *)in + 2);
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

/* path?since=N&<the address's other parameters>&meeting=... (malloc). */
static char *request_path(const WsSource *s, const WsAddr *a)
{
        const char *parts[3] = {NULL, a->query, s->meetings};
        char since[40];
        if (s->last_seq >= 0) {
                xsnprintf(since, sizeof since, "since=%lld", (long long)s->last_seq);
                parts[0] = since;
        }
        size_t n = strlen(a->path) + 1;
        for (int i = 0; i < 3; i++)
                n += parts[i] ? strlen(parts[i]) + 1 : 0;
        char *out = xmalloc(n), *o = out;
        size_t pl = strlen(a->path);
        memcpy(o, a->path, pl);
        o += pl;
        char sep = '?';
        for (int i = 0; i < 3; i++) {
                if (!parts[i])
                        continue;
                size_t k = strlen(parts[i]);
                *o++ = sep;
                memcpy(o, parts[i], k);
                o += k;
                sep = '&';
        }
        *o = '\0';
        return out;
}

static void ws_connect(void *ud)
{
        WsSource *s = ud;
        const WsAddr *a = &s->addr[s->cur];
        struct lws_vhost *vh = ws_vhost(Live_loop(s->lv), "capmon-ws-source", ws_protocols);
        char *path = request_path(s, a);
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = Loop_lws(Live_loop(s->lv));
        i.vhost = vh;
        i.address = a->host;
        i.port = a->port;
        i.path = path;
        i.host = a->host;
        i.origin = a->host;
        i.ssl_connection = a->tls ? LCCSCF_USE_SSL : 0;
        i.local_protocol_name = "capmon-ws-source";
        i.userdata = s;
        i.pwsi = &s->wsi;
        i.retry_and_idle_policy = &ws_idle;
        s->timed_out = 0;
        unsigned ends = s->ends;
        Loop_timer_start(s->deadline, WS_ANSWER_DEADLINE);
        if ((!vh || !lws_client_connect_via_info(&i)) && s->ends == ends) {
                s->wsi = NULL;
                /* lws 4.1 resolves the name before it returns: mostly that */
                Live_logf(s->lv, "%s: connection failed: cannot resolve the relay's host name",
                          s->name);
                Live_set_error(s->lv, s->id, "cannot resolve the relay's host name");
                Live_connected(s->lv, s->id, 0);
                schedule_retry(s, 0);
        }
        free(path); /* lws copies it into the handshake at once */
}

/* No connection, or no answer to the upgrade, within WS_ANSWER_DEADLINE (a peer
 * that accepts TCP and says nothing): close the attempt as failed. */
static void on_deadline(void *ud)
{
        WsSource *s = ud;
        if (!s->wsi || s->up_us)
                return;
        struct lws *wsi = s->wsi;
        unsigned ends = s->ends;
        s->timed_out = 1;
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
        if (s->ends != ends)
                return; /* lws reported it: CLIENT_CONNECTION_ERROR did the rest */
        /* closed without a callback: the same steps here */
        char words[80];
        failure_words(s, NULL, NULL, 0, words, sizeof words);
        attempt_failed(s, words);
}

/* The dashboard's r: a source waiting to retry tries now, backoff reset. */
static void ws_reconnect(Source *base)
{
        WsSource *s = (WsSource *)base;
        if (s->wsi)
                return; /* connected, or an attempt under way */
        Live_logf(s->lv, "%s: reconnecting now (asked)", s->name);
        Loop_timer_stop(s->retry);
        s->tries = 0;
        s->refused = 0;
        ws_connect(s);
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
        Loop_timer_free(s->deadline);
        WsMsg_done(&s->msg);
        for (size_t i = 0; i < s->naddr; i++) {
                free(s->addr[i].host);
                free(s->addr[i].path);
                free(s->addr[i].query);
                free(s->addr[i].shown);
        }
        free(s->meetings);
        free(s->name);
        free(s->auth);
        free(s);
}

/* Length of the first address of a list: up to a comma followed by ws:// or
 * wss:// (a comma elsewhere, in a query value, belongs to the address). */
static size_t first_addr_len(const char *p)
{
        for (const char *c = strchr(p, ','); c; c = strchr(c + 1, ','))
                if (strncmp(c + 1, "ws://", 5) == 0 || strncmp(c + 1, "wss://", 6) == 0)
                        return (size_t)(c - p);
        return strlen(p);
}

/* One address of the list into a; *since gets its since= (-1: none). */
static int parse_addr(const char *url, WsAddr *a, int64_t *since, char *err, size_t errlen)
{
        WsUrl u;
        *since = -1;
        if (ws_url_parse(url, &u, err, errlen))
                return -1;
        if (strcmp(u.scheme, "ws") != 0 && strcmp(u.scheme, "wss") != 0) {
                ws_url_done(&u);
                return xsnprintf(err, errlen, "%s: not a ws:// or wss:// address", url), -1;
        }
        if (strchr(u.host, ',')) {
                ws_url_done(&u);
                return xsnprintf(err, errlen,
                                 "%s: bad address (a list of relays separates full ws:// or "
                                 "wss:// addresses with commas)",
                                 url),
                       -1;
        }
        a->tls = strcmp(u.scheme, "wss") == 0;
        a->host = u.host;
        a->port = u.port ? u.port : (a->tls ? 443 : 80);
        a->path = u.path[0] && strcmp(u.path, "/") != 0 ? u.path : xstrdup("/events");
        if (a->path != u.path)
                free(u.path);
        /* keep other query parameters; since= comes from our own state */
        if (u.query) {
                char *q = ws_query_take(u.query, "since", since);
                if (q && !*q) {
                        free(q);
                        q = NULL;
                }
                a->query = q;
                free(u.query);
        }
        size_t n = strlen(u.scheme) + strlen(a->host) + strlen(a->path) + 24;
        a->shown = xmalloc(n);
        int v6 = strchr(a->host, ':') != NULL;
        xsnprintf(a->shown, n, "%s://%s%s%s:%d%s", u.scheme, v6 ? "[" : "", a->host, v6 ? "]" : "",
                  a->port, a->path);
        free(u.scheme);
        return 0;
}

/* meeting=ID parameters for the relay's own filter (URL-encoded), or NULL when
 * there is no filter or it would make the request too long (then the monitor
 * filters alone). */
static char *meeting_query(WsSource *s)
{
        const MeetingFilter *f = Live_filter(s->lv);
        if (!f || !f->n)
                return NULL;
        static const char hex[] = "0123456789ABCDEF";
        char *q = xmalloc(WS_FILTER_QUERY + 1);
        size_t o = 0;
        for (size_t i = 0; i < f->n; i++) {
                const char *id = f->ids[i];
                if (o + 9 + 3 * strlen(id) > WS_FILTER_QUERY) {
                        Live_logf(s->lv,
                                  "%s: too many meeting ids to ask the relay for: every record "
                                  "is received and filtered here",
                                  s->name);
                        free(q);
                        return NULL;
                }
                memcpy(q + o, i ? "&meeting=" : "meeting=", i ? 9 : 8);
                o += i ? 9 : 8;
                for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
                        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                            (*c >= '0' && *c <= '9') || strchr("-._~", *c)) {
                                q[o++] = (char)*c;
                        } else {
                                q[o++] = '%';
                                q[o++] = hex[*c >> 4];
                                q[o++] = hex[*c & 15];
                        }
                }
        }
        q[o] = '\0';
        return q;
}

Source *Source_ws_new(Live *lv, const char *url, char *err, size_t errlen)
{
        WsSource *s = xcalloc(1, sizeof *s);
        s->base.free = ws_free;
        s->base.reconnect = ws_reconnect;
        s->lv = lv;
        s->last_seq = -1;
        s->retry = NULL;
        for (const char *p = url; *p;) {
                size_t n = first_addr_len(p);
                if (s->naddr == WS_ADDR_MAX) {
                        xsnprintf(err, errlen, "%s: more than %d relay addresses", url,
                                  WS_ADDR_MAX);
                        ws_free(&s->base);
                        return NULL;
                }
                char *one = xstrndup(p, n);
                int64_t since;
                int rc = parse_addr(one, &s->addr[s->naddr], &since, err, errlen);
                free(one);
                if (rc) {
                        ws_free(&s->base);
                        return NULL;
                }
                s->naddr++;
                if (s->last_seq < 0 && since >= 0) /* one stream: one since= */
                        s->last_seq = since;
                p += n;
                if (*p == ',')
                        p++;
        }
        if (s->last_seq < 0)
                s->last_seq = Live_resume(lv);
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
        s->meetings = meeting_query(s);
        s->retry = Loop_timer_new(Live_loop(lv), ws_connect, s);
        s->deadline = Loop_timer_new(Live_loop(lv), on_deadline, s);
        ws_connect(s);
        return &s->base;
}
