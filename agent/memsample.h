/* memsample.h — which allocations to sample, and what each sample weighs.
 *
 * Bytes are sampled as a renewal process on the stream of allocated bytes
 * (per thread): the distance to the next sampled byte is drawn uniformly
 * from [R/2, 3R/2] (mean R), and a block is sampled when a sampled byte
 * falls inside it. Poisson sampling (exponential distances, as jemalloc and
 * tcmalloc use) would make each block's fate independent; the narrower
 * distances make samples of a run of allocations nearly evenly spaced, so a
 * stack that allocates B bytes in a stream is estimated with a spread of
 * about sqrt(R/12B) instead of sqrt(R/B) — 3.5 times tighter — while the
 * randomness of each distance still keeps the process from locking onto a
 * periodic allocation pattern.
 *
 * A fresh stream (a thread's first allocation) starts at a distance drawn
 * from that residual life itself, so that a thread allocating less than
 * R/2 in all is sampled as often as any stretch of a long stream.
 * Weights (Horvitz–Thompson, from the process's stationary residual life):
 * a block of s bytes contains a sampled byte with probability
 *     p(s) = s / R                              for s <= R/2
 *     p(s) = 1 - (3R/2 - s)^2 / (2 R^2)         for R/2 < s < R
 * and then weighs s / p(s), so every block's expected weight is s over a
 * long stream. Blocks of R bytes or more skip the process and are always
 * sampled at their own size. Pure: one state per thread. */
#ifndef RADIOGRAPH_MEMSAMPLE_H
#define RADIOGRAPH_MEMSAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct memsample {
    uint64_t rng;          /* xorshift state, never 0 */
    int64_t countdown;     /* bytes to the next sampled byte; <= 0: draw */
} memsample_t;

/* Seeds S (SEED may be anything). */
void memsample_seed(memsample_t *s, uint64_t seed);

/* Decides for a block of SIZE bytes under mean distance R. Returns 0 if it
 * is not sampled, else its weight in bytes. */
uint64_t memsample_weigh(memsample_t *s, uint64_t r, uint64_t size);

#endif
