/* The event log (JSON Lines): a bounded line reader, a merged multi-file replay
 * order, and the record writer shared by --record and the relay. */
#ifndef CAPMON_EVLOG_H
#define CAPMON_EVLOG_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define LOG_LINE_MAX (1024 * 1024) /* longer lines are invalid and skipped */

typedef struct LineReader {
        FILE *f;
        char *path;
        long line; /* number of the line last returned */
        char *buf; /* the current line, NUL-terminated */
        size_t len, cap;
        int eof;
        char *in; /* read-ahead block */
        size_t in_pos, in_len;
        int borrowed; /* the stream is not ours to close */
} LineReader;

enum { LINE_OK = 1, LINE_EOF = 0, LINE_ERROR = -1 };

/* Line status flags from LineReader_next. */
#define LINE_TOO_LONG   1 /* cut: the line was longer than LOG_LINE_MAX */
#define LINE_NO_NEWLINE 2 /* the last line of the file had no final newline */

/* path "-" reads standard input. 0, or -1 with a message in err. */
int LineReader_open(LineReader *r, const char *path, char *err, size_t errlen);
/* Read an open stream (not closed by LineReader_close); name is for messages. */
void LineReader_open_stream(LineReader *r, FILE *f, const char *name);
void LineReader_close(LineReader *r);
/* LINE_OK with r->buf/r->len set and *flags, LINE_EOF, or LINE_ERROR (errno). */
int LineReader_next(LineReader *r, int *flags);

/* One record of a replay, in merged order. */
typedef struct ReplayItem {
        const char *path;
        long line;
        const char *text;
        size_t len;
        const struct Msg *msg; /* the line read once (borrowed until the next call); NULL
                                * for a blank or too long line */
        int flags;
        int64_t at; /* pacing time: the record's recv, else its event time, else TIME_NONE */
} ReplayItem;

/* What a replay item is, the same way for every command that reads logs. */
typedef enum ItemKind {
        ITEM_BLANK,   /* an empty line: skipped, not counted */
        ITEM_TORN,    /* a last line without newline that does not parse: reported, not counted */
        ITEM_INVALID, /* too long or not JSON: counted invalid; the reason is in err */
        ITEM_JSON,    /* a message read in it->msg (JSON; maybe an invalid message) */
} ItemKind;

ItemKind ReplayItem_kind(const ReplayItem *it, char *err, size_t errlen);

typedef struct Replay Replay;

/* Opens every file; 0, or -1 with a message naming the file. */
Replay *Replay_open(char *const *paths, size_t n, char *err, size_t errlen);
void Replay_close(Replay *r);
/* LINE_OK with *it filled, LINE_EOF, LINE_ERROR (message in err). Several files are
 * merged by pacing time, each file keeping its own order. */
int Replay_next(Replay *r, ReplayItem *it, char *err, size_t errlen);

/* The pacing time of a parsed message (recv, else event_ts), or TIME_NONE. */
int64_t record_time(json_t *root);

/* Format one log record line (with final '\n') into a new buffer: a valid JSON
 * message as {"seq","recv","src","body"}; anything else as an invalid record with
 * the reason and the raw text. seq < 0 omits it. Returns the length. */
size_t Record_format(char **out, int64_t seq, int64_t recv, const char *src, const char *text,
                     size_t len, const char *invalid_reason);
/* The header line for a new log (with final '\n'). */
size_t Record_header(char **out, int64_t now_ms, const char *source);

/* The event body of a parsed message of any accepted shape (docs/semantics.md
 * §1): a Zoom event; a WebSocket envelope of module "message" whose content is
 * an object or a JSON string; a capmon record {"seq","recv","src","body"} holding
 * either. 1 with *body (a new reference) and, for a record, *recv set to its
 * recv; 0 for a message that is not an event (log header, gap notice, another
 * envelope module); -1 with the reason in err for an invalid message. */
int Message_body(json_t *root, json_t **body, int64_t *recv, char *err, size_t errlen);
/* The meeting id (payload.object.id; a number as its decimal text) of the
 * event in a parsed message of any accepted shape: 1 with id written (cut to
 * idlen - 1 bytes), 0 for an event without one or an invalid message, -1 for a
 * message that is not an event (Message_body's 0). */
int Message_meeting(json_t *root, char *id, size_t idlen);
/* Same for a log line or a received message: 1 when found, else 0 (not JSON,
 * not an event, no id). One JSON parse (two for a string envelope content). */
int Record_meeting(const char *line, size_t len, char *id, size_t idlen);

#define MEETING_FILTER_MAX 64  /* meeting ids in one filter */
#define MEETING_ID_MAX     128 /* bytes of a filter's meeting id, with its NUL */

/* watch --meeting, the relay's meeting=: the meeting ids wanted. A zeroed
 * filter has none and matches everything; _done frees it. */
typedef struct MeetingFilter {
        char **ids;
        size_t n;
} MeetingFilter;

/* Add an id (1 to MEETING_ID_MAX - 1 bytes; ignored if already there). 0, or -1
 * when it is empty, too long, or the filter is full. */
int MeetingFilter_add(MeetingFilter *f, const char *id);
void MeetingFilter_done(MeetingFilter *f);
/* 1 when id is one of the filter's (0 for an empty filter). */
int MeetingFilter_has(const MeetingFilter *f, const char *id);
/* 1 when the filter is empty, or the line is an event of one of its meetings
 * (Record_meeting); 0 for anything else, invalid lines included. */
int MeetingFilter_match(const MeetingFilter *f, const char *line, size_t len);

#endif
