#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t hash_str(const char *s)
{
        return hash_fnv1a(FNV_OFFSET, s, strlen(s));
}

void HMap_init(HMap *m)
{
        m->slots = NULL;
        m->cap = m->len = 0;
}

void HMap_done(HMap *m)
{
        free(m->slots);
        HMap_init(m);
}

/* FNV's low bits are weak: mix before taking them as a slot index. */
static uint64_t mix(uint64_t h)
{
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
        return h ^ (h >> 32);
}

static HMapSlot *hmap_find(const HMap *m, const char *key, uint64_t h)
{
        size_t mask = m->cap - 1;
        for (size_t i = mix(h) & mask;; i = (i + 1) & mask) {
                HMapSlot *s = &m->slots[i];
                if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
                        return s;
        }
}

void *HMap_get(const HMap *m, const char *key)
{
        if (m->len == 0)
                return NULL;
        HMapSlot *s = hmap_find(m, key, hash_str(key));
        return s->key ? s->value : NULL;
}

static void hmap_grow(HMap *m)
{
        HMap n = {xcalloc(m->cap ? m->cap * 2 : 16, sizeof(HMapSlot)), m->cap ? m->cap * 2 : 16,
                  m->len};
        for (size_t i = 0; i < m->cap; i++) {
                if (m->slots[i].key)
                        *hmap_find(&n, m->slots[i].key, m->slots[i].hash) = m->slots[i];
        }
        free(m->slots);
        *m = n;
}

void HMap_put(HMap *m, const char *key, void *value)
{
        if ((m->len + 1) * 4 > m->cap * 3)
                hmap_grow(m);
        uint64_t h = hash_str(key);
        HMapSlot *s = hmap_find(m, key, h);
        if (!s->key)
                m->len++;
        s->hash = h;
        s->key = key;
        s->value = value;
}

void HMap_del(HMap *m, const char *key)
{
        if (m->len == 0)
                return;
        HMapSlot *hole = hmap_find(m, key, hash_str(key));
        if (!hole->key)
                return;
        /* linear probing: pull back every later entry of the run that may no
         * longer be reached past the hole */
        size_t mask = m->cap - 1, i = (size_t)(hole - m->slots);
        for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
                size_t home = mix(m->slots[j].hash) & mask;
                int between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
                if (!between) {
                        m->slots[i] = m->slots[j];
                        i = j;
                }
        }
        m->slots[i].key = NULL;
        m->slots[i].value = NULL;
        m->len--;
}

void HSet64_init(HSet64 *s)
{
        s->slots = NULL;
        s->cap = s->len = 0;
}

void HSet64_done(HSet64 *s)
{
        free(s->slots);
        HSet64_init(s);
}

static uint64_t *hset_find(const HSet64 *s, uint64_t h)
{
        size_t mask = s->cap - 1;
        for (size_t i = mix(h) & mask;; i = (i + 1) & mask) {
                if (s->slots[i] == 0 || s->slots[i] == h)
                        return &s->slots[i];
        }
}

int HSet64_has(const HSet64 *s, uint64_t h)
{
        if (s->len == 0)
                return 0;
        h = h ? h : 1;
        return *hset_find(s, h) == h;
}

int HSet64_add(HSet64 *s, uint64_t h)
{
        h = h ? h : 1;
        if ((s->len + 1) * 4 > s->cap * 3) {
                HSet64 n = {xcalloc(s->cap ? s->cap * 2 : 64, sizeof(uint64_t)),
                            s->cap ? s->cap * 2 : 64, s->len};
                for (size_t i = 0; i < s->cap; i++) {
                        if (s->slots[i])
                                *hset_find(&n, s->slots[i]) = s->slots[i];
                }
                free(s->slots);
                *s = n;
        }
        uint64_t *slot = hset_find(s, h);
        if (*slot == h)
                return 0;
        *slot = h;
        s->len++;
        return 1;
}
