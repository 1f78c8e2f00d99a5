/* htab.c — see htab.h. Linear probing over a power-of-two array kept at most
 * half full; growth doubles the array through mmap/munmap. */
#include "htab.h"

#include <string.h>
#include <sys/mman.h>

static uint64_t htab_mix(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h;
}

static htab_entry_t *htab_map(size_t cap) {
    void *p = mmap(NULL, cap * sizeof(htab_entry_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void htab_init(htab_t *t, size_t max_len) {
    memset(t, 0, sizeof *t);
    t->max_len = max_len;
}

void htab_free(htab_t *t) {
    if (t->slots) munmap(t->slots, t->cap * sizeof(htab_entry_t));
    t->slots = NULL;
    t->cap = t->len = 0;
}

static htab_entry_t *htab_slot(htab_entry_t *slots, size_t cap, uint64_t a, uint64_t b) {
    size_t mask = cap - 1, i = (size_t)htab_mix(a, b) & mask;
    for (;;) {
        htab_entry_t *e = &slots[i];
        if ((e->a == a && e->b == b) || (e->a == 0 && e->b == 0)) return e;
        i = (i + 1) & mask;
    }
}

uint64_t *htab_find(const htab_t *t, uint64_t a, uint64_t b) {
    if (!t->slots || (a == 0 && b == 0)) return NULL;
    htab_entry_t *e = htab_slot(t->slots, t->cap, a, b);
    return (e->a == 0 && e->b == 0) ? NULL : &e->value;
}

static int htab_grow(htab_t *t) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    htab_entry_t *slots = htab_map(cap);
    if (!slots) return -1;
    for (size_t i = 0; i < t->cap; i++) {
        htab_entry_t *e = &t->slots[i];
        if (e->a || e->b) *htab_slot(slots, cap, e->a, e->b) = *e;
    }
    if (t->slots) munmap(t->slots, t->cap * sizeof(htab_entry_t));
    t->slots = slots;
    t->cap = cap;
    return 0;
}

uint64_t *htab_upsert(htab_t *t, uint64_t a, uint64_t b, int *created) {
    *created = 0;
    if (a == 0 && b == 0) return NULL;
    if (t->slots) {
        htab_entry_t *e = htab_slot(t->slots, t->cap, a, b);
        if (e->a || e->b) return &e->value;
    }
    if (t->len >= t->max_len) return NULL;
    if ((t->len + 1) * 2 > t->cap && htab_grow(t) != 0) return NULL;
    htab_entry_t *e = htab_slot(t->slots, t->cap, a, b);
    e->a = a;
    e->b = b;
    e->value = 0;
    t->len++;
    *created = 1;
    return &e->value;
}

void htab_clear(htab_t *t) {
    if (t->slots) memset(t->slots, 0, t->cap * sizeof(htab_entry_t));
    t->len = 0;
}

void htab_each(const htab_t *t, void (*fn)(const htab_entry_t *, void *), void *arg) {
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].a || t->slots[i].b) fn(&t->slots[i], arg);
}

uint64_t htab_hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001B3ull;
    }
    return htab_mix(h, len) | 1;   /* never 0, so (hash, len) is never (0, 0) */
}
