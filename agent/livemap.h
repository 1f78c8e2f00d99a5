/* livemap.h — a hash map from an address to a fixed-size record about what
 * lives there: the live sampled allocations, and the large regions whose
 * residency is measured. Open addressing with linear probing and
 * backward-shift deletion, backed by mmap (never malloc: it is used from
 * inside malloc). A record is any struct of the size given at
 * livemap_init whose first field is its address (uintptr_t, 0 = empty).
 * Not thread-safe: the caller holds memtrack's lock. */
#ifndef RADIOGRAPH_LIVEMAP_H
#define RADIOGRAPH_LIVEMAP_H

#include <stddef.h>
#include <stdint.h>

/* What memtrack remembers of one sampled block. */
typedef struct livemap_entry {
    uintptr_t addr;          /* 0 = empty slot */
    uint64_t bytes;          /* the weight's share of the bytes requested */
    uint64_t rounding;       /* the weight's share of the allocator's rounding */
    uint32_t stack;          /* stack id of the allocating code */
    uint32_t exact;          /* the owner's kind of entry (memtrack.c: 1, recorded at its own size) */
} livemap_entry_t;

typedef struct livemap {
    unsigned char *slots;
    size_t cap, len;
    size_t esize;            /* bytes per record */
} livemap_t;

/* An empty map of records of ESIZE bytes (at least sizeof(uintptr_t)). */
void livemap_init(livemap_t *m, size_t esize);

/* Inserts or replaces the record for the address E starts with. Returns 0,
 * or -1 if memory could not be mapped (or the address is 0). */
int livemap_put(livemap_t *m, const void *e);

/* The record for ADDR, or NULL. Valid until the next put or take. */
void *livemap_find(const livemap_t *m, uintptr_t addr);

/* Removes the record for ADDR into *OUT (ESIZE bytes). Returns 1 if there
 * was one, else 0. */
int livemap_take(livemap_t *m, uintptr_t addr, void *out);

/* Slot I's record, or NULL if that slot is empty; I < m->cap. For walks
 * over every record (a take moves records, so a walk that takes may see
 * one twice or miss one). */
void *livemap_slot(const livemap_t *m, size_t i);

/* Frees the map's memory; it stays usable (empty, same ESIZE). */
void livemap_free(livemap_t *m);

#endif
