/* The sampler's statistics: the estimate of live bytes is unbiased (the mean
 * over many seeds is within 2% of the truth) for small, mixed and near-R
 * block sizes, its spread matches sqrt(R/B), and blocks of R bytes or more
 * are always seen at their exact size. */
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
    CHECK(sd / truth < 3 * sqrt((double)r / truth), "%s: spread %.2f%% too wide", name, sd / truth * 100);
}

int main(void) {
    const uint64_t R = 256 * 1024;
    check_unbiased("1000 B", fixed_1000, 200000, R, 200);   /* 200 MB of 1 KB blocks */
    check_unbiased("mixed", mixed, 6000, R, 200);            /* ~200 MB, 16 B .. 64 KB */
    check_unbiased("near R", near_r, 1000, R, 200);          /* ~180 MB of 150-210 KB */
    memsample_t s;
    memsample_seed(&s, 7);
    CHECK(memsample_weigh(&s, R, R) == R, "a block of R bytes is always sampled exactly");
    CHECK(memsample_weigh(&s, R, 10 * R) == 10 * R, "large blocks are exact");
    CHECK(memsample_weigh(&s, R, 0) == 0, "empty blocks weigh nothing");
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    else printf("memsample: all checks passed\n");
    return failures != 0;
}
