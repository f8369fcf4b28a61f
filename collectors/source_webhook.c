/* webhook://[ADDR]:PORT source: the built-in receiver for a single machine.
 * The same ingest as the relay (collectors/ingest.h), but an accepted event is
 * applied at once and answered 200 (no durable log: use the relay for that). */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "live.h"
#include "rtms.h"
#include "util.h"
#include "wsutil.h"

typedef struct HookSource {
        Source base;
        Live *lv;
        int id;
        char *name;
        char *addr;
        char *secret, *token;
        IngestCfg cfg;
        IngestGuard guard;
        IngestOwner owner;
        struct lws_vhost *vh;
        struct lws_protocols protocols[2];
} HookSource;

static void hook_log(void *ud, const char *line)
{
        HookSource *s = ud;
        Live_logf(s->lv, "%s: %s", s->name, line);
}

static int hook_accept(void *ud, struct lws *wsi, IngestConn *c, const char *src, const char *body,
                       size_t len)
{
        HookSource *s = ud;
        int64_t seq;
        Live_message(s->lv, s->id, src, body, len, &seq);
        Rtms_offer(Live_rtms(s->lv), body, len);
        Ingest_respond(wsi, c, 200, "{\"ok\":true}");
        return 0;
}

static int callback_hook(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
        const struct lws_protocols *p = lws_get_protocol(wsi);
        HookSource *s = p ? p->user : NULL;
        if (reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE)
                return -1; /* no WebSocket on webhook:// (ws:// is the relay's) */
        if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION && s)
                return Ingest_filter_connection(&s->cfg, wsi, (int)(lws_intptr_t)in);
        if (s && user) {
                int handled;
                int rc = Ingest_http_callback(&s->owner, user, wsi, reason, in, len, &handled);
                if (handled)
                        return rc;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void hook_free(Source *base)
{
        HookSource *s = (HookSource *)base;
        lws_sul_cancel(&s->guard.resume_sul);
        if (s->vh)
                lws_vhost_destroy(s->vh);
        free(s->name);
        free(s->addr);
        free(s->secret);
        free(s->token);
        free(s);
}

Source *Source_webhook_new(Live *lv, const char *spec, char *err, size_t errlen)
{
        WsUrl u;
        if (ws_url_parse(spec, &u, err, errlen))
                return NULL;
        if (strcmp(u.scheme, "webhook") != 0 || !u.port || (u.path[0] && strcmp(u.path, "/"))) {
                ws_url_done(&u);
                xsnprintf(err, errlen, "%s: expected webhook://[ADDR]:PORT", spec);
                return NULL;
        }
        HookSource *s = xcalloc(1, sizeof *s);
        s->base.free = hook_free;
        s->lv = lv;
        s->name = xstrdup(spec);
        s->addr = xstrdup(u.host[0] ? u.host : "127.0.0.1");
        int port = u.port;
        ws_url_done(&u);
        if (ingest_read_secret(NULL, "CAPMON_WEBHOOK_SECRET", &s->secret, err, errlen) ||
            ingest_read_secret(NULL, "CAPMON_TOKEN", &s->token, err, errlen)) {
                hook_free(&s->base);
                return NULL;
        }
        if (!s->secret && !s->token) {
                xsnprintf(err, errlen, "%s: set CAPMON_WEBHOOK_SECRET (and/or CAPMON_TOKEN)", spec);
                hook_free(&s->base);
                return NULL;
        }
        s->cfg = (IngestCfg){.secret = s->secret,
                             .token = s->token,
                             .log = hook_log,
                             .log_ud = s,
                             .guard = &s->guard};
        s->owner = (IngestOwner){.cfg = &s->cfg, .accept = hook_accept, .ud = s};
        s->protocols[0] = (struct lws_protocols){
            "capmon-webhook", callback_hook, sizeof(IngestConn), 4096, 0, s, 0};
        s->id = Live_source_add(lv, spec, 0);
        if (s->id < 0) {
                xsnprintf(err, errlen, "too many sources");
                hook_free(&s->base);
                return NULL;
        }
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = port;
        info.iface = s->addr;
        info.protocols = s->protocols;
        info.vhost_name = s->name;
        if (!strchr(s->addr, ':'))
                info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
        s->vh = lws_create_vhost(Loop_lws(Live_loop(lv)), &info);
        if (!s->vh) {
                xsnprintf(err, errlen, "%s: cannot listen on %s:%d", spec, s->addr, port);
                hook_free(&s->base);
                return NULL;
        }
        Live_connected(lv, s->id, 1);
        Live_logf(lv, "%s: listening", spec);
        return &s->base;
}
