/* resident_cost.c — what one measurement of residency (agent/resident.c)
 * costs: a 1 GiB anonymous mapping left untouched, written, a quarter
 * written, or only read (the zero page), with 4 KiB and 2 MiB pages; the
 * best of 5 calls of resident_bytes each, as a markdown table.
 *
 *     gcc -O2 -Iagent bench/resident_cost.c agent/resident.c agent/fdhigh.c -lpthread -o /tmp/resident_cost
 *     /tmp/resident_cost
 */
#define _GNU_SOURCE
#include "resident.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double rc_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* MODE: 0 untouched, 1 written, 2 read only, 3 a quarter written. */
static void rc_one(const char *what, int huge, int mode) {
    size_t len = (size_t)1 << 30;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return;
    madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    if (mode == 1) memset(p, 1, len);
    if (mode == 3) memset(p, 1, len / 4);
    if (mode == 2) {
        volatile char s = 0;
        for (size_t i = 0; i < len; i += 4096) s += p[i];
    }
    double best = 1e9;
    long long got = 0;
    for (int i = 0; i < 5; i++) {
        double t = rc_now();
        got = resident_bytes((uintptr_t)p, len);
        double d = rc_now() - t;
        if (d < best) best = d;
    }
    printf("| %s | %s | %lld MiB | %.0f us |\n", what, huge ? "2 MiB (THP)" : "4 KiB", got >> 20, best * 1e6);
    munmap(p, len);
}

int main(void) {
    printf("| the mapping | pages | resident | time |\n|---|---|---|---|\n");
    rc_one("never touched", 0, 0);
    rc_one("all written", 0, 1);
    rc_one("all written", 1, 1);
    rc_one("a quarter written", 0, 3);
    rc_one("all read, never written", 0, 2);
    rc_one("all read, never written", 1, 2);
    return 0;
}
