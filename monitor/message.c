#include "message.h"

#include <string.h>

#include "evlog.h"
#include "util.h"

static void msg_init(Msg *msg)
{
        memset(msg, 0, sizeof *msg);
        msg->recv = TIME_NONE;
        msg->at = TIME_NONE;
        msg->mid = "";
        msg->ev.time = TIME_NONE;
        msg->event_ts = TIME_NONE;
}

void Msg_from_json(json_t *root, Msg *msg)
{
        msg_init(msg);
        msg->at = record_time(root);
        msg->is_object = json_is_object(root);
        json_t *v = json_object_get(root, "seq");
        if (json_is_integer(v)) {
                msg->has_seq = 1;
                msg->seq = json_integer_value(v);
        }
        json_t *rb = json_object_get(root, "body");
        msg->is_record = json_is_object(rb) && json_is_integer(json_object_get(root, "recv"));
        msg->is_header = json_object_get(root, "capmon_log") != NULL;
        v = json_object_get(msg->is_record ? rb : root, "event_ts");
        msg->event_ts = json_is_integer(v) ? json_integer_value(v) : TIME_NONE;
        json_t *body;
        int k = Message_body(root, &body, &msg->recv, msg->err, sizeof msg->err);
        if (k < 0) {
                msg->kind = MSG_INVALID;
                return;
        }
        if (k == 0) {
                msg->kind = MSG_OTHER;
                msg->has_meeting = -1;
                return;
        }
        msg->hold = body;
        msg->mid = Event_meeting_id(body, msg->midbuf, sizeof msg->midbuf);
        msg->has_meeting = *msg->mid != '\0';
        msg->kind =
            Event_parse(body, &msg->ev, msg->err, sizeof msg->err) ? MSG_INVALID : MSG_EVENT;
}

void Msg_from_text(const char *text, size_t len, Msg *msg)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                msg_init(msg);
                msg->kind = MSG_NOT_JSON;
                xsnprintf(msg->err, sizeof msg->err, "not JSON: %s (column %d)", jerr.text,
                          jerr.column);
                return;
        }
        Msg_from_json(root, msg);
        msg->hold_root = root;
}

void Msg_done(Msg *msg)
{
        json_decref(msg->hold);
        json_decref(msg->hold_root);
        msg->hold = msg->hold_root = NULL;
}
