/* The libwebsockets-owned event loop (see loop.h).
 *
 * Two process-wide variables live here because the APIs give no user pointer: the
 * lws log sink (lws_set_log_level takes a bare function) and the write end of the
 * signal self-pipe (a signal handler takes only the signal number). */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "log.h"

#define LOOP_PROTOCOL "capmon-loop"
#define LOOP_SIGNALS  16

struct LoopFd {
        Loop *l;
        struct lws *wsi;
        int fd; /* the caller's fd (the wsi holds a duplicate) */
        LoopFdFn fn;
        void *ud;
        LoopFd *next;
};

struct LoopTimer {
        lws_sorted_usec_list_t sul; /* first: the sul callback recovers the timer */
        Loop *l;
        LoopTimerFn fn;
        void *ud;
        int pending;
        LoopTimer *next;
};

typedef struct LoopSignal {
        int signo;
        LoopSignalFn fn;
        void *ud;
        struct sigaction old;
} LoopSignal;

struct Loop {
        struct lws_context *cx;
        struct lws_vhost *vh;
        LoopFd *fds;
        LoopTimer *timers;
        LoopSignal sigs[LOOP_SIGNALS];
        size_t nsigs;
        int sig_pipe[2];
        LoopFd *sig_fd;
        int stop;
        int wrapped; /* Loop_wrap: the context is not ours */
        int own_log; /* Loop_new opened the log (logpath) */
};

static volatile sig_atomic_t sig_wfd = -1; /* self-pipe write end for handlers */

static void loop_emit(int level, const char *line)
{
        Log_lws(level, line);
}

static void loop_fd_unlink(LoopFd *f)
{
        for (LoopFd **p = &f->l->fds; *p; p = &(*p)->next) {
                if (*p == f) {
                        *p = f->next;
                        break;
                }
        }
}

static int loop_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
        (void)user;
        (void)in;
        (void)len;
        LoopFd *f;
        switch (reason) {
        case LWS_CALLBACK_RAW_RX_FILE:
                f = lws_get_opaque_user_data(wsi);
                if (f)
                        f->fn(f->ud, f->fd, LOOP_FD_READABLE);
                return 0;
        case LWS_CALLBACK_RAW_CLOSE_FILE:
                f = lws_get_opaque_user_data(wsi);
                if (f) {
                        lws_set_opaque_user_data(wsi, NULL);
                        loop_fd_unlink(f);
                        LoopFdFn fn = f->fn;
                        void *ud = f->ud;
                        int fd = f->fd;
                        free(f);
                        fn(ud, fd, LOOP_FD_CLOSED);
                }
                return 0;
        default:
                return 0;
        }
}

static const struct lws_protocols loop_protocols[] = {
    {LOOP_PROTOCOL, loop_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void set_err(char *err, size_t errlen, const char *what)
{
        if (err && errlen)
                snprintf(err, errlen, "%s: %s", what, strerror(errno));
}

Loop *Loop_new(const char *logpath, char *err, size_t errlen)
{
        Loop *l = calloc(1, sizeof *l);
        if (!l) {
                set_err(err, errlen, "event loop");
                return NULL;
        }
        l->sig_pipe[0] = l->sig_pipe[1] = -1;
        if (logpath && !Log_is_open()) {
                if (Log_open("capmon", logpath, LOG_TEXT, err, errlen)) {
                        free(l);
                        return NULL;
                }
                l->own_log = 1;
        }
        lws_set_log_level(LLL_ERR | LLL_WARN | LLL_NOTICE, loop_emit);

        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* a vhost without a listen socket */
        info.protocols = loop_protocols;
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.fd_limit_per_thread = 4096; /* not ulimit -n, which can be huge */
        l->cx = lws_create_context(&info);
        if (!l->cx) {
                if (err && errlen)
                        snprintf(err, errlen, "event loop: cannot create the lws context");
                free(l);
                return NULL;
        }
        l->vh = lws_get_vhost_by_name(l->cx, "default");
        if (!l->vh) {
                if (err && errlen)
                        snprintf(err, errlen, "event loop: no default vhost");
                lws_context_destroy(l->cx);
                free(l);
                return NULL;
        }
        return l;
}

Loop *Loop_wrap(struct lws_context *cx)
{
        Loop *l = calloc(1, sizeof *l);
        if (!l)
                return NULL;
        l->cx = cx;
        l->vh = lws_get_vhost_by_name(cx, "default");
        l->sig_pipe[0] = l->sig_pipe[1] = -1;
        l->wrapped = 1;
        return l;
}

void Loop_free(Loop *l)
{
        if (!l)
                return;
        if (l->wrapped) {
                for (LoopTimer *t = l->timers; t; t = t->next) {
                        if (t->pending)
                                lws_sul_cancel(&t->sul);
                        t->pending = 0;
                        t->l = NULL;
                }
                free(l);
                return;
        }
        for (size_t i = l->nsigs; i > 0; i--) /* reverse: a signal may be registered twice */
                sigaction(l->sigs[i - 1].signo, &l->sigs[i - 1].old, NULL);
        if (l->nsigs)
                sig_wfd = -1;
        for (LoopTimer *t = l->timers; t; t = t->next) {
                if (t->pending)
                        lws_sul_cancel(&t->sul);
                t->pending = 0;
                t->l = NULL;
        }
        while (l->fds) {
                LoopFd *f = l->fds;
                l->fds = f->next;
                lws_set_opaque_user_data(f->wsi, NULL);
                free(f);
        }
        lws_context_destroy(l->cx); /* closes the adopted duplicates */
        if (l->sig_pipe[0] >= 0)
                close(l->sig_pipe[0]);
        if (l->sig_pipe[1] >= 0)
                close(l->sig_pipe[1]);
        if (l->own_log)
                Log_close();
        lws_set_log_level(LLL_ERR, NULL);
        free(l);
}

LoopFd *Loop_add_fd(Loop *l, int fd, LoopFdFn fn, void *ud, char *err, size_t errlen)
{
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0) {
                set_err(err, errlen, "event loop: dup");
                return NULL;
        }
        LoopFd *f = calloc(1, sizeof *f);
        if (!f) {
                close(dup_fd);
                set_err(err, errlen, "event loop");
                return NULL;
        }
        f->l = l;
        f->fd = fd;
        f->fn = fn;
        f->ud = ud;
        lws_adopt_desc_t ad;
        memset(&ad, 0, sizeof ad);
        ad.vh = l->vh;
        ad.type = LWS_ADOPT_RAW_FILE_DESC;
        ad.fd.filefd = (lws_filefd_type)dup_fd;
        ad.vh_prot_name = LOOP_PROTOCOL;
        ad.opaque = f;
        f->wsi = lws_adopt_descriptor_vhost_via_info(&ad); /* closes dup_fd on failure */
        if (!f->wsi) {
                if (err && errlen)
                        snprintf(err, errlen, "event loop: cannot watch fd %d", fd);
                free(f);
                return NULL;
        }
        f->next = l->fds;
        l->fds = f;
        return f;
}

void Loop_remove_fd(LoopFd *f)
{
        if (!f)
                return;
        lws_set_opaque_user_data(f->wsi, NULL);
        lws_set_timeout(f->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        loop_fd_unlink(f);
        free(f);
}

static void loop_timer_fire(lws_sorted_usec_list_t *sul)
{
        LoopTimer *t = lws_container_of(sul, LoopTimer, sul);
        t->pending = 0;
        t->fn(t->ud);
}

LoopTimer *Loop_timer_new(Loop *l, LoopTimerFn fn, void *ud)
{
        LoopTimer *t = calloc(1, sizeof *t);
        if (!t)
                abort();
        t->l = l;
        t->fn = fn;
        t->ud = ud;
        t->next = l->timers;
        l->timers = t;
        return t;
}

void Loop_timer_start(LoopTimer *t, int64_t delay_us)
{
        if (!t->l)
                return;
        if (delay_us < 0)
                delay_us = 0;
        t->pending = 1;
        lws_sul_schedule(t->l->cx, 0, &t->sul, loop_timer_fire, (lws_usec_t)delay_us);
}

void Loop_timer_stop(LoopTimer *t)
{
        if (t->pending && t->l)
                lws_sul_cancel(&t->sul);
        t->pending = 0;
}

int Loop_timer_pending(const LoopTimer *t)
{
        return t->pending;
}

void Loop_timer_free(LoopTimer *t)
{
        if (!t)
                return;
        if (t->l) {
                Loop_timer_stop(t);
                for (LoopTimer **p = &t->l->timers; *p; p = &(*p)->next) {
                        if (*p == t) {
                                *p = t->next;
                                break;
                        }
                }
        }
        free(t);
}

static void loop_sig_handler(int signo)
{
        int saved = errno;
        unsigned char b = (unsigned char)signo;
        int fd = sig_wfd;
        if (fd >= 0 && write(fd, &b, 1) < 0) {
                /* pipe full: the signal is already pending there */
        }
        errno = saved;
}

static void loop_sig_read(void *ud, int fd, LoopFdEvent ev)
{
        Loop *l = ud;
        if (ev == LOOP_FD_CLOSED) {
                l->sig_fd = NULL;
                return;
        }
        unsigned char buf[64];
        ssize_t n = read(fd, buf, sizeof buf);
        for (ssize_t i = 0; i < n; i++) {
                for (size_t k = 0; k < l->nsigs; k++) {
                        if (l->sigs[k].signo == buf[i])
                                l->sigs[k].fn(l->sigs[k].ud, buf[i]);
                }
        }
}

int Loop_on_signal(Loop *l, int signo, LoopSignalFn fn, void *ud)
{
        if (l->nsigs >= LOOP_SIGNALS || signo <= 0 || signo > 255) {
                errno = EINVAL;
                return -1;
        }
        if (l->sig_pipe[0] < 0) {
                if (pipe(l->sig_pipe) < 0)
                        return -1;
                for (int i = 0; i < 2; i++) {
                        fcntl(l->sig_pipe[i], F_SETFD, FD_CLOEXEC);
                        fcntl(l->sig_pipe[i], F_SETFL, fcntl(l->sig_pipe[i], F_GETFL) | O_NONBLOCK);
                }
                l->sig_fd = Loop_add_fd(l, l->sig_pipe[0], loop_sig_read, l, NULL, 0);
                if (!l->sig_fd)
                        return -1;
                sig_wfd = l->sig_pipe[1];
        }
        LoopSignal *s = &l->sigs[l->nsigs];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = loop_sig_handler;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        if (sigaction(signo, &sa, &s->old) < 0)
                return -1;
        s->signo = signo;
        s->fn = fn;
        s->ud = ud;
        l->nsigs++;
        return 0;
}

int Loop_run(Loop *l)
{
        l->stop = 0;
        while (!l->stop) {
                if (lws_service(l->cx, 0) < 0)
                        return -1;
        }
        return 0;
}

void Loop_stop(Loop *l)
{
        l->stop = 1;
        lws_cancel_service(l->cx);
}

int64_t Loop_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct lws_context *Loop_lws(Loop *l)
{
        return l->cx;
}

struct lws_vhost *Loop_vhost(Loop *l)
{
        return l->vh;
}
