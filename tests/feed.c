#include "feed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static char last_err[512];

static char *vjtext(const char *fmt, va_list ap)
{
        va_list ap2;
        char probe[1];
        va_copy(ap2, ap);
        int n = vsnprintf(probe, sizeof probe, fmt, ap2);
        va_end(ap2);
        if (n < 0)
                abort();
        char *s = malloc((size_t)n + 1);
        if (!s)
                abort();
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        for (char *p = s; *p; p++) {
                if (*p == '\'')
                        *p = '"';
        }
        return s;
}

char *jtext(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = vjtext(fmt, ap);
        va_end(ap);
        return s;
}

Outcome feed(Monitor *m, int64_t recv, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = vjtext(fmt, ap);
        va_end(ap);
        char err[512] = "";
        Outcome o = Monitor_feed(m, s, strlen(s), recv, err, sizeof err);
        if (o == OUT_INVALID)
                snprintf(last_err, sizeof last_err, "%s", err);
        free(s);
        return o;
}

static const char *full_name(const char *event, char *buf, size_t len)
{
        snprintf(buf, len, "%s%s", strchr(event, '.') ? "" : "meeting.", event);
        return buf;
}

static void ts_field(int64_t ts, char *buf, size_t len)
{
        if (ts == TIME_NONE)
                buf[0] = '\0';
        else
                snprintf(buf, len, "'event_ts':%lld,", (long long)ts);
}

Outcome pev(Monitor *m, const char *event, int64_t ts, const char *uuid, const char *fmt, ...)
{
        va_list ap;
        char name[128], tsf[64];
        va_start(ap, fmt);
        char *part = vjtext(fmt, ap);
        va_end(ap);
        ts_field(ts, tsf, sizeof tsf);
        Outcome o = feed(m, TIME_NONE,
                         "{'event':'%s',%s'payload':{'object':{'uuid':'%s',"
                         "'participant':{%s}}}}",
                         full_name(event, name, sizeof name), tsf, uuid, part);
        free(part);
        return o;
}

Outcome mev(Monitor *m, const char *event, int64_t ts, const char *uuid)
{
        char name[128], tsf[64];
        ts_field(ts, tsf, sizeof tsf);
        return feed(m, TIME_NONE, "{'event':'%s',%s'payload':{'object':{'uuid':'%s'}}}",
                    full_name(event, name, sizeof name), tsf, uuid);
}

const char *feed_err(void)
{
        return last_err;
}

Monitor *monitor_new(const Config *cfg)
{
        char err[512] = "";
        Monitor *m = Monitor_new(cfg, err, sizeof err);
        if (!m) {
                printf("Bail out! Monitor_new: %s\n", err);
                exit(1);
        }
        return m;
}

const Meeting *meeting(const Monitor *m, const char *uuid)
{
        return State_find_meeting(Monitor_state(m), uuid);
}

int deleg_participants(const Monitor *m, const char *uuid, const char *deleg)
{
        const Meeting *mt = meeting(m, uuid);
        if (!mt)
                return -1;
        for (size_t i = 0; i < mt->ndelegations; i++) {
                if (strcmp(mt->delegations[i]->name, deleg) == 0)
                        return mt->delegations[i]->participants;
        }
        return -1;
}

int failures(const Monitor *m, const char *uuid, const char *reason)
{
        const State *s = Monitor_state(m);
        int n = 0;
        for (size_t i = 0; i < State_failure_count(s); i++) {
                const JoinFailure *f = State_failure(s, i);
                if (!f->cancelled && strcmp(f->meeting->uuid, uuid) == 0 &&
                    strcmp(f->reason, reason) == 0)
                        n++;
        }
        return n;
}

uint64_t count(const Monitor *m, Outcome o)
{
        return State_counters(Monitor_state(m))->n[o];
}

uint64_t received(const Monitor *m)
{
        return State_counters(Monitor_state(m))->received;
}
