/* arena.c — see arena.h. Chunks of 1 MiB (or larger for a large request),
 * chained through their first word so arena_reset can unmap them. */
#include "arena.h"

#include <stdint.h>
#include <sys/mman.h>

#define ARENA_CHUNK (1u << 20)
#define ARENA_CAP (64u << 20)

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size;
} arena_chunk_t;

static arena_chunk_t *arena_head;
static size_t arena_off, arena_total;

void *arena_alloc(size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (!arena_head || arena_off + size > arena_head->size) {
        size_t chunk = size + 64 > ARENA_CHUNK ? size + 64 : ARENA_CHUNK;
        if (arena_total + chunk > ARENA_CAP) return NULL;
        void *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
        arena_chunk_t *c = p;
        c->next = arena_head;
        c->size = chunk;
        arena_head = c;
        arena_off = 64;
        arena_total += chunk;
    }
    void *out = (char *)arena_head + arena_off;
    arena_off += size;
    return out;
}

void arena_reset(void) {
    while (arena_head) {
        arena_chunk_t *next = arena_head->next;
        munmap(arena_head, arena_head->size);
        arena_head = next;
    }
    arena_off = arena_total = 0;
}
