/* Load generator and light subscribers for bench/bench_redis.sh (loopback
 * only; run on demand). One thread, epoll, no library but libcrypto (HMAC), so
 * that on a 2-core machine the apparatus costs little next to the relays.
 *
 *   live_drive send OUT RATE TOTAL CONNS PORT[,PORT...]
 *       POSTs TOTAL signed webhooks (CAPMON_WEBHOOK_SECRET) to /zoom over
 *       CONNS keep-alive connections, connection k to PORT number k % nports,
 *       one request in flight on each; RATE events/s (0: as fast as the
 *       answers come). Writes "SEQ SEND_US ACK_US STATUS" per request to OUT
 *       (SEQ -1 without {"seq":N}; STATUS 0 without an answer); times are
 *       CLOCK_REALTIME microseconds.
 *   live_drive sub OUT PORT:COUNT [PORT:COUNT...]
 *       COUNT WebSocket subscribers of ws://127.0.0.1:PORT/events?since=0 each
 *       (CAPMON_TOKEN). Prints "ready" once all are connected, then reads the
 *       last seq expected on standard input; exits once every subscriber has
 *       it (or 120 s later), writing "SUB SEQ RECV_US" per record received.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
        fprintf(stderr, "live_drive: %s: %s\n", what, strerror(errno));
        exit(1);
}

static int64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double mono(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to(int port)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                die("socket");
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&a, sizeof a))
                die("connect");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
        while (n) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EAGAIN) {
                        /* loopback with a small request: rare; wait for room */
                        struct timespec ts = {0, 100000};
                        nanosleep(&ts, NULL);
                        continue;
                }
                if (w <= 0)
                        die("write");
                p += w;
                n -= (size_t)w;
        }
}

/* ---- send ---- */

typedef struct {
        int fd, port;
        long idx; /* request in flight, -1: idle */
        int64_t t0;
        char in[16384];
        size_t inlen;
} Conn;

typedef struct {
        long seq;
        int64_t t0, t1;
        int status;
} Result;

static size_t make_request(char *out, size_t cap, const char *secret, int port, long i)
{
        char body[512], sig[65];
        int64_t ms = now_us() / 1000;
        int bn = snprintf(body, sizeof body,
                          "{\"event\":\"meeting.participant_joined\",\"event_ts\":%" PRId64
                          ",\"payload\":{\"account_id\":\"bench\",\"object\":{\"uuid\":"
                          "\"bench-1\",\"id\":\"1\",\"topic\":\"bench\",\"participant\":{"
                          "\"user_id\":\"%ld\",\"user_name\":\"Switzerland - Bench %ld\"}}}}",
                          ms, i, i);
        char msg[640];
        long ts = (long)(ms / 1000);
        int mn = snprintf(msg, sizeof msg, "v0:%ld:%s", ts, body);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int maclen = 0;
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, (size_t)mn, mac,
             &maclen);
        for (unsigned k = 0; k < maclen; k++)
                snprintf(sig + 2 * k, 3, "%02x", mac[k]);
        return (size_t)snprintf(out, cap,
                                "POST /zoom HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                "content-type: application/json\r\n"
                                "x-zm-request-timestamp: %ld\r\nx-zm-signature: v0=%s\r\n"
                                "content-length: %d\r\n\r\n%s",
                                port, ts, sig, bn, body);
}

/* A complete answer in c->in: its length, status and seq; 0 if incomplete. */
static size_t parse_answer(Conn *c, int *status, long *seq)
{
        c->in[c->inlen < sizeof c->in ? c->inlen : sizeof c->in - 1] = '\0';
        char *end = strstr(c->in, "\r\n\r\n");
        if (!end)
                return 0;
        size_t hl = (size_t)(end - c->in) + 4;
        long cl = 0;
        for (char *p = c->in; p < end; p++)
                if ((*p == 'c' || *p == 'C') && strncasecmp(p, "content-length:", 15) == 0) {
                        cl = strtol(p + 15, NULL, 10);
                        break;
                }
        if (c->inlen < hl + (size_t)cl)
                return 0;
        *status = atoi(c->in + 9);
        *seq = -1;
        char *s = strstr(end + 4, "\"seq\":");
        if (s && s < c->in + hl + cl)
                *seq = strtol(s + 6, NULL, 10);
        return hl + (size_t)cl;
}

static int cmd_send(int argc, char **argv)
{
        if (argc != 7)
                return fprintf(stderr, "usage: live_drive send OUT RATE TOTAL CONNS PORTS\n"), 2;
        const char *secret = getenv("CAPMON_WEBHOOK_SECRET");
        if (!secret)
                return fprintf(stderr, "live_drive: CAPMON_WEBHOOK_SECRET not set\n"), 2;
        double rate = atof(argv[3]);
        long total = atol(argv[4]);
        int nconn = atoi(argv[5]);
        int ports[16], nports = 0;
        for (char *p = argv[6]; *p && nports < 16;) {
                ports[nports++] = (int)strtol(p, &p, 10);
                if (*p == ',')
                        p++;
        }
        if (!nports || nconn < 1 || total < 1)
                return fprintf(stderr, "live_drive: bad arguments\n"), 2;
        Conn *cs = calloc((size_t)nconn, sizeof *cs);
        Result *res = calloc((size_t)total, sizeof *res);
        int *idle = malloc(sizeof(int) * (size_t)nconn), nidle = 0;
        int ep = epoll_create1(EPOLL_CLOEXEC);
        if (!cs || !res || !idle || ep < 0)
                die("setup");
        for (int k = 0; k < nconn; k++) {
                cs[k].port = ports[k % nports];
                cs[k].fd = connect_to(cs[k].port);
                cs[k].idx = -1;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
                epoll_ctl(ep, EPOLL_CTL_ADD, cs[k].fd, &ev);
                idle[nidle++] = k;
        }
        int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
        epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
        struct timespec t_start;
        clock_gettime(CLOCK_MONOTONIC, &t_start);
        double start = (double)t_start.tv_sec + t_start.tv_nsec / 1e9;
        long next = 0, done = 0;
        char req[2048];
        while (done < total) {
                /* send what is due on idle connections */
                while (next < total && nidle) {
                        if (rate > 0 && start + next / rate > mono())
                                break;
                        Conn *c = &cs[idle[--nidle]];
                        size_t n = make_request(req, sizeof req, secret, c->port, next);
                        c->idx = next++;
                        c->t0 = now_us();
                        write_all(c->fd, req, n);
                }
                if (rate > 0 && next < total && nidle) {
                        double due = next / rate;
                        struct itimerspec it;
                        memset(&it, 0, sizeof it);
                        long long ns = (long long)(due * 1e9) + t_start.tv_nsec;
                        it.it_value.tv_sec = t_start.tv_sec + (time_t)(ns / 1000000000LL);
                        it.it_value.tv_nsec = (long)(ns % 1000000000LL);
                        timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL);
                }
                struct epoll_event evs[256];
                int n = epoll_wait(ep, evs, 256, -1);
                if (n < 0 && errno != EINTR)
                        die("epoll_wait");
                for (int e = 0; e < n; e++) {
                        if (evs[e].data.u32 == UINT32_MAX) {
                                uint64_t x;
                                if (read(tfd, &x, sizeof x) < 0 && errno != EAGAIN)
                                        die("timerfd");
                                continue;
                        }
                        Conn *c = &cs[evs[e].data.u32];
                        ssize_t r = read(c->fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen);
                        if (r < 0 && errno == EAGAIN)
                                continue;
                        if (r <= 0) { /* closed: the request failed; reconnect */
                                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                                close(c->fd);
                                c->inlen = 0;
                                c->fd = connect_to(c->port);
                                struct epoll_event ev = {.events = EPOLLIN,
                                                         .data.u32 = evs[e].data.u32};
                                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
                                if (c->idx >= 0) { /* busy: failed, and idle again */
                                        res[c->idx] = (Result){-1, c->t0, now_us(), 0};
                                        done++;
                                        c->idx = -1;
                                        idle[nidle++] = (int)evs[e].data.u32;
                                } /* else: an idle keep-alive closed; already in idle[] */
                                continue;
                        }
                        c->inlen += (size_t)r;
                        int status;
                        long seq;
                        size_t used = parse_answer(c, &status, &seq);
                        if (!used)
                                continue;
                        if (c->idx >= 0) {
                                res[c->idx] = (Result){seq, c->t0, now_us(), status};
                                done++;
                        }
                        memmove(c->in, c->in + used, c->inlen - used);
                        c->inlen -= used;
                        c->idx = -1;
                        idle[nidle++] = (int)evs[e].data.u32;
                }
        }
        double took = mono() - start;
        FILE *f = fopen(argv[2], "w");
        if (!f)
                die(argv[2]);
        for (long i = 0; i < total; i++)
                fprintf(f, "%ld %" PRId64 " %" PRId64 " %d\n", res[i].seq, res[i].t0, res[i].t1,
                        res[i].status);
        fclose(f);
        fprintf(stderr, "live_drive: %ld requests in %.3f s\n", total, took);
        return 0;
}

/* ---- sub ---- */

typedef struct {
        int fd, open;
        unsigned char *buf;
        size_t len, cap;
        int in_msg;   /* inside a fragmented text message */
        long cur_seq; /* its seq, -1 for a control frame */
        int64_t *recv;
        long nrecv, maxseq;
} Sub;

static void sub_note(Sub *s, long seq)
{
        if (seq < 0)
                return;
        if (seq >= s->nrecv) {
                long n = s->nrecv ? s->nrecv : 65536;
                while (n <= seq)
                        n *= 2;
                s->recv = realloc(s->recv, sizeof *s->recv * (size_t)n);
                if (!s->recv)
                        die("realloc");
                memset(s->recv + s->nrecv, 0, sizeof *s->recv * (size_t)(n - s->nrecv));
                s->nrecv = n;
        }
        if (!s->recv[seq])
                s->recv[seq] = now_us();
        if (seq > s->maxseq)
                s->maxseq = seq;
}

static void send_pong(Sub *s, const unsigned char *p, size_t n)
{
        unsigned char f[256];
        if (n > 125)
                n = 125;
        f[0] = 0x8A;
        f[1] = (unsigned char)(0x80 | n);
        memset(f + 2, 0, 4); /* mask key 0: payload unchanged */
        memcpy(f + 6, p, n);
        write_all(s->fd, (char *)f, 6 + n);
}

/* Consume whole frames from s->buf. -1 on a close frame. */
static int sub_frames(Sub *s)
{
        size_t off = 0;
        for (;;) {
                unsigned char *p = s->buf + off;
                size_t avail = s->len - off;
                if (avail < 2)
                        break;
                int fin = p[0] & 0x80, op = p[0] & 0x0f;
                uint64_t n = p[1] & 0x7f;
                size_t h = 2;
                if (n == 126) {
                        if (avail < 4)
                                break;
                        n = ((uint64_t)p[2] << 8) | p[3];
                        h = 4;
                } else if (n == 127) {
                        if (avail < 10)
                                break;
                        n = 0;
                        for (int k = 0; k < 8; k++)
                                n = (n << 8) | p[2 + k];
                        h = 10;
                }
                if (avail < h + n)
                        break;
                unsigned char *d = p + h;
                if (op == 8)
                        return -1;
                if (op == 9)
                        send_pong(s, d, (size_t)n);
                else if (op == 1 || op == 0) {
                        if (op == 1) {
                                s->cur_seq = -1;
                                if (n > 7 && memcmp(d, "{\"seq\":", 7) == 0)
                                        s->cur_seq = strtol((char *)d + 7, NULL, 10);
                        }
                        if (fin)
                                sub_note(s, s->cur_seq);
                }
                off += h + (size_t)n;
        }
        memmove(s->buf, s->buf + off, s->len - off);
        s->len -= off;
        return 0;
}

static int cmd_sub(int argc, char **argv)
{
        if (argc < 4)
                return fprintf(stderr, "usage: live_drive sub OUT PORT:COUNT...\n"), 2;
        const char *token = getenv("CAPMON_TOKEN");
        if (!token)
                return fprintf(stderr, "live_drive: CAPMON_TOKEN not set\n"), 2;
        int nsub = 0, ports[256];
        for (int a = 3; a < argc; a++) {
                char *colon = strchr(argv[a], ':');
                int port = atoi(argv[a]), count = colon ? atoi(colon + 1) : 1;
                for (int k = 0; k < count && nsub < 256; k++)
                        ports[nsub++] = port;
        }
        Sub *ss = calloc((size_t)nsub, sizeof *ss);
        int ep = epoll_create1(EPOLL_CLOEXEC);
        if (!ss || ep < 0)
                die("setup");
        char req[1024];
        for (int k = 0; k < nsub; k++) {
                Sub *s = &ss[k];
                s->fd = connect_to(ports[k]);
                s->cap = 1 << 20;
                s->buf = malloc(s->cap);
                s->maxseq = -1;
                if (!s->buf)
                        die("malloc");
                int n = snprintf(req, sizeof req,
                                 "GET /events?since=0 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                 "Sec-WebSocket-Version: 13\r\n"
                                 "Authorization: Bearer %s\r\n\r\n",
                                 ports[k], token);
                write_all(s->fd, req, (size_t)n);
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
                epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
        }
        struct epoll_event iev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
        epoll_ctl(ep, EPOLL_CTL_ADD, 0, &iev);
        long last = -1;
        int nopen = 0, told = 0;
        double deadline = 0;
        for (;;) {
                if (nopen == nsub && !told) {
                        printf("ready\n");
                        fflush(stdout);
                        told = 1;
                }
                if (last >= 0) {
                        int all = 1;
                        for (int k = 0; k < nsub; k++)
                                if (ss[k].maxseq < last)
                                        all = 0;
                        if (all || mono() > deadline)
                                break;
                }
                struct epoll_event evs[256];
                int n = epoll_wait(ep, evs, 256, 200);
                if (n < 0 && errno != EINTR)
                        die("epoll_wait");
                for (int e = 0; e < n; e++) {
                        if (evs[e].data.u32 == UINT32_MAX) {
                                char line[64];
                                ssize_t r = read(0, line, sizeof line - 1);
                                if (r <= 0) {
                                        epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
                                        if (last < 0)
                                                last = 0; /* stdin closed: stop */
                                        deadline = mono();
                                        continue;
                                }
                                line[r] = '\0';
                                last = atol(line);
                                deadline = mono() + 120;
                                continue;
                        }
                        Sub *s = &ss[evs[e].data.u32];
                        if (s->len == s->cap) {
                                s->cap *= 2;
                                s->buf = realloc(s->buf, s->cap);
                                if (!s->buf)
                                        die("realloc");
                        }
                        ssize_t r = read(s->fd, s->buf + s->len, s->cap - s->len);
                        if (r < 0 && errno == EAGAIN)
                                continue;
                        if (r <= 0) {
                                fprintf(stderr, "live_drive: subscriber %u: connection closed\n",
                                        evs[e].data.u32);
                                epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
                                s->maxseq = INT32_MAX; /* do not wait for it */
                                continue;
                        }
                        s->len += (size_t)r;
                        if (!s->open) {
                                unsigned char *end = NULL;
                                for (size_t q = 0; q + 4 <= s->len && !end; q++)
                                        if (memcmp(s->buf + q, "\r\n\r\n", 4) == 0)
                                                end = s->buf + q;
                                if (!end)
                                        continue;
                                if (s->len < 12 || memcmp(s->buf + 9, "101", 3) != 0) {
                                        fprintf(stderr,
                                                "live_drive: subscriber %u refused: %.40s\n",
                                                evs[e].data.u32, (char *)s->buf);
                                        return 1;
                                }
                                size_t h = (size_t)(end - s->buf) + 4;
                                memmove(s->buf, s->buf + h, s->len - h);
                                s->len -= h;
                                s->open = 1;
                                nopen++;
                        }
                        if (sub_frames(s) < 0) {
                                fprintf(stderr, "live_drive: subscriber %u: closed by the relay\n",
                                        evs[e].data.u32);
                                epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
                                s->maxseq = INT32_MAX;
                        }
                }
        }
        FILE *f = fopen(argv[2], "w");
        if (!f)
                die(argv[2]);
        for (int k = 0; k < nsub; k++)
                for (long q = 0; q < ss[k].nrecv; q++)
                        if (ss[k].recv[q])
                                fprintf(f, "%d %ld %" PRId64 "\n", k, q, ss[k].recv[q]);
        fclose(f);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "send") == 0)
                return cmd_send(argc, argv);
        if (argc > 1 && strcmp(argv[1], "sub") == 0)
                return cmd_sub(argc, argv);
        fprintf(stderr, "usage: live_drive send|sub ...\n");
        return 2;
}
