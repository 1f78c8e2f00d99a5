/* htab.h — an open-addressing hash table from a 128-bit key to a 64-bit
 * value, backed by anonymous mmap so that it never calls malloc: the agent
 * runs inside the profiled program, next to (and later inside) its allocator.
 *
 * Used for every interning table of the agent: strings, code objects,
 * frames, the stack trie, per-flush counts. No deletion; htab_clear empties
 * the whole table. Not thread-safe: each table has one owner thread. */
#ifndef RADIOGRAPH_HTAB_H
#define RADIOGRAPH_HTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct htab_entry {
    uint64_t a, b;      /* the key; (0, 0) is reserved for "empty" */
    uint64_t value;
} htab_entry_t;

typedef struct htab {
    htab_entry_t *slots;
    size_t cap;         /* a power of two, or 0 before the first insert */
    size_t len;
    size_t max_len;     /* insertions beyond this fail: bounded memory */
} htab_t;

/* Initialises an empty table that will hold at most MAX_LEN keys. */
void htab_init(htab_t *t, size_t max_len);

/* Releases the table's memory. */
void htab_free(htab_t *t);

/* Finds key (A, B). Returns a pointer to its value, or NULL if absent. */
uint64_t *htab_find(const htab_t *t, uint64_t a, uint64_t b);

/* Finds or inserts key (A, B); a new key's value is 0 and *CREATED is set to
 * 1. Returns a pointer to the value (valid until the next insertion), or
 * NULL if the key (0, 0) was given, the table is full (max_len) or memory
 * could not be mapped. */
uint64_t *htab_upsert(htab_t *t, uint64_t a, uint64_t b, int *created);

/* Removes every key, keeping the memory. */
void htab_clear(htab_t *t);

/* Calls FN for every entry, in slot order. */
void htab_each(const htab_t *t, void (*fn)(const htab_entry_t *, void *), void *arg);

/* 64-bit hash of a byte string (FNV-1a then a final mix). */
uint64_t htab_hash_bytes(const void *data, size_t len);

#endif
