/* fuzz_driver.c — a deterministic mutation fuzzer for `meson test`: takes
 * the corpus (a directory of raw files, plus a sample built in memory) and
 * feeds LLVMFuzzerTestOneInput a fixed number of mutants — bit flips,
 * interesting integers written over lengths and ids, truncations, inserted
 * and deleted chunks, splices of two seeds — from a fixed seed, so a failure
 * reproduces exactly. With the sanitizer build it is a cheap but real fuzz
 * run on every CI; the libFuzzer target explores further when run by hand.
 *
 *     fuzz_rawread_driver CORPUS_DIR [ITERATIONS] [SEED]
 */
#include "rawbuild.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SEEDS_MAX 64
#define FUZZ_INPUT_MAX (1u << 20)

typedef struct fuzz_seed {
    uint8_t *data;
    size_t len;
} fuzz_seed_t;

static uint64_t fuzz_state;

static uint64_t fuzz_rand(void)
{
    uint64_t x = fuzz_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return fuzz_state = x;
}

static size_t fuzz_below(size_t n)
{
    return n ? (size_t)(fuzz_rand() % n) : 0;
}

static int fuzz_load(const char *dir, fuzz_seed_t *seeds, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    char *names[FUZZ_SEEDS_MAX];
    size_t nn = 0;
    while ((e = readdir(d)) && nn < FUZZ_SEEDS_MAX)
        if (e->d_name[0] != '.')
            names[nn++] = strdup(e->d_name);
    closedir(d);
    /* sorted, so the run does not depend on readdir's order */
    for (size_t i = 1; i < nn; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *buf = malloc(FUZZ_INPUT_MAX);
        size_t len = buf ? fread(buf, 1, FUZZ_INPUT_MAX, f) : 0;
        fclose(f);
        if (!buf)
            continue;
        seeds[*n].data = buf;
        seeds[*n].len = len;
        (*n)++;
    }
    return 0;
}

static const uint32_t fuzz_interesting[] = {
    0, 1, 2, 7, 8, 16, 24, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
    20, 21, 22, 32, 48,                   /* memory record types, MEM_PEAK heads */
    (1u << 20), (1u << 20) + 1, 0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu,
};

/* Applies one random mutation to BUF (LEN bytes, capacity FUZZ_INPUT_MAX). */
static size_t fuzz_mutate(uint8_t *buf, size_t len, const fuzz_seed_t *seeds, size_t nseeds)
{
    switch (fuzz_below(7)) {
    case 0:     /* flip a bit */
        if (len)
            buf[fuzz_below(len)] ^= (uint8_t)(1u << fuzz_below(8));
        return len;
    case 1: {   /* an interesting u32, aligned to 4 like most fields */
        if (len < 4)
            return len;
        size_t at = fuzz_below(len - 3) & ~(size_t)3;
        uint32_t v = fuzz_interesting[fuzz_below(sizeof fuzz_interesting /
                                                 sizeof *fuzz_interesting)];
        if (fuzz_below(4) == 0)
            v += (uint32_t)fuzz_below(3) - 1;
        memcpy(buf + at, &v, 4);
        return len;
    }
    case 2:     /* truncate */
        return fuzz_below(len + 1);
    case 3: {   /* delete a chunk */
        if (!len)
            return len;
        size_t at = fuzz_below(len), n = fuzz_below(len - at) % 64 + 1;
        if (at + n > len)
            n = len - at;
        memmove(buf + at, buf + at + n, len - at - n);
        return len - n;
    }
    case 4: {   /* duplicate a chunk */
        if (!len)
            return len;
        size_t at = fuzz_below(len), n = fuzz_below(64) + 1;
        if (at + n > len)
            n = len - at;
        if (len + n > FUZZ_INPUT_MAX)
            return len;
        memmove(buf + at + n, buf + at, len - at);
        return len + n;
    }
    case 5: {   /* splice: our prefix, another seed's suffix */
        const fuzz_seed_t *o = &seeds[fuzz_below(nseeds)];
        size_t keep = fuzz_below(len + 1), from = fuzz_below(o->len + 1);
        size_t n = o->len - from;
        if (keep + n > FUZZ_INPUT_MAX)
            n = FUZZ_INPUT_MAX - keep;
        memcpy(buf + keep, o->data + from, n);
        return keep + n;
    }
    default:    /* a random byte */
        if (len)
            buf[fuzz_below(len)] = (uint8_t)fuzz_rand();
        return len;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS] [SEED]\n", argv[0]);
        return 2;
    }
    long iterations = argc > 2 ? atol(argv[2]) : 10000;
    fuzz_state = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x2545f4914f6cdd1dull;
    if (!fuzz_state)
        fuzz_state = 1;
    fuzz_seed_t seeds[FUZZ_SEEDS_MAX + 1];
    size_t nseeds = 0;
    if (fuzz_load(argv[1], seeds, &nseeds) < 0) {
        fprintf(stderr, "%s: cannot read the corpus %s\n", argv[0], argv[1]);
        return 1;
    }
    rawbuild_t sample;
    rawbuild_sample(&sample, 4242);
    seeds[nseeds].data = sample.data;
    seeds[nseeds].len = sample.len;
    nseeds++;

    uint8_t *buf = malloc(FUZZ_INPUT_MAX);
    if (!buf)
        return 1;
    clock_t t0 = clock();
    for (size_t i = 0; i < nseeds; i++)
        LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);
    for (long it = 0; it < iterations; it++) {
        const fuzz_seed_t *s = &seeds[fuzz_below(nseeds)];
        size_t len = s->len;
        memcpy(buf, s->data, len);
        int rounds = 1 + (int)fuzz_below(4);
        for (int r = 0; r < rounds; r++)
            len = fuzz_mutate(buf, len, seeds, nseeds);
        /* an exact-size copy, so the sanitizer sees any read past the end */
        uint8_t *input = malloc(len ? len : 1);
        memcpy(input, buf, len);
        LLVMFuzzerTestOneInput(input, len);
        free(input);
    }
    printf("%s: %zu seeds, %ld mutants, %.2f s, no crash\n", argv[0], nseeds, iterations,
           (double)(clock() - t0) / CLOCKS_PER_SEC);
    free(buf);
    for (size_t i = 0; i + 1 < nseeds; i++)
        free(seeds[i].data);
    rawbuild_free(&sample);
    return 0;
}
