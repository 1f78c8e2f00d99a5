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

/* The CLOCK_REALTIME moment NS nanoseconds from now, as the absolute
 * deadline pthread_timedjoin_np and friends take. */
static inline struct timespec clock_realtime_in(uint64_t ns) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t nsec = (uint64_t)ts.tv_nsec + ns % 1000000000ull;
    ts.tv_sec += (time_t)(ns / 1000000000ull + nsec / 1000000000ull);
    ts.tv_nsec = (long)(nsec % 1000000000ull);
    return ts;
}

#endif
