/* hmap: string map and 64-bit hash set, growth past many thousands of entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "tap.h"

#define NKEYS 50000

static void test_hash_str(void)
{
        /* FNV-1a 64-bit test vectors */
        is_int((int64_t)hash_str(""), (int64_t)0xcbf29ce484222325ULL, "hash_str(\"\") = offset");
        is_int((int64_t)hash_str("a"), (int64_t)0xaf63dc4c8601ec8cULL, "hash_str(\"a\")");
        is_int((int64_t)hash_str("foobar"), (int64_t)0x85944171f73967e8ULL, "hash_str(\"foobar\")");
}

static void test_map(void)
{
        HMap m;
        HMap_init(&m);
        ok(HMap_get(&m, "x") == NULL, "empty map: get is NULL");
        is_int(m.len, 0, "empty map: len 0");

        char **keys = malloc(NKEYS * sizeof *keys);
        for (int i = 0; i < NKEYS; i++) {
                char buf[32];
                snprintf(buf, sizeof buf, "key-%d", i);
                keys[i] = strdup(buf);
                HMap_put(&m, keys[i], (void *)(intptr_t)(i + 1));
        }
        is_int(m.len, NKEYS, "len after %d distinct puts", NKEYS);
        ok(m.cap >= NKEYS && (m.cap & (m.cap - 1)) == 0, "capacity a power of two >= len");
        ok(m.len * 4 <= m.cap * 3, "load factor at most 3/4");
        int bad = 0;
        for (int i = 0; i < NKEYS; i++) {
                char buf[32];
                snprintf(buf, sizeof buf, "key-%d", i); /* a different pointer, same text */
                if (HMap_get(&m, buf) != (void *)(intptr_t)(i + 1))
                        bad++;
        }
        is_int(bad, 0, "every key found with its value after growth");
        ok(HMap_get(&m, "key-50000") == NULL && HMap_get(&m, "") == NULL &&
               HMap_get(&m, "key-") == NULL,
           "absent keys are NULL");

        for (int i = 0; i < NKEYS; i += 2)
                HMap_put(&m, keys[i], (void *)(intptr_t) - (i + 1));
        is_int(m.len, NKEYS, "replacing values keeps len");
        bad = 0;
        for (int i = 0; i < NKEYS; i++) {
                intptr_t want = i % 2 ? i + 1 : -(i + 1);
                if (HMap_get(&m, keys[i]) != (void *)want)
                        bad++;
        }
        is_int(bad, 0, "replaced values read back, others unchanged");

        HMap_put(&m, "", (void *)(intptr_t)7);
        ok(HMap_get(&m, "") == (void *)(intptr_t)7, "empty string is a key like any other");
        HMap_put(&m, "null-value", NULL);
        is_int(m.len, NKEYS + 2, "a NULL value still counts as an entry");

        /* delete every third key (runs of collisions included: the table is full of
         * linear-probing runs at this size), then check every key again */
        int del = 0;
        for (int i = 0; i < NKEYS; i += 3, del++)
                HMap_del(&m, keys[i]);
        HMap_del(&m, "never-there");
        is_int(m.len, NKEYS + 2 - del, "len after %d deletions (and one absent key)", del);
        bad = 0;
        for (int i = 0; i < NKEYS; i++) {
                intptr_t want = i % 3 == 0 ? 0 : i % 2 ? i + 1 : -(i + 1);
                if (HMap_get(&m, keys[i]) != (void *)want)
                        bad++;
        }
        is_int(bad, 0, "deleted keys are gone, every other key still found");
        for (int i = 0; i < NKEYS; i += 3)
                HMap_put(&m, keys[i], (void *)(intptr_t)1);
        is_int(m.len, NKEYS + 2, "deleted keys can be put again");

        HMap_done(&m);
        ok(m.slots == NULL && m.cap == 0 && m.len == 0, "HMap_done resets the map");
        ok(HMap_get(&m, "key-1") == NULL, "get after done is NULL");
        for (int i = 0; i < NKEYS; i++)
                free(keys[i]);
        free(keys);
}

static void test_set(void)
{
        HSet64 s;
        HSet64_init(&s);
        ok(!HSet64_has(&s, 0) && !HSet64_has(&s, 42), "empty set has nothing");
        is_int(HSet64_add(&s, 0), 1, "hash 0 added");
        ok(HSet64_has(&s, 0), "hash 0 is there");
        is_int(HSet64_add(&s, 0), 0, "hash 0 added again: already there");
        is_int(s.len, 1, "len 1");
        /* documented: a real 0 is stored as 1, so 0 and 1 are the same member */
        ok(HSet64_has(&s, 1), "hash 1 shares hash 0's slot (documented)");

        is_int(HSet64_add(&s, UINT64_MAX), 1, "hash UINT64_MAX added");
        int added = 0, found = 0;
        /* values whose low bits are all equal: the slot index must mix the high bits */
        for (uint64_t i = 2; i < 20002; i++)
                added += HSet64_add(&s, i << 40);
        /* and plain multiplicative hashes */
        for (uint64_t i = 2; i < 60002; i++)
                added += HSet64_add(&s, i * 0x9e3779b97f4a7c15ULL);
        is_int(added, 80000, "80000 distinct hashes added");
        is_int(s.len, 80002, "len counts them all");
        for (uint64_t i = 2; i < 20002; i++)
                found += HSet64_has(&s, i << 40);
        for (uint64_t i = 2; i < 60002; i++)
                found += HSet64_has(&s, i * 0x9e3779b97f4a7c15ULL);
        is_int(found, 80000, "every hash found after growth");
        ok(HSet64_has(&s, 0) && HSet64_has(&s, UINT64_MAX), "0 and UINT64_MAX survive growth");
        int again = 0;
        for (uint64_t i = 2; i < 20002; i++)
                again += HSet64_add(&s, i << 40);
        is_int(again, 0, "re-adding reports 0 each time");
        int absent = 0;
        for (uint64_t i = 20002; i < 30002; i++)
                absent += HSet64_has(&s, i << 40);
        is_int(absent, 0, "absent hashes are not found");
        ok(s.len * 4 <= s.cap * 3 && (s.cap & (s.cap - 1)) == 0, "set load factor and capacity");
        HSet64_done(&s);
        ok(s.slots == NULL && s.len == 0 && !HSet64_has(&s, 0), "HSet64_done resets the set");
}

int main(void)
{
        test_hash_str();
        test_map();
        test_set();
        return done_testing();
}
