/* privfd.c — see privfd.h. */
#include "privfd.h"

#include "clock.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1u << 1)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* After a failed start (no thread to spare), the next try waits this long. */
#define PF_RETRY_NS 1000000000ull
/* A stuck thread is not waited for longer than this (a /proc read takes
 * microseconds). */
#define PF_JOIN_NS 200000000ull

enum { PF_IDLE, PF_POSTED, PF_DONE, PF_QUIT };      /* pf.state */
enum { PF_NONE, PF_STARTING, PF_READY, PF_DENIED };  /* pf.up */

static struct {
    pthread_mutex_t lock;          /* one call (and start, stop) at a time */
    _Atomic uint32_t state;        /* the call in hand */
    _Atomic uint32_t up;
    _Atomic uint32_t tid;
    int (*fn)(void *);
    void *arg;
    int result;
    pthread_t thread;
    int joinable;
    pid_t pid;                     /* the process the thread belongs to */
    uint64_t retry_at;
    _Atomic uint32_t generation;   /* threads started: each one's table is new */
} pf = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The allocation hooks leave this thread alone (weak: the unit tests link
 * this file without them). */
void memtrack_ignore_thread(void) __attribute__((weak));

static __thread int pf_self __attribute__((tls_model("initial-exec")));
static __thread int pf_starter __attribute__((tls_model("initial-exec")));

static void pf_wait(_Atomic uint32_t *word, uint32_t seen) {
    syscall(SYS_futex, word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, seen, NULL, NULL, 0);
}

static void pf_wake(_Atomic uint32_t *word) {
    syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

/* This thread's descriptor table becomes its own and empty. Before Linux
 * 5.9 (no close_range) the copy unshare makes is emptied one by one, up to
 * a bound. */
static int pf_own_table(void) {
    if (syscall(SYS_close_range, 0u, ~0u, CLOSE_RANGE_UNSHARE) == 0) return 0;
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur > 65536) return -1;
    if (unshare(CLONE_FILES) != 0) return -1;
    for (rlim_t fd = 0; fd < r.rlim_cur; fd++) close((int)fd);
    return 0;
}

static void *pf_main(void *arg) {
    (void)arg;
    if (memtrack_ignore_thread) memtrack_ignore_thread();
    pf_self = 1;
    if (pf_own_table() != 0) {
        atomic_store(&pf.up, PF_DENIED);
        pf_wake(&pf.up);
        return NULL;
    }
    atomic_store(&pf.tid, (uint32_t)syscall(SYS_gettid));
    atomic_store(&pf.up, PF_READY);
    pf_wake(&pf.up);
    for (;;) {
        uint32_t s = atomic_load(&pf.state);
        if (s == PF_QUIT) break;
        if (s != PF_POSTED) {
            pf_wait(&pf.state, s);
            continue;
        }
        pf.result = pf.fn(pf.arg);
        atomic_store(&pf.state, PF_DONE);
        pf_wake(&pf.state);
    }
    atomic_store(&pf.tid, 0);
    return NULL;
}

/* The thread is there, started if need be. 0, or -1 (the call runs in the
 * caller's table). Holds pf.lock. */
static int pf_ensure(void) {
    /* A vfork()ed child shares our memory: it leaves the state alone
     * (a fork()ed one was reset by privfd_fork_child). */
    pid_t pid = (pid_t)syscall(SYS_getpid);
    if (pf.pid && pf.pid != pid) return -1;
    uint32_t up = atomic_load(&pf.up);
    if (up == PF_READY) return 0;
    /* Only the sampler starts it: a program thread's allocation must not
     * take a thread the program may be counting on (ulimit -u). */
    if (!pf_starter || up == PF_DENIED || clock_ns(CLOCK_MONOTONIC) < pf.retry_at) return -1;
    atomic_store(&pf.state, PF_IDLE);
    atomic_store(&pf.up, PF_STARTING);
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128u * 1024);
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* no signal of the program's lands there */
    pf.pid = pid;
    int rc = pthread_create(&pf.thread, &attr, pf_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_store(&pf.up, PF_NONE);
        pf.retry_at = clock_ns(CLOCK_MONOTONIC) + PF_RETRY_NS;
        return -1;
    }
    pf.joinable = 1;
    while ((up = atomic_load(&pf.up)) == PF_STARTING) pf_wait(&pf.up, PF_STARTING);
    if (up == PF_READY) {
        atomic_fetch_add(&pf.generation, 1);
        return 0;
    }
    pthread_join(pf.thread, NULL);   /* it has returned */
    pf.joinable = 0;
    return -1;
}

int privfd_call(int (*fn)(void *), void *arg) {
    if (pf_self) return fn(arg);
    int saved = errno, r;
    /* Never waits for the lock: a signal handler's allocation reaching
     * here on a thread in the middle of a call must not deadlock. */
    if (pthread_mutex_trylock(&pf.lock) != 0) {
        r = fn(arg);
        errno = saved;
        return r;
    }
    if (pf_ensure() == 0) {
        pf.fn = fn;
        pf.arg = arg;
        atomic_store(&pf.state, PF_POSTED);
        pf_wake(&pf.state);
        uint32_t s;
        while ((s = atomic_load(&pf.state)) == PF_POSTED) pf_wait(&pf.state, PF_POSTED);
        r = pf.result;
        atomic_store(&pf.state, PF_IDLE);
    } else {
        r = fn(arg);
    }
    pthread_mutex_unlock(&pf.lock);
    errno = saved;
    return r;
}

void privfd_starter(void) {
    pf_starter = 1;
}

int privfd_here(void) {
    return pf_self;
}

uint32_t privfd_generation(void) {
    return atomic_load(&pf.generation);
}

uint32_t privfd_tid(void) {
    return atomic_load_explicit(&pf.tid, memory_order_relaxed);
}

void privfd_stop(void) {
    int saved = errno;
    pthread_mutex_lock(&pf.lock);
    if (pf.joinable && pf.pid == (pid_t)syscall(SYS_getpid)) {
        atomic_store(&pf.state, PF_QUIT);
        pf_wake(&pf.state);
        struct timespec limit = clock_realtime_in(PF_JOIN_NS);
        if (pthread_timedjoin_np(pf.thread, NULL, &limit) == 0) {
            pf.joinable = 0;
            atomic_store(&pf.up, PF_NONE);
            atomic_store(&pf.tid, 0);
            atomic_store(&pf.state, PF_IDLE);
        } else {
            /* stuck in a read: it ends when that returns; this process's
             * calls run in their callers' tables from now on */
            pf.joinable = 0;
            atomic_store(&pf.up, PF_DENIED);
        }
    }
    pthread_mutex_unlock(&pf.lock);
    errno = saved;
}

void privfd_fork_child(void) {
    pthread_mutex_init(&pf.lock, NULL);
    pf.pid = 0;                    /* the sampler's next call starts one of this process's own */
    pf.retry_at = 0;
    pf.joinable = 0;
    atomic_store(&pf.up, PF_NONE);
    atomic_store(&pf.tid, 0);
    atomic_store(&pf.state, PF_IDLE);
}
