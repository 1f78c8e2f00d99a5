/* clock.h — the agent's one clock reading: nanoseconds on clock ID
 * (CLOCK_MONOTONIC for timestamps shared across processes, the CPU-time
 * clocks for costs). */
#ifndef RADIOGRAPH_CLOCK_H
#define RADIOGRAPH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
