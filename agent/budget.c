/* budget.c — see budget.h. Slots are claimed with a compare-and-swap on
 * the pid, so two processes never share one; a slot whose owner has not
 * checked in for BUDGET_STALE_NS is free to take. */
#include "budget.h"

#include "clock.h"
#include "rawfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct budget_slot {
    _Atomic uint32_t pid;           /* 0: free */
    uint32_t pad;
    _Atomic uint64_t seen_ns;       /* last check-in */
} budget_slot_t;

typedef struct budget_shared {
    _Atomic uint32_t used;          /* slots ever handed out (a high-water mark) */
    _Atomic uint32_t noted;         /* the highest stretch a process has noted */
    budget_slot_t slots[BUDGET_SLOTS];
} budget_shared_t;

_Static_assert(sizeof(budget_shared_t) <= RAW_SAMPLERS_ERRNO_AT, "the CLI's samplers.shm is too small");

static struct {
    budget_shared_t *shared;
    budget_slot_t *slot;
    uint32_t cpus;
} bg;

static uint32_t budget_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return (uint32_t)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

static budget_slot_t *budget_take(budget_shared_t *b, uint32_t pid, uint64_t now) {
    uint32_t used = atomic_load(&b->used);
    /* a slot left by a process that is gone (or never checked in) */
    for (uint32_t i = 0; i < used && i < BUDGET_SLOTS; i++) {
        budget_slot_t *s = &b->slots[i];
        uint32_t owner = atomic_load(&s->pid);
        uint64_t seen = atomic_load(&s->seen_ns);
        if ((owner == 0 || seen + BUDGET_STALE_NS < now) &&
            atomic_compare_exchange_strong(&s->pid, &owner, pid)) {
            atomic_store(&s->seen_ns, now);
            return s;
        }
    }
    uint32_t i = atomic_fetch_add(&b->used, 1);
    if (i >= BUDGET_SLOTS) return NULL;
    budget_slot_t *s = &b->slots[i];
    atomic_store(&s->seen_ns, now);
    atomic_store(&s->pid, pid);
    return s;
}

int budget_attach(const char *path) {
    int saved = errno;
    bg.cpus = budget_cpus();
    bg.shared = NULL;
    bg.slot = NULL;
    if (path && *path) {
        int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (size_t)st.st_size >= RAW_SAMPLERS_FILE_BYTES) {
            void *p = mmap(NULL, RAW_SAMPLERS_FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (p != MAP_FAILED) bg.shared = p;
        }
        if (fd >= 0) close(fd);
    }
    if (bg.shared)
        bg.slot = budget_take(bg.shared, (uint32_t)syscall(SYS_getpid), clock_ns(CLOCK_MONOTONIC));
    errno = saved;
    return bg.slot ? 0 : -1;
}

uint32_t budget_stretch(uint64_t now, uint32_t *live_out, uint32_t *cpus_out) {
    budget_shared_t *b = bg.shared;
    if (live_out) *live_out = 1;
    if (cpus_out) *cpus_out = bg.cpus;
    if (!b || !bg.slot) return 1;
    atomic_store_explicit(&bg.slot->seen_ns, now, memory_order_relaxed);
    uint32_t used = atomic_load_explicit(&b->used, memory_order_relaxed), live = 0;
    for (uint32_t i = 0; i < used && i < BUDGET_SLOTS; i++) {
        budget_slot_t *s = &b->slots[i];
        if (atomic_load_explicit(&s->pid, memory_order_relaxed) &&
            atomic_load_explicit(&s->seen_ns, memory_order_relaxed) + BUDGET_STALE_NS >= now)
            live++;
    }
    if (live_out) *live_out = live;
    uint32_t k = (live + bg.cpus - 1) / bg.cpus;
    return k < 1 ? 1 : k > BUDGET_STRETCH_MAX ? BUDGET_STRETCH_MAX : k;
}

int budget_first_at(uint32_t k) {
    if (!bg.shared) return k > 1;
    uint32_t noted = atomic_load(&bg.shared->noted);
    while (k > noted)
        if (atomic_compare_exchange_weak(&bg.shared->noted, &noted, k)) return 1;
    return 0;
}

void budget_fork_child(void) {
    /* the parent's slot stays the parent's */
    bg.slot = bg.shared ? budget_take(bg.shared, (uint32_t)syscall(SYS_getpid), clock_ns(CLOCK_MONOTONIC))
                        : NULL;
}

void budget_leave(void) {
    if (!bg.slot) return;
    atomic_store(&bg.slot->pid, 0);
    bg.slot = NULL;
}

void budget_note_write_error(int err) {
    if (!bg.shared || !err) return;
    _Atomic int32_t *slot = (_Atomic int32_t *)((char *)bg.shared + RAW_SAMPLERS_ERRNO_AT);
    int32_t none = 0;
    atomic_compare_exchange_strong(slot, &none, (int32_t)err);
}
