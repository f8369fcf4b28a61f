/* The event loop, owned by libwebsockets (Debian's lws 4.1 has no external poll):
 * file descriptors are adopted into it, timers are lws_sul, signals arrive through
 * a self-pipe. Single-threaded: every callback runs on the loop. lws log lines go
 * to a log file (or nowhere), never to the terminal. */
#ifndef CAPMON_LOOP_H
#define CAPMON_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct lws_context;
struct lws_vhost;

typedef struct Loop Loop;
typedef struct LoopFd LoopFd;
typedef struct LoopTimer LoopTimer;

typedef enum LoopFdEvent {
        LOOP_FD_READABLE, /* read from the fd now */
        LOOP_FD_CLOSED,   /* hung up or failed: the LoopFd is gone after this call */
} LoopFdEvent;

typedef void (*LoopFdFn)(void *ud, int fd, LoopFdEvent ev);
typedef void (*LoopTimerFn)(void *ud);
typedef void (*LoopSignalFn)(void *ud, int signo);

/* lws log lines go to capmon's log (log.h) when one is open; otherwise, with a
 * logpath, the loop opens one there for its life (appended); else they are
 * dropped. NULL with a message in err on failure. */
Loop *Loop_new(const char *logpath, char *err, size_t errlen);
/* A Loop over a context someone else owns and services (the relay's): timers
 * and client connections only (no fds, no signals, no Loop_run); Loop_free
 * leaves the context alone. NULL on failure. */
Loop *Loop_wrap(struct lws_context *cx);
/* Removes every fd, timer and signal handler it still holds. NULL-safe. */
void Loop_free(Loop *l);

/* Watch fd for input. The loop adopts a duplicate, so fd stays the caller's (to
 * read from, and to close). NULL with a message in err on failure. */
LoopFd *Loop_add_fd(Loop *l, int fd, LoopFdFn fn, void *ud, char *err, size_t errlen);
/* Stop watching (never called back again). NULL-safe. */
void Loop_remove_fd(LoopFd *f);

LoopTimer *Loop_timer_new(Loop *l, LoopTimerFn fn, void *ud);
/* (Re)start: fn runs once, after delay_us microseconds (0: on the next turn). */
void Loop_timer_start(LoopTimer *t, int64_t delay_us);
void Loop_timer_stop(LoopTimer *t);
int Loop_timer_pending(const LoopTimer *t);
void Loop_timer_free(LoopTimer *t); /* NULL-safe */

/* Deliver signo to fn on the loop (not in signal context). The previous
 * disposition is restored by Loop_free. 0, or -1 (errno). */
int Loop_on_signal(Loop *l, int signo, LoopSignalFn fn, void *ud);

/* Serve until Loop_stop (0) or an lws failure (-1). */
int Loop_run(Loop *l);
void Loop_stop(Loop *l);

/* Monotonic time, microseconds. */
int64_t Loop_now_us(void);

/* For network sources: the lws context and its default (non-listening) vhost. */
struct lws_context *Loop_lws(Loop *l);
struct lws_vhost *Loop_vhost(Loop *l);

#endif
