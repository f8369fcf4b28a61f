/* capmon relay: Zoom webhooks in (collectors/ingest.h), appended durably to a
 * log, fanned out over WebSocket (GET /events?since=N) to any number of
 * monitors, with resume from the log (docs/live.md). */
#ifndef CAPMON_RELAY_H
#define CAPMON_RELAY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"

typedef struct RelayCfg {
        const char *addr; /* bind address (default 127.0.0.1) */
        int port;
        const char *log_path;    /* the durable log (required) */
        const char *record_path; /* raw capture of every POST body, or NULL */
        const char *cert, *key;  /* TLS when both are set */
        IngestCfg ingest;        /* secret, token, limits, log */
        size_t max_subscribers;  /* 0: 256 */
        int64_t max_behind;      /* records a live subscriber may lag; 0: 100000 */
        int stall_s;             /* a subscriber that takes nothing for this long is
                                    dropped; 0: 30 */
        const char *metrics;     /* GET /metrics on [ADDR]:PORT (collectors/metrics.h), or NULL */
        /* The shared store (docs/redis.md): redis://HOST:PORT/STREAM or
         * rediss://..., or NULL for the local log file (log_path). */
        const char *store;
        const char *redis_password_file; /* else CAPMON_REDIS_PASSWORD[_FILE] */
        long long redis_maxlen;          /* XADD MAXLEN ~ N; 0: 1000000; < 0: unbounded */
        int redis_wait;                  /* WAIT for this many replicas before 2xx */
        int redis_wait_ms;               /* WAIT timeout; 0: 1000 */
        const char *cache_dir;           /* the private copy of the stream; NULL: TMPDIR */
        int reconcile_interval;          /* > 0: append Zoom's live lists (relay_reconcile.h) */
        int video_qos;                   /* > 0: append Zoom's QoS video estimate every S s */
} RelayCfg;

typedef struct Relay Relay;

/* Opens (or creates) the log, repairs a torn last line, resumes seq, binds.
 * With a Redis store: starts the writer and reader threads (Redis may be down:
 * the relay then answers 503 until it is back).
 * NULL with a message in err. */
Relay *Relay_new(const RelayCfg *cfg, char *err, size_t errlen);
/* Serves until *stop becomes non-zero (set it from a signal handler, then call
 * Relay_wake). 0, or -1 on a loop failure. */
int Relay_run(Relay *r, volatile sig_atomic_t *stop);
/* Async-signal-safe: make Relay_run look at *stop. */
void Relay_wake(Relay *r);
/* The port actually bound (useful with port 0). */
int Relay_port(const Relay *r);
void Relay_free(Relay *r);

/* The seq of a log line: fast path for records written by Record_format, else
 * parsed. -1 when the line is not a record with a seq. */
int64_t relay_line_seq(const char *line, size_t len);

#endif
