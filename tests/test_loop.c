/* The lws-owned event loop: timers, adopted fds, signals through the self-pipe. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "tap.h"

typedef struct Ctx {
        Loop *l;
        int fired, reads, closed, signals, order[8], norder;
        int64_t t_start, t_fired;
        char got[64];
        size_t ngot;
        LoopTimer *stopper;
} Ctx;

static void on_timer(void *ud)
{
        Ctx *c = ud;
        c->fired++;
        c->t_fired = Loop_now_us();
}

static void on_a(void *ud)
{
        Ctx *c = ud;
        c->order[c->norder++] = 'a';
}

static void on_b(void *ud)
{
        Ctx *c = ud;
        c->order[c->norder++] = 'b';
}

static void on_stop(void *ud)
{
        Ctx *c = ud;
        Loop_stop(c->l);
}

static void on_fd(void *ud, int fd, LoopFdEvent ev)
{
        Ctx *c = ud;
        if (ev == LOOP_FD_CLOSED) {
                c->closed++;
                return;
        }
        ssize_t n = read(fd, c->got + c->ngot, sizeof c->got - 1 - c->ngot);
        if (n > 0) {
                c->ngot += (size_t)n;
                c->reads++;
        }
}

static void on_signal(void *ud, int signo)
{
        Ctx *c = ud;
        if (signo == SIGUSR1)
                c->signals++;
}

static void raise_usr1(void *ud)
{
        (void)ud;
        raise(SIGUSR1);
}

int main(void)
{
        char err[256];
        Ctx c;
        memset(&c, 0, sizeof c);
        c.l = Loop_new(NULL, err, sizeof err);
        ok(c.l != NULL, "Loop_new");
        if (!c.l)
                return done_testing();

        /* a timer fires once, not before its delay */
        LoopTimer *t = Loop_timer_new(c.l, on_timer, &c);
        LoopTimer *stop = Loop_timer_new(c.l, on_stop, &c);
        c.t_start = Loop_now_us();
        Loop_timer_start(t, 30000);
        ok(Loop_timer_pending(t), "timer pending after start");
        Loop_timer_start(stop, 120000);
        is_int(Loop_run(c.l), 0, "run until stopped");
        is_int(c.fired, 1, "timer fired once");
        ok(c.t_fired - c.t_start >= 30000, "not before its delay (%lld us)",
           (long long)(c.t_fired - c.t_start));
        ok(!Loop_timer_pending(t), "not pending after firing");

        /* a stopped timer never fires; a restarted one moves */
        c.fired = 0;
        Loop_timer_start(t, 10000);
        Loop_timer_stop(t);
        Loop_timer_start(stop, 50000);
        Loop_run(c.l);
        is_int(c.fired, 0, "stopped timer does not fire");

        /* timers fire in deadline order */
        LoopTimer *a = Loop_timer_new(c.l, on_a, &c), *b = Loop_timer_new(c.l, on_b, &c);
        Loop_timer_start(b, 20000);
        Loop_timer_start(a, 10000);
        Loop_timer_start(stop, 60000);
        Loop_run(c.l);
        ok(c.norder == 2 && c.order[0] == 'a' && c.order[1] == 'b', "timers fire by deadline");

        /* an fd: readable data, then hang-up */
        int p[2];
        if (pipe(p) != 0)
                return 1;
        LoopFd *f = Loop_add_fd(c.l, p[0], on_fd, &c, err, sizeof err);
        ok(f != NULL, "Loop_add_fd");
        if (write(p[1], "hello", 5) != 5)
                return 1;
        Loop_timer_start(stop, 50000);
        Loop_run(c.l);
        is_str(c.got, "hello", "data read from the watched fd");
        ok(fcntl(p[0], F_GETFD) != -1, "caller's fd still open");
        Loop_remove_fd(f);
        if (write(p[1], "x", 1) != 1)
                return 1;
        c.reads = 0;
        Loop_timer_start(stop, 30000);
        Loop_run(c.l);
        is_int(c.reads, 0, "removed fd: no more callbacks");
        is_int(c.closed, 0, "removed fd: no close callback");

        /* signals arrive on the loop */
        ok(Loop_on_signal(c.l, SIGUSR1, on_signal, &c) == 0, "Loop_on_signal");
        LoopTimer *r = Loop_timer_new(c.l, raise_usr1, &c);
        Loop_timer_start(r, 1000);
        Loop_timer_start(stop, 50000);
        Loop_run(c.l);
        is_int(c.signals, 1, "SIGUSR1 delivered through the self-pipe");

        Loop_timer_free(t);
        Loop_timer_free(a);
        Loop_timer_free(b);
        Loop_timer_free(r);
        Loop_timer_free(stop);
        Loop_free(c.l);
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        ok(sa.sa_handler == SIG_DFL, "Loop_free restores the signal disposition");
        close(p[0]);
        close(p[1]);
        return done_testing();
}
