/* A log file as a watch source, replayed in real time: records are applied at
 * their recorded arrival-time distance from each other. */
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "live.h"
#include "replayfeed.h"
#include "util.h"

typedef struct FileSource {
        Source base;
        Live *lv;
        int id;
        char *path;
        Replay *r;
        LoopTimer *timer;
        ReplayItem it;
        int have;    /* it holds the next item */
        Pacer pacer; /* real time: speed 1 */
} FileSource;

static void file_step(void *ud)
{
        FileSource *s = ud;
        char err[512];
        for (int n = 0; n < 10000; n++) {
                if (!s->have) {
                        int st = Replay_next(s->r, &s->it, err, sizeof err);
                        if (st != LINE_OK) {
                                if (st == LINE_ERROR)
                                        Live_logf(s->lv, "%s", err);
                                Live_logf(s->lv, "%s: end of the log", s->path);
                                Live_source_done(s->lv, s->id);
                                return;
                        }
                        s->have = 1;
                        double wait = Pacer_next(&s->pacer, s->it.at);
                        if (wait > 0) {
                                Loop_timer_start(s->timer, (int64_t)(wait * 1000));
                                return;
                        }
                }
                s->have = 0;
                ReplayItem *it = &s->it;
                char why[256];
                ItemKind kind = ReplayItem_kind(it, why, sizeof why);
                if (kind == ITEM_BLANK)
                        continue;
                if (kind == ITEM_INVALID && (it->flags & LINE_TOO_LONG)) {
                        Live_logf(s->lv, "%s:%ld: %s", s->path, it->line, why);
                        Live_count_invalid(s->lv);
                        continue;
                }
                if (kind == ITEM_TORN) {
                        Live_logf(s->lv, "%s:%ld: torn last line: ignored", s->path, it->line);
                        continue;
                }
                int64_t seq;
                Live_message(s->lv, s->id, "file", it->text, it->len, &seq);
        }
        Loop_timer_start(s->timer, 0); /* let the loop breathe */
}

static void file_free(Source *base)
{
        FileSource *s = (FileSource *)base;
        Loop_timer_free(s->timer);
        Replay_close(s->r);
        free(s->path);
        free(s);
}

Source *Source_file_new(Live *lv, const char *path, char *err, size_t errlen)
{
        char *paths[1] = {(char *)path};
        Replay *r = Replay_open(paths, 1, err, errlen);
        if (!r)
                return NULL;
        FileSource *s = xcalloc(1, sizeof *s);
        s->base.free = file_free;
        s->lv = lv;
        s->r = r;
        s->path = xstrdup(path);
        Pacer_init(&s->pacer, 1, 0);
        s->id = Live_source_add(lv, path, 0);
        if (s->id < 0) {
                xsnprintf(err, errlen, "too many sources");
                file_free(&s->base);
                return NULL;
        }
        Live_connected(lv, s->id, 1);
        s->timer = Loop_timer_new(Live_loop(lv), file_step, s);
        Loop_timer_start(s->timer, 0);
        return &s->base;
}
