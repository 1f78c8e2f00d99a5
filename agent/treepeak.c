/* treepeak.c — see treepeak.h. All shared fields are C11 atomics on a
 * MAP_SHARED mapping, which works across processes on Linux. */
#include "treepeak.h"

#include "clock.h"
#include "procfd.h"
#include "rawfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TREE_MAGIC 0x5247545245453031ull   /* "RGTREE01" */
#define TREE_SLOTS 4096
#define TREE_BATCH (64 * 1024)

enum { SLOT_FREE, SLOT_ALIVE, SLOT_GONE };

typedef struct tree_slot {
    _Atomic uint32_t pid;
    _Atomic uint32_t state;
    _Atomic int64_t flushed;        /* what this process has added to total */
} tree_slot_t;

typedef struct tree_shared {
    uint64_t magic;
    _Atomic uint32_t nslots;        /* slots handed out */
    uint32_t pad;
    _Atomic int64_t total;          /* tracked bytes of the whole tree */
    _Atomic int64_t max;            /* the highest total so far */
    _Atomic uint64_t max_t;
    _Atomic int at_max;             /* no fall since max was reached */
    _Atomic uint64_t generation;    /* committed peaks */
    _Atomic int64_t committed;      /* the tree's bytes at the last committed peak */
    _Atomic uint64_t committed_t;
    tree_slot_t slots[TREE_SLOTS];
} tree_shared_t;

_Static_assert(sizeof(tree_shared_t) <= RAW_TREE_FILE_BYTES, "the CLI's tree.shm is too small");

static struct {
    tree_shared_t *tree;
    tree_slot_t *slot;              /* NULL: this process is not in the tree */
    _Atomic int64_t local;          /* exact live bytes of this process */
    _Atomic int64_t flushed;        /* the value of local last added to the tree */
    _Atomic int64_t unslotted;      /* added while this process had no slot */
} tp;

/* A maximum beats the last committed peak by the 1% that makes a commit. */
static int tp_beats(tree_shared_t *t, int64_t max) {
    int64_t committed = atomic_load(&t->committed);
    return atomic_load(&t->generation) == 0 || max > committed + committed / 100;
}

static void tp_commit_if_at_max(tree_shared_t *t) {
    if (!atomic_load_explicit(&t->at_max, memory_order_relaxed)) return;
    if (!atomic_exchange(&t->at_max, 0)) return;
    int64_t max = atomic_load(&t->max);
    if (tp_beats(t, max)) {
        atomic_store(&t->committed, max);
        atomic_store(&t->committed_t, atomic_load(&t->max_t));
        atomic_fetch_add(&t->generation, 1);
    }
}

/* Adds D to the tree's total: a fall first commits a maximum just reached. */
static void tp_tree_add(tree_shared_t *t, int64_t d) {
    if (d < 0) tp_commit_if_at_max(t);
    int64_t now = atomic_fetch_add(&t->total, d) + d;
    if (d <= 0) return;
    int64_t max = atomic_load_explicit(&t->max, memory_order_relaxed);
    while (now > max) {
        if (atomic_compare_exchange_weak(&t->max, &max, now)) {
            atomic_store(&t->max_t, clock_ns(CLOCK_MONOTONIC));
            atomic_store(&t->at_max, 1);
            break;
        }
    }
}

static tree_slot_t *tp_take_slot(tree_shared_t *t, uint32_t pid) {
    /* After exec the same pid comes back: the old image's memory is gone. */
    uint32_t n = atomic_load(&t->nslots);
    for (uint32_t i = 0; i < n && i < TREE_SLOTS; i++) {
        tree_slot_t *s = &t->slots[i];
        uint32_t alive = SLOT_ALIVE;
        if (atomic_load(&s->pid) == pid && atomic_compare_exchange_strong(&s->state, &alive, SLOT_GONE))
            tp_tree_add(t, -atomic_exchange(&s->flushed, 0));
    }
    tree_slot_t *s = NULL;
    uint32_t i = atomic_fetch_add(&t->nslots, 1);
    if (i < TREE_SLOTS) {
        s = &t->slots[i];
    } else {
        /* All handed out: take back one whose process has left. */
        for (uint32_t j = 0; j < TREE_SLOTS && !s; j++) {
            uint32_t gone = SLOT_GONE;
            if (atomic_compare_exchange_strong(&t->slots[j].state, &gone, SLOT_FREE)) s = &t->slots[j];
        }
        if (!s) return NULL;
    }
    atomic_store(&s->flushed, 0);
    atomic_store(&s->pid, pid);
    atomic_store(&s->state, SLOT_ALIVE);
    return s;
}

static tree_shared_t *tp_map_private(void) {
    void *p = mmap(NULL, sizeof(tree_shared_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    ((tree_shared_t *)p)->magic = TREE_MAGIC;
    return p;
}

int treepeak_attach(const char *path) {
    int saved = errno;
    tree_shared_t *t = NULL;
    if (path && *path) {
        int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (size_t)st.st_size >= sizeof(tree_shared_t)) {
            void *p = mmap(NULL, sizeof(tree_shared_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (p != MAP_FAILED) t = p;
        }
        if (fd >= 0) close(fd);
        if (t && t->magic != TREE_MAGIC) {
            /* The CLI makes the file zeroed; the first process stamps it. */
            uint64_t zero = 0;
            __atomic_compare_exchange_n(&t->magic, &zero, TREE_MAGIC, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST);
            if (t->magic != TREE_MAGIC) {
                munmap(t, sizeof *t);
                t = NULL;
            }
        }
    }
    if (!t) t = tp_map_private();
    errno = saved;
    if (!t) return -1;
    tp.tree = t;
    tp.slot = tp_take_slot(t, (uint32_t)syscall(SYS_getpid));
    return 0;
}

/* TAKE bytes of this process's reach the tree. */
static void tp_take(int64_t take) {
    if (!take) return;
    tp_tree_add(tp.tree, take);
    if (tp.slot) atomic_fetch_add(&tp.slot->flushed, take);
    else atomic_fetch_add(&tp.unslotted, take);   /* no slot: taken out at exit only */
}

/* Adds to the tree what local has moved since MARK (the flushed value as
 * the caller read it), now NOW: whichever thread moves the mark from MARK
 * adds the difference, so every byte reaches the tree once. */
static void tp_flush(int64_t now, int64_t mark) {
    if (tp.tree && atomic_compare_exchange_strong(&tp.flushed, &mark, now)) tp_take(now - mark);
}

void treepeak_add(int64_t delta) {
    if (delta < 0) {
        /* Never below zero: frees of blocks this process did not allocate
         * while tracked (before start-up, or inherited across fork — those
         * are the parent's) take nothing from the tree. */
        int64_t cur = atomic_load_explicit(&tp.local, memory_order_relaxed);
        if (cur + delta < 0) delta = cur > 0 ? -cur : 0;
        if (!delta) return;
    }
    /* One atomic add on the hot path: the batch not yet in the tree is
     * what local has moved since it was last flushed. */
    int64_t now = atomic_fetch_add_explicit(&tp.local, delta, memory_order_relaxed) + delta;
    int64_t mark = atomic_load_explicit(&tp.flushed, memory_order_relaxed);
    if (now - mark < TREE_BATCH && now - mark > -TREE_BATCH) return;
    tp_flush(now, mark);
}

uint64_t treepeak_generation(void) {
    return tp.tree ? atomic_load_explicit(&tp.tree->generation, memory_order_relaxed) : 0;
}

void treepeak_committed(uint64_t *generation, int64_t *bytes, uint64_t *t_ns) {
    if (!tp.tree) {
        *generation = 0;
        *bytes = 0;
        *t_ns = 0;
        return;
    }
    *generation = atomic_load(&tp.tree->generation);
    *bytes = atomic_load(&tp.tree->committed);
    *t_ns = atomic_load(&tp.tree->committed_t);
}

int treepeak_at_max(int64_t *max, uint64_t *max_t) {
    if (!tp.tree || !atomic_load_explicit(&tp.tree->at_max, memory_order_relaxed)) return 0;
    *max = atomic_load(&tp.tree->max);
    *max_t = atomic_load(&tp.tree->max_t);
    return 1;
}

int64_t treepeak_local(void) {
    return atomic_load_explicit(&tp.local, memory_order_relaxed);
}

int treepeak_would_commit(void) {
    tree_shared_t *t = tp.tree;
    if (!t || !atomic_load_explicit(&t->at_max, memory_order_relaxed)) return 0;
    return tp_beats(t, atomic_load(&t->max));
}

void treepeak_commit(void) {
    if (!tp.tree) return;
    int64_t mark = atomic_load(&tp.flushed), now;
    do {
        now = atomic_load(&tp.local);
    } while (now != mark && !atomic_compare_exchange_weak(&tp.flushed, &mark, now));
    tp_take(now - mark);
    tp_commit_if_at_max(tp.tree);
}

void treepeak_finish(void) {
    treepeak_commit();
}

void treepeak_totals(int64_t *total, int64_t *max) {
    *total = tp.tree ? atomic_load_explicit(&tp.tree->total, memory_order_relaxed) : 0;
    *max = tp.tree ? atomic_load_explicit(&tp.tree->max, memory_order_relaxed) : 0;
}

/* Takes slot S's process out of the tree, once. */
static void tp_slot_gone(tree_shared_t *t, tree_slot_t *s) {
    uint32_t alive = SLOT_ALIVE;
    if (atomic_compare_exchange_strong(&s->state, &alive, SLOT_GONE))
        tp_tree_add(t, -atomic_exchange(&s->flushed, 0));
}

void treepeak_gone(uint32_t pid) {
    tree_shared_t *t = tp.tree;
    if (!t || !pid) return;
    uint32_t n = atomic_load(&t->nslots);
    for (uint32_t i = 0; i < n && i < TREE_SLOTS; i++)
        if (atomic_load(&t->slots[i].pid) == pid) tp_slot_gone(t, &t->slots[i]);
}

void treepeak_leave(void) {
    if (!tp.tree) return;
    int64_t out = atomic_exchange(&tp.unslotted, 0);
    uint32_t alive = SLOT_ALIVE;
    if (tp.slot && atomic_compare_exchange_strong(&tp.slot->state, &alive, SLOT_GONE))
        out += atomic_exchange(&tp.slot->flushed, 0);
    if (out) tp_tree_add(tp.tree, -out);
    tp.slot = NULL;
}

/* 1 if process PID is a zombie: dead, its memory gone, not yet waited for. */
static int tp_zombie(uint32_t pid) {
    char path[48], buf[128];
    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    if (procfd_read(NULL, path, buf, sizeof buf) <= 0) return 0;   /* not in the program's table */
    const char *paren = strrchr(buf, ')');   /* the name may hold anything */
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

void treepeak_reap(void) {
    tree_shared_t *t = tp.tree;
    if (!t) return;
    uint32_t n = atomic_load(&t->nslots), self = (uint32_t)syscall(SYS_getpid);
    for (uint32_t i = 0; i < n && i < TREE_SLOTS; i++) {
        tree_slot_t *s = &t->slots[i];
        uint32_t pid = atomic_load(&s->pid);
        if (atomic_load(&s->state) != SLOT_ALIVE || pid == self) continue;
        int saved = errno;
        int dead = (kill((pid_t)pid, 0) != 0 && errno == ESRCH) || tp_zombie(pid);
        errno = saved;
        if (dead) tp_slot_gone(t, s);
    }
}

void treepeak_fork_child(void) {
    atomic_store(&tp.local, 0);
    atomic_store(&tp.flushed, 0);
    atomic_store(&tp.unslotted, 0);
    if (tp.tree) tp.slot = tp_take_slot(tp.tree, (uint32_t)syscall(SYS_getpid));
}

void treepeak_restart(void) {
    atomic_store(&tp.local, 0);
    atomic_store(&tp.flushed, 0);
    atomic_store(&tp.unslotted, 0);
    tree_shared_t *t = tp.tree;
    if (!t) return;
    atomic_store(&t->total, 0);
    atomic_store(&t->max, 0);
    atomic_store(&t->max_t, 0);
    atomic_store(&t->at_max, 0);
    atomic_store(&t->generation, 0);
    atomic_store(&t->committed, 0);
    atomic_store(&t->committed_t, 0);
    if (!tp.slot) tp.slot = tp_take_slot(t, (uint32_t)syscall(SYS_getpid));
    if (tp.slot) atomic_store(&tp.slot->flushed, 0);
}
