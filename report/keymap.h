/* keymap.h — an open-addressing hash map from a 128-bit key (two u64) to a
 * u32 value: the one table behind every "id -> index" and "(parent, frame)
 * -> node" lookup in the report. Linear probing, load factor at most 1/2. */
#ifndef RADIOGRAPH_KEYMAP_H
#define RADIOGRAPH_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct keymap_slot {
    uint64_t a, b;
    uint32_t value;
    uint32_t used;
} keymap_slot_t;

typedef struct keymap {
    keymap_slot_t *slots;
    size_t cap;      /* a power of two, or 0 */
    size_t count;
} keymap_t;

/* An empty map; allocates nothing until the first insert. */
void keymap_init(keymap_t *m);

/* Frees the slots; the map is empty (and reusable) afterwards. */
void keymap_free(keymap_t *m);

/* Looks up (A, B). Returns 1 and sets *VALUE if present, else 0. */
int keymap_find(const keymap_t *m, uint64_t a, uint64_t b, uint32_t *value);

/* Finds (A, B) or inserts it with value FRESH. Returns 1 if it was present
 * (*VALUE = its value), 0 if inserted (*VALUE = FRESH), -ENOMEM if the
 * table could not grow (the map is unchanged). */
int keymap_intern(keymap_t *m, uint64_t a, uint64_t b, uint32_t fresh,
                  uint32_t *value);

#endif
