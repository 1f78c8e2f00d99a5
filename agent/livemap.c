/* livemap.c — see livemap.h. Kept at most half full. */
#include "livemap.h"

#include <string.h>
#include <sys/mman.h>

static size_t livemap_hash(uintptr_t a, size_t mask) {
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & mask;
}

static int livemap_grow(livemap_t *m) {
    size_t cap = m->cap ? m->cap * 2 : 4096;
    livemap_entry_t *s = mmap(NULL, cap * sizeof *s, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].addr) continue;
        size_t j = livemap_hash(m->slots[i].addr, cap - 1);
        while (s[j].addr) j = (j + 1) & (cap - 1);
        s[j] = m->slots[i];
    }
    if (m->slots) munmap(m->slots, m->cap * sizeof *m->slots);
    m->slots = s;
    m->cap = cap;
    return 0;
}

int livemap_put(livemap_t *m, const livemap_entry_t *e) {
    if (!e->addr) return -1;
    if ((m->len + 1) * 2 > m->cap && livemap_grow(m) != 0) return -1;
    size_t mask = m->cap - 1, i = livemap_hash(e->addr, mask);
    while (m->slots[i].addr && m->slots[i].addr != e->addr) i = (i + 1) & mask;
    if (!m->slots[i].addr) m->len++;
    m->slots[i] = *e;
    return 0;
}

int livemap_take(livemap_t *m, uintptr_t addr, livemap_entry_t *out) {
    if (!m->cap || !addr) return 0;
    size_t mask = m->cap - 1, i = livemap_hash(addr, mask);
    while (m->slots[i].addr && m->slots[i].addr != addr) i = (i + 1) & mask;
    if (!m->slots[i].addr) return 0;
    *out = m->slots[i];
    /* Backward-shift deletion: pull later entries of the run into the hole
     * when their home slot allows it. */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].addr) break;
        size_t home = livemap_hash(m->slots[j].addr, mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    memset(&m->slots[hole], 0, sizeof m->slots[hole]);
    m->len--;
    return 1;
}

void livemap_free(livemap_t *m) {
    if (m->slots) munmap(m->slots, m->cap * sizeof *m->slots);
    memset(m, 0, sizeof *m);
}
