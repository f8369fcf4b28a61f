/* The floor for bench/bench_live.sh: a trivial libwebsockets HTTP server that
 * reads a POST body and answers 200 {"ok":true} at once. Same library, same
 * loop, no verification, no log, no fsync, no fan-out.
 * usage: floor_http PORT   (stops on SIGINT/SIGTERM) */
#include <libwebsockets.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;
static struct lws_context *cx;

struct pss {
        int respond;
};

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
        if (cx)
                lws_cancel_service(cx);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
        struct pss *p = user;
        switch (reason) {
        case LWS_CALLBACK_HTTP:
                return 0;
        case LWS_CALLBACK_HTTP_BODY:
                return 0;
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
                p->respond = 1;
                lws_callback_on_writable(wsi);
                return 0;
        case LWS_CALLBACK_HTTP_WRITEABLE: {
                if (!p || !p->respond)
                        return 0;
                static const char body[] = "{\"ok\":true}\n";
                unsigned char hdr[LWS_PRE + 256], *start = hdr + LWS_PRE, *q = start,
                                                  *end = hdr + sizeof hdr - 1;
                unsigned char b[LWS_PRE + sizeof body];
                p->respond = 0;
                if (lws_add_http_common_headers(wsi, 200, "application/json", sizeof body - 1, &q,
                                                end) ||
                    lws_finalize_write_http_header(wsi, start, &q, end))
                        return -1;
                memcpy(b + LWS_PRE, body, sizeof body - 1);
                if (lws_write(wsi, b + LWS_PRE, sizeof body - 1, LWS_WRITE_HTTP_FINAL) < 0)
                        return -1;
                return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        default:
                break;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"floor", callback, sizeof(struct pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int main(int argc, char **argv)
{
        if (argc != 2)
                return 2;
        lws_set_log_level(LLL_ERR, NULL);
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = atoi(argv[1]);
        info.iface = "127.0.0.1";
        info.protocols = protocols;
        info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
        cx = lws_create_context(&info);
        if (!cx)
                return 1;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        while (!stop && lws_service(cx, 0) >= 0)
                ;
        lws_context_destroy(cx);
        return 0;
}
