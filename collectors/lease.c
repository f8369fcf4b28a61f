/* A Redis lease (lease.h). */
#include "lease.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Keep (or give up) the lease only while the key still holds our id. */
static const char RENEW[] = "if redis.call('get', KEYS[1]) == ARGV[1] then "
                            "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
static const char RELEASE[] = "if redis.call('get', KEYS[1]) == ARGV[1] then "
                              "return redis.call('del', KEYS[1]) else return 0 end";

struct Lease {
        RedisUrl u; /* borrowed fields of the caller's */
        char *key;
        char id[96];
        int64_t ttl_ms;
        atomic_int held;
        int stop;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        pthread_t thread;
        char **pending; /* "+member" to add to the shared set, "-member" to remove (under mu) */
        size_t npending;
        char **members; /* the set, read while held (under mu) */
        size_t nmembers;
};

static char **strv_copy(char **v, size_t n)
{
        char **o = xcalloc(n + 1, sizeof *o);
        for (size_t i = 0; i < n; i++)
                o[i] = xstrdup(v[i]);
        return o;
}

void Lease_members_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void lease_pend(Lease *l, char op, const char *member)
{
        size_t n = strlen(member);
        char *s = xmalloc(n + 2);
        s[0] = op;
        memcpy(s + 1, member, n + 1);
        pthread_mutex_lock(&l->mu);
        l->pending = xrealloc(l->pending, (l->npending + 1) * sizeof *l->pending);
        l->pending[l->npending++] = s;
        if (op == '-') /* gone from the members seen at once, not a turn later */
                for (size_t i = 0; i < l->nmembers; i++)
                        if (strcmp(l->members[i], member) == 0) {
                                free(l->members[i]);
                                l->members[i] = l->members[--l->nmembers];
                                break;
                        }
        pthread_mutex_unlock(&l->mu);
}

void Lease_share(Lease *l, const char *member)
{
        lease_pend(l, '+', member);
}

void Lease_unshare(Lease *l, const char *member)
{
        lease_pend(l, '-', member);
}

size_t Lease_members(Lease *l, char ***out)
{
        pthread_mutex_lock(&l->mu);
        size_t n = l->nmembers;
        *out = strv_copy(l->members, n);
        pthread_mutex_unlock(&l->mu);
        return n;
}

/* Send what was shared, and read the set while held. -1: connection unusable. */
static int sync_shared(RedisConn *c, Lease *l)
{
        char set[600];
        xsnprintf(set, sizeof set, "%s:shared", l->key);
        pthread_mutex_lock(&l->mu);
        char **add = l->pending;
        size_t nadd = l->npending;
        l->pending = NULL;
        l->npending = 0;
        pthread_mutex_unlock(&l->mu);
        int rc = 0;
        for (size_t i = 0; i < nadd && rc == 0; i++) {
                const char *argv[] = {add[i][0] == '-' ? "SREM" : "SADD", set, add[i] + 1};
                size_t lens[] = {4, strlen(set), strlen(add[i] + 1)};
                redisReply *r = redis_command(c, 3, argv, lens);
                rc = r ? 0 : -1;
                if (r)
                        freeReplyObject(r);
        }
        if (nadd && rc == 0) {
                const char *argv[] = {"PEXPIRE", set, "86400000"};
                size_t lens[] = {7, strlen(set), 8};
                redisReply *r = redis_command(c, 3, argv, lens);
                rc = r ? 0 : -1;
                if (r)
                        freeReplyObject(r);
        }
        Lease_members_free(add, nadd);
        if (rc || !atomic_load(&l->held))
                return rc;
        const char *argv[] = {"SMEMBERS", set};
        size_t lens[] = {8, strlen(set)};
        redisReply *r = redis_command(c, 2, argv, lens);
        if (!r)
                return -1;
        if (r->type == REDIS_REPLY_ARRAY) {
                char **v = xcalloc(r->elements + 1, sizeof *v);
                size_t n = 0;
                for (size_t i = 0; i < r->elements; i++)
                        if (r->element[i]->type == REDIS_REPLY_STRING)
                                v[n++] = xstrndup(r->element[i]->str, r->element[i]->len);
                pthread_mutex_lock(&l->mu);
                Lease_members_free(l->members, l->nmembers);
                l->members = v;
                l->nmembers = n;
                pthread_mutex_unlock(&l->mu);
        }
        freeReplyObject(r);
        return 0;
}

static long long script(RedisConn *c, const char *body, const Lease *l, int with_ttl)
{
        char ttl[24];
        xsnprintf(ttl, sizeof ttl, "%lld", (long long)l->ttl_ms);
        const char *argv[] = {"EVAL", body, "1", l->key, l->id, ttl};
        size_t lens[6];
        int argc = with_ttl ? 6 : 5;
        for (int i = 0; i < argc; i++)
                lens[i] = strlen(argv[i]);
        redisReply *r = redis_command(c, argc, argv, lens);
        long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
        if (r)
                freeReplyObject(r);
        return v;
}

/* One turn: take or keep the lease. -1 when the connection is unusable. */
static int turn(RedisConn *c, Lease *l)
{
        if (atomic_load(&l->held)) {
                long long v = script(c, RENEW, l, 1);
                if (v < 0)
                        return -1;
                atomic_store(&l->held, v == 1);
                return 0;
        }
        char ttl[24];
        xsnprintf(ttl, sizeof ttl, "%lld", (long long)l->ttl_ms);
        const char *argv[] = {"SET", l->key, l->id, "NX", "PX", ttl};
        size_t lens[6];
        for (int i = 0; i < 6; i++)
                lens[i] = strlen(argv[i]);
        redisReply *r = redis_command(c, 6, argv, lens);
        if (!r)
                return -1;
        atomic_store(&l->held, r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
        freeReplyObject(r);
        return 0;
}

/* Wait ms or until stopped; 1 when stopped. */
static int pause_ms(Lease *l, int64_t ms)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(ms / 1000);
        ts.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&l->mu);
        while (!l->stop && pthread_cond_timedwait(&l->cv, &l->mu, &ts) != ETIMEDOUT)
                ;
        int stop = l->stop;
        pthread_mutex_unlock(&l->mu);
        return stop;
}

static void *lease_main(void *arg)
{
        Lease *l = arg;
        RedisConn *c = NULL;
        char err[256];
        int64_t every = l->ttl_ms / 3;
        do {
                if (!c)
                        c = redis_connect(&l->u, 2000, (int)every, err, sizeof err);
                if (c && (turn(c, l) < 0 || sync_shared(c, l) < 0)) {
                        redis_close(c);
                        c = NULL;
                }
                if (!c)
                        atomic_store(&l->held, 0); /* cannot prove it: not ours */
        } while (!pause_ms(l, every));
        if (c && atomic_load(&l->held))
                script(c, RELEASE, l, 0);
        atomic_store(&l->held, 0);
        redis_close(c);
        return NULL;
}

Lease *Lease_start(const RedisUrl *u, const char *key, int64_t ttl_ms, char *err, size_t errlen)
{
        Lease *l = xcalloc(1, sizeof *l);
        l->u = *u;
        l->key = xstrdup(key);
        l->ttl_ms = ttl_ms < 300 ? 300 : ttl_ms;
        char host[64] = "";
        gethostname(host, sizeof host - 1);
        unsigned rnd = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)l;
        xsnprintf(l->id, sizeof l->id, "%s:%d:%08x", host, (int)getpid(), rnd);
        atomic_init(&l->held, 0);
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->cv, NULL);
        if (pthread_create(&l->thread, NULL, lease_main, l)) {
                xsnprintf(err, errlen, "cannot start the Redis lease thread");
                pthread_mutex_destroy(&l->mu);
                pthread_cond_destroy(&l->cv);
                free(l->key);
                free(l);
                return NULL;
        }
        return l;
}

int Lease_held(const Lease *l)
{
        return atomic_load(&((Lease *)l)->held);
}

const char *Lease_id(const Lease *l)
{
        return l->id;
}

void Lease_stop(Lease *l)
{
        if (!l)
                return;
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
        Lease_members_free(l->pending, l->npending);
        Lease_members_free(l->members, l->nmembers);
        free(l->key);
        free(l);
}
