/* capmon relay: ingest -> durable log (group commit) -> WebSocket fan-out.
 *
 * Everything runs on the lws loop but fdatasync(). Accepted events are
 * formatted into a pending buffer; a zero-delay timer writes the whole batch and
 * hands it to the flusher thread, which fdatasync()s and wakes the loop
 * (lws_cancel_service -> EVENT_WAIT_CANCELLED); the loop then answers every
 * request of the batch (2xx). While one batch is being flushed the next one is
 * received and written. A failed write or flush answers 503 and cuts the log
 * back to its last durable record. Subscribers read the log file itself with
 * their own cursor, never past what is durable, so a subscriber costs one line
 * (and one 64 KiB batch) of memory whatever its lag; new records wake the ones
 * waiting at the end.
 *
 * With a Redis store (--store redis://..., docs/redis.md) the log is a Redis
 * stream shared by every relay: the batch goes to a writer thread that
 * pipelines one XADD per record (and WAIT when asked) and the requests are
 * answered with the seq Redis gave (the entry ID 0-<seq>); a reader thread
 * follows the stream (XREAD BLOCK) into a private unlinked copy of the log, and
 * subscribers read that copy exactly as they read the file store's log, so
 * every relay sends the same records with the same seqs. */
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evlog.h"
#include "log.h"
#include "metrics.h"
#include "reconcile.h"
#include "redis.h"
#include "relay_reconcile.h"
#include "rtms.h"
#include "util.h"

#define RELAY_LOG_LINE_MAX (8 * 1024 * 1024) /* a log line read at start (records: <= 1.5 MiB) */
#define RELAY_FRAME_MAX    LOG_LINE_MAX
#define SUB_BATCH_BYTES    (64 * 1024) /* frames per write to a subscriber, at most */
#define SUB_CLOSE_MAX_MS   10000       /* a dropped subscriber is gone by then */

/* GET /metrics: refusal reasons (IngestResult.reason, plus log_write_failed)
 * and the fsync latency histogram's upper bounds, in seconds. */
static const char *const REFUSE_REASONS[] = {
    "bad_signature", "bad_timestamp", "stale_timestamp", "bad_token",        "too_large",
    "bad_json",      "not_an_event",  "bad_request",     "not_configured",   "not_found",
    "bad_framing",   "busy",          "timeout",         "log_write_failed", "other",
};
#define NREFUSE (sizeof REFUSE_REASONS / sizeof *REFUSE_REASONS)
static const double FSYNC_BOUNDS[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define NFSYNC (sizeof FSYNC_BOUNDS / sizeof *FSYNC_BOUNDS)

typedef struct Pending {
        struct lws *wsi;
        IngestConn *conn;
        int64_t seq;
} Pending;

/* A record on its way to Redis (the seq is Redis's answer). */
typedef struct RItem {
        char *body;
        size_t len;
        int64_t recv;
        char src[16];
} RItem;

typedef struct Sub {
        struct Sub *next, *prev;
        struct lws *wsi;
        FILE *f;
        int64_t since;            /* send records with seq > since */
        int64_t sent;             /* last seq sent */
        int64_t gap_from, gap_to; /* a gap notice to send first, when gap_to > 0 */
        int gap_check;            /* Redis: opened before the copy's first seq was known */
        unsigned char *batch;     /* frames being sent (LWS_PRE headroom) */
        size_t batch_cap;
        char *line; /* the line read and not yet sent */
        size_t line_cap;
        ssize_t line_len;       /* < 0: none */
        int at_end;             /* caught up: waiting for new records */
        int mark, marked;       /* caught_up=1: say so once, at the first end */
        int64_t closing_ms;     /* dropped at (wall clock ms; 0: not being dropped) */
        int64_t progress_ms;    /* last time it took a frame */
        int store_told;         /* the store state last sent in a feed frame */
        uint64_t rtms_told;     /* RTMS stream states: the generation told up to */
        uint64_t rtms_base;     /* the generation when it subscribed */
        MeetingFilter meetings; /* meeting=ID (none: every record) */
        char peer[64];
} Sub;

/* An RTMS stream's state as the subscribers are told it (feed frames with a
 * source). A stream has an entry from its start; it is sent only once it has
 * gone down (gen > 0), and forgotten once it is done and every subscriber has
 * been told its last state. */
#define RELAY_RTMS_MAX 128
#define RTMS_DOWN_WHY  "RTMS stream dropped; reconnecting"
typedef struct RtmsFeed {
        char source[216];    /* "rtms <meeting uuid>" (printable ASCII, rtms.c) */
        char meeting_id[64]; /* for meeting= filters ("": unknown, every subscriber) */
        int used, down, done;
        uint64_t gen; /* Relay.rtms_gen at its last change (0: never down) */
} RtmsFeed;

typedef struct Pss {
        IngestConn http;
        Sub sub;
        int is_ws;
} Pss;

struct Relay {
        RelayCfg cfg;
        IngestOwner owner;
        IngestGuard guard; /* request cap, log rate limit, EMFILE pause */
        struct lws_context *cx;
        struct lws_vhost *vh;
        int fd;
        off_t size;        /* bytes durably in the log */
        int64_t last_seq;  /* last seq durably in the log */
        int64_t first_seq; /* first seq in the log (0: none yet) */
        int64_t next_seq;
        char *pend;
        size_t pend_len, pend_cap;
        Pending *waiting;
        size_t nwaiting, capwaiting;
        int commit_scheduled;
        off_t written;     /* bytes written to the log (durable or not) */
        Pending *inflight; /* written, waiting for the syncer, in seq order */
        size_t ninflight, capinflight;
        /* the syncer thread: fdatasync() off the loop, so that the next batch
         * is received and written while the previous one is being flushed */
        pthread_t syncer;
        int syncer_started;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        off_t sync_want, sync_done; /* guarded by mu */
        int64_t sync_want_seq, sync_done_seq;
        int sync_err, quit;
        lws_sorted_usec_list_t commit_sul, check_sul;
        Sub *subs;
        size_t nsubs;
        FILE *record;
        volatile sig_atomic_t *stop;
        unsigned long accepted, commits;
        /* GET /metrics (--metrics) */
        MetricsServer *metrics;
        uint64_t durable;             /* records made durable by this process */
        uint64_t refused[NREFUSE];    /* POSTs refused, by reason */
        uint64_t fsync_n[NFSYNC + 1]; /* fdatasync latencies per bucket (+Inf last); mu */
        double fsync_sum;             /* mu */
        /* ---- Redis store (cfg.store) ---- */
        int redis;
        RedisUrl ru;
        char where[160];      /* the log, for messages: the path or the redis:// address */
        char mirror_path[64]; /* /proc/self/fd/N: the private copy subscribers read */
        RItem *rq;            /* loop: received, not yet handed to the writer */
        size_t nrq, caprq;
        pthread_t writer;
        int writer_started;
        RItem *wq; /* mu: handed to the writer */
        size_t nwq, capwq;
        int64_t *wres; /* mu: the writer's answers in order: a seq, or -1 */
        size_t nwres, capwres;
        int w_up, r_up;              /* mu: writer / reader connected */
        char w_why[200], r_why[200]; /* mu: why not */
        off_t m_size;                /* mu: the copy as the reader left it */
        int64_t m_last, m_first;     /* mu */
        int m_caught, m_fatal;       /* mu: caught up once; the stream went back */
        int64_t t_last, t_first;     /* reader thread only */
        int64_t w_last;              /* mu: the highest seq Redis gave the writer */
        int64_t w_back;              /* writer thread only: the stream went back */
        off_t t_size;                /* reader thread only */
        RedisTail *tail;
        int store_up; /* loop: the store state subscribers were told */
        char store_why[200];
        int mirror_ready;   /* loop: the copy has caught up with the stream once */
        int64_t acked_last; /* loop: the highest seq this relay answered 2xx */
        int fatal;          /* loop: Relay_run stops with an error */
        Rtms *rtms;         /* RTMS streams started by webhooks (collectors/rtms.h) */
        RtmsFeed rtms_feed[RELAY_RTMS_MAX]; /* their states, for the subscribers */
        uint64_t rtms_gen;                  /* bumped at each change of one */
        RelayReconcile *recon;              /* --reconcile-interval, or NULL */
};

static void redis_commit(Relay *r);

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void relay_log(const Relay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void relay_log(const Relay *r, const char *fmt, ...)
{
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        if (r->cfg.ingest.log)
                r->cfg.ingest.log(r->cfg.ingest.log_ud, line);
}

int64_t relay_line_seq(const char *line, size_t len)
{
        static const char pre[] = "{\"seq\":";
        if (len > sizeof pre && memcmp(line, pre, sizeof pre - 1) == 0) {
                int64_t v = 0;
                size_t i = sizeof pre - 1;
                int digits = 0;
                while (i < len && line[i] >= '0' && line[i] <= '9' && digits < 18) {
                        v = v * 10 + (line[i++] - '0');
                        digits++;
                }
                if (digits && i < len && (line[i] == ',' || line[i] == '}'))
                        return v;
        }
        json_t *root = json_loadb(line, len, 0, NULL);
        json_t *s = json_object_get(root, "seq");
        int64_t v = json_is_integer(s) ? (int64_t)json_integer_value(s) : -1;
        json_decref(root);
        return v;
}

/* ---- the log ---- */

/* Scan the log: cut a torn last line, find the first and last seq. */
static int log_open(Relay *r, char *err, size_t errlen)
{
        const char *path = r->cfg.log_path;
        r->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (r->fd < 0)
                return xsnprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
        struct stat st;
        if (fstat(r->fd, &st))
                return xsnprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
        FILE *f = fopen(path, "r");
        if (!f)
                return xsnprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        off_t good = 0;
        long lineno = 0;
        while ((n = getline_max(&line, &cap, f, RELAY_LOG_LINE_MAX)) > 0 || n == -2) {
                lineno++;
                if (n == -2) {
                        free(line);
                        fclose(f);
                        return xsnprintf(err, errlen,
                                         "%s:%ld: line longer than %d MiB: not a capmon relay log",
                                         path, lineno, RELAY_LOG_LINE_MAX / (1024 * 1024)),
                               -1;
                }
                if (line[n - 1] != '\n')
                        break; /* torn: cut below */
                good += n;
                int64_t seq = relay_line_seq(line, (size_t)n - 1);
                if (seq > 0) {
                        if (!r->first_seq)
                                r->first_seq = seq;
                        if (seq > r->last_seq)
                                r->last_seq = seq;
                }
        }
        int rerr = ferror(f);
        free(line);
        fclose(f);
        if (rerr)
                return xsnprintf(err, errlen, "%s: read error", path), -1;
        if (good < st.st_size) {
                relay_log(r, "%s:%ld: torn last line (%lld bytes, no newline): cut", path, lineno,
                          (long long)(st.st_size - good));
                if (ftruncate(r->fd, good) || fdatasync(r->fd))
                        return xsnprintf(err, errlen, "%s: cannot cut torn line: %s", path,
                                         strerror(errno)),
                               -1;
        }
        r->size = good;
        if (good == 0) {
                char *h;
                size_t hn = Record_header(&h, wall_ms(), "relay");
                ssize_t w = write(r->fd, h, hn);
                free(h);
                if (w != (ssize_t)hn || fdatasync(r->fd))
                        return xsnprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
                r->size = (off_t)hn;
        }
        if (r->last_seq == INT64_MAX)
                /* the next record could not be numbered: refuse to start rather
                 * than acknowledge records that get no seq */
                return xsnprintf(err, errlen,
                                 "%s: the log ends at the largest seq (%lld): start a new log",
                                 path, (long long)r->last_seq),
                       -1;
        r->next_seq = r->last_seq + 1;
        return 0;
}

static void sub_wake_all(Relay *r)
{
        for (Sub *s = r->subs; s; s = s->next) {
                if (s->at_end && !s->closing_ms) {
                        s->at_end = 0;
                        lws_callback_on_writable(s->wsi);
                }
        }
}

static void answer(Pending *p, int ok)
{
        if (!p->wsi)
                return; /* the client went away: the record stays */
        if (ok) {
                char reply[64];
                xsnprintf(reply, sizeof reply, "{\"seq\":%lld}", (long long)p->seq);
                Ingest_respond(p->wsi, p->conn, 200, reply);
        } else {
                Ingest_respond(p->wsi, p->conn, 503, "{\"error\":\"cannot write the log\"}");
        }
}

static void count_refused(Relay *r, const char *reason, size_t n)
{
        size_t i = 0;
        while (i < NREFUSE - 1 && strcmp(REFUSE_REASONS[i], reason ? reason : "other") != 0)
                i++;
        r->refused[i] += n;
}

static void on_refused(void *ud, int status, const char *reason)
{
        (void)status;
        count_refused(ud, reason, 1);
}

/* Cut the log back to what is durable and refuse everything after it. */
static void log_fail(Relay *r)
{
        count_refused(r, "log_write_failed", r->ninflight + r->nwaiting);
        if (ftruncate(r->fd, r->size))
                relay_log(r, "%s: cannot cut back to %lld bytes: %s", r->cfg.log_path,
                          (long long)r->size, strerror(errno));
        r->written = r->size;
        for (size_t i = 0; i < r->ninflight; i++)
                answer(&r->inflight[i], 0);
        for (size_t i = 0; i < r->nwaiting; i++)
                answer(&r->waiting[i], 0);
        r->ninflight = r->nwaiting = 0;
        r->pend_len = 0;
        r->next_seq = r->last_seq + 1;
        for (Sub *s = r->subs; s; s = s->next) /* drop read-ahead of cut bytes */
                if (s->f)
                        fseeko(s->f, ftello(s->f), SEEK_SET);
}

static void *syncer_main(void *arg)
{
        Relay *r = arg;
        pthread_mutex_lock(&r->mu);
        for (;;) {
                while (!r->quit && (r->sync_want <= r->sync_done || r->sync_err))
                        pthread_cond_wait(&r->cv, &r->mu);
                if (r->sync_want <= r->sync_done || r->sync_err)
                        break; /* quit, nothing left */
                off_t want = r->sync_want;
                int64_t seq = r->sync_want_seq;
                pthread_mutex_unlock(&r->mu);
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                int rc = fdatasync(r->fd), e = errno;
                clock_gettime(CLOCK_MONOTONIC, &t1);
                double dt =
                    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
                pthread_mutex_lock(&r->mu);
                size_t b = 0;
                while (b < NFSYNC && dt > FSYNC_BOUNDS[b])
                        b++;
                r->fsync_n[b]++;
                r->fsync_sum += dt;
                if (rc)
                        r->sync_err = e;
                else {
                        r->sync_done = want;
                        r->sync_done_seq = seq;
                }
                lws_cancel_service(r->cx); /* the loop answers (EVENT_WAIT_CANCELLED) */
        }
        pthread_mutex_unlock(&r->mu);
        return NULL;
}

/* Loop: the syncer has flushed up to sync_done (or failed): answer. */
static void sync_done(Relay *r)
{
        pthread_mutex_lock(&r->mu);
        off_t done = r->sync_done;
        int64_t seq = r->sync_done_seq;
        int err = r->sync_err;
        pthread_mutex_unlock(&r->mu);
        if (err) {
                relay_log(r, "%s: fdatasync failed: %s", r->cfg.log_path, strerror(err));
                log_fail(r);
                pthread_mutex_lock(&r->mu);
                r->sync_err = 0;
                r->sync_want = r->sync_done = r->size;
                r->sync_want_seq = r->sync_done_seq = r->last_seq;
                pthread_mutex_unlock(&r->mu);
                return;
        }
        if (done <= r->size)
                return;
        r->size = done;
        if (seq > r->last_seq) {
                if (!r->first_seq)
                        r->first_seq = r->last_seq + 1;
                r->durable += (uint64_t)(seq - r->last_seq);
                r->last_seq = seq;
        }
        size_t n = 0;
        while (n < r->ninflight && r->inflight[n].seq <= seq)
                answer(&r->inflight[n++], 1);
        memmove(r->inflight, r->inflight + n, (r->ninflight - n) * sizeof *r->inflight);
        r->ninflight -= n;
        r->commits++;
        sub_wake_all(r);
}

/* The requests of the batch being committed wait for its answer, in order. */
static void waiting_to_inflight(Relay *r)
{
        if (r->ninflight + r->nwaiting > r->capinflight) {
                r->capinflight = 2 * (r->ninflight + r->nwaiting);
                r->inflight = xrealloc(r->inflight, r->capinflight * sizeof *r->inflight);
        }
        memcpy(r->inflight + r->ninflight, r->waiting, r->nwaiting * sizeof *r->waiting);
        r->ninflight += r->nwaiting;
        r->nwaiting = 0;
}

/* Loop: write the batch received since the last turn and hand it to the syncer
 * (group commit). Every request of the batch is answered once it is durable. */
static void commit(lws_sorted_usec_list_t *sul)
{
        Relay *r = lws_container_of(sul, Relay, commit_sul);
        r->commit_scheduled = 0;
        if (r->redis) {
                redis_commit(r);
                return;
        }
        if (!r->pend_len)
                return;
        size_t off = 0;
        while (off < r->pend_len) {
                ssize_t w = write(r->fd, r->pend + off, r->pend_len - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        relay_log(r, "%s: write failed: %s", r->cfg.log_path,
                                  w < 0 ? strerror(errno) : "no progress");
                        /* cut back what this batch wrote; earlier batches stay */
                        if (ftruncate(r->fd, r->written))
                                relay_log(r, "%s: cannot cut back: %s", r->cfg.log_path,
                                          strerror(errno));
                        count_refused(r, "log_write_failed", r->nwaiting);
                        for (size_t i = 0; i < r->nwaiting; i++)
                                answer(&r->waiting[i], 0);
                        r->next_seq = r->waiting[0].seq;
                        r->nwaiting = 0;
                        r->pend_len = 0;
                        return;
                }
                off += (size_t)w;
        }
        r->written += (off_t)r->pend_len;
        r->pend_len = 0;
        waiting_to_inflight(r);
        pthread_mutex_lock(&r->mu);
        r->sync_want = r->written;
        r->sync_want_seq = r->next_seq - 1;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
}

/* ---- the Redis store ---- */

static void ritems_free(RItem *it, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(it[i].body);
        free(it);
}

/* Loop: hand what was received since the last turn to the writer. */
static void redis_commit(Relay *r)
{
        if (!r->nrq)
                return;
        waiting_to_inflight(r);
        pthread_mutex_lock(&r->mu);
        if (r->nwq + r->nrq > r->capwq) {
                r->capwq = 2 * (r->nwq + r->nrq);
                r->wq = xrealloc(r->wq, r->capwq * sizeof *r->wq);
        }
        memcpy(r->wq + r->nwq, r->rq, r->nrq * sizeof *r->rq);
        r->nwq += r->nrq;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        r->nrq = 0;
}

static void tail_fatal(Relay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writer thread: one pipelined XADD per record (then WAIT when asked), the
 * whole batch in one round trip; -1 for a record Redis did not take. Idle, it
 * pings every second, so /healthz and the subscribers learn of an outage (and
 * of the recovery) without traffic. Returns 0, or -1 when the connection is
 * unusable; why says what went wrong. */
static int redis_write(Relay *r, RedisConn *c, const RItem *items, size_t n, int64_t *res,
                       char *why, size_t whylen)
{
        long long maxlen = r->cfg.redis_maxlen == 0 ? 1000000 : r->cfg.redis_maxlen;
        if (!n && r->cfg.redis_wait <= 0) {
                const char *argv[] = {"PING"};
                size_t argl[] = {4};
                redisReply *rep = redis_command(c, 1, argv, argl);
                if (!rep)
                        return xsnprintf(why, whylen, "%s", redis_error(c)), -1;
                if (rep->type != REDIS_REPLY_STATUS || strcmp(rep->str, "PONG") != 0)
                        xsnprintf(why, whylen, "PING: %.150s", /* LOADING, NOAUTH... */
                                  rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
                freeReplyObject(rep);
                return 0;
        }
        RedisXadd x;
        for (size_t i = 0; i < n; i++) {
                redis_xadd_args(&x, r->ru.stream, maxlen, items[i].recv, items[i].src,
                                items[i].body, items[i].len);
                redis_append(c, x.argc, x.argv, x.argvlen);
        }
        char nrep[24], nms[24];
        if (r->cfg.redis_wait > 0) {
                int nr = snprintf(nrep, sizeof nrep, "%d", r->cfg.redis_wait);
                /* idle, WAIT is the probe: are the replicas there? */
                int nm = snprintf(nms, sizeof nms, "%d",
                                  !n                         ? 100
                                  : r->cfg.redis_wait_ms > 0 ? r->cfg.redis_wait_ms
                                                             : 1000);
                const char *argv[] = {"WAIT", nrep, nms};
                size_t argl[] = {4, (size_t)nr, (size_t)nm};
                redis_append(c, 3, argv, argl);
        }
        pthread_mutex_lock(&r->mu);
        int64_t known = r->w_last > r->m_last ? r->w_last : r->m_last;
        pthread_mutex_unlock(&r->mu);
        for (size_t i = 0; i < n; i++) {
                redisReply *rep = redis_reply(c);
                if (!rep) {
                        /* the XADDs answered so far are in the stream; with
                         * --wait-replicas they are not acknowledged without WAIT */
                        for (size_t j = 0; j < i && r->cfg.redis_wait > 0; j++)
                                res[j] = -1;
                        return xsnprintf(why, whylen, "%s", redis_error(c)), -1;
                }
                if (rep->type == REDIS_REPLY_STRING)
                        res[i] = redis_id_seq(rep->str, rep->len);
                if (res[i] > 0 && res[i] <= known && !r->w_back) {
                        /* the stream was deleted or lost its data: seqs are
                         * being reused, so nothing is acknowledged; the relay
                         * stops (a restarted one rebuilds its copy) */
                        r->w_back = res[i];
                        tail_fatal(r, "the stream went back: Redis gave seq %lld after %lld",
                                   (long long)res[i], (long long)known);
                }
                if (r->w_back)
                        res[i] = -1;
                else if (res[i] > known)
                        known = res[i];
                else if (rep->type == REDIS_REPLY_ERROR && !*why)
                        xsnprintf(why, whylen, "XADD refused: %.150s", rep->str);
                freeReplyObject(rep);
        }
        if (r->cfg.redis_wait > 0) {
                redisReply *rep = redis_reply(c);
                if (!rep) { /* no WAIT answer: the replicas are not known to have them */
                        for (size_t i = 0; i < n; i++)
                                res[i] = -1;
                        return xsnprintf(why, whylen, "%s", redis_error(c)), -1;
                }
                if (rep->type != REDIS_REPLY_INTEGER || rep->integer < r->cfg.redis_wait) {
                        /* in the stream, but not on enough replicas: refused, so
                         * Zoom retries (the copy is a duplicate the monitors drop) */
                        if (!*why)
                                xsnprintf(why, whylen,
                                          "WAIT: %lld of %d replicas acknowledged in time",
                                          rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0,
                                          r->cfg.redis_wait);
                        for (size_t i = 0; i < n; i++)
                                res[i] = -1;
                }
                freeReplyObject(rep);
        }
        return 0;
}

static void *writer_main(void *arg)
{
        Relay *r = arg;
        RedisConn *c = NULL;
        int first = 1; /* connect at once: /healthz is right from the start */
        pthread_mutex_lock(&r->mu);
        for (;;) {
                if (!r->quit && !r->nwq && !first) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_sec += 1;
                        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
                }
                if (r->quit && !r->nwq)
                        break;
                first = 0;
                RItem *items = r->wq;
                size_t n = r->nwq;
                r->wq = NULL;
                r->nwq = r->capwq = 0;
                pthread_mutex_unlock(&r->mu);
                char why[200] = "";
                int64_t *res = xmalloc((n ? n : 1) * sizeof *res);
                for (size_t i = 0; i < n; i++)
                        res[i] = -1;
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                if (!c) /* replies come within 5 s, WAIT's after its timeout */
                        c = redis_connect(
                            &r->ru, 2000,
                            5000 + (r->cfg.redis_wait > 0
                                        ? (r->cfg.redis_wait_ms > 0 ? r->cfg.redis_wait_ms : 1000)
                                        : 0),
                            why, sizeof why);
                if (c && redis_write(r, c, items, n, res, why, sizeof why)) {
                        redis_close(c);
                        c = NULL;
                }
                clock_gettime(CLOCK_MONOTONIC, &t1);
                double dt =
                    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
                pthread_mutex_lock(&r->mu);
                int changed = 0, up = !*why;
                if (up != r->w_up || strcmp(why, r->w_why) != 0) {
                        r->w_up = up;
                        xsnprintf(r->w_why, sizeof r->w_why, "%s", why);
                        changed = 1;
                }
                for (size_t i = 0; i < n; i++)
                        if (res[i] > r->w_last)
                                r->w_last = res[i];
                if (n) {
                        size_t b = 0;
                        while (b < NFSYNC && dt > FSYNC_BOUNDS[b])
                                b++;
                        r->fsync_n[b]++;
                        r->fsync_sum += dt;
                        if (r->nwres + n > r->capwres) {
                                r->capwres = 2 * (r->nwres + n);
                                r->wres = xrealloc(r->wres, r->capwres * sizeof *r->wres);
                        }
                        memcpy(r->wres + r->nwres, res, n * sizeof *res);
                        r->nwres += n;
                }
                if (n || changed)
                        lws_cancel_service(r->cx);
                free(res);
                ritems_free(items, n);
        }
        pthread_mutex_unlock(&r->mu);
        redis_close(c);
        return NULL;
}

/* Reader thread (RedisTail callbacks): append the stream to the private copy,
 * publish its size at each batch. */
static void tail_fatal(Relay *r, const char *fmt, ...)
{
        va_list ap;
        pthread_mutex_lock(&r->mu);
        va_start(ap, fmt);
        vsnprintf(r->r_why, sizeof r->r_why, fmt, ap);
        va_end(ap);
        r->m_fatal = 1;
        r->r_up = 0;
        pthread_mutex_unlock(&r->mu);
        lws_cancel_service(r->cx);
}

static int tail_record(void *ud, int64_t seq, const char *line, size_t len)
{
        Relay *r = ud;
        if (seq <= r->t_last) {
                tail_fatal(r, "the stream went back from seq %lld to %lld (its data was lost?)",
                           (long long)r->t_last, (long long)seq);
                return -1;
        }
        for (size_t off = 0; off < len;) {
                ssize_t w = write(r->fd, line + off, len - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        tail_fatal(r, "cannot write the copy of the stream: %s",
                                   w < 0 ? strerror(errno) : "no progress");
                        return -1;
                }
                off += (size_t)w;
        }
        if (!r->t_first)
                r->t_first = seq;
        r->t_last = seq;
        r->t_size += (off_t)len;
        return 0;
}

static void tail_batch(void *ud)
{
        Relay *r = ud;
        pthread_mutex_lock(&r->mu);
        r->m_size = r->t_size;
        r->m_last = r->t_last;
        r->m_first = r->t_first;
        pthread_mutex_unlock(&r->mu);
        lws_cancel_service(r->cx);
}

static void tail_state(void *ud, int up, const char *why)
{
        Relay *r = ud;
        pthread_mutex_lock(&r->mu);
        if (!r->m_fatal) {
                r->r_up = up;
                xsnprintf(r->r_why, sizeof r->r_why, "%s", up ? "" : why ? why : "lost");
        }
        pthread_mutex_unlock(&r->mu);
        lws_cancel_service(r->cx);
}

static void tail_gap(void *ud, int64_t from, int64_t to)
{
        Relay *r = ud;
        if (r->t_last == 0)
                relay_log(r, "%s: the stream starts at seq %lld (older entries trimmed)", r->where,
                          (long long)to + 1);
        else
                relay_log(r,
                          "%s: entries %lld..%lld were trimmed before this relay read them: "
                          "its subscribers miss them (raise --maxlen)",
                          r->where, (long long)from, (long long)to);
}

static void tail_caught_up(void *ud, int64_t last)
{
        Relay *r = ud;
        (void)last;
        pthread_mutex_lock(&r->mu);
        r->m_caught = 1;
        pthread_mutex_unlock(&r->mu);
        lws_cancel_service(r->cx);
}

/* Loop: answer what the writer wrote, let subscribers read what the reader
 * copied, tell them when the store comes and goes. */
static void redis_done(Relay *r)
{
        pthread_mutex_lock(&r->mu);
        int64_t *res = r->wres;
        size_t n = r->nwres;
        r->wres = NULL;
        r->nwres = r->capwres = 0;
        off_t size = r->m_size;
        int64_t last = r->m_last, first = r->m_first;
        int caught = r->m_caught, fatal = r->m_fatal, up = r->w_up && r->r_up;
        char why[200];
        xsnprintf(why, sizeof why, "%s", !r->r_up ? r->r_why : r->w_why);
        pthread_mutex_unlock(&r->mu);
        size_t k = 0;
        for (; k < n && k < r->ninflight; k++) {
                Pending *p = &r->inflight[k];
                p->seq = res[k];
                if (p->seq > 0)
                        r->durable++;
                else
                        count_refused(r, "log_write_failed", 1);
                if (p->seq > r->acked_last)
                        r->acked_last = p->seq;
                answer(p, p->seq > 0);
        }
        if (k) {
                memmove(r->inflight, r->inflight + k, (r->ninflight - k) * sizeof *r->inflight);
                r->ninflight -= k;
                r->commits++;
        }
        free(res);
        if (size > r->size) {
                r->size = size;
                r->last_seq = last;
                if (!r->first_seq)
                        r->first_seq = first;
                sub_wake_all(r);
        }
        if (caught && !r->mirror_ready) {
                r->mirror_ready = 1;
                relay_log(r, "%s: caught up with the stream at seq %lld", r->where,
                          (long long)r->last_seq);
                sub_wake_all(r);
        }
        if (up != r->store_up || (!up && strcmp(why, r->store_why) != 0)) {
                if (up)
                        relay_log(r, "%s: reachable again", r->where);
                else
                        relay_log(r, "%s: unreachable, answering 503: %s", r->where, why);
                r->store_up = up;
                xsnprintf(r->store_why, sizeof r->store_why, "%s", up ? "" : why);
                for (Sub *s = r->subs; s; s = s->next)
                        if (!s->closing_ms)
                                lws_callback_on_writable(s->wsi);
        }
        if (fatal && !r->fatal) {
                r->fatal = 1;
                relay_log(r, "%s: %s: stopping (a restarted relay rebuilds its copy)", r->where,
                          why);
                if (r->stop)
                        lws_cancel_service(r->cx);
        }
}

/* Open the store: parse the address, make the private copy, start the threads
 * (Redis may be down: they keep trying). */
static int redis_open(Relay *r, char *err, size_t errlen)
{
        if (redis_url_parse(r->cfg.store, r->cfg.redis_password_file, &r->ru, err, errlen))
                return -1;
        redis_url_text(&r->ru, r->where, sizeof r->where);
        const char *dir = r->cfg.cache_dir;
        if (!dir)
                dir = getenv("TMPDIR");
        if (!dir || !*dir)
                dir = "/tmp";
        char tmpl[4096];
        xsnprintf(tmpl, sizeof tmpl, "%s/capmon-relay-XXXXXX", dir);
        r->fd = mkstemp(tmpl);
        if (r->fd >= 0)
                fcntl(r->fd, F_SETFD, FD_CLOEXEC);
        if (r->fd < 0)
                return xsnprintf(err, errlen, "%s: cannot create the copy of the stream: %s", dir,
                                 strerror(errno)),
                       -1;
        unlink(tmpl); /* private: gone with the process */
        xsnprintf(r->mirror_path, sizeof r->mirror_path, "/proc/self/fd/%d", r->fd);
        char *h;
        size_t hn = Record_header(&h, wall_ms(), "relay");
        ssize_t w = write(r->fd, h, hn);
        free(h);
        if (w != (ssize_t)hn)
                return xsnprintf(err, errlen, "%s: cannot write the copy of the stream", dir), -1;
        r->size = r->t_size = r->m_size = (off_t)hn;
        r->store_up = r->w_up = r->r_up = 1;
        return 0;
}

static int redis_start(Relay *r, char *err, size_t errlen)
{
        if (pthread_create(&r->writer, NULL, writer_main, r))
                return xsnprintf(err, errlen, "cannot start the Redis writer thread"), -1;
        r->writer_started = 1;
        RedisTailCb cb = {.record = tail_record,
                          .batch = tail_batch,
                          .state = tail_state,
                          .gap = tail_gap,
                          .caught_up = tail_caught_up,
                          .ud = r};
        r->tail = redis_tail_start(&r->ru, 0, 0, &cb, err, errlen);
        return r->tail ? 0 : -1;
}

static int on_accept(void *ud, struct lws *wsi, IngestConn *c, const char *src, const char *body,
                     size_t len)
{
        Relay *r = ud;
        int64_t seq = 0, recv = wall_ms();
        if (r->redis) {
                /* the seq is Redis's answer, and each relay's reader formats the
                 * record; ingest took a JSON object of at most --body-max
                 * (<= LOG_LINE_MAX / 2), so it fits a frame */
                if (r->nrq == r->caprq) {
                        r->caprq = r->caprq ? 2 * r->caprq : 64;
                        r->rq = xrealloc(r->rq, r->caprq * sizeof *r->rq);
                }
                RItem *it = &r->rq[r->nrq++];
                it->body = xstrndup(body, len);
                it->len = len;
                it->recv = recv;
                xsnprintf(it->src, sizeof it->src, "%s", src);
        } else {
                char *rec;
                if (r->next_seq == INT64_MAX)
                        return -1; /* no seq left after this one: 503, never a wrap */
                seq = r->next_seq;
                size_t n = Record_format(&rec, seq, recv, src, body, len, NULL);
                if (n > RELAY_FRAME_MAX) {
                        free(rec);
                        return -1;
                }
                if (r->pend_len + n > r->pend_cap) {
                        r->pend_cap = (r->pend_len + n) * 2;
                        r->pend = xrealloc(r->pend, r->pend_cap);
                }
                memcpy(r->pend + r->pend_len, rec, n);
                r->pend_len += n;
                free(rec);
                r->next_seq++;
        }
        if (r->nwaiting == r->capwaiting) {
                r->capwaiting = r->capwaiting ? 2 * r->capwaiting : 64;
                r->waiting = xrealloc(r->waiting, r->capwaiting * sizeof *r->waiting);
        }
        r->waiting[r->nwaiting++] = (Pending){wsi, c, seq};
        r->accepted++;
        if (strcmp(src, "rtms") != 0)
                Rtms_offer(r->rtms, body, len);
        if (r->recon && strcmp(src, "rtms") != 0 && strcmp(src, "reconcile") != 0 &&
            strcmp(src, "qos") != 0)
                RelayReconcile_offer(r->recon, body, len);
        if (!r->commit_scheduled) {
                r->commit_scheduled = 1;
                lws_sul_schedule(r->cx, 0, &r->commit_sul, commit, 1);
        }
        return 1;
}

static void on_gone(void *ud, IngestConn *c)
{
        Relay *r = ud;
        for (size_t i = 0; i < r->nwaiting; i++)
                if (r->waiting[i].conn == c)
                        r->waiting[i].wsi = NULL;
        for (size_t i = 0; i < r->ninflight; i++)
                if (r->inflight[i].conn == c)
                        r->inflight[i].wsi = NULL;
}

static void on_observe(void *ud, const char *body, size_t len, const char *refused)
{
        Relay *r = ud;
        if (!r->record)
                return;
        char *rec, why[200];
        if (refused)
                xsnprintf(why, sizeof why, "refused: %s", refused);
        size_t n = Record_format(&rec, -1, wall_ms(), "webhook", body, len, refused ? why : NULL);
        if (fwrite(rec, 1, n, r->record) != n || fflush(r->record))
                relay_log(r, "%s: cannot record: %s", r->cfg.record_path, strerror(errno));
        free(rec);
}

static int on_health(void *ud, char **reply)
{
        Relay *r = ud;
        int ok = !r->redis || r->store_up;
        json_t *j =
            json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:s}", "ok", ok, "last_seq",
                      (json_int_t)r->last_seq, "first_seq", (json_int_t)r->first_seq, "subscribers",
                      (json_int_t)r->nsubs, "accepted", (json_int_t)r->accepted, "commits",
                      (json_int_t)r->commits, "store", r->redis ? "redis" : "file");
        if (!ok)
                json_object_set_new(j, "error", json_string(r->store_why));
        *reply = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return ok ? 200 : 503;
}

/* ---- subscribers ---- */

static int token_ok(const Relay *r, struct lws *wsi)
{
        const char *token = r->cfg.ingest.token;
        if (!token)
                return 0;
        char buf[200];
        const char *given = NULL;
        int al = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
        if (al > 0 && al < (int)sizeof buf &&
            lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
            strncasecmp(buf, "Bearer ", 7) == 0)
                given = buf + 7;
        char qbuf[200];
        if (!given)
                given = lws_get_urlarg_by_name(wsi, "token=", qbuf, sizeof qbuf);
        if (!given)
                return 0;
        size_t n = strlen(token);
        return strlen(given) == n && CRYPTO_memcmp(given, token, n) == 0;
}

/* meeting=ID parameters (repeatable, urldecoded by lws) into f (NULL: only
 * check). -1 when there are too many or one is empty or too long. */
static int query_meetings(struct lws *wsi, MeetingFilter *f)
{
        MeetingFilter tmp = {0};
        int rc = 0;
        for (int i = 0; rc == 0; i++) {
                /* an empty fragment ("a=1&&meeting=5", "?&meeting=5") has
                 * length 0 too: only lws_hdr_copy_fragment's -1 ends the list */
                int fl = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
                if (fl < 0)
                        fl = 0;
                char *frag = xmalloc((size_t)fl + 1);
                int got = lws_hdr_copy_fragment(wsi, frag, fl + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
                if (got >= 0 && strncmp(frag, "meeting=", 8) == 0 &&
                    MeetingFilter_add(&tmp, frag + 8))
                        rc = -1;
                free(frag);
                if (got < 0)
                        break;
        }
        if (f && !rc)
                *f = tmp;
        else
                MeetingFilter_done(&tmp);
        return rc;
}

/* since=N: a decimal seq of at most 63 characters (a longer one is refused,
 * never cut or skipped: lws_get_urlarg_by_name skips a parameter longer than
 * its buffer, so the stream would start from 0). */
static int64_t query_since(struct lws *wsi, int *bad)
{
        int64_t since = 0;
        *bad = 0;
        for (int i = 0;; i++) {
                int fl = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
                char *frag = xmalloc((size_t)(fl > 0 ? fl : 0) + 1);
                int got = lws_hdr_copy_fragment(wsi, frag, (fl > 0 ? fl : 0) + 1,
                                                WSI_TOKEN_HTTP_URI_ARGS, i);
                if (got >= 0 && strncmp(frag, "since=", 6) == 0 &&
                    (strlen(frag + 6) > 63 || parse_int64(frag + 6, &since) || since < 0))
                        *bad = 1;
                free(frag);
                if (got < 0)
                        break;
        }
        return *bad ? 0 : since;
}

static void sub_close(Relay *r, Sub *s, const char *why)
{
        if (s->closing_ms)
                return;
        s->closing_ms = wall_ms();
        relay_log(r, "dropped subscriber %s at seq %lld: %s", s->peer, (long long)s->sent, why);
        char reason[120];
        xsnprintf(reason, sizeof reason, "%s; resume with since=%lld", why, (long long)s->sent);
        lws_close_reason(s->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)reason,
                         strlen(reason));
        lws_callback_on_writable(s->wsi);
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, 5);
}

static int sub_send(Sub *s, const char *text, size_t len)
{
        unsigned char *b = xmalloc(LWS_PRE + len);
        memcpy(b + LWS_PRE, text, len);
        int n = lws_write(s->wsi, b + LWS_PRE, len, LWS_WRITE_TEXT);
        free(b);
        s->progress_ms = wall_ms();
        return n < (int)len ? -1 : 0;
}

/* The next RTMS stream state this subscriber is to be told, or NULL: the
 * entries changed since it was last told, oldest first; a subscriber that came
 * later is told only of the streams that are down. */
static const RtmsFeed *rtms_next(const Relay *r, Sub *s)
{
        for (;;) {
                const RtmsFeed *next = NULL;
                for (int i = 0; i < RELAY_RTMS_MAX; i++) {
                        const RtmsFeed *f = &r->rtms_feed[i];
                        if (f->used && f->gen > s->rtms_told && (!next || f->gen < next->gen))
                                next = f;
                }
                if (!next) {
                        s->rtms_told = r->rtms_gen;
                        return NULL;
                }
                s->rtms_told = next->gen;
                int theirs = !s->meetings.n || !next->meeting_id[0] ||
                             MeetingFilter_has(&s->meetings, next->meeting_id);
                if (theirs && (next->down || next->gen > s->rtms_base))
                        return next;
        }
}

static int sub_writeable(Relay *r, Sub *s)
{
        if (s->closing_ms)
                return -1;
        if (r->redis && s->store_told != r->store_up) {
                /* the relay cannot take events: monitors raise `feed` */
                json_t *f = r->store_up ? json_pack("{s:{s:b}}", "feed", "ok", 1)
                                        : json_pack("{s:{s:b, s:s}}", "feed", "ok", 0, "reason",
                                                    r->store_why);
                char *text = json_dumps(f, JSON_COMPACT);
                json_decref(f);
                s->store_told = r->store_up;
                int rc = text ? sub_send(s, text, strlen(text)) : -1;
                free(text);
                if (rc)
                        return -1;
                lws_callback_on_writable(s->wsi);
                return 0;
        }
        const RtmsFeed *rf = s->rtms_told < r->rtms_gen ? rtms_next(r, s) : NULL;
        if (rf) {
                /* an RTMS stream of this relay dropped or is back: monitors
                 * raise or resolve `feed` for it */
                json_t *f =
                    rf->down ? json_pack("{s:{s:b, s:s, s:s}}", "feed", "ok", 0, "source",
                                         rf->source, "reason", RTMS_DOWN_WHY)
                             : json_pack("{s:{s:b, s:s}}", "feed", "ok", 1, "source", rf->source);
                char *text = f ? json_dumps(f, JSON_COMPACT) : NULL;
                json_decref(f);
                int rc = text ? sub_send(s, text, strlen(text)) : 0;
                free(text);
                if (rc)
                        return -1;
                lws_callback_on_writable(s->wsi);
                return 0;
        }
        if (s->gap_check && r->first_seq > 0) {
                /* the copy's first records are in: a since before them is a gap,
                 * as sub_open would have said had they been there */
                s->gap_check = 0;
                if (s->since < r->first_seq - 1) { /* since may be any int64 */
                        s->gap_from = s->since + 1;
                        s->gap_to = r->first_seq - 1;
                }
        }
        if (s->gap_to > 0) {
                char g[96];
                int n = snprintf(g, sizeof g, "{\"gap\":{\"from\":%lld,\"to\":%lld}}",
                                 (long long)s->gap_from, (long long)s->gap_to);
                s->gap_to = 0;
                if (sub_send(s, g, (size_t)n))
                        return -1;
                lws_callback_on_writable(s->wsi);
                return 0;
        }
        /* A burst goes out as one write of several pre-framed WebSocket text
         * frames (server frames are not masked), not one syscall and one poll
         * round trip per record; old lines are skipped in bounded steps. */
        size_t used = 0;
        int skipped = 0;
        while (used < SUB_BATCH_BYTES) {
                if (s->line_len < 0) {
                        off_t at = ftello(s->f);
                        if (at >= r->size) { /* only what is durable is sent */
                                s->at_end = 1;
                                break;
                        }
                        ssize_t n = getline(&s->line, &s->line_cap, s->f);
                        if (n <= 0 || s->line[n - 1] != '\n') {
                                clearerr(s->f);
                                if (n > 0)
                                        fseeko(s->f, at, SEEK_SET);
                                s->at_end = 1;
                                break;
                        }
                        int64_t seq = relay_line_seq(s->line, (size_t)n - 1);
                        if (seq <= s->since ||
                            !MeetingFilter_match(&s->meetings, s->line, (size_t)n - 1)) {
                                if (seq > s->since)
                                        s->sent = seq; /* scanned past it */
                                if (++skipped >= 4096)
                                        break;
                                continue;
                        }
                        s->line_len = n - 1;
                        s->sent = seq;
                }
                size_t len = (size_t)s->line_len;
                if (used && used + len + 10 > SUB_BATCH_BYTES)
                        break; /* the next batch starts with it */
                if (LWS_PRE + used + len + 10 > s->batch_cap) {
                        s->batch_cap = LWS_PRE + used + len + 10;
                        if (s->batch_cap < LWS_PRE + SUB_BATCH_BYTES)
                                s->batch_cap = LWS_PRE + SUB_BATCH_BYTES;
                        s->batch = xrealloc(s->batch, s->batch_cap);
                }
                unsigned char *h = s->batch + LWS_PRE + used;
                h[0] = 0x81; /* FIN, text */
                if (len < 126) {
                        h[1] = (unsigned char)len;
                        used += 2;
                } else if (len < 65536) {
                        h[1] = 126;
                        h[2] = (unsigned char)(len >> 8);
                        h[3] = (unsigned char)len;
                        used += 4;
                } else {
                        h[1] = 127;
                        for (int i = 0; i < 8; i++)
                                h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
                        used += 10;
                }
                memcpy(s->batch + LWS_PRE + used, s->line, len);
                used += len;
                s->line_len = -1;
        }
        if (used) {
                if (lws_write(s->wsi, s->batch + LWS_PRE, used, LWS_WRITE_RAW) < (int)used)
                        return -1;
                s->progress_ms = wall_ms();
        } else if (s->at_end && s->mark && !s->marked &&
                   (!r->redis || (r->mirror_ready && r->last_seq >= r->acked_last))) {
                /* with Redis: once the copy holds what this relay acknowledged */
                /* everything durable has been sent: tell a subscriber that asked
                 * (capmon check) where the log ended at that moment */
                char m[64];
                int n =
                    snprintf(m, sizeof m, "{\"caught_up\":{\"seq\":%lld}}", (long long)r->last_seq);
                s->marked = 1;
                return sub_send(s, m, (size_t)n);
        }
        if (!s->at_end || used)
                lws_callback_on_writable(s->wsi);
        return 0;
}

static void check_subs(lws_sorted_usec_list_t *sul)
{
        Relay *r = lws_container_of(sul, Relay, check_sul);
        int64_t now = wall_ms();
        int64_t max_behind = r->cfg.max_behind > 0 ? r->cfg.max_behind : 100000;
        int stall = r->cfg.stall_s > 0 ? r->cfg.stall_s : 30;
        for (Sub *s = r->subs; s; s = s->next) {
                /* the polite close (close frame, then lws's flush and TCP
                 * shutdown) can wait on a peer that reads nothing for far
                 * longer than its 5 s: seen 3 minutes under load, the socket in
                 * FIN-WAIT-1 and the subscriber still counted. Past
                 * SUB_CLOSE_MAX_MS it is killed (lws then closes the socket
                 * at once and tells us, LWS_CALLBACK_CLOSED). */
                if (s->closing_ms && now - s->closing_ms > SUB_CLOSE_MAX_MS)
                        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
                if (s->closing_ms || s->at_end)
                        continue;
                int64_t behind = r->last_seq - s->sent;
                if (s->sent > s->since && behind > max_behind) {
                        sub_close(r, s, "too slow: fell behind");
                } else if (now - s->progress_ms > (int64_t)stall * 1000) {
                        sub_close(r, s, "too slow: stalled");
                }
        }
        lws_sul_schedule(r->cx, 0, &r->check_sul, check_subs, LWS_US_PER_SEC);
}

static int sub_open(Relay *r, Sub *s, struct lws *wsi, int64_t since)
{
        memset(s, 0, sizeof *s);
        s->wsi = wsi;
        s->since = since;
        s->sent = since;
        s->line_len = -1;
        s->progress_ms = wall_ms();
        s->store_told = 1;
        s->rtms_base = r->rtms_gen;
        lws_get_peer_simple(wsi, s->peer, sizeof s->peer);
        s->f = fopen(r->redis ? r->mirror_path : r->cfg.log_path, "r");
        if (!s->f) {
                relay_log(r, "%s: %s", r->redis ? r->mirror_path : r->cfg.log_path,
                          strerror(errno));
                return -1;
        }
        if (r->redis && (since > r->last_seq || !r->first_seq)) {
                /* the shared stream: another relay's copy may be a little
                 * ahead of this one; the records come. An empty copy (not
                 * read yet): whether since is before its first seq (a gap) is
                 * judged in sub_writeable once that seq is known. */
                s->gap_check = !r->first_seq;
                if (r->mirror_ready && since > r->last_seq)
                        relay_log(r, "subscriber %s asks since=%lld beyond seq %lld: waiting",
                                  s->peer, (long long)since, (long long)r->last_seq);
        } else if (since > r->last_seq) {
                /* the client comes from another (older or reset) log: everything
                 * is sent again; the monitor's duplicate rule absorbs it */
                relay_log(r,
                          "subscriber %s asks since=%lld beyond the log's last seq %lld: "
                          "sending from the start",
                          s->peer, (long long)since, (long long)r->last_seq);
                s->since = s->sent = 0;
        } else if (r->first_seq > 0 && since < r->first_seq - 1) {
                s->gap_from = since + 1;
                s->gap_to = r->first_seq - 1;
        }
        s->next = r->subs;
        if (r->subs)
                r->subs->prev = s;
        r->subs = s;
        r->nsubs++;
        relay_log(r, "subscriber %s since=%lld (%zu connected)", s->peer, (long long)s->since,
                  r->nsubs);
        lws_callback_on_writable(wsi);
        return 0;
}

static void sub_done(Relay *r, Sub *s)
{
        if (!s->f)
                return;
        if (s->prev)
                s->prev->next = s->next;
        else
                r->subs = s->next;
        if (s->next)
                s->next->prev = s->prev;
        r->nsubs--;
        fclose(s->f);
        s->f = NULL;
        MeetingFilter_done(&s->meetings);
        free(s->line);
        s->line = NULL;
        free(s->batch);
        s->batch = NULL;
}

/* Answer an upgrade request with a status and close. */
static int upgrade_refuse(struct lws *wsi, int status, const char *text, const char *why)
{
        char body[128];
        int bn = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", why);
        unsigned char buf[LWS_PRE + 512];
        char *p = (char *)buf + LWS_PRE;
        int n = snprintf(p, 512,
                         "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                         "content-length: %d\r\nconnection: close\r\n\r\n%s",
                         status, text, bn, body);
        if (n > 0 && n < 512)
                lws_write(wsi, (unsigned char *)p, (size_t)n, LWS_WRITE_HTTP_HEADERS);
        return -1;
}

static int callback_relay(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
        Pss *pss = user;
        Relay *r = lws_context_user(lws_get_context(wsi));
        switch (reason) {
        case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
                return r ? Ingest_filter_connection(&r->cfg.ingest, wsi, (int)(lws_intptr_t)in) : 0;
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
                /* refusals are answered here, with a real HTTP/1.1 status
                 * (FILTER_PROTOCOL_CONNECTION can only hang up) */
                char uri[64], peer[64];
                int bad;
                lws_get_peer_simple(wsi, peer, sizeof peer);
                if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
                    strcmp(uri, "/events") != 0) {
                        relay_log(r, "refused upgrade of %.64s from %s: 404", uri, peer);
                        return upgrade_refuse(wsi, 404, "Not Found", "no such resource");
                }
                if (!in || strcasecmp((const char *)in, "websocket") != 0)
                        return upgrade_refuse(wsi, 400, "Bad Request", "websocket only");
                if (!token_ok(r, wsi)) {
                        relay_log(r, "refused GET /events from %s: 401 missing or wrong token",
                                  peer);
                        return upgrade_refuse(wsi, 401, "Unauthorized", "missing or wrong token");
                }
                (void)query_since(wsi, &bad);
                if (bad) {
                        relay_log(r, "refused GET /events from %s: 400 bad since", peer);
                        return upgrade_refuse(wsi, 400, "Bad Request", "bad since");
                }
                if (query_meetings(wsi, NULL)) {
                        relay_log(r, "refused GET /events from %s: 400 bad meeting filter", peer);
                        return upgrade_refuse(wsi, 400, "Bad Request",
                                              "bad meeting (at most 64, each 1-127 bytes)");
                }
                size_t max = r->cfg.max_subscribers ? r->cfg.max_subscribers : 256;
                if (r->nsubs >= max) {
                        relay_log(r, "refused GET /events from %s: 503 %zu subscribers", peer,
                                  r->nsubs);
                        return upgrade_refuse(wsi, 503, "Service Unavailable",
                                              "too many subscribers");
                }
                return 0;
        }
        case LWS_CALLBACK_ESTABLISHED: {
                int bad;
                char mark[64];
                pss->is_ws = 1;
                if (sub_open(r, &pss->sub, wsi, query_since(wsi, &bad)))
                        return -1;
                pss->sub.mark = lws_get_urlarg_by_name(wsi, "caught_up=", mark, sizeof mark) &&
                                strcmp(mark, "0") != 0;
                if (query_meetings(wsi, &pss->sub.meetings))
                        return -1;
                return 0;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE:
                return sub_writeable(r, &pss->sub);
        case LWS_CALLBACK_RECEIVE:
                return 0; /* subscribers have nothing to say */
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
                if (r && r->redis)
                        redis_done(r);
                else if (r)
                        sync_done(r);
                return 0;
        case LWS_CALLBACK_CLOSED:
                sub_done(r, &pss->sub);
                return 0;
        default:
                break;
        }
        if (pss) {
                int handled;
                int rc =
                    Ingest_http_callback(&r->owner, &pss->http, wsi, reason, in, len, &handled);
                if (handled)
                        return rc;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* GET /metrics: the relay's series (docs/live.md, "Metrics"). */
static void relay_metrics(void *ud, Prom *p)
{
        Relay *r = ud;
        if (r->recon)
                RelayReconcile_metrics(r->recon, p);
        prom_family(p, "capmon_records_accepted_total", "counter",
                    "Events written to the log and flushed to disk (answered 2xx).");
        prom_sample(p, "capmon_records_accepted_total", NULL, (double)r->durable);
        prom_family(p, "capmon_records_refused_total", "counter",
                    "POST /zoom and /events refused, by reason.");
        for (size_t i = 0; i < NREFUSE; i++) {
                const char *l[] = {"reason", REFUSE_REASONS[i], NULL};
                prom_sample(p, "capmon_records_refused_total", l, (double)r->refused[i]);
        }
        prom_family(p, "capmon_subscribers", "gauge", "WebSocket subscribers connected.");
        prom_sample(p, "capmon_subscribers", NULL, (double)r->nsubs);
        prom_family(p, "capmon_log_bytes", "gauge", "Size of the log, durable bytes.");
        prom_sample(p, "capmon_log_bytes", NULL, (double)r->size);
        prom_family(p, "capmon_log_last_seq", "gauge", "The last seq durably in the log.");
        prom_sample(p, "capmon_log_last_seq", NULL, (double)r->last_seq);
        uint64_t n[NFSYNC + 1];
        double sum;
        pthread_mutex_lock(&r->mu);
        memcpy(n, r->fsync_n, sizeof n);
        sum = r->fsync_sum;
        pthread_mutex_unlock(&r->mu);
        prom_family(p, "capmon_store_up", "gauge",
                    "1 when the log can be written (always 1 for the file store).");
        prom_sample(p, "capmon_store_up", NULL, r->redis ? (double)r->store_up : 1.0);
        const char *h = r->redis ? "capmon_redis_write_seconds" : "capmon_fsync_seconds";
        char hb[64], hs[64], hc[64];
        xsnprintf(hb, sizeof hb, "%s_bucket", h);
        xsnprintf(hs, sizeof hs, "%s_sum", h);
        xsnprintf(hc, sizeof hc, "%s_count", h);
        prom_family(p, h, "histogram",
                    r->redis ? "Round trip of one pipelined batch of XADD (and WAIT) to Redis."
                             : "Latency of fdatasync() of the log (one per group commit).");
        uint64_t cum = 0;
        for (size_t b = 0; b <= NFSYNC; b++) {
                char le[32];
                cum += n[b];
                if (b < NFSYNC)
                        xsnprintf(le, sizeof le, "%g", FSYNC_BOUNDS[b]);
                else
                        xsnprintf(le, sizeof le, "+Inf");
                const char *l[] = {"le", le, NULL};
                prom_sample(p, hb, l, (double)cum);
        }
        prom_sample(p, hs, NULL, sum);
        prom_sample(p, hc, NULL, (double)cum);
}

/* ---- RTMS: camera records go into the log like accepted webhooks ---- */

static void rtms_emit(void *ud, int id, const char *body, size_t len)
{
        Relay *r = ud;
        (void)id;
        if (on_accept(r, NULL, NULL, "rtms", body, len) < 0)
                relay_log(r, "RTMS: a record too large for the log: dropped");
}

/* A stream's entry: a free one, or one done whose last state every
 * subscriber has been told. */
static int rtms_open(void *ud, const char *name, const char *meeting_id)
{
        Relay *r = ud;
        uint64_t told = r->rtms_gen; /* every subscriber was told up to this */
        for (const Sub *s = r->subs; s; s = s->next)
                if (!s->closing_ms && s->rtms_told < told)
                        told = s->rtms_told;
        for (int i = 0; i < RELAY_RTMS_MAX; i++) {
                RtmsFeed *f = &r->rtms_feed[i];
                if (f->used && !(f->done && f->gen <= told))
                        continue;
                memset(f, 0, sizeof *f);
                f->used = 1;
                xsnprintf(f->source, sizeof f->source, "%s", name);
                if (meeting_id && strlen(meeting_id) < sizeof f->meeting_id)
                        xsnprintf(f->meeting_id, sizeof f->meeting_id, "%s", meeting_id);
                return i;
        }
        relay_log(r, "%s: %d RTMS streams' states kept already: monitors are not told of this one",
                  name, RELAY_RTMS_MAX);
        return -1;
}

static void rtms_state(void *ud, int id, RtmsState st)
{
        Relay *r = ud;
        if (id < 0 || id >= RELAY_RTMS_MAX || !r->rtms_feed[id].used)
                return;
        RtmsFeed *f = &r->rtms_feed[id];
        int down = st == RTMS_DOWN;
        if (st == RTMS_DONE)
                f->done = 1;
        if (down == f->down) {
                if (f->done && !f->gen)
                        f->used = 0; /* never down: no monitor heard of it */
                return;
        }
        f->down = down;
        f->gen = ++r->rtms_gen;
        for (Sub *s = r->subs; s; s = s->next)
                if (!s->closing_ms)
                        lws_callback_on_writable(s->wsi);
}

static void rtms_log(void *ud, const char *line)
{
        relay_log(ud, "%s", line);
}

/* ---- reconcile: Zoom's live lists go into the log like accepted webhooks ---- */

static void recon_append(void *ud, const char *src, const char *body, size_t len)
{
        if (on_accept(ud, NULL, NULL, src, body, len) < 0)
                relay_log(ud, "%s: a list too large for the log: dropped", src);
}

static void recon_log(void *ud, const char *line)
{
        relay_log(ud, "%s", line);
}

static const struct lws_protocols relay_protocols[] = {
    {"capmon-relay", callback_relay, sizeof(Pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_emit(int level, const char *line)
{
        /* lws has no user data here: one limit for the process (at EMFILE lws
         * logged ~150,000 lines a second) */
        static LogLimit limit;
        struct timespec ts;
        unsigned dropped;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (!LogLimit_allow(&limit, (int64_t)ts.tv_sec * 1000, &dropped))
                return;
        if (dropped) {
                char note[96];
                xsnprintf(note, sizeof note, "(%u more lines in the last second not shown)",
                          dropped);
                Log_lws(level, note);
        }
        Log_lws(level, line); /* prefixed and levelled in capmon's log */
}

Relay *Relay_new(const RelayCfg *cfg, char *err, size_t errlen)
{
        Relay *r = xcalloc(1, sizeof *r);
        r->cfg = *cfg;
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        r->fd = -1;
        r->cfg.ingest.guard = &r->guard;
        r->owner = (IngestOwner){.cfg = &r->cfg.ingest,
                                 .accept = on_accept,
                                 .health = on_health,
                                 .gone = on_gone,
                                 .observe = on_observe,
                                 .refused = on_refused,
                                 .ud = r};
        r->redis = cfg->store && strcmp(cfg->store, "file") != 0;
        xsnprintf(r->where, sizeof r->where, "%s", cfg->log_path ? cfg->log_path : "");
        if (r->redis ? redis_open(r, err, errlen) : log_open(r, err, errlen)) {
                Relay_free(r);
                return NULL;
        }
        if (cfg->record_path) {
                r->record = fopen(cfg->record_path, "a");
                if (!r->record) {
                        xsnprintf(err, errlen, "%s: %s", cfg->record_path, strerror(errno));
                        Relay_free(r);
                        return NULL;
                }
        }
        lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = cfg->port;
        info.iface = cfg->addr ? cfg->addr : "127.0.0.1";
        info.protocols = relay_protocols;
        info.user = r;
        info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
        if (cfg->addr && strchr(cfg->addr, ':'))
                info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
        if (cfg->cert && cfg->key) {
                info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
                info.ssl_cert_filepath = cfg->cert;
                info.ssl_private_key_filepath = cfg->key;
                /* HTTP/1.1 only: lws 4.1 gives no access to custom headers
                 * (x-zm-signature) on HTTP/2 streams */
                info.alpn = "http/1.1";
        }
        info.timeout_secs = 10;
        r->cx = lws_create_context(&info);
        if (!r->cx) {
                xsnprintf(err, errlen, "cannot listen on %s:%d (or TLS setup failed)", info.iface,
                          cfg->port);
                Relay_free(r);
                return NULL;
        }
        r->vh = lws_get_vhost_by_name(r->cx, "default");
        r->written = r->sync_want = r->sync_done = r->size;
        r->sync_want_seq = r->sync_done_seq = r->last_seq;
        if (r->redis) {
                if (redis_start(r, err, errlen)) {
                        Relay_free(r);
                        return NULL;
                }
        } else if (pthread_create(&r->syncer, NULL, syncer_main, r)) {
                xsnprintf(err, errlen, "cannot start the log flusher thread");
                Relay_free(r);
                return NULL;
        } else {
                r->syncer_started = 1;
        }
        if (cfg->metrics) {
                r->metrics = Metrics_listen(r->cx, cfg->metrics, relay_metrics, r, err, errlen);
                if (!r->metrics) {
                        Relay_free(r);
                        return NULL;
                }
                char url[128];
                Metrics_url(r->metrics, url, sizeof url);
                relay_log(r, "metrics on %s", url);
        }
        RtmsOwner ro = {
            .open = rtms_open, .emit = rtms_emit, .state = rtms_state, .log = rtms_log, .ud = r};
        r->rtms = Rtms_new(r->cx, &ro, err, errlen);
        if (!r->rtms) {
                Relay_free(r);
                return NULL;
        }
        if (cfg->reconcile_interval > 0 || cfg->video_qos > 0) {
                r->recon = RelayReconcile_new(r->cx, cfg->reconcile_interval, cfg->video_qos,
                                              r->redis ? &r->ru : NULL, recon_append, recon_log, r,
                                              err, errlen);
                if (!r->recon) {
                        Relay_free(r);
                        return NULL;
                }
                if (cfg->reconcile_interval > 0)
                        relay_log(r, "reconciling with Zoom's live list every %d s",
                                  cfg->reconcile_interval);
                if (cfg->video_qos > 0) {
                        char line[300];
                        reconcile_qos_pace(cfg->video_qos, line, sizeof line);
                        relay_log(r, "%s", line);
                }
        }
        lws_sul_schedule(r->cx, 0, &r->check_sul, check_subs, LWS_US_PER_SEC);
        if (r->redis)
                relay_log(r, "listening on %s:%d, store %s", info.iface, Relay_port(r), r->where);
        else
                relay_log(r, "listening on %s:%d, log %s (last seq %lld)", info.iface,
                          Relay_port(r), cfg->log_path, (long long)r->last_seq);
        return r;
}

int Relay_port(const Relay *r)
{
        return r->vh ? lws_get_vhost_listen_port(r->vh) : r->cfg.port;
}

void Relay_wake(Relay *r)
{
        if (r && r->cx)
                lws_cancel_service(r->cx);
}

int Relay_run(Relay *r, volatile sig_atomic_t *stop)
{
        r->stop = stop;
        while (!*stop) {
                if (lws_service(r->cx, 0) < 0 || r->fatal)
                        return -1;
        }
        /* what is pending is written and flushed (Relay_free waits for the
         * flusher); its clients get no answer and retry */
        commit(&r->commit_sul);
        return 0;
}

void Relay_free(Relay *r)
{
        if (!r)
                return;
        if (r->tail)
                redis_tail_stop(r->tail);
        if (r->syncer_started || r->writer_started) {
                pthread_mutex_lock(&r->mu);
                r->quit = 1;
                pthread_cond_broadcast(&r->cv);
                pthread_mutex_unlock(&r->mu);
                if (r->syncer_started)
                        pthread_join(r->syncer, NULL);
                if (r->writer_started) /* writes what was handed to it first */
                        pthread_join(r->writer, NULL);
        }
        Rtms_free(r->rtms);
        RelayReconcile_free(r->recon);
        Metrics_free(r->metrics);
        lws_sul_cancel(&r->guard.resume_sul);
        if (r->cx)
                lws_context_destroy(r->cx);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r->inflight);
        if (r->fd >= 0)
                close(r->fd);
        if (r->record)
                fclose(r->record);
        free(r->pend);
        free(r->waiting);
        ritems_free(r->rq, r->nrq);
        ritems_free(r->wq, r->nwq);
        free(r->wres);
        redis_url_done(&r->ru);
        free(r);
}
