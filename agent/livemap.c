/* livemap.c — see livemap.h. Kept at most half full. */
#include "livemap.h"

#include <string.h>
#include <sys/mman.h>

/* A product's high bits depend on all of the address, its low ones on its
 * low bits alone: they are folded down, so that addresses differing only
 * high up (blocks of one heap, 16 bytes apart and more) spread over the
 * table instead of running together. */
static size_t livemap_hash(uintptr_t a, size_t mask) {
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 32)) & mask;
}

static uintptr_t livemap_key(const void *e) {
    uintptr_t a;
    memcpy(&a, e, sizeof a);
    return a;
}

static unsigned char *livemap_at(const livemap_t *m, size_t i) {
    return m->slots + i * m->esize;
}

void livemap_init(livemap_t *m, size_t esize) {
    memset(m, 0, sizeof *m);
    m->esize = esize < sizeof(uintptr_t) ? sizeof(uintptr_t) : esize;
}

static int livemap_grow(livemap_t *m) {
    size_t cap = m->cap ? m->cap * 2 : 4096;
    unsigned char *s = mmap(NULL, cap * m->esize, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        const unsigned char *e = livemap_at(m, i);
        uintptr_t a = livemap_key(e);
        if (!a) continue;
        size_t j = livemap_hash(a, cap - 1);
        while (livemap_key(s + j * m->esize)) j = (j + 1) & (cap - 1);
        memcpy(s + j * m->esize, e, m->esize);
    }
    if (m->slots) munmap(m->slots, m->cap * m->esize);
    m->slots = s;
    m->cap = cap;
    return 0;
}

/* The slot holding ADDR, or the empty slot where it would go. */
static size_t livemap_probe(const livemap_t *m, uintptr_t addr) {
    size_t mask = m->cap - 1, i = livemap_hash(addr, mask);
    for (;;) {
        uintptr_t a = livemap_key(livemap_at(m, i));
        if (!a || a == addr) return i;
        i = (i + 1) & mask;
    }
}

int livemap_put(livemap_t *m, const void *e) {
    uintptr_t addr = livemap_key(e);
    if (!addr) return -1;
    if ((m->len + 1) * 2 > m->cap && livemap_grow(m) != 0) return -1;
    unsigned char *s = livemap_at(m, livemap_probe(m, addr));
    if (!livemap_key(s)) m->len++;
    memcpy(s, e, m->esize);
    return 0;
}

void *livemap_find(const livemap_t *m, uintptr_t addr) {
    if (!m->cap || !addr) return NULL;
    unsigned char *s = livemap_at(m, livemap_probe(m, addr));
    return livemap_key(s) ? s : NULL;
}

int livemap_take(livemap_t *m, uintptr_t addr, void *out) {
    if (!m->cap || !addr) return 0;
    size_t mask = m->cap - 1, i = livemap_probe(m, addr);
    if (!livemap_key(livemap_at(m, i))) return 0;
    memcpy(out, livemap_at(m, i), m->esize);
    /* Backward-shift deletion: pull later records of the run into the hole
     * when their home slot allows it. */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        uintptr_t a = livemap_key(livemap_at(m, j));
        if (!a) break;
        size_t home = livemap_hash(a, mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            memcpy(livemap_at(m, hole), livemap_at(m, j), m->esize);
            hole = j;
        }
    }
    memset(livemap_at(m, hole), 0, m->esize);
    m->len--;
    return 1;
}

void *livemap_slot(const livemap_t *m, size_t i) {
    unsigned char *s = livemap_at(m, i);
    return livemap_key(s) ? s : NULL;
}

void livemap_free(livemap_t *m) {
    if (m->slots) munmap(m->slots, m->cap * m->esize);
    size_t esize = m->esize;
    memset(m, 0, sizeof *m);
    m->esize = esize;
}
