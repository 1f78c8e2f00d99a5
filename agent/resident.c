/* resident.c — see resident.h. The vector mincore fills is a buffer on the
 * caller's stack (4 KiB: 16 MiB of address space a call), so any thread may
 * measure at once, inside an allocation hook too. */
#include "resident.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RESIDENT_VEC 4096

size_t resident_page(void) {
    static size_t page;
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

/* Resident pages among N entries of V (mincore sets bit 0 of each). */
static size_t resident_count(const unsigned char *v, size_t n) {
    size_t got = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, v + i, 8);
        got += (size_t)__builtin_popcountll(w & 0x0101010101010101ull);
    }
    for (; i < n; i++) got += v[i] & 1;
    return got;
}

int64_t resident_bytes(uintptr_t p, size_t len) {
    if (!len) return 0;
    size_t page = resident_page();
    uintptr_t lo = p & ~(uintptr_t)(page - 1), end = p + len;
    if (end < p) return -1;
    uintptr_t hi = (end + page - 1) & ~(uintptr_t)(page - 1);
    unsigned char v[RESIDENT_VEC];
    int64_t bytes = 0;
    int first_in = 0, last_in = 0;
    for (uintptr_t a = lo; a < hi;) {
        size_t pages = (hi - a) / page;
        if (pages > RESIDENT_VEC) pages = RESIDENT_VEC;
        if (mincore((void *)a, pages * page, v) != 0) return -1;
        if (a == lo) first_in = v[0] & 1;
        if (a + pages * page == hi) last_in = v[pages - 1] & 1;
        bytes += (int64_t)(resident_count(v, pages) * page);
        a += pages * page;
    }
    /* The ends of pages the range only partly covers. */
    if (first_in) bytes -= (int64_t)(p - lo);
    if (last_in) bytes -= (int64_t)(hi - end);
    return bytes < 0 ? 0 : bytes;
}
