/* memsample.c — see memsample.h. */
#include "memsample.h"

#include <math.h>

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

/* An exponential draw of mean R. */
static int64_t memsample_draw(memsample_t *s, uint64_t r) {
    double u = ((double)(memsample_random(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double d = -log(u) * (double)r;
    return d < 1 ? 1 : d > 9.0e18 ? INT64_MAX : (int64_t)d;
}

uint64_t memsample_weigh(memsample_t *s, uint64_t r, uint64_t size) {
    if (size == 0) return 0;
    if (size >= r) return size;
    if (s->countdown <= 0) s->countdown = memsample_draw(s, r);
    s->countdown -= (int64_t)size;
    if (s->countdown > 0) return 0;
    s->countdown = memsample_draw(s, r);
    double w = (double)size / -expm1(-(double)size / (double)r);
    return (uint64_t)(w + 0.5);
}
