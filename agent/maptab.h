/* maptab.h — the program's anonymous mappings, as sorted address ranges, so
 * that munmap of part of a mapping, or MAP_FIXED over one, is counted right
 * (allocators map large regions and trim their ends to align them).
 * mmap-backed; not thread-safe (memtrack's lock). */
#ifndef RADIOGRAPH_MAPTAB_H
#define RADIOGRAPH_MAPTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct maptab_range {
    uintptr_t start, end;    /* [start, end) */
    uint64_t region;         /* the caller's mark, kept by the pieces of a cut range */
} maptab_range_t;

typedef struct maptab {
    maptab_range_t *r;
    size_t n, cap;
} maptab_t;

/* Removes [P, P+LEN) from the table, splitting ranges it cuts. Returns the
 * number of tracked bytes removed. */
size_t maptab_remove(maptab_t *t, uintptr_t p, size_t len);

/* Adds [P, P+LEN) with mark REGION (anything tracked there before is
 * removed first; its size goes to *REPLACED). Returns 0, or -1 if memory
 * could not be mapped. */
int maptab_add(maptab_t *t, uintptr_t p, size_t len, uint64_t region, size_t *replaced);

/* Copies the first MAX tracked ranges that overlap [P, P+LEN) into OUT, as
 * they are (not clipped). Returns how many overlap in all. */
size_t maptab_overlaps(const maptab_t *t, uintptr_t p, size_t len, maptab_range_t *out, size_t max);

void maptab_free(maptab_t *t);

#endif
