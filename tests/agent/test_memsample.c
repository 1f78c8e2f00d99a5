/* The sampler's statistics: the estimate of live bytes is unbiased (the mean
 * over many seeds is within 2% of the truth) for small, mixed and near-R
 * block sizes, also for each of several stacks whose allocations interleave
 * in periodic patterns that could lock onto the sampling distance; its
 * spread is well under Poisson sampling's sqrt(R/B) for a stream; blocks of
 * R bytes or more are always seen at their exact size. */
#include "memsample.h"

#include <math.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            failures++;                                                         \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

typedef uint64_t (*size_fn)(uint64_t i, uint64_t *rng);

static uint64_t fixed_1000(uint64_t i, uint64_t *rng) {
    (void)i; (void)rng;
    return 1000;
}

static uint64_t mixed(uint64_t i, uint64_t *rng) {
    (void)i;
    *rng ^= *rng << 13; *rng ^= *rng >> 7; *rng ^= *rng << 17;
    return 16 + *rng % 65536;
}

static uint64_t near_r(uint64_t i, uint64_t *rng) {
    (void)rng;
    return 150000 + (i % 7) * 10000;   /* 150-210 KB, under R = 256 KiB */
}

static void check_unbiased(const char *name, size_fn fn, uint64_t n, uint64_t r, int seeds) {
    double sum = 0, sumsq = 0, truth = 0;
    for (int seed = 1; seed <= seeds; seed++) {
        memsample_t s;
        memsample_seed(&s, (uint64_t)seed);
        uint64_t rng = 12345, est = 0, tr = 0;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t size = fn(i, &rng);
            tr += size;
            est += memsample_weigh(&s, r, size);
        }
        truth = (double)tr;
        sum += (double)est;
        sumsq += (double)est * (double)est;
    }
    double mean = sum / seeds, sd = sqrt(sumsq / seeds - mean * mean);
    double bias = mean / truth - 1;
    printf("%-10s truth %.0f MB, mean estimate %+.3f%%, spread %.2f%% (sqrt(R/B) %.2f%%)\n", name,
           truth / 1e6, bias * 100, sd / truth * 100, sqrt((double)r / truth) * 100);
    CHECK(fabs(bias) < 0.02, "%s: mean over %d seeds off by %.2f%%", name, seeds, bias * 100);
    CHECK(sd / truth < 0.5 * sqrt((double)r / truth), "%s: spread %.2f%% too wide", name, sd / truth * 100);
}

/* Several stacks allocating in a fixed cycle (stack k allocates SIZES[k]):
 * each stack's estimate must be unbiased on its own. */
static void check_cycle(const char *name, const uint64_t *sizes, int nstacks, uint64_t n,
                        uint64_t r, int seeds) {
    double sum[8] = {0}, truth[8] = {0};
    for (int seed = 1; seed <= seeds; seed++) {
        memsample_t s;
        memsample_seed(&s, (uint64_t)seed * 7919);
        for (uint64_t i = 0; i < n; i++) {
            int k = (int)(i % (uint64_t)nstacks);
            sum[k] += (double)memsample_weigh(&s, r, sizes[k]);
            if (seed == 1) truth[k] += (double)sizes[k];
        }
    }
    for (int k = 0; k < nstacks; k++) {
        double bias = sum[k] / seeds / truth[k] - 1;
        /* a stack of tiny blocks gets few samples even over all seeds: allow
         * four standard deviations of a sample count, at least 2% */
        double tol = 4 * sqrt((double)r / (truth[k] * seeds));
        if (tol < 0.02) tol = 0.02;
        printf("%-10s stack %d (%llu B blocks): mean estimate %+.3f%% (within %.1f%%)\n", name, k,
               (unsigned long long)sizes[k], bias * 100, tol * 100);
        CHECK(fabs(bias) < tol, "%s: stack %d off by %.2f%%", name, k, bias * 100);
    }
}

/* Many fresh streams (threads), each allocating less than R/2 in all: the
 * first distance is the residual life, so the mean is still unbiased. */
static void check_short_streams(uint64_t r) {
    const int streams = 40000, blocks = 14;
    double sum = 0;
    for (int k = 1; k <= streams; k++) {
        memsample_t s;
        memsample_seed(&s, (uint64_t)k * 7919);
        for (int i = 0; i < blocks; i++) sum += (double)memsample_weigh(&s, r, 1000);
    }
    double truth = (double)streams * blocks * 1000, bias = sum / truth - 1;
    printf("%-10s truth %.0f MB, mean estimate %+.3f%%\n", "short", truth / 1e6, bias * 100);
    /* p = 14,000 / 64 KiB per stream: one sd is 1.4% of the truth */
    CHECK(fabs(bias) < 0.06, "short streams: mean estimate off by %+.2f%%", bias * 100);
}

int main(void) {
    const uint64_t R = 256 * 1024;
    check_short_streams(64 * 1024);
    check_unbiased("1000 B", fixed_1000, 200000, R, 200);   /* 200 MB of 1 KB blocks */
    check_unbiased("mixed", mixed, 6000, R, 200);            /* ~200 MB, 16 B .. 64 KB */
    check_unbiased("near R", near_r, 1000, R, 200);          /* ~180 MB of 150-210 KB */
    /* cycles whose period is R/2, R, 3R/2: the distances' own scale */
    static const uint64_t half[] = { 1024, 127 * 1024 };           /* period R/2 */
    static const uint64_t whole[] = { 200 * 1024, 50 * 1024, 6 * 1024 };   /* period R */
    static const uint64_t odd[] = { 1000, 130 * 1024, 400, 253 * 1024, 80 };  /* ~3R/2 */
    check_cycle("period R/2", half, 2, 400000, R, 100);
    check_cycle("period R", whole, 3, 300000, R, 100);
    check_cycle("period 3R/2", odd, 5, 300000, R, 100);
    memsample_t s;
    memsample_seed(&s, 7);
    CHECK(memsample_weigh(&s, R, R) == R, "a block of R bytes is always sampled exactly");
    CHECK(memsample_weigh(&s, R, 10 * R) == 10 * R, "large blocks are exact");
    CHECK(memsample_weigh(&s, R, 0) == 0, "empty blocks weigh nothing");
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    else printf("memsample: all checks passed\n");
    return failures != 0;
}
