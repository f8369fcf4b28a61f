/* Unit tests: webhook verification (Ingest_check), log seq parsing, URL helpers. */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "relay.h"
#include "tap.h"
#include "wsutil.h"

#define NOW_MS 1739923528000LL

static const char BODY[] = "{\"event\":\"meeting.started\",\"event_ts\":1,\"payload\":{\"object\":"
                           "{\"uuid\":\"u\",\"id\":\"1\"}}}";

static IngestReq zoom_req(const char *body, long long ts, const char *secret)
{
        IngestReq r;
        memset(&r, 0, sizeof r);
        r.route = ROUTE_ZOOM;
        snprintf(r.timestamp, sizeof r.timestamp, "%lld", ts);
        size_t n = strlen(r.timestamp) + strlen(body) + 5;
        char *msg = malloc(n);
        snprintf(msg, n, "v0:%s:%s", r.timestamp, body);
        char mac[65];
        ingest_hmac_hex(secret, strlen(secret), msg, strlen(msg), mac);
        snprintf(r.signature, sizeof r.signature, "v0=%s", mac);
        free(msg);
        return r;
}

static int status_of(const IngestCfg *c, const IngestReq *r, const char *body, IngestVerdict *v)
{
        IngestResult res;
        Ingest_check(c, r, body, strlen(body), NOW_MS, &res);
        free(res.reply);
        if (v)
                *v = res.verdict;
        return res.status;
}

int main(void)
{
        IngestCfg c = {.secret = "s3cret", .token = "tok"};
        IngestVerdict v;
        IngestReq r = zoom_req(BODY, NOW_MS / 1000, "s3cret");
        is_int(status_of(&c, &r, BODY, &v), 200, "signed webhook accepted");
        is_int(v, INGEST_ACCEPT, "... as an event");
        r.signature[10] ^= 1;
        is_int(status_of(&c, &r, BODY, NULL), 401, "one flipped hex digit: 401");
        r = zoom_req(BODY, NOW_MS / 1000, "other");
        is_int(status_of(&c, &r, BODY, NULL), 401, "wrong secret: 401");
        r = zoom_req(BODY, NOW_MS / 1000 - 301, "s3cret");
        is_int(status_of(&c, &r, BODY, NULL), 401, "301 s old: 401");
        r = zoom_req(BODY, NOW_MS / 1000 - 299, "s3cret");
        is_int(status_of(&c, &r, BODY, NULL), 200, "299 s old: accepted");
        r = zoom_req(BODY, NOW_MS / 1000 + 301, "s3cret");
        is_int(status_of(&c, &r, BODY, NULL), 401, "301 s ahead: 401");
        r = zoom_req("{\"event\":", NOW_MS / 1000, "s3cret");
        is_int(status_of(&c, &r, "{\"event\":", NULL), 400, "malformed JSON: 400");
        { /* fuzz finding: the parse error quotes the body; the reason (a log line)
           * and the reply must not carry its control bytes or invalid UTF-8 */
                static const char evil[] = "{\x02\x1b[2J\n\xff\"event\":1}";
                IngestReq er;
                memset(&er, 0, sizeof er);
                er.route = ROUTE_EVENTS;
                snprintf(er.auth, sizeof er.auth, "Bearer tok");
                IngestResult res;
                Ingest_check(&c, &er, evil, strlen(evil), NOW_MS, &res);
                int clean = 1;
                for (const char *w = res.why; *w; w++)
                        clean &= (unsigned char)*w >= 0x20 && (unsigned char)*w < 0x7F;
                is_int(res.status, 400, "control bytes in a malformed body: 400");
                ok(clean && res.why[0], "the refusal reason is printable ASCII (%s)", res.why);
                ok(res.reply && strstr(res.reply, "\"error\""), "the reply is still JSON");
                free(res.reply);
        }
        IngestCfg small = c;
        small.body_max = 16;
        r = zoom_req(BODY, NOW_MS / 1000, "s3cret");
        is_int(status_of(&small, &r, BODY, NULL), 413, "over the limit: 413");

        /* url_validation: answered with HMAC(secret, plainToken) */
        const char *val = "{\"event\":\"endpoint.url_validation\",\"payload\":{\"plainToken\":"
                          "\"qgg8vlvZRS6UYooatFL8Aw\"}}";
        IngestReq u;
        memset(&u, 0, sizeof u);
        u.route = ROUTE_ZOOM;
        IngestResult res;
        Ingest_check(&c, &u, val, strlen(val), NOW_MS, &res);
        is_int(res.status, 200, "unsigned url_validation answered");
        char want[65];
        ingest_hmac_hex("s3cret", 6, "qgg8vlvZRS6UYooatFL8Aw", 22, want);
        ok(res.reply && strstr(res.reply, want), "encryptedToken = HMAC(secret, plainToken)");
        free(res.reply);
        const char *oracle = "{\"event\":\"endpoint.url_validation\",\"payload\":{\"plainToken\":"
                             "\"v0:1739923528:{}\"}}";
        Ingest_check(&c, &u, oracle, strlen(oracle), NOW_MS, &res);
        is_int(res.status, 400, "a plainToken shaped like a signed message is refused");
        free(res.reply);

        /* /events: bearer token */
        const char *ext = "{\"event\":\"capmon.participant_video\",\"payload\":{}}";
        IngestReq e;
        memset(&e, 0, sizeof e);
        e.route = ROUTE_EVENTS;
        is_int(status_of(&c, &e, ext, NULL), 401, "no token: 401");
        strcpy(e.auth, "Bearer tok");
        is_int(status_of(&c, &e, ext, &v), 200, "right token: 200");
        strcpy(e.auth, "Bearer tok2");
        is_int(status_of(&c, &e, ext, NULL), 401, "longer token: 401");
        strcpy(e.auth, "Bearer to");
        is_int(status_of(&c, &e, ext, NULL), 401, "prefix of the token: 401");
        strcpy(e.auth, "Bearer tok");
        is_int(status_of(&c, &e, BODY, NULL), 400, "a Zoom event on /events: 400");
        IngestCfg none = {.secret = NULL, .token = NULL};
        is_int(status_of(&none, &e, ext, NULL), 503, "no token configured: 503");

        /* log seq */
        is_int(relay_line_seq("{\"seq\":42,\"recv\":1}", 19), 42, "seq fast path");
        is_int(relay_line_seq("{\"recv\":1,\"seq\":7}", 18), 7, "seq elsewhere");
        is_int(relay_line_seq("{\"capmon_log\":1}", 16), -1, "header: no seq");

        /* URLs */
        WsUrl w;
        char err[200];
        ok(ws_url_parse("ws://127.0.0.1:8787/events?since=5&x=1", &w, err, sizeof err) == 0,
           "ws url parses");
        is_str(w.host, "127.0.0.1", "host");
        is_int(w.port, 8787, "port");
        is_str(w.path, "/events", "path");
        int64_t since;
        char *rest = ws_query_take(w.query, "since", &since);
        is_int(since, 5, "since taken from the query");
        is_str(rest, "x=1", "other parameters kept");
        free(rest);
        ws_url_done(&w);
        ok(ws_url_parse("webhook://[::1]:9000", &w, err, sizeof err) == 0, "v6 webhook parses");
        is_str(w.host, "::1", "v6 host");
        ws_url_done(&w);
        ok(ws_url_parse("ws://h:99999", &w, err, sizeof err) != 0, "bad port refused");
        for (unsigned i = 0; i < 20; i++) {
                int64_t b = ws_backoff_us(i);
                if (b < 375000 || b > 37500000) {
                        ok(0, "backoff %u out of range: %lld", i, (long long)b);
                        break;
                }
        }
        return done_testing();
}
