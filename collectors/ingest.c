/* Webhook ingest: verification (pure) and the lws HTTP glue. */
#include "ingest.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "util.h"

#define PLAIN_TOKEN_MAX 128

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int LogLimit_allow(LogLimit *l, int64_t now_ms, unsigned *suppressed)
{
        *suppressed = 0;
        if (now_ms / 1000 != l->second) {
                *suppressed = l->suppressed;
                l->second = now_ms / 1000;
                l->lines = 0;
                l->suppressed = 0;
        }
        if (l->lines >= INGEST_LOG_PER_S) {
                l->suppressed++;
                return 0;
        }
        l->lines++;
        return 1;
}

void ingest_logf(const IngestCfg *cfg, const char *fmt, ...)
{
        if (!cfg->log)
                return;
        unsigned dropped = 0;
        if (cfg->guard && !LogLimit_allow(&cfg->guard->log, wall_ms(), &dropped))
                return;
        if (dropped) {
                char note[96];
                xsnprintf(note, sizeof note, "(%u more lines in the last second not shown)",
                          dropped);
                cfg->log(cfg->log_ud, note);
        }
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        /* a path or a peer's bytes may be quoted: one line of printable text */
        for (char *w = line; *w; w++)
                if ((unsigned char)*w < 0x20 || *w == 0x7F)
                        *w = '?';
        cfg->log(cfg->log_ud, line);
}

void ingest_hmac_hex(const char *key, size_t keylen, const char *msg, size_t len, char out[65])
{
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int maclen = 0;
        static const char hex[] = "0123456789abcdef";
        if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, len, mac, &maclen))
                maclen = 0;
        for (unsigned int i = 0; i < maclen && i < 32; i++) {
                out[2 * i] = hex[mac[i] >> 4];
                out[2 * i + 1] = hex[mac[i] & 15];
        }
        out[maclen < 32 ? 2 * maclen : 64] = '\0';
}

static int refuse(IngestResult *res, int status, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(IngestResult *res, int status, const char *reason, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->why, sizeof res->why, fmt, ap);
        va_end(ap);
        /* the reason may quote the body (a JSON parse error): it goes to a log line
         * and into a JSON reply, so only printable ASCII is kept */
        for (char *w = res->why; *w; w++)
                if ((unsigned char)*w < 0x20 || (unsigned char)*w >= 0x7F)
                        *w = '?';
        res->verdict = INGEST_REFUSE;
        res->status = status;
        res->reason = reason;
        json_t *j = json_pack("{s:s}", "error", res->why);
        res->reply = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return -1;
}

/* Constant-time equality of two NUL-terminated strings (length is not secret). */
static int secret_equal(const char *a, const char *b)
{
        size_t n = strlen(a);
        return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static int plain_token_ok(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > PLAIN_TOKEN_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = t[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_'))
                        return 0;
        }
        return 1;
}

/* 0 when the Zoom signature is valid, else -1 with the reason set. */
static int verify_signature(const IngestCfg *cfg, const IngestReq *req, const char *body,
                            size_t len, int64_t now_ms, IngestResult *res)
{
        if (!req->signature[0] || req->sig_too_long)
                return refuse(res, 401, "bad_signature", "missing or malformed x-zm-signature");
        int64_t ts;
        if (!req->timestamp[0] || parse_int64(req->timestamp, &ts))
                return refuse(res, 401, "bad_timestamp",
                              "missing or malformed x-zm-request-timestamp");
        int window = cfg->ts_window_s > 0 ? cfg->ts_window_s : INGEST_TS_WINDOW_S;
        int64_t skew = now_ms / 1000 - ts;
        if (skew > window || skew < -window)
                return refuse(res, 401, "stale_timestamp",
                              "timestamp %lld s away from now (window %d s)", (long long)skew,
                              window);
        size_t hl = strlen(req->timestamp) + 4;
        char *msg = xmalloc(hl + len + 1);
        memcpy(msg, "v0:", 3);
        memcpy(msg + 3, req->timestamp, hl - 4);
        msg[hl - 1] = ':';
        memcpy(msg + hl, body, len);
        char mac[65], want[68];
        ingest_hmac_hex(cfg->secret, strlen(cfg->secret), msg, hl + len, mac);
        free(msg);
        xsnprintf(want, sizeof want, "v0=%s", mac);
        if (!secret_equal(want, req->signature))
                return refuse(res, 401, "bad_signature", "bad x-zm-signature");
        return 0;
}

static const char *src_for(const char *event)
{
        if (strcmp(event, "capmon.participant_video") == 0)
                return "video";
        return "portal";
}

static int check_body(const IngestCfg *cfg, const IngestReq *req, const char *body, size_t len,
                      int64_t now_ms, IngestResult *res)
{
        size_t max = cfg->body_max ? cfg->body_max : INGEST_BODY_MAX_DEFAULT;
        if (len > max)
                return refuse(res, 413, "too_large", "body of %zu bytes over the limit of %zu", len,
                              max);
        if (req->route == ROUTE_EVENTS) {
                if (!cfg->token)
                        return refuse(res, 503, "not_configured",
                                      "no token configured for /events");
                if (!req->auth[0])
                        return refuse(res, 401, "bad_token", "missing bearer token");
                if (req->auth_too_long || strncasecmp(req->auth, "Bearer ", 7) != 0 ||
                    !secret_equal(req->auth + 7, cfg->token))
                        return refuse(res, 401, "bad_token", "wrong bearer token");
        } else if (req->route == ROUTE_ZOOM) {
                if (!cfg->secret)
                        return refuse(res, 503, "not_configured", "no webhook secret configured");
        } else {
                return refuse(res, 404, "not_found", "no such resource");
        }
        json_error_t jerr;
        json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return refuse(res, 400, "bad_json", "malformed JSON: %s (position %d)", jerr.text,
                              jerr.position);
        const char *event = json_string_value(json_object_get(root, "event"));
        if (!json_is_object(root) || !event) {
                json_decref(root);
                return refuse(res, 400, "not_an_event", "not an event: no \"event\" string");
        }
        if (req->route == ROUTE_EVENTS) {
                if (strncmp(event, "capmon.", 7) != 0) {
                        refuse(res, 400, "not_an_event", "not a capmon.* extension event");
                } else {
                        res->verdict = INGEST_ACCEPT;
                        res->status = 200;
                        res->src = src_for(event);
                }
                json_decref(root);
                return 0;
        }
        int has_sig = req->signature[0] || req->timestamp[0];
        if (strcmp(event, "endpoint.url_validation") == 0) {
                /* Signed when Zoom signs it; an unsigned challenge is answered only
                 * for a plain token that cannot be a signed message ("v0:ts:body"),
                 * so the answer is never a signature oracle. */
                const char *plain = json_string_value(
                    json_object_get(json_object_get(root, "payload"), "plainToken"));
                if (!plain || !plain_token_ok(plain)) {
                        json_decref(root);
                        return refuse(res, 400, "bad_request",
                                      "url_validation without a valid plainToken");
                }
                if (has_sig && verify_signature(cfg, req, body, len, now_ms, res)) {
                        json_decref(root);
                        return 0;
                }
                char mac[65];
                ingest_hmac_hex(cfg->secret, strlen(cfg->secret), plain, strlen(plain), mac);
                json_t *j = json_pack("{s:s, s:s}", "plainToken", plain, "encryptedToken", mac);
                res->reply = json_dumps(j, JSON_COMPACT);
                json_decref(j);
                res->verdict = INGEST_ANSWER;
                res->status = 200;
                json_decref(root);
                return 0;
        }
        json_decref(root);
        if (verify_signature(cfg, req, body, len, now_ms, res))
                return 0;
        res->verdict = INGEST_ACCEPT;
        res->status = 200;
        res->src = "webhook";
        return 0;
}

void Ingest_check(const IngestCfg *cfg, const IngestReq *req, const char *body, size_t len,
                  int64_t now_ms, IngestResult *res)
{
        memset(res, 0, sizeof *res);
        (void)check_body(cfg, req, body, len, now_ms, res);
}

/* ---- lws glue ---- */

static void conn_reset(IngestConn *c)
{
        lws_sul_cancel(&c->end_sul);
        lws_sul_cancel(&c->deadline_sul);
        if (c->counted && c->cfg && c->cfg->guard)
                c->cfg->guard->active--;
        free(c->body);
        free(c->reply);
        memset(c, 0, sizeof *c);
}

/* A request broke the one-request-at-a-time order: close the connection. */
static int protocol_error(const IngestCfg *cfg, IngestConn *c, const char *what)
{
        ingest_logf(cfg, "closing the connection from %s: %s", c->peer[0] ? c->peer : "?", what);
        return -1;
}

void Ingest_respond(struct lws *wsi, IngestConn *c, int status, const char *reply)
{
        c->responded = 1;
        c->deferred = 0;
        c->status = status;
        free(c->reply);
        c->reply = reply ? xstrdup(reply) : NULL;
        lws_rx_flow_control(wsi, 1); /* paused while the owner was deciding */
        lws_callback_on_writable(wsi);
}

static void copy_custom(struct lws *wsi, const char *name, char *dst, size_t cap, int *too_long)
{
        int nl = (int)strlen(name);
        int n = lws_hdr_custom_length(wsi, name, nl);
        dst[0] = '\0';
        if (n <= 0)
                return;
        if ((size_t)n >= cap) {
                if (too_long)
                        *too_long = 1;
                return;
        }
        if (lws_hdr_custom_copy(wsi, dst, (int)cap, name, nl) < 0)
                dst[0] = '\0';
}

/* Content-Length as lws joins repeated headers ("12,12"): every value one
 * decimal number, all equal. 0 with *v set, or -1. */
static int parse_length(const char *s, int64_t *v)
{
        int64_t first = -1;
        while (*s) {
                while (*s == ' ' || *s == '\t')
                        s++;
                int64_t n = 0;
                int digits = 0;
                for (; *s >= '0' && *s <= '9'; s++, digits++) {
                        if (digits >= 18)
                                return -1;
                        n = n * 10 + (*s - '0');
                }
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!digits || (*s && *s != ',') || (first >= 0 && n != first))
                        return -1;
                first = n;
                if (*s == ',')
                        s++;
        }
        *v = first;
        return first < 0 ? -1 : 0;
}

/* A POST's framing: one decimal Content-Length (repeated only with the same
 * value) and no Transfer-Encoding. Else the status (400, 411, 413) and why:
 * lws would take a body we cannot delimit, so the request is answered at once
 * and the connection closed. *too_big: over body_max but drained and answered
 * 413 at its end (a client still sending then reads the answer). */
static int check_framing(struct lws *wsi, size_t max, int *too_big, const char **reason,
                         const char **why)
{
        int te = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
        int cl = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
        char buf[128];
        int64_t v;
        *reason = "bad_framing";
        if (te && cl)
                return *why = "both Transfer-Encoding and Content-Length", 400;
        if (te)
                return *why = "chunked bodies are not accepted: send Content-Length", 411;
        if (cl <= 0)
                return *why = "Content-Length required", 411;
        if (cl >= (int)sizeof buf ||
            lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 ||
            parse_length(buf, &v))
                return *why = "bad Content-Length (one decimal number)", 400;
        if (v > (int64_t)max && v > (int64_t)(INGEST_DRAIN_MAX_FACTOR * max)) {
                *reason = "too_large";
                return *why = "body over the limit", 413;
        }
        *too_big = v > (int64_t)max;
        return 0;
}

static int write_answer(IngestConn *c, struct lws *wsi);

/* Answer now (from LWS_CALLBACK_HTTP) and close the connection. */
static int refuse_now(const IngestOwner *o, IngestConn *c, struct lws *wsi, const char *uri,
                      int status, const char *reason, const char *why)
{
        ingest_logf(o->cfg, "refused POST %.100s from %s: %d %s", uri, c->peer, status, why);
        if (o->refused)
                o->refused(o->ud, status, reason);
        json_t *j = json_pack("{s:s}", "error", why);
        char *reply = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        c->stage = INGEST_ANSWERING;
        c->close_after = 1;
        Ingest_respond(wsi, c, status, reply);
        free(reply);
        return write_answer(c, wsi);
}

static void finish(const IngestOwner *o, IngestConn *c, struct lws *wsi)
{
        const IngestCfg *cfg = o->cfg;
        IngestResult res;
        size_t max = cfg->body_max ? cfg->body_max : INGEST_BODY_MAX_DEFAULT;
        const char *path = c->req.route == ROUTE_ZOOM ? "/zoom" : "/events";
        if (c->too_big) {
                memset(&res, 0, sizeof res);
                refuse(&res, 413, "too_large", "body over the limit of %zu bytes", max);
        } else {
                Ingest_check(cfg, &c->req, c->body ? c->body : "", c->len, wall_ms(), &res);
        }
        if (o->observe)
                o->observe(o->ud, c->too_big ? "" : (c->body ? c->body : ""),
                           c->too_big ? 0 : c->len, res.verdict == INGEST_REFUSE ? res.why : NULL);
        if (res.verdict == INGEST_REFUSE) {
                ingest_logf(cfg, "refused POST %s from %s: %d %s", path, c->peer, res.status,
                            res.why);
                if (o->refused)
                        o->refused(o->ud, res.status, res.reason);
                Ingest_respond(wsi, c, res.status, res.reply);
        } else if (res.verdict == INGEST_ANSWER) {
                ingest_logf(cfg, "answered url_validation from %s", c->peer);
                Ingest_respond(wsi, c, res.status, res.reply);
        } else {
                int r = o->accept(o->ud, wsi, c, res.src, c->body, c->len);
                if (r < 0) {
                        ingest_logf(cfg, "refused POST %s from %s: 503 cannot record the event",
                                    path, c->peer);
                        if (o->refused)
                                o->refused(o->ud, 503, "log_write_failed");
                        Ingest_respond(wsi, c, 503, "{\"error\":\"cannot record the event\"}");
                } else if (r > 0) {
                        c->deferred = 1;
                }
        }
        free(res.reply);
}

/* The answer is out: ready for the next request on the connection (or close).
 * Runs from a timer at the start of the loop iteration after the one that
 * wrote the answer: by then lws has serviced whatever it buffered after the
 * request (a pipelined request shows up there and closes the connection), and
 * nothing new has been read yet, so the next request is parsed from the socket,
 * never from lws's buffer. Due "now" (0 µs), not 1 µs later: lws checks its
 * timers before it polls, and a timer due 1 µs after the write could still be
 * early at that check; the client, which has its answer, then sends its next
 * request, the poll after the check reads it, and it was closed as pipelined
 * (about 1 in 500 keep-alive requests on a loaded machine). */
static void end_request(lws_sorted_usec_list_t *sul)
{
        IngestConn *c = lws_container_of(sul, IngestConn, end_sul);
        struct lws *wsi = c->wsi;
        conn_reset(c);
        if (lws_http_transaction_completed(wsi))
                lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

/* Write the queued answer (once), from any callback of this connection: inline
 * where the answer is known, else from HTTP_WRITEABLE; then end the request
 * (end_request), or close the connection (-1) when close_after is set. */
static int write_answer(IngestConn *c, struct lws *wsi)
{
        if (!c->responded || c->written)
                return 0;
        unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
                                          *end = hdr + sizeof hdr - 1;
        size_t blen = c->reply ? strlen(c->reply) : 0;
        if (lws_add_http_common_headers(wsi, (unsigned int)c->status, "application/json",
                                        (lws_filepos_t)(blen + 1), &p, end) ||
            (c->close_after &&
             lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close",
                                          5, &p, end)) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
                return -1;
        unsigned char *b = xmalloc(LWS_PRE + blen + 2);
        if (blen)
                memcpy(b + LWS_PRE, c->reply, blen);
        b[LWS_PRE + blen] = '\n';
        int n = lws_write(wsi, b + LWS_PRE, blen + 1, LWS_WRITE_HTTP_FINAL);
        free(b);
        c->written = 1;
        if (n < 0 || c->close_after)
                return -1;
        c->wsi = wsi;
        lws_sul_schedule(lws_get_context(wsi), 0, &c->end_sul, end_request, 0);
        return 0;
}

/* The body did not come in time: 408, then close. */
static void deadline(lws_sorted_usec_list_t *sul)
{
        IngestConn *c = lws_container_of(sul, IngestConn, deadline_sul);
        const IngestCfg *cfg = c->cfg;
        int secs = cfg->request_timeout_s > 0 ? cfg->request_timeout_s : INGEST_REQUEST_TIMEOUT_S;
        ingest_logf(cfg, "refused POST from %s: 408 body not complete within %d s", c->peer, secs);
        if (c->owner && c->owner->refused)
                c->owner->refused(c->owner->ud, 408, "timeout");
        c->stage = INGEST_ANSWERING;
        c->close_after = 1;
        char reply[96];
        xsnprintf(reply, sizeof reply, "{\"error\":\"body not complete within %d s\"}", secs);
        Ingest_respond(c->wsi, c, 408, reply);
}

static void resume_accepting(lws_sorted_usec_list_t *sul)
{
        IngestGuard *g = lws_container_of(sul, IngestGuard, resume_sul);
        g->paused = 0;
        if (g->listen)
                lws_rx_flow_control(g->listen, 1);
}

int Ingest_filter_connection(const IngestCfg *cfg, struct lws *listen, int fd)
{
        IngestGuard *g = cfg->guard;
        struct rlimit rl;
        if (!g || getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
            (rlim_t)fd + INGEST_FD_RESERVE < rl.rlim_cur)
                return 0;
        g->listen = listen;
        if (!g->paused) {
                ingest_logf(cfg,
                            "descriptors nearly exhausted (fd %d of %llu): not accepting "
                            "connections for %d ms",
                            fd, (unsigned long long)rl.rlim_cur, INGEST_PAUSE_MS);
                g->paused = 1;
                lws_rx_flow_control(listen, 0);
                lws_sul_schedule(lws_get_context(listen), 0, &g->resume_sul, resume_accepting,
                                 (lws_usec_t)INGEST_PAUSE_MS * 1000);
        }
        return 1;
}

int Ingest_http_callback(const IngestOwner *o, IngestConn *c, struct lws *wsi,
                         enum lws_callback_reasons reason, void *in, size_t len, int *handled)
{
        const IngestCfg *cfg = o->cfg;
        size_t max = cfg->body_max ? cfg->body_max : INGEST_BODY_MAX_DEFAULT;
        *handled = 1;
        switch (reason) {
        case LWS_CALLBACK_HTTP: {
                const char *uri = in ? (const char *)in : "";
                int post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
                int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
                if (c->stage != INGEST_IDLE) {
                        c->close_after = 1;
                        write_answer(c, wsi);
                        return protocol_error(cfg, c, "a pipelined request (one at a time)");
                }
                conn_reset(c);
                lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
                c->stage = INGEST_BODY;
                c->cfg = cfg;
                c->owner = o;
                c->wsi = wsi;
                if (get && strcmp(uri, "/healthz") == 0) {
                        char *reply = NULL;
                        int st = o->health ? o->health(o->ud, &reply) : 200;
                        /* a GET ends the connection: lws 4.1.6 would parse a
                         * request pipelined behind it from its buffer */
                        c->stage = INGEST_ANSWERING;
                        c->close_after = 1;
                        Ingest_respond(wsi, c, st, reply ? reply : "{\"ok\":true}");
                        free(reply);
                        return write_answer(c, wsi);
                }
                if (post && strcmp(uri, "/zoom") == 0)
                        c->req.route = ROUTE_ZOOM;
                else if (post && strcmp(uri, "/events") == 0)
                        c->req.route = ROUTE_EVENTS;
                if (post) {
                        const char *reason, *why;
                        int st = check_framing(wsi, max, &c->too_big, &reason, &why);
                        if (st)
                                return refuse_now(o, c, wsi, uri, st, reason, why);
                        IngestGuard *g = cfg->guard;
                        int cap =
                            cfg->max_requests > 0 ? cfg->max_requests : INGEST_MAX_REQUESTS_DEFAULT;
                        if (g && g->active >= cap)
                                return refuse_now(o, c, wsi, uri, 503, "busy",
                                                  "too many requests in progress");
                        if (g) {
                                g->active++;
                                c->counted = 1;
                        }
                        int secs = cfg->request_timeout_s > 0 ? cfg->request_timeout_s
                                                              : INGEST_REQUEST_TIMEOUT_S;
                        lws_sul_schedule(lws_get_context(wsi), 0, &c->deadline_sul, deadline,
                                         (lws_usec_t)secs * LWS_US_PER_SEC);
                }
                if (c->req.route == ROUTE_NONE) {
                        ingest_logf(cfg, "refused %s %.100s from %s: 404", post ? "POST" : "GET",
                                    uri, c->peer);
                        if (post) { /* the body still comes: answer at its end */
                                c->too_big = 1;
                                c->status = 404;
                                return 0;
                        }
                        c->stage = INGEST_ANSWERING;
                        c->close_after = 1;
                        Ingest_respond(wsi, c, 404, "{\"error\":\"no such resource\"}");
                        return write_answer(c, wsi);
                }
                copy_custom(wsi, "x-zm-signature:", c->req.signature, sizeof c->req.signature,
                            &c->req.sig_too_long);
                copy_custom(wsi, "x-zm-request-timestamp:", c->req.timestamp,
                            sizeof c->req.timestamp, &c->req.sig_too_long);
                int al = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
                if (al >= (int)sizeof c->req.auth)
                        c->req.auth_too_long = 1;
                else if (al > 0 && lws_hdr_copy(wsi, c->req.auth, sizeof c->req.auth,
                                                WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
                        c->req.auth[0] = '\0';
                return 0;
        }
        case LWS_CALLBACK_HTTP_BODY:
                if (c->stage != INGEST_BODY)
                        return protocol_error(cfg, c, "body bytes outside a request");
                if (c->too_big)
                        return 0;
                if (c->len + len > max) {
                        c->too_big = 1;
                        free(c->body);
                        c->body = NULL;
                        c->len = c->cap = 0;
                        return 0;
                }
                if (c->len + len + 1 > c->cap) {
                        c->cap = (c->len + len + 1) * 2;
                        if (c->cap > max + 1)
                                c->cap = max + 1;
                        c->body = xrealloc(c->body, c->cap);
                }
                if (len)
                        memcpy(c->body + c->len, in, len);
                c->len += len;
                c->body[c->len] = '\0';
                return 0;
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
                if (c->stage != INGEST_BODY) {
                        /* lws repeats the completion when more bytes follow the
                         * request (a pipelined request): answer this one if its
                         * answer is ready, then close; a request is taken once */
                        c->close_after = 1;
                        write_answer(c, wsi);
                        return protocol_error(cfg, c, "a pipelined request (one at a time)");
                }
                c->stage = INGEST_ANSWERING;
                lws_sul_cancel(&c->deadline_sul);
                if (c->req.route == ROUTE_NONE)
                        Ingest_respond(wsi, c, 404, "{\"error\":\"no such resource\"}");
                else
                        finish(o, c, wsi);
                if (c->responded)
                        return write_answer(c, wsi);
                /* deferred: read nothing more (no repeated completion) until
                 * Ingest_respond */
                lws_rx_flow_control(wsi, 0);
                return 0;
        case LWS_CALLBACK_HTTP_WRITEABLE:
                return write_answer(c, wsi);
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        case LWS_CALLBACK_CLOSED_HTTP:
                if (c->deferred && o->gone)
                        o->gone(o->ud, c);
                conn_reset(c);
                *handled = 0;
                return 0;
        default:
                *handled = 0;
                return 0;
        }
}

int ingest_read_secret(const char *path, const char *env, char **out, char *err, size_t errlen)
{
        *out = NULL;
        if (!path) {
                const char *v = getenv(env);
                if (v && *v)
                        *out = xstrdup(v);
                return 0;
        }
        FILE *f = fopen(path, "r");
        if (!f)
                return xsnprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline_max(&line, &cap, f, INGEST_SECRET_MAX);
        fclose(f);
        if (n == -2) {
                explicit_bzero(line, cap);
                free(line);
                return xsnprintf(err, errlen, "%s: secret longer than %d bytes", path,
                                 INGEST_SECRET_MAX),
                       -1;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        if (n <= 0) {
                free(line);
                return xsnprintf(err, errlen, "%s: empty secret file", path), -1;
        }
        *out = line;
        return 0;
}
