/* A small blocking Redis client for the Streams store (docs/redis.md): plain
 * TCP or TLS (OpenSSL), AUTH, pipelining, timeouts. Commands are encoded and
 * replies parsed by hiredis (redisFormatCommandArgv, redisReader); the I/O is
 * ours, because Debian 12's hiredis 0.14 has no TLS. One RedisConn belongs to
 * one thread: the relay's writer and reader threads and the watch source each
 * own one, and never touch the lws loop with it. */
#ifndef CAPMON_REDIS_H
#define CAPMON_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* redis://[USER@]HOST[:PORT]/STREAM or rediss://... (TLS). A password in the
 * address is refused (secrets never on the command line): it comes from
 * CAPMON_REDIS_PASSWORD or the file named by CAPMON_REDIS_PASSWORD_FILE (or
 * redis_url_parse's password_file; one trailing newline is stripped). USER and
 * STREAM may be %XX-encoded; STREAM is everything after the first '/' and may
 * hold ':' or '/'. IPv6: [::1]:6380. TLS: CAPMON_REDIS_CA (a CA bundle or
 * directory) else the system's store, the name (or IP) of HOST verified;
 * CAPMON_REDIS_CERT/CAPMON_REDIS_KEY for a client certificate. */
typedef struct RedisUrl {
        char *host;
        int port; /* default 6379 */
        int tls;
        char *user;     /* ACL user or NULL */
        char *password; /* from the environment/file at parse time, or NULL */
        char *stream;   /* the stream key */
        char *ca, *cert, *key;
} RedisUrl;

/* 0, or -1 with a one-line message naming what is wrong. password_file may be
 * NULL (then CAPMON_REDIS_PASSWORD_FILE, then CAPMON_REDIS_PASSWORD). */
int redis_url_parse(const char *url, const char *password_file, RedisUrl *u, char *err,
                    size_t errlen);
void redis_url_done(RedisUrl *u);
/* "redis://host:port/stream" (no secrets), for logs. */
void redis_url_text(const RedisUrl *u, char *buf, size_t len);

typedef struct RedisConn RedisConn;

/* Connects (timeout_ms for the connection, TLS handshake, AUTH and PING; AUTH
 * [USER] PASSWORD when there is a password or a user), then every
 * later wait for the socket lasts at most io_timeout_ms (0: forever; give
 * XREAD BLOCK's time plus a margin). NULL with a message. Replies over 64 MiB
 * are a protocol error. */
RedisConn *redis_connect(const RedisUrl *u, int timeout_ms, int io_timeout_ms, char *err,
                         size_t errlen);
void redis_close(RedisConn *c);

/* Queue one command (pipelining); sent by the next redis_reply/redis_flush, or
 * at once when over 1 MiB is queued (an error then shows at the next call). */
void redis_append(RedisConn *c, int argc, const char **argv, const size_t *argvlen);
/* Sends what is queued. 0, or -1 (connection unusable: see redis_error). */
int redis_flush(RedisConn *c);
/* The next reply, in command order (flushes first). NULL on an I/O error or a
 * timeout: the connection is then unusable. A Redis error is a reply of type
 * REDIS_REPLY_ERROR, not NULL. Free with freeReplyObject. */
redisReply *redis_reply(RedisConn *c);
/* One command, one reply. */
redisReply *redis_command(RedisConn *c, int argc, const char **argv, const size_t *argvlen);
/* The I/O or protocol error that made the connection unusable, one line. */
const char *redis_error(const RedisConn *c);

/* Stream entry IDs: capmon appends with ID "0-*", so Redis numbers entries
 * 0-1, 0-2, ... and an entry's seq is the part after '-', the same on every
 * relay. -1 when id is not of that form. */
int64_t redis_id_seq(const char *id, size_t len);

/* capmon stream entries: XADD <stream> [MAXLEN ~ N] 0-* recv <epoch ms> src
 * <webhook|relay|...> body <the text received>. The argv of that command
 * (12 or, maxlen <= 0, 9 strings; bufs holds the numbers' text, keep it alive
 * until sent). */
typedef struct RedisXadd {
        const char *argv[12];
        size_t argvlen[12];
        int argc;
        char bufs[2][24];
} RedisXadd;
void redis_xadd_args(RedisXadd *x, const char *stream, long long maxlen, int64_t recv_ms,
                     const char *src, const char *body, size_t len);
/* One entry of an XREAD/XRANGE reply ([id, [field, value, ...]]) as the log
 * line the file store would have written for it (Record_format, with its
 * final newline):
 * its length, *line malloc'd, *seq its seq. 0 with *seq = -1 when the entry
 * is not a capmon entry (then *line is NULL): not [id, ...] or an id not
 * 0-<seq>. An entry with a good id always gives a line, so seqs stay dense:
 * without a body field (or with fields of the wrong type) an invalid record
 * "no body in the Redis entry"; a body over LOG_LINE_MAX an invalid record
 * with its first 1 KiB; a missing recv is 0, a missing or odd src
 * "unknown". */
size_t redis_entry_line(const redisReply *entry, char **line, int64_t *seq);

/* A thread that follows the stream from after_seq with XREAD BLOCK,
 * reconnecting with backoff (0.5 s doubling to 10 s, jitter) and resuming
 * from the last seq it delivered. Callbacks run on that thread; any may be
 * NULL. state() is told of changes only: up, then down with the first
 * failure's reason, not again for each failed retry unless the reason
 * changes. gap() whenever an entry's seq is above the last delivered + 1
 * (a brand-new stream starts at 1: after_seq 0 then no gap). On each
 * reconnection after seq N > 0, XINFO STREAM checks the stream did not go
 * back (Redis lost its data and the stream restarted, or the key is gone):
 * then state(0, "the stream ... went back from seq N to M ...") and
 * state(1, NULL), and the tail reads the new stream from its start (seq 1 on:
 * the consumer's duplicate rules judge them). Entries that are not capmon's
 * are skipped. A reply over 64 MiB makes it read fewer entries at a time. */
typedef struct RedisTailCb {
        /* every entry in order; return -1 to stop the tail */
        int (*record)(void *ud, int64_t seq, const char *line, size_t len);
        /* after each XREAD reply that delivered records (a batch boundary) */
        void (*batch)(void *ud);
        /* connected (up=1) or lost (up=0, why says what happened) */
        void (*state)(void *ud, int up, const char *why);
        /* entries from..to were trimmed away before they could be read */
        void (*gap)(void *ud, int64_t from, int64_t to);
        /* the stream is now at its end (once per connection, after the backlog:
         * the first XREAD giving fewer than count entries, or none): last is
         * the last seq delivered (or after_seq) */
        void (*caught_up)(void *ud, int64_t last);
        void *ud;
} RedisTailCb;
typedef struct RedisTail RedisTail;
/* count: entries per XREAD (0: 1000). NULL with a message if the thread
 * cannot start (connection failures are retried, not errors). */
RedisTail *redis_tail_start(const RedisUrl *u, int64_t after_seq, int count, const RedisTailCb *cb,
                            char *err, size_t errlen);
/* Stops and joins the thread (within about one second). */
void redis_tail_stop(RedisTail *t);

#endif
