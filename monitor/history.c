/* The dashboard's count history (see history.h). */
#include "history.h"

#include "util.h"

static int64_t bucket_of(int64_t t)
{
        int64_t b = t / HISTORY_BUCKET_MS;
        return t % HISTORY_BUCKET_MS < 0 ? b - 1 : b; /* floor, also before 1970 */
}

static int ring(int64_t b)
{
        int64_t i = b % HISTORY_BUCKETS;
        return (int)(i < 0 ? i + HISTORY_BUCKETS : i);
}

static int *slot(History *h, int series, int64_t b)
{
        return &h->max[series][ring(b)];
}

void History_init(History *h)
{
        h->first = 0;
        h->last = -1;
        for (int s = 0; s < HIST_SERIES; s++) {
                h->cur[s] = -1;
                for (int i = 0; i < HISTORY_BUCKETS; i++)
                        h->max[s][i] = -1;
        }
}

void History_note(History *h, int64_t t, int participants, int video)
{
        if (t == TIME_NONE)
                return;
        int64_t b = bucket_of(t);
        int now[HIST_SERIES] = {participants, video};
        if (h->last < h->first) {
                h->first = h->last = b;
                for (int s = 0; s < HIST_SERIES; s++)
                        *slot(h, s, b) = now[s];
        }
        if (b < h->last)
                b = h->last;
        /* buckets since the latest note held the count carried in; only the last
         * HISTORY_BUCKETS of them can still be read */
        int64_t from = h->last + 1;
        if (b - from >= HISTORY_BUCKETS)
                from = b - HISTORY_BUCKETS + 1;
        for (int64_t i = from; i <= b; i++)
                for (int s = 0; s < HIST_SERIES; s++)
                        *slot(h, s, i) = h->cur[s];
        h->last = b;
        for (int s = 0; s < HIST_SERIES; s++) {
                int *m = slot(h, s, b);
                if (now[s] > *m)
                        *m = now[s];
                h->cur[s] = now[s];
        }
}

void History_read(const History *h, int64_t now, HistorySeries series, int out[HISTORY_BUCKETS])
{
        int empty = h->last < h->first;
        int64_t end = now == TIME_NONE ? h->last : bucket_of(now);
        if (!empty && end < h->last)
                end = h->last;
        for (int i = 0; i < HISTORY_BUCKETS; i++) {
                int64_t b = end - (HISTORY_BUCKETS - 1) + i;
                if (empty || b < h->first)
                        out[i] = -1;
                else if (b > h->last)
                        out[i] = h->cur[series];
                else
                        out[i] = h->max[series][ring(b)];
        }
}
