/* Zoom RTMS client (collectors/rtms.h). One RtmsStream per rtms_stream_id:
 * a signaling socket (handshake 1/2, keep-alive 12/13, subscription 5, events
 * 6, stream and session states 8/9) and a video media socket (handshake 3/4
 * with data_opt 4, then CLIENT_READY_ACK 7 on signaling) that never subscribes
 * to a participant, so no video data flows. A dropped socket closes both and
 * reconnects with backoff; TERMINATED, STOPPED, rtms_stopped or a refused
 * handshake end the stream for good. */
#include "rtms.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "ingest.h"
#include "live.h"
#include "evlog.h"
#include "util.h"
#include "wsutil.h"

#define RTMS_STREAMS_MAX 64
#define RTMS_URLS_MAX    8
#define RTMS_SENDQ       32                   /* messages waiting for a writable socket */
#define RTMS_MSG_MAX     (256 * 1024)         /* a received message, at most */
#define RTMS_ON_MAX      20000                /* cameras followed per stream */
#define RTMS_SNAPSHOT_US (2 * LWS_US_PER_SEC) /* a roster within this: a snapshot */
#define RTMS_PROTO       "capmon-rtms"

/* event types (RTMS_EVENT_TYPE) and message types (RTMS_MESSAGE_TYPE) */
enum { EV_JOIN = 3, EV_LEAVE = 4, EV_VIDEO_ON = 8, EV_VIDEO_OFF = 9 };
enum {
        MSG_SIG_HANDSHAKE_RESP = 2,
        MSG_DATA_HANDSHAKE_RESP = 4,
        MSG_EVENT_UPDATE = 6,
        MSG_STREAM_STATE = 8,
        MSG_SESSION_STATE = 9,
        MSG_KEEP_ALIVE_REQ = 12,
};
enum { STREAM_TERMINATED = 4, SESSION_STOPPED = 5 };
enum { STATUS_OK = 0, STATUS_BAD_SIGNATURE = 3, STATUS_DUPLICATE = 8 };

struct RtmsStream;

typedef struct RtmsConn {
        struct RtmsStream *st;
        struct lws *wsi;
        int media;
        char *q[RTMS_SENDQ]; /* FIFO of messages to send */
        size_t qhead, qn;
        WsMsg msg;
} RtmsConn;

typedef struct RtmsStream {
        struct Rtms *r;
        char *meeting, *stream, *meeting_id; /* meeting_id may be NULL */
        char *url[RTMS_URLS_MAX];
        size_t nurl, cur;
        char *media_url;
        RtmsConn sig, media;
        lws_sorted_usec_list_t retry_sul, snap_sul;
        unsigned tries;
        int sink;
        int done;     /* never reconnect */
        int up;       /* subscribed */
        int window;   /* in the snapshot window after a subscription */
        int roster;   /* a join roster came in that window */
        uint32_t seq; /* handshake sequence */
        char **on;    /* user ids with video on */
        size_t non, capon;
        char **win; /* video on in the snapshot window */
        size_t nwin, capwin;
} RtmsStream;

struct Rtms {
        struct lws_context *cx;
        struct lws_vhost *vh;
        RtmsOwner owner;
        char *id, *secret;
        int told_creds;
        RtmsStream *st[RTMS_STREAMS_MAX];
        size_t nst;
};

static void rtms_logf(Rtms *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rtms_logf(Rtms *r, const char *fmt, ...)
{
        if (!r->owner.log)
                return;
        char line[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        r->owner.log(r->owner.ud, line);
}

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- records ---- */

static void emit(RtmsStream *st, json_t *body)
{
        char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(body);
        if (text && st->r->owner.emit)
                st->r->owner.emit(st->r->owner.ud, st->sink, text, strlen(text));
        free(text);
}

static json_t *record_object(RtmsStream *st)
{
        json_t *obj = json_pack("{s:s}", "uuid", st->meeting);
        if (st->meeting_id)
                json_object_set_new(obj, "id", json_string(st->meeting_id));
        return obj;
}

static void emit_video(RtmsStream *st, const char *uid, int on, int64_t ts)
{
        json_t *obj = record_object(st);
        json_object_set_new(obj, "participant",
                            json_pack("{s:s, s:s, s:s}", "user_id", uid, "video", on ? "on" : "off",
                                      "source", "rtms"));
        emit(st,
             json_pack("{s:s, s:I, s:{s:o, s:s}}", "event", "capmon.participant_video", "event_ts",
                       (json_int_t)ts, "payload", "object", obj, "rtms_stream_id", st->stream));
}

static void emit_sync(RtmsStream *st, int full)
{
        json_t *obj = record_object(st);
        json_object_set_new(obj, "source", json_string("rtms"));
        json_object_set_new(obj, "full", json_boolean(full));
        if (full) {
                json_t *on = json_array();
                for (size_t i = 0; i < st->non; i++)
                        json_array_append_new(on, json_string(st->on[i]));
                json_object_set_new(obj, "video_on", on);
        }
        emit(st, json_pack("{s:s, s:I, s:{s:o, s:s}}", "event", "capmon.video_sync", "event_ts",
                           (json_int_t)wall_ms(), "payload", "object", obj, "rtms_stream_id",
                           st->stream));
}

/* ---- the camera set ---- */

static ssize_t set_find(char **set, size_t n, const char *uid)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(set[i], uid) == 0)
                        return (ssize_t)i;
        return -1;
}

/* Add (on) or remove uid in a set of user ids. */
static void set_put(char ***set, size_t *n, size_t *cap, const char *uid, int on)
{
        ssize_t i = set_find(*set, *n, uid);
        if (on && i < 0 && *n < RTMS_ON_MAX) {
                if (*n == *cap) {
                        *cap = *cap ? 2 * *cap : 64;
                        *set = xrealloc(*set, *cap * sizeof **set);
                }
                (*set)[(*n)++] = xstrdup(uid);
        } else if (!on && i >= 0) {
                free((*set)[i]);
                (*set)[i] = (*set)[--*n];
        }
}

static void set_clear(char **set, size_t *n)
{
        for (size_t i = 0; i < *n; i++)
                free(set[i]);
        *n = 0;
}

static ssize_t on_find(const RtmsStream *st, const char *uid)
{
        return set_find(st->on, st->non, uid);
}

static void on_set(RtmsStream *st, const char *uid, int on)
{
        set_put(&st->on, &st->non, &st->capon, uid, on);
        if (st->window)
                set_put(&st->win, &st->nwin, &st->capwin, uid, on);
}

/* ---- sending ---- */

static void conn_send(RtmsConn *c, char *text)
{
        if (!c->wsi || c->qn == RTMS_SENDQ) {
                if (c->wsi)
                        rtms_logf(c->st->r, "RTMS %s: send queue full: message dropped",
                                  c->st->meeting);
                free(text);
                return;
        }
        c->q[(c->qhead + c->qn++) % RTMS_SENDQ] = text;
        lws_callback_on_writable(c->wsi);
}

static void conn_sendf(RtmsConn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_sendf(RtmsConn *c, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        conn_send(c, xstrdup(buf));
}

static int conn_writable(RtmsConn *c)
{
        if (!c->qn)
                return 0;
        char *text = c->q[c->qhead];
        c->qhead = (c->qhead + 1) % RTMS_SENDQ;
        c->qn--;
        size_t n = strlen(text);
        unsigned char *buf = xmalloc(LWS_PRE + n);
        memcpy(buf + LWS_PRE, text, n);
        int w = lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
        free(buf);
        free(text);
        if (w < (int)n)
                return -1;
        if (c->qn)
                lws_callback_on_writable(c->wsi);
        return 0;
}

static void conn_reset(RtmsConn *c)
{
        for (size_t i = 0; i < c->qn; i++)
                free(c->q[(c->qhead + i) % RTMS_SENDQ]);
        c->qhead = c->qn = 0;
        WsMsg_reset(&c->msg);
}

/* Close our side without being called back for it. */
static void conn_drop(RtmsConn *c)
{
        if (c->wsi) {
                lws_set_wsi_user(c->wsi, NULL);
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
                c->wsi = NULL;
        }
        conn_reset(c);
}

/* ---- the stream's life ---- */

static void stream_connect(lws_sorted_usec_list_t *sul);

static void set_state(RtmsStream *st, RtmsState s)
{
        if (st->r->owner.state)
                st->r->owner.state(st->r->owner.ud, st->sink, s);
}

/* End for good: nothing reconnects. */
static void stream_finish(RtmsStream *st, const char *why)
{
        if (st->done)
                return;
        rtms_logf(st->r, "RTMS %s: stream %s ended: %s", st->meeting, st->stream, why);
        st->done = 1;
        st->up = st->window = 0;
        lws_sul_cancel(&st->retry_sul);
        lws_sul_cancel(&st->snap_sul);
        conn_drop(&st->sig);
        conn_drop(&st->media);
        set_state(st, RTMS_DONE);
}

/* A socket dropped or a transient refusal: close both, reconnect later. */
static void stream_retry(RtmsStream *st, const char *why)
{
        if (st->done)
                return;
        conn_drop(&st->sig);
        conn_drop(&st->media);
        lws_sul_cancel(&st->snap_sul);
        st->up = st->window = 0;
        if (st->nurl > 1)
                st->cur = (st->cur + 1) % st->nurl;
        int64_t us = ws_backoff_us(st->tries++);
        rtms_logf(st->r, "RTMS %s: %s; reconnecting in %.1f s", st->meeting, why, (double)us / 1e6);
        set_state(st, RTMS_DOWN);
        lws_sul_schedule(st->r->cx, 0, &st->retry_sul, stream_connect, us);
}

static void signature(const RtmsStream *st, char out[65])
{
        const Rtms *r = st->r;
        size_t n = strlen(r->id) + strlen(st->meeting) + strlen(st->stream) + 3;
        char *msg = xmalloc(n);
        xsnprintf(msg, n, "%s,%s,%s", r->id, st->meeting, st->stream);
        ingest_hmac_hex(r->secret, strlen(r->secret), msg, strlen(msg), out);
        free(msg);
}

static void send_sig_handshake(RtmsStream *st)
{
        char sig[65];
        signature(st, sig);
        json_t *m =
            json_pack("{s:i, s:i, s:I, s:s, s:s, s:s, s:b}", "msg_type", 1, "protocol_version", 1,
                      "sequence", (json_int_t)++st->seq, "meeting_uuid", st->meeting,
                      "rtms_stream_id", st->stream, "signature", sig, "buffer_data", 0);
        conn_send(&st->sig, json_dumps(m, JSON_COMPACT));
        json_decref(m);
}

static void send_media_handshake(RtmsStream *st)
{
        char sig[65];
        signature(st, sig);
        /* video in single-participant mode (data_opt 4): nothing flows until a
         * VIDEO_SUBSCRIPTION_REQ, which capmon never sends */
        json_t *m = json_pack("{s:i, s:i, s:i, s:s, s:s, s:s, s:i, s:{s:{s:i, s:i, s:i, s:i}}}",
                              "msg_type", 3, "protocol_version", 1, "sequence", 0, "meeting_uuid",
                              st->meeting, "rtms_stream_id", st->stream, "signature", sig,
                              "media_type", 2, "media_params", "video", "codec", 5, "resolution", 1,
                              "data_opt", 4, "fps", 1);
        conn_send(&st->media, json_dumps(m, JSON_COMPACT));
        json_decref(m);
}

static void snapshot_end(lws_sorted_usec_list_t *sul)
{
        RtmsStream *st = lws_container_of(sul, RtmsStream, snap_sul);
        st->window = 0;
        if (st->roster) {
                /* the server said who is there: the cameras it said are on are all */
                set_clear(st->on, &st->non);
                char **t = st->on;
                size_t tc = st->capon;
                st->on = st->win;
                st->non = st->nwin;
                st->capon = st->capwin;
                st->win = t;
                st->capwin = tc;
                st->nwin = 0;
                rtms_logf(st->r, "RTMS %s: a roster came on subscribing: %zu cameras on",
                          st->meeting, st->non);
                emit_sync(st, 1);
        }
        set_clear(st->win, &st->nwin);
}

static void subscribe(RtmsStream *st)
{
        static const int events[] = {EV_JOIN, EV_LEAVE, EV_VIDEO_ON, EV_VIDEO_OFF};
        json_t *list = json_array();
        for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
                json_array_append_new(
                    list, json_pack("{s:i, s:b}", "event_type", events[i], "subscribe", 1));
        json_t *m = json_pack("{s:i, s:o}", "msg_type", 5, "events", list);
        conn_send(&st->sig, json_dumps(m, JSON_COMPACT));
        json_decref(m);
        set_clear(st->win, &st->nwin);
        st->up = 1;
        st->tries = 0;
        st->window = 1;
        st->roster = 0;
        rtms_logf(st->r, "RTMS %s: subscribed to camera events", st->meeting);
        set_state(st, RTMS_UP);
        emit_sync(st, 0);
        lws_sul_schedule(st->r->cx, 0, &st->snap_sul, snapshot_end, RTMS_SNAPSHOT_US);
}

static struct lws *conn_open(RtmsStream *st, RtmsConn *c, const char *url)
{
        WsUrl u;
        char err[200];
        if (ws_url_parse(url, &u, err, sizeof err))
                return NULL;
        int tls = strcmp(u.scheme, "wss") == 0;
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = st->r->cx;
        i.vhost = st->r->vh;
        i.address = u.host;
        i.port = u.port ? u.port : tls ? 443 : 80;
        char *path = u.query ? NULL : u.path;
        char *full = NULL;
        if (u.query) {
                size_t n = strlen(u.path) + strlen(u.query) + 2;
                full = xmalloc(n);
                xsnprintf(full, n, "%s?%s", u.path, u.query);
                path = full;
        }
        i.path = path;
        i.host = u.host;
        i.origin = u.host;
        i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
        i.local_protocol_name = RTMS_PROTO;
        i.userdata = c;
        i.pwsi = &c->wsi;
        c->st = st;
        conn_reset(c);
        struct lws *wsi = lws_client_connect_via_info(&i);
        free(full);
        ws_url_done(&u);
        return wsi;
}

static void stream_connect(lws_sorted_usec_list_t *sul)
{
        RtmsStream *st = lws_container_of(sul, RtmsStream, retry_sul);
        if (st->done)
                return;
        if (!conn_open(st, &st->sig, st->url[st->cur])) {
                st->sig.wsi = NULL;
                stream_retry(st, "cannot start a connection");
        }
}

/* ---- messages ---- */

static void on_handshake(RtmsStream *st, json_t *m)
{
        json_int_t status = json_integer_value(json_object_get(m, "status_code"));
        json_t *jr = json_object_get(m, "reason");
        const char *reason = json_is_string(jr) ? json_string_value(jr) : "";
        char why[200];
        if (!json_is_integer(json_object_get(m, "status_code"))) {
                stream_finish(st, "handshake answer without a status_code");
                return;
        }
        if (status == STATUS_DUPLICATE) {
                xsnprintf(why, sizeof why,
                          "duplicate signal request (status 8): another "
                          "connection to this stream is still open");
                stream_retry(st, why);
                return;
        }
        if (status == STATUS_BAD_SIGNATURE) {
                stream_finish(st, "handshake refused: invalid signature (status 3); check "
                                  "CAPMON_RTMS_CLIENT_ID and CAPMON_RTMS_CLIENT_SECRET (the RTMS "
                                  "app's Client ID and Client Secret)");
                return;
        }
        if (status != STATUS_OK) {
                char *clean = text_sanitize(reason, 120);
                xsnprintf(why, sizeof why, "handshake refused: status %lld (%s)", (long long)status,
                          clean);
                free(clean);
                stream_finish(st, why);
                return;
        }
        rtms_logf(st->r, "RTMS %s: signaling handshake accepted", st->meeting);
        json_t *urls = json_object_get(json_object_get(m, "media_server"), "server_urls");
        json_t *v = json_object_get(urls, "video");
        if (!json_is_string(v))
                v = json_object_get(urls, "all");
        free(st->media_url);
        st->media_url = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
        if (st->media_url && conn_open(st, &st->media, st->media_url))
                return; /* subscribe once the media handshake is in */
        if (st->media_url)
                rtms_logf(st->r,
                          "RTMS %s: cannot open the video media socket: subscribing "
                          "on signaling alone",
                          st->meeting);
        st->media.wsi = NULL;
        subscribe(st);
}

static void on_media_handshake(RtmsStream *st, json_t *m)
{
        json_int_t status = json_integer_value(json_object_get(m, "status_code"));
        if (status == STATUS_OK)
                conn_sendf(&st->sig, "{\"msg_type\":7,\"rtms_stream_id\":\"%s\"}", st->stream);
        else
                rtms_logf(st->r,
                          "RTMS %s: video media handshake refused (status %lld): "
                          "subscribing on signaling alone",
                          st->meeting, (long long)status);
        if (!st->up)
                subscribe(st);
}

/* A participant's user_id, a number or a string, as text ("" when absent). */
static const char *user_id(json_t *p, char *buf, size_t len)
{
        json_t *v = json_object_get(p, "user_id");
        if (json_is_integer(v)) {
                xsnprintf(buf, len, "%lld", (long long)json_integer_value(v));
                return buf;
        }
        return json_is_string(v) ? json_string_value(v) : "";
}

static void on_participant(RtmsStream *st, json_int_t type, json_t *p, int64_t ts)
{
        char buf[32];
        const char *uid = user_id(p, buf, sizeof buf);
        if (!*uid || strlen(uid) > 64)
                return;
        switch (type) {
        case EV_JOIN:
                if (st->window)
                        st->roster = 1;
                break;
        case EV_LEAVE:
                if (on_find(st, uid) >= 0) {
                        on_set(st, uid, 0);
                        emit_video(st, uid, 0, ts);
                }
                break;
        case EV_VIDEO_ON:
        case EV_VIDEO_OFF:
                on_set(st, uid, type == EV_VIDEO_ON);
                emit_video(st, uid, type == EV_VIDEO_ON, ts);
                break;
        default:
                break;
        }
}

static void on_event(RtmsStream *st, json_t *ev)
{
        json_int_t type = json_integer_value(json_object_get(ev, "event_type"));
        json_t *jts = json_object_get(ev, "timestamp");
        int64_t ts = json_is_integer(jts) ? (int64_t)json_integer_value(jts) : wall_ms();
        json_t *ps = json_object_get(ev, "participants");
        size_t i;
        json_t *p;
        if (json_is_array(ps)) {
                json_array_foreach(ps, i, p) on_participant(st, type, p, ts);
        } else if (json_object_get(ev, "user_id")) {
                on_participant(st, type, ev, ts);
        }
}

static void keep_alive(RtmsConn *c, json_t *m)
{
        json_t *ts = json_object_get(m, "timestamp");
        conn_sendf(c, "{\"msg_type\":13,\"timestamp\":%lld}",
                   json_is_integer(ts) ? (long long)json_integer_value(ts) : 0LL);
}

static void on_message(RtmsConn *c, const char *text, size_t len)
{
        RtmsStream *st = c->st;
        json_t *m = json_loadb(text, len, 0, NULL);
        json_int_t type = json_integer_value(json_object_get(m, "msg_type"));
        json_t *state = json_object_get(m, "state");
        char why[120];
        if (!json_is_object(m)) {
                rtms_logf(st->r, "RTMS %s: a %s message that is not a JSON object: ignored",
                          st->meeting, c->media ? "media" : "signaling");
        } else if (type == MSG_KEEP_ALIVE_REQ) {
                keep_alive(c, m);
        } else if (c->media) {
                if (type == MSG_DATA_HANDSHAKE_RESP)
                        on_media_handshake(st, m);
        } else if (type == MSG_SIG_HANDSHAKE_RESP) {
                on_handshake(st, m);
        } else if (type == MSG_EVENT_UPDATE) {
                on_event(st, json_object_get(m, "event"));
        } else if (type == MSG_STREAM_STATE && json_integer_value(state) == STREAM_TERMINATED) {
                xsnprintf(why, sizeof why, "stream terminated (reason %lld)",
                          (long long)json_integer_value(json_object_get(m, "reason")));
                stream_finish(st, why);
        } else if (type == MSG_SESSION_STATE && json_integer_value(state) == SESSION_STOPPED) {
                json_t *r = json_object_get(m, "stop_reason");
                if (!r)
                        r = json_object_get(m, "reason");
                xsnprintf(why, sizeof why, "session stopped (stop reason %lld)",
                          (long long)json_integer_value(r));
                stream_finish(st, why);
        }
        json_decref(m);
}

static int callback_rtms(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
        RtmsConn *c = user;
        if (!c || !c->st)
                return lws_callback_http_dummy(wsi, reason, user, in, len);
        RtmsStream *st = c->st;
        const char *which = c->media ? "video media socket" : "signaling socket";
        char why[300];
        switch (reason) {
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
                if (c->media)
                        send_media_handshake(st);
                else
                        send_sig_handshake(st);
                return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE:
                if (WsMsg_add(&c->msg, wsi, in, len) == WSMSG_DONE)
                        on_message(c, c->msg.buf, c->msg.len);
                if (c->msg.dropped) {
                        rtms_logf(st->r, "RTMS %s: message over %d bytes dropped", st->meeting,
                                  RTMS_MSG_MAX);
                        c->msg.dropped = 0;
                }
                return 0;
        case LWS_CALLBACK_CLIENT_WRITEABLE:
                return conn_writable(c);
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
                if (c->wsi != wsi && c->wsi)
                        return 0;
                c->wsi = NULL;
                xsnprintf(why, sizeof why, "%s: connection failed: %s", which,
                          in ? (const char *)in : "unknown error");
                stream_retry(st, why);
                return 0;
        case LWS_CALLBACK_CLIENT_CLOSED:
                if (c->wsi != wsi)
                        return 0;
                c->wsi = NULL;
                xsnprintf(why, sizeof why, "%s closed", which);
                stream_retry(st, why);
                return 0;
        default:
                break;
        }
        return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols rtms_protocols[] = {
    {RTMS_PROTO, callback_rtms, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- webhooks ---- */

static void stream_free(RtmsStream *st)
{
        if (!st)
                return;
        lws_sul_cancel(&st->retry_sul);
        lws_sul_cancel(&st->snap_sul);
        conn_drop(&st->sig);
        conn_drop(&st->media);
        WsMsg_done(&st->sig.msg);
        WsMsg_done(&st->media.msg);
        for (size_t i = 0; i < st->nurl; i++)
                free(st->url[i]);
        set_clear(st->on, &st->non);
        set_clear(st->win, &st->nwin);
        free(st->on);
        free(st->win);
        free(st->media_url);
        free(st->meeting);
        free(st->meeting_id);
        free(st->stream);
        free(st);
}

static RtmsStream *stream_find(Rtms *r, const char *id)
{
        for (size_t i = 0; i < r->nst; i++)
                if (strcmp(r->st[i]->stream, id) == 0)
                        return r->st[i];
        return NULL;
}

/* A field of the webhook payload: flat (as documented), else under object. */
static const char *payload_str(json_t *payload, const char *key, char *buf, size_t len)
{
        json_t *v = json_object_get(payload, key);
        if (!v)
                v = json_object_get(json_object_get(payload, "object"), key);
        if (json_is_integer(v)) {
                xsnprintf(buf, len, "%lld", (long long)json_integer_value(v));
                return buf;
        }
        return json_is_string(v) ? json_string_value(v) : "";
}

/* server_urls: comma-separated; the ws:// and wss:// ones. */
static void stream_urls(RtmsStream *st, const char *urls)
{
        const char *p = urls;
        while (*p && st->nurl < RTMS_URLS_MAX) {
                while (*p == ' ' || *p == ',')
                        p++;
                size_t n = strcspn(p, ", ");
                if (n && (strncmp(p, "wss://", 6) == 0 || strncmp(p, "ws://", 5) == 0))
                        st->url[st->nurl++] = xstrndup(p, n);
                p += n;
        }
}

/* An identifier capmon puts in its requests and log lines: printable ASCII. */
static int plain_id(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
                        return 0;
        return 1;
}

static int has_creds(Rtms *r)
{
        if (r->id && r->secret)
                return 1;
        if (!r->told_creds)
                rtms_logf(r, "RTMS: a stream started but capmon has no RTMS credentials: set "
                             "CAPMON_RTMS_CLIENT_ID and CAPMON_RTMS_CLIENT_SECRET (or "
                             "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET)");
        r->told_creds = 1;
        return 0;
}

static void on_started(Rtms *r, json_t *payload)
{
        char b1[32];
        const char *meeting = payload_str(payload, "meeting_uuid", NULL, 0);
        const char *stream = payload_str(payload, "rtms_stream_id", NULL, 0);
        const char *urls = payload_str(payload, "server_urls", NULL, 0);
        const char *mid = payload_str(payload, "meeting_id", b1, sizeof b1);
        if (!*meeting || !*stream || !*urls || strlen(meeting) > 200 || strlen(stream) > 200 ||
            !plain_id(meeting) || !plain_id(stream)) {
                rtms_logf(r, "RTMS: rtms_started without a usable meeting_uuid, rtms_stream_id "
                             "or server_urls: ignored");
                return;
        }
        if (!has_creds(r))
                return;
        RtmsStream *st = stream_find(r, stream);
        if (st && !st->done) {
                rtms_logf(r, "RTMS %s: stream %s already followed", st->meeting, stream);
                return;
        }
        if (st) { /* started again (failover): a fresh start */
                for (size_t i = 0; i < r->nst; i++)
                        if (r->st[i] == st)
                                r->st[i] = r->st[--r->nst];
                stream_free(st);
        }
        if (r->nst == RTMS_STREAMS_MAX) {
                for (size_t i = 0; i < r->nst; i++) {
                        if (r->st[i]->done) {
                                stream_free(r->st[i]);
                                r->st[i] = r->st[--r->nst];
                                break;
                        }
                }
        }
        if (r->nst == RTMS_STREAMS_MAX) {
                rtms_logf(r, "RTMS: %d streams followed already: %s ignored", RTMS_STREAMS_MAX,
                          stream);
                return;
        }
        st = xcalloc(1, sizeof *st);
        st->r = r;
        st->meeting = xstrdup(meeting);
        st->stream = xstrdup(stream);
        st->meeting_id = *mid ? text_sanitize(mid, 64) : NULL;
        st->sig.st = st->media.st = st;
        st->media.media = 1;
        WsMsg_init(&st->sig.msg, RTMS_MSG_MAX);
        WsMsg_init(&st->media.msg, RTMS_MSG_MAX);
        stream_urls(st, urls);
        if (!st->nurl) {
                rtms_logf(r, "RTMS %s: no ws:// or wss:// address in server_urls: ignored",
                          meeting);
                stream_free(st);
                return;
        }
        char name[300];
        xsnprintf(name, sizeof name, "rtms %s", meeting);
        st->sink = r->owner.open ? r->owner.open(r->owner.ud, name, st->meeting_id) : 0;
        r->st[r->nst++] = st;
        rtms_logf(r, "RTMS %s: stream %s started: connecting", meeting, stream);
        lws_sul_schedule(r->cx, 0, &st->retry_sul, stream_connect, 1);
}

static void on_stopped(Rtms *r, json_t *payload)
{
        const char *stream = payload_str(payload, "rtms_stream_id", NULL, 0);
        RtmsStream *st = stream_find(r, stream);
        if (!st)
                return;
        char why[80];
        char buf[32];
        xsnprintf(why, sizeof why, "rtms_stopped (stop reason %s)",
                  *payload_str(payload, "stop_reason", buf, sizeof buf)
                      ? payload_str(payload, "stop_reason", buf, sizeof buf)
                      : "?");
        stream_finish(st, why);
}

static int contains(const char *text, size_t len, const char *needle)
{
        size_t n = strlen(needle);
        for (size_t i = 0; i + n <= len; i++)
                if (text[i] == needle[0] && memcmp(text + i, needle, n) == 0)
                        return 1;
        return 0;
}

int Rtms_offer(Rtms *r, const char *text, size_t len)
{
        if (!r || !contains(text, len, ".rtms_st"))
                return 0;
        json_t *root = json_loadb(text, len, 0, NULL), *body = NULL;
        int64_t recv;
        char err[200];
        int handled = 0;
        if (root && Message_body(root, &body, &recv, err, sizeof err) == 1) {
                json_t *ev = json_object_get(body, "event");
                const char *name = json_is_string(ev) ? json_string_value(ev) : "";
                const char *dot = strchr(name, '.');
                json_t *payload = json_object_get(body, "payload");
                if (dot && strcmp(dot, ".rtms_started") == 0) {
                        on_started(r, payload);
                        handled = 1;
                } else if (dot && strcmp(dot, ".rtms_stopped") == 0) {
                        on_stopped(r, payload);
                        handled = 1;
                }
        }
        json_decref(body);
        json_decref(root);
        return handled;
}

/* ---- creation ---- */

static int cred(const char *env, const char *fallback, char **out, char *err, size_t errlen)
{
        char fenv[64];
        xsnprintf(fenv, sizeof fenv, "%s_FILE", env);
        const char *path = getenv(fenv);
        if (ingest_read_secret(path && *path ? path : NULL, env, out, err, errlen))
                return -1;
        if (*out)
                return 0;
        xsnprintf(fenv, sizeof fenv, "%s_FILE", fallback);
        path = getenv(fenv);
        return ingest_read_secret(path && *path ? path : NULL, fallback, out, err, errlen);
}

Rtms *Rtms_new(struct lws_context *cx, const RtmsOwner *owner, char *err, size_t errlen)
{
        Rtms *r = xcalloc(1, sizeof *r);
        r->cx = cx;
        r->owner = *owner;
        if (cred("CAPMON_RTMS_CLIENT_ID", "ZOOM_CLIENT_ID", &r->id, err, errlen) ||
            cred("CAPMON_RTMS_CLIENT_SECRET", "ZOOM_CLIENT_SECRET", &r->secret, err, errlen)) {
                Rtms_free(r);
                return NULL;
        }
        r->vh = ws_vhost_cx(cx, RTMS_PROTO, rtms_protocols);
        if (!r->vh) {
                xsnprintf(err, errlen, "RTMS: cannot create the client vhost");
                Rtms_free(r);
                return NULL;
        }
        return r;
}

void Rtms_free(Rtms *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->nst; i++)
                stream_free(r->st[i]);
        free(r->id);
        free(r->secret);
        free(r);
}

/* ---- capmon watch ---- */

static int live_open(void *ud, const char *name, const char *meeting_id)
{
        (void)meeting_id;
        return Live_source_add(ud, name, 0);
}

static void live_emit(void *ud, int id, const char *body, size_t len)
{
        int64_t seq;
        if (id >= 0)
                Live_message(ud, id, "rtms", body, len, &seq);
}

static void live_state(void *ud, int id, RtmsState s)
{
        if (id < 0)
                return;
        if (s == RTMS_DONE)
                Live_source_done(ud, id);
        else
                Live_connected(ud, id, s == RTMS_UP);
}

static void live_log(void *ud, const char *line)
{
        Live_logf(ud, "%s", line);
}

Rtms *Rtms_for_live(Live *lv, char *err, size_t errlen)
{
        RtmsOwner o = {live_open, live_emit, live_state, live_log, lv};
        return Rtms_new(Loop_lws(Live_loop(lv)), &o, err, errlen);
}
