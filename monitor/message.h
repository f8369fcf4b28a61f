/* One message, read once: what the core needs of a line of any accepted shape
 * (docs/semantics.md §1), extracted in one parse. Two implementations give the
 * same Msg: the fast one (extract.cpp, simdjson) for records as they arrive, and
 * the reference (Msg_from_json, jansson) for a tree already parsed; the
 * differential fuzz target (tests/fuzz/fuzz_extract.c) holds them to each other. */
#ifndef CAPMON_MESSAGE_H
#define CAPMON_MESSAGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum MsgKind {
        MSG_NOT_JSON = -2, /* the text is not JSON (err: "not JSON: ... (column N)") */
        MSG_INVALID = -1,  /* JSON, but not a valid message or event (reason in err) */
        MSG_OTHER = 0,     /* not an event: log header, gap notice, other envelope module */
        MSG_EVENT = 1,     /* an event in ev (ev.type EV_UNKNOWN for a name capmon ignores) */
} MsgKind;

typedef struct Msg {
        MsgKind kind;
        int64_t recv; /* a capmon record's recv, else TIME_NONE */
        int64_t at;   /* pacing time: the record's recv, else its event_ts, else TIME_NONE */
        /* The meeting id of the event, as Message_meeting gives it: 1 found (in mid),
         * 0 an event without one or an invalid message, -1 not an event. */
        int has_meeting;
        const char *mid;
        /* what a live source needs of the line itself (any kind but MSG_NOT_JSON) */
        int has_seq; /* a "seq" integer at the top, in seq */
        int64_t seq;
        int is_record;    /* a capmon record: "body" an object and "recv" an integer */
        int is_header;    /* a log header: has "capmon_log" */
        int is_object;    /* the text is a JSON object */
        int64_t event_ts; /* "event_ts" integer of the record's body, else of the top;
                           * TIME_NONE when absent (lag measurement) */
        Event ev;         /* kind == MSG_EVENT */
        char err[200];
        char midbuf[32];
        void *hold, *hold_root; /* reference path: the trees it borrows from (Msg_done) */
} Msg;

/* The reference: the message in a jansson tree (root borrowed; *msg borrows from
 * root and holds a reference released by Msg_done). */
void Msg_from_json(json_t *root, Msg *msg);
/* The reference on text: parse with jansson, then Msg_from_json. *msg holds the
 * tree until Msg_done. */
void Msg_from_text(const char *text, size_t len, Msg *msg);
void Msg_done(Msg *msg);

/* The fast path. An Extractor keeps the parser's buffers between messages; one per
 * thread and per message that must stay alive while another is read. */
typedef struct Extractor Extractor;
Extractor *Extractor_new(void);
void Extractor_free(Extractor *x);
/* Read one message from text (len bytes, any content). *msg borrows from x until
 * the next Event_extract on x or Extractor_free; no Msg_done needed. Falls back to
 * the reference for what the fast parser does not take as jansson would (parse
 * errors, duplicate keys, \u0000, integers beyond int64, very large objects, and
 * capmon.video_sync, whose list stays a jansson tree). A capmon.reconcile's rows are
 * read here too (ev.recon, ev.rows NULL), the reference keeps them as a tree. */
void Event_extract(Extractor *x, const char *text, size_t len, Msg *msg);
/* This thread's own extractor (freed when the thread ends), for code that reads
 * one message at a time and keeps nothing of it past the next call. */
Extractor *Extractor_thread(void);
/* How many messages this extractor handed to the reference (for tests, bench). */
unsigned long Extractor_fallbacks(const Extractor *x);

#ifdef __cplusplus
}
#endif

#endif
