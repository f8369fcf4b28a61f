/* Read a relay stream until caught up (catchup.h). */
#include "catchup.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evlog.h"
#include "loop.h"
#include "util.h"
#include "wsutil.h"

typedef struct CatchUp {
        Monitor *m;
        Loop *loop;
        const char *url;
        char *auth;
        struct lws *wsi;
        WsMsg msg;
        int caught_up, failed, finished;
        int64_t last_recv; /* relay arrival time of the last record (TIME_NONE) */
        int64_t records;
        char *err;
        size_t errlen;
} CatchUp;

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(CatchUp *c, const char *what, const char *detail)
{
        if (c->finished || c->caught_up || c->failed)
                return;
        c->failed = 1;
        xsnprintf(c->err, c->errlen, "%s: %s%s%s", c->url, what, detail ? ": " : "",
                  detail ? detail : "");
        Loop_stop(c->loop);
}

static void on_message(CatchUp *c, const char *text, size_t len)
{
        char why[256];
        json_t *root = json_loadb(text, len, 0, NULL);
        json_t *mark = json_object_get(root, "caught_up");
        json_t *gap = json_object_get(root, "gap");
        if (json_is_object(mark)) {
                c->caught_up = 1;
                Loop_stop(c->loop);
        } else if (json_is_object(gap)) {
                json_int_t from = json_integer_value(json_object_get(gap, "from"));
                json_int_t to = json_integer_value(json_object_get(gap, "to"));
                int64_t clock = State_clock(Monitor_state(c->m));
                char subject[600];
                xsnprintf(subject, sizeof subject, "%.*s (gap)", (int)strcspn(c->url, "?"), c->url);
                Alerts_external(Monitor_alerts(c->m), RULE_FEED, subject, SEV_CRITICAL,
                                to >= from ? (double)(to - from + 1) : 0, 1,
                                clock == TIME_NONE ? wall_ms() : clock);
        } else if (json_is_object(json_object_get(root, "feed")) && !json_object_get(root, "seq")) {
                /* a relay's store or RTMS stream state (docs/live.md): check reads what is
                 * there, and the caught_up frame still ends it */
        } else if (!root) {
                Monitor_count_invalid(c->m);
        } else {
                json_t *recv = json_object_get(root, "recv");
                Monitor_feed_json(c->m, root, TIME_NONE, why, sizeof why);
                if (json_is_integer(recv))
                        c->last_recv = (int64_t)json_integer_value(recv);
                c->records++;
        }
        json_decref(root);
}

static int callback_catchup(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
        CatchUp *c = user;
        if (!c || c->finished)
                return lws_callback_http_dummy(wsi, reason, user, in, len);
        switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
                if (c->auth) {
                        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
                        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                                         (unsigned char *)c->auth,
                                                         (int)strlen(c->auth), p, end))
                                return -1;
                }
                return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE:
                if (WsMsg_add(&c->msg, wsi, in, len) == WSMSG_DONE)
                        on_message(c, c->msg.buf, c->msg.len);
                if (c->msg.dropped) {
                        Monitor_count_invalid(c->m);
                        c->msg.dropped = 0;
                }
                return c->caught_up ? -1 : 0;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
                c->wsi = NULL;
                fail(c, "cannot read the relay stream",
                     in ? (const char *)in : "connection failed");
                return 0;
        case LWS_CALLBACK_CLIENT_CLOSED:
                c->wsi = NULL;
                fail(c, "closed by the relay before catching up", NULL);
                return 0;
        default:
                break;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols catchup_protocols[] = {
    {"capmon-check", callback_catchup, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_timeout(void *ud)
{
        CatchUp *c = ud;
        char d[64];
        xsnprintf(d, sizeof d, "%lld records read", (long long)c->records);
        fail(c, "timed out before catching up", d);
}

int Stream_catch_up(Monitor *m, const char *url, double timeout_s, char *err, size_t errlen)
{
        WsUrl u;
        if (ws_url_parse(url, &u, err, errlen))
                return -1;
        if (strcmp(u.scheme, "ws") != 0 && strcmp(u.scheme, "wss") != 0) {
                ws_url_done(&u);
                return xsnprintf(err, errlen, "%s: not a ws:// or wss:// address", url), -1;
        }
        int tls = strcmp(u.scheme, "wss") == 0;
        int64_t since = -1;
        char *rest = u.query ? ws_query_take(u.query, "since", &since) : NULL;
        char path[2048];
        xsnprintf(path, sizeof path, "%s?since=%lld&caught_up=1%s%s",
                  u.path[0] && strcmp(u.path, "/") != 0 ? u.path : "/events",
                  (long long)(since > 0 ? since : 0), rest && *rest ? "&" : "", rest ? rest : "");
        free(rest);

        CatchUp c;
        memset(&c, 0, sizeof c);
        c.m = m;
        c.url = url;
        c.err = err;
        c.errlen = errlen;
        c.last_recv = TIME_NONE;
        WsMsg_init(&c.msg, LOG_LINE_MAX);
        const char *tok = getenv("CAPMON_TOKEN");
        if (tok && *tok) {
                size_t n = strlen(tok) + 8;
                c.auth = xmalloc(n);
                xsnprintf(c.auth, n, "Bearer %s", tok);
        }
        int rc = -1;
        c.loop = Loop_new(NULL, err, errlen);
        if (!c.loop)
                goto out;
        struct lws_vhost *vh = ws_vhost(c.loop, "capmon-check", catchup_protocols);
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = Loop_lws(c.loop);
        i.vhost = vh;
        i.address = u.host;
        i.port = u.port ? u.port : (tls ? 443 : 80);
        i.path = path;
        i.host = u.host;
        i.origin = u.host;
        i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
        i.local_protocol_name = "capmon-check";
        i.userdata = &c;
        i.pwsi = &c.wsi;
        if (!vh || !lws_client_connect_via_info(&i)) {
                if (!c.failed)
                        xsnprintf(err, errlen, "%s: cannot connect", url);
                goto out;
        }
        LoopTimer *t = Loop_timer_new(c.loop, on_timeout, &c);
        Loop_timer_start(t, (int64_t)(timeout_s * 1e6));
        if (Loop_run(c.loop) < 0 && !c.failed)
                xsnprintf(err, errlen, "%s: event loop failed", url);
        Loop_timer_free(t);
        if (c.caught_up) {
                int64_t clock = State_clock(Monitor_state(m));
                int64_t now = wall_ms();
                /* the state now: the clock runs on from the last record, as in watch */
                if (clock != TIME_NONE && c.last_recv != TIME_NONE && now > c.last_recv)
                        Monitor_tick(m, clock + (now - c.last_recv));
                rc = 0;
        }
out:
        c.finished = 1;
        if (c.wsi)
                lws_set_wsi_user(c.wsi, NULL);
        Loop_free(c.loop);
        WsMsg_done(&c.msg);
        free(c.auth);
        ws_url_done(&u);
        return rc;
}
