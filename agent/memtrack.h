/* memtrack.h — what the allocation hooks record: exact live totals, sampled
 * attribution to Python stacks, and the callstacks live at the peak.
 *
 * Exact: every allocation and free moves one live-byte count (sizes from
 * malloc_usable_size, mapping lengths), so the peak is timed exactly — the
 * small blocks' through their thread's own count, in batches of up to 16
 * KiB (the quick path, below).
 * Sampled: each allocated byte is sampled with probability 1/R (memsample.h:
 * a per-thread renewal process); a sampled block walks its own thread's
 * Python stack and is remembered by address with an unbiased weight, split
 * between the stack (the bytes requested) and the allocator's rounding
 * (usable - requested, one figure for the process). Blocks of R bytes or
 * more are always recorded, at their exact size. A free of an unsampled
 * block is answered "not sampled" by a counting filter without taking any
 * lock.
 * Calibrated: the live bytes of blocks under R are known exactly (the exact
 * total minus the recorded large blocks), so at a snapshot the sampled
 * estimates are scaled to add up to it — a ratio estimator: a stack holding
 * most of the small blocks comes out nearly exact, the rest no worse. Only
 * where the exact figure is trustworthy (not in a forked child, whose frees
 * of inherited blocks were never counted in) and the scale is within the
 * sampling error (else a block counted in the total but not yet in the table
 * would skew it) — the error of blocks and of small anonymous mappings,
 * which are counted in full and sampled 64 times as sparsely.
 * Resident: blocks and anonymous mappings of L bytes or more (L = R, at
 * least 64 KiB) — large arrays, pymalloc's arenas, reservations — count in
 * the totals by their bytes on resident pages (resident.h), measured on a
 * schedule (memtrack.c), not by their size: address space reserved and
 * never touched is not memory the job used. Such regions are always
 * recorded with their stack; at a snapshot those mostly untouched are
 * listed apart (RAW_MEM_RESERVED). Smaller blocks keep exact sizes.
 * Peak: the peak that matters is the whole process tree's (treepeak.h);
 * just before a fall that commits a new peak, the peak is committed and
 * this process freezes its per-stack live table; a process that sees a new
 * peak committed elsewhere freezes before applying any further change of
 * its own. */
#ifndef RADIOGRAPH_MEMTRACK_H
#define RADIOGRAPH_MEMTRACK_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

/* Starts tracking with mean sampling distance SAMPLE_BYTES. TSTATE_OF
 * returns the calling thread's PyThreadState (PyGILState_GetThisThreadState),
 * or NULL. TREE is the path of the run's shared peak file (treepeak.h), or
 * NULL. Returns 0 or -1. */
int memtrack_start(uint64_t sample_bytes, void *(*tstate_of)(void), const char *tree);

/* What every hook reads, on one cache line: whether allocations are being
 * tracked, whether the sampler waits for a hook to restart it (sampler.h),
 * whether the agent was loaded into a running program (bornset.h), and what
 * the quick path needs (below). Each flag has its owner's name. */
typedef struct memtrack_hot {
    int active;                       /* memtrack_active */
    int born;                         /* bornset_on */
    _Atomic int parked;               /* sampler_parked */
    int chunk_sizes;                  /* sizes read from glibc's chunk headers (memhooks.c) */
    uint64_t R;                       /* blocks of R bytes or more are recorded exactly */
    const uint8_t *coarse;            /* the coarse filter of sampled blocks (memtrack.c) */
} __attribute__((aligned(64))) memtrack_hot_t;

extern memtrack_hot_t memtrack_hot;

/* 1 while allocations are being tracked (read by the hooks). */
#define memtrack_active (memtrack_hot.active)

/* Set once the interpreter's thread-state key exists (by the hooks, or the
 * sampler): only then are allocating threads' Python stacks read. */
extern int memtrack_python_ready;

/* A block of SIZE bytes (malloc_usable_size) appeared at P, for a request of
 * REQUESTED bytes / is about to disappear. */
void memtrack_alloc(void *p, size_t size, size_t requested);
void memtrack_free(void *p, size_t size);

/* realloc moved or resized the block OLD of OLD_SIZE bytes to P of SIZE
 * (REQUESTED asked for): memtrack_free then memtrack_alloc, except that a
 * large block keeps what was resident in it. */
void memtrack_realloc(void *old, size_t old_size, void *p, size_t size, size_t requested);


/* An anonymous mapping of LEN bytes appeared at P (POPULATED: its pages
 * are already resident, MAP_POPULATE; FIXED: it may replace others,
 * MAP_FIXED); a range is about to be unmapped; a
 * mapping moved or changed size; pages of a range were given back
 * (madvise MADV_DONTNEED, MADV_FREE, ...). */
void memtrack_map(void *p, size_t len, int populated, int fixed);
void memtrack_unmap(void *p, size_t len);
void memtrack_remap(void *old, size_t old_len, void *p, size_t len);
void memtrack_advise(void *p, size_t len);

/* An allocation of SIZE bytes failed: records the situation at once. */
void memtrack_failed(size_t size);

/* From the sampler thread: memory is nearly exhausted (AVAIL bytes left).
 * Records the callstacks live now, at once, and says so in the report;
 * once per episode (re-armed when memory comes back). */
void memtrack_low_memory(uint64_t avail, int low);

/* From the sampler thread: one point of the memory-over-time series (RSS
 * read when WITH_RSS), written later by memtrack_flush; and, while the tree
 * is at a new high, a provisional snapshot of this process's callstacks
 * (memtrack.c, mt_provisional). Returns 1 if that snapshot was written: the
 * raw file must exist and be flushed now, as the process may be killed any
 * moment. */
int memtrack_tick(uint64_t now_ns, int with_rss);

/* From the sampler thread: writes the series so far, and the peak's
 * callstacks if they changed (at most once a second, and always when FINAL). */
void memtrack_flush(uint64_t now_ns, int final);

/* ---- the hooks' quick path -------------------------------------------
 * Most blocks are small, unsampled and never sampled before at their
 * address: for them the hooks need no lock, no table and no shared counter.
 * Each thread counts such blocks in its own PENDING figure and moves its
 * sampling countdown itself (memtrack_quick_alloc, memtrack_quick_free);
 * its next call into memtrack — a sampled block, a large one, a mapping, or
 * PENDING beyond MEMTRACK_BATCH either way — first adds PENDING to the
 * totals, as one allocation or one fall (so a fall that commits a peak
 * still commits it before the bytes go), and so does its exit. Until then
 * the totals lack up to MEMTRACK_BATCH bytes of each thread: nothing the
 * callstacks at a peak are made of (the sampled blocks) changes unseen. */
#define MEMTRACK_BATCH (16 * 1024)

#include "memsample.h"

typedef struct memtrack_thread {
    int busy;                         /* in a hook, or the sampler: nothing is tracked */
    int keyed;                        /* its exit adds PENDING (a thread-specific key) */
    uint32_t gen;                     /* the tracking generation PENDING belongs to */
    int64_t pending;                  /* counted by the quick path, not yet in the totals */
    memsample_t sampler;              /* the thread's sampling of the blocks it allocates */
} memtrack_thread_t;

extern __thread memtrack_thread_t memtrack_self __attribute__((tls_model("initial-exec")));

/* The coarse filter: a counter per 512 bytes of address space (a page of
 * small blocks, 4 KiB, has eight), 128 MiB of it before counters are shared,
 * indexed by address so that a compact heap's frees read a few cache lines. */
#define MEMTRACK_COARSE_BITS 18u
#define MEMTRACK_COARSE_SHIFT 9u

static inline size_t memtrack_coarse_slot(uintptr_t a) {
    return (size_t)((a >> MEMTRACK_COARSE_SHIFT) & ((1u << MEMTRACK_COARSE_BITS) - 1));
}

/* A block of SIZE bytes appeared (memtrack_active already checked): 1 if it
 * was counted here, 0 if memtrack_alloc must see it. */
static inline int memtrack_quick_alloc(size_t size) {
    memtrack_thread_t *t = &memtrack_self;
    if (t->busy) return 1;                       /* memtrack_alloc would ignore it */
    int64_t left = t->sampler.countdown - (int64_t)size;
    int64_t pending = t->pending + (int64_t)size;
    if (size >= memtrack_hot.R || left <= 0 || pending > MEMTRACK_BATCH) return 0;
    t->sampler.countdown = left;
    t->pending = pending;
    return 1;
}

/* The block of SIZE bytes at P is about to be freed: 1 if it was counted
 * out here, 0 if memtrack_free must see it (it may be sampled or large). */
static inline int memtrack_quick_free(const void *p, size_t size) {
    memtrack_thread_t *t = &memtrack_self;
    if (t->busy) return 1;
    int64_t pending = t->pending - (int64_t)size;
    if (size >= memtrack_hot.R || pending < -MEMTRACK_BATCH ||
        __atomic_load_n(&memtrack_hot.coarse[memtrack_coarse_slot((uintptr_t)p)], __ATOMIC_RELAXED))
        return 0;
    t->pending = pending;
    return 1;
}

/* Re-entrancy guard: a thread inside a hook, or the sampler thread, is not
 * tracked. */
void memtrack_ignore_thread(void);

/* While ON, what the calling thread allocates is the agent's own (its
 * buffers, made at start-up from the program's thread), not the program's. */
void memtrack_hold(int on);

/* Threads started from C have no Python stack of their own: what they
 * allocate is attributed to the Python stack that started them.
 * memtrack_creator_stack returns the calling thread's stack id (0 if none);
 * memtrack_inherit sets the calling (new) thread's fallback stack. */
uint32_t memtrack_creator_stack(void);
void memtrack_inherit(uint32_t stack);

/* 1 if the calling thread is inside an allocation hook (it may hold the
 * agent's locks: an exit from a signal handler must not wait for them). */
int memtrack_in_hook(void);

/* In the child after fork: forget the parent's blocks and totals. */
void memtrack_fork_child(void);

#endif
