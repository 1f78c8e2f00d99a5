/* hash.h — the report's hash functions, shared by its open-addressing
 * tables. Not cryptographic: the inputs are untrusted, but a collision flood
 * can only make a report slower, and every table is bounded by input size. */
#ifndef RADIOGRAPH_HASH_H
#define RADIOGRAPH_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The splitmix64 finaliser: every input bit affects every output bit. */
static inline uint64_t hash_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* Hashes N bytes at P, eight at a time. */
static inline uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    if (n)
        memcpy(&v, s, n);
    return hash_mix64(h ^ v);
}

#endif
