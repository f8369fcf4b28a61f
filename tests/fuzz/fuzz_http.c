/* Fuzz target: the HTTP layer of webhook ingest as `capmon relay` and `watch
 * webhook://` run it: libwebsockets 4.1.6's HTTP/1.1 server and
 * Ingest_http_callback, on a real loopback TCP connection. The input is the raw
 * bytes a client sends on one connection (pipelined requests included), written
 * in pieces split at each "\x00\x01" (the loop is serviced between pieces, so
 * reads end at those points); then the client shuts its side and reads until the
 * server closes.
 *
 * The ingest under test has a webhook secret ("fuzz-secret") and a bearer token
 * ("t"): `POST /events` with `Authorization: Bearer t` and a capmon.* event is
 * accepted (answered 200 at once, like the webhook:// source).
 * Checked: the server closes the connection within a bounded number of loop
 * iterations after the client's end (no wedge, no spin: a loop that never
 * returns is the fuzzer's -timeout); every accepted body is bytes of the input,
 * taken in order and never twice (a request is taken once); every answer is an
 * HTTP/1.1 status line with a known code; no log line holds a control
 * character; once the connection is closed, no request is counted in progress
 * (the cap of requests in progress never leaks). */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingest.h"

#define SPLIT      "\x00\x01"
#define MAX_ROUNDS 4000 /* loop iterations after the client's end */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lws_context *cx;
static int port;
static IngestCfg cfg;
static IngestGuard guard;
static IngestOwner owner;
static const uint8_t *in_cur, *in_end; /* where the next accepted body may start */

static void fz_log(void *ud, const char *line)
{
        (void)ud;
        for (const unsigned char *p = (const unsigned char *)line; *p; p++)
                if (*p < 0x20 || *p == 0x7F)
                        abort(); /* a log line is one line of text */
}

static int fz_accept(void *ud, struct lws *wsi, IngestConn *c, const char *src, const char *body,
                     size_t len)
{
        (void)ud;
        (void)src;
        const uint8_t *at = len ? memmem(in_cur, (size_t)(in_end - in_cur), body, len) : in_cur;
        if (!at)
                abort(); /* accepted bytes that were not sent, or sent once and taken twice */
        in_cur = at + len;
        Ingest_respond(wsi, c, 200, "{\"ok\":true}");
        return 0;
}

static int fz_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
        if (reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE)
                return -1; /* as webhook:// */
        if (user) {
                int handled;
                int rc = Ingest_http_callback(&owner, user, wsi, reason, in, len, &handled);
                if (handled)
                        return rc;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"capmon-fuzz-http", fz_callback, sizeof(IngestConn), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void setup(void)
{
        lws_set_log_level(0, NULL);
        cfg = (IngestCfg){.secret = "fuzz-secret",
                          .token = "t",
                          .body_max = 4096,
                          .log = fz_log,
                          .guard = &guard};
        owner = (IngestOwner){.cfg = &cfg, .accept = fz_accept};
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = 0; /* any free port */
        info.iface = "127.0.0.1";
        info.protocols = protocols;
        info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
        info.timeout_secs = 10;
        cx = lws_create_context(&info);
        if (!cx)
                abort();
        port = lws_get_vhost_listen_port(lws_get_vhost_by_name(cx, "default"));
}

/* Read what the server sent; 1 once it closed. Every answer is checked. */
static int drain(int fd, char *resp, size_t *rlen, size_t cap)
{
        for (;;) {
                char buf[4096];
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n == 0)
                        return 1;
                if (n < 0)
                        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : 1;
                size_t k = (size_t)n < cap - *rlen ? (size_t)n : cap - *rlen;
                memcpy(resp + *rlen, buf, k);
                *rlen += k;
        }
}

/* The answers, one after the other: a status line "HTTP/1.x NNN" (NNN from
 * 100 to 599), headers, and a body of its content-length. */
static void check_answers(const char *r, size_t n)
{
        const char *p = r, *end = r + n;
        while (end - p >= 12) {
                if (memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' || p[9] < '1' || p[9] > '5' ||
                    p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
                        abort();
                const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
                if (!hend)
                        return; /* cut by the buffer's cap */
                long clen = 0;
                for (const char *h = p; h < hend; h++)
                        if (strncasecmp(h, "\ncontent-length:", 16) == 0)
                                clen = strtol(h + 16, NULL, 10);
                if (clen < 0)
                        abort();
                p = hend + 4 + clen;
        }
}

/* A connection to the server. Thousands a second on loopback can run out of
 * local ports for a moment (a stressed CI run once failed here): try again while
 * serving, and say why if it still fails. */
static int connect_server(void)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int tries = 0;; tries++) {
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
                        return fd;
                int e = errno;
                if (fd >= 0)
                        close(fd);
                if (tries == 200 || (e != EADDRNOTAVAIL && e != EAGAIN && e != ECONNREFUSED)) {
                        fprintf(stderr, "fuzz_http: connect to 127.0.0.1:%d: %s\n", port,
                                strerror(e));
                        abort();
                }
                lws_service(cx, -1);
                usleep(10000);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!cx)
                setup();
        int fd = connect_server();
        /* the bytes as the server receives them (without the split marks) */
        static uint8_t sent[1 << 20];
        size_t nsent = 0;
        for (size_t i = 0; i < size && nsent < sizeof sent; i++) {
                if (i + 1 < size && data[i] == 0 && data[i + 1] == 1) {
                        i++;
                        continue;
                }
                sent[nsent++] = data[i];
        }
        in_cur = sent;
        in_end = sent + nsent;
        static char resp[65536];
        size_t rlen = 0;
        int closed = 0;
        const uint8_t *p = data, *end = data + size;
        while (p < end && !closed) {
                const uint8_t *cut = memmem(p, (size_t)(end - p), SPLIT, 2);
                size_t n = cut ? (size_t)(cut - p) : (size_t)(end - p);
                if (n && send(fd, p, n, MSG_NOSIGNAL) < 0)
                        closed = 1;
                p += n + (cut ? 2 : 0);
                for (int i = 0; i < 8 && !closed; i++) {
                        lws_service(cx, -1);
                        closed = drain(fd, resp, &rlen, sizeof resp);
                }
        }
        shutdown(fd, SHUT_WR);
        for (int i = 0; i < MAX_ROUNDS && !closed; i++) {
                lws_service(cx, -1);
                closed = drain(fd, resp, &rlen, sizeof resp);
        }
        if (!closed)
                abort(); /* the server did not close after the client's end */
        check_answers(resp, rlen);
        /* the server has closed: end with a reset, so no TIME_WAIT is left to
         * hold a local port */
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
        /* let lws finish closing its side before the next input */
        for (int i = 0; i < 4; i++)
                lws_service(cx, -1);
        if (guard.active != 0)
                abort(); /* a request counted in progress after its connection closed */
        return 0;
}
