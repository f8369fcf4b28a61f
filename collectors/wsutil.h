/* Small helpers shared by the WebSocket sources: URL parsing, message
 * reassembly with a size bound, backoff with jitter, a client vhost. */
#ifndef CAPMON_WSUTIL_H
#define CAPMON_WSUTIL_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

typedef struct WsUrl {
        char *scheme, *host, *path, *query; /* path starts with '/'; query may be NULL */
        int port;                           /* 0: not given */
} WsUrl;

/* scheme://host[:port][/path][?query]; [v6] hosts accepted. 0 or -1 (err). */
int ws_url_parse(const char *url, WsUrl *u, char *err, size_t errlen);
void ws_url_done(WsUrl *u);
/* Remove parameter `name` from a query string; *value gets its integer value
 * (-1 when absent or not a number). Returns the rest (malloc). */
char *ws_query_take(const char *query, const char *name, int64_t *value);

/* One log line through a caller's function (fn NULL: dropped), printf-style,
 * cut at 600 bytes. */
typedef void (*LogLineFn)(void *ud, const char *line);
void log_linef(LogLineFn fn, void *ud, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Exponential backoff from 500 ms doubling, with +-25 % jitter, never over 10 s
 * (an operator waits no longer for a source that is back). */
#define WS_BACKOFF_MAX_US 10000000
int64_t ws_backoff_us(unsigned tries);

/* A non-listening vhost named `name` on the loop's context, created once. */
struct lws_vhost *ws_vhost(Loop *loop, const char *name, const struct lws_protocols *protocols);
/* The same on any lws context (the relay's). */
struct lws_vhost *ws_vhost_cx(struct lws_context *cx, const char *name,
                              const struct lws_protocols *protocols);

/* One WebSocket message assembled from its fragments. */
typedef struct WsMsg {
        char *buf;
        size_t len, cap, max;
        int skipping; /* the current message is over max: dropped */
        int dropped;  /* set when a message was dropped (the caller clears it) */
} WsMsg;

enum { WSMSG_MORE = 0, WSMSG_DONE = 1 };

void WsMsg_init(WsMsg *m, size_t max);
void WsMsg_reset(WsMsg *m);
void WsMsg_done(WsMsg *m);
/* Add a received fragment; WSMSG_DONE when m->buf/len hold a whole message
 * (NUL-terminated), valid until the next call. */
int WsMsg_add(WsMsg *m, struct lws *wsi, const void *in, size_t len);

#endif
