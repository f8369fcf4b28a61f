/* event: the accepted shapes (docs/semantics.md §1), identities and event time (§2),
 * invalid and ignored records, all through Monitor_feed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "tap.h"
#include "util.h"

#define T0 1623156067120LL /* 2021-06-08T12:41:07.120Z */

static Config cfg;

#define JOIN_BODY                                                                                  \
        "{'event':'meeting.participant_joined','event_ts':1000,"                                   \
        "'payload':{'object':{'uuid':'%s','id':85012345678,"                                       \
        "'participant':{'user_id':'u1','user_name':'France - Jean'}}}}"

/* A WebSocket envelope whose content is the body as a JSON string. */
static char *envelope(const char *body)
{
        json_t *env = json_pack("{s:s, s:s}", "module", "message", "content", body);
        char *s = json_dumps(env, JSON_COMPACT);
        json_decref(env);
        return s;
}

static void test_shapes(void)
{
        Monitor *m = monitor_new(&cfg);
        is_int(feed(m, TIME_NONE, JOIN_BODY, "body"), OUT_APPLIED, "shape 1: Zoom event body");

        char *body = jtext(JOIN_BODY, "env-string");
        char *env = envelope(body);
        is_int(feed(m, TIME_NONE, "%s", env), OUT_APPLIED,
               "shape 2: envelope, content as a string");
        free(env);
        free(body);
        is_int(feed(m, TIME_NONE, "{'module':'message','content':" JOIN_BODY "}", "env-object"),
               OUT_APPLIED, "shape 2: envelope, content as an object");
        is_int(
            feed(m, TIME_NONE, "{'seq':1,'recv':5000,'src':'ws','body':" JOIN_BODY "}", "record"),
            OUT_APPLIED, "shape 3: capmon record");
        body = jtext(JOIN_BODY, "record-env");
        env = envelope(body);
        is_int(feed(m, TIME_NONE, "{'seq':2,'recv':5000,'src':'ws','body':%s}", env), OUT_APPLIED,
               "shape 3: capmon record holding an envelope");
        free(env);
        free(body);
        static const char *const uuids[] = {"body", "env-string", "env-object", "record",
                                            "record-env"};
        int all = 1;
        for (size_t i = 0; i < 5; i++) {
                const Meeting *mt = meeting(m, uuids[i]);
                all = all && mt && mt->participants == 1 &&
                      deleg_participants(m, uuids[i], "France") == 1;
        }
        ok(all, "each shape made its meeting with one participant from France");
        is_int(State_meeting_count(Monitor_state(m)), 5, "five meetings, one per shape");
        is_int(received(m), 5, "five records received");

        is_int(feed(m, TIME_NONE, "{'module':'heartbeat','content':'{}'}"), OUT_NONE,
               "heartbeat envelope: not an event");
        is_int(feed(m, TIME_NONE, "{'module':'build_connection','success':true}"), OUT_NONE,
               "build_connection envelope: not an event");
        is_int(feed(m, TIME_NONE, "{'seq':3,'recv':6000,'src':'ws','body':{'module':'heartbeat'}}"),
               OUT_NONE, "record of a heartbeat: not an event");
        is_int(feed(m, TIME_NONE, "{'capmon_log':1,'created':'2021-06-08T12:00:00Z'}"), OUT_NONE,
               "log header: skipped");
        is_int(feed(m, TIME_NONE, "{'gap':{'from':3,'to':7}}"), OUT_NONE, "gap notice: skipped");
        is_int(received(m), 5, "none of those is counted, not even as received");
        ok(State_meeting_count(Monitor_state(m)) == 5, "and they create nothing");

        is_int(feed(m, TIME_NONE, "{'invalid':'not JSON','raw':'{oops'}"), OUT_INVALID,
               "recorded invalid message");
        ok(strstr(feed_err(), "not JSON") != NULL, "its reason is reported (%s)", feed_err());
        is_int(count(m, OUT_INVALID), 1, "counted once as invalid");
        is_int(received(m), 6, "and as received");
        Monitor_free(m);
}

static void test_identity(void)
{
        Config c;
        Config_init(&c);
        char err[256];
        const char *text = "{\"meetings\": {\"85012345678\": {\"capacity\": 500}}}";
        if (Config_load_text(&c, text, strlen(text), "cfg", err, sizeof err))
                diag("config: %s", err);
        Monitor *m = monitor_new(&c);

        is_int(feed(m, TIME_NONE,
                    "{'event':'meeting.started','event_ts':1000,'payload':{'object':"
                    "{'id':85012345678,'topic':'Plenary'}}}"),
               OUT_APPLIED, "numeric meeting id, no uuid");
        const Meeting *mt = meeting(m, "85012345678");
        ok(mt != NULL, "the instance key is the id's decimal text");
        if (mt) {
                is_str(mt->id, "85012345678", "id as text");
                is_str(mt->topic, "Plenary", "topic");
                is_int(mt->capacity, 500, "meetings.<id> configuration applies");
        }
        is_int(feed(m, TIME_NONE,
                    "{'event':'meeting.started','event_ts':1000,'payload':{'object':"
                    "{'uuid':'','id':'850'}}}"),
               OUT_APPLIED, "empty uuid: the id is used");
        ok(meeting(m, "850") != NULL, "instance \"850\"");
        is_int(feed(m, TIME_NONE,
                    "{'event':'meeting.started','event_ts':1000,'payload':{'object':"
                    "{'uuid':'abc==','id':85012345678}}}"),
               OUT_APPLIED, "uuid and id");
        mt = meeting(m, "abc==");
        ok(mt && mt->id && strcmp(mt->id, "85012345678") == 0 && mt->capacity == 500,
           "uuid is the instance key; id kept; the meeting's configuration applies");

        /* session key: user_id, else participant_uuid, else id, else user_name */
        pev(m, "participant_joined", 2000, "k",
            "'user_id':'','participant_uuid':'PU','id':'ID',"
            "'user_name':'Name'");
        is_int(pev(m, "participant_left", 3000, "k", "'participant_uuid':'PU'"), OUT_APPLIED,
               "empty user_id: key is participant_uuid");
        pev(m, "participant_joined", 2000, "k", "'id':'ID2','user_name':'Name2'");
        is_int(pev(m, "participant_left", 3000, "k", "'user_id':'ID2'"), OUT_APPLIED,
               "no user_id or participant_uuid: key is id (same key space as user_id)");
        pev(m, "participant_joined", 2000, "k", "'id':16778240,'user_name':'Name3'");
        is_int(pev(m, "participant_left", 3000, "k", "'id':'16778240'"), OUT_APPLIED,
               "numeric participant id: its decimal text");
        pev(m, "participant_joined", 2000, "k", "'user_name':'Only Name'");
        is_int(pev(m, "participant_left", 3000, "k", "'user_id':'Only Name'"), OUT_APPLIED,
               "nothing else: key is user_name");
        pev(m, "participant_joined", 2000, "k", "'user_id':'U9','participant_uuid':'P9'");
        is_int(pev(m, "participant_left", 3000, "k", "'participant_uuid':'P9'"), OUT_ORPHAN,
               "user_id wins over participant_uuid");
        is_int(pev(m, "participant_joined", 2000, "k", "'email':'a@b.org'"), OUT_INVALID,
               "no session key at all: invalid");
        ok(strstr(feed_err(), "user_id") && strstr(feed_err(), "user_name"),
           "reason names the key fields (%s)", feed_err());
        Monitor_free(m);
        Config_done(&c);
}

/* The event time of one event fed to a fresh monitor: its clock afterwards. */
static int64_t time_of(int64_t recv, const char *fmt, const char *part)
{
        Monitor *m = monitor_new(&cfg);
        char *body = jtext(fmt, part);
        Outcome o = feed(m, recv, "%s", body);
        free(body);
        int64_t t =
            o == OUT_INVALID || o == OUT_IGNORED ? TIME_NONE : State_clock(Monitor_state(m));
        Monitor_free(m);
        return t;
}

#define JOINED "{'event':'meeting.participant_joined',%s}"
#define LEFT   "{'event':'meeting.participant_left',%s}"
#define OBJ(p) "'payload':{'object':{'uuid':'m','participant':{'user_id':'u'," p "}}}"

static void test_times(void)
{
        is_int(time_of(TIME_NONE, JOINED, "'event_ts':1623156067120," OBJ("'x':0")), T0,
               "event_ts (ms)");
        is_int(time_of(TIME_NONE, JOINED, "'event_ts':'1623156067120'," OBJ("'x':0")), T0,
               "event_ts as a numeric string");
        is_int(time_of(777, JOINED, "'event_ts':5000," OBJ("'join_time':'2021-06-08T12:41:07Z'")),
               5000, "event_ts wins over participant times and recv");
        is_int(time_of(TIME_NONE, JOINED,
                       "'payload':{'object':{'uuid':'m','participant':{'user_id':'u',"
                       "'join_time':'2021-06-08T12:41:07.120Z'}}}"),
               T0, "joined: join_time");
        is_int(time_of(TIME_NONE, JOINED,
                       "'payload':{'object':{'uuid':'m','participant':{'user_id':'u',"
                       "'date_time':'2021-06-08T14:41:07.120+02:00'}}}"),
               T0, "joined: date_time with an offset");
        is_int(time_of(TIME_NONE, JOINED,
                       "'payload':{'object':{'uuid':'m','participant':{'user_id':'u',"
                       "'join_time':'2021-06-08T12:41:07Z','date_time':'2021-06-08T13:00:00Z'}}}"),
               T0 - 120, "joined: join_time before date_time");
        is_int(time_of(TIME_NONE, JOINED,
                       "'event_ts':'soon','payload':{'object':{'uuid':'m','participant':"
                       "{'user_id':'u','join_time':'not a time','date_time':"
                       "'2021-06-08T12:41:07.120Z'}}}"),
               T0, "unusable event_ts and join_time: date_time");
        is_int(time_of(4242, JOINED, OBJ("'x':0")), 4242, "no time in the event: recv");
        is_int(time_of(TIME_NONE, "{'recv':4343,'body':{'event':'meeting.participant_joined',%s}}",
                       OBJ("'x':0")),
               4343, "no time in the event: the record's recv");
        is_int(time_of(TIME_NONE, "{'event':'meeting.started',%s}",
                       "'payload':{'object':"
                       "{'uuid':'m'}}"),
               TIME_NONE, "no time anywhere on a fresh monitor: no clock yet");
        is_int(time_of(4444, JOINED, OBJ("'leave_time':'2021-06-08T12:41:07.120Z'")), 4444,
               "joined: leave_time is not used (only *_left* events), recv is");

        /* leave_time first for *_left* events */
        Monitor *m = monitor_new(&cfg);
        pev(m, "participant_joined", TIME_NONE, "m",
            "'user_id':'u','join_time':'2021-06-08T12:41:07.120Z'");
        is_int(State_clock(Monitor_state(m)), T0, "join at T0");
        is_int(pev(m, "participant_left", TIME_NONE, "m",
                   "'user_id':'u','join_time':'2021-06-08T12:41:07.120Z',"
                   "'leave_time':'2021-06-08T12:51:07.120Z'"),
               OUT_APPLIED, "left with join_time and leave_time");
        is_int(State_clock(Monitor_state(m)), T0 + 600000, "left: leave_time wins");
        is_int(meeting(m, "m")->participants, 0, "closed");
        /* same for the waiting room */
        pev(m, "participant_joined_waiting_room", TIME_NONE, "m",
            "'user_id':'w','date_time':'2021-06-08T13:00:00Z'");
        is_int(pev(m, "participant_left_waiting_room", TIME_NONE, "m",
                   "'user_id':'w','join_time':'2021-06-08T13:00:00Z',"
                   "'leave_time':'2021-06-08T13:05:00Z'"),
               OUT_APPLIED, "left waiting room");
        /* 13:00:00Z = 1623110400000 + 13 h; 13:05:00Z = 5 min later */
        is_int(State_clock(Monitor_state(m)), 1623157500000LL,
               "left_waiting_room: leave_time wins");

        /* a bare event with no time at all is placed at the clock */
        is_int(pev(m, "participant_joined", TIME_NONE, "m", "'user_id':'bare'"), OUT_APPLIED,
               "bare join: applied at the clock");
        is_int(pev(m, "participant_left", 1623157500000LL - 1, "m", "'user_id':'bare'"), OUT_STALE,
               "its join time is the clock: a leave 1 ms earlier is stale");
        is_int(pev(m, "participant_left", 1623157500000LL, "m", "'user_id':'bare'"), OUT_APPLIED,
               "a leave at the clock is applied");
        Monitor_free(m);
}

static void invalid_is(Monitor *m, const char *text, const char *needle, const char *what)
{
        uint64_t before = count(m, OUT_INVALID);
        is_int(feed(m, TIME_NONE, "%s", text), OUT_INVALID, "%s: invalid", what);
        if (!ok(strstr(feed_err(), needle) != NULL && count(m, OUT_INVALID) == before + 1,
                "%s: reason mentions \"%s\", counted", what, needle))
                diag("reason: %s", feed_err());
}

static void test_invalid(void)
{
        Monitor *m = monitor_new(&cfg);
        invalid_is(m, "{'event':", "not JSON", "truncated JSON");
        invalid_is(m, "{'event':'meeting.started','x':'\xff'}", "not JSON", "invalid UTF-8");
        invalid_is(m, "[1,2]", "object", "an array");
        invalid_is(m, "{'hello':1}", "not a Zoom event", "an unknown object");
        invalid_is(m, "{'event':7,'payload':{}}", "event", "non-string event name");
        invalid_is(m, "{'event':'meeting.started','event_ts':1}", "payload.object",
                   "no payload.object");
        invalid_is(m, "{'event':'meeting.participant_joined','event_ts':1,'payload':{'object':[]}}",
                   "payload.object", "payload.object not an object");
        invalid_is(m, "{'event':'meeting.started','event_ts':1,'payload':{'object':{'topic':'x'}}}",
                   "meeting", "no meeting uuid or id");
        invalid_is(
            m, "{'event':'meeting.ended','event_ts':1,'payload':{'object':{'uuid':'','id':''}}}",
            "meeting", "empty uuid and id");
        invalid_is(m,
                   "{'event':'meeting.participant_joined','event_ts':1,'payload':{'object':"
                   "{'uuid':'m'}}}",
                   "participant", "participant event without participant");
        invalid_is(m,
                   "{'event':'meeting.participant_left','event_ts':1,'payload':{'object':"
                   "{'uuid':'m','participant':{'user_id':'','email':'x@y.org'}}}}",
                   "user_id", "no session key");
        invalid_is(m,
                   "{'event':'capmon.participant_video','event_ts':1,'payload':{'object':"
                   "{'uuid':'m','participant':{'user_id':'u','video':'yes'}}}}",
                   "video", "video \"yes\"");
        invalid_is(m,
                   "{'event':'capmon.participant_video','event_ts':1,'payload':{'object':"
                   "{'uuid':'m','participant':{'user_id':'u','video':true}}}}",
                   "video", "video true");
        invalid_is(m,
                   "{'event':'capmon.participant_video','event_ts':1,'payload':{'object':"
                   "{'uuid':'m','participant':{'user_id':'u'}}}}",
                   "video", "video missing");
        invalid_is(m, "{'module':5}", "module", "envelope module not a string");
        invalid_is(m, "{'module':'message'}", "content", "message envelope without content");
        invalid_is(m, "{'module':'message','content':'{not json'}", "not JSON",
                   "envelope content not JSON");
        invalid_is(m, "{'recv':5,'body':'text'}", "body", "record body not an object");
        is_int(State_meeting_count(Monitor_state(m)), 0, "invalid records create nothing");
        is_int(State_clock(Monitor_state(m)), TIME_NONE, "and do not move the clock");
        is_int(received(m), count(m, OUT_INVALID), "every one counted as received and invalid");
        is_int(count(m, OUT_INVALID), 18, "18 invalid");
        Monitor_free(m);
}

static void test_ignored(void)
{
        Monitor *m = monitor_new(&cfg);
        is_int(feed(m, TIME_NONE,
                    "{'event':'meeting.sharing_started','event_ts':99000,'payload':{'object':"
                    "{'uuid':'m1'}}}"),
               OUT_IGNORED, "meeting.sharing_started: ignored");
        is_int(feed(m, TIME_NONE,
                    "{'event':'endpoint.url_validation','payload':{'plainToken':'abc'}}"),
               OUT_IGNORED, "endpoint.url_validation: ignored");
        is_int(feed(m, TIME_NONE, "{'event':'webinar.chat_message_sent','payload':{}}"),
               OUT_IGNORED, "an unused webinar event without payload.object: ignored");
        is_int(feed(m, TIME_NONE, "{'event':'meeting.participant_something','event_ts':5}"),
               OUT_IGNORED, "an unknown participant_* name: ignored");
        is_int(feed(m, TIME_NONE, "{'event':'capmon.other','event_ts':5}"), OUT_IGNORED,
               "an unknown capmon.* name: ignored");
        is_int(feed(m, TIME_NONE, "{'body':{'event':'meeting.sharing_ended'},'recv':5}"),
               OUT_IGNORED, "in a record: ignored");
        is_int(count(m, OUT_IGNORED), 6, "six ignored");
        is_int(received(m), 6, "and received");
        is_int(State_meeting_count(Monitor_state(m)), 0, "ignored events create nothing");
        is_int(State_clock(Monitor_state(m)), TIME_NONE, "nor move the clock");

        is_int(mev(m, "webinar.started", 1000, "w1"), OUT_APPLIED, "webinar.started understood");
        is_int(pev(m, "webinar.participant_joined", 1000, "w1", "'user_id':'a'"), OUT_APPLIED,
               "webinar.participant_joined understood");
        is_int(mev(m, "meeting.alert", 1000, "w1"), OUT_APPLIED, "meeting.alert understood");
        const Counters *c = State_counters(Monitor_state(m));
        uint64_t sum = 0;
        for (int i = 0; i < OUT_COUNT; i++)
                sum += c->n[i];
        is_int(c->received, sum, "received = sum of the outcomes");
        Monitor_free(m);
}

int main(void)
{
        Config_init(&cfg);
        test_shapes();
        test_identity();
        test_times();
        test_invalid();
        test_ignored();
        Config_done(&cfg);
        return done_testing();
}
