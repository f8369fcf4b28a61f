/* One pacing rule and one feed policy for recorded logs (see replayfeed.h). */
#include "replayfeed.h"

#include "util.h"

void Pacer_init(Pacer *p, double speed, double idle_limit_s)
{
        p->speed = speed;
        p->idle_limit_ms = idle_limit_s * 1000;
        p->prev_at = TIME_NONE;
}

double Pacer_next(Pacer *p, int64_t at)
{
        if (at == TIME_NONE)
                return 0;
        double wait = 0;
        if (p->prev_at != TIME_NONE && at > p->prev_at && p->speed > 0) {
                wait = (double)(at - p->prev_at) / p->speed;
                if (p->idle_limit_ms > 0 && wait > p->idle_limit_ms)
                        wait = p->idle_limit_ms;
        }
        if (p->prev_at == TIME_NONE || at > p->prev_at)
                p->prev_at = at;
        return wait;
}

static Outcome monitor_apply(void *ud, const Msg *msg, char *err, size_t errlen)
{
        return Monitor_feed_msg(ud, msg, TIME_NONE, err, errlen);
}

static void monitor_invalid(void *ud)
{
        Monitor_count_invalid(ud);
}

FeedTarget FeedTarget_monitor(Monitor *m)
{
        return (FeedTarget){monitor_apply, monitor_invalid, m};
}

static void say(const FeedPolicy *p, const char *line)
{
        if (p->say)
                p->say(p->ud, line);
}

int FeedPolicy_apply(FeedPolicy *p, const ReplayItem *it, const FeedTarget *t)
{
        char err[512], line[1024];
        ItemKind kind = ReplayItem_kind(it, err, sizeof err);
        if (kind == ITEM_BLANK)
                return 0;
        if (kind == ITEM_TORN) {
                xsnprintf(line, sizeof line,
                          "%s:%ld: torn last line (no newline, not JSON): ignored", it->path,
                          it->line);
                say(p, line);
                return 0;
        }
        Outcome out = OUT_INVALID;
        if (kind == ITEM_INVALID)
                t->count_invalid(t->ud);
        else
                out = t->apply(t->ud, it->msg, err, sizeof err);
        if (out != OUT_INVALID)
                return 0;
        if (p->strict || p->told < p->limit) {
                xsnprintf(line, sizeof line, "%s:%ld: invalid record: %s%s", it->path, it->line,
                          err, p->strict ? " (--strict)" : "");
                say(p, line);
                p->told++;
        } else {
                p->untold++;
        }
        return p->strict ? -1 : 0;
}

int FeedPolicy_drain(FeedPolicy *p, Replay *r, const FeedTarget *t, char *err, size_t errlen)
{
        ReplayItem it;
        int st;
        while ((st = Replay_next(r, &it, err, errlen)) == LINE_OK) {
                if (FeedPolicy_apply(p, &it, t))
                        return 1;
        }
        return st == LINE_ERROR ? -1 : 0;
}

void FeedPolicy_done(FeedPolicy *p)
{
        char line[128];
        if (!p->untold)
                return;
        xsnprintf(line, sizeof line, "%lu more invalid records not shown", p->untold);
        say(p, line);
        p->untold = 0;
}
