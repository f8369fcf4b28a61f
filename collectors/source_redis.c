/* redis://HOST:PORT/STREAM source: a monitor inside the relays' network reads
 * their shared Redis stream directly (docs/redis.md). A RedisTail thread
 * follows the stream (XREAD BLOCK) and sends each record line, and its
 * connection changes, through a socket pair; the loop reads the pair and
 * applies the lines in order. The pair's buffer is the back-pressure: a slow
 * monitor slows the thread's reads, never grows memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evlog.h"
#include "live.h"
#include "redis.h"
#include "util.h"

/* Control lines from the thread start with this byte (records start with '{'). */
#define CTL '\001'

typedef struct RedisSource {
        Source base;
        Live *lv;
        int id;
        char *name;
        RedisUrl u;
        RedisTail *tail;
        int sv[2]; /* [0] the loop reads, [1] the thread writes */
        LoopFd *lf;
        char *buf; /* bytes read, not yet a whole line */
        size_t len, cap;
} RedisSource;

/* Thread: one line into the pair, whole (blocking). -1 once the loop is gone. */
static int send_line(RedisSource *s, const char *line, size_t len)
{
        while (len) {
                ssize_t w = send(s->sv[1], line, len, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                line += w;
                len -= (size_t)w;
        }
        return 0;
}

static int t_record(void *ud, int64_t seq, const char *line, size_t len)
{
        (void)seq;
        return send_line(ud, line, len);
}

static void t_state(void *ud, int up, const char *why)
{
        char m[300];
        int n = snprintf(m, sizeof m, "%cstate %d %s\n", CTL, up, up ? "" : why ? why : "lost");
        if (n > 0)
                send_line(ud, m, (size_t)n < sizeof m ? (size_t)n : sizeof m - 1);
}

static void t_gap(void *ud, int64_t from, int64_t to)
{
        char m[80];
        int n = snprintf(m, sizeof m, "%cgap %lld %lld\n", CTL, (long long)from, (long long)to);
        send_line(ud, m, (size_t)n);
}

static void on_line(RedisSource *s, char *line, size_t len)
{
        if (len && line[0] == CTL) {
                line[len] = 0;
                long long a, b;
                int up;
                char why[260] = "";
                if (sscanf(line + 1, "gap %lld %lld", &a, &b) == 2) {
                        Live_gap(s->lv, s->id, a, b);
                } else if (sscanf(line + 1, "state %d %259[^\n]", &up, why) >= 1) {
                        if (!up)
                                Live_logf(s->lv, "%s: %s", s->name, why);
                        Live_connected(s->lv, s->id, up);
                }
                return;
        }
        int64_t seq;
        Live_message(s->lv, s->id, "relay", line, len, &seq);
}

static void on_readable(void *ud, int fd, LoopFdEvent ev)
{
        RedisSource *s = ud;
        if (ev == LOOP_FD_CLOSED) {
                s->lf = NULL;
                Live_connected(s->lv, s->id, 0);
                return;
        }
        if (s->cap - s->len < 65536) {
                s->cap = s->len + 65536;
                s->buf = xrealloc(s->buf, s->cap + 1);
        }
        ssize_t n = recv(fd, s->buf + s->len, s->cap - s->len, 0);
        if (n <= 0)
                return; /* EAGAIN, or the thread is gone (stopping) */
        s->len += (size_t)n;
        size_t start = 0;
        for (;;) {
                char *nl = memchr(s->buf + start, '\n', s->len - start);
                if (!nl)
                        break;
                size_t ll = (size_t)(nl - (s->buf + start));
                on_line(s, s->buf + start, ll);
                start += ll + 1;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
        if (s->len > (size_t)LOG_LINE_MAX + 1024) { /* cannot happen: lines are bounded */
                Live_logf(s->lv, "%s: line over %d bytes dropped", s->name, LOG_LINE_MAX);
                Live_count_invalid(s->lv);
                s->len = 0;
        }
}

static void redis_source_free(Source *base)
{
        RedisSource *s = (RedisSource *)base;
        if (s->sv[0] >= 0)
                shutdown(s->sv[0], SHUT_RDWR); /* a thread blocked in send() returns */
        if (s->tail)
                redis_tail_stop(s->tail);
        Loop_remove_fd(s->lf);
        for (int i = 0; i < 2; i++)
                if (s->sv[i] >= 0)
                        close(s->sv[i]);
        redis_url_done(&s->u);
        free(s->buf);
        free(s->name);
        free(s);
}

Source *Source_redis_new(Live *lv, const char *url, char *err, size_t errlen)
{
        RedisSource *s = xcalloc(1, sizeof *s);
        s->base.free = redis_source_free;
        s->lv = lv;
        s->sv[0] = s->sv[1] = -1;
        if (redis_url_parse(url, NULL, &s->u, err, errlen)) {
                free(s);
                return NULL;
        }
        char text[300];
        redis_url_text(&s->u, text, sizeof text);
        s->name = xstrdup(text);
        /* no traffic when no events: silence is not a fault, a lost
         * connection is (Live_connected) */
        s->id = Live_source_add(lv, text, 0);
        if (s->id < 0) {
                xsnprintf(err, errlen, "too many sources");
                redis_source_free(&s->base);
                return NULL;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->sv)) {
                xsnprintf(err, errlen, "socketpair: %s", strerror(errno));
                redis_source_free(&s->base);
                return NULL;
        }
        fcntl(s->sv[0], F_SETFL, fcntl(s->sv[0], F_GETFL) | O_NONBLOCK);
        s->lf = Loop_add_fd(Live_loop(lv), s->sv[0], on_readable, s, err, errlen);
        if (!s->lf) {
                redis_source_free(&s->base);
                return NULL;
        }
        int64_t after = Live_resume(lv);
        RedisTailCb cb = {.record = t_record, .state = t_state, .gap = t_gap, .ud = s};
        s->tail = redis_tail_start(&s->u, after > 0 ? after : 0, 0, &cb, err, errlen);
        if (!s->tail) {
                redis_source_free(&s->base);
                return NULL;
        }
        return &s->base;
}
