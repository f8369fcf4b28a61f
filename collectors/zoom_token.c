/* The shared Zoom S2S OAuth token (zoom_token.h). */
#include "zoom_token.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "util.h"
#include "wsutil.h"

#define ZOOM_OAUTH_URL  "https://zoom.us/oauth/token"
#define TOKEN_BODY_MAX  65536
#define TOKEN_MARGIN_US 5000000 /* a token this close to expiry is not handed out */

struct ZoomTokenWait {
        ZoomToken *t;
        ZoomTokenFn fn;
        void *ud;
        ZoomTokenWait *next;
};

struct ZoomToken {
        Loop *loop;
        ZoomTokenLogFn log;
        void *log_ud;
        char *account;
        char *url;   /* the token endpoint */
        char *basic; /* "Basic base64(id:secret)" */
        char *token; /* current, or NULL */
        int64_t expiry_us;
        Httpc *req;
        LoopTimer *refresh;
        ZoomTokenWait *waiters;
        uint64_t fetched;
};

int ZoomToken_configured(void)
{
        const char *names[] = {"ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"};
        for (size_t i = 0; i < 3; i++) {
                const char *v = getenv(names[i]);
                if (!v || !*v)
                        return 0;
        }
        return 1;
}

static void fetch(ZoomToken *t);

/* Hand the outcome to every waiter (each may wait again: new ones are kept). */
static void answer(ZoomToken *t, const char *token, const char *error)
{
        ZoomTokenWait *w = t->waiters;
        t->waiters = NULL;
        while (w) {
                ZoomTokenWait *next = w->next;
                w->fn(w->ud, token, error);
                free(w);
                w = next;
        }
}

static void on_token(void *ud, const HttpcResp *r)
{
        ZoomToken *t = ud;
        char why[300];
        t->req = NULL;
        json_t *root = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
        const char *tok = json_string_value(json_object_get(root, "access_token"));
        json_int_t expires = json_integer_value(json_object_get(root, "expires_in"));
        if (!tok || !*tok) {
                json_t *err = r->status ? json_loadb(r->body, r->len, 0, NULL) : NULL;
                const char *reason = json_string_value(json_object_get(err, "reason"));
                if (r->status)
                        xsnprintf(why, sizeof why, "token request failed: HTTP %d%s%s", r->status,
                                  reason ? ": " : "", reason ? reason : "");
                else
                        xsnprintf(why, sizeof why, "token request failed: %s", r->err);
                json_decref(err);
                json_decref(root);
                log_linef(t->log, t->log_ud, "zoom: %s", why);
                answer(t, NULL, why);
                return;
        }
        if (t->token)
                OPENSSL_cleanse(t->token, strlen(t->token));
        free(t->token);
        t->token = xstrdup(tok);
        json_decref(root);
        if (expires <= 0)
                expires = 3600;
        int64_t life = (int64_t)expires * 1000000;
        int64_t early = life / 5 < 300000000 ? life / 5 : 300000000;
        t->expiry_us = Loop_now_us() + life;
        t->fetched++;
        Loop_timer_start(t->refresh, life - early);
        log_linef(t->log, t->log_ud, "zoom: got an access token (expires in %lld s)",
                  (long long)expires);
        answer(t, t->token, NULL);
}

static void fetch(ZoomToken *t)
{
        char url[2048], err[256];
        if (t->req)
                return;
        xsnprintf(url, sizeof url, "%s%sgrant_type=account_credentials&account_id=%s", t->url,
                  strchr(t->url, '?') ? "&" : "?", t->account);
        t->req = Httpc_request(t->loop, "POST", url, t->basic, TOKEN_BODY_MAX, on_token, t, err,
                               sizeof err);
        if (!t->req) {
                char why[300];
                xsnprintf(why, sizeof why, "token request failed: %s", err);
                log_linef(t->log, t->log_ud, "zoom: %s", why);
                answer(t, NULL, why);
        }
}

static void on_refresh(void *ud)
{
        fetch(ud); /* nobody waits: the next user finds it ready */
}

static int usable(const ZoomToken *t)
{
        return t->token && Loop_now_us() < t->expiry_us - TOKEN_MARGIN_US;
}

ZoomTokenWait *ZoomToken_get(ZoomToken *t, int fresh, ZoomTokenFn fn, void *ud)
{
        if (fresh && t->token && !t->req) {
                free(t->token);
                t->token = NULL;
        }
        if (usable(t) && !(fresh && t->req)) {
                fn(ud, t->token, NULL);
                return NULL;
        }
        ZoomTokenWait *w = xcalloc(1, sizeof *w);
        w->t = t;
        w->fn = fn;
        w->ud = ud;
        ZoomTokenWait **p = &t->waiters;
        while (*p)
                p = &(*p)->next;
        *p = w;
        ZoomTokenWait *mine = w;
        fetch(t); /* may answer at once (a request that cannot start) */
        for (w = t->waiters; w; w = w->next) {
                if (w == mine)
                        return mine;
        }
        return NULL;
}

void ZoomTokenWait_cancel(ZoomTokenWait *w)
{
        if (!w)
                return;
        for (ZoomTokenWait **p = &w->t->waiters; *p; p = &(*p)->next) {
                if (*p == w) {
                        *p = w->next;
                        free(w);
                        return;
                }
        }
}

void ZoomToken_refused(ZoomToken *t, const char *token)
{
        if (t->token && token && strcmp(t->token, token) == 0) {
                free(t->token);
                t->token = NULL;
        }
}

uint64_t ZoomToken_fetched(const ZoomToken *t)
{
        return t->fetched;
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

ZoomToken *ZoomToken_new(Loop *loop, ZoomTokenLogFn log, void *ud, char *err, size_t errlen)
{
        char missing[200] = "";
        ZoomToken *t = xcalloc(1, sizeof *t);
        t->loop = loop;
        t->log = log;
        t->log_ud = ud;
        t->account = env_need("ZOOM_ACCOUNT_ID", missing, sizeof missing);
        char *id = env_need("ZOOM_CLIENT_ID", missing, sizeof missing);
        char *secret = env_need("ZOOM_CLIENT_SECRET", missing, sizeof missing);
        if (missing[0]) {
                xsnprintf(err, errlen, "zoom: missing environment: %s", missing);
                goto fail;
        }
        const char *ou = getenv("CAPMON_ZOOM_OAUTH_URL");
        t->url = xstrdup(ou && *ou ? ou : ZOOM_OAUTH_URL);
        size_t cn = strlen(id) + strlen(secret) + 2;
        char *cred = xmalloc(cn);
        xsnprintf(cred, cn, "%s:%s", id, secret);
        size_t bn = cn * 4 / 3 + 16;
        t->basic = xmalloc(bn + 6);
        memcpy(t->basic, "Basic ", 6);
        int b = lws_b64_encode_string(cred, (int)strlen(cred), t->basic + 6, (int)bn);
        OPENSSL_cleanse(cred, cn);
        free(cred);
        if (b < 0) {
                xsnprintf(err, errlen, "zoom: credentials too long");
                goto fail;
        }
        OPENSSL_cleanse(secret, strlen(secret));
        free(id);
        free(secret);
        t->refresh = Loop_timer_new(loop, on_refresh, t);
        return t;
fail:
        if (secret)
                OPENSSL_cleanse(secret, strlen(secret));
        free(id);
        free(secret);
        ZoomToken_free(t);
        return NULL;
}

void ZoomToken_free(ZoomToken *t)
{
        if (!t)
                return;
        Httpc_cancel(t->req);
        Loop_timer_free(t->refresh);
        while (t->waiters) {
                ZoomTokenWait *w = t->waiters;
                t->waiters = w->next;
                free(w);
        }
        if (t->token)
                OPENSSL_cleanse(t->token, strlen(t->token));
        free(t->token);
        if (t->basic)
                OPENSSL_cleanse(t->basic, strlen(t->basic));
        free(t->basic);
        free(t->url);
        free(t->account);
        free(t);
}
