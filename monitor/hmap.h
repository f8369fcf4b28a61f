/* Hash tables: string keys -> pointers (with deletion, for meetings that are
 * forgotten), and an insert-only set of 64-bit hashes (dropped whole when its
 * window is over). */
#ifndef CAPMON_HMAP_H
#define CAPMON_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct HMapSlot {
        uint64_t hash;
        const char *key; /* owned by the caller; must outlive the entry */
        void *value;
} HMapSlot;

typedef struct HMap {
        HMapSlot *slots;
        size_t cap; /* power of two, or 0 */
        size_t len;
} HMap;

void HMap_init(HMap *m);
void HMap_done(HMap *m);
void *HMap_get(const HMap *m, const char *key);
/* Inserts or replaces. */
void HMap_put(HMap *m, const char *key, void *value);
/* Removes key if present (the caller frees what it owned). */
void HMap_del(HMap *m, const char *key);

typedef struct HSet64 {
        uint64_t *slots; /* 0 marks an empty slot; a real 0 hash is stored as 1 */
        size_t cap;
        size_t len;
} HSet64;

void HSet64_init(HSet64 *s);
void HSet64_done(HSet64 *s);
int HSet64_has(const HSet64 *s, uint64_t h);
/* Returns 1 when added, 0 when it was there. */
int HSet64_add(HSet64 *s, uint64_t h);

uint64_t hash_str(const char *s);

#endif
