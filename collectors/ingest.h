/* Webhook ingest, shared by `capmon relay` and the `webhook://` watch source:
 * POST /zoom (Zoom webhooks: url_validation, x-zm-signature), POST /events
 * (capmon extension events, bearer token), GET /healthz. The verification is a
 * pure function (Ingest_check); the rest is glue for one lws HTTP callback. */
#ifndef CAPMON_INGEST_H
#define CAPMON_INGEST_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#define INGEST_BODY_MAX_DEFAULT (256 * 1024)
#define INGEST_TS_WINDOW_S      300
#define INGEST_SECRET_MAX       4096 /* bytes of a secret or token file */
/* A declared body over body_max is read and dropped, then answered 413, up to
 * this many times body_max; a larger one is answered 413 at once and closed. */
#define INGEST_DRAIN_MAX_FACTOR 16

/* A request's body must be complete this long after its headers, else 408 and
 * close (Zoom wants an answer within 3 s anyway; lws restarts its own timeout
 * at every byte, so a trickled body never ended). */
#define INGEST_REQUEST_TIMEOUT_S 10
/* Requests in progress (headers in, answer not yet out) at most; more POSTs are
 * answered 503 at once. GET /healthz is never counted nor refused. */
#define INGEST_MAX_REQUESTS_DEFAULT 256
/* Descriptors kept free: a connection accepted on one of the last ones is
 * closed and the listener paused (INGEST_PAUSE_MS) instead of spinning on
 * accept() at EMFILE. */
#define INGEST_FD_RESERVE 16
#define INGEST_PAUSE_MS   500
/* Log lines per second at most; the rest are counted and reported once. */
#define INGEST_LOG_PER_S 20

/* One log line (no newline), for refusals and errors. Never receives a secret. */
typedef void (*IngestLogFn)(void *ud, const char *line);

/* A rate limit on log lines: LogLimit_allow says whether this line goes out
 * and, once a new second starts, how many were suppressed before it. */
typedef struct LogLimit {
        int64_t second;
        unsigned lines, suppressed;
} LogLimit;
int LogLimit_allow(LogLimit *l, int64_t now_ms, unsigned *suppressed);

/* What ingest keeps across connections (owned by the relay or the webhook
 * source, zeroed at start). */
typedef struct IngestGuard {
        int active;         /* requests in progress */
        LogLimit log;       /* ingest's log lines */
        struct lws *listen; /* the listener, once seen (to pause it) */
        int paused;
        lws_sorted_usec_list_t resume_sul;
} IngestGuard;

typedef struct IngestCfg {
        const char *secret;    /* webhook secret token; NULL: POST /zoom refused (503) */
        const char *token;     /* bearer token for POST /events; NULL: refused (503) */
        size_t body_max;       /* 0: INGEST_BODY_MAX_DEFAULT */
        int ts_window_s;       /* 0: INGEST_TS_WINDOW_S */
        int request_timeout_s; /* 0: INGEST_REQUEST_TIMEOUT_S */
        int max_requests;      /* 0: INGEST_MAX_REQUESTS_DEFAULT */
        IngestLogFn log;
        void *log_ud;
        IngestGuard *guard; /* NULL: no request cap, no log rate limit */
} IngestCfg;

typedef enum IngestRoute {
        ROUTE_NONE,
        ROUTE_ZOOM,    /* POST /zoom */
        ROUTE_EVENTS,  /* POST /events */
        ROUTE_HEALTHZ, /* GET /healthz */
} IngestRoute;

/* What a request carried, as far as verification needs. */
typedef struct IngestReq {
        IngestRoute route;
        char signature[80]; /* x-zm-signature */
        char timestamp[24]; /* x-zm-request-timestamp */
        char auth[160];     /* Authorization */
        int sig_too_long, auth_too_long;
} IngestReq;

typedef enum IngestVerdict {
        INGEST_ACCEPT, /* an event: record it, then answer */
        INGEST_ANSWER, /* answered without an event (url_validation) */
        INGEST_REFUSE, /* refused: status and why are set */
} IngestVerdict;

typedef struct IngestResult {
        IngestVerdict verdict;
        int status;
        const char *src;    /* for INGEST_ACCEPT: "webhook", "portal" or "video" */
        char *reply;        /* JSON answer (malloc), or NULL */
        char why[160];      /* refusal reason, for the log line */
        const char *reason; /* refusal reason, a short fixed code (bad_signature,
                               stale_timestamp, bad_token, too_large, bad_json, ...) */
} IngestResult;

/* Verify one complete request body. now_ms is the wall clock. Frees nothing;
 * the caller frees res->reply. */
void Ingest_check(const IngestCfg *cfg, const IngestReq *req, const char *body, size_t len,
                  int64_t now_ms, IngestResult *res);

/* Lowercase hex HMAC-SHA256 of msg under key (out: 65 bytes). */
void ingest_hmac_hex(const char *key, size_t keylen, const char *msg, size_t len, char out[65]);

/* ---- lws glue: one HTTP connection ---- */

/* Where a connection is in its current request. HTTP/1.1 pipelining is not
 * served: lws 4.1.6 keeps the bytes after a request in a buffer, repeats
 * HTTP_BODY_COMPLETION while the request is unanswered, and once the request
 * ends parses the next one from that buffer handing its request line to the
 * body callback, then loops forever. So: a request answered while the owner
 * decides reads nothing (rx flow control); its answer is written, and the
 * request ends at the start of the next loop iteration (end_sul), after lws
 * has serviced its buffer; any request, body or completion arriving before
 * that (stage not as expected) gets the answer of the current request and
 * closes the connection (clients retry unanswered pipelined requests, RFC 9112
 * section 9.3.2). A GET is answered and closes the connection. */
typedef enum IngestStage {
        INGEST_IDLE,      /* waiting for a request's headers */
        INGEST_BODY,      /* headers taken, the body coming */
        INGEST_ANSWERING, /* complete (or refused at its headers): being answered */
} IngestStage;

typedef struct IngestConn {
        IngestReq req;
        IngestStage stage;
        char *body;
        size_t len, cap;
        int too_big;
        int responded; /* an answer is queued or sent */
        int deferred;  /* waiting for the owner (durable write) */
        int written;   /* the answer is out; the request ends at end_sul */
        lws_sorted_usec_list_t end_sul;
        struct lws *wsi; /* for end_sul */
        int close_after; /* close once the answer is written */
        int counted;     /* in guard->active */
        lws_sorted_usec_list_t deadline_sul;
        const IngestCfg *cfg; /* for deadline_sul */
        const struct IngestOwner *owner;
        int status;
        char *reply;
        char peer[64];
} IngestConn;

/* The owner of the connection: called for an accepted event. Return 0 after
 * answering (Ingest_respond), 1 when the answer comes later (deferred), -1 to
 * answer 503. */
typedef int (*IngestAcceptFn)(void *ud, struct lws *wsi, IngestConn *c, const char *src,
                              const char *body, size_t len);
/* GET /healthz: fills a JSON document (malloc) and returns the status. */
typedef int (*IngestHealthFn)(void *ud, char **reply);

/* A connection whose answer was deferred is closing: forget it. */
typedef void (*IngestGoneFn)(void *ud, IngestConn *c);
/* Every complete POST body, once verified (for --record): refused is NULL for an
 * accepted one, else why it was refused (the body is then not an event). */
typedef void (*IngestObserveFn)(void *ud, const char *body, size_t len, const char *refused);

/* A POST refused (for metrics): status and the short reason code. */
typedef void (*IngestRefusedFn)(void *ud, int status, const char *reason);

typedef struct IngestOwner {
        const IngestCfg *cfg;
        IngestAcceptFn accept;
        IngestHealthFn health;   /* NULL: {"ok":true} */
        IngestGoneFn gone;       /* may be NULL when accept never defers */
        IngestObserveFn observe; /* may be NULL */
        IngestRefusedFn refused; /* may be NULL */
        void *ud;
} IngestOwner;

/* Handle an HTTP reason of the lws callback for connection c (the per-session
 * data). Sets *handled; the return value is the callback's. */
int Ingest_http_callback(const IngestOwner *o, IngestConn *c, struct lws *wsi,
                         enum lws_callback_reasons reason, void *in, size_t len, int *handled);

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION (listen: the listener, fd: the new
 * connection): nonzero to refuse it when descriptors run short; the listener
 * then pauses INGEST_PAUSE_MS. */
int Ingest_filter_connection(const IngestCfg *cfg, struct lws *listen, int fd);

/* Queue an answer (reply is copied, may be NULL) and ask for a writable callback. */
void Ingest_respond(struct lws *wsi, IngestConn *c, int status, const char *reply);

/* Log one line through cfg->log with the peer address. */
void ingest_logf(const IngestCfg *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A secret from a file (first line, when path is set) or else the environment
 * variable env. *out is NULL when neither has one. 0, or -1 with a message that
 * never contains the secret. */
int ingest_read_secret(const char *path, const char *env, char **out, char *err, size_t errlen);

#endif
