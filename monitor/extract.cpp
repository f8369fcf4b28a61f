// The fast path of message.h: one simdjson parse of a line, then the same reading
// as Message_body + Event_parse + record_time + Message_meeting (evlog.c, event.c),
// which stay the reference. simdjson's DOM parser validates the whole document
// (grammar, UTF-8, strings, numbers) as jansson does; what it accepts and jansson
// does not (duplicate keys, \u0000, integers past int64) is caught by clean() and
// handed to the reference, so the outcome is always jansson's.
#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

extern "C" {
#include "message.h"
#include "util.h"
}

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// A key seen by clean(): key_print, and its place in simdjson's string_buf.
struct Key {
        uint64_t print;
        uint32_t off;
};

namespace
{

// Objects with more keys than this go to the reference (its hash table checks
// duplicates in linear time; the fast check is quadratic).
constexpr size_t FAST_KEYS_MAX = 64;

} // namespace

struct Extractor {
        simdjson::dom::parser outer, inner; // inner: a string envelope's content
        char *buf = nullptr;                // the line, padded for simdjson
        size_t cap = 0;
        std::vector<Key> keys;                      // clean()'s stack of keys
        std::vector<Event> rows;                    // a capmon.reconcile's rows (ev.recon)
        void *hold = nullptr, *hold_root = nullptr; // the reference's trees, when it read the last
        unsigned long fallbacks = 0;
};

namespace
{

// A \u0000 escape: jansson refuses the NUL it makes. Looked for in the raw text
// (a false alarm such as "\\u0000" only sends the line to the reference).
bool has_nul_escape(const char *text, size_t len)
{
        return memchr(text, '\\', len) && memmem(text, len, "\\u0000", 6);
}

// A key's length and first bytes, to compare keys cheaply. Reads 8 bytes: a
// string in string_buf is followed by its NUL, and the buffer by SIMDJSON_PADDING.
uint64_t key_print(const uint8_t *p, uint32_t n)
{
        uint64_t v;
        memcpy(&v, p, sizeof v);
        if (n < 8)
                v &= (uint64_t(1) << (8 * n)) - 1;
        return v * 31 + n;
}

// True when a parsed document is one jansson reads the same way: no duplicate
// keys, no unsigned integer past int64, no object of more than FAST_KEYS_MAX keys
// (has_nul_escape covers NUL). One pass over simdjson's tape (its documented
// layout: a 64-bit word per value, the type in the top byte; strings as an offset
// into string_buf, where a 32-bit length precedes the bytes).
bool clean(const simdjson::dom::document &doc, std::vector<Key> &keys)
{
        struct Frame {
                uint32_t first_key; // index in keys of the object's first key
                bool object, want_key;
                uint64_t seen; // one bit per key seen, by key_print: most keys need no search
        };
        Frame frames[simdjson::DEFAULT_MAX_DEPTH + 1];
        size_t depth = 0;
        const uint64_t *tape = doc.tape.get();
        const uint8_t *sb = doc.string_buf.get();
        const size_t end = uint32_t(tape[0]); // the closing root word
        keys.clear();
        auto value_done = [&] {
                if (depth && frames[depth - 1].object)
                        frames[depth - 1].want_key = true;
        };
        for (size_t i = 1; i < end;) {
                uint64_t w = tape[i];
                switch (char(w >> 56)) {
                case '{':
                case '[':
                        if (depth == simdjson::DEFAULT_MAX_DEPTH)
                                return false;
                        frames[depth++] = {uint32_t(keys.size()), char(w >> 56) == '{',
                                           char(w >> 56) == '{', 0};
                        i++;
                        break;
                case '}':
                case ']':
                        keys.resize(frames[--depth].first_key);
                        value_done();
                        i++;
                        break;
                case '"': {
                        uint32_t off = uint32_t(w & simdjson::internal::JSON_VALUE_MASK), n;
                        memcpy(&n, sb + off, sizeof n);
                        const uint8_t *p = sb + off + sizeof n;
                        Frame *f = depth ? &frames[depth - 1] : nullptr;
                        if (f && f->want_key) {
                                size_t nk = keys.size() - f->first_key;
                                if (nk == FAST_KEYS_MAX)
                                        return false;
                                uint64_t print = key_print(p, n);
                                uint64_t bit = uint64_t(1) << ((print * 0x9E3779B97F4A7C15u) >> 58);
                                for (size_t k = f->seen & bit ? f->first_key : keys.size();
                                     k < keys.size(); k++) {
                                        if (keys[k].print == print &&
                                            memcmp(sb + keys[k].off + sizeof n, p, n) == 0)
                                                return false;
                                }
                                keys.push_back({print, off});
                                f->seen |= bit;
                                f->want_key = false;
                        } else {
                                value_done();
                        }
                        i++;
                        break;
                }
                case 'l':
                case 'd':
                        value_done();
                        i += 2;
                        break;
                case 'u':
                        return false;
                default: // t, f, n
                        value_done();
                        i++;
                        break;
                }
        }
        return true;
}

// The members of an object that a reading needs, found in one pass over it (an
// object has no duplicate keys once clean() passed, so the first is the only one).
template <size_t N> struct Members {
        element v[N];
        uint32_t has = 0;
        Members() = default;
        Members(element e, const std::string_view (&names)[N])
        {
                read(e, names);
        }
        void read(element e, const std::string_view (&names)[N])
        {
                if (!e.is_object())
                        return;
                uint64_t sizes = 0; // one bit per length of a wanted name
                for (size_t i = 0; i < N; i++)
                        sizes |= uint64_t(1) << (names[i].size() & 63);
                object o = e.get_object().value_unsafe();
                for (auto field : o) {
                        std::string_view k = field.key;
                        if (k.size() > 63 || !(sizes >> k.size() & 1))
                                continue;
                        for (size_t i = 0; i < N; i++) {
                                if (names[i].size() == k.size() && !(has & (1u << i)) &&
                                    memcmp(names[i].data(), k.data(), k.size()) == 0) {
                                        v[i] = field.value;
                                        has |= 1u << i;
                                        break;
                                }
                        }
                }
        }
        bool get(size_t i, element *out) const
        {
                if (!(has & (1u << i)))
                        return false;
                *out = v[i];
                return true;
        }
        bool in(size_t i) const
        {
                return has & (1u << i);
        }
        bool str(size_t i) const
        {
                return in(i) && v[i].type() == element_type::STRING;
        }
        bool integer(size_t i) const
        {
                return in(i) && v[i].type() == element_type::INT64;
        }
        const char *c_str(size_t i) const
        {
                return v[i].get_c_str().value_unsafe();
        }
        int64_t int64(size_t i) const
        {
                return v[i].get_int64().value_unsafe();
        }
        // str_field of event.c: a string; an integer as its decimal text when numbuf
        // is given; "" else
        const char *text(size_t i, char *numbuf = nullptr, size_t numlen = 0) const
        {
                if (str(i))
                        return c_str(i);
                if (numbuf && integer(i)) {
                        xsnprintf(numbuf, numlen, "%lld", (long long)int64(i));
                        return numbuf;
                }
                return "";
        }
        int64_t time(size_t i) const
        {
                return str(i) ? time_parse(c_str(i)) : TIME_NONE;
        }
};

// json_object_get for a single member.
bool get(element e, std::string_view key, element *out)
{
        if (!e.is_object())
                return false;
        object o = e.get_object().value_unsafe();
        for (auto field : o) {
                if (field.key == key) {
                        *out = field.value;
                        return true;
                }
        }
        return false;
}

bool is_str(element e)
{
        return e.type() == element_type::STRING;
}

const char *str(element e)
{
        return e.get_c_str().value_unsafe();
}

// Leading number of a bitrate such as 812, "812 kbps" or "0.0 kbps".
double bitrate_value(element details)
{
        element v;
        if (!get(details, "bitrate", &v))
                return 0;
        if (v.is_number())
                return v.get_double().value_unsafe();
        if (is_str(v))
                return strtod(str(v), nullptr);
        return 0;
}

int qos_video(element qos)
{
        if (!qos.is_array())
                return -1;
        static const std::string_view names[] = {"type", "details"};
        int found = -1;
        array a = qos.get_array().value_unsafe();
        for (element q : a) {
                Members<2> m(q, names);
                if (!m.str(0) || strcmp(m.c_str(0), "video_input") != 0)
                        continue;
                element details;
                found = m.get(1, &details) && bitrate_value(details) > 0 ? 1 : 0;
        }
        return found;
}

// video_source of event.c
const char *video_source(const char *s)
{
        if (strcmp(s, "rtms") == 0)
                return "rtms";
        if (strcmp(s, "qos") == 0)
                return "qos";
        return "portal";
}

// Event_parse of event.c, on the members of the body: 0, or -1 with the reason in
// err, or -2 for an event the reference must read.
enum { B_EVENT, B_TS, B_PAYLOAD, B_MODULE, B_CONTENT, B_N };
const std::string_view BODY_KEYS[B_N] = {"event", "event_ts", "payload", "module", "content"};
enum { O_ID, O_UUID, O_TOPIC, O_TZ, O_PARTICIPANT, O_QOS, O_FETCH, O_PARTICIPANTS, O_N };
const std::string_view OBJECT_KEYS[O_N] = {"id",          "uuid", "topic",         "timezone",
                                           "participant", "qos",  "fetch_started", "participants"};
enum {
        P_USER_ID,
        P_USER_NAME,
        P_ID,
        P_EMAIL,
        P_REGISTRANT,
        P_PHONE,
        P_LEAVE_REASON,
        P_NEW_ROLE,
        P_BIND,
        P_REASON,
        P_PUUID,
        P_LEAVE_TIME,
        P_JOIN_TIME,
        P_DATE_TIME,
        P_VIDEO,
        P_QOS,
        P_CODE,
        P_SOURCE,
        P_STATUS,
        P_N
};
const std::string_view PARTICIPANT_KEYS[P_N] = {"user_id",
                                                "user_name",
                                                "id",
                                                "email",
                                                "registrant_id",
                                                "phone_number",
                                                "leave_reason",
                                                "new_role",
                                                "bind_user_id",
                                                "reason",
                                                "participant_uuid",
                                                "leave_time",
                                                "join_time",
                                                "date_time",
                                                "video",
                                                "qos",
                                                "code",
                                                "source",
                                                "status"};

// read_participant of event.c: -1 without a session key
int read_participant(const Members<P_N> &p, Event *ev)
{
        ev->user_id = p.text(P_USER_ID);
        ev->user_name = p.text(P_USER_NAME);
        ev->pid = p.text(P_ID, ev->pidbuf, sizeof ev->pidbuf);
        ev->email = p.text(P_EMAIL);
        ev->registrant_id = p.text(P_REGISTRANT);
        ev->phone = p.text(P_PHONE);
        ev->leave_reason = p.text(P_LEAVE_REASON);
        ev->new_role = p.text(P_NEW_ROLE);
        ev->bind_user_id = p.text(P_BIND);
        ev->reason = p.text(P_REASON);
        const char *puuid = p.text(P_PUUID);
        ev->key = *ev->user_id ? ev->user_id : *puuid ? puuid : *ev->pid ? ev->pid : ev->user_name;
        return *ev->key ? 0 : -1;
}

// Event_reconcile_row of event.c
int reconcile_row(element row, Event *out, char *err, size_t errlen)
{
        memset(out, 0, sizeof *out);
        out->name = "capmon.reconcile";
        out->recv = TIME_NONE;
        out->code = -1;
        out->qos_video = -1;
        if (!row.is_object())
                return xsnprintf(err, errlen, "row is not an object"), -1;
        Members<P_N> p(row, PARTICIPANT_KEYS);
        if (read_participant(p, out))
                return xsnprintf(err, errlen,
                                 "row has no user_id, participant_uuid, id or user_name"),
                       -1;
        out->time = p.time(P_JOIN_TIME);
        const char *st = p.text(P_STATUS);
        int rs;
        if (strcmp(st, "in_meeting") == 0)
                rs = ROW_IN_MEETING;
        else if (strcmp(st, "in_waiting_room") == 0)
                rs = ROW_WAITING;
        else
                return xsnprintf(err, errlen,
                                 "row status must be \"in_meeting\" or \"in_waiting_room\""),
                       -1;
        out->type = rs == ROW_WAITING ? EV_WR_JOINED : EV_JOINED;
        return *p.text(P_LEAVE_TIME) ? ROW_LEFT : rs;
}

// parse_reconcile of event.c: the rows (but those of people who left) into
// rows, as ev->recon
int parse_reconcile(const Members<O_N> &o, Event *ev, std::vector<Event> &rows, char *err,
                    size_t errlen)
{
        element parts;
        array a;
        if (!o.get(O_PARTICIPANTS, &parts) || parts.get_array().get(a) != simdjson::SUCCESS)
                return xsnprintf(err, errlen, "%s: payload.object.participants must be an array",
                                 ev->name),
                       -1;
        rows.clear();
        rows.reserve(a.size()); // no move: a row's pid and key may point into its pidbuf
        size_t i = 0;
        char why[160];
        for (element row : a) {
                Event re;
                int rs = reconcile_row(row, &re, why, sizeof why);
                if (rs < 0)
                        return xsnprintf(err, errlen, "%s: participants[%zu]: %s", ev->name, i,
                                         why),
                               -1;
                i++;
                if (rs == ROW_LEFT)
                        continue;
                rows.push_back(re);
                Event &b = rows.back();
                if (re.pid == re.pidbuf)
                        b.pid = b.pidbuf;
                if (re.key == re.pidbuf)
                        b.key = b.pidbuf;
        }
        ev->rows = nullptr;
        ev->recon = rows.data();
        ev->nrecon = rows.size();
        return 0;
}

int event_parse(const Members<B_N> &b, bool body_is_object, const Members<O_N> &o, bool has_obj,
                element obj, std::vector<Event> &rows, Event *ev, char *err, size_t errlen)
{
        memset(ev, 0, sizeof *ev);
        ev->time = TIME_NONE;
        ev->recv = TIME_NONE;
        ev->code = -1;
        ev->qos_video = -1;
        if (!body_is_object)
                return xsnprintf(err, errlen, "event body is not an object"), -1;
        if (!b.str(B_EVENT))
                return xsnprintf(err, errlen, "no \"event\" name"), -1;
        ev->name = b.c_str(B_EVENT);
        ev->type = Event_type(ev->name);
        if (ev->type == EV_UNKNOWN)
                return 0;

        element ts;
        if (b.get(B_TS, &ts)) {
                if (ts.type() == element_type::INT64)
                        ev->time = ts.get_int64().value_unsafe();
                else if (ts.type() == element_type::DOUBLE)
                        ev->time = time_of_real(ts.get_double().value_unsafe());
                else if (is_str(ts) && parse_int64(str(ts), &ev->time) != 0)
                        ev->time = TIME_NONE;
        }

        if (!has_obj || !obj.is_object())
                return xsnprintf(err, errlen, "%s: no payload.object", ev->name), -1;
        ev->uuid = o.text(O_UUID);
        ev->id = o.text(O_ID, ev->idbuf, sizeof ev->idbuf);
        ev->topic = o.text(O_TOPIC);
        ev->timezone = o.text(O_TZ);
        ev->meeting = *ev->uuid ? ev->uuid : ev->id;
        if (!*ev->meeting)
                return xsnprintf(err, errlen, "%s: no meeting uuid or id", ev->name), -1;
        if (ev->type == EV_RECONCILE) {
                if (ev->time == TIME_NONE)
                        ev->time = o.time(O_FETCH);
                return parse_reconcile(o, ev, rows, err, errlen);
        }
        // its list stays a jansson tree (ev->video_on): the reference reads it
        if (ev->type == EV_VIDEO_SYNC)
                return -2;
        if (!Event_is_participant(ev->type))
                return 0;

        element pe;
        if (!o.get(O_PARTICIPANT, &pe) || !pe.is_object())
                return xsnprintf(err, errlen, "%s: no payload.object.participant", ev->name), -1;
        Members<P_N> p(pe, PARTICIPANT_KEYS);
        if (read_participant(p, ev))
                return xsnprintf(err, errlen,
                                 "%s: no participant user_id, participant_uuid, id or user_name",
                                 ev->name),
                       -1;
        if (ev->time == TIME_NONE) {
                int leaving = ev->type == EV_LEFT || ev->type == EV_WR_LEFT ||
                              ev->type == EV_JBH_WAITING_LEFT || ev->type == EV_BO_LEFT;
                if (leaving)
                        ev->time = p.time(P_LEAVE_TIME);
                if (ev->time == TIME_NONE)
                        ev->time = p.time(P_JOIN_TIME);
                if (ev->time == TIME_NONE)
                        ev->time = p.time(P_DATE_TIME);
        }
        if (ev->type == EV_VIDEO) {
                const char *vs = p.str(P_VIDEO) ? p.c_str(P_VIDEO) : "";
                if (strcmp(vs, "on") == 0)
                        ev->video = 1;
                else if (strcmp(vs, "off") == 0)
                        ev->video = 0;
                else
                        return xsnprintf(err, errlen, "%s: video must be \"on\" or \"off\"",
                                         ev->name),
                               -1;
                ev->source = video_source(p.str(P_SOURCE) ? p.c_str(P_SOURCE) : "");
        } else if (ev->type == EV_QOS) {
                element q;
                if (p.get(P_QOS, &q))
                        ev->qos_video = qos_video(q);
                if (ev->qos_video < 0 && o.get(O_QOS, &q))
                        ev->qos_video = qos_video(q);
                ev->source = "qss";
        } else if (ev->type == EV_JOIN_FAILED) {
                if (p.integer(P_CODE))
                        ev->code = p.int64(P_CODE);
                else if (p.str(P_CODE) && parse_int64(p.c_str(P_CODE), &ev->code))
                        ev->code = -1;
        }
        return 0;
}

enum {
        R_RECV,
        R_BODY,
        R_EVENT,
        R_MODULE,
        R_CONTENT,
        R_SEQ,
        R_CAPMON_LOG,
        R_GAP,
        R_INVALID,
        R_TS,
        R_N
};
const std::string_view ROOT_KEYS[R_N] = {"recv", "body",       "event", "module",  "content",
                                         "seq",  "capmon_log", "gap",   "invalid", "event_ts"};

enum Step { STEP_FALLBACK = -2, STEP_INVALID = -1, STEP_OTHER = 0, STEP_BODY = 1 };

// envelope_body of evlog.c, on the envelope's "module" and "content"
Step envelope_body(Extractor *x, bool has_mod, element mod, bool has_content, element content,
                   element *body, Msg *msg)
{
        if (!has_mod || !is_str(mod))
                return xsnprintf(msg->err, sizeof msg->err, "envelope \"module\" is not a string"),
                       STEP_INVALID;
        if (strcmp(str(mod), "message") != 0)
                return STEP_OTHER;
        if (has_content && content.is_object()) {
                *body = content;
                return STEP_BODY;
        }
        if (!has_content || !is_str(content))
                return xsnprintf(msg->err, sizeof msg->err, "message envelope without content"),
                       STEP_INVALID;
        // a JSON string holding the event: the second parse jansson does too
        std::string_view s = content.get_string().value_unsafe();
        if (has_nul_escape(s.data(), s.size()) ||
            x->inner.parse(s.data(), s.size(), true).get(*body) != simdjson::SUCCESS ||
            !(body->is_object() || body->is_array()) || !clean(x->inner.doc, x->keys))
                return STEP_FALLBACK;
        return STEP_BODY;
}

void msg_init(Msg *msg)
{
        memset(msg, 0, sizeof *msg);
        msg->recv = TIME_NONE;
        msg->at = TIME_NONE;
        msg->mid = "";
        msg->ev.time = TIME_NONE;
        msg->event_ts = TIME_NONE;
}

// 0, or -1 when the reference must read this text.
int fast(Extractor *x, const char *text, size_t len, Msg *msg)
{
        if (len + simdjson::SIMDJSON_PADDING > x->cap) {
                size_t cap = x->cap ? x->cap : 4096;
                while (cap < len + simdjson::SIMDJSON_PADDING)
                        cap *= 2;
                char *nb = static_cast<char *>(realloc(x->buf, cap));
                if (!nb)
                        return -1;
                x->buf = nb;
                x->cap = cap;
        }
        if (has_nul_escape(text, len))
                return -1;
        memcpy(x->buf, text, len);
        memset(x->buf + len, 0, simdjson::SIMDJSON_PADDING);
        element root;
        // jansson reads an object or an array at the top, nothing else
        if (x->outer.parse(x->buf, len, false).get(root) != simdjson::SUCCESS ||
            !(root.is_object() || root.is_array()) || !clean(x->outer.doc, x->keys))
                return -1;
        msg_init(msg);
        Members<R_N> r(root, ROOT_KEYS);
        element rbody;
        bool has_rbody = r.get(R_BODY, &rbody);
        // the record body's members, read once for record_time, the lag and the event
        Members<B_N> rb;
        if (has_rbody)
                rb.read(rbody, BODY_KEYS);

        // record_time of evlog.c
        if (r.integer(R_RECV))
                msg->at = r.int64(R_RECV);
        else if (has_rbody ? rb.integer(B_TS) : r.integer(R_TS))
                msg->at = has_rbody ? rb.int64(B_TS) : r.int64(R_TS);
        if (r.integer(R_SEQ)) {
                msg->has_seq = 1;
                msg->seq = r.int64(R_SEQ);
        }
        msg->is_record = has_rbody && rbody.is_object() && r.integer(R_RECV);
        msg->is_header = r.in(R_CAPMON_LOG);
        msg->is_object = root.is_object();
        if (msg->is_record ? rb.integer(B_TS) : r.integer(R_TS))
                msg->event_ts = msg->is_record ? rb.int64(B_TS) : r.int64(R_TS);

        // Message_body of evlog.c
        element body;
        const Members<B_N> *bm = nullptr;
        Step step;
        if (!root.is_object()) {
                xsnprintf(msg->err, sizeof msg->err, "not a JSON object");
                step = STEP_INVALID;
        } else if (r.in(R_EVENT)) {
                body = root;
                step = STEP_BODY;
        } else if (r.in(R_MODULE)) {
                step = envelope_body(x, true, r.v[R_MODULE], r.in(R_CONTENT), r.v[R_CONTENT], &body,
                                     msg);
        } else if (has_rbody) {
                if (r.integer(R_RECV))
                        msg->recv = r.int64(R_RECV);
                if (!rbody.is_object()) {
                        xsnprintf(msg->err, sizeof msg->err, "record body is not an object");
                        step = STEP_INVALID;
                } else if (rb.in(B_MODULE)) {
                        step = envelope_body(x, true, rb.v[B_MODULE], rb.in(B_CONTENT),
                                             rb.v[B_CONTENT], &body, msg);
                } else {
                        body = rbody;
                        bm = &rb;
                        step = STEP_BODY;
                }
        } else if (r.in(R_INVALID)) {
                xsnprintf(msg->err, sizeof msg->err, "recorded invalid message: %s",
                          r.str(R_INVALID) ? r.c_str(R_INVALID) : "?");
                step = STEP_INVALID;
        } else if (r.in(R_CAPMON_LOG) || r.in(R_GAP)) {
                step = STEP_OTHER;
        } else {
                xsnprintf(msg->err, sizeof msg->err,
                          "not a Zoom event, WebSocket envelope or capmon record");
                step = STEP_INVALID;
        }
        switch (step) {
        case STEP_FALLBACK:
                return -1;
        case STEP_INVALID:
                msg->kind = MSG_INVALID;
                return 0;
        case STEP_OTHER:
                msg->kind = MSG_OTHER;
                msg->has_meeting = -1;
                return 0;
        case STEP_BODY:
                break;
        }
        Members<B_N> own;
        if (!bm)
                own.read(body, BODY_KEYS);
        const Members<B_N> &b = bm ? *bm : own;
        element payload, obj;
        bool has_obj = b.get(B_PAYLOAD, &payload) && get(payload, "object", &obj);
        Members<O_N> o;
        if (has_obj)
                o.read(obj, OBJECT_KEYS);
        // Event_meeting_id
        msg->mid = o.text(O_ID, msg->midbuf, sizeof msg->midbuf);
        msg->has_meeting = *msg->mid != '\0';
        int rc = event_parse(b, body.is_object(), o, has_obj, obj, x->rows, &msg->ev, msg->err,
                             sizeof msg->err);
        if (rc == -2)
                return -1;
        msg->kind = rc ? MSG_INVALID : MSG_EVENT;
        return 0;
}

} // namespace

extern "C" {

Extractor *Extractor_new(void)
{
        Extractor *x = new (std::nothrow) Extractor;
        if (!x)
                abort();
        return x;
}

void Extractor_free(Extractor *x)
{
        if (!x)
                return;
        json_decref(static_cast<json_t *>(x->hold));
        json_decref(static_cast<json_t *>(x->hold_root));
        free(x->buf);
        delete x;
}

void Event_extract(Extractor *x, const char *text, size_t len, Msg *msg)
{
        json_decref(static_cast<json_t *>(x->hold));
        json_decref(static_cast<json_t *>(x->hold_root));
        x->hold = x->hold_root = nullptr;
        if (fast(x, text, len, msg) == 0)
                return;
        x->fallbacks++;
        Msg_from_text(text, len, msg);
        // the extractor keeps the trees, as it keeps its parser's strings
        x->hold = msg->hold;
        x->hold_root = msg->hold_root;
        msg->hold = msg->hold_root = nullptr;
}

Extractor *Extractor_thread(void)
{
        // freed when its thread ends (C++ runs thread_local destructors)
        struct Owner {
                Extractor *x = nullptr;
                ~Owner()
                {
                        Extractor_free(x);
                }
        };
        static thread_local Owner owner;
        if (!owner.x)
                owner.x = Extractor_new();
        return owner.x;
}

unsigned long Extractor_fallbacks(const Extractor *x)
{
        return x->fallbacks;
}
}
