/* Alert hooks: grouping, Alertmanager v4 documents, bounded non-blocking runner. */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID, posix_spawn_file_actions_addclosefrom_np */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

#define ERR_KEEP  480 /* bytes of a hook's stderr kept for the log */
#define MAX_HOOKS 64

/* One alert instance as notified: a copy, so the document does not depend on the
 * monitor's later state. Identity in a group: fingerprint + starts_at. */
typedef struct Entry {
        char fp[17];
        int64_t starts_at, ends_at;
        int firing;
        Rule rule;
        Severity severity;
        double value, threshold;
        char *meeting_uuid, *meeting_id, *topic, *subject, *summary;
} Entry;

typedef struct Group {
        Entry *e;
        size_t n, cap;
        int64_t opened; /* event time of the first notification */
} Group;

/* One document waiting for (or in) a run of one hook. Shared by every hook's queue. */
typedef struct Doc {
        int refs;
        char *text;
        size_t len;
        size_t nalerts;
        char *env[7]; /* CAPMON_* assignments */
        int64_t time; /* event time of the group */
} Doc;

typedef struct Proc {
        pid_t pid; /* 0: slot free */
        Doc *doc;
        int in_fd, err_fd;
        size_t off;
        int64_t started, deadline;
        int killed, reaped, status;
        char err[ERR_KEEP + 1];
        size_t errlen;
} Proc;

typedef struct HookCmd {
        char *line; /* as configured, for the log */
        char **argv;
        Doc **q; /* ring of max_queued */
        size_t qhead, qlen;
        Proc proc; /* calls of one hook run one at a time, in order */
} HookCmd;

struct Hook {
        HookOpts o;
        HookCmd *cmds;
        size_t ncmds;
        Group g;
        int group_open;
        size_t running;
        size_t rr; /* round-robin start position */
        Monitor *mon;
        HookLogFn log;
        void *log_ud;
        HookStats st;
};

/* ---- argv splitting ---- */

void hook_argv_free(char **argv)
{
        if (!argv)
                return;
        for (char **p = argv; *p; p++)
                free(*p);
        free(argv);
}

int hook_split_argv(const char *cmd, char ***out, char *err, size_t errlen)
{
        size_t n = 0, cap = 4, len = strlen(cmd);
        char **argv = xcalloc(cap, sizeof *argv);
        char *word = xmalloc(len + 1);
        const char *p = cmd;
        *out = NULL;
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                        p++;
                if (!*p)
                        break;
                size_t w = 0;
                while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
                        if (*p == '\'') {
                                const char *end = strchr(p + 1, '\'');
                                if (!end) {
                                        xsnprintf(err, errlen, "unterminated ' in hook \"%s\"",
                                                  cmd);
                                        goto fail;
                                }
                                memcpy(word + w, p + 1, (size_t)(end - p - 1));
                                w += (size_t)(end - p - 1);
                                p = end + 1;
                        } else if (*p == '"') {
                                p++;
                                while (*p && *p != '"') {
                                        if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                                                p++;
                                        word[w++] = *p++;
                                }
                                if (!*p) {
                                        xsnprintf(err, errlen, "unterminated \" in hook \"%s\"",
                                                  cmd);
                                        goto fail;
                                }
                                p++;
                        } else if (*p == '\\') {
                                if (!p[1]) {
                                        xsnprintf(err, errlen,
                                                  "hook \"%s\" ends with a lone backslash", cmd);
                                        goto fail;
                                }
                                word[w++] = p[1];
                                p += 2;
                        } else {
                                word[w++] = *p++;
                        }
                }
                if (n + 2 > cap) {
                        cap *= 2;
                        argv = xrealloc(argv, cap * sizeof *argv);
                }
                argv[n++] = xstrndup(word, w);
                argv[n] = NULL;
        }
        free(word);
        if (n == 0) {
                xsnprintf(err, errlen, "empty hook command");
                hook_argv_free(argv);
                return -1;
        }
        *out = argv;
        return (int)n;
fail:
        free(word);
        hook_argv_free(argv);
        return -1;
}

/* ---- lifecycle ---- */

static void hook_log(Hook *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void hook_log(Hook *h, const char *fmt, ...)
{
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        if (h->log)
                h->log(h->log_ud, line);
        else
                fprintf(stderr, "capmon: %s\n", line);
}

Hook *Hook_new(char *const *cmds, size_t n, const HookOpts *opts, char *err, size_t errlen)
{
        static const HookOpts defaults = HOOK_OPTS_DEFAULT;
        if (n == 0 || n > MAX_HOOKS) {
                xsnprintf(err, errlen, "%s",
                          n ? "too many hooks (at most 64)"
                            : "no hook given (--hook CMD, or \"hooks\" in the configuration)");
                return NULL;
        }
        Hook *h = xcalloc(1, sizeof *h);
        h->o = opts ? *opts : defaults;
        if (h->o.timeout_ms <= 0)
                h->o.timeout_ms = defaults.timeout_ms;
        if (h->o.max_running <= 0)
                h->o.max_running = defaults.max_running;
        if (h->o.max_queued <= 0)
                h->o.max_queued = defaults.max_queued;
        if (h->o.group_ms < 0)
                h->o.group_ms = defaults.group_ms;
        if (h->o.max_group <= 0)
                h->o.max_group = defaults.max_group;
        h->cmds = xcalloc(n, sizeof *h->cmds);
        h->ncmds = n;
        for (size_t i = 0; i < n; i++) {
                HookCmd *c = &h->cmds[i];
                c->line = xstrdup(cmds[i]);
                c->q = xcalloc((size_t)h->o.max_queued, sizeof *c->q);
                c->proc.in_fd = c->proc.err_fd = -1;
                if (hook_split_argv(cmds[i], &c->argv, err, errlen) < 0) {
                        Hook_free(h);
                        return NULL;
                }
        }
        /* Writing to the stdin of a hook that exited must be an EPIPE, not a death. */
        struct sigaction sa;
        if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
                sa.sa_handler = SIG_IGN;
                sigaction(SIGPIPE, &sa, NULL);
        }
        return h;
}

static void entry_done(Entry *e)
{
        free(e->meeting_uuid);
        free(e->meeting_id);
        free(e->topic);
        free(e->subject);
        free(e->summary);
}

static void group_clear(Group *g)
{
        for (size_t i = 0; i < g->n; i++)
                entry_done(&g->e[i]);
        g->n = 0;
}

static void doc_unref(Doc *d)
{
        if (!d || --d->refs > 0)
                return;
        free(d->text);
        for (size_t i = 0; i < sizeof d->env / sizeof d->env[0]; i++)
                free(d->env[i]);
        free(d);
}

static void proc_close(Proc *p)
{
        if (p->in_fd >= 0)
                close(p->in_fd);
        if (p->err_fd >= 0)
                close(p->err_fd);
        p->in_fd = p->err_fd = -1;
        doc_unref(p->doc);
        p->doc = NULL;
        p->pid = 0;
}

void Hook_free(Hook *h)
{
        if (!h)
                return;
        size_t lost = 0;
        for (size_t i = 0; i < h->ncmds; i++) {
                HookCmd *c = &h->cmds[i];
                if (c->proc.pid > 0) {
                        if (!c->proc.reaped) {
                                kill(-c->proc.pid, SIGKILL);
                                kill(c->proc.pid, SIGKILL);
                                while (waitpid(c->proc.pid, NULL, 0) < 0 && errno == EINTR)
                                        ;
                        }
                        hook_log(h, "hook \"%s\": killed at exit", c->line);
                        proc_close(&c->proc);
                }
                for (size_t k = 0; k < c->qlen; k++)
                        doc_unref(c->q[(c->qhead + k) % (size_t)h->o.max_queued]);
                lost += c->qlen;
                free(c->q);
                hook_argv_free(c->argv);
                free(c->line);
        }
        if (lost)
                hook_log(h, "hook: %zu queued calls not made at exit", lost);
        group_clear(&h->g);
        free(h->g.e);
        free(h->cmds);
        free(h);
}

void Hook_set_log(Hook *h, HookLogFn fn, void *ud)
{
        h->log = fn;
        h->log_ud = ud;
}

const HookStats *Hook_stats(const Hook *h)
{
        return &h->st;
}

int64_t Hook_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- documents ---- */

static const char ZERO_TIME[] = "0001-01-01T00:00:00Z"; /* Alertmanager: "not ended" */

static json_t *jtime(int64_t t)
{
        char buf[40];
        if (t == TIME_NONE)
                return json_string(ZERO_TIME);
        time_format(t, buf, sizeof buf);
        return json_string(buf);
}

static json_t *jnumtext(double v)
{
        char buf[64];
        if (v == floor(v) && fabs(v) < 9e15)
                xsnprintf(buf, sizeof buf, "%lld", (long long)v);
        else
                xsnprintf(buf, sizeof buf, "%.3f", v);
        return json_string(buf);
}

static json_t *entry_labels(const Entry *e)
{
        json_t *l = json_object();
        json_object_set_new(l, "alertname", json_string(RULE_NAMES[e->rule]));
        json_object_set_new(l, "severity", json_string(SEVERITY_NAMES[e->severity]));
        if (e->meeting_uuid) {
                json_object_set_new(l, "meeting_id",
                                    json_string(e->meeting_id ? e->meeting_id : e->meeting_uuid));
                json_object_set_new(l, "meeting_uuid", json_string(e->meeting_uuid));
        }
        if (e->topic)
                json_object_set_new(l, "meeting_topic", json_string(e->topic));
        if (e->subject) {
                int src = e->rule == RULE_FEED || e->rule == RULE_LAG;
                json_object_set_new(l, src ? "source" : "delegation", json_string(e->subject));
        }
        return l;
}

static json_t *entry_json(const Entry *e)
{
        json_t *a = json_object();
        json_object_set_new(a, "status", json_string(e->firing ? "firing" : "resolved"));
        json_object_set_new(a, "labels", entry_labels(e));
        json_t *an = json_object();
        json_object_set_new(an, "summary", json_string(e->summary));
        json_object_set_new(an, "value", jnumtext(e->value));
        json_object_set_new(an, "threshold", jnumtext(e->threshold));
        json_object_set_new(a, "annotations", an);
        json_object_set_new(a, "startsAt", jtime(e->starts_at));
        json_object_set_new(a, "endsAt", jtime(e->firing ? TIME_NONE : e->ends_at));
        json_object_set_new(a, "generatorURL", json_string(""));
        json_object_set_new(a, "fingerprint", json_string(e->fp));
        return a;
}

/* Key/value pairs of `key` that every alert shares. */
static json_t *common(json_t *alerts, const char *key)
{
        json_t *first = json_object_get(json_array_get(alerts, 0), key);
        json_t *c = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(first, k, v)
        {
                int all = 1;
                for (size_t i = 1; i < json_array_size(alerts) && all; i++) {
                        json_t *o = json_object_get(json_array_get(alerts, i), key);
                        all = json_equal(json_object_get(o, k), v);
                }
                if (all)
                        json_object_set(c, k, v);
        }
        return c;
}

static char *env_pair(const char *name, const char *value)
{
        size_t n = strlen(name) + strlen(value) + 2;
        char *s = xmalloc(n);
        xsnprintf(s, n, "%s=%s", name, value);
        return s;
}

/* The closed group as one document, with its CAPMON_* environment. */
static Doc *doc_make(const Group *g)
{
        json_t *alerts = json_array();
        size_t lead = 0;
        int any_firing = 0;
        for (size_t i = 0; i < g->n; i++) {
                const Entry *e = &g->e[i];
                json_array_append_new(alerts, entry_json(e));
                /* the lead: the first firing alert of the highest severity */
                const Entry *l = &g->e[lead];
                if (e->firing && (!l->firing || e->severity > l->severity))
                        lead = i;
                any_firing |= e->firing;
        }
        const char *status = any_firing ? "firing" : "resolved";
        json_t *d = json_object();
        json_object_set_new(d, "version", json_string("4"));
        json_object_set_new(d, "groupKey", json_string("{}:{}"));
        json_object_set_new(d, "truncatedAlerts", json_integer(0));
        json_object_set_new(d, "status", json_string(status));
        json_object_set_new(d, "receiver", json_string("capmon"));
        json_object_set_new(d, "groupLabels", json_object());
        json_object_set_new(d, "commonLabels", common(alerts, "labels"));
        json_object_set_new(d, "commonAnnotations", common(alerts, "annotations"));
        json_object_set_new(d, "externalURL", json_string(""));
        json_object_set_new(d, "alerts", alerts);
        Doc *doc = xcalloc(1, sizeof *doc);
        doc->text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(d);
        doc->len = strlen(doc->text);
        doc->nalerts = g->n;
        doc->time = g->opened;
        const Entry *l = &g->e[lead];
        char summary[CAPMON_TEXT_MAX * 2], count[32];
        if (g->n > 1)
                xsnprintf(summary, sizeof summary, "%s (and %zu more)", l->summary, g->n - 1);
        else
                xsnprintf(summary, sizeof summary, "%s", l->summary);
        xsnprintf(count, sizeof count, "%zu", g->n);
        doc->env[0] = env_pair("CAPMON_STATUS", status);
        doc->env[1] = env_pair("CAPMON_ALERTNAME", RULE_NAMES[l->rule]);
        doc->env[2] = env_pair("CAPMON_SEVERITY", SEVERITY_NAMES[l->severity]);
        doc->env[3] = env_pair("CAPMON_SUMMARY", summary);
        doc->env[4] = env_pair("CAPMON_FINGERPRINT", l->fp);
        doc->env[5] = env_pair("CAPMON_ALERTS", count);
        doc->env[6] = NULL;
        return doc;
}

static void enqueue(Hook *h, HookCmd *c, Doc *d)
{
        size_t cap = (size_t)h->o.max_queued;
        if (c->qlen == cap) {
                Doc *old = c->q[c->qhead];
                char t[40];
                time_format(old->time, t, sizeof t);
                hook_log(h,
                         "hook \"%s\": queue full (%zu calls): dropped the oldest, %zu alert%s "
                         "of %s",
                         c->line, cap, old->nalerts, old->nalerts == 1 ? "" : "s", t);
                doc_unref(old);
                c->qhead = (c->qhead + 1) % cap;
                c->qlen--;
                h->st.dropped++;
        }
        d->refs++;
        c->q[(c->qhead + c->qlen) % cap] = d;
        c->qlen++;
}

static void group_close(Hook *h)
{
        if (!h->group_open)
                return;
        h->group_open = 0;
        if (h->g.n == 0)
                return;
        Doc *d = doc_make(&h->g);
        h->st.documents++;
        d->refs = 1;
        for (size_t i = 0; i < h->ncmds; i++)
                enqueue(h, &h->cmds[i], d);
        doc_unref(d);
        group_clear(&h->g);
}

void Hook_advance(Hook *h, int64_t clock)
{
        if (h->group_open && clock != TIME_NONE && clock - h->g.opened >= h->o.group_ms)
                group_close(h);
}

void Hook_flush(Hook *h)
{
        group_close(h);
}

static char *dup_or_null(const char *s)
{
        return s && *s ? xstrdup(s) : NULL;
}

void Hook_notify(Hook *h, const Alert *a, NotifyKind kind, const Meeting *mt)
{
        int64_t t = kind == NOTIFY_FIRING     ? a->starts_at
                    : kind == NOTIFY_RESOLVED ? a->ends_at
                                              : a->last_notified;
        h->st.notifications++;
        Hook_advance(h, t);
        if (h->group_open && h->g.n >= (size_t)h->o.max_group)
                group_close(h);
        if (!h->group_open) {
                h->group_open = 1;
                h->g.opened = t;
        }
        Entry *e = NULL;
        for (size_t i = 0; i < h->g.n; i++) {
                if (h->g.e[i].starts_at == a->starts_at &&
                    strcmp(h->g.e[i].fp, a->fingerprint) == 0) {
                        e = &h->g.e[i]; /* the latest state of an instance wins */
                        entry_done(e);
                        break;
                }
        }
        if (!e) {
                if (h->g.n == h->g.cap) {
                        h->g.cap = h->g.cap ? h->g.cap * 2 : 8;
                        h->g.e = xrealloc(h->g.e, h->g.cap * sizeof *h->g.e);
                }
                e = &h->g.e[h->g.n++];
        }
        memset(e, 0, sizeof *e);
        memcpy(e->fp, a->fingerprint, sizeof e->fp);
        e->starts_at = a->starts_at;
        e->ends_at = a->ends_at;
        e->firing = kind != NOTIFY_RESOLVED;
        e->rule = a->rule;
        e->severity = e->firing ? a->level : a->severity;
        e->value = e->firing ? a->cur_value : a->value;
        e->threshold = e->firing ? a->cur_threshold : a->threshold;
        e->meeting_uuid = dup_or_null(a->meeting);
        e->meeting_id = dup_or_null(mt ? mt->id : NULL);
        e->topic = dup_or_null(mt ? mt->topic : NULL);
        e->subject = dup_or_null(a->delegation);
        char line[512];
        Alert_summary(a, line, sizeof line);
        e->summary = xstrdup(line);
}

static void on_alert(void *ud, const Alert *a, NotifyKind kind)
{
        Hook *h = ud;
        const Meeting *mt = NULL;
        if (h->mon && a->meeting)
                mt = State_find_meeting(Monitor_state(h->mon), a->meeting);
        Hook_notify(h, a, kind, mt);
}

void Hook_attach(Hook *h, Monitor *m)
{
        h->mon = m;
        Alerts_set_notify(Monitor_alerts(m), on_alert, h);
}

/* ---- running ---- */

static int fd_high(int fd)
{
        /* keep our pipe ends off 0-2, so dup2 in the child always clears CLOEXEC */
        if (fd > 2)
                return fd;
        int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        return n;
}

static char **make_env(const Doc *d)
{
        size_t n = 0, k = 0;
        while (environ && environ[n])
                n++;
        char **env = xcalloc(n + 8, sizeof *env);
        for (size_t i = 0; d->env[i]; i++)
                env[k++] = d->env[i];
        for (size_t i = 0; i < n; i++) {
                int ours = 0;
                for (size_t j = 0; d->env[j] && !ours; j++) {
                        size_t len = (size_t)(strchr(d->env[j], '=') - d->env[j]) + 1;
                        ours = strncmp(environ[i], d->env[j], len) == 0;
                }
                if (!ours)
                        env[k++] = environ[i];
        }
        env[k] = NULL;
        return env;
}

static int proc_start(Hook *h, HookCmd *c, Doc *d, int64_t now)
{
        int in[2] = {-1, -1}, er[2] = {-1, -1};
        Proc *p = &c->proc;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        int rc;
        if (pipe2(in, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
                rc = errno;
                goto fail_pipes;
        }
        for (int i = 0; i < 2; i++) {
                in[i] = fd_high(in[i]);
                er[i] = fd_high(er[i]);
        }
        if (in[0] < 0 || in[1] < 0 || er[0] < 0 || er[1] < 0) {
                rc = errno;
                goto fail_pipes;
        }
        fcntl(in[1], F_SETFL, O_NONBLOCK);
        fcntl(er[0], F_SETFL, O_NONBLOCK);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, er[1], 2);
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        posix_spawnattr_init(&at);
        sigset_t none, def;
        sigemptyset(&none);
        sigemptyset(&def);
        static const int sigs[] = {SIGPIPE, SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                   SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2, SIGWINCH};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
                sigaddset(&def, sigs[i]);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &def);
        /* a new session: no controlling terminal, and one process group to kill */
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                          POSIX_SPAWN_SETSIGDEF);
        char **env = make_env(d);
        pid_t pid;
        rc = posix_spawnp(&pid, c->argv[0], &fa, &at, c->argv, env);
        free(env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        close(in[0]);
        close(er[1]);
        in[0] = er[1] = -1;
        if (rc != 0)
                goto fail_pipes;
        memset(p, 0, sizeof *p);
        p->pid = pid;
        p->doc = d;
        p->in_fd = in[1];
        p->err_fd = er[0];
        p->started = now;
        p->deadline = now + h->o.timeout_ms;
        h->running++;
        h->st.started++;
        return 0;
fail_pipes:
        for (int i = 0; i < 2; i++) {
                if (in[i] >= 0)
                        close(in[i]);
                if (er[i] >= 0)
                        close(er[i]);
        }
        h->st.failed++;
        hook_log(h, "hook \"%s\": cannot run: %s", c->line, strerror(rc));
        doc_unref(d);
        return -1;
}

static void proc_io(Proc *p)
{
        while (p->in_fd >= 0) {
                ssize_t w = write(p->in_fd, p->doc->text + p->off, p->doc->len - p->off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        break;
                if (w > 0)
                        p->off += (size_t)w;
                if (w < 0 || p->off == p->doc->len) { /* done, or EPIPE: not read */
                        close(p->in_fd);
                        p->in_fd = -1;
                }
        }
        while (p->err_fd >= 0) {
                char buf[512];
                ssize_t r = read(p->err_fd, buf, sizeof buf);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 && errno == EAGAIN)
                        break;
                if (r <= 0) {
                        close(p->err_fd);
                        p->err_fd = -1;
                        break;
                }
                size_t keep = ERR_KEEP - p->errlen;
                if ((size_t)r < keep)
                        keep = (size_t)r;
                memcpy(p->err + p->errlen, buf, keep);
                p->errlen += keep;
        }
}

/* The first line of what a hook wrote on stderr, made safe for a log line. */
static void err_line(const Proc *p, char *out, size_t len)
{
        char raw[ERR_KEEP + 1];
        memcpy(raw, p->err, p->errlen);
        raw[p->errlen] = 0;
        char *nl = strchr(raw, '\n');
        if (nl)
                *nl = 0;
        char *clean = text_sanitize(raw, len - 1);
        xsnprintf(out, len, "%s", clean);
        free(clean);
}

static void proc_finish(Hook *h, HookCmd *c, int64_t now)
{
        Proc *p = &c->proc;
        char why[ERR_KEEP + 64] = "";
        proc_io(p);
        err_line(p, why + 2, sizeof why - 2);
        if (why[2]) {
                why[0] = ':';
                why[1] = ' ';
        }
        double secs = (double)(now - p->started) / 1000.0;
        if (p->killed) {
                h->st.timed_out++;
                h->st.failed++;
                hook_log(h, "hook \"%s\": killed after %.1f s (timeout)%s", c->line, secs, why);
        } else if (p->status < 0) {
                h->st.failed++;
                hook_log(h, "hook \"%s\": lost (already reaped)", c->line);
        } else if (WIFSIGNALED(p->status)) {
                h->st.failed++;
                hook_log(h, "hook \"%s\": killed by signal %d%s", c->line, WTERMSIG(p->status),
                         why);
        } else if (WEXITSTATUS(p->status) != 0) {
                h->st.failed++;
                hook_log(h, "hook \"%s\": exit status %d%s", c->line, WEXITSTATUS(p->status), why);
        }
        proc_close(p);
        h->running--;
}

static void proc_service(Hook *h, HookCmd *c, int64_t now)
{
        Proc *p = &c->proc;
        proc_io(p);
        if (!p->reaped) {
                int status;
                pid_t r;
                while ((r = waitpid(p->pid, &status, WNOHANG)) < 0 && errno == EINTR)
                        ;
                if (r == p->pid) {
                        p->reaped = 1;
                        p->status = status;
                } else if (r < 0) { /* ECHILD: SIGCHLD ignored by someone */
                        p->reaped = 1;
                        p->status = -1;
                }
        }
        if (!p->reaped && !p->killed && now >= p->deadline) {
                kill(-p->pid, SIGKILL); /* its whole process group (curl included) */
                kill(p->pid, SIGKILL);
                p->killed = 1;
        }
        /* Finished once reaped; a grandchild that kept stderr open is not waited for. */
        if (p->reaped)
                proc_finish(h, c, now);
}

size_t Hook_poll(Hook *h, int64_t now)
{
        size_t busy = 0;
        for (size_t i = 0; i < h->ncmds; i++) {
                if (h->cmds[i].proc.pid > 0)
                        proc_service(h, &h->cmds[i], now);
        }
        /* start queued calls, round-robin over the hooks, one per hook at a time */
        for (size_t k = 0; k < h->ncmds && h->running < (size_t)h->o.max_running; k++) {
                HookCmd *c = &h->cmds[(h->rr + k) % h->ncmds];
                if (c->proc.pid > 0 || c->qlen == 0)
                        continue;
                Doc *d = c->q[c->qhead];
                c->qhead = (c->qhead + 1) % (size_t)h->o.max_queued;
                c->qlen--;
                if (proc_start(h, c, d, now) == 0)
                        proc_io(&c->proc);
        }
        h->rr = (h->rr + 1) % h->ncmds;
        for (size_t i = 0; i < h->ncmds; i++)
                busy += (h->cmds[i].proc.pid > 0) + h->cmds[i].qlen;
        return busy;
}

size_t Hook_fds(const Hook *h, struct pollfd *fds, size_t max)
{
        size_t n = 0;
        for (size_t i = 0; i < h->ncmds; i++) {
                const Proc *p = &h->cmds[i].proc;
                if (p->pid <= 0)
                        continue;
                if (p->in_fd >= 0 && n < max)
                        fds[n++] = (struct pollfd){.fd = p->in_fd, .events = POLLOUT};
                if (p->err_fd >= 0 && n < max)
                        fds[n++] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
        }
        return n;
}

int Hook_timeout(const Hook *h, int64_t now)
{
        int64_t best = -1;
        for (size_t i = 0; i < h->ncmds; i++) {
                const Proc *p = &h->cmds[i].proc;
                if (p->pid <= 0)
                        continue;
                /* exits are noticed by polling waitpid: at least every 50 ms */
                int64_t t = p->killed ? 50 : p->deadline - now;
                if (t > 50)
                        t = 50;
                if (t < 0)
                        t = 0;
                if (best < 0 || t < best)
                        best = t;
        }
        if (best < 0) {
                for (size_t i = 0; i < h->ncmds; i++) {
                        if (h->cmds[i].qlen) /* queued but not started: max_running busy */
                                return 0;
                }
        }
        return (int)best;
}

size_t Hook_wait(Hook *h, int timeout_ms)
{
        struct pollfd fds[2 * MAX_HOOKS];
        int64_t now = Hook_now();
        int t = Hook_timeout(h, now);
        if (t < 0 || t > timeout_ms)
                t = timeout_ms;
        size_t n = Hook_fds(h, fds, sizeof fds / sizeof fds[0]);
        if (t > 0 || n > 0)
                poll(fds, n, t);
        return Hook_poll(h, Hook_now());
}

void Hook_sleep(Hook *h, double ms, int64_t clock, double speed)
{
        int64_t start = Hook_now();
        int64_t end = start + (int64_t)ms;
        for (;;) {
                int64_t now = Hook_now();
                /* never past the next record's time: a late wake-up (a loaded
                 * machine) must not close a group the next record belongs to */
                int64_t slept = now < end ? now - start : end - start;
                if (clock != TIME_NONE)
                        Hook_advance(h, clock + (int64_t)((double)slept * speed));
                if (now >= end)
                        break;
                Hook_wait(h, (int)(end - now < 100 ? end - now : 100));
        }
        Hook_poll(h, Hook_now());
}

void Hook_stop(Hook *h, int grace_ms, const volatile sig_atomic_t *now)
{
        Hook_flush(h);
        Hook_poll(h, Hook_now()); /* an idle hook starts its next call: it has the grace */
        for (size_t i = 0; i < h->ncmds; i++) {
                HookCmd *c = &h->cmds[i];
                if (!c->qlen)
                        continue;
                hook_log(h, "hook \"%s\": %zu queued call%s dropped at shutdown", c->line, c->qlen,
                         c->qlen == 1 ? "" : "s");
                for (size_t k = 0; k < c->qlen; k++)
                        doc_unref(c->q[(c->qhead + k) % (size_t)h->o.max_queued]);
                h->st.dropped += c->qlen;
                c->qlen = c->qhead = 0;
        }
        int64_t end = Hook_now() + grace_ms;
        while (Hook_poll(h, Hook_now()) > 0 && !(now && *now)) {
                int64_t left = end - Hook_now();
                if (left <= 0)
                        break;
                Hook_wait(h, left < 50 ? (int)left : 50);
        }
        for (size_t i = 0; i < h->ncmds; i++) {
                HookCmd *c = &h->cmds[i];
                Proc *p = &c->proc;
                if (p->pid <= 0)
                        continue;
                if (!p->reaped) {
                        kill(-p->pid, SIGKILL); /* its whole process group */
                        kill(p->pid, SIGKILL);
                        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                }
                h->st.failed++;
                hook_log(h, "hook \"%s\": killed at shutdown after %.1f s, with its process group",
                         c->line, (double)(Hook_now() - p->started) / 1000.0);
                proc_close(p);
                h->running--;
        }
}

void Hook_drain(Hook *h)
{
        Hook_flush(h);
        while (Hook_poll(h, Hook_now()) > 0)
                Hook_wait(h, 100);
}
