/* A lease held in Redis, so that of several relays sharing one stream exactly
 * one does a job (reconcile polling: docs/redis.md). The key holds the holder's
 * id; taking it is SET key id NX PX ttl, keeping it a compare-and-PEXPIRE (a
 * small Lua script), every ttl/3, in a thread of its own (the Redis client
 * blocks; the lws loop only reads Lease_held). A holder that cannot reach Redis
 * stops holding at once; the others take over once the key expires. */
#ifndef CAPMON_LEASE_H
#define CAPMON_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "redis.h"

typedef struct Lease Lease;

/* u is copied as needed (the caller keeps it). key: the Redis key; ttl_ms >= 300.
 * NULL with a message when the thread cannot start. */
Lease *Lease_start(const RedisUrl *u, const char *key, int64_t ttl_ms, char *err, size_t errlen);
/* 1 while this process holds the lease (read from any thread). */
int Lease_held(const Lease *l);
/* This holder's id (host:pid:random), for logs. */
const char *Lease_id(const Lease *l);
/* Tell every holder something (a meeting to reconcile): added to a Redis set
 * beside the lease ("<key>:shared", kept a day after its last addition). */
void Lease_share(Lease *l, const char *member);
/* Take it back (a meeting Zoom says is gone): removed from the set. */
void Lease_unshare(Lease *l, const char *member);
/* While held: the set's members as of the last turn (*out: a malloc'd array of
 * malloc'd strings, to free with Lease_members_free). */
size_t Lease_members(Lease *l, char ***out);
void Lease_members_free(char **v, size_t n);
/* Stops the thread and gives the lease up if held. NULL-safe. */
void Lease_stop(Lease *l);

#endif
