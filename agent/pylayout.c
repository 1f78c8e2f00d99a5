/* pylayout.c — see pylayout.h. The rows themselves are generated data. */
#include "pylayout.h"

#include <stdio.h>
#include <string.h>

#include "pylayout_rows.h"

#define PYLAYOUT_NROWS (sizeof pylayout_rows / sizeof pylayout_rows[0])
#define PYLAYOUT_DEBUG_COOKIE "xdebugpy"

const pylayout_t *pylayout_find(uint32_t py_version) {
    for (size_t i = 0; i < PYLAYOUT_NROWS; i++)
        if (pylayout_rows[i].version == (py_version & 0xFFFF0000u)) return &pylayout_rows[i];
    return NULL;
}

int pylayout_verify(const pylayout_t *row, uintptr_t runtime, uint32_t py_version, char *why,
                    size_t cap) {
    if (row->runtime.debug_offsets == PYLAYOUT_NONE) return 0;
    /* _PyRuntime is the interpreter's own static data: always mapped. */
    const unsigned char *d = (const unsigned char *)(runtime + row->runtime.debug_offsets);
    uint64_t version, free_threaded;
    if (memcmp(d + row->debug.cookie, PYLAYOUT_DEBUG_COOKIE, 8) != 0) {
        snprintf(why, cap, "whose _PyRuntime has no debug offsets (cookie missing)");
        return -1;
    }
    memcpy(&version, d + row->debug.version, sizeof version);
    memcpy(&free_threaded, d + row->debug.free_threaded, sizeof free_threaded);
    if (version != py_version) {
        snprintf(why, cap, "whose debug offsets are for version 0x%08llx", (unsigned long long)version);
        return -1;
    }
    if (free_threaded) {
        snprintf(why, cap, "a free-threaded build");
        return -1;
    }
    for (uint32_t i = 0; i < row->nchecks; i++) {
        uint64_t have;
        memcpy(&have, d + row->checks[i].at, sizeof have);
        if (have != row->checks[i].want) {
            snprintf(why, cap,
                     "whose debug offsets disagree with radiograph's layout for %s (at %u: %llu, expected %llu)",
                     row->tag, row->checks[i].at, (unsigned long long)have,
                     (unsigned long long)row->checks[i].want);
            return -1;
        }
    }
    return 0;
}

const char *pylayout_supported(void) {
    static char text[128];
    if (text[0]) return text;
    size_t n = 0;
    for (size_t i = 0; i < PYLAYOUT_NROWS && n < sizeof text; i++) {
        const char *sep = i == 0 ? "" : i + 1 == PYLAYOUT_NROWS ? " and " : ", ";
        int k = snprintf(text + n, sizeof text - n, "%s%u.%u", sep, pylayout_rows[i].version >> 24,
                         (pylayout_rows[i].version >> 16) & 255);
        if (k < 0) break;
        n += (size_t)k;
    }
    return text;
}
