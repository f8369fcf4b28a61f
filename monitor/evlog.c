#include "evlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "message.h"
#include "util.h"

int LineReader_open(LineReader *r, const char *path, char *err, size_t errlen)
{
        memset(r, 0, sizeof *r);
        if (strcmp(path, "-") == 0) {
                r->f = stdin;
        } else {
                r->f = fopen(path, "rb");
                if (!r->f) {
                        xsnprintf(err, errlen, "%s: %s", path, strerror(errno));
                        return -1;
                }
        }
        r->path = xstrdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
        r->cap = 4096;
        r->buf = xmalloc(r->cap);
        return 0;
}

void LineReader_open_stream(LineReader *r, FILE *f, const char *name)
{
        memset(r, 0, sizeof *r);
        r->f = f;
        r->borrowed = 1;
        r->path = xstrdup(name);
        r->cap = 4096;
        r->buf = xmalloc(r->cap);
}

void LineReader_close(LineReader *r)
{
        if (r->f && r->f != stdin && !r->borrowed)
                fclose(r->f);
        free(r->buf);
        free(r->in);
        free(r->path);
        memset(r, 0, sizeof *r);
}

#define READ_BLOCK 65536

/* Append n bytes to the current line, keeping at most LOG_LINE_MAX of them. */
static void line_append(LineReader *r, const char *p, size_t n, int *flags)
{
        /* one byte more than the limit: a final CR is not part of the line */
        if (r->len + n > LOG_LINE_MAX + 1) {
                *flags |= LINE_TOO_LONG;
                n = LOG_LINE_MAX + 1 - r->len;
        }
        if (r->len + n + 1 > r->cap) {
                while (r->len + n + 1 > r->cap)
                        r->cap *= 2;
                r->buf = xrealloc(r->buf, r->cap);
        }
        memcpy(r->buf + r->len, p, n);
        r->len += n;
}

int LineReader_next(LineReader *r, int *flags)
{
        *flags = 0;
        r->len = 0;
        if (r->eof)
                return LINE_EOF;
        if (!r->in)
                r->in = xmalloc(READ_BLOCK);
        int any = 0;
        for (;;) {
                if (r->in_pos == r->in_len) {
                        r->in_len = fread(r->in, 1, READ_BLOCK, r->f);
                        r->in_pos = 0;
                        if (r->in_len == 0) {
                                if (ferror(r->f))
                                        return LINE_ERROR;
                                r->eof = 1;
                                if (!any)
                                        return LINE_EOF;
                                *flags |= LINE_NO_NEWLINE;
                                break;
                        }
                }
                any = 1;
                char *start = r->in + r->in_pos;
                size_t avail = r->in_len - r->in_pos;
                char *nl = memchr(start, '\n', avail);
                size_t n = nl ? (size_t)(nl - start) : avail;
                line_append(r, start, n, flags);
                r->in_pos += n + (nl ? 1 : 0);
                if (nl)
                        break;
        }
        if (r->len > 0 && r->buf[r->len - 1] == '\r')
                r->len--;
        if (r->len > LOG_LINE_MAX) {
                *flags |= LINE_TOO_LONG;
                r->len = LOG_LINE_MAX;
        }
        r->buf[r->len] = '\0';
        r->line++;
        return LINE_OK;
}

ItemKind ReplayItem_kind(const ReplayItem *it, char *err, size_t errlen)
{
        if (it->flags & LINE_TOO_LONG) {
                xsnprintf(err, errlen, "line longer than %d bytes", LOG_LINE_MAX);
                return ITEM_INVALID;
        }
        if (it->len == 0)
                return ITEM_BLANK;
        if (it->msg && it->msg->kind != MSG_NOT_JSON)
                return ITEM_JSON;
        if (it->flags & LINE_NO_NEWLINE)
                return ITEM_TORN;
        xsnprintf(err, errlen, "%s", it->msg ? it->msg->err : "not JSON");
        return ITEM_INVALID;
}

int64_t record_time(json_t *root)
{
        json_t *v = json_object_get(root, "recv");
        if (json_is_integer(v))
                return json_integer_value(v);
        json_t *body = json_object_get(root, "body");
        if (!body)
                body = root;
        v = json_object_get(body, "event_ts");
        if (json_is_integer(v))
                return json_integer_value(v);
        return TIME_NONE;
}

typedef struct Source {
        LineReader lr;
        int state; /* LINE_OK: head is loaded */
        Extractor *x;
        Msg msg;
        int parsed; /* msg holds the head */
        int flags;
        int64_t at, last_at;
} Source;

struct Replay {
        Source *src;
        size_t n;
        Source *current; /* the source whose head was returned last */
};

static int load_head(Source *s)
{
        s->parsed = 0;
        s->state = LineReader_next(&s->lr, &s->flags);
        if (s->state != LINE_OK)
                return s->state;
        if (!(s->flags & LINE_TOO_LONG) && s->lr.len > 0) {
                Event_extract(s->x, s->lr.buf, s->lr.len, &s->msg);
                s->parsed = 1;
        }
        s->at = s->parsed ? s->msg.at : TIME_NONE;
        if (s->at == TIME_NONE)
                s->at = s->last_at;
        else
                s->last_at = s->at;
        return LINE_OK;
}

Replay *Replay_open(char *const *paths, size_t n, char *err, size_t errlen)
{
        Replay *r = xcalloc(1, sizeof *r);
        r->src = xcalloc(n ? n : 1, sizeof(Source));
        for (size_t i = 0; i < n; i++) {
                if (LineReader_open(&r->src[i].lr, paths[i], err, errlen)) {
                        Replay_close(r);
                        return NULL;
                }
                r->n++;
                r->src[i].x = Extractor_new();
                r->src[i].last_at = TIME_NONE;
                r->src[i].state = -2; /* not loaded */
        }
        return r;
}

void Replay_close(Replay *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++) {
                Extractor_free(r->src[i].x);
                LineReader_close(&r->src[i].lr);
        }
        free(r->src);
        free(r);
}

int Replay_next(Replay *r, ReplayItem *it, char *err, size_t errlen)
{
        if (r->current) {
                r->current->state = -2;
                r->current = NULL;
        }
        Source *best = NULL;
        for (size_t i = 0; i < r->n; i++) {
                Source *s = &r->src[i];
                if (s->state == -2 && load_head(s) == LINE_ERROR) {
                        xsnprintf(err, errlen, "%s:%ld: %s", s->lr.path, s->lr.line + 1,
                                  strerror(errno));
                        return LINE_ERROR;
                }
                if (s->state != LINE_OK)
                        continue;
                /* earliest pacing time first; unknown times go at once; ties keep file order */
                if (!best || (s->at != TIME_NONE && best->at != TIME_NONE && s->at < best->at) ||
                    (s->at == TIME_NONE && best->at != TIME_NONE))
                        best = s;
        }
        if (!best)
                return LINE_EOF;
        r->current = best;
        memset(it, 0, sizeof *it);
        it->path = best->lr.path;
        it->line = best->lr.line;
        it->text = best->lr.buf;
        it->len = best->lr.len;
        it->msg = best->parsed ? &best->msg : NULL;
        it->flags = best->flags;
        it->at = best->parsed ? best->msg.at : TIME_NONE;
        return LINE_OK;
}

/* A message is written verbatim as the body when it is one line of a JSON object. */
static int body_verbatim(const char *text, size_t len)
{
        return memchr(text, '\n', len) == NULL && memchr(text, '\r', len) == NULL;
}

size_t Record_format(char **out, int64_t seq, int64_t recv, const char *src, const char *text,
                     size_t len, const char *invalid_reason)
{
        json_t *root = NULL;
        if (!invalid_reason) { /* one fast read to judge it */
                Msg msg;
                Event_extract(Extractor_thread(), text, len, &msg);
                if (msg.kind == MSG_NOT_JSON)
                        invalid_reason = "not JSON";
                else if (!msg.is_object)
                        invalid_reason = "not a JSON object";
        }
        json_t *rec = json_object();
        if (seq >= 0)
                json_object_set_new(rec, "seq", json_integer(seq));
        json_object_set_new(rec, "recv", json_integer(recv));
        json_object_set_new(rec, "src", json_string(src));
        char *head;
        size_t n;
        if (invalid_reason) {
                json_object_set_new(rec, "invalid", json_string(invalid_reason));
                /* NUL bytes would be written as \u0000, which readers refuse */
                head = NULL;
                if (!memchr(text, '\0', len)) {
                        json_object_set_new(rec, "raw", json_stringn_nocheck(text, len));
                        head = json_dumps(rec, JSON_COMPACT);
                }
                if (!head) { /* invalid UTF-8 or NUL in raw: store a sanitised copy */
                        char *tmp = xstrndup(text, len);
                        char *clean = text_sanitize(tmp, LOG_LINE_MAX);
                        json_object_set_new(rec, "raw", json_string(clean));
                        free(tmp);
                        free(clean);
                        head = json_dumps(rec, JSON_COMPACT);
                }
                n = strlen(head);
                *out = xmalloc(n + 2);
                memcpy(*out, head, n);
                (*out)[n++] = '\n';
                (*out)[n] = '\0';
                free(head);
                json_decref(rec);
                json_decref(root);
                return n;
        }
        /* {"seq":..,"recv":..,"src":"..","body":<text>}: splice the body in as received */
        head = json_dumps(rec, JSON_COMPACT);
        size_t hn = strlen(head) - 1; /* without the closing brace */
        char *body = NULL;
        size_t bn = len;
        const char *b = text;
        if (!body_verbatim(text, len)) { /* rare: the tree, written on one line */
                root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
                body = json_dumps(root, JSON_COMPACT);
                b = body;
                bn = strlen(body);
        }
        n = hn + 8 + bn + 2;
        *out = xmalloc(n + 1);
        memcpy(*out, head, hn);
        memcpy(*out + hn, ",\"body\":", 8);
        memcpy(*out + hn + 8, b, bn);
        (*out)[hn + 8 + bn] = '}';
        (*out)[hn + 9 + bn] = '\n';
        (*out)[n] = '\0';
        free(head);
        free(body);
        json_decref(rec);
        json_decref(root);
        return n;
}

size_t Record_header(char **out, int64_t now_ms, const char *source)
{
        char t[40];
        time_format(now_ms, t, sizeof t);
        t[19] = 'Z'; /* RFC 3339 without milliseconds */
        t[20] = '\0';
        json_t *h = json_pack("{s:i, s:s, s:s}", "capmon_log", 1, "created", t, "source", source);
        char *s = json_dumps(h, JSON_COMPACT);
        json_decref(h);
        size_t n = strlen(s);
        *out = xmalloc(n + 2);
        memcpy(*out, s, n);
        (*out)[n++] = '\n';
        (*out)[n] = '\0';
        free(s);
        return n;
}

/* A WebSocket envelope: events travel in module "message". */
static int envelope_body(json_t *env, json_t **body, char *err, size_t errlen)
{
        json_t *mod = json_object_get(env, "module");
        if (!json_is_string(mod))
                return xsnprintf(err, errlen, "envelope \"module\" is not a string"), -1;
        if (strcmp(json_string_value(mod), "message") != 0)
                return 0;
        json_t *content = json_object_get(env, "content");
        if (json_is_object(content)) {
                *body = json_incref(content);
                return 1;
        }
        if (!json_is_string(content))
                return xsnprintf(err, errlen, "message envelope without content"), -1;
        json_error_t jerr;
        *body = json_loadb(json_string_value(content), json_string_length(content), 0, &jerr);
        if (!*body)
                return xsnprintf(err, errlen, "envelope content is not JSON: %s", jerr.text), -1;
        return 1;
}

int Message_body(json_t *root, json_t **body, int64_t *recv, char *err, size_t errlen)
{
        *body = NULL;
        if (!json_is_object(root))
                return xsnprintf(err, errlen, "not a JSON object"), -1;
        if (json_object_get(root, "event")) {
                *body = json_incref(root);
                return 1;
        }
        if (json_object_get(root, "module"))
                return envelope_body(root, body, err, errlen);
        json_t *b = json_object_get(root, "body");
        if (b) {
                json_t *r = json_object_get(root, "recv");
                if (json_is_integer(r))
                        *recv = json_integer_value(r);
                if (!json_is_object(b))
                        return xsnprintf(err, errlen, "record body is not an object"), -1;
                if (json_object_get(b, "module"))
                        return envelope_body(b, body, err, errlen);
                *body = json_incref(b);
                return 1;
        }
        json_t *inv = json_object_get(root, "invalid");
        if (inv)
                return xsnprintf(err, errlen, "recorded invalid message: %s",
                                 json_is_string(inv) ? json_string_value(inv) : "?"),
                       -1;
        if (json_object_get(root, "capmon_log") || json_object_get(root, "gap"))
                return 0;
        return xsnprintf(err, errlen, "not a Zoom event, WebSocket envelope or capmon record"), -1;
}

int Message_meeting(json_t *root, char *id, size_t idlen)
{
        json_t *body;
        int64_t recv = TIME_NONE;
        char err[160], num[32];
        int k = Message_body(root, &body, &recv, err, sizeof err);
        if (k <= 0)
                return k == 0 ? -1 : 0;
        const char *s = Event_meeting_id(body, num, sizeof num);
        int found = *s != '\0';
        if (found && idlen > 0) {
                size_t n = strlen(s);
                if (n >= idlen)
                        n = idlen - 1;
                memcpy(id, s, n);
                id[n] = '\0';
        }
        json_decref(body);
        return found;
}

int Record_meeting(const char *line, size_t len, char *id, size_t idlen)
{
        Msg msg;
        Event_extract(Extractor_thread(), line, len, &msg);
        if (msg.has_meeting != 1)
                return 0;
        if (idlen > 0) {
                size_t n = strlen(msg.mid);
                if (n >= idlen)
                        n = idlen - 1;
                memcpy(id, msg.mid, n);
                id[n] = '\0';
        }
        return 1;
}

int MeetingFilter_add(MeetingFilter *f, const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n >= MEETING_ID_MAX)
                return -1;
        if (MeetingFilter_has(f, id))
                return 0;
        if (f->n == MEETING_FILTER_MAX)
                return -1;
        f->ids = xrealloc(f->ids, (f->n + 1) * sizeof *f->ids);
        f->ids[f->n++] = xstrdup(id);
        return 0;
}

void MeetingFilter_done(MeetingFilter *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->ids[i]);
        free(f->ids);
        f->ids = NULL;
        f->n = 0;
}

int MeetingFilter_has(const MeetingFilter *f, const char *id)
{
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->ids[i], id) == 0)
                        return 1;
        return 0;
}

int MeetingFilter_match(const MeetingFilter *f, const char *line, size_t len)
{
        if (f->n == 0)
                return 1;
        char id[MEETING_ID_MAX + 1]; /* one byte more: a longer id is cut to a length no
                                      * filter id has, so it never matches */
        return Record_meeting(line, len, id, sizeof id) && MeetingFilter_has(f, id);
}
