/* memsample.c — see memsample.h. */
#include "memsample.h"


void memsample_seed(memsample_t *s, uint64_t seed) {
    s->rng = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    if (!s->rng) s->rng = 1;
    s->countdown = 0;
}

static uint64_t memsample_random(memsample_t *s) {
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

/* A distance uniform in [R/2, 3R/2]. */
static int64_t memsample_draw(memsample_t *s, uint64_t r) {
    uint64_t half = r / 2;
    int64_t d = (int64_t)(half + memsample_random(s) % (r + 1));
    return d < 1 ? 1 : d;
}

/* The distance to the first sampled byte of a fresh stream (a new thread's)
 * is the process's residual life, not a whole distance: uniform in
 * [0, R/2) half the time, else 3R/2 less R times the larger of two uniform
 * draws (a density falling straight from R/2 to 3R/2). The weights assume
 * it (memsample.h); a whole distance first would leave a thread that
 * allocates less than R/2 in all never sampled. */
static int64_t memsample_first(memsample_t *s, uint64_t r) {
    uint64_t u = memsample_random(s);
    int64_t d;
    if (u & 1) {
        d = (int64_t)((u >> 1) % (r / 2 + 1));
    } else {
        uint64_t a = memsample_random(s) % (r + 1), b = memsample_random(s) % (r + 1);
        d = (int64_t)(r + r / 2 - (a > b ? a : b));
    }
    return d < 1 ? 1 : d;
}

uint64_t memsample_weigh(memsample_t *s, uint64_t r, uint64_t size) {
    if (size == 0) return 0;
    if (size >= r) return size;
    if (s->countdown <= 0) s->countdown = memsample_first(s, r);
    s->countdown -= (int64_t)size;
    if (s->countdown > 0) return 0;
    /* The next sampled byte lies a fresh distance after this one, which may
     * still be inside this block: only one sample per block. */
    do s->countdown += memsample_draw(s, r);
    while (s->countdown <= 0);
    double sz = (double)size, rr = (double)r, p;
    if (2 * size <= r) {
        p = sz / rr;
    } else {
        double left = 1.5 * rr - sz;
        p = 1 - left * left / (2 * rr * rr);
    }
    return (uint64_t)(sz / p + 0.5);
}
