/* Fuzz target: webhook request verification (Ingest_check, the pure function the
 * lws callback calls once a body is complete). The input is a request:
 *
 *   POST /zoom            request line: the path picks the route
 *   Name: value           headers until an empty line, then the body
 *
 * Headers are copied into an IngestReq the way the lws glue does (a value too long
 * for its field sets the *_too_long flag). Two values are macros so that the
 * accepted paths are reachable: "x-zm-signature: good" is replaced by the valid
 * signature of the body, "x-zm-request-timestamp: now" by the clock. A header
 * "x-fuzz-cfg: N" drops the secret (N & 1) or the token (N & 2).
 * Checked: the verdict and status agree, every reply is valid JSON, an accepted
 * request really carried the secret or the token, and the refusal reason (which
 * goes to the log) holds no control character. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest.h"

#define NOW_MS   1700000000000LL
#define SECRET   "fuzz-secret"
#define TOKEN    "fuzz-token"
#define BODY_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void set_field(char *dst, size_t cap, const char *v, size_t n, int *too_long)
{
        if (n >= cap) { /* as copy_custom: too long, left empty */
                *too_long = 1;
                dst[0] = '\0';
                return;
        }
        memcpy(dst, v, n);
        dst[n] = '\0';
}

static void check_reply(const char *reply, const char *key)
{
        json_error_t jerr;
        json_t *j = json_loads(reply, 0, &jerr);
        if (!json_is_object(j) || !json_is_string(json_object_get(j, key)))
                abort();
        json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        IngestReq req;
        memset(&req, 0, sizeof req);
        IngestCfg cfg = {
            .secret = SECRET, .token = TOKEN, .body_max = BODY_MAX, .ts_window_s = 300};
        int good_sig = 0;
        /* request line */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *sp = memchr(p, ' ', (size_t)(le - p));
        if (sp) {
                size_t n = (size_t)(le - sp - 1);
                if (n == 5 && memcmp(sp + 1, "/zoom", 5) == 0)
                        req.route = ROUTE_ZOOM;
                else if (n == 7 && memcmp(sp + 1, "/events", 7) == 0)
                        req.route = ROUTE_EVENTS;
        }
        p = nl ? nl + 1 : end;
        /* headers */
        while (p < end) {
                nl = memchr(p, '\n', (size_t)(end - p));
                le = nl ? nl : end;
                if (le == p) {
                        p++;
                        break;
                }
                const char *colon = memchr(p, ':', (size_t)(le - p));
                if (colon) {
                        size_t nn = (size_t)(colon - p);
                        const char *v = colon + 1;
                        while (v < le && *v == ' ')
                                v++;
                        size_t vn = (size_t)(le - v);
                        if (memchr(v, '\0', vn)) /* lws hands over C strings */
                                vn = strlen(v);
                        if (nn == 14 && strncasecmp(p, "x-zm-signature", nn) == 0) {
                                if (vn == 4 && memcmp(v, "good", 4) == 0)
                                        good_sig = 1;
                                else
                                        set_field(req.signature, sizeof req.signature, v, vn,
                                                  &req.sig_too_long);
                        } else if (nn == 22 && strncasecmp(p, "x-zm-request-timestamp", nn) == 0) {
                                if (vn == 3 && memcmp(v, "now", 3) == 0)
                                        snprintf(req.timestamp, sizeof req.timestamp, "%lld",
                                                 NOW_MS / 1000);
                                else
                                        set_field(req.timestamp, sizeof req.timestamp, v, vn,
                                                  &req.sig_too_long);
                        } else if (nn == 13 && strncasecmp(p, "authorization", nn) == 0) {
                                set_field(req.auth, sizeof req.auth, v, vn, &req.auth_too_long);
                        } else if (nn == 10 && strncasecmp(p, "x-fuzz-cfg", nn) == 0 && vn) {
                                if (*v & 1)
                                        cfg.secret = NULL;
                                if (*v & 2)
                                        cfg.token = NULL;
                        }
                }
                p = nl ? nl + 1 : end;
        }
        const char *body = p;
        size_t len = (size_t)(end - p);
        char mac[65];
        if (good_sig) {
                size_t tl = strlen(req.timestamp);
                char *msg = malloc(tl + len + 5);
                memcpy(msg, "v0:", 3);
                memcpy(msg + 3, req.timestamp, tl);
                msg[3 + tl] = ':';
                if (len)
                        memcpy(msg + 4 + tl, body, len);
                ingest_hmac_hex(SECRET, strlen(SECRET), msg, tl + 4 + len, mac);
                free(msg);
                snprintf(req.signature, sizeof req.signature, "v0=%s", mac);
        }
        IngestResult res;
        Ingest_check(&cfg, &req, body, len, NOW_MS, &res);
        switch (res.verdict) {
        case INGEST_ACCEPT:
                if (res.status != 200 || !res.src || res.reply)
                        abort();
                if (req.route == ROUTE_ZOOM && (!cfg.secret || !good_sig))
                        abort(); /* accepted without the secret */
                if (req.route == ROUTE_EVENTS &&
                    (!cfg.token || strncasecmp(req.auth, "Bearer ", 7) != 0 ||
                     strcmp(req.auth + 7, TOKEN) != 0))
                        abort(); /* accepted without the token */
                if (req.route == ROUTE_NONE || len > BODY_MAX)
                        abort();
                break;
        case INGEST_ANSWER:
                if (res.status != 200 || !res.reply || req.route != ROUTE_ZOOM || !cfg.secret)
                        abort();
                check_reply(res.reply, "encryptedToken");
                break;
        case INGEST_REFUSE:
                if (res.status != 400 && res.status != 401 && res.status != 404 &&
                    res.status != 413 && res.status != 503)
                        abort();
                if (!res.reply || !res.why[0])
                        abort();
                check_reply(res.reply, "error");
                for (const unsigned char *w = (const unsigned char *)res.why; *w; w++)
                        if (*w < 0x20 || *w == 0x7F)
                                abort(); /* the reason goes to the log as one line */
                break;
        default:
                abort();
        }
        free(res.reply);
        return 0;
}
