/* One HTTP(S) request on the Loop (libwebsockets client), never blocking it:
 * the answer (status, body up to a bound, Retry-After) comes back in a
 * callback. Used by the Zoom token (zoom_token.h) and the Zoom REST client
 * (zoom_api.h). HTTP/1.1 only (ALPN), so that lws 4.1's h2 client is not used. */
#ifndef CAPMON_HTTPC_H
#define CAPMON_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define HTTPC_TIMEOUT_US (30 * 1000000LL) /* a request that takes longer fails */

typedef struct HttpcResp {
        int status;          /* HTTP status; 0 when there is no response (see err) */
        const char *body;    /* NUL-terminated, "" when none; borrowed for the call */
        size_t len;          /* body length */
        int64_t retry_after; /* Retry-After in seconds, -1 when absent or not a number */
        const char *err;     /* why there is no response (status 0), else NULL */
} HttpcResp;

/* Called once per request, on the loop; the request is gone afterwards. */
typedef void (*HttpcFn)(void *ud, const HttpcResp *r);

typedef struct Httpc Httpc;

/* method "GET" or "POST" (an empty body). url: http[s]://host[:port]/path?query.
 * auth: the Authorization header value, or NULL. A body over max_body fails the
 * request (status 0). NULL with a message in err when it cannot start (fn is
 * then never called). */
Httpc *Httpc_request(Loop *loop, const char *method, const char *url, const char *auth,
                     size_t max_body, HttpcFn fn, void *ud, char *err, size_t errlen);
/* Abandon a request: fn is never called. NULL-safe. */
void Httpc_cancel(Httpc *h);

#endif
