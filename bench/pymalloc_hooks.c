/* pymalloc_hooks.c — what sampling pymalloc's allocations would cost: a
 * preloaded wrapper of the object domain's allocator (PyMem_SetAllocator,
 * installed from a constructor before the interpreter starts, as the agent
 * could) doing only the hot path radiograph would add — a countdown on
 * every allocation, and on every free the two address filters memtrack
 * uses for malloc, with the locked table behind them on a hit — and no
 * stack walks. A measurement, not part of radiograph (docs/benchmarks.md,
 * section 6).
 *
 *     gcc -O2 -shared -fPIC $(python3-config --includes) bench/pymalloc_hooks.c \
 *         -o /tmp/pymalloc_hooks.so -lpthread
 *     PYMPROTO=1 LD_PRELOAD=/tmp/pymalloc_hooks.so python3 bench/workloads/alloc_objects.py
 *         (1: the countdown only, 2: with the filters; PYMPROTO_REPORT=1 prints counts)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static PyMemAllocatorEx orig;
static __thread int64_t countdown = 65536;
static uint8_t *fine, *coarse;
static unsigned long sampled, probes;
static int mode;   /* 1: countdown only, 2: + filters */

#include <pthread.h>
#define SET (1u << 20)
static uintptr_t *live;
static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static size_t hsl(uintptr_t p) { return (size_t)(((uint64_t)p * 0x9E3779B97F4A7C15ull) >> 44) & (SET - 1); }
static void set_add(uintptr_t p) { size_t i = hsl(p); while (live[i] && live[i] != p) i = (i + 1) & (SET - 1); live[i] = p; }
static int set_take(uintptr_t p) {
    size_t i = hsl(p);
    while (live[i] && live[i] != p) i = (i + 1) & (SET - 1);
    if (!live[i]) return 0;
    /* backward shift */
    size_t hole = i, j = i;
    for (;;) { j = (j + 1) & (SET - 1); if (!live[j]) break; size_t h = hsl(live[j]); if (((j - h) & (SET - 1)) >= ((j - hole) & (SET - 1))) { live[hole] = live[j]; hole = j; } }
    live[hole] = 0;
    return 1;
}
static size_t slot(uintptr_t p) { return (size_t)(((uint64_t)p * 0x9E3779B97F4A7C15ull) >> 44); }
static size_t cslot(uintptr_t p) { return (size_t)(((uint64_t)(p >> 16) * 0x9E3779B97F4A7C15ull) >> 52); }

static void note(void *p, size_t n) {
    if ((countdown -= (int64_t)n) > 0) return;
    countdown += 32768 + (rand() & 65535);
    sampled++;
    if (mode >= 2 && p) {
        pthread_mutex_lock(&lk);
        set_add((uintptr_t)p);
        if (fine[slot((uintptr_t)p)] < 255) fine[slot((uintptr_t)p)]++;
        if (coarse[cslot((uintptr_t)p)] < 255) coarse[cslot((uintptr_t)p)]++;
        pthread_mutex_unlock(&lk);
    }
}
static void forget(void *p);
static void *w_malloc(void *ctx, size_t n) { (void)ctx; void *p = orig.malloc(orig.ctx, n); note(p, n); return p; }
static void *w_calloc(void *ctx, size_t a, size_t b) { (void)ctx; void *p = orig.calloc(orig.ctx, a, b); note(p, a * b); return p; }
static void *w_realloc(void *ctx, void *q, size_t n) {
    (void)ctx;
    if (mode >= 2) forget(q);
    void *p = orig.realloc(orig.ctx, q, n); note(p, n); return p;
}
static void forget(void *p) {
    if (!(p && coarse[cslot((uintptr_t)p)] && fine[slot((uintptr_t)p)])) return;
    probes++;
    pthread_mutex_lock(&lk);
    if (set_take((uintptr_t)p)) {
        if (fine[slot((uintptr_t)p)] < 255) fine[slot((uintptr_t)p)]--;
        if (coarse[cslot((uintptr_t)p)] < 255) coarse[cslot((uintptr_t)p)]--;
    }
    pthread_mutex_unlock(&lk);
}
static void w_free(void *ctx, void *p) {
    (void)ctx;
    if (mode >= 2) forget(p);
    orig.free(orig.ctx, p);
}

__attribute__((constructor)) static void init(void) {
    const char *m = getenv("PYMPROTO");
    mode = m ? atoi(m) : 0;
    if (!mode) return;
    void (*get)(PyMemAllocatorDomain, PyMemAllocatorEx *) = dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
    void (*set)(PyMemAllocatorDomain, PyMemAllocatorEx *) = dlsym(RTLD_DEFAULT, "PyMem_SetAllocator");
    if (!get || !set) return;
    fine = mmap(NULL, (1 << 20) + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    coarse = fine + (1 << 20);
    live = mmap(NULL, SET * sizeof *live, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    get(PYMEM_DOMAIN_OBJ, &orig);
    PyMemAllocatorEx w = {orig.ctx, w_malloc, w_calloc, w_realloc, w_free};
    set(PYMEM_DOMAIN_OBJ, &w);
}
__attribute__((destructor)) static void fini(void) {
    if (mode && getenv("PYMPROTO_REPORT")) fprintf(stderr, "sampled %lu probes %lu\n", sampled, probes);
}
