/* A small blocking Redis client (redis.h): hiredis encodes the commands and
 * parses the replies, we do the I/O on a nonblocking socket, each wait bounded
 * by poll(), with OpenSSL over it for rediss://. */
#include "redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "evlog.h"
#include "util.h"

#define REPLY_MAX    (64u << 20) /* a bigger reply (or command) is a protocol error */
#define OUT_FLUSH    (1u << 20)  /* redis_append sends once this much is queued */
#define OUT_KEEP     (1u << 20)  /* a bigger output buffer is freed once sent */
#define SECRET_MAX   4096        /* bytes of a password file */
#define SLICE_MS     200         /* a cancellable wait looks at its flag this often */
#define TAIL_BLOCK   1000        /* XREAD BLOCK, ms */
#define TAIL_CONNECT 3000        /* the tail's connection timeout, ms */
#define TAIL_IO      (TAIL_BLOCK + 5000)

struct RedisConn {
        int fd;
        SSL_CTX *ctx;
        SSL *ssl;
        int guard_pipe; /* SIGPIPE is not ignored: block it around OpenSSL's writes */
        redisReader *rd;
        char *out; /* encoded commands not sent yet: out[off..len) */
        size_t len, off, cap;
        size_t inreply; /* bytes received since the last whole reply */
        int io_timeout_ms;
        int connect_ms;
        int64_t deadline;         /* while connecting: the monotonic limit, else 0 */
        const atomic_int *cancel; /* the tail's stop flag, or NULL */
        int dead;                 /* after an I/O or protocol error */
        int too_big;              /* that error was a reply over REPLY_MAX */
        char addr[300];           /* host:port, for messages */
        char err[300];
};

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int conn_fail(RedisConn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conn_fail(RedisConn *c, const char *fmt, ...)
{
        if (!c->dead) { /* the first error is the cause; keep it */
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(c->err, sizeof c->err, fmt, ap);
                va_end(ap);
                c->dead = 1;
        }
        return -1;
}

/* ---- addresses ---- */

static int hexval(int ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* s[0..n) with %XX decoded; NULL for a bad escape or a NUL byte. */
static char *pct_decode(const char *s, size_t n)
{
        char *out = xmalloc(n + 1), *o = out;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '%') {
                        *o++ = s[i];
                        continue;
                }
                int hi = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
                int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                        free(out);
                        return NULL;
                }
                *o++ = (char)(hi * 16 + lo);
                i += 2;
        }
        *o = '\0';
        return out;
}

/* The password in a file: one trailing newline stripped. 0, or -1. */
static int read_secret(const char *path, char **out, char *err, size_t errlen)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return xsnprintf(err, errlen, "%s: cannot read the Redis password: %s", path,
                                 strerror(errno)),
                       -1;
        char *buf = xmalloc(SECRET_MAX + 2);
        size_t n = fread(buf, 1, SECRET_MAX + 1, f);
        int bad = ferror(f);
        fclose(f);
        const char *why = NULL;
        if (bad)
                why = "read error";
        else if (n > SECRET_MAX)
                why = "longer than 4096 bytes";
        else if (memchr(buf, '\0', n))
                why = "contains a NUL byte";
        if (!why && n && buf[n - 1] == '\n') {
                n--;
                if (n && buf[n - 1] == '\r')
                        n--;
        }
        if (!why && !n)
                why = "empty";
        if (why) {
                explicit_bzero(buf, SECRET_MAX + 2);
                free(buf);
                return xsnprintf(err, errlen, "%s: bad Redis password file: %s", path, why), -1;
        }
        buf[n] = '\0';
        *out = buf;
        return 0;
}

static char *env_dup(const char *name)
{
        const char *v = getenv(name);
        return v && *v ? xstrdup(v) : NULL;
}

int redis_url_parse(const char *url, const char *password_file, RedisUrl *u, char *err,
                    size_t errlen)
{
        memset(u, 0, sizeof *u);
        u->port = 6379;
        const char *p;
        if (!url)
                url = "";
        if (strncasecmp(url, "redis://", 8) == 0) {
                p = url + 8;
        } else if (strncasecmp(url, "rediss://", 9) == 0) {
                p = url + 9;
                u->tls = 1;
        } else {
                return xsnprintf(err, errlen,
                                 "not a Redis address: want redis://[USER@]HOST[:PORT]/STREAM "
                                 "or rediss://..."),
                       -1;
        }
        const char *slash = strchr(p, '/');
        const char *end = slash ? slash : p + strlen(p);
        const char *at = NULL;
        for (const char *q = p; q < end; q++)
                if (*q == '@')
                        at = q;
        if (at) {
                if (memchr(p, ':', (size_t)(at - p))) {
                        /* never echo the address: it holds a secret */
                        xsnprintf(err, errlen,
                                  "a password in the Redis address is refused: set "
                                  "CAPMON_REDIS_PASSWORD or use a password file "
                                  "(CAPMON_REDIS_PASSWORD_FILE)");
                        return -1;
                }
                if (at == p) {
                        xsnprintf(err, errlen, "empty user name in the Redis address");
                        goto fail;
                }
                u->user = pct_decode(p, (size_t)(at - p));
                if (!u->user) {
                        xsnprintf(err, errlen, "bad %%-escape in the Redis user name");
                        goto fail;
                }
                p = at + 1;
        }
        const char *hend;
        if (*p == '[') {
                const char *rb = memchr(p, ']', (size_t)(end - p));
                if (!rb) {
                        xsnprintf(err, errlen, "unclosed '[' in the Redis address");
                        goto fail;
                }
                u->host = xstrndup(p + 1, (size_t)(rb - p - 1));
                struct in6_addr a6;
                if (inet_pton(AF_INET6, u->host, &a6) != 1) {
                        xsnprintf(err, errlen, "bad IPv6 address [%.100s] in the Redis address",
                                  u->host);
                        goto fail;
                }
                hend = rb + 1;
                if (hend < end && *hend != ':') {
                        xsnprintf(err, errlen, "unexpected text after ']' in the Redis address");
                        goto fail;
                }
        } else {
                hend = memchr(p, ':', (size_t)(end - p));
                if (!hend)
                        hend = end;
                u->host = xstrndup(p, (size_t)(hend - p));
                if (!*u->host) {
                        xsnprintf(err, errlen, "missing host in the Redis address");
                        goto fail;
                }
                if (strpbrk(u->host, "[]%?# ")) {
                        xsnprintf(err, errlen, "bad host '%.100s' in the Redis address", u->host);
                        goto fail;
                }
        }
        if (hend < end) { /* ':' PORT */
                const char *d = hend + 1;
                size_t nd = (size_t)(end - d);
                long port = 0;
                int good = nd >= 1 && nd <= 5;
                for (size_t i = 0; good && i < nd; i++) {
                        if (d[i] < '0' || d[i] > '9')
                                good = 0;
                        else
                                port = port * 10 + (d[i] - '0');
                }
                if (!good || port < 1 || port > 65535) {
                        xsnprintf(err, errlen, "bad port '%.*s' in the Redis address",
                                  (int)(nd > 20 ? 20 : nd), d);
                        goto fail;
                }
                u->port = (int)port;
        }
        if (!slash || !slash[1]) {
                xsnprintf(err, errlen,
                          "missing the stream name in the Redis address "
                          "(redis://HOST[:PORT]/STREAM)");
                goto fail;
        }
        u->stream = pct_decode(slash + 1, strlen(slash + 1));
        if (!u->stream) {
                xsnprintf(err, errlen, "bad %%-escape in the Redis stream name");
                goto fail;
        }
        if (!password_file || !*password_file)
                password_file = getenv("CAPMON_REDIS_PASSWORD_FILE");
        if (password_file && *password_file) {
                if (read_secret(password_file, &u->password, err, errlen))
                        goto fail;
        } else {
                u->password = env_dup("CAPMON_REDIS_PASSWORD");
        }
        if (u->tls) {
                u->ca = env_dup("CAPMON_REDIS_CA");
                u->cert = env_dup("CAPMON_REDIS_CERT");
                u->key = env_dup("CAPMON_REDIS_KEY");
                if (u->key && !u->cert) {
                        xsnprintf(err, errlen, "CAPMON_REDIS_KEY is set without CAPMON_REDIS_CERT");
                        goto fail;
                }
        }
        return 0;
fail:
        redis_url_done(u);
        return -1;
}

void redis_url_done(RedisUrl *u)
{
        if (!u)
                return;
        free(u->host);
        free(u->user);
        if (u->password) {
                explicit_bzero(u->password, strlen(u->password));
                free(u->password);
        }
        free(u->stream);
        free(u->ca);
        free(u->cert);
        free(u->key);
        memset(u, 0, sizeof *u);
        u->port = 6379;
}

static void url_copy(RedisUrl *d, const RedisUrl *s)
{
        *d = *s;
        d->host = s->host ? xstrdup(s->host) : NULL;
        d->user = s->user ? xstrdup(s->user) : NULL;
        d->password = s->password ? xstrdup(s->password) : NULL;
        d->stream = s->stream ? xstrdup(s->stream) : NULL;
        d->ca = s->ca ? xstrdup(s->ca) : NULL;
        d->cert = s->cert ? xstrdup(s->cert) : NULL;
        d->key = s->key ? xstrdup(s->key) : NULL;
}

static void host_port(const char *host, int port, char *buf, size_t len)
{
        int v6 = host && strchr(host, ':');
        xsnprintf(buf, len, "%s%s%s:%d", v6 ? "[" : "", host ? host : "?", v6 ? "]" : "", port);
}

void redis_url_text(const RedisUrl *u, char *buf, size_t len)
{
        char hp[300];
        host_port(u->host, u->port, hp, sizeof hp);
        xsnprintf(buf, len, "%s://%s%s%s/%s", u->tls ? "rediss" : "redis", u->user ? u->user : "",
                  u->user ? "@" : "", hp, u->stream ? u->stream : "");
}

/* ---- I/O ---- */

/* OpenSSL writes with write(2): when the process does not ignore SIGPIPE, a
 * peer that went away must not kill it. Block the signal around the call and
 * swallow one it raised (curl's sigpipe_ignore). */
typedef struct PipeGuard {
        sigset_t old;
        int on, pending;
} PipeGuard;

static void guard_on(const RedisConn *c, PipeGuard *g)
{
        g->on = c->guard_pipe;
        if (!g->on)
                return;
        sigset_t s, pend;
        sigemptyset(&s);
        sigaddset(&s, SIGPIPE);
        sigpending(&pend);
        g->pending = sigismember(&pend, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &s, &g->old);
}

static void guard_off(PipeGuard *g)
{
        if (!g->on)
                return;
        if (!g->pending && !sigismember(&g->old, SIGPIPE)) {
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, SIGPIPE);
                struct timespec zero = {0, 0};
                while (sigtimedwait(&s, NULL, &zero) == SIGPIPE)
                        ;
        }
        pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* 1 ready, 0 timed out, -1 cancelled, -2 poll failed. limit 0: no limit. */
static int wait_raw(const RedisConn *c, short events, int64_t limit)
{
        for (;;) {
                if (c->cancel && atomic_load(c->cancel))
                        return -1;
                int t = -1;
                if (limit) {
                        int64_t left = limit - mono_ms();
                        if (left <= 0)
                                return 0;
                        t = left > INT_MAX ? INT_MAX : (int)left;
                }
                if (c->cancel && (t < 0 || t > SLICE_MS))
                        t = SLICE_MS;
                struct pollfd p = {.fd = c->fd, .events = events};
                int n = poll(&p, 1, t);
                if (n > 0)
                        return 1; /* POLLERR/POLLHUP too: the next read or write tells */
                if (n < 0 && errno != EINTR)
                        return -2;
        }
}

/* Wait for the socket; each wait is bounded by io_timeout_ms (while connecting,
 * by the connection's deadline). 0, or -1 with the connection marked dead. */
static int wait_fd(RedisConn *c, short events, const char *what)
{
        int ms = c->deadline ? c->connect_ms : c->io_timeout_ms;
        int64_t limit = c->deadline ? c->deadline : ms > 0 ? mono_ms() + ms : 0;
        int r = wait_raw(c, events, limit);
        if (r == 1)
                return 0;
        if (r == 0)
                return conn_fail(c, "timeout: %s %s in %d ms", what, c->addr, ms);
        if (r == -1)
                return conn_fail(c, "stopped");
        return conn_fail(c, "poll: %s", strerror(errno));
}

static const char *ssl_errtext(char *buf, size_t len)
{
        unsigned long e = ERR_get_error();
        const char *r = e ? ERR_reason_error_string(e) : NULL;
        if (r)
                xsnprintf(buf, len, "%s", r);
        else if (e)
                ERR_error_string_n(e, buf, len);
        else
                xsnprintf(buf, len, "unknown error");
        ERR_clear_error();
        return buf;
}

/* Bytes moved (> 0), 0 when the peer closed, -1 on an error (the connection
 * is dead), -2 when the call would block (*want says for what). */
static ssize_t ssl_result(RedisConn *c, int n, int e, int sys, short *want, const char *what)
{
        char eb[200];
        switch (e) {
        case SSL_ERROR_NONE:
                return n;
        case SSL_ERROR_WANT_READ:
                *want = POLLIN;
                return -2;
        case SSL_ERROR_WANT_WRITE:
                *want = POLLOUT;
                return -2;
        case SSL_ERROR_ZERO_RETURN:
                return 0;
        case SSL_ERROR_SYSCALL:
                if (!ERR_peek_error()) {
                        if (!sys || sys == EPIPE || sys == ECONNRESET)
                                return 0;
                        return conn_fail(c, "%s %s: %s", what, c->addr, strerror(sys));
                }
                break;
        default:
                break;
        }
        if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
                ERR_clear_error();
                return 0;
        }
        return conn_fail(c, "%s %s: TLS: %s", what, c->addr, ssl_errtext(eb, sizeof eb));
}

/* One recv/send (or SSL_read/SSL_write) of up to len bytes: the count, 0 when
 * the peer closed, -2 with *want set when it would block, -1 on an error
 * (conn_fail). out: NULL to receive into in, else the bytes to send. */
static ssize_t io_xfer(RedisConn *c, char *in, const char *out, size_t len, short *want)
{
        const char *what = out ? "sending to" : "reading from";
        if (!c->ssl) {
                for (;;) {
                        ssize_t n =
                            out ? send(c->fd, out, len, MSG_NOSIGNAL) : recv(c->fd, in, len, 0);
                        if (n >= 0)
                                return n;
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK) {
                                *want = out ? POLLOUT : POLLIN;
                                return -2;
                        }
                        if (errno == ECONNRESET || (out && errno == EPIPE))
                                return 0;
                        return conn_fail(c, "%s %s: %s", what, c->addr, strerror(errno));
                }
        }
        PipeGuard g;
        guard_on(c, &g);
        ERR_clear_error();
        errno = 0;
        int max = len > INT_MAX ? INT_MAX : (int)len;
        int n = out ? SSL_write(c->ssl, out, max) : SSL_read(c->ssl, in, max);
        int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, n);
        int sys = errno;
        guard_off(&g);
        return ssl_result(c, n, e, sys, want, what);
}

int redis_flush(RedisConn *c)
{
        if (!c || c->dead)
                return -1;
        while (c->off < c->len) {
                short want = POLLOUT;
                ssize_t n = io_xfer(c, NULL, c->out + c->off, c->len - c->off, &want);
                if (n > 0) {
                        c->off += (size_t)n;
                        continue;
                }
                if (n == 0)
                        return conn_fail(c, "%s closed the connection", c->addr);
                if (n == -1 || wait_fd(c, want, "cannot send to"))
                        return -1;
        }
        c->off = c->len = 0;
        if (c->cap > OUT_KEEP) {
                free(c->out);
                c->out = NULL;
                c->cap = 0;
        }
        return 0;
}

void redis_append(RedisConn *c, int argc, const char **argv, const size_t *argvlen)
{
        if (!c || c->dead)
                return;
        char *cmd = NULL;
        int n = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
        if (n < 0) {
                conn_fail(c, "cannot encode a Redis command");
                return;
        }
        if ((size_t)n > REPLY_MAX) {
                redisFreeCommand(cmd);
                conn_fail(c, "a Redis command over %u MiB", REPLY_MAX >> 20);
                return;
        }
        if (c->len + (size_t)n > c->cap) {
                size_t cap = c->cap ? c->cap : 4096;
                while (cap < c->len + (size_t)n)
                        cap *= 2;
                c->out = xrealloc(c->out, cap);
                c->cap = cap;
        }
        memcpy(c->out + c->len, cmd, (size_t)n);
        c->len += (size_t)n;
        redisFreeCommand(cmd);
        if (c->len - c->off >= OUT_FLUSH)
                redis_flush(c); /* an error marks c: the next reply says so */
}

/* Feed the reader at least one more byte. 0, or -1 (dead). */
static int fill(RedisConn *c)
{
        char buf[65536];
        for (;;) {
                short want = POLLIN;
                ssize_t n = io_xfer(c, buf, NULL, sizeof buf, &want);
                if (n > 0) {
                        if (redisReaderFeed(c->rd, buf, (size_t)n) != REDIS_OK)
                                return conn_fail(c, "protocol error from %s: %s", c->addr,
                                                 c->rd->errstr);
                        c->inreply += (size_t)n;
                        if (c->inreply > REPLY_MAX) {
                                c->too_big = 1;
                                return conn_fail(c, "protocol error: a reply over %u MiB from %s",
                                                 REPLY_MAX >> 20, c->addr);
                        }
                        return 0;
                }
                if (n == 0)
                        return conn_fail(c, "%s closed the connection", c->addr);
                if (n == -1 || wait_fd(c, want, "no answer from"))
                        return -1;
        }
}

redisReply *redis_reply(RedisConn *c)
{
        if (!c || c->dead || redis_flush(c))
                return NULL;
        for (;;) {
                void *r = NULL;
                if (redisReaderGetReply(c->rd, &r) != REDIS_OK) {
                        conn_fail(c, "protocol error from %s: %s", c->addr, c->rd->errstr);
                        return NULL;
                }
                if (r) {
                        c->inreply = c->rd->len - c->rd->pos; /* the next replies' bytes */
                        return r;
                }
                if (fill(c))
                        return NULL;
        }
}

redisReply *redis_command(RedisConn *c, int argc, const char **argv, const size_t *argvlen)
{
        redis_append(c, argc, argv, argvlen);
        return redis_reply(c);
}

const char *redis_error(const RedisConn *c)
{
        if (!c)
                return "no connection";
        return c->err[0] ? c->err : "no error";
}

/* ---- connecting ---- */

static int tcp_connect(RedisConn *c, const RedisUrl *u)
{
        char port[16];
        xsnprintf(port, sizeof port, "%d", u->port);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *res = NULL;
        int g = getaddrinfo(u->host, port, &hints, &res);
        if (g)
                return conn_fail(c, "cannot resolve %s: %s", u->host,
                                 g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
        char why[200] = "no address";
        for (struct addrinfo *a = res; a; a = a->ai_next) {
                int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                a->ai_protocol);
                if (fd < 0) {
                        xsnprintf(why, sizeof why, "%s", strerror(errno));
                        continue;
                }
                int r = connect(fd, a->ai_addr, a->ai_addrlen);
                if (r && errno == EINPROGRESS) {
                        c->fd = fd;
                        int w = wait_raw(c, POLLOUT, c->deadline);
                        c->fd = -1;
                        if (w == 0 || w == -1) {
                                close(fd);
                                freeaddrinfo(res);
                                if (w == -1)
                                        return conn_fail(c, "stopped");
                                return conn_fail(c, "timeout: cannot connect to %s in %d ms",
                                                 c->addr, c->connect_ms);
                        }
                        int soerr = 0;
                        socklen_t sl = sizeof soerr;
                        if (w < 0)
                                soerr = errno;
                        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
                                soerr = errno;
                        r = soerr ? -1 : 0;
                        errno = soerr;
                }
                if (r) {
                        xsnprintf(why, sizeof why, "%s", strerror(errno));
                        close(fd);
                        continue;
                }
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
                c->fd = fd;
                freeaddrinfo(res);
                return 0;
        }
        freeaddrinfo(res);
        return conn_fail(c, "cannot connect to %s: %s", c->addr, why);
}

static int tls_setup_fail(RedisConn *c, const char *what, const char *path)
{
        char eb[200];
        return conn_fail(c, "TLS: %s %s: %s", what, path, ssl_errtext(eb, sizeof eb));
}

static int tls_start(RedisConn *c, const RedisUrl *u)
{
        ERR_clear_error();
        c->ctx = SSL_CTX_new(TLS_client_method());
        if (!c->ctx)
                return tls_setup_fail(c, "cannot create a context", "");
        SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_mode(c->ctx,
                         SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (u->ca) {
                struct stat st;
                int dir = stat(u->ca, &st) == 0 && S_ISDIR(st.st_mode);
                if (SSL_CTX_load_verify_locations(c->ctx, dir ? NULL : u->ca, dir ? u->ca : NULL) !=
                    1)
                        return tls_setup_fail(c, "cannot load CAPMON_REDIS_CA", u->ca);
        } else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
                return tls_setup_fail(c, "cannot load the system's CA store", "");
        }
        if (u->cert) {
                const char *key = u->key ? u->key : u->cert;
                if (SSL_CTX_use_certificate_chain_file(c->ctx, u->cert) != 1)
                        return tls_setup_fail(c, "cannot load CAPMON_REDIS_CERT", u->cert);
                if (SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1)
                        return tls_setup_fail(c, "cannot load CAPMON_REDIS_KEY", key);
                if (SSL_CTX_check_private_key(c->ctx) != 1)
                        return tls_setup_fail(c, "the key does not match CAPMON_REDIS_CERT",
                                              u->cert);
        }
        c->ssl = SSL_new(c->ctx);
        if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
                return tls_setup_fail(c, "cannot start", "");
        unsigned char ip[16];
        if (inet_pton(AF_INET, u->host, ip) == 1 || inet_pton(AF_INET6, u->host, ip) == 1) {
                if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host) != 1)
                        return tls_setup_fail(c, "cannot verify the address", u->host);
        } else {
                SSL_set_tlsext_host_name(c->ssl, u->host);
                if (SSL_set1_host(c->ssl, u->host) != 1)
                        return tls_setup_fail(c, "cannot verify the name", u->host);
        }
        for (;;) {
                PipeGuard g;
                guard_on(c, &g);
                ERR_clear_error();
                errno = 0;
                int r = SSL_connect(c->ssl);
                int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
                int sys = errno;
                guard_off(&g);
                if (e == SSL_ERROR_NONE)
                        return 0;
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                        if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                                    "no TLS handshake with")) {
                                if (strncmp(c->err, "timeout", 7) == 0) {
                                        size_t l = strlen(c->err);
                                        xsnprintf(c->err + l, sizeof c->err - l,
                                                  " (is it a TLS port?)");
                                }
                                return -1;
                        }
                        continue;
                }
                long v = SSL_get_verify_result(c->ssl);
                if (v != X509_V_OK) {
                        ERR_clear_error();
                        int ca_problem = v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                                         v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                                         v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
                                         v == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
                        return conn_fail(c, "TLS: the certificate of %s is not trusted: %s%s",
                                         c->addr, X509_verify_cert_error_string(v),
                                         ca_problem && !u->ca
                                             ? " (set CAPMON_REDIS_CA to the CA that signed it)"
                                             : "");
                }
                if (e == SSL_ERROR_SYSCALL && !ERR_peek_error())
                        return conn_fail(c, "TLS handshake with %s: %s", c->addr,
                                         sys ? strerror(sys) : "connection closed");
                char eb[200];
                return conn_fail(c, "TLS handshake with %s: %s (is it a TLS port?)", c->addr,
                                 ssl_errtext(eb, sizeof eb));
        }
}

/* AUTH when there is a password (or a user), then PING. */
static int hello(RedisConn *c, const RedisUrl *u)
{
        if (u->password || u->user) {
                const char *argv[3] = {"AUTH"};
                size_t argl[3] = {4};
                int argc = 1;
                if (u->user) {
                        argv[argc] = u->user;
                        argl[argc++] = strlen(u->user);
                }
                argv[argc] = u->password ? u->password : "";
                argl[argc] = strlen(argv[argc]);
                argc++;
                redisReply *r = redis_command(c, argc, argv, argl);
                if (!r)
                        return -1;
                if (r->type == REDIS_REPLY_ERROR) {
                        conn_fail(c, "%s refused the password (AUTH%s): %.200s", c->addr,
                                  u->user ? " as user" : "", r->str);
                        freeReplyObject(r);
                        return -1;
                }
                freeReplyObject(r);
        }
        const char *argv[] = {"PING"};
        size_t argl[] = {4};
        redisReply *r = redis_command(c, 1, argv, argl);
        if (!r)
                return -1;
        int bad = r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0;
        if (bad && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0)
                conn_fail(c,
                          "%s requires a password: set CAPMON_REDIS_PASSWORD or "
                          "CAPMON_REDIS_PASSWORD_FILE",
                          c->addr);
        else if (bad)
                conn_fail(c, "%s: unexpected answer to PING: %.200s", c->addr,
                          r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS ||
                                  r->type == REDIS_REPLY_STRING
                              ? r->str
                              : "(not a string)");
        freeReplyObject(r);
        return bad ? -1 : 0;
}

static RedisConn *conn_open(const RedisUrl *u, int timeout_ms, int io_timeout_ms,
                            const atomic_int *cancel, char *err, size_t errlen)
{
        if (!u || !u->host) {
                xsnprintf(err, errlen, "no Redis address");
                return NULL;
        }
        RedisConn *c = xcalloc(1, sizeof *c);
        c->fd = -1;
        c->cancel = cancel;
        c->io_timeout_ms = io_timeout_ms > 0 ? io_timeout_ms : 0;
        c->connect_ms = timeout_ms > 0 ? timeout_ms : 0;
        c->deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
        host_port(u->host, u->port, c->addr, sizeof c->addr);
        struct sigaction sa;
        c->guard_pipe = u->tls && (sigaction(SIGPIPE, NULL, &sa) || sa.sa_handler != SIG_IGN);
        c->rd = redisReaderCreate();
        if (!c->rd)
                conn_fail(c, "out of memory");
        if (c->dead || tcp_connect(c, u) || (u->tls && tls_start(c, u)) || hello(c, u)) {
                if (!u->tls && strstr(c->err, "closed the connection")) {
                        size_t l = strlen(c->err);
                        xsnprintf(c->err + l, sizeof c->err - l,
                                  " (a TLS port? then use rediss://)");
                }
                if (c->ssl && !u->cert &&
                    (strstr(c->err, "closed the connection") ||
                     strstr(c->err, "certificate required"))) {
                        size_t l = strlen(c->err);
                        xsnprintf(c->err + l, sizeof c->err - l,
                                  " (does it want a client certificate? CAPMON_REDIS_CERT, "
                                  "CAPMON_REDIS_KEY)");
                }
                xsnprintf(err, errlen, "%s", c->err);
                redis_close(c);
                return NULL;
        }
        c->deadline = 0;
        return c;
}

RedisConn *redis_connect(const RedisUrl *u, int timeout_ms, int io_timeout_ms, char *err,
                         size_t errlen)
{
        return conn_open(u, timeout_ms, io_timeout_ms, NULL, err, errlen);
}

void redis_close(RedisConn *c)
{
        if (!c)
                return;
        SSL_free(c->ssl); /* no close_notify: Redis does not need one */
        SSL_CTX_free(c->ctx);
        if (c->fd >= 0)
                close(c->fd);
        if (c->rd)
                redisReaderFree(c->rd);
        free(c->out);
        free(c);
}

/* ---- capmon stream entries ---- */

int64_t redis_id_seq(const char *id, size_t len)
{
        if (!id || len < 3 || id[0] != '0' || id[1] != '-')
                return -1;
        int64_t v = 0;
        for (size_t i = 2; i < len; i++) {
                if (id[i] < '0' || id[i] > '9')
                        return -1;
                int d = id[i] - '0';
                if (v > (INT64_MAX - d) / 10)
                        return -1;
                v = v * 10 + d;
        }
        return v;
}

void redis_xadd_args(RedisXadd *x, const char *stream, long long maxlen, int64_t recv_ms,
                     const char *src, const char *body, size_t len)
{
        int n = 0;
#define ARG(s, l)                                                                                  \
        do {                                                                                       \
                x->argv[n] = (s);                                                                  \
                x->argvlen[n++] = (l);                                                             \
        } while (0)
        ARG("XADD", 4);
        ARG(stream, strlen(stream));
        if (maxlen > 0) {
                int k = snprintf(x->bufs[0], sizeof x->bufs[0], "%lld", maxlen);
                ARG("MAXLEN", 6);
                ARG("~", 1);
                ARG(x->bufs[0], (size_t)k);
        }
        ARG("0-*", 3);
        int k = snprintf(x->bufs[1], sizeof x->bufs[1], "%lld", (long long)recv_ms);
        ARG("recv", 4);
        ARG(x->bufs[1], (size_t)k);
        ARG("src", 3);
        ARG(src, strlen(src));
        ARG("body", 4);
        ARG(body, len);
#undef ARG
        x->argc = n;
}

static int is_str(const redisReply *r)
{
        return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

static int str_is(const redisReply *r, const char *s)
{
        size_t n = strlen(s);
        return is_str(r) && r->len == n && memcmp(r->str, s, n) == 0;
}

size_t redis_entry_line(const redisReply *entry, char **line, int64_t *seq)
{
        *line = NULL;
        *seq = -1;
        if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
            !is_str(entry->element[0]))
                return 0;
        int64_t s = redis_id_seq(entry->element[0]->str, entry->element[0]->len);
        if (s < 0)
                return 0;
        const redisReply *f = entry->element[1], *recv = NULL, *src = NULL, *body = NULL;
        if (f && f->type == REDIS_REPLY_ARRAY) {
                for (size_t i = 0; i + 1 < f->elements; i += 2) {
                        const redisReply *k = f->element[i], *v = f->element[i + 1];
                        if (!is_str(v))
                                continue;
                        if (!recv && str_is(k, "recv"))
                                recv = v;
                        else if (!src && str_is(k, "src"))
                                src = v;
                        else if (!body && str_is(k, "body"))
                                body = v;
                }
        }
        int64_t recv_ms = 0;
        if (recv && recv->len < 24) {
                char nb[24];
                memcpy(nb, recv->str, recv->len);
                nb[recv->len] = '\0';
                if (parse_int64(nb, &recv_ms))
                        recv_ms = 0;
        }
        /* src: a short word (webhook, relay, ...); anything else is not ours */
        char sb[33] = "unknown";
        if (src && src->len && src->len < sizeof sb) {
                int good = 1;
                for (size_t i = 0; i < src->len; i++)
                        if (src->str[i] <= ' ' || src->str[i] > '~')
                                good = 0;
                if (good) {
                        memcpy(sb, src->str, src->len);
                        sb[src->len] = '\0';
                }
        }
        *seq = s;
        if (!body)
                return Record_format(line, s, recv_ms, sb, "", 0, "no body in the Redis entry");
        if (body->len > LOG_LINE_MAX)
                return Record_format(line, s, recv_ms, sb, body->str, 1024,
                                     "body longer than a log line (cut)");
        return Record_format(line, s, recv_ms, sb, body->str, body->len, NULL);
}

/* ---- the tail ---- */

struct RedisTail {
        RedisUrl u;
        int64_t after;
        int count;
        RedisTailCb cb;
        atomic_int stop;
        pthread_t th;
        int told; /* the state last reported: -1 none yet, 0 down, 1 up */
        char told_why[300];
        uint64_t rng;
};

static void tell(RedisTail *t, int up, const char *why)
{
        if (atomic_load(&t->stop))
                return;
        if (!why)
                why = "";
        if (t->told == up && (up || strcmp(why, t->told_why) == 0))
                return;
        t->told = up;
        xsnprintf(t->told_why, sizeof t->told_why, "%s", why);
        if (t->cb.state)
                t->cb.state(t->cb.ud, up, up ? NULL : why);
}

static void nap(RedisTail *t, int ms)
{
        while (ms > 0 && !atomic_load(&t->stop)) {
                int s = ms > 100 ? 100 : ms;
                struct timespec ts = {0, (long)s * 1000000L};
                nanosleep(&ts, NULL);
                ms -= s;
        }
}

static int jitter(RedisTail *t, int ms)
{
        t->rng ^= t->rng << 13; /* xorshift64 */
        t->rng ^= t->rng >> 7;
        t->rng ^= t->rng << 17;
        return ms * 3 / 4 + (int)(t->rng % (uint64_t)(ms / 2 + 1)); /* 75%..125% */
}

/* On a new connection, and when idle at the end, after seq `last`: is the
 * stream still the one we read?
 * Its last-generated-id below `last` (or the key gone) means Redis lost its
 * data and the stream started again. -1 when it did (*now: its last seq). */
static int went_back(RedisConn *c, const RedisTail *t, int64_t last, int64_t *now)
{
        const char *argv[] = {"XINFO", "STREAM", t->u.stream};
        size_t argl[] = {5, 6, strlen(t->u.stream)};
        redisReply *r = redis_command(c, 3, argv, argl);
        int back = 0;
        *now = 0;
        if (r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "no such key")) {
                back = 1;
        } else if (r && r->type == REDIS_REPLY_ARRAY) {
                for (size_t i = 0; i + 1 < r->elements; i += 2) {
                        if (str_is(r->element[i], "last-generated-id") &&
                            is_str(r->element[i + 1])) {
                                int64_t g =
                                    redis_id_seq(r->element[i + 1]->str, r->element[i + 1]->len);
                                if (g >= 0 && g < last) {
                                        back = 1;
                                        *now = g;
                                }
                        }
                }
        }
        freeReplyObject(r);
        return back ? -1 : 0;
}

/* One XREAD reply's entries. 0, 1 when record() asked to stop, -1 when the
 * reply has an unexpected shape. */
static int deliver(RedisTail *t, const redisReply *r, int64_t *last, char *cursor, size_t curlen,
                   size_t *nread)
{
        *nread = 0;
        if (r->elements != 1 || !r->element[0] || r->element[0]->type != REDIS_REPLY_ARRAY ||
            r->element[0]->elements != 2 || !r->element[0]->element[1] ||
            r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
                return -1;
        const redisReply *es = r->element[0]->element[1];
        size_t delivered = 0;
        int quit = 0;
        for (size_t i = 0; i < es->elements && !quit; i++) {
                const redisReply *e = es->element[i];
                if (!e || e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
                    !is_str(e->element[0]) || e->element[0]->len >= curlen)
                        return -1;
                memcpy(cursor, e->element[0]->str, e->element[0]->len); /* next XREAD's start */
                cursor[e->element[0]->len] = '\0';
                char *line;
                int64_t s;
                size_t n = redis_entry_line(e, &line, &s);
                if (s < 0 || s <= *last) { /* not a capmon entry, or already delivered */
                        free(line);
                        continue;
                }
                if (s > *last + 1 && t->cb.gap)
                        t->cb.gap(t->cb.ud, *last + 1, s - 1);
                *last = s;
                delivered++;
                if (t->cb.record && t->cb.record(t->cb.ud, s, line, n) < 0)
                        quit = 1;
                free(line);
        }
        *nread = es->elements;
        if (quit)
                return 1;
        if (delivered && t->cb.batch)
                t->cb.batch(t->cb.ud);
        return 0;
}

static void *tail_main(void *arg)
{
        RedisTail *t = arg;
        int64_t last = t->after;
        char cursor[64];
        xsnprintf(cursor, sizeof cursor, "0-%lld", (long long)last);
        int backoff = 500, count = t->count, quit = 0;
        while (!quit && !atomic_load(&t->stop)) {
                char why[300] = "";
                RedisConn *c = conn_open(&t->u, TAIL_CONNECT, TAIL_IO, &t->stop, why, sizeof why);
                if (!c) {
                        tell(t, 0, why);
                        nap(t, jitter(t, backoff));
                        backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
                        continue;
                }
                int64_t now;
                if (last > 0 && went_back(c, t, last, &now)) {
                        char m[300];
                        xsnprintf(m, sizeof m,
                                  "the stream %s went back from seq %lld to %lld (Redis lost its "
                                  "data?): reading it again from the start",
                                  t->u.stream, (long long)last, (long long)now);
                        tell(t, 0, m);
                        last = 0;
                        xsnprintf(cursor, sizeof cursor, "0-0");
                }
                if (c->dead) { /* went_back's XINFO lost the connection */
                        xsnprintf(why, sizeof why, "%s", redis_error(c));
                        redis_close(c);
                        tell(t, 0, why);
                        nap(t, jitter(t, backoff));
                        backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
                        continue;
                }
                tell(t, 1, NULL);
                int caught = 0;
                char cnt[16], blk[16];
                xsnprintf(blk, sizeof blk, "%d", TAIL_BLOCK);
                while (!atomic_load(&t->stop)) {
                        int asked = count;
                        xsnprintf(cnt, sizeof cnt, "%d", count);
                        const char *argv[] = {"XREAD", "COUNT",   cnt,         "BLOCK",
                                              blk,     "STREAMS", t->u.stream, cursor};
                        size_t argl[8];
                        for (int i = 0; i < 8; i++)
                                argl[i] = strlen(argv[i]);
                        redisReply *r = redis_command(c, 8, argv, argl);
                        if (!r) {
                                xsnprintf(why, sizeof why, "%s", redis_error(c));
                                if (c->too_big && count > 1) /* read fewer at a time */
                                        count = count / 16 > 1 ? count / 16 : 1;
                                break;
                        }
                        size_t n = 0;
                        int d = 0, idle = r->type == REDIS_REPLY_NIL;
                        if (r->type == REDIS_REPLY_ERROR) {
                                xsnprintf(why, sizeof why, "XREAD: %.250s", r->str);
                                d = -1;
                        } else if (r->type == REDIS_REPLY_ARRAY) {
                                d = deliver(t, r, &last, cursor, sizeof cursor, &n);
                                if (d < 0)
                                        xsnprintf(why, sizeof why, "unexpected XREAD reply from %s",
                                                  c->addr);
                        } else if (r->type != REDIS_REPLY_NIL) {
                                xsnprintf(why, sizeof why, "unexpected XREAD reply from %s",
                                          c->addr);
                                d = -1;
                        }
                        freeReplyObject(r);
                        if (d) {
                                quit = d > 0;
                                break;
                        }
                        backoff = 500; /* a working connection */
                        if (idle && last > 0 && went_back(c, t, last, &now)) {
                                /* deleted or recreated while we stayed connected
                                 * (DEL, FLUSHALL): as on a reconnection */
                                char m[300];
                                xsnprintf(m, sizeof m,
                                          "the stream %s went back from seq %lld to %lld (it was "
                                          "deleted?): reading it again from the start",
                                          t->u.stream, (long long)last, (long long)now);
                                tell(t, 0, m);
                                tell(t, 1, NULL);
                                last = 0;
                                xsnprintf(cursor, sizeof cursor, "0-0");
                                continue;
                        }
                        if (c->dead) {
                                xsnprintf(why, sizeof why, "%s", redis_error(c));
                                break;
                        }
                        if (n == (size_t)asked && count < t->count)
                                count = count * 2 < t->count ? count * 2 : t->count;
                        if (!caught && n < (size_t)asked) {
                                caught = 1;
                                if (t->cb.caught_up)
                                        t->cb.caught_up(t->cb.ud, last);
                        }
                }
                redis_close(c);
                if (quit || atomic_load(&t->stop))
                        break;
                tell(t, 0, why);
                nap(t, jitter(t, backoff));
                backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
        }
        return NULL;
}

RedisTail *redis_tail_start(const RedisUrl *u, int64_t after_seq, int count, const RedisTailCb *cb,
                            char *err, size_t errlen)
{
        if (!u || !u->host || !u->stream) {
                xsnprintf(err, errlen, "no Redis address");
                return NULL;
        }
        RedisTail *t = xcalloc(1, sizeof *t);
        url_copy(&t->u, u);
        t->after = after_seq > 0 ? after_seq : 0;
        t->count = count > 0 ? count : 1000;
        t->cb = *cb;
        t->told = -1;
        atomic_init(&t->stop, 0);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)t;
        if (!t->rng)
                t->rng = 1;
        int e = pthread_create(&t->th, NULL, tail_main, t);
        if (e) {
                xsnprintf(err, errlen, "cannot start the Redis reader thread: %s", strerror(e));
                redis_url_done(&t->u);
                free(t);
                return NULL;
        }
        return t;
}

void redis_tail_stop(RedisTail *t)
{
        if (!t)
                return;
        atomic_store(&t->stop, 1);
        pthread_join(t->th, NULL);
        redis_url_done(&t->u);
        free(t);
}
