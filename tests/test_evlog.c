/* evlog: LineReader on real files, Replay merging, Record_format / Record_header. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evlog.h"
#include "message.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/capmon-test-evlog-XXXXXX";

static const char *file_with(const char *name, const char *text, size_t len)
{
        static char path[8][128];
        static int next;
        char *p = path[next++ % 8];
        snprintf(p, 128, "%s/%s", dir, name);
        FILE *f = fopen(p, "wb");
        if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
                perror(p);
                exit(2);
        }
        return p;
}

static const char *file_text(const char *name, const char *text)
{
        return file_with(name, text, strlen(text));
}

/* Reads the next line and checks its text and flags. */
static void line_is(LineReader *r, const char *want, int want_flags, long want_line)
{
        int flags = -1;
        int rc = LineReader_next(r, &flags);
        ok(rc == LINE_OK && strlen(r->buf) == r->len && strcmp(r->buf, want) == 0 &&
               flags == want_flags && r->line == want_line,
           "line %ld: \"%s\" flags %d", want_line, want, want_flags);
        if (rc != LINE_OK || strcmp(r->buf, want) != 0 || flags != want_flags)
                diag("rc %d, got \"%s\" (len %zu), flags %d, line %ld", rc,
                     rc == LINE_OK ? r->buf : "", r->len, flags, r->line);
}

static void eof_is(LineReader *r, const char *what)
{
        int flags;
        is_int(LineReader_next(r, &flags), LINE_EOF, "%s", what);
}

static void test_reader(void)
{
        char err[256];
        LineReader r;

        is_int(LineReader_open(&r, file_text("crlf", "a\r\nbb\r\n\r\nc\n"), err, sizeof err), 0,
               "open");
        line_is(&r, "a", 0, 1);
        line_is(&r, "bb", 0, 2);
        line_is(&r, "", 0, 3);
        line_is(&r, "c", 0, 4);
        eof_is(&r, "CRLF file: EOF after 4 lines");
        eof_is(&r, "EOF again");
        LineReader_close(&r);

        LineReader_open(&r, file_text("nonl", "x\ny"), err, sizeof err);
        line_is(&r, "x", 0, 1);
        line_is(&r, "y", LINE_NO_NEWLINE, 2);
        eof_is(&r, "no final newline: EOF after it");
        LineReader_close(&r);

        LineReader_open(&r, file_text("nonl-cr", "x\r"), err, sizeof err);
        line_is(&r, "x", LINE_NO_NEWLINE, 1);
        LineReader_close(&r);

        LineReader_open(&r, file_text("empty", ""), err, sizeof err);
        eof_is(&r, "empty file: EOF at once");
        is_int(r.line, 0, "no line read");
        LineReader_close(&r);

        LineReader_open(&r, file_text("nl", "\n"), err, sizeof err);
        line_is(&r, "", 0, 1);
        eof_is(&r, "a lone newline: one empty line");
        LineReader_close(&r);

        /* a 2 MiB line is cut at LOG_LINE_MAX and flagged; the next line is read */
        size_t big = 2 * 1024 * 1024;
        char *text = malloc(big + 300000); /* room for the block test below */
        for (size_t i = 0; i < big; i++)
                text[i] = (char)('a' + i % 26);
        memcpy(text + big, "\nnext\n", 6);
        LineReader_open(&r, file_with("big", text, big + 6), err, sizeof err);
        int flags = 0;
        int rc = LineReader_next(&r, &flags);
        ok(rc == LINE_OK && (flags & LINE_TOO_LONG) && !(flags & LINE_NO_NEWLINE),
           "2 MiB line: LINE_TOO_LONG");
        is_int(r.len, LOG_LINE_MAX, "kept LOG_LINE_MAX bytes");
        ok(memcmp(r.buf, text, LOG_LINE_MAX) == 0 && r.buf[r.len] == '\0',
           "the first LOG_LINE_MAX bytes, NUL-terminated");
        line_is(&r, "next", 0, 2);
        eof_is(&r, "then EOF");
        LineReader_close(&r);

        /* exactly LOG_LINE_MAX bytes is not too long; one more is */
        memset(text, 'q', LOG_LINE_MAX + 1);
        text[LOG_LINE_MAX] = '\n';
        memcpy(text + LOG_LINE_MAX + 1, "z", 1);
        LineReader_open(&r, file_with("max", text, LOG_LINE_MAX + 2), err, sizeof err);
        rc = LineReader_next(&r, &flags);
        ok(rc == LINE_OK && flags == 0 && r.len == LOG_LINE_MAX,
           "a line of exactly LOG_LINE_MAX bytes is whole");
        line_is(&r, "z", LINE_NO_NEWLINE, 2);
        LineReader_close(&r);
        memset(text, 'q', LOG_LINE_MAX + 1);
        text[LOG_LINE_MAX + 1] = '\n';
        LineReader_open(&r, file_with("max1", text, LOG_LINE_MAX + 2), err, sizeof err);
        rc = LineReader_next(&r, &flags);
        ok(rc == LINE_OK && flags == LINE_TOO_LONG && r.len == LOG_LINE_MAX,
           "LOG_LINE_MAX + 1 bytes: too long");
        eof_is(&r, "then EOF");
        LineReader_close(&r);

        /* the same LOG_LINE_MAX bytes ended by CRLF: the CR is part of the line end */
        memset(text, 'q', LOG_LINE_MAX);
        memcpy(text + LOG_LINE_MAX, "\r\nz\n", 4);
        LineReader_open(&r, file_with("maxcrlf", text, LOG_LINE_MAX + 4), err, sizeof err);
        rc = LineReader_next(&r, &flags);
        ok(rc == LINE_OK && flags == 0 && r.len == LOG_LINE_MAX,
           "a line of exactly LOG_LINE_MAX bytes ended by CRLF is whole");
        line_is(&r, "z", 0, 2);
        LineReader_close(&r);

        /* a long line across read blocks, then short ones, no final newline, too long */
        size_t mid = 200000;
        memset(text, 'm', mid);
        memcpy(text + mid, "\r\nshort\n", 8);
        memset(text + mid + 8, 'w', big);
        LineReader_open(&r, file_with("blocks", text, mid + 8 + big), err, sizeof err);
        rc = LineReader_next(&r, &flags);
        ok(rc == LINE_OK && flags == 0 && r.len == mid && r.buf[0] == 'm' && r.buf[mid - 1] == 'm',
           "200000-byte CRLF line across blocks");
        line_is(&r, "short", 0, 2);
        rc = LineReader_next(&r, &flags);
        ok(rc == LINE_OK && flags == (LINE_TOO_LONG | LINE_NO_NEWLINE) && r.len == LOG_LINE_MAX,
           "a too long last line without newline: both flags");
        eof_is(&r, "then EOF");
        LineReader_close(&r);
        free(text);

        char path[160];
        snprintf(path, sizeof path, "%s/missing", dir);
        is_int(LineReader_open(&r, path, err, sizeof err), -1, "missing file");
        char want[200];
        snprintf(want, sizeof want, "%s: No such file or directory", path);
        is_str(err, want, "message names the file");
}

static void test_replay(void)
{
        char err[256];
        char *paths[2];
        paths[0] =
            strdup(file_text("a.jsonl", "{\"capmon_log\":1}\n"
                                        "{\"seq\":1,\"recv\":1000,\"body\":{\"event\":\"a1\"}}\n"
                                        "{\"seq\":2,\"recv\":3000,\"body\":{\"event\":\"a2\"}}\n"
                                        "garbage\n"
                                        "{\"event\":\"a4\",\"event_ts\":5000}\n"));
        paths[1] = strdup(file_text("b.jsonl", "{\"capmon_log\":1}\r\n"
                                               "{\"recv\":2000,\"body\":{\"event\":\"b1\"}}\r\n"
                                               "{\"recv\":3000,\"body\":{\"event\":\"b2\"}}\r\n"
                                               "{\"body\":{\"event\":\"b3\",\"event_ts\":4000}}\r\n"
                                               "{\"recv\":6000,\"body\":{\"event\":\"b4\"}}"));
        Replay *rp = Replay_open(paths, 2, err, sizeof err);
        ok(rp != NULL, "Replay_open two files");
        static const struct {
                int file;
                long line;
                int64_t at;
        } want[] = {
            {0, 1, TIME_NONE}, /* unknown times go at once */
            {1, 1, TIME_NONE}, {0, 2, 1000},      {1, 2, 2000},
            {0, 3, 3000},      {0, 4, TIME_NONE}, /* no time: keeps its place after a2 (3000), tie:
                                                     file order */
            {1, 3, 3000},      {1, 4, 4000},      /* event_ts when there is no recv */
            {0, 5, 5000},      {1, 5, 6000},
        };
        size_t n = sizeof want / sizeof want[0];
        int good = 1;
        ReplayItem it;
        for (size_t i = 0; rp && i < n; i++) {
                int rc = Replay_next(rp, &it, err, sizeof err);
                int match = rc == LINE_OK && strcmp(it.path, paths[want[i].file]) == 0 &&
                            it.line == want[i].line && it.at == want[i].at;
                if (!match)
                        diag("item %zu: rc %d, %s:%ld at %lld; expected file %d line %ld at %lld",
                             i, rc, rc == LINE_OK ? it.path : "", rc == LINE_OK ? it.line : 0,
                             rc == LINE_OK ? (long long)it.at : 0, want[i].file, want[i].line,
                             (long long)want[i].at);
                good = good && match;
                if (rc == LINE_OK && want[i].file == 0 && want[i].line == 4)
                        ok(it.msg && it.msg->kind == MSG_NOT_JSON &&
                               strcmp(it.text, "garbage") == 0 && it.len == 7,
                           "a line that is not JSON: read as not JSON, text kept");
                if (rc == LINE_OK && want[i].file == 1 && want[i].line == 5)
                        ok(it.flags == LINE_NO_NEWLINE && it.msg && it.msg->kind != MSG_NOT_JSON,
                           "last line without newline: flag, still parsed");
                if (rc == LINE_OK && want[i].file == 1 && want[i].line == 2)
                        ok(it.msg && it.msg->kind != MSG_NOT_JSON &&
                               strcmp(it.text, "{\"recv\":2000,\"body\":{\"event\":\"b1\"}}") == 0,
                           "CRLF removed from the text");
        }
        ok(good, "two files merged by recv, each in its own order, ties by file order");
        if (rp) {
                is_int(Replay_next(rp, &it, err, sizeof err), LINE_EOF, "then EOF");
                is_int(Replay_next(rp, &it, err, sizeof err), LINE_EOF, "EOF again");
                Replay_close(rp);
        }

        char *bad[2] = {paths[0], NULL};
        char missing[160];
        snprintf(missing, sizeof missing, "%s/missing.jsonl", dir);
        bad[1] = missing;
        err[0] = '\0';
        ok(Replay_open(bad, 2, err, sizeof err) == NULL && strstr(err, missing),
           "a missing file: NULL, message names it");
        free(paths[0]);
        free(paths[1]);

        json_t *root = json_loads("{\"recv\":7,\"body\":{\"event_ts\":9}}", 0, NULL);
        is_int(record_time(root), 7, "record_time: recv first");
        json_decref(root);
        root = json_loads("{\"body\":{\"event_ts\":9}}", 0, NULL);
        is_int(record_time(root), 9, "record_time: the body's event_ts");
        json_decref(root);
        root = json_loads("{\"event\":\"x\",\"event_ts\":11}", 0, NULL);
        is_int(record_time(root), 11, "record_time: a bare event's event_ts");
        json_decref(root);
        root = json_loads("{\"module\":\"heartbeat\"}", 0, NULL);
        is_int(record_time(root), TIME_NONE, "record_time: none");
        json_decref(root);
}

static void format_is(int64_t seq, int64_t recv, const char *src, const char *text,
                      const char *reason, const char *want, const char *what)
{
        char *out = NULL;
        size_t n = Record_format(&out, seq, recv, src, text, strlen(text), reason);
        is_str(out, want, "Record_format: %s", what);
        is_int(n, strlen(out), "Record_format: %s: returns the length", what);
        json_error_t jerr;
        json_t *back = json_loadb(out, n, 0, &jerr);
        ok(back && json_is_object(back) && memchr(out, '\n', n) == out + n - 1,
           "Record_format: %s: one line of JSON", what);
        json_decref(back);
        free(out);
}

static void test_format(void)
{
        format_is(7, 1623156067120LL, "ws", "{\"event\": \"x\", \"n\": 1}", NULL,
                  "{\"seq\":7,\"recv\":1623156067120,\"src\":\"ws\",\"body\":{\"event\": \"x\", "
                  "\"n\": 1}}\n",
                  "a one-line body is kept verbatim");
        format_is(-1, 5, "file", "{\"a\":1}", NULL,
                  "{\"recv\":5,\"src\":\"file\",\"body\":{\"a\":1}}\n", "seq < 0 is omitted");
        format_is(
            2, 5, "hook", "{\n  \"event\": \"x\",\n  \"n\": [1, 2]\n}\n", NULL,
            "{\"seq\":2,\"recv\":5,\"src\":\"hook\",\"body\":{\"event\":\"x\",\"n\":[1,2]}}\n",
            "a multi-line body is re-serialised on one line");
        format_is(3, 5, "ws", "{\"a\":\"b\"}\r\n", NULL,
                  "{\"seq\":3,\"recv\":5,\"src\":\"ws\",\"body\":{\"a\":\"b\"}}\n",
                  "a body ending in CRLF is re-serialised");
        format_is(
            4, 5, "ws", "{oops", NULL,
            "{\"seq\":4,\"recv\":5,\"src\":\"ws\",\"invalid\":\"not JSON\",\"raw\":\"{oops\"}\n",
            "invalid JSON kept as raw");
        format_is(5, 5, "ws", "bad\n\"line\"\\", NULL,
                  "{\"seq\":5,\"recv\":5,\"src\":\"ws\",\"invalid\":\"not JSON\","
                  "\"raw\":\"bad\\n\\\"line\\\"\\\\\"}\n",
                  "raw text escaped");
        format_is(6, 5, "ws", "[1,2]", NULL,
                  "{\"seq\":6,\"recv\":5,\"src\":\"ws\",\"invalid\":\"not a JSON object\","
                  "\"raw\":\"[1,2]\"}\n",
                  "JSON that is not an object");
        format_is(7, 5, "ws", "{\"a\":1,\"a\":2}", NULL,
                  "{\"seq\":7,\"recv\":5,\"src\":\"ws\",\"invalid\":\"not JSON\","
                  "\"raw\":\"{\\\"a\\\":1,\\\"a\\\":2}\"}\n",
                  "duplicate keys: not JSON for capmon");
        format_is(8, 5, "ws", "{\"a\":\"\xff\"}", NULL,
                  "{\"seq\":8,\"recv\":5,\"src\":\"ws\",\"invalid\":\"not JSON\","
                  "\"raw\":\"{\\\"a\\\":\\\"\xef\xbf\xbd\\\"}\"}\n",
                  "invalid UTF-8: raw with U+FFFD");
        format_is(9, 5, "ws", "{\"a\":1}", "line too long",
                  "{\"seq\":9,\"recv\":5,\"src\":\"ws\",\"invalid\":\"line too long\","
                  "\"raw\":\"{\\\"a\\\":1}\"}\n",
                  "a given reason makes it invalid");

        char *out = NULL;
        size_t n = Record_header(&out, 1623156067120LL, "ws");
        is_str(out, "{\"capmon_log\":1,\"created\":\"2021-06-08T12:41:07Z\",\"source\":\"ws\"}\n",
               "Record_header");
        is_int(n, strlen(out), "Record_header: returns the length");
        free(out);
}

/* Record_meeting on one line; want NULL: none (0). */
static void meeting_is(const char *line, const char *want, const char *what)
{
        char id[MEETING_ID_MAX];
        memset(id, 'x', sizeof id);
        int k = Record_meeting(line, strlen(line), id, sizeof id);
        if (!want) {
                is_int(k, 0, "Record_meeting: %s: none", what);
                return;
        }
        if (is_int(k, 1, "Record_meeting: %s: found", what))
                is_str(id, want, "Record_meeting: %s: \"%s\"", what, want);
}

#define JOIN_OBJ(ID)                                                                               \
        "{\"event\":\"meeting.participant_joined\",\"event_ts\":1,\"payload\":{\"object\":{"       \
        "\"uuid\":\"u==\"," ID "\"participant\":{\"user_id\":\"p1\"}}}}"

static void test_meeting(void)
{
        /* every accepted shape, string and number ids */
        meeting_is(JOIN_OBJ("\"id\":\"85012345678\","), "85012345678", "raw webhook, string id");
        meeting_is(JOIN_OBJ("\"id\":85012345678,"), "85012345678", "raw webhook, number id");
        meeting_is(
            "{\"seq\":3,\"recv\":5,\"src\":\"webhook\",\"body\":" JOIN_OBJ("\"id\":123,") "}",
            "123", "capmon record, number id");
        meeting_is(
            "{\"seq\":3,\"recv\":5,\"src\":\"webhook\",\"body\":" JOIN_OBJ("\"id\":\"123\",") "}",
            "123", "capmon record, string id");
        meeting_is("{\"module\":\"message\",\"content\":\"{\\\"event\\\":\\\"meeting.started\\\","
                   "\\\"payload\\\":{\\\"object\\\":{\\\"id\\\":777}}}\"}",
                   "777", "Zoom WebSocket message, content a JSON string");
        meeting_is("{\"module\":\"message\",\"content\":" JOIN_OBJ("\"id\":\"778\",") "}", "778",
                   "Zoom WebSocket message, content an object");
        meeting_is("{\"seq\":1,\"recv\":5,\"src\":\"zoom\",\"body\":{\"module\":\"message\","
                   "\"content\":\"{\\\"event\\\":\\\"meeting.ended\\\",\\\"payload\\\":{"
                   "\\\"object\\\":{\\\"id\\\":\\\"779\\\"}}}\"}}",
                   "779", "record of a Zoom WebSocket message");
        meeting_is("{\"event\":\"meeting.chat_message_sent\",\"payload\":{\"object\":{\"id\":5}}}",
                   "5", "an event capmon does not use still has its meeting");
        meeting_is("{\"event\":\"capmon.participant_join_failed\",\"payload\":{\"object\":{"
                   "\"id\":\"42\",\"participant\":{\"user_name\":\"x\"}}}}",
                   "42", "capmon extension event");
        meeting_is("  {\"event\":\"meeting.started\",\"payload\":{\"object\":{\"id\":-1}}}\r\n",
                   "-1", "whitespace around, negative number");

        /* none */
        meeting_is(JOIN_OBJ(""), NULL, "no id (uuid only)");
        meeting_is(JOIN_OBJ("\"id\":\"\","), NULL, "empty string id");
        meeting_is(JOIN_OBJ("\"id\":1.5,"), NULL, "real id");
        meeting_is(JOIN_OBJ("\"id\":null,"), NULL, "null id");
        meeting_is(JOIN_OBJ("\"id\":{\"a\":1},"), NULL, "object id");
        meeting_is("{\"event\":\"meeting.started\",\"payload\":{\"object\":[1]}}", NULL,
                   "payload.object not an object");
        meeting_is("{\"event\":\"meeting.started\"}", NULL, "no payload");
        meeting_is("{\"event\":\"meeting.started\",\"payload\":{\"object\":{\"id\":1}}", NULL,
                   "invalid JSON (cut)");
        meeting_is("not json", NULL, "not JSON");
        meeting_is("", NULL, "empty line");
        meeting_is("[1,2]", NULL, "an array");
        meeting_is("{\"event\":\"meeting.started\",\"payload\":{\"object\":{\"id\":1,\"id\":2}}}",
                   NULL, "duplicate keys (the monitor refuses the message)");
        meeting_is("{\"capmon_log\":1,\"created\":\"2021-06-08T12:41:07Z\",\"source\":\"ws\"}",
                   NULL, "log header");
        meeting_is("{\"gap\":{\"from\":1,\"to\":5}}", NULL, "gap notice");
        meeting_is("{\"feed\":{\"ok\":false,\"reason\":\"x\"}}", NULL, "feed frame");
        meeting_is("{\"module\":\"heartbeat\",\"success\":true}", NULL, "heartbeat");
        meeting_is("{\"module\":\"message\",\"content\":\"{not json\"}", NULL,
                   "envelope content not JSON");
        meeting_is("{\"seq\":1,\"recv\":5,\"src\":\"x\",\"invalid\":\"not JSON\",\"raw\":\"{\"}",
                   NULL, "recorded invalid message");
        meeting_is("{\"seq\":1,\"recv\":5,\"src\":\"x\",\"body\":\"text\"}", NULL,
                   "record body not an object");

        /* truncation: cut to idlen - 1 bytes, always terminated */
        char small[4];
        const char *l = JOIN_OBJ("\"id\":\"123456\",");
        is_int(Record_meeting(l, strlen(l), small, sizeof small), 1, "long id: found");
        is_str(small, "123", "long id: cut to 3 bytes and terminated");
        is_int(Record_meeting(l, strlen(l), NULL, 0), 1, "idlen 0: found, nothing written");
        /* the length is what counts, not a NUL */
        char id[16];
        is_int(Record_meeting(l, strlen(l) - 1, id, sizeof id), 0, "a cut line: none");

        /* Message_meeting: not an event (-1) told from an event without an id (0) */
        json_t *hb = json_pack("{s:s}", "module", "heartbeat");
        json_t *noid = json_pack("{s:s, s:{s:{s:s}}}", "event", "meeting.started", "payload",
                                 "object", "uuid", "u");
        json_t *bad = json_pack("{s:i}", "x", 1);
        is_int(Message_meeting(hb, id, sizeof id), -1, "Message_meeting: heartbeat: not an event");
        is_int(Message_meeting(noid, id, sizeof id), 0, "Message_meeting: event without id");
        is_int(Message_meeting(bad, id, sizeof id), 0, "Message_meeting: invalid message");
        json_decref(hb);
        json_decref(noid);
        json_decref(bad);

        /* Message_body: the shape rules (the monitor's) */
        char err[160];
        json_t *body;
        int64_t recv = -7;
        json_t *rec =
            json_loads("{\"seq\":1,\"recv\":99,\"src\":\"x\",\"body\":{\"event\":\"e\"}}", 0, NULL);
        is_int(Message_body(rec, &body, &recv, err, sizeof err), 1, "Message_body: record");
        ok(body && json_object_get(body, "event"), "Message_body: the record's body");
        is_int(recv, 99, "Message_body: the record's recv");
        json_decref(body);
        json_decref(rec);
        json_t *inv = json_loads("{\"x\":1}", 0, NULL);
        is_int(Message_body(inv, &body, &recv, err, sizeof err), -1, "Message_body: invalid");
        is_str(err, "not a Zoom event, WebSocket envelope or capmon record",
               "Message_body: the reason");
        ok(body == NULL, "Message_body: no body when invalid");
        json_decref(inv);
}

static void test_filter(void)
{
        MeetingFilter f = {0};
        const char *a = JOIN_OBJ("\"id\":123,"), *b = JOIN_OBJ("\"id\":\"123\","),
                   *c = JOIN_OBJ("\"id\":\"124\","), *none = JOIN_OBJ("");
        ok(MeetingFilter_match(&f, "garbage", 7), "empty filter: everything matches");
        ok(MeetingFilter_match(&f, none, strlen(none)), "empty filter: no id matches");
        is_int(MeetingFilter_add(&f, "123"), 0, "add 123");
        ok(MeetingFilter_match(&f, a, strlen(a)), "\"id\":123 matches 123");
        ok(MeetingFilter_match(&f, b, strlen(b)), "\"id\":\"123\" matches 123");
        ok(!MeetingFilter_match(&f, c, strlen(c)), "124 does not match");
        ok(!MeetingFilter_match(&f, none, strlen(none)), "no id: no match");
        ok(!MeetingFilter_match(&f, "garbage", 7), "invalid line: no match");
        ok(!MeetingFilter_match(&f, "{\"module\":\"heartbeat\"}", 22), "heartbeat: no match");
        is_int(MeetingFilter_add(&f, "123"), 0, "add 123 again: fine");
        is_int(f.n, 1, "... not twice");
        is_int(MeetingFilter_add(&f, ""), -1, "empty id refused");
        char big[MEETING_ID_MAX + 1];
        memset(big, '9', sizeof big);
        big[MEETING_ID_MAX - 1] = '\0';
        is_int(MeetingFilter_add(&f, big), 0, "an id of %d bytes accepted", MEETING_ID_MAX - 1);
        char line[512];
        snprintf(line, sizeof line, JOIN_OBJ("\"id\":\"%s\","), big);
        ok(MeetingFilter_match(&f, line, strlen(line)), "the longest id matches");
        big[MEETING_ID_MAX - 1] = '9';
        big[MEETING_ID_MAX] = '\0';
        is_int(MeetingFilter_add(&f, big), -1, "an id of %d bytes refused", MEETING_ID_MAX);
        snprintf(line, sizeof line, JOIN_OBJ("\"id\":\"%s\","), big);
        ok(!MeetingFilter_match(&f, line, strlen(line)),
           "a longer id whose first %d bytes are a filter's does not match", MEETING_ID_MAX - 1);
        for (int i = 0; f.n < MEETING_FILTER_MAX; i++) {
                char id[16];
                snprintf(id, sizeof id, "m%d", i);
                MeetingFilter_add(&f, id);
        }
        is_int(MeetingFilter_add(&f, "one-more"), -1, "full at %d", MEETING_FILTER_MAX);
        is_int(MeetingFilter_add(&f, "123"), 0, "full: an id already there is fine");
        ok(MeetingFilter_has(&f, "m0") && !MeetingFilter_has(&f, "one-more"), "MeetingFilter_has");
        MeetingFilter_done(&f);
        is_int(f.n, 0, "done: empty again");
        ok(MeetingFilter_match(&f, "garbage", 7), "done: matches everything");
}

int main(void)
{
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 2;
        }
        test_reader();
        test_replay();
        test_format();
        test_meeting();
        test_filter();
        int rc = done_testing();
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                diag("could not remove %s", dir);
        return rc;
}
