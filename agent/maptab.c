/* maptab.c — see maptab.h. A sorted array: mappings are few (thousands at
 * most: pymalloc arenas are 1 MiB), and inserts are rare next to mallocs. */
#include "maptab.h"

#include <string.h>
#include <sys/mman.h>

static int maptab_reserve(maptab_t *t, size_t n) {
    if (n <= t->cap) return 0;
    size_t cap = t->cap ? t->cap * 2 : 256;
    while (cap < n) cap *= 2;
    maptab_range_t *r = mmap(NULL, cap * sizeof *r, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) return -1;
    if (t->r) {
        memcpy(r, t->r, t->n * sizeof *r);
        munmap(t->r, t->cap * sizeof *r);
    }
    t->r = r;
    t->cap = cap;
    return 0;
}

/* The first range whose end is after P. */
static size_t maptab_first(const maptab_t *t, uintptr_t p) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->r[mid].end <= p) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

size_t maptab_remove(maptab_t *t, uintptr_t p, size_t len) {
    uintptr_t end = p + len < p ? UINTPTR_MAX : p + len;
    size_t removed = 0, i = maptab_first(t, p);
    while (i < t->n && t->r[i].start < end) {
        maptab_range_t *r = &t->r[i];
        uintptr_t a = r->start > p ? r->start : p, b = r->end < end ? r->end : end;
        removed += b - a;
        if (r->start < p && r->end > end) {
            /* A hole in the middle: split in two. */
            if (maptab_reserve(t, t->n + 1) != 0) {
                r->end = p;          /* lose the tail rather than fail */
                return removed;
            }
            r = &t->r[i];
            memmove(&t->r[i + 2], &t->r[i + 1], (t->n - i - 1) * sizeof *r);
            t->r[i + 1].start = end;
            t->r[i + 1].end = r->end;
            t->r[i + 1].region = r->region;
            r->end = p;
            t->n++;
            return removed;
        }
        if (r->start < p) {
            r->end = p;
            i++;
        } else if (r->end > end) {
            r->start = end;
            i++;
        } else {
            memmove(r, r + 1, (t->n - i - 1) * sizeof *r);
            t->n--;
        }
    }
    return removed;
}

int maptab_add(maptab_t *t, uintptr_t p, size_t len, uint64_t region, size_t *replaced) {
    *replaced = maptab_remove(t, p, len);
    if (!len || maptab_reserve(t, t->n + 1) != 0) return -1;
    size_t i = maptab_first(t, p);
    memmove(&t->r[i + 1], &t->r[i], (t->n - i) * sizeof t->r[0]);
    t->r[i].start = p;
    t->r[i].end = p + len;
    t->r[i].region = region;
    t->n++;
    return 0;
}

size_t maptab_overlaps(const maptab_t *t, uintptr_t p, size_t len, maptab_range_t *out, size_t max) {
    uintptr_t end = p + len < p ? UINTPTR_MAX : p + len;
    size_t n = 0;
    for (size_t i = maptab_first(t, p); i < t->n && t->r[i].start < end; i++, n++)
        if (n < max) out[n] = t->r[i];
    return n;
}

void maptab_free(maptab_t *t) {
    if (t->r) munmap(t->r, t->cap * sizeof *t->r);
    memset(t, 0, sizeof *t);
}
