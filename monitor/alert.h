/* Alert rules, levels with hysteresis, `for` and `repeat`, in event time
 * (docs/semantics.md §4). Pure: evaluates a const State at its clock. */
#ifndef CAPMON_ALERT_H
#define CAPMON_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "state.h"

typedef enum Severity { SEV_NONE = 0, SEV_WARNING = 1, SEV_CRITICAL = 2 } Severity;
typedef enum AlertStatus { AL_FIRING, AL_RESOLVED } AlertStatus;
typedef enum NotifyKind {
        NOTIFY_FIRING,
        NOTIFY_CHANGED,
        NOTIFY_REPEAT,
        NOTIFY_RESOLVED
} NotifyKind;

extern const char *const SEVERITY_NAMES[3];

typedef struct Alert {
        Rule rule;
        const char *meeting;    /* meeting uuid, or NULL */
        const char *delegation; /* delegation, source (feed) or NULL */
        AlertStatus status;
        Severity severity;               /* highest reached */
        Severity level;                  /* now */
        double value, threshold;         /* at the highest severity */
        double cur_value, cur_threshold; /* now */
        int64_t starts_at, ends_at;      /* ends_at TIME_NONE while firing */
        int64_t last_notified;
        char fingerprint[17];
        char *title; /* the meeting's topic (else its id) when it fired; NULL: none */
        char *who;   /* waiting_room on time: the longest waiter now; else NULL */
        unsigned char timed, cur_timed; /* value/threshold (cur_...) are seconds */
} Alert;

typedef void (*AlertNotifyFn)(void *ud, const Alert *a, NotifyKind kind);

typedef struct Alerts Alerts;

Alerts *Alerts_new(const Config *cfg);
void Alerts_free(Alerts *a);
void Alerts_set_notify(Alerts *a, AlertNotifyFn fn, void *ud);

/* Evaluate the rules at the state's clock, as if for every meeting: those of the
 * touched meetings (State_take_touched), and those whose time-driven conditions
 * (for, repeat, waits, failure window) fall due, from a timer queue. dirty:
 * delegations whose counts changed. */
void Alerts_evaluate(Alerts *a, const State *s, const Meeting *const *touched, size_t ntouched,
                     Delegation *const *dirty, size_t ndirty);
/* How many meeting evaluations were made so far (tests assert the work per event). */
uint64_t Alerts_meeting_evaluations(const Alerts *a);

/* A condition measured outside the core (feed, lag): level NONE clears it. */
void Alerts_external(Alerts *a, Rule rule, const char *subject, Severity level, double value,
                     double threshold, int64_t clock);

/* Resolved `feed`/`lag` instances kept per source (a flapping source): older
 * ones are dropped from the list. */
#define ALERTS_SOURCE_RESOLVED_KEEP 10

/* Every instance of the run that fired, in the order it first fired (but the
 * resolved `feed`/`lag` instances beyond ALERTS_SOURCE_RESOLVED_KEEP per source). */
size_t Alerts_count(const Alerts *a);
const Alert *Alerts_get(const Alerts *a, size_t i);
size_t Alerts_firing(const Alerts *a);

/* One line in plain words naming the meeting, for hooks and reports, e.g.
 * "Council, 4th sitting: 23 people waiting (limit 20)", or "resolved: ..." */
void Alert_summary(const Alert *al, char *buf, size_t len);
/* The same without the meeting and status (the dashboard's alerts pane). */
void Alert_describe(const Alert *al, char *buf, size_t len);
/* A human duration, whole seconds: "45 s", "2 min 13 s", "6 h 32 min", "3 d 4 h". */
void format_duration(double seconds, char *buf, size_t len);
void alert_fingerprint(Rule rule, const char *meeting, const char *deleg, char out[17]);

#endif
