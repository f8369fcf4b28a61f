#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct {
        const char *suffix;
        EventType type;
} zoom_events[] = {
    {"started", EV_STARTED},
    {"ended", EV_ENDED},
    {"alert", EV_ALERT},
    {"participant_joined", EV_JOINED},
    {"participant_left", EV_LEFT},
    {"participant_joined_waiting_room", EV_WR_JOINED},
    {"participant_left_waiting_room", EV_WR_LEFT},
    {"participant_admitted", EV_ADMITTED},
    {"participant_put_in_waiting_room", EV_PUT_IN_WR},
    {"participant_jbh_waiting", EV_JBH_WAITING},
    {"participant_jbh_waiting_left", EV_JBH_WAITING_LEFT},
    {"participant_jbh_joined", EV_JBH_JOINED},
    {"participant_role_changed", EV_ROLE},
    {"participant_bind", EV_BIND},
    {"participant_joined_breakout_room", EV_BO_JOINED},
    {"participant_left_breakout_room", EV_BO_LEFT},
    {"participant_qos", EV_QOS},
};

EventType Event_type(const char *name)
{
        const char *suffix = NULL;
        if (strncmp(name, "meeting.", 8) == 0)
                suffix = name + 8;
        else if (strncmp(name, "webinar.", 8) == 0)
                suffix = name + 8;
        else if (strcmp(name, "capmon.participant_video") == 0)
                return EV_VIDEO;
        else if (strcmp(name, "capmon.participant_join_failed") == 0)
                return EV_JOIN_FAILED;
        else if (strcmp(name, "capmon.reconcile") == 0)
                return EV_RECONCILE;
        else if (strcmp(name, "capmon.video_sync") == 0)
                return EV_VIDEO_SYNC;
        if (!suffix)
                return EV_UNKNOWN;
        for (size_t i = 0; i < sizeof zoom_events / sizeof zoom_events[0]; i++) {
                if (strcmp(suffix, zoom_events[i].suffix) == 0)
                        return zoom_events[i].type;
        }
        return EV_UNKNOWN;
}

int Event_is_participant(EventType t)
{
        return t >= EV_JOINED;
}

/* A string field; numbers are accepted as their decimal text. "" when absent. */
static const char *str_field(json_t *obj, const char *key, char *numbuf, size_t numlen)
{
        json_t *v = json_object_get(obj, key);
        if (json_is_string(v))
                return json_string_value(v);
        if (numbuf && json_is_integer(v)) {
                xsnprintf(numbuf, numlen, "%lld", (long long)json_integer_value(v));
                return numbuf;
        }
        return "";
}

const char *Event_meeting_id(json_t *body, char *numbuf, size_t numlen)
{
        json_t *obj = json_object_get(json_object_get(body, "payload"), "object");
        return str_field(obj, "id", numbuf, numlen);
}

/* The source of a capmon video fact: "rtms" or "qos" as written, anything else
 * (absent: a video adapter posting to /events) "portal". */
static const char *video_source(json_t *obj)
{
        json_t *v = json_object_get(obj, "source");
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "rtms") == 0)
                return "rtms";
        if (strcmp(s, "qos") == 0)
                return "qos";
        return "portal";
}

static int64_t time_field(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return json_is_string(v) ? time_parse(json_string_value(v)) : TIME_NONE;
}

/* Leading number of a bitrate such as 812, "812 kbps" or "0.0 kbps". */
static double bitrate_value(json_t *v)
{
        if (json_is_number(v))
                return json_number_value(v);
        if (json_is_string(v))
                return strtod(json_string_value(v), NULL);
        return 0;
}

static int qos_video(json_t *qos)
{
        size_t i;
        json_t *q;
        int found = -1;
        if (!json_is_array(qos))
                return -1;
        json_array_foreach(qos, i, q)
        {
                json_t *type = json_object_get(q, "type");
                if (!json_is_string(type) || strcmp(json_string_value(type), "video_input") != 0)
                        continue;
                json_t *details = json_object_get(q, "details");
                found = bitrate_value(json_object_get(details, "bitrate")) > 0 ? 1 : 0;
        }
        return found;
}

/* The participant fields of an event (or of a reconcile row); -1 without a
 * session key. */
static int read_participant(json_t *p, Event *ev)
{
        ev->user_id = str_field(p, "user_id", NULL, 0);
        ev->user_name = str_field(p, "user_name", NULL, 0);
        ev->pid = str_field(p, "id", ev->pidbuf, sizeof ev->pidbuf);
        ev->email = str_field(p, "email", NULL, 0);
        ev->registrant_id = str_field(p, "registrant_id", NULL, 0);
        ev->phone = str_field(p, "phone_number", NULL, 0);
        ev->leave_reason = str_field(p, "leave_reason", NULL, 0);
        ev->new_role = str_field(p, "new_role", NULL, 0);
        ev->bind_user_id = str_field(p, "bind_user_id", NULL, 0);
        ev->reason = str_field(p, "reason", NULL, 0);
        const char *puuid = str_field(p, "participant_uuid", NULL, 0);
        ev->key = *ev->user_id ? ev->user_id : *puuid ? puuid : *ev->pid ? ev->pid : ev->user_name;
        return *ev->key ? 0 : -1;
}

int Event_reconcile_row(json_t *row, Event *out, char *err, size_t errlen)
{
        memset(out, 0, sizeof *out);
        out->name = "capmon.reconcile";
        out->recv = TIME_NONE;
        out->code = -1;
        out->qos_video = -1;
        if (!json_is_object(row)) {
                xsnprintf(err, errlen, "row is not an object");
                return -1;
        }
        if (read_participant(row, out)) {
                xsnprintf(err, errlen, "row has no user_id, participant_uuid, id or user_name");
                return -1;
        }
        out->time = time_field(row, "join_time");
        const char *st = str_field(row, "status", NULL, 0);
        RowStatus rs;
        if (strcmp(st, "in_meeting") == 0)
                rs = ROW_IN_MEETING;
        else if (strcmp(st, "in_waiting_room") == 0)
                rs = ROW_WAITING;
        else {
                xsnprintf(err, errlen, "row status must be \"in_meeting\" or \"in_waiting_room\"");
                return -1;
        }
        out->type = rs == ROW_WAITING ? EV_WR_JOINED : EV_JOINED;
        return *str_field(row, "leave_time", NULL, 0) ? ROW_LEFT : (int)rs;
}

static int parse_reconcile(json_t *obj, Event *ev, char *err, size_t errlen)
{
        char why[160];
        size_t i;
        json_t *row;
        Event re;
        ev->rows = json_object_get(obj, "participants");
        if (!json_is_array(ev->rows)) {
                xsnprintf(err, errlen, "%s: payload.object.participants must be an array",
                          ev->name);
                return -1;
        }
        json_array_foreach(ev->rows, i, row)
        {
                if (Event_reconcile_row(row, &re, why, sizeof why) < 0) {
                        xsnprintf(err, errlen, "%s: participants[%zu]: %s", ev->name, i, why);
                        return -1;
                }
        }
        return 0;
}

int Event_parse(json_t *body, Event *ev, char *err, size_t errlen)
{
        memset(ev, 0, sizeof *ev);
        ev->time = TIME_NONE;
        ev->recv = TIME_NONE;
        ev->code = -1;
        ev->qos_video = -1;
        if (!json_is_object(body)) {
                xsnprintf(err, errlen, "event body is not an object");
                return -1;
        }
        json_t *jname = json_object_get(body, "event");
        if (!json_is_string(jname)) {
                xsnprintf(err, errlen, "no \"event\" name");
                return -1;
        }
        ev->name = json_string_value(jname);
        ev->type = Event_type(ev->name);
        if (ev->type == EV_UNKNOWN)
                return 0;

        json_t *ts = json_object_get(body, "event_ts");
        if (json_is_integer(ts))
                ev->time = json_integer_value(ts);
        else if (json_is_real(ts))
                ev->time = time_of_real(json_real_value(ts));
        else if (json_is_string(ts) && parse_int64(json_string_value(ts), &ev->time) != 0)
                ev->time = TIME_NONE;

        json_t *payload = json_object_get(body, "payload");
        json_t *obj = json_object_get(payload, "object");
        if (!json_is_object(obj)) {
                xsnprintf(err, errlen, "%s: no payload.object", ev->name);
                return -1;
        }
        ev->uuid = str_field(obj, "uuid", NULL, 0);
        ev->id = Event_meeting_id(body, ev->idbuf, sizeof ev->idbuf);
        ev->topic = str_field(obj, "topic", NULL, 0);
        ev->timezone = str_field(obj, "timezone", NULL, 0);
        ev->meeting = *ev->uuid ? ev->uuid : ev->id;
        if (!*ev->meeting) {
                xsnprintf(err, errlen, "%s: no meeting uuid or id", ev->name);
                return -1;
        }
        if (ev->type == EV_RECONCILE) {
                if (ev->time == TIME_NONE)
                        ev->time = time_field(obj, "fetch_started");
                return parse_reconcile(obj, ev, err, errlen);
        }
        if (ev->type == EV_VIDEO_SYNC) {
                ev->source = video_source(obj);
                json_t *full = json_object_get(obj, "full");
                ev->full = json_is_true(full);
                ev->video_on = json_object_get(obj, "video_on");
                if (!json_is_boolean(full) || (ev->full && !json_is_array(ev->video_on))) {
                        xsnprintf(err, errlen, "%s: needs \"full\" (and, when true, \"video_on\")",
                                  ev->name);
                        return -1;
                }
                return 0;
        }
        if (!Event_is_participant(ev->type))
                return 0;

        json_t *p = json_object_get(obj, "participant");
        if (!json_is_object(p)) {
                xsnprintf(err, errlen, "%s: no payload.object.participant", ev->name);
                return -1;
        }
        if (read_participant(p, ev)) {
                xsnprintf(err, errlen,
                          "%s: no participant user_id, participant_uuid, id or user_name",
                          ev->name);
                return -1;
        }
        if (ev->time == TIME_NONE) {
                int leaving = ev->type == EV_LEFT || ev->type == EV_WR_LEFT ||
                              ev->type == EV_JBH_WAITING_LEFT || ev->type == EV_BO_LEFT;
                if (leaving)
                        ev->time = time_field(p, "leave_time");
                if (ev->time == TIME_NONE)
                        ev->time = time_field(p, "join_time");
                if (ev->time == TIME_NONE)
                        ev->time = time_field(p, "date_time");
        }
        if (ev->type == EV_VIDEO) {
                json_t *v = json_object_get(p, "video");
                const char *vs = json_is_string(v) ? json_string_value(v) : "";
                if (strcmp(vs, "on") == 0)
                        ev->video = 1;
                else if (strcmp(vs, "off") == 0)
                        ev->video = 0;
                else {
                        xsnprintf(err, errlen, "%s: video must be \"on\" or \"off\"", ev->name);
                        return -1;
                }
                ev->source = video_source(p);
        } else if (ev->type == EV_QOS) {
                ev->qos_video = qos_video(json_object_get(p, "qos"));
                if (ev->qos_video < 0)
                        ev->qos_video = qos_video(json_object_get(obj, "qos"));
                ev->source = "qss";
        } else if (ev->type == EV_JOIN_FAILED) {
                json_t *c = json_object_get(p, "code");
                if (json_is_integer(c))
                        ev->code = json_integer_value(c);
                else if (json_is_string(c) && parse_int64(json_string_value(c), &ev->code))
                        ev->code = -1;
        }
        return 0;
}

char *Event_person_key(const Event *ev)
{
        const char *kind = *ev->registrant_id ? "r:" : *ev->pid ? "u:" : *ev->email ? "e:" : "s:";
        const char *v = *ev->registrant_id ? ev->registrant_id
                        : *ev->pid         ? ev->pid
                        : *ev->email       ? ev->email
                                           : ev->key;
        size_t n = strlen(v);
        char *k = xmalloc(n + 3);
        memcpy(k, kind, 2);
        memcpy(k + 2, v, n + 1);
        if (kind[0] == 'e')
                for (char *c = k + 2; *c; c++)
                        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        return k;
}
