/* One Zoom or capmon event, parsed out of its JSON body (fields borrowed). */
#ifndef CAPMON_EVENT_H
#define CAPMON_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum EventType {
        EV_UNKNOWN = 0,
        EV_STARTED,
        EV_ENDED,
        EV_ALERT,
        EV_RECONCILE,  /* capmon.reconcile: Zoom's live list (not a participant event) */
        EV_VIDEO_SYNC, /* capmon.video_sync: a video source's picture starts or is whole */
        EV_JOINED,
        EV_LEFT,
        EV_WR_JOINED,
        EV_WR_LEFT,
        EV_ADMITTED,
        EV_PUT_IN_WR,
        EV_JBH_WAITING,
        EV_JBH_WAITING_LEFT,
        EV_JBH_JOINED,
        EV_ROLE,
        EV_BIND,
        EV_BO_JOINED,
        EV_BO_LEFT,
        EV_QOS,
        EV_VIDEO,
        EV_JOIN_FAILED,
} EventType;

/* The type of an event name ("meeting.participant_joined", "webinar.…",
 * "capmon.…"); EV_UNKNOWN for any other. One table for both parsers. */
EventType Event_type(const char *name);

typedef struct Event {
        EventType type;
        const char *name;    /* full event name, e.g. "meeting.participant_joined" */
        int64_t time;        /* event time, ms; TIME_NONE when the event gives none */
        const char *meeting; /* instance key: uuid, else id */
        const char *uuid, *id, *topic, *timezone;
        /* participant events */
        const char *key; /* session key */
        const char *user_id, *user_name, *email, *registrant_id, *pid, *phone;
        const char *leave_reason, *new_role, *bind_user_id, *reason;
        int video; /* capmon.participant_video: 1 on, 0 off */
        /* capmon.participant_video / capmon.video_sync: where the fact comes from
         * ("rtms", "qos", "portal"; "qss" for participant_qos); static text */
        const char *source;
        int full;         /* capmon.video_sync: the list below is the whole picture */
        json_t *video_on; /* capmon.video_sync: user ids with video on (borrowed) */
        int qos_video;    /* participant_qos: -1 no video_input entry, else 0/1 */
        int64_t code;     /* capmon.participant_join_failed code, or -1 */
        json_t *rows;     /* capmon.reconcile: payload.object.participants (borrowed), or */
        /* its rows read by the fast path (message.h; then rows is NULL): those of
         * people who left skipped, each as Event_reconcile_row gives it */
        const struct Event *recon;
        size_t nrecon;
        int64_t recv;   /* arrival time of the record (epoch ms), TIME_NONE if unknown */
        char idbuf[32]; /* text of a numeric meeting id */
        char pidbuf[32];
} Event;

/* Parse a Zoom event body. Returns 0 with *ev filled (ev->type == EV_UNKNOWN for an
 * event name capmon does not use), or -1 with a reason in err when the body is not
 * an event or lacks what its event needs. ev's strings point into body. */
int Event_parse(json_t *body, Event *ev, char *err, size_t errlen);

/* Where a row of a capmon.reconcile list stands. */
typedef enum RowStatus { ROW_LEFT, ROW_IN_MEETING, ROW_WAITING } RowStatus;

/* One row of a capmon.reconcile list (an element of ev->rows, validated by
 * Event_parse) read as the participant of a join: key, user_id, user_name,
 * pid, email, registrant_id, phone; time = its join_time (TIME_NONE when
 * absent). Returns where the row stands, or -1 (with err) for a row that is
 * not an object, has no session key or an unknown status. */
int Event_reconcile_row(json_t *row, Event *out, char *err, size_t errlen);

/* The meeting id of an event body: payload.object.id, a string, or a number as
 * its decimal text (written to numbuf); "" when absent. Read the way Event_parse
 * reads it. */
const char *Event_meeting_id(json_t *body, char *numbuf, size_t numlen);

/* 1 for events about one participant (they need a session key). */
int Event_is_participant(EventType t);

/* The person key of docs/semantics.md section 2 ("r:" registrant id, "u:"
 * participant uuid, "e:" lowercased email, else "s:" session key), whole
 * whatever its length (distinct long ids never merge). malloc'd. */
char *Event_person_key(const Event *ev);

#endif
