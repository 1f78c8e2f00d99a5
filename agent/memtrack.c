/* memtrack.c — see memtrack.h. Which blocks are sampled, and their
 * weights: memsample.h.
 *
 * Locks: the exact total is one atomic counter. Everything about sampled
 * blocks (the live map, the per-stack table, the frozen peak) and regions
 * is under mt_lock, taken only for sampled blocks, frees that the filter
 * cannot rule out, regions, mappings, and peak freezes. Stack interning
 * takes stacks_lock, never while mt_lock is held.
 *
 * Regions: blocks and anonymous mappings of at least L bytes (L = R, at
 * least 64 KiB) count in the totals by their resident bytes, not their
 * size (memtrack.h). Each is measured (resident.h: PAGEMAP_SCAN, else
 * mincore): by the sampler at every tick, for at most MT_TICK_PAGES pages
 * (128 MiB of address space: at most ~0.15 ms, where every page was
 * written; far less for pages untouched or huge), skipping regions already found
 * fully resident ("settled" — a live block or mapping only loses pages to
 * madvise, which is hooked) and backing off from those found unchanged
 * (MT_BACKOFF_MAX); just before a fall commits a new peak, or takes the
 * total more than 1% of the peak below where it stood when they were last
 * measured (the regions not backing off: mt_before_fall); and when the
 * region itself is freed or unmapped, so the bytes it reached are counted
 * before it goes. A new region counts nothing until it is measured: a
 * reservation never raises the peak, and a block allocated and written
 * between two ticks is measured by whichever comes first. The hot path
 * (blocks under L) is untouched by any of this. */
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
#include "resident.h"
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MT_FILTER_BITS 20                     /* 1 Mi counters, by address */
/* The fine filter, then the coarse one (memtrack.h), in one mapping. */
#define MT_FILTERS_BYTES (((size_t)1 << MT_FILTER_BITS) + ((size_t)1 << MEMTRACK_COARSE_BITS))
#define MT_SERIES_MAX 4096                    /* buffered series points */
#define MT_SERIES_EPOCH 1024u
#define MT_PEAK_WRITE_NS 1000000000ull
#define MT_SNAPSHOT_MAX ((RAW_RECORD_MAX - sizeof(raw_mem_peak_t)) / sizeof(raw_mem_stack_t) - 1)
#define MT_EXACT 1u                           /* second key of mt.live: blocks >= R */
#define MT_SAMPLED 2u                         /* blocks under R, by their weights */
/* livemap_entry_t.exact: sampled block, recorded exactly, sampled small mapping */
enum { MT_ENTRY_SAMPLED, MT_ENTRY_EXACT, MT_ENTRY_MAP };
#define MT_REGION_MIN (64u * 1024)            /* L is R, and at least this */
/* Anonymous mappings under L (CPython's frame-stack chunks, 16 KiB each,
 * mapped and unmapped on every call across a chunk boundary) are sampled
 * at this many times R: a sampled allocation walks its thread's whole
 * stack, which in deep recursion is thousands of frames. */
#define MT_MAP_SAMPLE_FACTOR 64u
#define MT_TICK_PAGES (32u * 1024)            /* pages measured per tick */
#define MT_PEAK_PAGES (1u << 20)              /* before a commit: 4 GiB of address space */
#define MT_CUTS 16u                           /* mappings handled per pass of an unmap */
/* A region listed as "reserved, not used" at the peak: at least this much,
 * and at least half of it, not resident. */
#define MT_RESERVED_MIN (1u << 20)
/* mt.high once the regions have been measured: the next fall sets it to
 * the total it finds (the level after the fall that measured them). */
#define MT_HIGH_UNSET INT64_MIN

/* A block or anonymous mapping of L bytes or more, counted by residency. */
typedef struct mt_region {
    uintptr_t start;                  /* key */
    uint64_t len;                     /* usable size, or mapping length */
    uint64_t requested;               /* what the code asked for (a mapping: len) */
    uint64_t counted;                 /* resident bytes in the totals */
    uint32_t stack;
    uint8_t flags;                    /* MT_R_* */
    uint8_t every, wait;              /* the tick measures it every EVERY ticks */
    uint8_t same;                     /* measurements in a row that found no change */
} mt_region_t;

#define MT_R_MAPPING 1u
#define MT_R_SETTLED 2u                       /* counted == len: not measured again */
#define MT_R_WATCHED 4u                       /* unsettled and not backing off (every == 0) */

/* Which unsettled regions a measuring pass looks at. */
enum {
    MT_SETTLE_TICK,                           /* those whose backoff is over (counts it down) */
    MT_SETTLE_ALL,
    MT_SETTLE_ACTIVE,                         /* those watched, and those counting nothing */
    MT_SETTLE_WATCHED,                        /* those not backing off: new, or changing (MT_R_WATCHED) */
};
/* A region the tick found unchanged twice in a row is measured half as
 * often, down to once every this many ticks: pages only read, or a
 * reservation barely used, cost next to nothing. Measurements at a free
 * ignore it, those before a commit too for regions that count nothing yet
 * (one measured before its first write: measuring an untouched region
 * costs a few microseconds a GiB). */
#define MT_BACKOFF_MAX 16u

memtrack_hot_t memtrack_hot;
int memtrack_python_ready;

__thread memtrack_thread_t memtrack_self __attribute__((tls_model("initial-exec")));
#define mt_busy memtrack_self.busy
static __thread int mt_ignored __attribute__((tls_model("initial-exec")));  /* the sampler */
static __thread memsample_t mt_map_sampler __attribute__((tls_model("initial-exec")));
static __thread uint32_t mt_gen_seen __attribute__((tls_model("initial-exec")));
static __thread stacks_cache_t *mt_cache __attribute__((tls_model("initial-exec")));
static __thread uint32_t mt_inherited __attribute__((tls_model("initial-exec")));
static __thread uint32_t mt_inherited_gen __attribute__((tls_model("initial-exec")));
/* The thread's last small anonymous mapping, unsampled, not yet in the
 * tables (mt_last_*): CPython maps a frame-stack chunk on a call across a
 * chunk's end and unmaps it on the return, 100,000 times a second in deep
 * recursion. A mapping unmapped by the thread that mapped it before its
 * next mapping never reaches the tables, the totals or the lock; any other
 * use of its range puts it there first. While it waits it is not in the
 * totals: at most one mapping under L per thread. */
typedef struct mt_last {
    uintptr_t p;
    size_t len;
    uint32_t gen;                     /* mt.gen when it was kept */
} mt_last_t;
static __thread mt_last_t mt_last __attribute__((tls_model("initial-exec")));

static struct {
    uint64_t R;
    uint64_t L;                       /* blocks and mappings from here up are regions */
    void *(*tstate_of)(void);
    /* Counting filters of the sampled blocks' addresses, read without the
     * lock by every free: a coarse one (64 KiB, a counter a page, indexed
     * by address so a compact heap's frees stay in a few cache lines) that
     * rules out whole pages with no sampled block, then a fine one. */
    uint8_t *filter, *coarse;
    _Atomic uint32_t gen;             /* bumped at fork: thread caches reset */
    pthread_mutex_t lock;
    livemap_t blocks;                 /* sampled blocks: addr -> weight, stack */
    maptab_t maps;                    /* anonymous mappings; region 1: counted by residency */
    livemap_t regions;                /* mt_region_t by start */
    size_t unsettled;                 /* regions not known to be fully resident */
    size_t watched;                   /* regions MT_R_WATCHED */
    size_t scan;                      /* the tick's measuring resumes at this slot */
    htab_t live;                      /* (stack, MT_EXACT / MT_SAMPLED) -> live requested bytes */
    int64_t exact;                    /* live bytes of blocks recorded exactly, rounding included */
    int64_t sampled_maps;             /* of mt.sampled, the small mappings' weights */
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
    int oom_seen;                     /* this process ran out of memory once */
    uint64_t last_peak_write;
    /* The highest this process's total has stood since the regions that may
     * be changing were last measured (mt_falls_far); written by the threads
     * that fall, on a line of its own. */
    _Alignas(64) _Atomic int64_t high;
    char high_pad[64 - sizeof(int64_t)];
    /* The last provisional snapshot (mt_provisional). */
    int64_t prov_max, prov_own;
    uint64_t prov_gen, prov_t, prov_every;
    /* Series (sampler thread only). */
    raw_mem_point_t series[MT_SERIES_MAX];
    raw_mem_tree_point_t tree_series[MT_SERIES_MAX];
    uint32_t nseries, stride, skip, in_epoch;
    int info_written;
} mt = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* By 16-byte granule (glibc's blocks start on one each) within each 16 MiB
 * of address space, that window's run of counters starting at an offset
 * hashed from its place: the blocks of a page have their counters in a few
 * cache lines, so the frees the coarse filter lets through (those on the
 * pages of sampled blocks) find them in the cache; two block starts in one
 * window never share a counter. */
static size_t mt_slot(uintptr_t p) {
    uint64_t window = (uint64_t)p >> (MT_FILTER_BITS + 4);
    return (size_t)((((uint64_t)p >> 4) + ((window * 0x9E3779B97F4A7C15ull) >> (64 - MT_FILTER_BITS))) &
                    ((1u << MT_FILTER_BITS) - 1));
}

/* Counter C moves by DELTA; one at 255 stays there (it may stand for more).
 * Writers hold mt.lock. */
static void mt_count(uint8_t *c, int delta) {
    uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
    if (v < 255) __atomic_store_n(c, (uint8_t)(v + delta), __ATOMIC_RELAXED);
}

static void mt_filter_move(uintptr_t p, int delta) {
    mt_count(&mt.filter[mt_slot(p)], delta);
    mt_count(&mt.coarse[memtrack_coarse_slot(p)], delta);
}

/* 0 if the coarse filter rules out a sampled block at P (and before
 * tracking started: no filter). */
static int mt_coarse_maybe(uintptr_t p) {
    return mt.filter && __atomic_load_n(&mt.coarse[memtrack_coarse_slot(p)], __ATOMIC_RELAXED);
}

/* 0 if no sampled block can start at P. */
static int mt_maybe_sampled(uintptr_t p) {
    return mt_coarse_maybe(p) && __atomic_load_n(&mt.filter[mt_slot(p)], __ATOMIC_RELAXED);
}

static void mt_forget_all(void);

/* Each thread's exit adds what its quick path still holds (mt_thread_gone). */
static pthread_key_t mt_key;
static int mt_key_made;
static void mt_thread_gone(void *arg);

int memtrack_start(uint64_t sample_bytes, void *(*tstate_of)(void), const char *tree) {
    mt.R = sample_bytes ? sample_bytes : 1;
    memtrack_hot.R = mt.R;
    mt.L = mt.R > MT_REGION_MIN ? mt.R : MT_REGION_MIN;
    resident_open();
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
    livemap_init(&mt.blocks, sizeof(livemap_entry_t));
    livemap_init(&mt.regions, sizeof(mt_region_t));
    mt_key_made = pthread_key_create(&mt_key, mt_thread_gone) == 0;
    if (treepeak_attach(tree) != 0) return -1;
    atomic_store(&mt.snap_gen, treepeak_generation());
    mt.tstate_of = tstate_of;
    uint8_t *f = mmap(NULL, MT_FILTERS_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f == MAP_FAILED) return -1;
    mt.coarse = f + ((size_t)1 << MT_FILTER_BITS);
    mt.filter = f;
    memtrack_hot.coarse = mt.coarse;
    htab_init(&mt.live, 1u << 22);
    atomic_store(&mt.high, MT_HIGH_UNSET);
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

void memtrack_hold(int on) {
    if (!mt_ignored) mt_busy = on;
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
    unsigned kind = e->exact == MT_ENTRY_EXACT ? MT_EXACT : MT_SAMPLED;
    int64_t bytes = sign * (int64_t)e->bytes, rounding = sign * (int64_t)e->rounding;
    uint64_t *v = htab_upsert(&mt.live, e->stack, kind, &created);
    if (v) *v = (uint64_t)((int64_t)*v + bytes);
    mt.rounding[kind - 1] += rounding;
    *(kind == MT_EXACT ? &mt.exact : &mt.sampled) += bytes + rounding;
    if (e->exact == MT_ENTRY_MAP) mt.sampled_maps += bytes + rounding;
}

/* The factor that scales the sampled estimates to the exact live bytes of
 * small blocks and mappings (OWN, this process's tracked bytes, minus those
 * recorded exactly), or 1 where that figure is not to be trusted: see
 * memtrack.h. The bound is four standard deviations of the estimate's error
 * under independent (Poisson) sampling: a variance of R a byte of blocks
 * and MT_MAP_SAMPLE_FACTOR times that a byte of small mappings (one sample
 * of those, 4 MiB of weight, may be live at a peak of a few MB), taken at
 * the larger of the estimate and the truth (a low estimate from a few
 * samples is no evidence against the truth); the renewal process's is
 * smaller. */
static double mt_calibration(int64_t own) {
    double est = (double)mt.sampled, truth = (double)(own - mt.exact);
    if (est <= 0) return 1.0;
    /* A forked child's total is what it allocated less what it freed,
     * inherited blocks included: at most what its samples say. It is what
     * the child adds to the tree, so the estimates are scaled down to it. */
    if (mt.forked) return truth <= 0 ? 0.0 : truth < est ? truth / est : 1.0;
    if (truth <= 0) return 1.0;
    double maps = mt.sampled_maps > 0 ? (double)mt.sampled_maps : 0.0;
    double blocks = (truth > est ? truth : est) - maps;
    double var = (double)mt.R * (blocks > 0 ? blocks : 0.0) + (double)mt.R * MT_MAP_SAMPLE_FACTOR * maps;
    return (truth - est) * (truth - est) < 16.0 * var ? truth / est : 1.0;
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

/* Regions that were reserved but barely used, as RAW_MEM_RESERVED entries:
 * their stacks, and the bytes of each not resident. Holds mt.lock. */
static void mt_snapshot_reserved(void) {
    for (size_t i = 0; i < mt.regions.cap; i++) {
        const mt_region_t *r = livemap_slot(&mt.regions, i);
        if (!r) continue;
        uint64_t idle = r->len - r->counted;
        if (idle >= MT_RESERVED_MIN && 2 * idle >= r->len) mt_snap_push(r->stack, RAW_MEM_RESERVED, idle);
    }
}

/* Copies the per-stack live table, and the allocator's rounding, into
 * mt.snap, for a process holding OWN tracked bytes; then the reserved
 * regions. Holds mt.lock. */
static void mt_snapshot_locked(int64_t own) {
    double c = mt_calibration(own);
    mt.nsnap = 0;
    htab_each(&mt.live, mt_live_one, &c);
    mt_snap_push(0, RAW_MEM_ROUNDING,
                 mt_scaled(mt.rounding[MT_EXACT - 1], 1.0) + mt_scaled(mt.rounding[MT_SAMPLED - 1], c));
    mt_snapshot_reserved();
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

static void mt_write_peak_locked(void);

/* Before any change of its own, a process that has not yet frozen the
 * tree's latest peak freezes now: nothing of its own has changed since.
 * When this process wrote a provisional snapshot naming that generation
 * (mt_provisional), what it holds now goes out at once: killed next (a
 * pool torn down) it leaves this, not the earlier provisional figure. */
static void mt_check_peak(void) {
    if (treepeak_generation() == atomic_load_explicit(&mt.snap_gen, memory_order_relaxed)) return;
    pthread_mutex_lock(&mt.lock);
    uint64_t gen, t;
    int64_t bytes;
    int urgent = 0;
    treepeak_committed(&gen, &bytes, &t);
    if (gen != atomic_load(&mt.snap_gen)) {
        mt_freeze_locked(gen, bytes, t, 0, treepeak_local());
        if ((urgent = gen == mt.prov_gen)) mt_write_peak_locked();
    }
    pthread_mutex_unlock(&mt.lock);
    if (urgent) rawwrite_flush();
}

static void mt_total_add(int64_t bytes) {
    treepeak_add(bytes);
}

/* ---- regions ---------------------------------------------------------- */

/* Region R's counted bytes enter (SIGN 1) or leave (-1) the live tables:
 * the stack is credited with what its code asked for, the rest is
 * rounding. Holds mt.lock. */
static void mt_region_live(const mt_region_t *r, int sign) {
    uint64_t mine = r->counted < r->requested ? r->counted : r->requested;
    int created;
    uint64_t *v = htab_upsert(&mt.live, r->stack, MT_EXACT, &created);
    if (v) *v = (uint64_t)((int64_t)*v + sign * (int64_t)mine);
    mt.rounding[MT_EXACT - 1] += sign * (int64_t)(r->counted - mine);
    mt.exact += sign * (int64_t)r->counted;
}

/* R's MT_R_SETTLED and MT_R_WATCHED, and the counts of regions without
 * the one and with the other, follow its counted bytes and its last
 * measurements. Holds mt.lock. */
static void mt_region_flags(mt_region_t *r) {
    uint8_t f = r->flags & (uint8_t)~(MT_R_SETTLED | MT_R_WATCHED);
    if (r->counted >= r->len) f |= MT_R_SETTLED;
    else if (!r->every) f |= MT_R_WATCHED;
    uint8_t d = f ^ r->flags;
    if (d & MT_R_SETTLED) {
        if (f & MT_R_SETTLED) mt.unsettled--;
        else mt.unsettled++;
    }
    if (d & MT_R_WATCHED) {
        if (f & MT_R_WATCHED) mt.watched++;
        else mt.watched--;
    }
    r->flags = f;
}

/* Region OLD has left the map: the counts forget it. Holds mt.lock. */
static void mt_region_uncount(const mt_region_t *old) {
    if (!(old->flags & MT_R_SETTLED)) mt.unsettled--;
    if (old->flags & MT_R_WATCHED) mt.watched--;
}

/* R now counts COUNTED bytes: the tables and the total follow. Holds
 * mt.lock (the total is lock-free). */
static void mt_region_count(mt_region_t *r, uint64_t counted) {
    if (counted > r->len) counted = r->len;
    int64_t d = (int64_t)counted - (int64_t)r->counted;
    if (d) {
        mt_region_live(r, -1);
        r->counted = counted;
        mt_region_live(r, 1);
        mt_total_add(d);
    }
    mt_region_flags(r);
}

/* Enters region R (its counted bytes too). Returns 0, or -1 if it could not
 * be remembered (then nothing was counted). Holds mt.lock. */
static int mt_region_put(const mt_region_t *r) {
    mt_region_t old;
    if (livemap_take(&mt.regions, r->start, &old)) {   /* a stale entry */
        mt_region_live(&old, -1);
        mt_region_uncount(&old);
        mt_total_add(-(int64_t)old.counted);
    }
    mt_region_t fresh = *r;
    uint64_t counted = fresh.counted;
    fresh.counted = 0;
    fresh.flags &= (uint8_t)~(MT_R_SETTLED | MT_R_WATCHED);
    if (livemap_put(&mt.regions, &fresh) != 0) return -1;
    mt.unsettled++;
    mt_region_count(livemap_find(&mt.regions, r->start), counted);
    return 0;
}

/* Takes the region at START out of the tables; returns the bytes it
 * counted (the caller takes them out of the total), or -1 if there was
 * none. Holds mt.lock. */
static int64_t mt_region_take(uintptr_t start) {
    mt_region_t old;
    if (!livemap_take(&mt.regions, start, &old)) return -1;
    mt_region_live(&old, -1);
    mt_region_uncount(&old);
    return (int64_t)old.counted;
}

/* Measures region R. A rise is counted at once; a fall (pages given back
 * with madvise) returns the new figure for the caller to apply after
 * mt_before_fall, else -1. Holds mt.lock. */
static int64_t mt_region_measure(mt_region_t *r) {
    int64_t now = resident_bytes(r->start, r->len);
    if (now < 0) return -1;
    if ((uint64_t)now >= r->counted) {
        mt_region_count(r, (uint64_t)now);
        return -1;
    }
    return now;
}

static void mt_before_fall(uint64_t fall);

/* Applies falls found by measuring: each goes through mt_before_fall. */
typedef struct mt_fall {
    uintptr_t start;
    uint64_t was, now;                /* counted, and found resident */
} mt_fall_t;

static void mt_apply_falls(const mt_fall_t *fall, size_t n) {
    for (size_t j = 0; j < n; j++) {
        mt_before_fall(fall[j].was - fall[j].now);
        pthread_mutex_lock(&mt.lock);
        mt_region_t *r = livemap_find(&mt.regions, fall[j].start);
        if (r && fall[j].now < r->counted) mt_region_count(r, fall[j].now);
        pthread_mutex_unlock(&mt.lock);
    }
}

/* Measures unsettled regions (WHICH of them: MT_SETTLE_*), from the scan
 * position on, until PAGES pages have been looked at. Falls are applied
 * when FALLS, else left for a later measurement. Holds nothing. */
static void mt_settle(uint64_t pages, int falls, int which) {
    if (!__atomic_load_n(which == MT_SETTLE_WATCHED ? &mt.watched : &mt.unsettled, __ATOMIC_RELAXED)) return;
    size_t page = resident_page(), nfall = 0;
    mt_fall_t fall[MT_CUTS];
    pthread_mutex_lock(&mt.lock);
    size_t cap = mt.regions.cap, from = mt.scan, watched = mt.watched;
    for (size_t k = 0; k < cap && mt.unsettled && pages; k++) {
        size_t i = (from + k) & (cap - 1);
        mt_region_t *r = livemap_slot(&mt.regions, i);
        if (!r || (r->flags & MT_R_SETTLED)) continue;
        if (which == MT_SETTLE_ACTIVE && !(r->flags & MT_R_WATCHED) && r->counted) continue;
        if (which == MT_SETTLE_WATCHED && !(r->flags & MT_R_WATCHED)) continue;
        if (which == MT_SETTLE_TICK && r->wait) {
            r->wait--;
            continue;
        }
        uint64_t n = r->len / page + 1;
        pages = n < pages ? pages - n : 0;
        mt.scan = i + 1;
        uint64_t before = r->counted;
        int64_t now = mt_region_measure(r);
        if (now < 0 && r->counted == before) {
            if (r->same < 2) r->same++;
            if (r->same >= 2) {
                r->every = r->every ? (uint8_t)(r->every * 2 > MT_BACKOFF_MAX ? MT_BACKOFF_MAX : r->every * 2) : 1;
                r->wait = r->every;
            }
        } else {
            r->every = r->wait = r->same = 0;
        }
        mt_region_flags(r);
        if (now >= 0 && nfall < MT_CUTS) fall[nfall++] = (mt_fall_t){r->start, r->counted, (uint64_t)now};
        if (which == MT_SETTLE_WATCHED && !--watched) break;   /* every one seen */
    }
    pthread_mutex_unlock(&mt.lock);
    if (falls) mt_apply_falls(fall, nfall);
}

/* 1 if a fall of up to FALL bytes would take this process's total further
 * below the highest it has stood since the watched regions (MT_R_WATCHED:
 * those not backing off — new ones, those being written) were last
 * measured than the step
 * that makes a commit (1% of the tree's committed peak, at least L): what
 * was written in them since, while the total stood still because nothing
 * had measured it, could be a peak that this fall would leave behind
 * unseen. Ratchets mt.high. Two relaxed loads when none is watched. */
static int mt_falls_far(uint64_t fall) {
    int64_t high = atomic_load_explicit(&mt.high, memory_order_relaxed);
    if (!__atomic_load_n(&mt.watched, __ATOMIC_RELAXED)) {
        /* nothing unmeasured: the next region's watch starts from then */
        if (high != MT_HIGH_UNSET) atomic_store_explicit(&mt.high, MT_HIGH_UNSET, memory_order_relaxed);
        return 0;
    }
    int64_t own = treepeak_local();
    if (own > high) atomic_store_explicit(&mt.high, high = own, memory_order_relaxed);
    uint64_t depth = (uint64_t)(high - own) + fall;
    if (depth <= mt.L) return 0;
    uint64_t gen, t;
    int64_t peak;
    treepeak_committed(&gen, &peak, &t);
    return peak <= 0 || depth > (uint64_t)peak / 100;
}

/* Just before this process's total falls by up to FALL bytes. If the fall
 * would take the total more than a commit's step below where it stood when
 * the watched regions were last measured (mt_falls_far), they are measured
 * first. If the fall will then commit a new peak, the regions are measured
 * (their bytes are part of that peak), the peak is committed now and the
 * callstacks frozen while what is about to go is still in them; measured
 * then: the regions not backing off — new ones, those that changed when
 * last measured (being written) — and those that count nothing yet; one
 * partly resident and unchanged twice (pages only read, a reservation
 * barely used) is left to the ticks. So the total never falls more than
 * that step below a high of regions being written without measuring them:
 * a peak the ticks had not seen is missed by at most 1%, the granularity of
 * commits anyway. Both are rare (each step is 1% of the peak), and cost
 * little, bounded by MT_PEAK_PAGES. */
static void mt_before_fall(uint64_t fall) {
    mt_check_peak();
    int far = mt_falls_far(fall);
    if (far) mt_settle(MT_PEAK_PAGES, 0, MT_SETTLE_WATCHED);
    if (treepeak_would_commit()) {
        mt_settle(MT_PEAK_PAGES, 0, MT_SETTLE_ACTIVE);
        treepeak_commit();
        mt_check_peak();
    } else if (!far) {
        return;
    }
    atomic_store_explicit(&mt.high, MT_HIGH_UNSET, memory_order_relaxed);
}

/* ---- the quick path's pending bytes (memtrack.h) ---------------------- */

/* The calling thread's PENDING reaches the totals: a rise as one
 * allocation, a fall as one free (mt_before_fall first). Bytes counted
 * before the tracking was reset (a forked child, a new in-process session)
 * are dropped. The thread's exit will do the same (mt_thread_gone). */
static void mt_pending_add(void) {
    memtrack_thread_t *t = &memtrack_self;
    int64_t q = t->pending;
    uint32_t gen = atomic_load_explicit(&mt.gen, memory_order_relaxed);
    t->pending = 0;
    if (t->gen != gen) {
        t->gen = gen;
        q = 0;
    }
    if (!t->keyed && mt_key_made) {
        t->keyed = 1;
        pthread_setspecific(mt_key, t);
    }
    if (q > 0) {
        mt_check_peak();
        mt_total_add(q);
    } else if (q < 0) {
        mt_before_fall((uint64_t)-q);
        mt_total_add(q);
    }
}

/* Before the calling thread's PENDING takes bytes of its own: what an
 * earlier generation left in it is dropped, and the thread keyed. */
static inline void mt_pending_fresh(void) {
    memtrack_thread_t *t = &memtrack_self;
    if (!t->keyed || t->gen != atomic_load_explicit(&mt.gen, memory_order_relaxed)) mt_pending_add();
}

static void mt_thread_gone(void *arg) {
    memtrack_thread_t *t = arg;
    if (t != &memtrack_self || t->busy || !memtrack_active) return;
    t->busy = 1;
    mt_pending_add();
    t->busy = 0;
}

/* A region appears: block or mapping P of LEN bytes (REQUESTED asked for),
 * counting COUNTED bytes at first. If it cannot be remembered it counts in
 * full, as its free will take out in full. Returns 1 if remembered. */
static int mt_region_new(void *p, size_t len, size_t requested, uint32_t flags, uint64_t counted) {
    mt_region_t r = {(uintptr_t)p, len, requested, counted, mt_stack_here(), (uint8_t)flags, 0, 0, 0};
    pthread_mutex_lock(&mt.lock);
    int ok = mt_region_put(&r) == 0;
    pthread_mutex_unlock(&mt.lock);
    if (!ok) mt_total_add((int64_t)len);
    return ok;
}

/* Block P of SIZE bytes, a region, is freed: what it reached is counted,
 * then it goes. */
static void mt_region_free(void *p, size_t size) {
    pthread_mutex_lock(&mt.lock);
    mt_region_t *r = livemap_find(&mt.regions, (uintptr_t)p);
    if (r && !(r->flags & MT_R_SETTLED)) mt_region_measure(r);
    uint64_t fall = r ? r->counted : size;
    pthread_mutex_unlock(&mt.lock);
    mt_before_fall(fall);
    pthread_mutex_lock(&mt.lock);
    int64_t counted = mt_region_take((uintptr_t)p);
    pthread_mutex_unlock(&mt.lock);
    mt_total_add(-(counted >= 0 ? counted : (int64_t)size));
}

/* ---- blocks and mappings ---------------------------------------------- */

/* SIZE bytes at P, REQUESTED of them asked for: sampled (by SAMPLER at mean
 * distance R) or not. */
static void mt_record_weighed(void *p, size_t size, size_t requested, uint64_t weight, int entry);

/* The draw for a block of SIZE bytes under mean distance R: 0, or its
 * weight. */
static uint64_t mt_weigh(memsample_t *sampler, uint64_t R, size_t size) {
    if (!sampler->rng) memsample_seed(sampler, (uint64_t)(uintptr_t)sampler ^ clock_ns(CLOCK_MONOTONIC));
    return memsample_weigh(sampler, R, size);
}

static void mt_record(memsample_t *sampler, uint64_t R, void *p, size_t size, size_t requested) {
    if (!mt.filter) return;
    uint64_t weight = mt_weigh(sampler, R, size);
    if (weight) mt_record_weighed(p, size, requested, weight, size >= R ? MT_ENTRY_EXACT : MT_ENTRY_SAMPLED);
}

/* Records the sampled block of SIZE bytes at P, of WEIGHT (ENTRY: an
 * MT_ENTRY_* kind; MT_ENTRY_EXACT for one at least the mean distance,
 * recorded whatever the draw). */
static void mt_record_weighed(void *p, size_t size, size_t requested, uint64_t weight, int entry) {
    /* The weight stands for SIZE-byte blocks; the stack's share is what its
     * code asked for. */
    uint64_t mine = requested >= size ? weight
                  : (uint64_t)((double)weight * (double)requested / (double)size + 0.5);
    livemap_entry_t e = {(uintptr_t)p, mine, weight - mine, mt_stack_here(), (uint32_t)entry};
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

/* The sampled block at P, if any, leaves the tables. Holds mt.lock. */
static void mt_forget_locked(uintptr_t p) {
    livemap_entry_t old;
    if (livemap_take(&mt.blocks, p, &old)) {
        mt_live_add(&old, -1);
        mt_filter_move(old.addr, -1);
    }
}

static void mt_forget(void *p) {
    if (!mt_maybe_sampled((uintptr_t)p)) return;
    pthread_mutex_lock(&mt.lock);
    mt_forget_locked((uintptr_t)p);
    pthread_mutex_unlock(&mt.lock);
}

void memtrack_alloc(void *p, size_t size, size_t requested) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    if (size >= mt.L) {
        mt_pending_add();
        mt_check_peak();
        mt_region_new(p, size, requested, 0, 0);
    } else {
        /* Counted as the quick path counts, then sampled. */
        mt_pending_fresh();
        mt_check_peak();
        memtrack_self.pending += (int64_t)size;
        if (memtrack_self.pending > MEMTRACK_BATCH) mt_pending_add();
        mt_record(&memtrack_self.sampler, mt.R, p, size, requested);
    }
    mt_busy = 0;
}

void memtrack_free(void *p, size_t size) {
    if (mt_busy || !p) return;
    /* Through the coarse filter but not sampled: counted as the quick path
     * counts (memtrack.h). */
    if (size < mt.R && !mt_maybe_sampled((uintptr_t)p) &&
        memtrack_self.pending - (int64_t)size >= -MEMTRACK_BATCH) {
        memtrack_self.pending -= (int64_t)size;
        return;
    }
    mt_busy = 1;
    if (size >= mt.L) {
        mt_pending_add();
        mt_region_free(p, size);
    } else {
        /* The block's bytes and the thread's pending ones fall as one: a
         * peak that fall commits is committed, and the callstacks frozen,
         * before the block leaves the tables. */
        mt_pending_fresh();
        memtrack_self.pending -= (int64_t)size;
        mt_pending_add();
        mt_forget(p);
    }
    mt_busy = 0;
}

/* A region block moved or changed size (realloc): the new one starts with
 * the bytes the old had resident (its contents moved with it), at most its
 * size, so growing a buffer neither falls nor counts the bytes twice. */
void memtrack_realloc(void *old, size_t old_size, void *p, size_t size, size_t requested) {
    if (mt_busy || !old || !p) return;
    if (old_size < mt.L || size < mt.L) {
        memtrack_free(old, old_size);
        memtrack_alloc(p, size, requested);
        return;
    }
    mt_busy = 1;
    mt_pending_add();
    mt_check_peak();
    pthread_mutex_lock(&mt.lock);
    mt_region_t *r = livemap_find(&mt.regions, (uintptr_t)old);
    if (r && !(r->flags & MT_R_SETTLED)) mt_region_measure(r);
    uint64_t had = r ? r->counted : 0;
    pthread_mutex_unlock(&mt.lock);
    uint64_t carry = had < size ? had : size;
    if (!r || carry < had) mt_before_fall(r ? had - carry : old_size);
    mt_region_t fresh = {(uintptr_t)p, size, requested, 0, mt_stack_here(), 0, 0, 0, 0};
    pthread_mutex_lock(&mt.lock);
    int64_t counted = mt_region_take((uintptr_t)old);
    if (counted < 0) counted = (int64_t)old_size;          /* never remembered: in full */
    if (carry > (uint64_t)counted) carry = (uint64_t)counted;
    int ok = mt_region_put(&fresh) == 0;
    mt_region_t *n = ok ? livemap_find(&mt.regions, (uintptr_t)p) : NULL;
    if (n && carry) {
        /* counted in the tables, not the total: the move changes it by
         * carry - counted only */
        mt_region_live(n, -1);
        n->counted = carry;
        mt_region_live(n, 1);
        mt_region_flags(n);
    }
    pthread_mutex_unlock(&mt.lock);
    mt_total_add(ok ? (int64_t)carry - counted : (int64_t)size - counted);
    mt_busy = 0;
}

/* The piece [A, B) of the mapping C, a region, goes: the pieces left keep
 * what is resident in them, at most what C counted. The total falls first
 * and rises by the pieces after, so the cut never makes a high of its own
 * (the caller has seen to the peak). Holds mt.lock. */
static void mt_region_cut(const maptab_range_t *c, uintptr_t a, uintptr_t b) {
    const mt_region_t *r = livemap_find(&mt.regions, c->start);
    if (!r) {
        mt_total_add(-(int64_t)(b - a));   /* never remembered: counted in full */
        return;
    }
    uint32_t stack = r->stack;
    uint64_t budget = (uint64_t)mt_region_take(c->start);
    mt_total_add(-(int64_t)budget);
    maptab_range_t tail;
    uintptr_t piece[2][2] = {{c->start, a}, {b, c->end}};
    /* a split the table could not make loses the tail (maptab.h) */
    int tail_kept = c->end > b && maptab_overlaps(&mt.maps, b, c->end - b, &tail, 1) && tail.start == b;
    for (int k = 0; k < 2; k++) {
        uintptr_t s = piece[k][0], e = piece[k][1];
        if (e <= s || (k == 1 && !tail_kept)) continue;
        int64_t now = resident_bytes(s, e - s);
        uint64_t keep = now > 0 ? ((uint64_t)now < budget ? (uint64_t)now : budget) : 0;
        mt_region_t r2 = {s, e - s, e - s, keep, stack, MT_R_MAPPING, 0, 0, 0};
        if (mt_region_put(&r2) == 0) budget -= keep;
    }
}

/* [P, P+LEN) is unmapped (BEFORE: the pages are still there, so what each
 * region reached can be measured first). One locked pass when no region is
 * cut and the range holds at most MT_CUTS mappings (CPython's frame-stack
 * chunks come and go on every deep call). */
static void mt_unmap_range(void *p, size_t len, int before) {
    uintptr_t lo = (uintptr_t)p, hi = lo + len < lo ? UINTPTR_MAX : lo + len;
    maptab_range_t cut[MT_CUTS];
    for (;;) {
        mt_before_fall(hi - lo);         /* at most */
        pthread_mutex_lock(&mt.lock);
        size_t all = maptab_overlaps(&mt.maps, lo, hi - lo, cut, MT_CUTS), n = all < MT_CUTS ? all : MT_CUTS;
        int measured = 0;
        for (size_t i = 0; i < n && before; i++) {
            mt_region_t *r = cut[i].region ? livemap_find(&mt.regions, cut[i].start) : NULL;
            if (r && !(r->flags & MT_R_SETTLED)) {
                mt_region_measure(r);
                measured = 1;
            }
        }
        if (measured) {
            /* what they reached may make this fall a new peak's */
            pthread_mutex_unlock(&mt.lock);
            mt_before_fall(hi - lo);
            pthread_mutex_lock(&mt.lock);
            all = maptab_overlaps(&mt.maps, lo, hi - lo, cut, MT_CUTS);
            n = all < MT_CUTS ? all : MT_CUTS;
        }
        int64_t gone = 0;
        for (size_t i = 0; i < n; i++) {
            uintptr_t a = cut[i].start > lo ? cut[i].start : lo, b = cut[i].end < hi ? cut[i].end : hi;
            maptab_remove(&mt.maps, a, b - a);
            if (!cut[i].region) {
                gone += (int64_t)(b - a);
                if (a == cut[i].start && mt_maybe_sampled(a)) mt_forget_locked(a);
                continue;
            }
            mt_region_cut(&cut[i], a, b);
        }
        pthread_mutex_unlock(&mt.lock);
        mt_total_add(-gone);
        if (all <= MT_CUTS) return;      /* else the rest, in another pass */
    }
}

/* An anonymous mapping of LEN bytes at P: a region counting COUNTED bytes
 * at first (UINT64_MAX: measure now), or, under L, counted in full (its
 * sample's WEIGHT already drawn if not MT_UNWEIGHED). */
#define MT_UNWEIGHED UINT64_MAX

/* A small mapping's sample, drawn now if WEIGHT is MT_UNWEIGHED. */
static void mt_map_record(void *p, size_t len, uint64_t weight) {
    if (weight == MT_UNWEIGHED) weight = mt.filter ? mt_weigh(&mt_map_sampler, mt.R * MT_MAP_SAMPLE_FACTOR, len) : 0;
    if (weight) mt_record_weighed(p, len, len, weight, MT_ENTRY_MAP);
}

static void mt_map_weighed(void *p, size_t len, uint64_t counted, uint64_t weight) {
    mt_check_peak();
    int region = len >= mt.L;
    if (!region) {
        /* the common case, one locked pass: a small mapping where nothing
         * tracked was (MAP_FIXED over tracked ranges takes the long way) */
        maptab_range_t over;
        size_t replaced = 0;
        pthread_mutex_lock(&mt.lock);
        int clear = maptab_overlaps(&mt.maps, (uintptr_t)p, len, &over, 1) == 0;
        int ok = clear && maptab_add(&mt.maps, (uintptr_t)p, len, 0, &replaced) == 0;
        pthread_mutex_unlock(&mt.lock);
        if (ok) {
            mt_total_add((int64_t)len);
            mt_map_record(p, len, weight);
        }
        if (clear) return;
    }
    mt_unmap_range(p, len, 0);   /* MAP_FIXED over tracked ranges: already gone */
    if (region && counted == UINT64_MAX) {
        int64_t r = resident_bytes((uintptr_t)p, len);
        counted = r > 0 ? (uint64_t)r : 0;
    }
    if (region) region = mt_region_new(p, len, len, MT_R_MAPPING, counted);
    else mt_total_add((int64_t)len);
    pthread_mutex_lock(&mt.lock);
    size_t replaced = 0;
    int ok = maptab_add(&mt.maps, (uintptr_t)p, len, (uint64_t)region, &replaced) == 0;
    if (!ok && region) {
        /* untracked: its munmap will find nothing to take out */
        int64_t c = mt_region_take((uintptr_t)p);
        if (c > 0) mt_total_add(-c);
    }
    pthread_mutex_unlock(&mt.lock);
    if (!ok && !region) mt_total_add(-(int64_t)len);
    if (ok && !region) mt_map_record(p, len, weight);
}

static void mt_map(void *p, size_t len, uint64_t counted) {
    mt_map_weighed(p, len, counted, MT_UNWEIGHED);
}

/* The thread's kept mapping goes into the tables: if it is still there
 * (another thread may have unmapped it, or mapped over it) and nothing
 * tracked is in its range. */
static void mt_last_put(void) {
    mt_last_t k = mt_last;
    mt_last.p = 0;
    if (!k.p || k.gen != atomic_load_explicit(&mt.gen, memory_order_relaxed)) return;
    unsigned char first;
    if (mincore((void *)k.p, 1, &first) != 0) return;   /* gone (its first page, at least) */
    maptab_range_t over;
    size_t replaced = 0;
    pthread_mutex_lock(&mt.lock);
    int ok = maptab_overlaps(&mt.maps, k.p, k.len, &over, 1) == 0 &&
             maptab_add(&mt.maps, k.p, k.len, 0, &replaced) == 0;
    pthread_mutex_unlock(&mt.lock);
    if (ok) mt_total_add((int64_t)k.len);
}

/* ... if it overlaps [LO, HI): before another use of that range. */
static void mt_last_settle(uintptr_t lo, size_t len) {
    if (mt_last.p && mt_last.p < lo + len && lo < mt_last.p + mt_last.len) mt_last_put();
}

void memtrack_map(void *p, size_t len, int populated, int fixed) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    mt_pending_add();
    if (fixed) mt_last_settle((uintptr_t)p, len);
    uint64_t weight = MT_UNWEIGHED;
    if (len < mt.L && !fixed && mt.filter) {
        weight = mt_weigh(&mt_map_sampler, mt.R * MT_MAP_SAMPLE_FACTOR, len);
        if (!weight) {
            mt_last_put();               /* the one before goes into the tables */
            mt_last = (mt_last_t){(uintptr_t)p, len, atomic_load_explicit(&mt.gen, memory_order_relaxed)};
            mt_busy = 0;
            return;
        }
    }
    mt_map_weighed(p, len, populated ? len : 0, weight);
    mt_busy = 0;
}

void memtrack_unmap(void *p, size_t len) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    mt_pending_add();
    if (mt_last.p == (uintptr_t)p && mt_last.len == len) {
        mt_last.p = 0;                   /* never in the tables or the totals */
        mt_busy = 0;
        return;
    }
    mt_last_settle((uintptr_t)p, len);
    mt_unmap_range(p, len, 1);           /* its mt_before_fall sees to the peak first */
    mt_busy = 0;
}

void memtrack_remap(void *old, size_t old_len, void *p, size_t len) {
    if (mt_busy) return;
    mt_busy = 1;
    mt_pending_add();
    mt_last_settle((uintptr_t)old, old_len);
    mt_check_peak();
    pthread_mutex_lock(&mt.lock);
    maptab_range_t was;
    int tracked = maptab_overlaps(&mt.maps, (uintptr_t)old, old_len, &was, 1) > 0;
    pthread_mutex_unlock(&mt.lock);
    if (tracked) {
        /* the pages moved with the mapping: the new one is measured at once */
        mt_unmap_range(old, old_len, 0);
        mt_map(p, len, UINT64_MAX);
    }
    mt_busy = 0;
}

void memtrack_advise(void *p, size_t len) {
    if (mt_busy || !p) return;
    mt_busy = 1;
    mt_pending_add();
    maptab_range_t hit[MT_CUTS];
    mt_fall_t fall[MT_CUTS];
    size_t nfall = 0;
    mt_check_peak();
    pthread_mutex_lock(&mt.lock);
    size_t n = maptab_overlaps(&mt.maps, (uintptr_t)p, len, hit, MT_CUTS);
    for (size_t i = 0; i < n && i < MT_CUTS; i++) {
        mt_region_t *r = hit[i].region ? livemap_find(&mt.regions, hit[i].start) : NULL;
        if (!r) continue;
        if (r->flags & MT_R_SETTLED) {
            r->flags &= ~MT_R_SETTLED;
            mt.unsettled++;
        }
        int64_t now = mt_region_measure(r);
        if (now >= 0) fall[nfall++] = (mt_fall_t){r->start, r->counted, (uint64_t)now};
    }
    pthread_mutex_unlock(&mt.lock);
    mt_apply_falls(fall, nfall);
    mt_busy = 0;
}

static void mt_write_peak_locked(void) {
    raw_mem_peak_t h = {mt.snap_t, (uint64_t)(mt.snap_bytes > 0 ? mt.snap_bytes : 0), mt.nsnap,
                        (uint64_t)(mt.snap_oom | mt.oom_seen << 1), atomic_load(&mt.snap_gen),
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
    mt.oom_seen = 1;
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
    mt_pending_add();
    char msg[160];
    snprintf(msg, sizeof msg,
             "process %d: an allocation of %zu bytes failed (out of memory)",
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
             "process %d: memory nearly exhausted (%llu MiB left)",
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
 * 250 ms doubling to 2 s per process (sooner when its own bytes grew by an
 * eighth since the last: each such one needs that much more), and none
 * while its own bytes moved less than 1% since the last. */
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
    own = treepeak_local();
    if (own <= 0) return 0;
    int64_t moved = own - mt.prov_own;
    /* what it holds grew by an eighth since its last snapshot (a large
     * block being written): that one is not kept waiting for the throttle */
    int grew = moved * 8 >= mt.prov_own;
    if (mt.prov_t && !grew && now - mt.prov_t < (same ? mt.prov_every : MT_PROV_FIRST_NS)) return 0;
    if (same && (moved < 0 ? -moved : moved) * 100 < mt.prov_own) return 0;
    pthread_mutex_lock(&mt.lock);
    if (mt.snap_dirty) mt_write_peak_locked();   /* the buffer is about to be reused */
    mt_snapshot_locked(own);
    raw_mem_peak_t h = {max_t, (uint64_t)own, mt.nsnap, (uint64_t)mt.oom_seen << 1, gen + 1, (uint64_t)max};
    rawwrite_record(RAW_MEM_PEAK, &h, sizeof h, mt.snap, mt.nsnap * sizeof(raw_mem_stack_t));
    mt.prov_gen = gen + 1;                /* read by mt_check_peak, under the lock */
    pthread_mutex_unlock(&mt.lock);
    rawwrite_flush();
    mt.prov_max = max;
    mt.prov_own = own;
    mt.prov_t = now;
    mt.prov_every = mt.prov_every ? mt.prov_every * 2 : MT_PROV_FIRST_NS;
    if (mt.prov_every > MT_PROV_MAX_NS) mt.prov_every = MT_PROV_MAX_NS;
    return 1;
}

static void mt_write_series(void) {
    if (!mt.nseries) return;
    rawwrite_record(RAW_MEM_SERIES, mt.series, mt.nseries * sizeof mt.series[0], NULL, 0);
    rawwrite_record(RAW_MEM_TREE, mt.tree_series, mt.nseries * sizeof mt.tree_series[0], NULL, 0);
    mt.nseries = 0;
}

/* One point of the series: this process's bytes, and the tree's. */
static void mt_series_point(uint64_t now_ns, int with_rss) {
    raw_mem_point_t *p = &mt.series[mt.nseries];
    raw_mem_tree_point_t *q = &mt.tree_series[mt.nseries++];
    int64_t own = treepeak_local(), total, max;
    treepeak_totals(&total, &max);
    p->t_ns = q->t_ns = now_ns;
    p->tracked_bytes = own > 0 ? (uint64_t)own : 0;
    p->rss_bytes = 0;
    if (with_rss) tasks_rss(&p->rss_bytes);
    q->total_bytes = total > 0 ? (uint64_t)total : 0;
    q->max_bytes = max > 0 ? (uint64_t)max : 0;
    if (mt.nseries == MT_SERIES_MAX) mt_write_series();
}

int memtrack_tick(uint64_t now_ns, int with_rss) {
    static uint32_t ticks;
    if (!memtrack_active) return 0;
    mt_check_peak();                      /* an idle process freezes too */
    mt_settle(MT_TICK_PAGES, 1, MT_SETTLE_TICK);
    int wrote = mt_provisional(now_ns);
    if (++ticks % 128 == 0) treepeak_reap();
    if (++mt.skip < mt.stride) return wrote;
    mt.skip = 0;
    mt_series_point(now_ns, with_rss);
    if (++mt.in_epoch == MT_SERIES_EPOCH) {
        mt.in_epoch = 0;
        mt.stride *= 2;
    }
    return wrote;
}

void memtrack_flush(uint64_t now_ns, int final) {
    if (!memtrack_active) return;
    /* The final flush runs in the exiting thread: the agent's own mappings
     * (a snapshot's buffer) must not come back into the hooks. */
    int busy = mt_busy;
    mt_busy = 1;
    if (final && !busy) mt_pending_add();   /* the exiting thread's */
    if (!mt.info_written) {
        raw_mem_info_t info = {mt.R, 0};
        rawwrite_record(RAW_MEM_INFO, &info, sizeof info, NULL, 0);
        mt.info_written = 1;
    }
    if (final) {
        mt_settle(MT_PEAK_PAGES, 1, MT_SETTLE_ALL);
        treepeak_finish();
        mt_check_peak();
        mt_series_point(now_ns, 0);       /* the tree as this process leaves it */
    }
    mt_write_series();
    pthread_mutex_lock(&mt.lock);
    if (mt.snap_dirty && (final || now_ns - mt.last_peak_write >= MT_PEAK_WRITE_NS)) {
        mt_write_peak_locked();
        mt.last_peak_write = now_ns;
    }
    pthread_mutex_unlock(&mt.lock);
    if (final) treepeak_leave();
    mt_busy = busy;
}

void memtrack_fork_child(void) {
    if (!memtrack_active) return;
    pthread_mutex_init(&mt.lock, NULL);
    mt_forget_all();
    resident_fork_child();
    mt.forked = 1;
    treepeak_fork_child();
    /* Peaks the tree reached before this process existed are not its. */
    atomic_store(&mt.snap_gen, treepeak_generation());
    memtrack_self.pending = 0;
    memtrack_self.gen = atomic_load(&mt.gen);
    mt_busy = 0;
}

/* Forgets every block, mapping, total and snapshot: a forked child's start,
 * and a new in-process session's. */
static void mt_forget_all(void) {
    livemap_free(&mt.blocks);
    livemap_free(&mt.regions);
    mt.unsettled = mt.watched = mt.scan = 0;
    maptab_free(&mt.maps);
    htab_free(&mt.live);
    htab_init(&mt.live, 1u << 22);
    mt.exact = mt.sampled = mt.sampled_maps = 0;
    mt.rounding[0] = mt.rounding[1] = 0;
    /* Zeroed pages again, and none of them resident until written. */
    if (mt.filter && syscall(SYS_madvise, mt.filter, MT_FILTERS_BYTES, MADV_DONTNEED) != 0)
        memset(mt.filter, 0, MT_FILTERS_BYTES);
    atomic_fetch_add(&mt.gen, 1);
    mt.nsnap = 0;
    mt.snap_bytes = mt.snap_tree_bytes = 0;
    mt.snap_t = 0;
    mt.snap_dirty = 0;
    mt.oom_seen = 0;
    mt.last_peak_write = 0;
    mt.prov_max = mt.prov_own = 0;
    mt.prov_gen = mt.prov_t = mt.prov_every = 0;
    atomic_store(&mt.high, MT_HIGH_UNSET);
    mt.nseries = 0;
    mt.info_written = 0;
    mt.stride = 1;
    mt.skip = mt.in_epoch = 0;
}
