/* rsspeak.h — peak memory of a run from the processes' RSS readings (the
 * STATS records), until the agent's own allocation tracking replaces it:
 * the highest sum over processes of each one's latest reading, and at least
 * the highest single-process peak (VmHWM). summary.json names the source
 * ("peak_memory_source": "rss"). */
#ifndef RADIOGRAPH_RSSPEAK_H
#define RADIOGRAPH_RSSPEAK_H

#include "model.h"

#include <stddef.h>
#include <stdint.h>

/* Computes the peak over the N processes at PROCS into *PEAK. Returns 1 if
 * any process had a reading, 0 if none (*PEAK = 0), -ENOMEM. */
int rsspeak_compute(const model_process_t *procs, size_t n, uint64_t *peak);

#endif
