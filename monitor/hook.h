/* Alert hooks (docs/hooks.md): alert notifications grouped in event time, rendered
 * as Alertmanager webhook (version 4) documents and handed to external programs on
 * their standard input.
 *
 * A Hook never blocks. Notifications only queue work; Hook_poll() starts programs,
 * feeds their stdin, drains their stderr, reaps them and kills the late ones. An
 * event loop watches Hook_fds() and wakes after Hook_timeout(); a caller without a
 * loop uses Hook_wait() / Hook_drain() (a small poll() driver). */
#ifndef CAPMON_HOOK_H
#define CAPMON_HOOK_H

#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "monitor.h"
#include "state.h"

typedef struct HookOpts {
        int timeout_ms;   /* run time of one call, then SIGKILL (default 10000) */
        int max_running;  /* calls running at once, all hooks together (default 4) */
        int max_queued;   /* calls waiting per hook; the oldest is dropped (default 32) */
        int64_t group_ms; /* notifications within this event time: one call (2000) */
        int max_group;    /* alerts per document; more start a new one (default 256) */
} HookOpts;

#define HOOK_OPTS_DEFAULT                                                                          \
        {                                                                                          \
                10000, 4, 32, 2000, 256                                                            \
        }

typedef struct HookStats {
        uint64_t notifications; /* Hook_notify calls */
        uint64_t documents;     /* groups closed */
        uint64_t started;       /* programs started */
        uint64_t failed;        /* could not start, non-zero exit or killed by a signal */
        uint64_t timed_out;     /* killed at the timeout */
        uint64_t dropped;       /* calls dropped from a full queue */
} HookStats;

/* One line for the log ("hook ...: ..."), without a final newline. */
typedef void (*HookLogFn)(void *ud, const char *line);

typedef struct Hook Hook;

/* cmds: command lines, each split into argv by hook_split_argv (no shell). opts may
 * be NULL (defaults). NULL with a message in err when a command does not split.
 * Makes the process ignore SIGPIPE (a hook that exits without reading its input
 * must not kill capmon); hooks start with default signal dispositions. */
Hook *Hook_new(char *const *cmds, size_t n, const HookOpts *opts, char *err, size_t errlen);
/* Kills (SIGKILL) and reaps programs still running; logs calls never made. */
void Hook_free(Hook *h);
/* Default: "capmon: <line>" on stderr. */
void Hook_set_log(Hook *h, HookLogFn fn, void *ud);

/* Route a monitor's alert notifications to h (Alerts_set_notify). m must outlive h,
 * or h be detached first (Alerts_set_notify(..., NULL, NULL)). */
void Hook_attach(Hook *h, Monitor *m);
/* One notification. mt labels it (meeting id and topic; may be NULL). Its time is
 * the alert's (starts_at, ends_at or last_notified: the monitor clock). */
void Hook_notify(Hook *h, const Alert *a, NotifyKind kind, const Meeting *mt);
/* The monitor clock moved to `clock` (event time): closes a group whose window ended. */
void Hook_advance(Hook *h, int64_t clock);
/* Close the open group now (end of a replay, shutdown). */
void Hook_flush(Hook *h);

/* Monotonic milliseconds: the time base of the functions below. */
int64_t Hook_now(void);
/* Do all pending work that does not block. Returns the number of calls running or
 * queued (0: idle). */
size_t Hook_poll(Hook *h, int64_t now);
/* The descriptors to watch (hook stdin pipes for POLLOUT, stderr pipes for POLLIN);
 * returns how many were written to fds (at most max). */
size_t Hook_fds(const Hook *h, struct pollfd *fds, size_t max);
/* Milliseconds until Hook_poll must run again; -1 when nothing runs. */
int Hook_timeout(const Hook *h, int64_t now);
/* poll() on the hook descriptors for at most timeout_ms, then Hook_poll. */
size_t Hook_wait(Hook *h, int timeout_ms);
/* Sleep ms of wall time while serving the hooks; the event clock is taken to run
 * from `clock` at `speed` times wall time (replay pacing). */
void Hook_sleep(Hook *h, double ms, int64_t clock, double speed);
/* Flush, then serve until every call has finished (each is bounded by the timeout). */
void Hook_drain(Hook *h);
/* Shutdown (watch stopped by a signal or q): flush, drop every call not started
 * (logged per hook), give the running ones grace_ms to finish, then kill their
 * process groups (logged). *now non-zero (a second signal, set by a handler)
 * ends the grace at once. now may be NULL. */
void Hook_stop(Hook *h, int grace_ms, const volatile sig_atomic_t *now);

const HookStats *Hook_stats(const Hook *h);

/* Split a command line into argv without a shell (docs/hooks.md): blanks separate
 * words; '...' is literal; "..." is literal but for \" and \\; a backslash outside
 * quotes takes the next character literally. No expansion of any kind. Returns argc
 * (>= 1) with a NULL-terminated *argv (free with hook_argv_free), or -1 with a
 * message in err. */
int hook_split_argv(const char *cmd, char ***argv, char *err, size_t errlen);
void hook_argv_free(char **argv);

#endif
