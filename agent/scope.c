/* scope.c — see scope.h. The skipped threads are few (those alive when the
 * block began) and looked up once per thread and tick: a linear scan of a
 * small sorted array would do; a binary search costs nothing more. */
#include "scope.h"

#include "tasks.h"

#include <stdlib.h>
#include <string.h>

static struct {
    uintptr_t root_code;
    uint32_t block_tid;
    uint32_t skip[TASKS_MAX];
    int nskip;
} sc;

static int scope_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void scope_set(uintptr_t root_code, uint32_t block_tid, const uint32_t *skip, int nskip) {
    if (nskip < 0) nskip = 0;
    if (nskip > TASKS_MAX) nskip = TASKS_MAX;
    if (nskip) memcpy(sc.skip, skip, (size_t)nskip * sizeof *skip);
    qsort(sc.skip, (size_t)nskip, sizeof *sc.skip, scope_cmp);
    sc.nskip = nskip;
    sc.root_code = root_code;
    sc.block_tid = block_tid;
}

void scope_clear(void) {
    sc.nskip = 0;
    sc.root_code = 0;
    sc.block_tid = 0;
}

int scope_skips_thread(uint32_t tid) {
    int lo = 0, hi = sc.nskip;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (sc.skip[mid] == tid) return 1;
        if (sc.skip[mid] < tid) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int scope_trim(const pyread_frame_t *frames, int n, int *more, uint32_t tid) {
    if (!sc.root_code) return n;
    /* The outermost frame running the root: a recursive root keeps all of
     * its own calls. */
    for (int i = n - 1; i >= 0; i--) {
        if (frames[i].code == sc.root_code) {
            if (more) *more = 0;
            return i + 1;
        }
    }
    return tid == sc.block_tid && !(more && *more) ? -1 : n;
}
