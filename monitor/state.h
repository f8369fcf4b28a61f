/* Exact meeting state built from events (docs/semantics.md). The structures
 * below are read-only for everything but state.c: the dashboard and the alert
 * engine get `const State *`. */
#ifndef CAPMON_STATE_H
#define CAPMON_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "history.h"
#include "hmap.h"

struct Resolver;
struct Config;

typedef enum Outcome {
        OUT_APPLIED,
        OUT_DUPLICATE,
        OUT_STALE,
        OUT_ORPHAN,
        OUT_IGNORED,
        OUT_INVALID,
        OUT_COUNT,
        OUT_NONE = OUT_COUNT, /* not an event (header, heartbeat, blank line) */
        OUT_HELD,             /* a video fact waiting for its session's join: counted
                                 later, as applied or orphan (docs/semantics.md §3) */
} Outcome;

extern const char *const OUTCOME_NAMES[OUT_COUNT];

typedef struct Counters {
        uint64_t received;
        uint64_t n[OUT_COUNT];
        uint64_t clamped; /* records whose event time was too far ahead of recv */
} Counters;

/* Sizes of what the state holds, for tests and benchmarks. */
typedef struct StateFootprint {
        size_t meetings, retired; /* retired: ended meetings kept as a summary only */
        size_t forgotten;         /* ended meetings dropped from the state */
        size_t sessions, waits, persons;
        size_t duplicates; /* entries in the duplicate set */
} StateFootprint;

struct Meeting;

typedef struct Delegation {
        const char *name; /* interned */
        const struct Meeting *meeting;
        int participants;
        int video_on;
        int peak;
        int quota; /* -1: none */
        int dirty; /* participants changed since State_take_dirty */
        /* the latest change of participants or videos (the dashboard's highlight):
         * monitor clock after the event that made it (TIME_NONE: never), and its
         * direction, 1 up or -1 down (participants decide, else videos) */
        int64_t changed_at;
        int change;
        int seen_participants, seen_video; /* the counts as of changed_at */
} Delegation;

typedef struct Meeting Meeting;

typedef struct JoinFailure {
        int64_t time;
        const Meeting *meeting;
        char *name;
        const char *delegation;
        char *reason;
        char *detail; /* may be NULL */
        int cancelled;
} JoinFailure;

struct MeetingPriv;

struct Meeting {
        char *uuid;  /* instance key */
        char *id;    /* may be NULL */
        char *topic; /* may be NULL */
        /* the meeting's time zone as Zoom names it ("Europe/Zurich"): the last one
         * an event carried that tz_name_valid accepts; NULL: none */
        char *timezone;
        int ended;
        int64_t started_at, ended_at; /* TIME_NONE when unset */
        int capacity, video_limit;
        int participants, people, waiting, video_on, video_known;
        int peak_participants, peak_video_on;
        int64_t peak_at;
        int unidentified, join_failures;
        const char *video_source; /* static: "rtms", "qss", "qos", "portal"; NULL: none */
        int video_estimate;       /* video_source is an estimate (qos, qss) */
        int64_t video_since;      /* partial picture: changes known since; else TIME_NONE */
        Delegation **delegations; /* sorted by name */
        size_t ndelegations;
        int64_t oldest_wait_since; /* TIME_NONE when nobody waits (see State_oldest_wait) */
        /* the last capmon.reconcile applied (docs/semantics.md §3.8) */
        int64_t reconciled_at;                  /* its fetch start; TIME_NONE before the first */
        int reconcile_opened, reconcile_closed; /* what it corrected */
        int reconciles;                         /* how many were applied */
        int64_t last_event; /* event time of its latest record applied; 0 before */
        size_t index;       /* position in State_meeting order (never changes) */
        History history;    /* the last 30 minutes of participants and videos */
        int retired;        /* ended long ago: summary and failure times only */
        struct MeetingPriv *priv;
};

typedef struct State State;

State *State_new(struct Resolver *r, const struct Config *cfg);
void State_free(State *s);

/* Apply one parsed event (docs/semantics.md §3). ev->time must be set. An event
 * time more than state.max_clock_ahead after ev->recv is counted in `clamped` and
 * taken as recv + max_clock_ahead (docs/semantics.md, Clock). */
Outcome State_apply(State *s, const Event *ev);
/* Count a record outcome decided outside State_apply (ignored, invalid). */
void State_count(State *s, Outcome o);
/* Delegations whose counts changed since the last call (for the quota rule);
 * the list is valid until the next State_apply. */
Delegation *const *State_take_dirty(State *s, size_t *n);
/* Meetings touched since the last call (their counts, limits or identity may have
 * changed); valid until the next State_apply. */
const Meeting *const *State_take_touched(State *s, size_t *n);
/* Advance the clock (never backwards); forgets old duplicates and retires ended
 * meetings whose time has come. */
void State_advance(State *s, int64_t t);
/* The input ended: video facts still waiting for their session count as orphans. */
void State_finish(State *s);
void State_footprint(const State *s, StateFootprint *f);

int64_t State_clock(const State *s); /* TIME_NONE before any event */
const Counters *State_counters(const State *s);
size_t State_meeting_count(const State *s);
const Meeting *State_meeting(const State *s, size_t i);
const Meeting *State_find_meeting(const State *s, const char *uuid);
size_t State_failure_count(const State *s); /* including cancelled ones */
const JoinFailure *State_failure(const State *s, size_t i);
/* Since when the longest-waiting open entry waits; TIME_NONE if none. */
int64_t State_oldest_wait(const State *s, const Meeting *m);
/* Failures of m with time > since (not cancelled). */
int State_failures_since(const State *s, const Meeting *m, int64_t since);
/* Time of the oldest of those failures, TIME_NONE if none. */
int64_t State_first_failure_after(const State *s, const Meeting *m, int64_t since);
const Delegation *Meeting_delegation(const Meeting *m, const char *name);

/* A counting session with video on (the `v` panel). Strings are the state's. */
typedef struct VideoOn {
        const char *key, *name, *delegation;
        int64_t since; /* when its video turned on (event time) */
} VideoOn;
/* The counting sessions of m with video on, sorted by since then key; writes at
 * most max and returns how many there are. */
size_t State_video_on(const State *s, const Meeting *m, VideoOn *out, size_t max);

/* One person the operator may act on: a counting session, or an open
 * waiting-room entry. Strings belong to the state (valid until the next apply). */
typedef struct PersonInfo {
        const char *name;       /* sanitised display name */
        const char *delegation; /* canonical delegation */
        int64_t since;          /* joined, or started waiting */
        int video;              /* video on (sessions) */
        const char *role;       /* "" when none (sessions) */
} PersonInfo;

typedef enum PeopleKind { PEOPLE_IN, PEOPLE_WAITING } PeopleKind;
typedef void (*PersonFn)(void *ud, const PersonInfo *p);

/* Call fn for every counting session (PEOPLE_IN) or open waiting-room entry
 * (PEOPLE_WAITING) of m, in no particular order. */
void Meeting_each_person(const Meeting *m, PeopleKind kind, PersonFn fn, void *ud);
/* The longest-waiting open entry's name (and delegation), or NULL when none. */
const char *State_oldest_waiter(const State *s, const Meeting *m, const char **delegation);

#endif
