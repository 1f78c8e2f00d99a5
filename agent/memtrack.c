/* memtrack.c — see memtrack.h. Which blocks are sampled, and their
 * weights: memsample.h.
 *
 * Locks: the exact total is one atomic counter. Everything about sampled
 * blocks (the live map, the per-stack table, the frozen peak) is under
 * mt_lock, taken only for sampled blocks, frees that the filter cannot rule
 * out, mappings, and peak freezes. Stack interning takes stacks_lock, never
 * while mt_lock is held. */
#include "memtrack.h"

#include "arena.h"
#include "clock.h"
#include "htab.h"
#include "livemap.h"
#include "maptab.h"
#include "lowmem.h"
#include "memread.h"
#include "memsample.h"
#include "pyread.h"
#include "rawfmt.h"
#include "rawwrite.h"
#include "scope.h"
#include "stacks.h"
#include "tasks.h"
#include "treepeak.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MT_FILTER_BITS 20                     /* 1 Mi counters, by address */
#define MT_COARSE_BITS 12                     /* 4 Ki counters, by 64 KiB region */
#define MT_COARSE_SHIFT 16
#define MT_SERIES_MAX 4096                    /* buffered series points */
#define MT_SERIES_EPOCH 1024u
#define MT_PEAK_WRITE_NS 1000000000ull
#define MT_SNAPSHOT_MAX ((RAW_RECORD_MAX - sizeof(raw_mem_peak_t)) / sizeof(raw_mem_stack_t) - 1)
#define MT_EXACT 1u                           /* second key of mt.live: blocks >= R */
#define MT_SAMPLED 2u                         /* blocks under R, by their weights */

int memtrack_active;
int memtrack_python_ready;

static __thread int mt_busy __attribute__((tls_model("initial-exec")));
static __thread int mt_ignored __attribute__((tls_model("initial-exec")));  /* the sampler */
static __thread memsample_t mt_sampler __attribute__((tls_model("initial-exec")));
static __thread uint32_t mt_gen_seen __attribute__((tls_model("initial-exec")));
static __thread stacks_cache_t *mt_cache __attribute__((tls_model("initial-exec")));
static __thread uint32_t mt_inherited __attribute__((tls_model("initial-exec")));
static __thread uint32_t mt_inherited_gen __attribute__((tls_model("initial-exec")));

static struct {
    uint64_t R;
    void *(*tstate_of)(void);
    /* Counting filters of the sampled blocks' addresses, read without the
     * lock by every free: a coarse one (4 KiB, stays in the cache) that rules
     * out whole regions with no sampled block, then a fine one. */
    uint8_t *filter, *coarse;
    _Atomic uint32_t gen;             /* bumped at fork: thread caches reset */
    pthread_mutex_t lock;
    livemap_t blocks;                 /* sampled blocks: addr -> weight, stack */
    maptab_t maps;                    /* anonymous mappings */
    htab_t live;                      /* (stack, MT_EXACT / MT_SAMPLED) -> live requested bytes */
    int64_t exact;                    /* live bytes of blocks recorded exactly, rounding included */
    int64_t sampled;                  /* weights of live sampled blocks, rounding included */
    int64_t rounding[2];              /* their allocator rounding: [MT_EXACT - 1], [MT_SAMPLED - 1] */
    int forked;                       /* a forked child: its exact total is not trusted */
    /* The callstacks frozen at the tree's latest committed peak. */
    raw_mem_stack_t *snap;
    size_t nsnap, snap_cap;
    _Atomic uint64_t snap_gen;        /* the peak generation frozen */
    int64_t snap_bytes, snap_tree_bytes;
    uint64_t snap_t;
    int snap_dirty, snap_oom;
    uint64_t last_peak_write;
    /* The last provisional snapshot (mt_provisional). */
    int64_t prov_max, prov_own;
    uint64_t prov_gen, prov_t, prov_every;
    /* Series (sampler thread only). */
    raw_mem_point_t series[MT_SERIES_MAX];
    uint32_t nseries, stride, skip, in_epoch;
    int info_written;
} mt = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t mt_slot(uintptr_t p) {
    return (size_t)(((uint64_t)p * 0x9E3779B97F4A7C15ull) >> (64 - MT_FILTER_BITS));
}

static size_t mt_coarse_slot(uintptr_t p) {
    return (size_t)(((uint64_t)(p >> MT_COARSE_SHIFT) * 0x9E3779B97F4A7C15ull) >> (64 - MT_COARSE_BITS));
}

/* Counter C moves by DELTA; one at 255 stays there (it may stand for more).
 * Writers hold mt.lock. */
static void mt_count(uint8_t *c, int delta) {
    uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
    if (v < 255) __atomic_store_n(c, (uint8_t)(v + delta), __ATOMIC_RELAXED);
}

static void mt_filter_move(uintptr_t p, int delta) {
    mt_count(&mt.filter[mt_slot(p)], delta);
    mt_count(&mt.coarse[mt_coarse_slot(p)], delta);
}

/* 0 if the coarse filter rules out a sampled block at P (and before
 * tracking started: no filter). */
static int mt_coarse_maybe(uintptr_t p) {
    return mt.filter && __atomic_load_n(&mt.coarse[mt_coarse_slot(p)], __ATOMIC_RELAXED);
}

/* 0 if no sampled block can start at P. */
static int mt_maybe_sampled(uintptr_t p) {
    return mt_coarse_maybe(p) && __atomic_load_n(&mt.filter[mt_slot(p)], __ATOMIC_RELAXED);
}

static void mt_forget_all(void);

int memtrack_start(uint64_t sample_bytes, void *(*tstate_of)(void), const char *tree) {
    mt.R = sample_bytes ? sample_bytes : 1;
    if (mt.filter) {
        /* Again, in a later in-process session (attach.h): what the last
         * one tracked is forgotten; its filter is reused, never unmapped
         * under a hook that may still be reading it. */
        pthread_mutex_lock(&mt.lock);
        mt_forget_all();
        pthread_mutex_unlock(&mt.lock);
        mt.forked = 0;
        treepeak_restart();
        atomic_store(&mt.snap_gen, treepeak_generation());
        mt.tstate_of = tstate_of;
        memtrack_active = 1;
        return 0;
    }
    if (treepeak_attach(tree) != 0) return -1;
    atomic_store(&mt.snap_gen, treepeak_generation());
    mt.tstate_of = tstate_of;
    uint8_t *f = mmap(NULL, ((size_t)1 << MT_FILTER_BITS) + ((size_t)1 << MT_COARSE_BITS),
                      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f == MAP_FAILED) return -1;
    mt.coarse = f + ((size_t)1 << MT_FILTER_BITS);
    mt.filter = f;
    htab_init(&mt.live, 1u << 22);
    mt.stride = 1;
    memtrack_active = 1;
    return 0;
}

int memtrack_in_hook(void) {
    return mt_busy && !mt_ignored;
}

void memtrack_ignore_thread(void) {
    mt_ignored = 1;
    mt_busy = 1;
}

/* The stack a thread without Python frames is attributed to. */
static uint32_t mt_fallback(void) {
    return mt_inherited_gen == atomic_load(&mt.gen) ? mt_inherited : 0;
}

/* The calling thread's Python stack, interned; else the stack that started
 * the thread; else 0. */
static uint32_t mt_stack_here(void) {
    static pyread_frame_t frames[STACKS_MAX_DEPTH];   /* used under stacks_lock */
    /* Until the interpreter has made its thread-state key, asking for this
     * thread's state would read someone else's key. The hooks look for
     * themselves (a plain load): the sampler's first tick may come after
     * the program's first line. */
    if (!memtrack_python_ready) {
        if (!pyread_hooks_ready()) return mt_fallback();
        memtrack_python_ready = 1;
    }
    void *ts = mt.tstate_of ? mt.tstate_of() : NULL;
    if (!ts) return mt_fallback();
    pyread_thread_t t;
    /* This thread's own state and frames: it is here, in the hook, so they
     * hold still and stay mapped — plain reads, no system call, until the
     * frames are read (stacks_intern reads what they point to itself). */
    memread_direct(1);
    if (pyread_thread_of((uintptr_t)ts, &t) != 0) {
        memread_direct(0);
        return mt_fallback();
    }
    stacks_lock();
    uint32_t gen = atomic_load(&mt.gen);
    if (mt_gen_seen != gen) {
        /* The arena is reset at fork: this thread's cache is gone. */
        mt_cache = NULL;
        mt_gen_seen = gen;
    }
    if (!mt_cache) {
        mt_cache = arena_alloc(sizeof *mt_cache);
        if (mt_cache) memset(mt_cache, 0, sizeof *mt_cache);
    }
    int more = 0, cut = 0;
    int n = pyread_stack(&t, NULL, 0, frames, STACKS_MAX_DEPTH, &more, &cut);
    memread_direct(0);
    if (n > 0) n = scope_trim(frames, n, &more, t.tid);
    int64_t id = n < 0 ? 0 : stacks_intern(mt_cache, frames, n, more, 1);
    stacks_unlock();
    return id > 0 ? (uint32_t)id : mt_fallback();
}

uint32_t memtrack_creator_stack(void) {
    if (!memtrack_active || mt_busy) return 0;
    mt_busy = 1;
    uint32_t s = mt_stack_here();
    mt_busy = 0;
    return s;
}

void memtrack_inherit(uint32_t stack) {
    mt_inherited = stack;
    mt_inherited_gen = atomic_load(&mt.gen);
}

/* A sampled block E enters (SIGN 1) or leaves (-1) the live tables. Holds
 * mt.lock. */
static void mt_live_add(const livemap_entry_t *e, int sign) {
    int created;
    unsigned kind = e->exact ? MT_EXACT : MT_SAMPLED;
    int64_t bytes = sign * (int64_t)e->bytes, rounding = sign * (int64_t)e->rounding;
    uint64_t *v = htab_upsert(&mt.live, e->stack, kind, &created);
    if (v) *v = (uint64_t)((int64_t)*v + bytes);
    mt.rounding[kind - 1] += rounding;
    *(e->exact ? &mt.exact : &mt.sampled) += bytes + rounding;
}

/* The factor that scales the sampled estimates to the exact live bytes of
 * small blocks (OWN, this process's tracked bytes, minus those recorded
 * exactly), or 1 where that figure is not to be trusted: see memtrack.h.
 * The bound is four standard deviations of the estimate's error under
 * independent (Poisson) sampling, sqrt(R / estimate); the renewal process's
 * is smaller. */
static double mt_calibration(int64_t own) {
    double est = (double)mt.sampled, truth = (double)(own - mt.exact);
    if (mt.forked || est <= 0 || truth <= 0) return 1.0;
    double c = truth / est;
    return (c - 1.0) * (c - 1.0) < 16.0 * (double)mt.R / est ? c : 1.0;
}

static void mt_snap_push(uint32_t stack, uint32_t kind, uint64_t bytes) {
    if (!bytes || mt.nsnap >= MT_SNAPSHOT_MAX) return;
    if (mt.nsnap == mt.snap_cap) {
        size_t cap = mt.snap_cap ? mt.snap_cap * 2 : 1024;
        raw_mem_stack_t *s = mmap(NULL, cap * sizeof *s, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s == MAP_FAILED) return;
        if (mt.snap) {
            memcpy(s, mt.snap, mt.nsnap * sizeof *s);
            munmap(mt.snap, mt.snap_cap * sizeof *s);
        }
        mt.snap = s;
        mt.snap_cap = cap;
    }
    raw_mem_stack_t *r = &mt.snap[mt.nsnap++];
    r->stack = stack;
    r->kind = kind;
    r->bytes = bytes;
}

static uint64_t mt_scaled(int64_t v, double c) {
    return v > 0 ? (uint64_t)((double)v * c + 0.5) : 0;
}

static void mt_live_one(const htab_entry_t *e, void *arg) {
    double c = e->b == MT_SAMPLED ? *(const double *)arg : 1.0;
    mt_snap_push((uint32_t)e->a, RAW_MEM_REQUESTED, mt_scaled((int64_t)e->value, c));
}

/* Copies the per-stack live table, and the allocator's rounding, into
 * mt.snap, for a process holding OWN tracked bytes. Holds mt.lock. */
static void mt_snapshot_locked(int64_t own) {
    double c = mt_calibration(own);
    mt.nsnap = 0;
    htab_each(&mt.live, mt_live_one, &c);
    mt_snap_push(0, RAW_MEM_ROUNDING,
                 mt_scaled(mt.rounding[MT_EXACT - 1], 1.0) + mt_scaled(mt.rounding[MT_SAMPLED - 1], c));
}

/* Freezes the callstacks of peak GEN. Holds mt.lock. */
static void mt_freeze_locked(uint64_t gen, int64_t tree_bytes, uint64_t t, int oom, int64_t own) {
    mt_snapshot_locked(own);
    atomic_store(&mt.snap_gen, gen);
    mt.snap_bytes = own;
    mt.snap_tree_bytes = tree_bytes;
    mt.snap_t = t;
    mt.snap_oom = oom;
    mt.snap_dirty = 1;
}

/* Before any change of its own, a process that has not yet frozen the
 * tree's latest peak freezes now: nothing of its own has changed since. OWN
 * is its live bytes before the change at hand. */
static void mt_check_peak_own(int64_t own) {
    if (treepeak_generation() == atomic_load_explicit(&mt.snap_gen, memory_order_relaxed)) return;
    pthread_mutex_lock(&mt.lock);
    uint64_t gen, t;
    int64_t bytes;
    treepeak_committed(&gen, &bytes, &t);
    if (gen != atomic_load(&mt.snap_gen)) mt_freeze_locked(gen, bytes, t, 0, own);
    pthread_mutex_unlock(&mt.lock);
}

static void mt_check_peak(void) {
    mt_check_peak_own(treepeak_local());
}

static void mt_total_add(int64_t bytes) {
    treepeak_add(bytes);
}

/* SIZE bytes at P, REQUESTED of them asked for: sampled or not. */
static void mt_record(void *p, size_t size, size_t requested) {
    if (!mt.filter) return;
    if (!mt_sampler.rng) memsample_seed(&mt_sampler, (uint64_t)(uintptr_t)&mt_sampler ^ clock_ns(CLOCK_MONOTONIC));
    uint64_t weight = memsample_weigh(&mt_sampler, mt.R, size);
    if (!weight) return;
    /* The weight stands for SIZE-byte blocks; the stack's share is what its
     * code asked for. */
    uint64_t mine = requested >= size ? weight
                  : (uint64_t)((double)weight * (double)requested / (double)size + 0.5);
    livemap_entry_t e = {(uintptr_t)p, mine, weight - mine, mt_stack_here(), size >= mt.R};
    pthread_mutex_lock(&mt.lock);
    livemap_entry_t old;
    if (livemap_take(&mt.blocks, (uintptr_t)p, &old)) {   /* a stale entry */
        mt_live_add(&old, -1);
        mt_filter_move(old.addr, -1);
    }
    if (livemap_put(&mt.blocks, &e) == 0) {
        mt_live_add(&e, 1);
        mt_filter_move(e.addr, 1);
    }
    pthread_mutex_unlock(&mt.lock);
}

static void mt_forget(void *p) {
    if (!mt_maybe_sampled((uintptr_t)p)) return;
    pthread_mutex_lock(&mt.lock);
    livemap_entry_t old;
    if (livemap_take(&mt.blocks, (uintptr_t)p, &old)) {
        mt_live_add(&old, -1);
        mt_filter_move(old.addr, -1);
    }
    pthread_mutex_unlock(&mt.lock);
}

void memtrack_alloc(void *p, size_t size, size_t requested) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    mt_check_peak();
    mt_total_add((int64_t)size);
    mt_record(p, size, requested);
    mt_busy = 0;
}

/* BYTES at P (a block, or mappings starting there) went away. The fall may
 * commit a peak: freeze before the block leaves the per-stack table. */
static void mt_release(void *p, size_t bytes) {
    mt_check_peak();
    int64_t own = treepeak_local();
    mt_total_add(-(int64_t)bytes);
    mt_check_peak_own(own);
    mt_forget(p);
}

void memtrack_will_free(const void *p) {
    /* The fine filter's probe misses the cache more often than not (1 MiB
     * of counters, read at random): where the coarse one cannot rule P out,
     * start that load now, so that it overlaps malloc_usable_size and the
     * locked counter updates, which no later load could pass. */
    if (mt_coarse_maybe((uintptr_t)p)) __builtin_prefetch(&mt.filter[mt_slot((uintptr_t)p)]);
}

void memtrack_free(void *p, size_t size) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    mt_release(p, size);
    mt_busy = 0;
}

void memtrack_map(void *p, size_t len) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    mt_check_peak();
    pthread_mutex_lock(&mt.lock);
    size_t replaced = 0;
    int ok = maptab_add(&mt.maps, (uintptr_t)p, len, &replaced) == 0;
    pthread_mutex_unlock(&mt.lock);
    if (replaced) mt_release(p, replaced);   /* MAP_FIXED over a tracked range */
    if (ok) {
        mt_total_add((int64_t)len);
        mt_record(p, len, len);
    }
    mt_busy = 0;
}

void memtrack_unmap(void *p, size_t len) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    pthread_mutex_lock(&mt.lock);
    size_t removed = maptab_remove(&mt.maps, (uintptr_t)p, len);
    pthread_mutex_unlock(&mt.lock);
    if (removed) mt_release(p, removed);
    mt_busy = 0;
}

void memtrack_remap(void *old, size_t old_len, void *p, size_t len) {
    if (mt_busy) return;
    mt_busy = 1;
    pthread_mutex_lock(&mt.lock);
    size_t removed = maptab_remove(&mt.maps, (uintptr_t)old, old_len);
    pthread_mutex_unlock(&mt.lock);
    if (removed) mt_release(old, removed);
    mt_busy = 0;
    if (removed) memtrack_map(p, len);
}

static void mt_write_peak_locked(void) {
    raw_mem_peak_t h = {mt.snap_t, (uint64_t)(mt.snap_bytes > 0 ? mt.snap_bytes : 0), mt.nsnap,
                        (uint64_t)mt.snap_oom, atomic_load(&mt.snap_gen),
                        (uint64_t)(mt.snap_tree_bytes > 0 ? mt.snap_tree_bytes : 0)};
    rawwrite_record(RAW_MEM_PEAK, &h, sizeof h, mt.snap, mt.nsnap * sizeof(raw_mem_stack_t));
    mt.snap_dirty = 0;
}

/* Memory is running out: the callstacks live now are written at once (the
 * process may not live to its next flush), with MSG as a note. */
static void mt_record_oom(const char *msg) {
    pthread_mutex_lock(&mt.lock);
    uint64_t gen, t;
    int64_t tree;
    treepeak_committed(&gen, &tree, &t);
    mt_freeze_locked(gen, tree, clock_ns(CLOCK_MONOTONIC), 1, treepeak_local());
    mt_write_peak_locked();
    pthread_mutex_unlock(&mt.lock);
    rawwrite_record(RAW_NOTE, msg, strlen(msg), NULL, 0);
    rawwrite_flush();
}

void memtrack_failed(size_t size) {
    static _Atomic int reported;
    if (mt_busy || !memtrack_active) return;
    /* A request larger than the machine (bytearray(1 << 50), caught as
     * MemoryError) is the program's business, not running out of memory. */
    uint64_t total = lowmem_total();
    if (!size || (total && size > total) || atomic_exchange(&reported, 1)) return;
    mt_busy = 1;
    char msg[160];
    snprintf(msg, sizeof msg,
             "process %d: an allocation of %zu bytes failed (out of memory); the memory "
             "profile shows the callstacks live at that moment",
             (int)getpid(), size);
    mt_record_oom(msg);
    mt_busy = 0;
}

void memtrack_low_memory(uint64_t avail, int low) {
    static int armed = 1;
    if (!memtrack_active) return;
    if (!low) {
        armed = 1;
        return;
    }
    if (!armed) return;
    armed = 0;
    char msg[200];
    snprintf(msg, sizeof msg,
             "process %d: memory nearly exhausted (%llu MiB left); the memory profile shows the "
             "callstacks live at that moment",
             (int)getpid(), (unsigned long long)(avail >> 20));
    mt_record_oom(msg);
}

/* A process killed while the tree is at a new high (pool workers get
 * SIGTERM from Pool.terminate, holding what they held) never sees that high
 * committed, so it could never freeze its callstacks for it. So while the
 * tree is at a high that beats the last committed peak by more than the 1%
 * that makes a commit — which guarantees that the next fall, or the end of
 * the run, commits it as generation G+1 — each process writes what it holds
 * as a snapshot of G+1 at once. A process still alive at the commit freezes
 * again then and its file's last snapshot replaces this one; a dead one
 * leaves this one, which is what it held. Throttled: at most one every
 * 250 ms doubling to 2 s per process, and none while its own bytes moved
 * less than 1% since the last. */
#define MT_PROV_FIRST_NS 250000000ull
#define MT_PROV_MAX_NS 2000000000ull

static int mt_provisional(uint64_t now) {
    int64_t max, committed, own;
    uint64_t max_t, gen, committed_t;
    if (!treepeak_at_max(&max, &max_t)) return 0;
    treepeak_committed(&gen, &committed, &committed_t);
    if (gen && max <= committed + committed / 100) return 0;
    /* the same future generation as the last snapshot: only if it moved */
    int same = gen + 1 == mt.prov_gen;
    if (same && max == mt.prov_max) return 0;
    if (mt.prov_t && now - mt.prov_t < (same ? mt.prov_every : MT_PROV_FIRST_NS)) return 0;
    own = treepeak_local();
    if (own <= 0) return 0;
    int64_t moved = own - mt.prov_own;
    if (same && (moved < 0 ? -moved : moved) * 100 < mt.prov_own) return 0;
    pthread_mutex_lock(&mt.lock);
    if (mt.snap_dirty) mt_write_peak_locked();   /* the buffer is about to be reused */
    mt_snapshot_locked(own);
    raw_mem_peak_t h = {max_t, (uint64_t)own, mt.nsnap, 0, gen + 1, (uint64_t)max};
    rawwrite_record(RAW_MEM_PEAK, &h, sizeof h, mt.snap, mt.nsnap * sizeof(raw_mem_stack_t));
    pthread_mutex_unlock(&mt.lock);
    rawwrite_flush();
    mt.prov_max = max;
    mt.prov_own = own;
    mt.prov_gen = gen + 1;
    mt.prov_t = now;
    mt.prov_every = mt.prov_every ? mt.prov_every * 2 : MT_PROV_FIRST_NS;
    if (mt.prov_every > MT_PROV_MAX_NS) mt.prov_every = MT_PROV_MAX_NS;
    return 1;
}

int memtrack_tick(uint64_t now_ns, int with_rss) {
    static uint32_t ticks;
    if (!memtrack_active) return 0;
    mt_check_peak();                      /* an idle process freezes too */
    int wrote = mt_provisional(now_ns);
    if (++ticks % 128 == 0) treepeak_reap();
    if (++mt.skip < mt.stride) return wrote;
    mt.skip = 0;
    raw_mem_point_t *p = &mt.series[mt.nseries++];
    int64_t total = treepeak_local();
    p->t_ns = now_ns;
    p->tracked_bytes = total > 0 ? (uint64_t)total : 0;
    p->rss_bytes = 0;
    if (with_rss) tasks_rss(&p->rss_bytes);
    if (mt.nseries == MT_SERIES_MAX) {
        rawwrite_record(RAW_MEM_SERIES, mt.series, mt.nseries * sizeof mt.series[0], NULL, 0);
        mt.nseries = 0;
    }
    if (++mt.in_epoch == MT_SERIES_EPOCH) {
        mt.in_epoch = 0;
        mt.stride *= 2;
    }
    return wrote;
}

void memtrack_flush(uint64_t now_ns, int final) {
    if (!memtrack_active) return;
    if (!mt.info_written) {
        raw_mem_info_t info = {mt.R, 0};
        rawwrite_record(RAW_MEM_INFO, &info, sizeof info, NULL, 0);
        mt.info_written = 1;
    }
    if (final) {
        treepeak_finish();
        mt_check_peak();
    }
    if (mt.nseries) {
        rawwrite_record(RAW_MEM_SERIES, mt.series, mt.nseries * sizeof mt.series[0], NULL, 0);
        mt.nseries = 0;
    }
    pthread_mutex_lock(&mt.lock);
    if (mt.snap_dirty && (final || now_ns - mt.last_peak_write >= MT_PEAK_WRITE_NS)) {
        mt_write_peak_locked();
        mt.last_peak_write = now_ns;
    }
    pthread_mutex_unlock(&mt.lock);
    if (final) treepeak_leave();
}

void memtrack_fork_child(void) {
    if (!memtrack_active) return;
    pthread_mutex_init(&mt.lock, NULL);
    mt_forget_all();
    mt.forked = 1;
    treepeak_fork_child();
    /* Peaks the tree reached before this process existed are not its. */
    atomic_store(&mt.snap_gen, treepeak_generation());
    mt_busy = 0;
}

/* Forgets every block, mapping, total and snapshot: a forked child's start,
 * and a new in-process session's. */
static void mt_forget_all(void) {
    livemap_free(&mt.blocks);
    maptab_free(&mt.maps);
    htab_free(&mt.live);
    htab_init(&mt.live, 1u << 22);
    mt.exact = mt.sampled = 0;
    mt.rounding[0] = mt.rounding[1] = 0;
    if (mt.filter) memset(mt.filter, 0, ((size_t)1 << MT_FILTER_BITS) + ((size_t)1 << MT_COARSE_BITS));
    atomic_fetch_add(&mt.gen, 1);
    mt.nsnap = 0;
    mt.snap_bytes = mt.snap_tree_bytes = 0;
    mt.snap_t = 0;
    mt.snap_dirty = 0;
    mt.last_peak_write = 0;
    mt.prov_max = mt.prov_own = 0;
    mt.prov_gen = mt.prov_t = mt.prov_every = 0;
    mt.nseries = 0;
    mt.info_written = 0;
    mt.stride = 1;
    mt.skip = mt.in_epoch = 0;
}
