/* Differential fuzz target: the same bytes read by the fast path (Event_extract,
 * simdjson) and by the reference (Msg_from_text, jansson); any difference in the
 * outcome or in an extracted field (a capmon.reconcile's rows included) aborts,
 * naming the field. One input is one
 * message (as a line of a log, or a WebSocket or webhook message). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *input;

static void differ(const char *what, const char *fast, const char *ref)
{
        fprintf(stderr, "fast and reference paths differ on %s: fast \"%s\", reference \"%s\"\n",
                what, fast, ref);
        fprintf(stderr, "input: %s\n", input);
        abort();
}

static void same_int(const char *what, long long a, long long b)
{
        char x[32], y[32];
        if (a == b)
                return;
        snprintf(x, sizeof x, "%lld", a);
        snprintf(y, sizeof y, "%lld", b);
        differ(what, x, y);
}

static void same_str(const char *what, const char *a, const char *b)
{
        if (a == b || (a && b && strcmp(a, b) == 0))
                return;
        differ(what, a ? a : "(null)", b ? b : "(null)");
}

/* The fields of one event, or of one reconcile row read as a join. */
static void same_event(const Event *e, const Event *f)
{
        same_int("type", e->type, f->type);
        same_str("name", e->name, f->name);
        same_int("time", e->time, f->time);
        same_str("meeting", e->meeting, f->meeting);
        same_str("uuid", e->uuid, f->uuid);
        same_str("id", e->id, f->id);
        same_str("topic", e->topic, f->topic);
        same_str("timezone", e->timezone, f->timezone);
        same_str("key", e->key, f->key);
        same_str("user_id", e->user_id, f->user_id);
        same_str("user_name", e->user_name, f->user_name);
        same_str("email", e->email, f->email);
        same_str("registrant_id", e->registrant_id, f->registrant_id);
        same_str("pid", e->pid, f->pid);
        same_str("phone", e->phone, f->phone);
        same_str("leave_reason", e->leave_reason, f->leave_reason);
        same_str("new_role", e->new_role, f->new_role);
        same_str("bind_user_id", e->bind_user_id, f->bind_user_id);
        same_str("reason", e->reason, f->reason);
        same_int("video", e->video, f->video);
        same_int("qos_video", e->qos_video, f->qos_video);
        same_int("code", e->code, f->code);
}

/* A capmon.reconcile's rows: those the fast path read (e->recon) against the
 * reference's tree read row by row as the core reads it (Event_reconcile_row),
 * the rows of people who left skipped. */
static void same_rows(const Event *e, const Event *f)
{
        if (e->rows) /* the fast path handed the record to the reference */
                return;
        size_t i, n = 0;
        json_t *row;
        Event g;
        char why[160];
        json_array_foreach(f->rows, i, row)
        {
                int rs = Event_reconcile_row(row, &g, why, sizeof why);
                if (rs < 0)
                        differ("a reconcile row", "read", why);
                if (rs == ROW_LEFT)
                        continue;
                if (n == e->nrecon)
                        differ("reconcile rows", "fewer", "more");
                same_event(&e->recon[n++], &g);
        }
        same_int("reconcile rows", (long long)e->nrecon, (long long)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static Extractor *x;
        if (!x)
                x = Extractor_new();
        char *text = malloc(size + 1); /* for the messages only: both read data, size */
        memcpy(text, data, size);
        text[size] = '\0';
        input = text;
        Msg a, b;
        Event_extract(x, (const char *)data, size, &a);
        Msg_from_text((const char *)data, size, &b);
        same_int("kind", a.kind, b.kind);
        same_str("err", a.err, b.err);
        same_int("recv", a.recv, b.recv);
        same_int("at", a.at, b.at);
        same_int("has_meeting", a.has_meeting, b.has_meeting);
        same_str("meeting id", a.mid, b.mid);
        same_int("has_seq", a.has_seq, b.has_seq);
        same_int("seq", a.seq, b.seq);
        same_int("is_record", a.is_record, b.is_record);
        same_int("is_header", a.is_header, b.is_header);
        same_int("is_object", a.is_object, b.is_object);
        same_int("event_ts", a.event_ts, b.event_ts);
        if (a.kind == MSG_EVENT) {
                same_event(&a.ev, &b.ev);
                if (a.ev.type == EV_RECONCILE)
                        same_rows(&a.ev, &b.ev);
        }
        Msg_done(&b);
        free(text);
        return 0;
}
