/* memsample.h — which allocations to sample, and what each sample weighs.
 *
 * Bytes are sampled as a Poisson process of mean distance R: a countdown
 * drawn from an exponential distribution of mean R; a block of s < R bytes
 * is sampled when the countdown runs out inside it, which happens with
 * probability p = 1 - exp(-s/R) (the process is memoryless), and then
 * weighs s/p — so the expected weight of every block is exactly s
 * (Horvitz–Thompson), whatever its size. Blocks of R bytes or more are
 * always sampled, at their own size. Pure: one state per thread. */
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
