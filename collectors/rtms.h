/* Zoom RTMS (Realtime Media Streams) client: who has the camera on.
 * A `meeting.rtms_started` webhook (from whatever receives webhooks: the relay,
 * the webhook:// or zoom watch sources) opens the stream's signaling WebSocket
 * (handshake signed with the RTMS app's client secret), a video media socket in
 * single-participant mode that never asks for video data, and subscribes to
 * join, leave, video on and video off. Every camera change becomes a
 * `capmon.participant_video` body (source "rtms"), and each (re)subscription a
 * `capmon.video_sync` (docs/semantics.md §3), handed to the owner, which records
 * and applies them like any other event. Protocol: docs/live.md and
 * /work/shared/rtms-protocol.md. Single-threaded, on the owner's lws context. */
#ifndef CAPMON_RTMS_H
#define CAPMON_RTMS_H

#include <jansson.h>
#include <stddef.h>

struct lws_context;
struct Live;

typedef enum RtmsState {
        RTMS_UP,   /* subscribed: camera changes flow */
        RTMS_DOWN, /* the connection dropped: reconnecting */
        RTMS_DONE, /* stopped (rtms_stopped, TERMINATED, STOPPED, refused): no reconnect */
} RtmsState;

typedef struct RtmsOwner {
        /* A new stream, named for log lines and alerts ("rtms <meeting uuid>"), of
         * the meeting meeting_id (NULL: not given by rtms_started); returns the
         * owner's id for it (< 0: none; its states are then not told). */
        int (*open)(void *ud, const char *name, const char *meeting_id);
        /* An event body (JSON text) to record and apply. */
        void (*emit)(void *ud, int id, const char *body, size_t len);
        void (*state)(void *ud, int id, RtmsState st);
        void (*log)(void *ud, const char *line); /* never given a secret */
        void *ud;
} RtmsOwner;

typedef struct Rtms Rtms;

/* Credentials: CAPMON_RTMS_CLIENT_ID / CAPMON_RTMS_CLIENT_SECRET, else
 * ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET; each also as a file named by the same
 * variable with _FILE. Missing credentials are not an error here: a
 * rtms_started then says what to set. NULL with err only on an unreadable file. */
Rtms *Rtms_new(struct lws_context *cx, const RtmsOwner *owner, char *err, size_t errlen);
void Rtms_free(Rtms *r); /* closes every stream; NULL-safe */

/* A message as received (webhook body, WebSocket envelope or record): when it
 * is a `*.rtms_started` / `*.rtms_stopped` webhook, start or stop that stream
 * and return 1; else 0 (cheap for other messages: no parse). */
int Rtms_offer(Rtms *r, const char *text, size_t len);

/* For `capmon watch`: an Rtms whose streams are Live sources (`feed` while one
 * is down) and whose records go through Live_message with src "rtms". */
Rtms *Rtms_for_live(struct Live *lv, char *err, size_t errlen);

#endif
