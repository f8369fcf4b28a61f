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
        json_t *root; /* parsed line (borrowed until the next call), NULL if not JSON */
        json_error_t jerr;
        int flags;
        int64_t at; /* pacing time: the record's recv, else its event time, else TIME_NONE */
} ReplayItem;

/* What a replay item is, the same way for every command that reads logs. */
typedef enum ItemKind {
        ITEM_BLANK,   /* an empty line: skipped, not counted */
        ITEM_TORN,    /* a last line without newline that does not parse: reported, not counted */
        ITEM_INVALID, /* too long or not JSON: counted invalid; the reason is in err */
        ITEM_JSON,    /* a parsed message in it->root */
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

#endif
