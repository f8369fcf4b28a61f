// Zoom's live list read for a reconcile (zoom_rows.h): the fast reader
// (simdjson DOM: it validates grammar, UTF-8, escapes and numbers of the whole
// page, as jansson does, and reports trailing content) and the reference
// (jansson), which takes every page the fast one is not sure of.
#include "zoom_rows.h"

#include <simdjson.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include <jansson.h>

extern "C" {
#include "event.h"
#include "util.h"
}

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

struct ZoomRows {
        simdjson::dom::parser parser;
        char *buf = nullptr; // the page, padded for simdjson
        size_t cap = 0;
        char *text = nullptr; // the kept rows' JSON, comma separated
        size_t len = 0, tcap = 0;
        size_t count = 0;
        char *next = nullptr;
        char bad[160] = "";
        unsigned long fallbacks = 0;
};

namespace
{

// The kept keys, in the record's order (reconcile.c's keep_row before).
constexpr const char *KEPT[] = {"user_id", "participant_uuid", "id",           "user_name",
                                "email",   "registrant_id",    "phone_number", "join_time",
                                "status"};
constexpr size_t NKEPT = sizeof KEPT / sizeof KEPT[0];
enum { K_USER_ID, K_PUUID, K_ID, K_USER_NAME, K_EMAIL, K_REGISTRANT, K_PHONE, K_JOIN, K_STATUS };

// Objects with more keys go to the reference (the duplicate check below is sized for rows).
constexpr size_t KEYS_MAX = 48;

void put(ZoomRows *z, const char *s, size_t n)
{
        if (z->len + n + 1 > z->tcap) {
                size_t cap = z->tcap ? z->tcap : 65536;
                while (cap < z->len + n + 1)
                        cap *= 2;
                z->text = static_cast<char *>(xrealloc(z->text, cap));
                z->tcap = cap;
        }
        memcpy(z->text + z->len, s, n);
        z->len += n;
        z->text[z->len] = '\0';
}

void put_c(ZoomRows *z, char c)
{
        put(z, &c, 1);
}

// A string as jansson dumps it (no JSON_ENSURE_ASCII, no JSON_ESCAPE_SLASH): '"',
// '\\' and control characters escaped, the rest (valid UTF-8) as it is.
void put_str(ZoomRows *z, std::string_view s)
{
        put_c(z, '"');
        size_t from = 0;
        for (size_t i = 0; i < s.size(); i++) {
                unsigned char c = static_cast<unsigned char>(s[i]);
                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                put(z, s.data() + from, i - from);
                from = i + 1;
                char seq[8];
                switch (c) {
                case '"':
                        put(z, "\\\"", 2);
                        break;
                case '\\':
                        put(z, "\\\\", 2);
                        break;
                case '\b':
                        put(z, "\\b", 2);
                        break;
                case '\f':
                        put(z, "\\f", 2);
                        break;
                case '\n':
                        put(z, "\\n", 2);
                        break;
                case '\r':
                        put(z, "\\r", 2);
                        break;
                case '\t':
                        put(z, "\\t", 2);
                        break;
                default:
                        snprintf(seq, sizeof seq, "\\u%04X", c);
                        put(z, seq, 6);
                }
        }
        put(z, s.data() + from, s.size() - from);
        put_c(z, '"');
}

void set_next(ZoomRows *z, const char *s, size_t n)
{
        free(z->next);
        z->next = static_cast<char *>(xmalloc(n + 1));
        memcpy(z->next, s, n);
        z->next[n] = '\0';
}

// A \u0000 escape: jansson refuses the NUL it makes (a false alarm such as
// "\\u0000" only sends the page to the reference).
bool has_nul_escape(const char *text, size_t len)
{
        return memchr(text, '\\', len) && memmem(text, len, "\\u0000", 6);
}

// Duplicate keys of one object: jansson (JSON_REJECT_DUPLICATES) refuses them.
struct KeySet {
        std::string_view slot[128];
        uint32_t gen[128] = {};
        uint32_t now = 1; // gen 0: a free slot
        void clear()
        {
                now++;
        }
        // false when key was already there
        bool add(std::string_view key)
        {
                uint64_t h = 1469598103934665603ULL;
                for (unsigned char c : key)
                        h = (h ^ c) * 1099511628211ULL;
                for (size_t i = h & 127;; i = (i + 1) & 127) {
                        if (gen[i] != now) {
                                gen[i] = now;
                                slot[i] = key;
                                return true;
                        }
                        if (slot[i] == key)
                                return false;
                }
        }
};

// One row: 1 kept, 0 skipped (left), -1 for the reference.
int fast_row(ZoomRows *z, element row, KeySet &seen)
{
        object o;
        if (row.get_object().get(o) != simdjson::SUCCESS || o.size() > KEYS_MAX)
                return -1;
        element kept[NKEPT];
        bool has[NKEPT] = {};
        std::string_view leave;
        seen.clear();
        for (auto [key, v] : o) {
                if (!seen.add(key))
                        return -1;
                element_type t = v.type();
                if (t == element_type::ARRAY || t == element_type::OBJECT ||
                    t == element_type::UINT64)
                        return -1;
                if (key == "leave_time") {
                        if (t == element_type::STRING)
                                leave = v.get_string().value_unsafe();
                        continue;
                }
                for (size_t k = 0; k < NKEPT; k++) {
                        if (key == KEPT[k]) {
                                if (t == element_type::DOUBLE)
                                        return -1; // jansson's way of printing reals
                                if (t != element_type::NULL_VALUE) {
                                        kept[k] = v;
                                        has[k] = true;
                                }
                                break;
                        }
                }
        }
        // Event_reconcile_row: a session key and a known status, else the
        // reference (which says why)
        auto nonempty_str = [&](int k) {
                return has[k] && kept[k].type() == element_type::STRING &&
                       !kept[k].get_string().value_unsafe().empty();
        };
        bool key = nonempty_str(K_USER_ID) || nonempty_str(K_PUUID) || nonempty_str(K_ID) ||
                   (has[K_ID] && kept[K_ID].type() == element_type::INT64) ||
                   nonempty_str(K_USER_NAME);
        if (!key || !has[K_STATUS] || kept[K_STATUS].type() != element_type::STRING)
                return -1;
        std::string_view st = kept[K_STATUS].get_string().value_unsafe();
        if (st != "in_meeting" && st != "in_waiting_room")
                return -1;
        if (!leave.empty())
                return 0;
        if (z->count)
                put_c(z, ',');
        put_c(z, '{');
        bool first = true;
        for (size_t k = 0; k < NKEPT; k++) {
                if (!has[k])
                        continue;
                if (!first)
                        put_c(z, ',');
                first = false;
                put_c(z, '"');
                put(z, KEPT[k], strlen(KEPT[k]));
                put(z, "\":", 2);
                char num[32];
                switch (kept[k].type()) {
                case element_type::STRING:
                        put_str(z, kept[k].get_string().value_unsafe());
                        break;
                case element_type::INT64:
                        snprintf(num, sizeof num, "%" PRId64, kept[k].get_int64().value_unsafe());
                        put(z, num, strlen(num));
                        break;
                case element_type::BOOL:
                        if (kept[k].get_bool().value_unsafe())
                                put(z, "true", 4);
                        else
                                put(z, "false", 5);
                        break;
                default:
                        return -1; // not reached: reals, nulls and nested values are out
                }
        }
        put_c(z, '}');
        z->count++;
        return 1;
}

// 0, or -1 for the reference (the page's rows then are not added).
int fast_page(ZoomRows *z, const char *text, size_t len)
{
        if (has_nul_escape(text, len))
                return -1;
        if (len + simdjson::SIMDJSON_PADDING > z->cap) {
                size_t cap = z->cap ? z->cap : 65536;
                while (cap < len + simdjson::SIMDJSON_PADDING)
                        cap *= 2;
                char *nb = static_cast<char *>(realloc(z->buf, cap));
                if (!nb)
                        return -1;
                z->buf = nb;
                z->cap = cap;
        }
        memcpy(z->buf, text, len);
        memset(z->buf + len, 0, simdjson::SIMDJSON_PADDING);
        element root;
        object top;
        if (z->parser.parse(z->buf, len, false).get(root) != simdjson::SUCCESS ||
            root.get_object().get(top) != simdjson::SUCCESS || top.size() > KEYS_MAX)
                return -1;
        KeySet seen;
        element rows, next;
        bool has_rows = false, has_next = false;
        for (auto [key, v] : top) {
                if (!seen.add(key))
                        return -1;
                element_type t = v.type();
                if (key == "participants" && t == element_type::ARRAY) {
                        rows = v;
                        has_rows = true;
                } else if (key == "next_page_token" && t == element_type::STRING) {
                        next = v;
                        has_next = true;
                } else if (t == element_type::ARRAY || t == element_type::OBJECT ||
                           t == element_type::UINT64 || key == "participants" ||
                           key == "next_page_token") {
                        return -1;
                }
        }
        if (!has_rows)
                return -1;
        size_t len0 = z->len, count0 = z->count;
        simdjson::dom::array arr;
        if (rows.get_array().get(arr) != simdjson::SUCCESS)
                return -1;
        for (element row : arr) {
                if (fast_row(z, row, seen) < 0) {
                        z->len = len0;
                        z->count = count0;
                        if (z->text)
                                z->text[len0] = '\0';
                        return -1;
                }
        }
        std::string_view tok = has_next ? next.get_string().value_unsafe() : std::string_view();
        set_next(z, tok.data() ? tok.data() : "", tok.size());
        return 0;
}

} // namespace

extern "C" {

ZoomRows *ZoomRows_new(void)
{
        ZoomRows *z = new (std::nothrow) ZoomRows;
        if (!z)
                abort();
        set_next(z, "", 0);
        return z;
}

void ZoomRows_free(ZoomRows *z)
{
        if (!z)
                return;
        free(z->buf);
        free(z->text);
        free(z->next);
        delete z;
}

void ZoomRows_reset(ZoomRows *z)
{
        z->len = 0;
        z->count = 0;
        if (z->text)
                z->text[0] = '\0';
        z->bad[0] = '\0';
        set_next(z, "", 0);
}

int ZoomRows_page_ref(ZoomRows *z, const char *text, size_t len, char *why, size_t whylen)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        json_t *items = json_object_get(root, "participants");
        json_t *next = json_object_get(root, "next_page_token");
        if (!root || !json_is_object(root) || !json_is_array(items) ||
            (next && !json_is_string(next))) {
                if (!root)
                        xsnprintf(why, whylen, "is not JSON: %s", jerr.text);
                else
                        xsnprintf(why, whylen, "has no \"participants\" array");
                json_decref(root);
                return -1;
        }
        static const char *const keys[] = {
            "user_id",       "participant_uuid", "id",        "user_name", "email",
            "registrant_id", "phone_number",     "join_time", "status"};
        size_t i;
        json_t *row;
        Event re;
        char bad[160];
        json_array_foreach(items, i, row)
        {
                int rs = Event_reconcile_row(row, &re, bad, sizeof bad);
                if (rs < 0) {
                        if (!z->bad[0])
                                xsnprintf(z->bad, sizeof z->bad, "%s", bad);
                        continue;
                }
                if (rs == ROW_LEFT) /* rows of people who left stay in Zoom's list */
                        continue;
                json_t *o = json_object();
                for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                        json_t *v = json_object_get(row, keys[k]);
                        if (v && !json_is_null(v))
                                json_object_set(o, keys[k], v);
                }
                char *s = json_dumps(o, JSON_COMPACT);
                json_decref(o);
                if (z->count)
                        put_c(z, ',');
                put(z, s, strlen(s));
                free(s);
                z->count++;
        }
        const char *tok = json_string_value(next);
        set_next(z, tok ? tok : "", tok ? json_string_length(next) : 0);
        json_decref(root);
        return 0;
}

int ZoomRows_page(ZoomRows *z, const char *text, size_t len, char *why, size_t whylen)
{
        if (fast_page(z, text, len) == 0)
                return 0;
        z->fallbacks++;
        return ZoomRows_page_ref(z, text, len, why, whylen);
}

const char *ZoomRows_next(const ZoomRows *z)
{
        return z->next;
}

size_t ZoomRows_count(const ZoomRows *z)
{
        return z->count;
}

const char *ZoomRows_bad(const ZoomRows *z)
{
        return z->bad[0] ? z->bad : nullptr;
}

const char *ZoomRows_text(const ZoomRows *z, size_t *len)
{
        *len = z->len;
        return z->text ? z->text : "";
}

unsigned long ZoomRows_fallbacks(const ZoomRows *z)
{
        return z->fallbacks;
}

char *ZoomRows_record(const ZoomRows *z, const char *uuid, const char *id, const char *topic,
                      int64_t fetch_ms, size_t *len)
{
        char when[40];
        time_format(fetch_ms, when, sizeof when);
        // jansson writes all but the rows; they go between the brackets of the
        // empty "participants" array, the last member of every enclosing object
        json_t *body = json_pack("{s:s, s:I, s:{s:{s:s?, s:s?, s:s?, s:s, s:[]}}}", "event",
                                 "capmon.reconcile", "event_ts", (json_int_t)fetch_ms, "payload",
                                 "object", "uuid", uuid, "id", id, "topic", topic, "fetch_started",
                                 when, "participants");
        char *head = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!head)
                abort();
        size_t hl = strlen(head); // ends with "[]}}}"
        size_t tail = 4;          // "]}}}"
        char *out = static_cast<char *>(xmalloc(hl + z->len + 1));
        memcpy(out, head, hl - tail);
        if (z->len)
                memcpy(out + hl - tail, z->text, z->len);
        memcpy(out + hl - tail + z->len, head + hl - tail, tail + 1);
        free(head);
        if (len)
                *len = hl + z->len;
        return out;
}
}
