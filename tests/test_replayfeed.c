/* replayfeed: the one pacing rule and the one feed policy of recorded logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replayfeed.h"
#include "tap.h"
#include "util.h"

/* A target that counts what it is given; records without an "event" are invalid. */
typedef struct Count {
        int applied, invalid;
} Count;

static Outcome count_apply(void *ud, const Msg *msg, char *err, size_t errlen)
{
        (void)msg;
        Count *c = ud;
        c->applied++;
        if (c->applied == 2) { /* the second JSON record is judged invalid */
                xsnprintf(err, errlen, "no payload");
                c->invalid++;
                return OUT_INVALID;
        }
        return OUT_APPLIED;
}

static void count_invalid(void *ud)
{
        ((Count *)ud)->invalid++;
}

static char said[8][256];
static int nsaid;

static void say(void *ud, const char *line)
{
        (void)ud;
        if (nsaid < 8)
                snprintf(said[nsaid], sizeof said[0], "%s", line);
        nsaid++;
}

static void pacer(void)
{
        Pacer p;
        Pacer_init(&p, 2, 1);
        is_double(Pacer_next(&p, 0), 0, "the first record waits nothing");
        is_double(Pacer_next(&p, 1000), 500, "1 s recorded at speed 2: 500 ms");
        is_double(Pacer_next(&p, 900), 0, "an older record waits nothing");
        is_double(Pacer_next(&p, 1500), 250, "time moved on from the latest (1000), not 900");
        is_double(Pacer_next(&p, TIME_NONE), 0, "no pacing time: no wait");
        is_double(Pacer_next(&p, 100000), 1000, "a long gap is cut to the idle limit (1 s)");
        p.speed = 4;
        is_double(Pacer_next(&p, 102000), 500, "the speed may change between records");
        Pacer_init(&p, 0, 0);
        Pacer_next(&p, 0);
        is_double(Pacer_next(&p, 5000), 0, "speed 0: no pacing");
}

static void policy(const char *dir)
{
        char path[256];
        snprintf(path, sizeof path, "%s/log.jsonl", dir);
        FILE *f = fopen(path, "w");
        /* 1 ok, 2 blank, 3 not JSON, 4 invalid by the target, 5 not JSON, 6 torn */
        fputs("{\"event\":\"a\"}\n\n<html>\n{\"event\":\"b\"}\nnope\n{\"event\":", f);
        fclose(f);
        char *paths[1] = {path}, err[256];
        Count c = {0, 0};
        FeedTarget t = {count_apply, count_invalid, &c};
        FeedPolicy p = {0, 2, say, NULL, 0, 0};
        Replay *r = Replay_open(paths, 1, err, sizeof err);
        int st = FeedPolicy_drain(&p, r, &t, err, sizeof err);
        Replay_close(r);
        FeedPolicy_done(&p);
        is_int(st, 0, "drained to the end");
        is_int(c.applied, 2, "the two JSON records went to the target");
        is_int(c.invalid, 3, "invalid: two not JSON, one judged by the target");
        is_int(nsaid, 4, "said: two invalid records (the limit), the torn line, the count");
        ok(strstr(said[0], "log.jsonl:3: invalid record: ") != NULL, "first: file and line (%s)",
           said[0]);
        ok(strstr(said[1], "log.jsonl:4: invalid record: no payload") != NULL,
           "second: the target's reason (%s)", said[1]);
        ok(strstr(said[2], "log.jsonl:6: torn last line") != NULL, "the torn line (%s)", said[2]);
        is_str(said[3], "1 more invalid records not shown", "then only a count");

        nsaid = 0;
        c = (Count){0, 0};
        p = (FeedPolicy){1, 100, say, NULL, 0, 0};
        r = Replay_open(paths, 1, err, sizeof err);
        st = FeedPolicy_drain(&p, r, &t, err, sizeof err);
        Replay_close(r);
        is_int(st, 1, "strict: stopped");
        is_int(c.applied, 1, "strict: stopped at line 3, before line 4");
        ok(nsaid == 1 && strstr(said[0], ":3: invalid record: ") && strstr(said[0], "(--strict)"),
           "strict: the record that stopped it is said (%s)", said[0]);
}

int main(void)
{
        char dir[] = "/tmp/capmon-test-replayfeed-XXXXXX";
        if (!mkdtemp(dir))
                return 2;
        pacer();
        policy(dir);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                diag("could not remove %s", dir);
        return done_testing();
}
