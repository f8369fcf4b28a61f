/* Helpers shared by the WebSocket sources. */
#include "wsutil.h"

#include <stdarg.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

int ws_url_parse(const char *url, WsUrl *u, char *err, size_t errlen)
{
        memset(u, 0, sizeof *u);
        const char *sep = strstr(url, "://");
        if (!sep || sep == url)
                return xsnprintf(err, errlen, "%s: not a URL (scheme://host...)", url), -1;
        u->scheme = xstrndup(url, (size_t)(sep - url));
        const char *h = sep + 3, *end = h + strcspn(h, "/?");
        const char *hend = end, *port = NULL;
        if (*h == '[') {
                const char *rb = memchr(h, ']', (size_t)(end - h));
                if (!rb)
                        goto bad;
                u->host = xstrndup(h + 1, (size_t)(rb - h - 1));
                if (rb + 1 < end && rb[1] == ':')
                        port = rb + 2;
                else if (rb + 1 != end)
                        goto bad;
        } else {
                const char *colon = memchr(h, ':', (size_t)(end - h));
                if (colon) {
                        hend = colon;
                        port = colon + 1;
                }
                u->host = xstrndup(h, (size_t)(hend - h));
        }
        if (port) {
                char pb[8];
                size_t pn = (size_t)(end - port);
                int64_t v;
                if (pn == 0 || pn >= sizeof pb)
                        goto bad;
                memcpy(pb, port, pn);
                pb[pn] = '\0';
                if (parse_int64(pb, &v) || v < 1 || v > 65535)
                        goto bad;
                u->port = (int)v;
        }
        if (*end == '/') {
                size_t pl = strcspn(end, "?");
                u->path = xstrndup(end, pl);
                end += pl;
        } else {
                u->path = xstrdup("");
        }
        if (*end == '?' && end[1])
                u->query = xstrdup(end + 1);
        if (!*u->host && strcmp(u->scheme, "webhook") != 0)
                goto bad;
        return 0;
bad:
        ws_url_done(u);
        return xsnprintf(err, errlen, "%s: bad address", url), -1;
}

void ws_url_done(WsUrl *u)
{
        free(u->scheme);
        free(u->host);
        free(u->path);
        free(u->query);
        memset(u, 0, sizeof *u);
}

char *ws_query_take(const char *query, const char *name, int64_t *value)
{
        size_t nl = strlen(name), qn = strlen(query);
        char *out = xmalloc(qn + 1);
        size_t o = 0;
        *value = -1;
        const char *p = query;
        while (*p) {
                size_t n = strcspn(p, "&");
                if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
                        char v[24];
                        size_t vn = n - nl - 1;
                        int64_t x;
                        if (vn < sizeof v) {
                                memcpy(v, p + nl + 1, vn);
                                v[vn] = '\0';
                                if (!parse_int64(v, &x) && x >= 0)
                                        *value = x;
                        }
                } else if (n) {
                        if (o)
                                out[o++] = '&';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
                if (*p == '&')
                        p++;
        }
        out[o] = '\0';
        return out;
}

void log_linef(LogLineFn fn, void *ud, const char *fmt, ...)
{
        char line[600];
        va_list ap;
        if (!fn)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        /* parts come from the network (Zoom's error bodies): no control or bidi
         * character reaches a log (issue 11 item 8) */
        char *clean = text_sanitize(line, sizeof line);
        fn(ud, clean);
        free(clean);
}

int64_t ws_backoff_us(unsigned tries)
{
        int64_t us = 500000;
        for (unsigned i = 0; i < tries && us < WS_BACKOFF_MAX_US; i++)
                us *= 2;
        if (us > WS_BACKOFF_MAX_US)
                us = WS_BACKOFF_MAX_US;
        /* jitter: +-25 % */
        int64_t j = us / 4;
        us += (int64_t)(((double)rand() / RAND_MAX) * (double)(2 * j)) - j;
        return us > WS_BACKOFF_MAX_US ? WS_BACKOFF_MAX_US : us;
}

struct lws_vhost *ws_vhost(Loop *loop, const char *name, const struct lws_protocols *protocols)
{
        return ws_vhost_cx(Loop_lws(loop), name, protocols);
}

struct lws_vhost *ws_vhost_cx(struct lws_context *cx, const char *name,
                              const struct lws_protocols *protocols)
{
        struct lws_vhost *vh = lws_get_vhost_by_name(cx, name);
        if (vh)
                return vh;
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = protocols;
        info.vhost_name = name;
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        return lws_create_vhost(cx, &info);
}

void WsMsg_init(WsMsg *m, size_t max)
{
        memset(m, 0, sizeof *m);
        m->max = max;
}

void WsMsg_reset(WsMsg *m)
{
        m->len = 0;
        m->skipping = 0;
}

void WsMsg_done(WsMsg *m)
{
        free(m->buf);
        memset(m, 0, sizeof *m);
}

int WsMsg_add(WsMsg *m, struct lws *wsi, const void *in, size_t len)
{
        if (lws_is_first_fragment(wsi)) {
                m->len = 0;
                m->skipping = 0;
        }
        if (!m->skipping && m->len + len > m->max) {
                m->skipping = 1;
                m->dropped = 1;
        }
        if (!m->skipping) {
                if (m->len + len + 1 > m->cap) {
                        m->cap = (m->len + len + 1) * 2;
                        m->buf = xrealloc(m->buf, m->cap);
                }
                memcpy(m->buf + m->len, in, len);
                m->len += len;
                m->buf[m->len] = '\0';
        }
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
                return WSMSG_MORE;
        int done = !m->skipping;
        m->skipping = 0;
        return done ? WSMSG_DONE : WSMSG_MORE;
}
