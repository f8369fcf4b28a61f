/* redis.c: addresses, entries, then a real redis-server started here (plain,
 * then TLS with certificates made by the openssl CLI): AUTH, pipelining, the
 * tail (order, catch-up, gaps, restarts, a stream that went back), timeouts.
 * Without /usr/bin/redis-server the server tests are skipped. */
#include "redis.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evlog.h"
#include "tap.h"
#include "util.h"

#define REDIS_SERVER "/usr/bin/redis-server"

static char tmp[256]; /* the test's directory */

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static int has(const char *s, const char *needle)
{
        return s && strstr(s, needle) != NULL;
}

/* ---- addresses ---- */

static void test_url(void)
{
        unsetenv("CAPMON_REDIS_PASSWORD");
        unsetenv("CAPMON_REDIS_PASSWORD_FILE");
        unsetenv("CAPMON_REDIS_CA");
        unsetenv("CAPMON_REDIS_CERT");
        unsetenv("CAPMON_REDIS_KEY");
        RedisUrl u;
        char err[300], text[300];
        ok(redis_url_parse("redis://localhost/capmon", NULL, &u, err, sizeof err) == 0,
           "redis://localhost/capmon parses");
        is_str(u.host, "localhost", "host");
        is_int(u.port, 6379, "default port");
        is_int(u.tls, 0, "not TLS");
        ok(!u.user && !u.password, "no user, no password");
        is_str(u.stream, "capmon", "stream");
        redis_url_text(&u, text, sizeof text);
        is_str(text, "redis://localhost:6379/capmon", "text");
        redis_url_done(&u);

        ok(redis_url_parse("rediss://alice@[::1]:6380/cap:mon/ev%20x", NULL, &u, err, sizeof err) ==
               0,
           "rediss with user, IPv6, port");
        is_str(u.host, "::1", "IPv6 host without brackets");
        is_int(u.port, 6380, "port");
        is_int(u.tls, 1, "TLS");
        is_str(u.user, "alice", "user");
        is_str(u.stream, "cap:mon/ev x", "stream: everything after the first '/', %%XX decoded");
        redis_url_text(&u, text, sizeof text);
        is_str(text, "rediss://alice@[::1]:6380/cap:mon/ev x", "text");
        redis_url_done(&u);

        static const struct {
                const char *url, *want;
        } bad[] = {
            {"redis://localhost", "missing the stream name"},
            {"redis://localhost:6379/", "missing the stream name"},
            {"http://localhost/s", "not a Redis address"},
            {"redis://h:0/s", "bad port"},
            {"redis://h:65536/s", "bad port"},
            {"redis://h:12x/s", "bad port"},
            {"redis://h:/s", "bad port"},
            {"redis://[::1/s", "unclosed '['"},
            {"redis://[zz]/s", "bad IPv6 address"},
            {"redis://[::1]x/s", "after ']'"},
            {"redis:///s", "missing host"},
            {"redis://@h/s", "empty user name"},
            {"redis://h/a%zz", "bad %-escape"},
            {"redis://h/a%00b", "bad %-escape"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                err[0] = 0;
                int r = redis_url_parse(bad[i].url, NULL, &u, err, sizeof err);
                ok(r == -1 && has(err, bad[i].want) && !u.host, "%s refused: %s", bad[i].url, err);
        }
        int r = redis_url_parse("redis://bob:hunter2@h/s", NULL, &u, err, sizeof err);
        ok(r == -1 && has(err, "CAPMON_REDIS_PASSWORD") && has(err, "password file") &&
               !has(err, "hunter2") && !strchr(err, '\n'),
           "a password in the address is refused, not echoed: %s", err);

        setenv("CAPMON_REDIS_PASSWORD", "envpw", 1);
        r = redis_url_parse("redis://h/s", NULL, &u, err, sizeof err);
        ok(r == 0 && u.password && strcmp(u.password, "envpw") == 0,
           "password from CAPMON_REDIS_PASSWORD");
        redis_url_done(&u);
        char f1[300], f2[300], f3[300], f4[300];
        xsnprintf(f1, sizeof f1, "%s/pw1", tmp);
        xsnprintf(f2, sizeof f2, "%s/pw2", tmp);
        xsnprintf(f3, sizeof f3, "%s/pw3", tmp);
        xsnprintf(f4, sizeof f4, "%s/pw4", tmp);
        write_file(f1, "filepw\n");
        write_file(f2, "argpw\r\n");
        write_file(f3, "two\n\n");
        write_file(f4, "");
        setenv("CAPMON_REDIS_PASSWORD_FILE", f1, 1);
        r = redis_url_parse("redis://h/s", NULL, &u, err, sizeof err);
        ok(r == 0 && u.password && strcmp(u.password, "filepw") == 0,
           "CAPMON_REDIS_PASSWORD_FILE wins over CAPMON_REDIS_PASSWORD, newline stripped");
        redis_url_done(&u);
        r = redis_url_parse("redis://h/s", f2, &u, err, sizeof err);
        ok(r == 0 && u.password && strcmp(u.password, "argpw") == 0,
           "the password_file argument wins, CRLF stripped");
        redis_url_done(&u);
        r = redis_url_parse("redis://h/s", f3, &u, err, sizeof err);
        ok(r == 0 && u.password && strcmp(u.password, "two\n") == 0,
           "only one trailing newline stripped");
        redis_url_done(&u);
        r = redis_url_parse("redis://h/s", f4, &u, err, sizeof err);
        ok(r == -1 && has(err, f4) && has(err, "empty"), "empty password file: %s", err);
        xsnprintf(f4, sizeof f4, "%s/missing", tmp);
        r = redis_url_parse("redis://h/s", f4, &u, err, sizeof err);
        ok(r == -1 && has(err, f4), "missing password file: %s", err);
        unsetenv("CAPMON_REDIS_PASSWORD");
        unsetenv("CAPMON_REDIS_PASSWORD_FILE");

        setenv("CAPMON_REDIS_KEY", "/k.pem", 1);
        r = redis_url_parse("rediss://h/s", NULL, &u, err, sizeof err);
        ok(r == -1 && has(err, "CAPMON_REDIS_CERT"), "a key without a certificate: %s", err);
        unsetenv("CAPMON_REDIS_KEY");
}

static void test_ids(void)
{
        is_int(redis_id_seq("0-17", 4), 17, "0-17");
        is_int(redis_id_seq("0-0", 3), 0, "0-0");
        is_int(redis_id_seq("0-123", 3), 1, "the length bounds the id");
        is_int(redis_id_seq("1-17", 4), -1, "1-17");
        is_int(redis_id_seq("0-", 2), -1, "0-");
        is_int(redis_id_seq("0-1a", 4), -1, "0-1a");
        is_int(redis_id_seq("00-1", 4), -1, "00-1");
        is_int(redis_id_seq("0-99999999999999999999", 22), -1, "overflow");
        is_int(redis_id_seq("1700000000000-0", 15), -1, "a time-based id");

        RedisXadd x;
        redis_xadd_args(&x, "cap:s", 1000, 1717000000123, "webhook", "{}", 2);
        is_int(x.argc, 12, "XADD with MAXLEN: 12 strings");
        ok(strcmp(x.argv[0], "XADD") == 0 && strcmp(x.argv[1], "cap:s") == 0 &&
               strcmp(x.argv[2], "MAXLEN") == 0 && strcmp(x.argv[3], "~") == 0 &&
               strcmp(x.argv[4], "1000") == 0 && strcmp(x.argv[5], "0-*") == 0 &&
               strcmp(x.argv[6], "recv") == 0 && strcmp(x.argv[7], "1717000000123") == 0 &&
               x.argvlen[7] == 13 && strcmp(x.argv[8], "src") == 0 &&
               strcmp(x.argv[9], "webhook") == 0 && strcmp(x.argv[10], "body") == 0 &&
               x.argvlen[11] == 2,
           "XADD stream MAXLEN ~ N 0-* recv MS src SRC body BODY");
        redis_xadd_args(&x, "s", 0, 5, "relay", "{}", 2);
        is_int(x.argc, 9, "XADD without MAXLEN: 9 strings");
        ok(strcmp(x.argv[2], "0-*") == 0 && strcmp(x.argv[4], "5") == 0, "no MAXLEN");
}

/* A reply parsed from RESP text. */
static redisReply *resp(const char *text)
{
        redisReader *rd = redisReaderCreate();
        void *r = NULL;
        redisReaderFeed(rd, text, strlen(text));
        if (redisReaderGetReply(rd, &r) != REDIS_OK)
                r = NULL;
        redisReaderFree(rd);
        return r;
}

static void test_entries(void)
{
        char *line, *want;
        int64_t seq;
        redisReply *r = resp("*2\r\n$3\r\n0-5\r\n*6\r\n$4\r\nrecv\r\n$3\r\n123\r\n$3\r\nsrc\r\n"
                             "$7\r\nwebhook\r\n$4\r\nbody\r\n$7\r\n{\"a\":1}\r\n");
        size_t n = redis_entry_line(r, &line, &seq);
        size_t wn = Record_format(&want, 5, 123, "webhook", "{\"a\":1}", 7, NULL);
        ok(n == wn && line && strcmp(line, want) == 0, "entry -> the Record_format line: %s",
           line ? line : "(null)");
        is_int(seq, 5, "its seq");
        free(line);
        free(want);
        freeReplyObject(r);

        r = resp("*2\r\n$3\r\n0-6\r\n*4\r\n$4\r\nrecv\r\n$1\r\n9\r\n$3\r\nsrc\r\n$5\r\nrelay\r\n");
        n = redis_entry_line(r, &line, &seq);
        ok(n && seq == 6 && has(line, "\"invalid\"") && has(line, "no body") &&
               has(line, "\"seq\":6"),
           "no body: still a (invalid) record with its seq: %s", line ? line : "(null)");
        free(line);
        freeReplyObject(r);

        r = resp("*2\r\n$3\r\n0-7\r\n:1\r\n");
        n = redis_entry_line(r, &line, &seq);
        ok(n && seq == 7 && has(line, "\"invalid\""), "fields not an array: invalid record");
        free(line);
        freeReplyObject(r);

        r = resp("*2\r\n$3\r\n0-8\r\n*4\r\n$4\r\nbody\r\n$2\r\n{}\r\n$3\r\nsrc\r\n:3\r\n");
        n = redis_entry_line(r, &line, &seq);
        ok(n && seq == 8 && has(line, "\"src\":\"unknown\"") && has(line, "\"recv\":0") &&
               has(line, "\"body\":{}"),
           "src of the wrong type, no recv: %s", line ? line : "(null)");
        free(line);
        freeReplyObject(r);

        static const char *const shapes[] = {
            ":5\r\n",
            "*1\r\n$3\r\n0-5\r\n",
            "*2\r\n$6\r\n1700-0\r\n*2\r\n$4\r\nbody\r\n$2\r\n{}\r\n",
            "*2\r\n:5\r\n*0\r\n",
            "*3\r\n$3\r\n0-5\r\n*0\r\n*0\r\n",
            "$-1\r\n",
        };
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
                r = resp(shapes[i]);
                line = (char *)"x";
                n = redis_entry_line(r, &line, &seq);
                ok(n == 0 && seq == -1 && !line, "not a capmon entry: shape %zu", i);
                freeReplyObject(r);
        }
        n = redis_entry_line(NULL, &line, &seq);
        ok(n == 0 && seq == -1 && !line, "NULL entry");
}

/* ---- a real server ---- */

typedef struct Server {
        pid_t pid;
        int port;
        char dir[300];
        char log[300];
} Server;

static int free_port(void)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
        socklen_t al = sizeof a;
        int port = -1;
        if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
            getsockname(fd, (struct sockaddr *)&a, &al) == 0)
                port = ntohs(a.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

/* extra: more arguments, NULL-terminated. */
static int server_spawn(Server *s, const char *const *extra)
{
        char port[16];
        xsnprintf(port, sizeof port, "%d", s->port);
        const char *argv[40] = {
            REDIS_SERVER,  "--port", port,    "--bind", "127.0.0.1",        "--save", "",
            "--daemonize", "no",     "--dir", s->dir,   "--protected-mode", "no"};
        int n = 13;
        for (; extra && *extra && n < 38; extra++)
                argv[n++] = *extra;
        argv[n] = NULL;
        mkdir(s->dir, 0700);
        xsnprintf(s->log, sizeof s->log, "%s/log", s->dir);
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                execv(REDIS_SERVER, (char *const *)argv);
                _exit(127);
        }
        s->pid = pid;
        return 0;
}

/* Until u answers PING (5 s at most); -1 if the server died. */
static int server_wait(Server *s, const RedisUrl *u)
{
        char err[300] = "";
        int64_t end = now_ms() + 5000;
        while (now_ms() < end) {
                int st;
                if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
                        s->pid = 0;
                        diag("redis-server exited: see %s", s->log);
                        return -1;
                }
                RedisConn *c = redis_connect(u, 500, 1000, err, sizeof err);
                if (c) {
                        redis_close(c);
                        return 0;
                }
                sleep_ms(20);
        }
        diag("redis-server did not answer: %s", err);
        return -1;
}

static void server_kill(Server *s, int sig)
{
        if (s->pid <= 0)
                return;
        kill(s->pid, SIGCONT);
        kill(s->pid, sig);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
}

/* A command from strings, NULL-terminated. */
static redisReply *cmd(RedisConn *c, ...)
{
        const char *argv[16];
        size_t argl[16];
        int n = 0;
        va_list ap;
        va_start(ap, c);
        for (const char *a; n < 16 && (a = va_arg(ap, const char *));) {
                argv[n] = a;
                argl[n++] = strlen(a);
        }
        va_end(ap);
        return redis_command(c, n, argv, argl);
}

/* XADD count capmon entries {"i":first..}, pipelined; the seq of the last. */
static int64_t xadd_n(RedisConn *c, const char *stream, int first, int count)
{
        RedisXadd x;
        char body[64];
        for (int i = 0; i < count; i++) {
                int bn = snprintf(body, sizeof body, "{\"i\":%d}", first + i);
                redis_xadd_args(&x, stream, 0, 1000 + first + i, "webhook", body, (size_t)bn);
                redis_append(c, x.argc, x.argv, x.argvlen);
        }
        int64_t last = -1;
        for (int i = 0; i < count; i++) {
                redisReply *r = redis_reply(c);
                if (r && r->type == REDIS_REPLY_STRING)
                        last = redis_id_seq(r->str, r->len);
                freeReplyObject(r);
        }
        return last;
}

/* What a tail told, guarded by mu. */
#define MAXREC 4096
typedef struct Got {
        pthread_mutex_t mu;
        int64_t seq[MAXREC];
        size_t n;
        char *first_line;
        int batches, caught, gaps, ups, downs;
        int64_t caught_last, gap_from, gap_to;
        char whys[1000];
        int64_t stop_at;
} Got;

static int g_record(void *ud, int64_t seq, const char *line, size_t len)
{
        Got *g = ud;
        pthread_mutex_lock(&g->mu);
        if (g->n < MAXREC)
                g->seq[g->n++] = seq;
        if (!g->first_line)
                g->first_line = xstrndup(line, len);
        int r = g->stop_at && seq == g->stop_at ? -1 : 0;
        pthread_mutex_unlock(&g->mu);
        return r;
}

static void g_batch(void *ud)
{
        Got *g = ud;
        pthread_mutex_lock(&g->mu);
        g->batches++;
        pthread_mutex_unlock(&g->mu);
}

static void g_state(void *ud, int up, const char *why)
{
        Got *g = ud;
        pthread_mutex_lock(&g->mu);
        if (up) {
                g->ups++;
        } else {
                g->downs++;
                size_t l = strlen(g->whys);
                xsnprintf(g->whys + l, sizeof g->whys - l, "[%s]", why ? why : "(null)");
        }
        pthread_mutex_unlock(&g->mu);
}

static void g_gap(void *ud, int64_t from, int64_t to)
{
        Got *g = ud;
        pthread_mutex_lock(&g->mu);
        g->gaps++;
        g->gap_from = from;
        g->gap_to = to;
        pthread_mutex_unlock(&g->mu);
}

static void g_caught(void *ud, int64_t last)
{
        Got *g = ud;
        pthread_mutex_lock(&g->mu);
        g->caught++;
        g->caught_last = last;
        pthread_mutex_unlock(&g->mu);
}

/* stop_at: record() returns -1 at that seq (0: never) */
static RedisTail *tail(const RedisUrl *u, int64_t after, int count, Got *g, int64_t stop_at)
{
        memset(g, 0, sizeof *g);
        g->stop_at = stop_at;
        pthread_mutex_init(&g->mu, NULL);
        RedisTailCb cb = {.record = g_record,
                          .batch = g_batch,
                          .state = g_state,
                          .gap = g_gap,
                          .caught_up = g_caught,
                          .ud = g};
        char err[300];
        RedisTail *t = redis_tail_start(u, after, count, &cb, err, sizeof err);
        if (!t)
                diag("redis_tail_start: %s", err);
        return t;
}

static void got_done(Got *g)
{
        free(g->first_line);
        pthread_mutex_destroy(&g->mu);
}

enum { W_N, W_CAUGHT, W_DOWNS, W_UPS };

/* Until the counter reaches want (ms at most); 1 when it did. */
static int wait_for(Got *g, int what, int64_t want, int ms)
{
        int64_t end = now_ms() + ms;
        for (;;) {
                pthread_mutex_lock(&g->mu);
                int64_t v = what == W_N        ? (int64_t)g->n
                            : what == W_CAUGHT ? g->caught
                            : what == W_DOWNS  ? g->downs
                                               : g->ups;
                pthread_mutex_unlock(&g->mu);
                if (v >= want)
                        return 1;
                if (now_ms() > end)
                        return 0;
                sleep_ms(5);
        }
}

/* seq[from..from+count) == first, first+1, ... */
static int dense(const Got *g, size_t from, int64_t first, size_t count)
{
        if (g->n < from + count)
                return 0;
        for (size_t i = 0; i < count; i++)
                if (g->seq[from + i] != first + (int64_t)i)
                        return 0;
        return 1;
}

static void url_at(RedisUrl *u, const char *scheme, const char *host, int port, const char *stream)
{
        char url[300], err[300];
        xsnprintf(url, sizeof url, "%s://%s:%d/%s", scheme, host, port, stream);
        if (redis_url_parse(url, NULL, u, err, sizeof err))
                diag("%s: %s", url, err);
}

static void test_plain(Server *s)
{
        RedisUrl u, u2;
        char err[300];
        url_at(&u, "redis", "127.0.0.1", s->port, "cap:t1");
        RedisConn *c = redis_connect(&u, 2000, 5000, err, sizeof err);
        ok(c != NULL, "connect: %s", c ? "ok" : err);
        if (!c) {
                redis_url_done(&u);
                return;
        }
        redisReply *r = cmd(c, "PING", NULL);
        ok(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0, "PING: PONG");
        freeReplyObject(r);

        /* 1000 XADDs in one round trip, the replies in order */
        int64_t t0 = now_ms();
        RedisXadd x;
        char body[64];
        for (int i = 0; i < 1000; i++) {
                int bn = snprintf(body, sizeof body, "{\"i\":%d}", i);
                redis_xadd_args(&x, "cap:t1", 0, 1000 + i, "webhook", body, (size_t)bn);
                redis_append(c, x.argc, x.argv, x.argvlen);
        }
        int inorder = 0;
        for (int i = 0; i < 1000; i++) {
                r = redis_reply(c);
                if (r && r->type == REDIS_REPLY_STRING && redis_id_seq(r->str, r->len) == i + 1)
                        inorder++;
                freeReplyObject(r);
        }
        is_int(inorder, 1000, "1000 pipelined XADDs answered 0-1..0-1000 in order");
        diag("1000 pipelined XADDs: %lld ms", (long long)(now_ms() - t0));

        r = cmd(c, "XRANGE", "cap:t1", "-", "+", "COUNT", "2", NULL);
        char *line = NULL, *want = NULL;
        int64_t seq = -1;
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
                redis_entry_line(r->element[1], &line, &seq);
        Record_format(&want, 2, 1001, "webhook", "{\"i\":1}", 7, NULL);
        ok(line && strcmp(line, want) == 0 && seq == 2, "XRANGE entry -> %s", want);
        free(line);
        free(want);
        freeReplyObject(r);

        r = cmd(c, "XADD", "cap:t1", "0-1", "a", "b", NULL);
        ok(r && r->type == REDIS_REPLY_ERROR, "a Redis error is a reply: %s", r ? r->str : "NULL");
        freeReplyObject(r);
        r = cmd(c, "PING", NULL);
        ok(r && r->type == REDIS_REPLY_STATUS, "the connection stays usable after it");
        freeReplyObject(r);

        /* a 2 MB body: many reads; its record is cut to a bounded invalid line */
        size_t big = 2u << 20;
        char *b = xmalloc(big);
        memset(b, 'x', big);
        b[0] = '"';
        b[big - 1] = '"';
        redis_xadd_args(&x, "cap:big", 0, 7, "webhook", b, big);
        redis_append(c, x.argc, x.argv, x.argvlen);
        r = redis_reply(c);
        freeReplyObject(r);
        r = cmd(c, "XRANGE", "cap:big", "-", "+", NULL);
        size_t n = 0;
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2 &&
            r->element[0]->element[1]->elements == 6)
                n = r->element[0]->element[1]->element[5]->len;
        is_int(n, big, "a 2 MB body comes back whole");
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
                redis_entry_line(r->element[0], &line, &seq);
        ok(line && seq == 1 && strlen(line) < 4096 && has(line, "longer than a log line"),
           "its line is an invalid record, cut");
        free(line);
        free(b);
        freeReplyObject(r);

        /* the tail: all 1000 in order, then new ones */
        Got g;
        t0 = now_ms();
        RedisTail *t = tail(&u, 0, 300, &g, 0);
        ok(wait_for(&g, W_CAUGHT, 1, 5000), "tail: caught up");
        diag("tail: 1000 entries and caught up in %lld ms", (long long)(now_ms() - t0));
        pthread_mutex_lock(&g.mu);
        ok(g.n == 1000 && dense(&g, 0, 1, 1000), "tail: 1..1000 in order (%zu)", g.n);
        is_int(g.caught_last, 1000, "tail: caught_up(1000)");
        is_int(g.batches, 4, "tail: batch() after each XREAD of 300");
        is_int(g.gaps, 0, "tail: no gap from 0 on a new stream");
        ok(g.ups == 1 && g.downs == 0, "tail: state up once");
        Record_format(&want, 1, 1000, "webhook", "{\"i\":0}", 7, NULL);
        is_str(g.first_line, want, "tail: the line of seq 1");
        free(want);
        pthread_mutex_unlock(&g.mu);
        xadd_n(c, "cap:t1", 1000, 5);
        wait_for(&g, W_N, 1005, 3000);
        sleep_ms(50);
        t0 = now_ms();
        redis_tail_stop(t); /* joined: g is ours to read */
        diag("redis_tail_stop: %lld ms", (long long)(now_ms() - t0));
        ok(g.n == 1005 && dense(&g, 1000, 1001, 5), "tail: new entries follow");
        is_int(g.caught, 1, "tail: caught_up only once per connection");
        got_done(&g);

        t = tail(&u, 990, 0, &g, 0);
        wait_for(&g, W_CAUGHT, 1, 3000);
        redis_tail_stop(t);
        ok(g.n == 15 && dense(&g, 0, 991, 15) && g.gaps == 0, "tail after 990: 991..1005, no gap");
        got_done(&g);

        /* gaps: trimmed entries */
        r = cmd(c, "XTRIM", "cap:t1", "MAXLEN", "100", NULL);
        ok(r && r->type == REDIS_REPLY_INTEGER && r->integer == 905, "XTRIM MAXLEN 100");
        freeReplyObject(r);
        t = tail(&u, 0, 0, &g, 0);
        wait_for(&g, W_CAUGHT, 1, 3000);
        redis_tail_stop(t);
        ok(g.caught == 1 && g.gaps == 1 && g.gap_from == 1 && g.gap_to == 905 &&
               dense(&g, 0, 906, 100),
           "tail from 0 after XTRIM: gap(1, 905), then 906..1005 (%d %lld %lld)", g.gaps,
           (long long)g.gap_from, (long long)g.gap_to);
        got_done(&g);
        t = tail(&u, 500, 0, &g, 0);
        wait_for(&g, W_CAUGHT, 1, 3000);
        redis_tail_stop(t);
        ok(g.caught == 1 && g.gaps == 1 && g.gap_from == 501 && g.gap_to == 905 &&
               dense(&g, 0, 906, 100),
           "tail from 500: gap(501, 905)");
        got_done(&g);

        /* record() returning -1 stops the tail */
        t = tail(&u, 0, 0, &g, 910);
        wait_for(&g, W_N, 5, 3000);
        sleep_ms(100);
        pthread_mutex_lock(&g.mu);
        ok(g.n == 5 && g.seq[4] == 910 && g.caught == 0, "record() -1 stops the tail (%zu)", g.n);
        pthread_mutex_unlock(&g.mu);
        redis_tail_stop(t);
        got_done(&g);

        /* a stream that is not a stream: the tail says why, and retries */
        r = cmd(c, "SET", "cap:str", "x", NULL);
        freeReplyObject(r);
        url_at(&u2, "redis", "127.0.0.1", s->port, "cap:str");
        t = tail(&u2, 0, 0, &g, 0);
        wait_for(&g, W_DOWNS, 1, 3000);
        redis_tail_stop(t);
        ok(g.ups == 1 && g.downs == 1 && has(g.whys, "WRONGTYPE"),
           "tail on a string key: state(0, %s)", g.whys);
        got_done(&g);
        redis_url_done(&u2);

        /* AUTH */
        r = cmd(c, "CONFIG", "SET", "requirepass", "s3cret", NULL);
        ok(r && r->type == REDIS_REPLY_STATUS, "CONFIG SET requirepass");
        freeReplyObject(r);
        RedisConn *c2 = redis_connect(&u, 2000, 2000, err, sizeof err);
        ok(!c2 && has(err, "requires a password") && has(err, "CAPMON_REDIS_PASSWORD"),
           "no password: %s", err);
        redis_close(c2);
        setenv("CAPMON_REDIS_PASSWORD", "wrong", 1);
        url_at(&u2, "redis", "127.0.0.1", s->port, "cap:t1");
        c2 = redis_connect(&u2, 2000, 2000, err, sizeof err);
        ok(!c2 && has(err, "refused the password") && has(err, "WRONGPASS") && !has(err, "wrong"),
           "wrong password: %s", err);
        redis_close(c2);
        redis_url_done(&u2);
        setenv("CAPMON_REDIS_PASSWORD", "s3cret", 1);
        url_at(&u2, "redis", "127.0.0.1", s->port, "cap:t1");
        c2 = redis_connect(&u2, 2000, 2000, err, sizeof err);
        ok(c2 != NULL, "right password: %s", c2 ? "ok" : err);
        redis_close(c2);
        redis_url_done(&u2);
        if (redis_url_parse("redis://default@127.0.0.1:1/s", NULL, &u2, err, sizeof err) == 0) {
                u2.port = s->port;
                c2 = redis_connect(&u2, 2000, 2000, err, sizeof err);
                ok(c2 != NULL, "user default + password: %s", c2 ? "ok" : err);
                redis_close(c2);
                redis_url_done(&u2);
        }
        unsetenv("CAPMON_REDIS_PASSWORD");
        r = cmd(c, "CONFIG", "SET", "requirepass", "", NULL);
        freeReplyObject(r);
        redis_close(c);
        redis_url_done(&u);
}

/* The tail across a restart (data kept), then a restart without data. */
static void test_restart(Server *s, const char *const *extra)
{
        RedisUrl u;
        char err[300];
        url_at(&u, "redis", "127.0.0.1", s->port, "cap:t2");
        RedisConn *c = redis_connect(&u, 2000, 5000, err, sizeof err);
        if (!c) {
                ok(0, "connect: %s", err);
                redis_url_done(&u);
                return;
        }
        Got g;
        RedisTail *t = tail(&u, 0, 0, &g, 0);
        xadd_n(c, "cap:t2", 0, 10);
        redis_close(c);
        ok(wait_for(&g, W_N, 10, 3000), "restart: 10 entries before");
        int64_t t0 = now_ms();
        server_kill(s, SIGKILL);
        wait_for(&g, W_DOWNS, 1, 3000);
        pthread_mutex_lock(&g.mu);
        ok(g.downs >= 1, "restart: state(0) on SIGKILL: %s", g.whys);
        pthread_mutex_unlock(&g.mu);
        ok(server_spawn(s, extra) == 0 && server_wait(s, &u) == 0, "restart: server back");
        c = redis_connect(&u, 2000, 5000, err, sizeof err);
        int64_t last = c ? xadd_n(c, "cap:t2", 10, 10) : -1;
        is_int(last, 20, "restart: the data survived (next ids 11..20)");
        ok(wait_for(&g, W_N, 20, 15000), "restart: the tail resumed");
        diag("restart: resumed after %lld ms", (long long)(now_ms() - t0));
        sleep_ms(100);
        pthread_mutex_lock(&g.mu);
        ok(g.n == 20 && dense(&g, 0, 1, 20) && g.gaps == 0, "restart: 1..20, no duplicates");
        ok(g.ups == 2 && g.downs >= 1 && g.downs <= 3, "restart: up, down (%d), up: %s", g.downs,
           g.whys);
        pthread_mutex_unlock(&g.mu);
        redis_close(c);

        /* the data is lost: the stream starts again at 1 */
        server_kill(s, SIGKILL);
        char cmdline[700];
        xsnprintf(cmdline, sizeof cmdline, "rm -rf '%s/appendonlydir'", s->dir);
        if (system(cmdline) != 0)
                diag("%s failed", cmdline);
        ok(server_spawn(s, extra) == 0 && server_wait(s, &u) == 0, "lost: server back, empty");
        c = redis_connect(&u, 2000, 5000, err, sizeof err);
        last = c ? xadd_n(c, "cap:t2", 100, 3) : -1;
        is_int(last, 3, "lost: new ids 1..3");
        ok(wait_for(&g, W_N, 23, 15000), "lost: the tail read the new stream");
        pthread_mutex_lock(&g.mu);
        ok(has(g.whys, "went back from seq 20 to"), "lost: state(0) says: %s", g.whys);
        ok(g.n == 23 && dense(&g, 20, 1, 3) && g.ups == 3, "lost: then 1..3 again, state up");
        pthread_mutex_unlock(&g.mu);
        redis_close(c);

        /* SIGSTOP: no answer */
        c = redis_connect(&u, 2000, 500, err, sizeof err);
        kill(s->pid, SIGSTOP);
        t0 = now_ms();
        redisReply *r = c ? cmd(c, "PING", NULL) : NULL;
        int64_t dt = now_ms() - t0;
        ok(c && !r && dt >= 450 && dt < 2500 && has(redis_error(c), "timeout"),
           "stopped server: redis_reply NULL after %lld ms: %s", (long long)dt, redis_error(c));
        t0 = now_ms();
        r = c ? cmd(c, "PING", NULL) : NULL;
        ok(!r && now_ms() - t0 < 100 && redis_flush(c) == -1, "then the connection fails fast");
        redis_close(c);
        t0 = now_ms();
        c = redis_connect(&u, 500, 500, err, sizeof err);
        dt = now_ms() - t0;
        ok(!c && has(err, "timeout") && dt < 2500, "connect to a stopped server: %s (%lld ms)", err,
           (long long)dt);
        redis_close(c);
        t0 = now_ms();
        redis_tail_stop(t);
        dt = now_ms() - t0;
        ok(dt < 1500, "redis_tail_stop while the server is stopped: %lld ms", (long long)dt);
        kill(s->pid, SIGCONT);
        got_done(&g);
        redis_url_done(&u);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
        char line[3000];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        fflush(stdout);
        return system(line);
}

static void test_tls(void)
{
        char d[300];
        xsnprintf(d, sizeof d, "%s/tls", tmp);
        mkdir(d, 0700);
        const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        int r = sh("cd '%s' && exec >openssl.log 2>&1 && "
                   "openssl req -x509 %s -keyout ca.key -out ca.crt -days 2 -subj /CN=capmon-ca && "
                   "printf 'subjectAltName=DNS:localhost\\n' >srv.ext && "
                   "openssl req %s -keyout srv.key -out srv.csr -subj /CN=localhost && "
                   "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                   "-days 2 -extfile srv.ext -out srv.crt && "
                   "printf 'extendedKeyUsage=clientAuth\\n' >cli.ext && "
                   "openssl req %s -keyout cli.key -out cli.csr -subj /CN=capmon && "
                   "openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                   "-days 2 -extfile cli.ext -out cli.crt",
                   d, ec, ec, ec);
        if (r != 0) {
                ok(1, "TLS # SKIP the openssl CLI failed (%s/openssl.log)", d);
                return;
        }
        int plain = free_port(); /* --port: for the "not a TLS port" check */
        Server s = {.port = plain};
        xsnprintf(s.dir, sizeof s.dir, "%s/tls", tmp);
        char port[16], cert[400], key[400], ca[400], ccert[400], ckey[400];
        xsnprintf(port, sizeof port, "%d", free_port());
        xsnprintf(cert, sizeof cert, "%s/srv.crt", d);
        xsnprintf(key, sizeof key, "%s/srv.key", d);
        xsnprintf(ca, sizeof ca, "%s/ca.crt", d);
        xsnprintf(ccert, sizeof ccert, "%s/cli.crt", d);
        xsnprintf(ckey, sizeof ckey, "%s/cli.key", d);
        const char *extra[] = {"--tls-port",
                               port,
                               "--tls-cert-file",
                               cert,
                               "--tls-key-file",
                               key,
                               "--tls-ca-cert-file",
                               ca,
                               "--tls-auth-clients",
                               "yes",
                               "--appendonly",
                               "no",
                               NULL};
        setenv("CAPMON_REDIS_CA", ca, 1);
        setenv("CAPMON_REDIS_CERT", ccert, 1);
        setenv("CAPMON_REDIS_KEY", ckey, 1);
        RedisUrl u;
        char url[300], err[300];
        xsnprintf(url, sizeof url, "rediss://localhost:%s/cap:tls", port);
        redis_url_parse(url, NULL, &u, err, sizeof err);
        if (server_spawn(&s, extra) || server_wait(&s, &u)) {
                ok(1, "TLS # SKIP redis-server --tls-port does not work here (%s)", s.log);
                server_kill(&s, SIGKILL);
                redis_url_done(&u);
                return;
        }
        RedisConn *c = redis_connect(&u, 2000, 5000, err, sizeof err);
        ok(c != NULL, "rediss:// with CAPMON_REDIS_CA and a client certificate: %s",
           c ? "ok" : err);
        if (c) {
                size_t big = 300000;
                char *b = xmalloc(big + 1);
                memset(b, 'y', big);
                b[0] = '"';
                b[big - 1] = '"';
                b[big] = 0;
                RedisXadd x;
                redis_xadd_args(&x, "cap:tls", 0, 42, "webhook", b, big);
                redis_append(c, x.argc, x.argv, x.argvlen);
                redisReply *rep = redis_reply(c);
                ok(rep && rep->type == REDIS_REPLY_STRING && strcmp(rep->str, "0-1") == 0,
                   "XADD over TLS");
                freeReplyObject(rep);
                Got g;
                RedisTail *t = tail(&u, 0, 0, &g, 0);
                char *want;
                Record_format(&want, 1, 42, "webhook", b, big, NULL);
                wait_for(&g, W_CAUGHT, 1, 5000);
                redis_tail_stop(t);
                ok(g.caught == 1 && g.n == 1 && g.first_line && strcmp(g.first_line, want) == 0,
                   "the tail over TLS: a 300 kB entry");
                free(want);
                got_done(&g);
                free(b);
        }
        redis_close(c);
        redis_url_done(&u);

        unsetenv("CAPMON_REDIS_CA");
        redis_url_parse(url, NULL, &u, err, sizeof err);
        c = redis_connect(&u, 30000, 30000, err, sizeof err);
        ok(!c && has(err, "not trusted") && has(err, "CAPMON_REDIS_CA"), "without the CA: %s", err);
        redis_close(c);
        redis_url_done(&u);
        setenv("CAPMON_REDIS_CA", ca, 1);

        xsnprintf(url, sizeof url, "rediss://127.0.0.1:%s/cap:tls", port);
        redis_url_parse(url, NULL, &u, err, sizeof err);
        c = redis_connect(&u, 30000, 30000, err, sizeof err);
        ok(!c && has(err, "mismatch"), "an address the certificate does not name: %s", err);
        redis_close(c);
        redis_url_done(&u);

        unsetenv("CAPMON_REDIS_CERT");
        unsetenv("CAPMON_REDIS_KEY");
        xsnprintf(url, sizeof url, "rediss://localhost:%s/cap:tls", port);
        redis_url_parse(url, NULL, &u, err, sizeof err);
        c = redis_connect(&u, 30000, 30000, err, sizeof err);
        ok(!c && has(err, "CAPMON_REDIS_CERT"), "no client certificate: refused: %s", err);
        redis_close(c);
        redis_url_done(&u);

        xsnprintf(url, sizeof url, "rediss://localhost:%d/cap:tls", plain);
        redis_url_parse(url, NULL, &u, err, sizeof err);
        c = redis_connect(&u, 1000, 1000, err, sizeof err);
        ok(!c && has(err, "TLS port"), "rediss:// to a plain port: %s", err);
        redis_close(c);
        redis_url_done(&u);

        xsnprintf(url, sizeof url, "redis://localhost:%s/cap:tls", port);
        redis_url_parse(url, NULL, &u, err, sizeof err);
        c = redis_connect(&u, 1000, 1000, err, sizeof err);
        ok(!c && err[0], "redis:// to the TLS port: %s", err);
        redis_close(c);
        redis_url_done(&u);
        unsetenv("CAPMON_REDIS_CA");
        server_kill(&s, SIGTERM);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN); /* as capmon relay and watch do */
        xsnprintf(tmp, sizeof tmp, "%s/capmon-redis-XXXXXX",
                  getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmp)) {
                ok(0, "mkdtemp: %s", strerror(errno));
                return done_testing();
        }
        int64_t t0 = now_ms();
        test_url();
        test_ids();
        test_entries();
        if (access(REDIS_SERVER, X_OK) != 0) {
                ok(1, "redis-server # SKIP %s not found", REDIS_SERVER);
        } else {
                Server s = {.port = free_port()};
                xsnprintf(s.dir, sizeof s.dir, "%s/plain", tmp);
                const char *const extra[] = {"--appendonly", "yes", "--appendfsync", "always",
                                             NULL};
                RedisUrl u;
                url_at(&u, "redis", "127.0.0.1", s.port, "x");
                int up = server_spawn(&s, extra) == 0 && server_wait(&s, &u) == 0;
                redis_url_done(&u);
                ok(up, "redis-server on port %d", s.port);
                if (up) {
                        test_plain(&s);
                        test_restart(&s, extra);
                }
                server_kill(&s, SIGTERM);
                test_tls();
        }
        diag("total %lld ms", (long long)(now_ms() - t0));
        sh("rm -rf '%s'", tmp);
        return done_testing();
}
