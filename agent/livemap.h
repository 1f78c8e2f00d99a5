/* livemap.h — the live sampled allocations (and anonymous mappings): a hash
 * map from an address to what is known about the block there. Open
 * addressing with linear probing and backward-shift deletion, backed by
 * mmap (never malloc: it is used from inside malloc). Not thread-safe: the
 * caller holds memtrack's lock. */
#ifndef RADIOGRAPH_LIVEMAP_H
#define RADIOGRAPH_LIVEMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct livemap_entry {
    uintptr_t addr;          /* 0 = empty slot */
    uint64_t bytes;          /* the weight's share of the bytes requested */
    uint64_t rounding;       /* the weight's share of the allocator's rounding */
    uint32_t stack;          /* stack id of the allocating code */
    uint32_t exact;          /* 1: recorded at its own size (R bytes or more) */
} livemap_entry_t;

typedef struct livemap {
    livemap_entry_t *slots;
    size_t cap, len;
} livemap_t;

/* Inserts or replaces the entry for E->addr. Returns 0, or -1 if memory
 * could not be mapped. */
int livemap_put(livemap_t *m, const livemap_entry_t *e);

/* Removes the entry for ADDR into *OUT. Returns 1 if there was one, else 0. */
int livemap_take(livemap_t *m, uintptr_t addr, livemap_entry_t *out);

/* Frees the map's memory. */
void livemap_free(livemap_t *m);

#endif
