/* sampler.c — see sampler.h.
 *
 * Timeline points are kept per thread with a stride that doubles every
 * SAMPLER_EPOCH points: every sample of the first 2048, every second one of
 * the next 2048, and so on. A thread sampled N times thus writes about
 * 2048·log2(N/2048) points — evenly spread within each epoch, dense enough
 * for a timeline of any length, and the raw file grows only with the
 * logarithm of the job's length. Counts are exact for every sample.
 *
 * The interval between samples is drawn uniformly from [0.5, 1.5]× the mean,
 * so that sampling does not alias with periodic work in the program. */
#include "sampler.h"

#include "budget.h"
#include "ends.h"
#include "lowmem.h"
#include "memhooks.h"
#include "memread.h"
#include "memtrack.h"
#include "privfd.h"
#include "pyread.h"
#include "rawfmt.h"
#include "rawwrite.h"
#include "scope.h"
#include "stacks.h"
#include "tasks.h"
#include "htab.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SAMPLER_EPOCH 2048u
#define SAMPLER_POINTS 2048u       /* buffered timeline points per record */
/* Flushes come every 100 ms at first, doubling up to once a second, so a
 * short job killed early still leaves its samples. */
#define SAMPLER_FLUSH_FIRST_NS 100000000ull
#define SAMPLER_FLUSH_NS 1000000000ull

typedef struct sampler_thread {
    uint32_t tid;
    uint32_t flags;                /* RAW_THREAD_* already announced */
    uint64_t last_tick;            /* tick the thread was last seen */
    uint32_t stride, skip, in_epoch;
    /* What the last sample found, reused while the thread uses no CPU. */
    uint64_t last_cpu, last_wall;
    uintptr_t last_tstate;
    stacks_cache_t cache;          /* the thread's last stack, for reuse */
    uint32_t last_stack;
    int last_state;
    int valid;
    /* The scheduler's counters at the last look (sampler_cpu_wait). */
    uint64_t sched_run, sched_delay;
    int sched_valid;
    procfd_t syscall_fd, schedstat_fd;   /* its /proc files, kept open */
    /* Its threading.Thread name, once read; looked for again now and then
     * (a thread may be renamed). */
    char pyname[64];
    int pyname_len;
    uint64_t name_checked;
} sampler_thread_t;

static struct {
    sampler_config_t cfg;
    char raw_dir[4096];
    pthread_t thread;
    int running;                   /* a sampler thread exists */
    int released;                  /* its thread was given to the program (sampler_release) */
    int parked;                    /* its thread was ended for a fork (sampler_fork_prepare) */
    uint64_t parked_until;         /* the parent's sampler may come back from then on */
    pid_t parked_pid;              /* the process whose sampler is parked */
    uint32_t fork_tid;             /* the thread that forked */
    _Atomic uint32_t stop;         /* futex word: 1 = stop now */
    _Atomic int pause_req, busy;
    int opened;
    int ready;                     /* the interpreter was seen initialised */
    int final;                     /* the last flush, at exit */
    int open_early;                /* an exec'd image: its file is made at start */
    uint32_t lowmem_every;         /* ticks between checks of available memory */
    uint32_t stretch;              /* base intervals per sample, and what each counts (budget.h) */
    uint64_t last_budget;          /* when the stretch was last computed */
    uint32_t self_tid;
    uint32_t pid;                  /* this process (the main thread's tid) */
    uint64_t tick;
    uint64_t samples, dropped;
    uint64_t last_flush, flush_every;
    uint64_t rss_peak;
    uint64_t agent_cpu;            /* the sampler thread's CPU time */
    uintptr_t gil_lo, gil_hi;
    uint64_t rng;
    htab_t counts;                 /* (tid<<32 | stack, state+1) -> count */
    raw_point_t points[SAMPLER_POINTS];
    uint32_t npoints;
    sampler_thread_t threads[TASKS_MAX];
    uint32_t nthreads;
    uint64_t start_mono, start_real;
    /* Where it runs (sampler_place) */
    cpu_set_t mask;                /* the affinity it started with */
    int mask_ok;
    int pinned;                    /* the CPU it is held to, or -1 */
    uint64_t place_t, place_unmaps, place_cpu;
} sp;

static uint64_t sampler_random(void) {
    sp.rng ^= sp.rng << 13;
    sp.rng ^= sp.rng >> 7;
    sp.rng ^= sp.rng << 17;
    return sp.rng;
}

static void sampler_write_cmdline(void) {
    char buf[8192];
    int n = procfd_read(NULL, "/proc/self/cmdline", buf, sizeof buf);
    if (n > 0) rawwrite_record(RAW_CMDLINE, buf, (size_t)n, NULL, 0);
}

static int sampler_open(void) {
    if (sp.opened) return rawwrite_ok() ? 0 : -1;
    sp.opened = 1;
    if (rawwrite_open(sp.raw_dir, sp.cfg.py_version, sp.cfg.interval_us, sp.start_mono,
                      sp.start_real) != 0)
        return -1;
    sampler_write_cmdline();
    return 0;
}

static void sampler_thread_close(sampler_thread_t *t) {
    procfd_close(&t->syscall_fd);
    procfd_close(&t->schedstat_fd);
}

static sampler_thread_t *sampler_thread_of(uint32_t tid) {
    for (uint32_t i = 0; i < sp.nthreads; i++)
        if (sp.threads[i].tid == tid) return &sp.threads[i];
    /* Reuse the slot of a thread that has not been seen for a while. */
    for (uint32_t i = 0; i < sp.nthreads; i++) {
        if (sp.threads[i].last_tick + 2 < sp.tick) {
            sampler_thread_close(&sp.threads[i]);
            stacks_cache_t keep = sp.threads[i].cache;   /* arena memory, reused */
            memset(&sp.threads[i], 0, sizeof sp.threads[i]);
            sp.threads[i].tid = tid;
            sp.threads[i].cache = keep;
            sp.threads[i].cache.n = 0;
            return &sp.threads[i];
        }
    }
    if (sp.nthreads == TASKS_MAX) return NULL;
    sampler_thread_t *t = &sp.threads[sp.nthreads++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    return t;
}

/* Writes the thread's record: its flags and its name (its Python name if
 * known, else the kernel's). Again whenever either changes: the report
 * keeps the last. */
static void sampler_write_thread(sampler_thread_t *t, uint64_t now) {
    char name[64];
    int n;
    if (t->flags & RAW_THREAD_MAIN) {
        n = snprintf(name, sizeof name, "MainThread");
    } else if (t->pyname_len > 0) {
        memcpy(name, t->pyname, (size_t)t->pyname_len);
        n = t->pyname_len;
    } else {
        n = tasks_name(t->tid, name, sizeof name);
        if (n < 0) n = 0;
    }
    raw_thread_t rec = {t->tid, t->flags, now};
    rawwrite_record(RAW_THREAD, &rec, sizeof rec, name, (size_t)n);
}

static void sampler_announce(sampler_thread_t *t, uint32_t flags, uint64_t now) {
    if ((t->flags | flags) == t->flags && t->stride) return;
    t->flags |= flags;
    if (!t->stride) t->stride = 1;
    sampler_write_thread(t, now);
}

static void sampler_flush_points(void) {
    if (sp.npoints)
        rawwrite_record(RAW_TIMELINE, sp.points, sp.npoints * sizeof(raw_point_t), NULL, 0);
    sp.npoints = 0;
}

typedef struct sampler_counts_out {
    raw_count_t buf[4096];
    uint32_t n;
} sampler_counts_out_t;

static void sampler_emit_count(const htab_entry_t *e, void *arg) {
    sampler_counts_out_t *out = arg;
    raw_count_t *c = &out->buf[out->n++];
    memset(c, 0, sizeof *c);
    c->stack = (uint32_t)e->a;
    c->tid = (uint32_t)(e->a >> 32);
    c->state = (uint8_t)(e->b - 1);
    c->count = (uint32_t)e->value;
    if (out->n == 4096) {
        rawwrite_record(RAW_COUNTS, out->buf, out->n * sizeof(raw_count_t), NULL, 0);
        out->n = 0;
    }
}

static void sampler_write_stats(uint64_t now) {
    raw_stats_t s;
    memset(&s, 0, sizeof s);
    s.t_ns = now;
    s.samples = sp.samples;
    s.dropped = sp.dropped;
    s.cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    tasks_rss(&s.rss_bytes);
    if (s.rss_bytes > sp.rss_peak) sp.rss_peak = s.rss_bytes;
    s.rss_peak_bytes = sp.rss_peak;
    s.agent_cpu_ns = sp.agent_cpu;
    rawwrite_record(RAW_STATS, &s, sizeof s, NULL, 0);
}

/* Writes everything aggregated since the last flush. */
static void sampler_flush(uint64_t now) {
    /* A forked child creates its file at its first flush, not its first
     * sample: one that execs within 100 ms (subprocess with preexec_fn)
     * leaves no file behind. Exec'd processes create theirs at once, so one
     * that crashes early still leaves a trace. */
    if (!sp.opened && sampler_open() != 0) return;
    if (!rawwrite_ok()) return;
    static sampler_counts_out_t out;
    out.n = 0;
    htab_each(&sp.counts, sampler_emit_count, &out);
    if (out.n) rawwrite_record(RAW_COUNTS, out.buf, out.n * sizeof(raw_count_t), NULL, 0);
    htab_clear(&sp.counts);
    sampler_flush_points();
    ends_flush();
    memtrack_flush(now, sp.final);
    char note[512];
    int nn = memread_note(note, sizeof note, sp.start_mono, sp.final);
    if (nn > 0) rawwrite_record(RAW_NOTE, note, (size_t)nn, NULL, 0);
    sampler_write_stats(now);
    rawwrite_flush();
    sp.last_flush = now;
}

static void sampler_record(sampler_thread_t *t, uint32_t flags, uint32_t stack, int state,
                           uint64_t now) {
    t->last_tick = sp.tick;
    sampler_announce(t, flags, now);
    int created;
    uint64_t *c = htab_upsert(&sp.counts, (uint64_t)t->tid << 32 | stack, (uint64_t)state + 1, &created);
    if (c) *c += sp.stretch;
    else sp.dropped++;
    if (++t->skip >= t->stride) {
        t->skip = 0;
        raw_point_t *p = &sp.points[sp.npoints++];
        memset(p, 0, sizeof *p);
        p->t_ns = now;
        p->tid = t->tid;
        p->stack = stack;
        p->state = (uint8_t)state;
        if (sp.npoints == SAMPLER_POINTS) sampler_flush_points();
        if (++t->in_epoch == SAMPLER_EPOCH) {
            t->in_epoch = 0;
            t->stride *= 2;
        }
    }
}

/* A thread the kernel calls runnable may be on a CPU or queued for one
 * while other processes have them all. The scheduler counts both: of the
 * time the thread was runnable since the last look, the run delay is the
 * part it waited, so the sample is [waiting: cpu] with that probability —
 * unbiased, and exact on average. Only asked of threads that ran less than
 * 90% of the interval (one that ran more had its CPU); the first look only
 * takes the counters. */
static int sampler_cpu_wait(sampler_thread_t *t, uint32_t tid) {
    uint64_t run, delay;
    if (tasks_schedstat(tid, &t->schedstat_fd, &run, &delay) != 0) return RAW_ST_RUNNING;
    int state = RAW_ST_RUNNING;
    if (t->sched_valid && run >= t->sched_run && delay >= t->sched_delay) {
        uint64_t dr = run - t->sched_run, dd = delay - t->sched_delay;
        if (dd && sampler_random() % (dr + dd) < dd) state = RAW_ST_CPU;
    }
    t->sched_run = run;
    t->sched_delay = delay;
    t->sched_valid = 1;
    return state;
}

/* Torn reads are retried within the tick, this many times more. */
#define SAMPLER_RETRIES 8
/* Thread-name lookups: at most this many per tick, each thread at most once
 * in this long. */
#define SAMPLER_NAMES_PER_TICK 4
#define SAMPLER_NAME_EVERY_NS 2000000000ull

/* Reads the name of thread T's threading.Thread from the bootstrap frame at
 * the root of FRAMES[0..N) (innermost first), if it is due; holds
 * stacks_lock. Writes the thread's record again if the name changed. */
static void sampler_thread_pyname(sampler_thread_t *t, const pyread_frame_t *frames, int n,
                                  uint64_t now, int *budget) {
    if (n <= 0 || *budget <= 0 || (t->flags & RAW_THREAD_MAIN)) return;
    if (t->name_checked && now - t->name_checked < SAMPLER_NAME_EVERY_NS) return;
    (*budget)--;
    t->name_checked = now;
    char name[sizeof t->pyname];
    int len = pyread_thread_name(&frames[n - 1], name, sizeof name);
    if (len <= 0 || (len == t->pyname_len && memcmp(name, t->pyname, (size_t)len) == 0)) return;
    memcpy(t->pyname, name, (size_t)len);
    t->pyname_len = len;
    if (t->stride) sampler_write_thread(t, now);   /* announced already: say it again */
}

#define SAMPLER_OUTSIDE (-2)

/* Thread PY's Python stack, interned: its id (0 for none), -1 if every
 * read was torn, or SAMPLER_OUTSIDE if the thread is outside what is
 * profiled (scope.h). A read is torn when a pointer went stale under it, when a
 * code object no longer reads as one, or when the chain is cut from its
 * callers (a generator suspended between the copy of the thread's frame
 * stack and the read of its own frame, clearing its link to its caller).
 * Each retry starts again from the thread state, at most SAMPLER_RETRIES
 * times, so a storm of torn reads costs a bounded number of reads a tick. */
static int64_t sampler_read_stack(sampler_thread_t *t, const pyread_thread_t *py, uint64_t now,
                                  int *names) {
    static pyread_frame_t frames[STACKS_MAX_DEPTH];
    pyread_thread_t cur = *py;
    for (int attempt = 0; attempt <= SAMPLER_RETRIES; attempt++) {
        if (attempt) {
            /* A random pause of up to ~2 us first: a thread that tore the
             * last read is in a fast cycle, and reading again in step with
             * it tears again. */
            for (volatile uint32_t spin = (uint32_t)(sampler_random() % 2048); spin; spin--) {}
            if (pyread_thread_of(py->tstate, &cur) != 0) return -1;   /* the thread has gone */
        }
        int more = 0, cut = 0;
        int64_t id = -1;
        stacks_lock();
        int n = pyread_stack(&cur, t->cache.frames, t->cache.n, frames, STACKS_MAX_DEPTH, &more, &cut);
        if (n >= 0 && !cut) {
            int whole = !more, kept = scope_trim(frames, n, &more, t->tid);
            if (kept < 0) {
                stacks_unlock();
                return SAMPLER_OUTSIDE;
            }
            id = stacks_intern(&t->cache, frames, kept, more, 0);
            if (id >= 0 && whole) sampler_thread_pyname(t, frames, n, now, names);
        }
        stacks_unlock();
        if (id >= 0) return id;
    }
    return -1;
}

/* Samples one thread. A thread that was waiting at its last sample and has
 * used no CPU since cannot have changed its stack or left its wait, so the
 * last answer is reused at the cost of one clock read (most threads of a job
 * are idle most of the time). A thread last seen running that used no CPU
 * since has stopped running: it is asked again. A thread that ran for at least 90% of the interval is
 * counted as running without asking the kernel what it is blocked in.
 * Every call on a thread that still exists is one sample, counted in
 * sp.samples; one that yields nothing is counted in sp.dropped too (the
 * same unit). A thread that has ended since the lists were read is no
 * sample at all. */
static void sampler_sample_thread(uint32_t tid, const pyread_thread_t *py, uint64_t now, int *names) {
    sampler_thread_t *t = sampler_thread_of(tid);
    if (!t) {
        sp.samples++;
        sp.dropped++;
        return;
    }
    uint32_t flags = (tid == sp.pid ? RAW_THREAD_MAIN : 0) | (py ? RAW_THREAD_PYTHON : 0);
    uint64_t cpu = tasks_cputime(tid);
    uintptr_t tstate = py ? py->tstate : 0;
    if (t->valid && cpu && cpu == t->last_cpu && tstate == t->last_tstate &&
        t->last_state != RAW_ST_RUNNING) {
        sp.samples++;
        t->last_wall = now;
        sampler_record(t, flags, t->last_stack, t->last_state, now);
        return;
    }
    int ran = t->valid && cpu > t->last_cpu && now > t->last_wall;   /* some, since the last */
    int ran_most = ran && (cpu - t->last_cpu) * 10 >= (now - t->last_wall) * 9;
    int state = ran_most ? RAW_ST_RUNNING : tasks_state(tid, &t->syscall_fd, sp.gil_lo, sp.gil_hi);
    if (state < 0) return;            /* the thread has ended */
    if (state == RAW_ST_RUNNING && ran && !ran_most) state = sampler_cpu_wait(t, tid);
    /* pyread's buffers and the tables are shared with the allocation hooks
     * of every thread (stacks_lock, taken inside). */
    int64_t stack = py && py->frame_slot ? sampler_read_stack(t, py, now, names) : 0;
    if (stack == SAMPLER_OUTSIDE) return;   /* not a sample of the profile */
    sp.samples++;
    if (stack < 0) {
        sp.dropped++;
        t->valid = 0;
        return;
    }
    t->valid = cpu != 0;
    t->last_cpu = cpu;
    t->last_wall = now;
    t->last_tstate = tstate;
    t->last_stack = (uint32_t)stack;
    t->last_state = state;
    sampler_record(t, flags, (uint32_t)stack, state, now);
}

/* Where the sampler runs.
 *
 * A thread of the process that has run on a CPU leaves that CPU in the
 * process's mask of CPUs to tell when its page tables change (the kernel
 * takes it out at most once a second, and only once the CPU has run
 * another process since). Every munmap() then asks the other CPUs whether
 * they must flush their TLB, and interrupts those running the process:
 * about 0.3 µs a call, measured on CPython's frame stack in deep recursion
 * (165,000 munmaps, 2.4% of the job in smp_call_function_many_cond). A
 * program with threads of its own pays this anyway; a single-threaded one
 * pays it for the sampler alone. So when the program has one thread and it
 * unmaps more often than that cost is worth the sampler's own CPU time,
 * the sampler is held to the CPU the program's thread last ran on: its samples
 * then take turns with the program's thread instead of running beside it,
 * and no other CPU is in the mask. It is let go again when the program
 * starts threads or unmaps less. Looked at every SAMPLER_PLACE_NS. */
#define SAMPLER_PLACE_NS 200000000ull
#define SAMPLER_UNMAP_COST_NS 300u

static void sampler_place(uint64_t now, const pyread_thread_t *py, int python_threads, int tasks) {
    if (!sp.mask_ok || now - sp.place_t < SAMPLER_PLACE_NS) return;
    unsigned long n = atomic_load_explicit(&memhooks_unmaps, memory_order_relaxed);
    uint64_t cpu_now = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    uint64_t unmap_cost = (uint64_t)(n - sp.place_unmaps) * SAMPLER_UNMAP_COST_NS;
    uint64_t own = cpu_now - sp.place_cpu;
    sp.place_t = now;
    sp.place_unmaps = n;
    sp.place_cpu = cpu_now;
    /* one program thread: the sampler and, if any, its reader besides */
    int alone = python_threads == 1 && tasks > 0 && tasks <= 2;
    /* held while the munmaps cost more than half its own time, let go below */
    int worth = sp.pinned >= 0 ? unmap_cost * 2 > own : unmap_cost > own;
    int cpu = alone && worth ? tasks_cpu(py[0].tid) : -1;
    int want = cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &sp.mask) ? cpu : -1;
    if (want == sp.pinned) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    if (want >= 0) CPU_SET(want, &one);
    const cpu_set_t *to = want >= 0 ? &one : &sp.mask;
    if (sched_setaffinity(0, sizeof *to, to) != 0) return;
    sp.pinned = want;
    /* its reader (started by the sampler, with the mask it had then) too */
    uint32_t reader = privfd_tid();
    if (reader) sched_setaffinity((pid_t)reader, sizeof *to, to);
}

/* Threads that never run Python are found by listing /proc/self/task, which
 * costs more than the rest of a sample; they are looked for every
 * SAMPLER_LIST_EVERY ticks (and Python threads are known from the
 * interpreter at every tick). */
#define SAMPLER_LIST_EVERY 16

static void sampler_tick(uint64_t now) {
    static pyread_thread_t py[PYREAD_MAX_THREADS];
    static int np;
    static uint32_t tids[TASKS_MAX];
    static int nt;
    if (!sp.ready) {
        if (!pyread_ready()) return;
        sp.ready = 1;
        memtrack_python_ready = 1;
        pyread_gil_range(&sp.gil_lo, &sp.gil_hi);   /* 3.12+: found through the interpreter */
    }
    if (sp.open_early && sampler_open() != 0) return;
    if (!rawwrite_ok()) return;
    sp.tick++;
    int known = np;
    np = pyread_threads(py, np, PYREAD_MAX_THREADS);
    uint64_t lost = known > 0 ? (uint64_t)known : 1;
    if (memread_lost(lost) || np < 0) {
        /* No thread could be sampled this tick: each one known is a sample
         * lost (one at least, the thread reading it). */
        sp.samples += lost;
        sp.dropped += lost;
        np = 0;
    }
    if (memtrack_tick(now, sp.tick % 10 == 1) && !sp.opened) sampler_flush(now);
    if (memtrack_active && sp.tick % sp.lowmem_every == 5 % sp.lowmem_every) {
        /* Ten times a second when memory is within reach of running out (a
         * job can fill it fast before the OOM killer comes), once a second
         * otherwise: reading /proc/meminfo is not free. */
        uint64_t avail = 0;
        int low = lowmem_check(&avail);
        if (low >= 0) memtrack_low_memory(avail, low == 1);
        uint32_t every = (low == 0 ? 100 : 10) / sp.stretch;
        sp.lowmem_every = every ? every : 1;
    }
    if (sp.tick % SAMPLER_LIST_EVERY == 1) {
        nt = tasks_list(tids, TASKS_MAX);
        if (nt < 0) nt = 0;
    }
    int names = SAMPLER_NAMES_PER_TICK;
    for (int j = 0; j < np; j++)
        if (py[j].tid != sp.self_tid && !scope_skips_thread(py[j].tid))
            sampler_sample_thread(py[j].tid, &py[j], now, &names);
    for (int i = 0; i < nt; i++) {
        int python = tids[i] == sp.self_tid;
        for (int j = 0; j < np && !python; j++) python = py[j].tid == tids[i];
        if (!python && !scope_skips_thread(tids[i])) sampler_sample_thread(tids[i], NULL, now, &names);
    }
    if (now - sp.last_flush >= sp.flush_every) {
        sampler_flush(now);
        sp.flush_every = sp.flush_every * 2 > SAMPLER_FLUSH_NS ? SAMPLER_FLUSH_NS : sp.flush_every * 2;
    }
    sampler_place(now, py, np, nt);
}

/* Sleeps until DEADLINE (CLOCK_MONOTONIC) or until sampler_stop wakes us. */
static void sampler_sleep(uint64_t deadline) {
    struct timespec ts = {(time_t)(deadline / 1000000000ull), (long)(deadline % 1000000000ull)};
    while (!atomic_load(&sp.stop)) {
        long rc = syscall(SYS_futex, &sp.stop, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &ts,
                          NULL, FUTEX_BITSET_MATCH_ANY);
        if (rc != 0 && errno == ETIMEDOUT) return;
        if (clock_ns(CLOCK_MONOTONIC) >= deadline) return;
    }
}

/* Once a second: how many base intervals the next samples stand for, with
 * a note in the raw file the first time the run reaches a new stretch. */
static void sampler_budget(uint64_t now) {
    if (sp.last_budget && now - sp.last_budget < SAMPLER_FLUSH_NS) return;
    sp.last_budget = now;
    uint32_t live, cpus;
    uint32_t k = budget_stretch(now, &live, &cpus);
    if (k > sp.stretch && sp.opened && rawwrite_ok() && budget_first_at(k)) {
        char msg[256];
        double ms = sp.cfg.interval_us / 1000.0;
        int n = snprintf(msg, sizeof msg,
                         "while %u Python processes shared %u CPUs, samples were taken every %g ms "
                         "instead of every %g ms, each counting for the longer interval, so that "
                         "profiling costs about what it costs one process per CPU",
                         live, cpus, ms * k, ms);
        if (n > 0) rawwrite_record(RAW_NOTE, msg, (size_t)n, NULL, 0);
    }
    sp.stretch = k;
}

static void sampler_alone(void);

static void *sampler_main(void *arg) {
    (void)arg;
    int saved = errno;
    memtrack_ignore_thread();
    privfd_starter();
    memread_pipe_open();
    lowmem_init();
    sp.self_tid = (uint32_t)syscall(SYS_gettid);
    sp.place_t = clock_ns(CLOCK_MONOTONIC);
    sp.place_unmaps = atomic_load_explicit(&memhooks_unmaps, memory_order_relaxed);
    sp.place_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    uint64_t mean = (uint64_t)sp.cfg.interval_us * 1000ull;
    uint64_t next = clock_ns(CLOCK_MONOTONIC), checks = 0;
    sp.last_flush = next;
    while (!atomic_load(&sp.stop)) {
        /* the stretch set here is the one the coming sample counts with */
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        sampler_budget(now);
        next += (mean / 2 + sampler_random() % (mean + 1)) * sp.stretch;
        if (next < now) next = now + mean / 4;
        sampler_sleep(next);
        if (atomic_load(&sp.stop)) break;
        atomic_store(&sp.busy, 1);
        if (!atomic_load(&sp.pause_req)) sampler_tick(clock_ns(CLOCK_MONOTONIC));
        sp.agent_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        atomic_store(&sp.busy, 0);
        if (++checks % SAMPLER_LIST_EVERY == 0 && tasks_alone(sp.self_tid)) {
            sampler_alone();
            break;
        }
    }
    memread_pipe_close();
    errno = saved;
    return NULL;
}

static void sampler_stop_ex(int exec);

static int sampler_spawn(void) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1u << 20);
    /* It starts on its creator's CPU (sampler_place). */
    sp.mask_ok = sched_getaffinity(0, sizeof sp.mask, &sp.mask) == 0;
    sp.pinned = -1;
    int cpu = sched_getcpu();
    if (sp.mask_ok && cpu >= 0 && cpu < CPU_SETSIZE) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (pthread_attr_setaffinity_np(&attr, sizeof one, &one) == 0) sp.pinned = cpu;
    }
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* the new thread inherits this mask */
    int rc = pthread_create(&sp.thread, &attr, sampler_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) return -1;
    sp.running = 1;
    return 0;
}

static void sampler_reset_state(void) {
    sp.opened = 0;
    sp.ready = 0;
    sp.final = 0;
    sp.tick = sp.samples = sp.dropped = 0;
    sp.npoints = 0;
    for (uint32_t i = 0; i < sp.nthreads; i++) sampler_thread_close(&sp.threads[i]);
    sp.nthreads = 0;
    sp.rss_peak = 0;
    sp.agent_cpu = 0;
    sp.flush_every = SAMPLER_FLUSH_FIRST_NS;
    sp.lowmem_every = 10;
    sp.stretch = 1;
    sp.last_budget = 0;
    htab_free(&sp.counts);
    htab_init(&sp.counts, 1u << 22);
    stacks_reset();
    sp.start_mono = clock_ns(CLOCK_MONOTONIC);
    sp.start_real = clock_ns(CLOCK_REALTIME);
    sp.pid = (uint32_t)getpid();
    procfd_set_pid((pid_t)sp.pid);
    sp.rng = sp.start_mono ^ ((uint64_t)sp.pid << 32) ^ 0x9E3779B97F4A7C15ull;
    if (!sp.rng) sp.rng = 1;
    atomic_store(&sp.stop, 0);
    atomic_store(&sp.pause_req, 0);
    atomic_store(&sp.busy, 0);
}

int sampler_start(const sampler_config_t *cfg) {
    sp.cfg = *cfg;
    snprintf(sp.raw_dir, sizeof sp.raw_dir, "%s", cfg->raw_dir);
    sp.cfg.raw_dir = sp.raw_dir;
    if (sp.cfg.interval_us < 100) sp.cfg.interval_us = 100;
    if (rawwrite_init() != 0) return -1;
    budget_attach(getenv("RADIOGRAPH_SAMPLERS"));
    sampler_reset_state();
    sp.open_early = 1;
    /* The file now, not at the first sample: a process killed before its
     * sampler's first tick (a crash just after start-up) still leaves its
     * file, and the wait status its parent saw then names its end. Without
     * a sampler there is no file, as before. */
    sampler_open();
    if (sampler_spawn() == 0) return 0;
    rawwrite_discard();
    sp.opened = 0;
    return -1;
}

void sampler_stop(void) {
    sampler_stop_ex(0);
}

void sampler_stop_before_exec(void) {
    sampler_stop_ex(1);
}

/* Ends the sampler thread. Returns 0 once it has ended, -1 if it did not
 * within the bound. */
static int sampler_halt(void) {
    sp.running = 0;
    budget_leave();
    atomic_store(&sp.stop, 1);
    syscall(SYS_futex, &sp.stop, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    /* Bounded: never let the program's exit wait on us for long. */
    struct timespec limit = clock_realtime_in(2000000000ull);
    int rc = pthread_timedjoin_np(sp.thread, NULL, &limit) == 0 ? 0 : -1;
    privfd_stop();                 /* its reader goes with it (a thread the program may need) */
    return rc;
}

static void sampler_final(int exec);

static void sampler_stop_ex(int exec) {
    if (sp.parked && atomic_exchange(&sampler_parked, 0)) {
        sp.parked = 0;             /* ended for a fork and not back yet */
        budget_leave();
        sp.released = 1;
    }
    if (sp.running ? sampler_halt() != 0 : !sp.released) return;
    sp.released = 0;
    sampler_final(exec);
}

/* Every thread of the program has ended, the last through pthread_exit (a
 * child forked from a thread whose function then returned): the process
 * would have exited, status 0, and the sampler must not keep it alive. It
 * writes the end as sampler_stop would; its return from sampler_main then
 * makes glibc end the process (exit(0) when the last thread leaves). */
static void sampler_alone(void) {
    sp.running = 0;
    budget_leave();
    sampler_final(0);
    privfd_stop();                 /* else its reader would keep the process alive */
}

static void sampler_final(int exec) {
    /* A process that ended before its first sample still leaves its file.
     * An exec'd image (open_early) always does: it is a Python of our
     * version (the constructor checked), and one that ran for less than a
     * sampling interval may already have finalised the runtime, so that
     * pyread_ready() says no. A forked child only does if it ran Python. */
    if (!sp.opened && !exec && (sp.open_early || sp.ready || pyread_ready())) sampler_open();
    if (sp.opened && rawwrite_ok()) {
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        sp.final = 1;
        sampler_flush(now);
        raw_end_t end = {now, clock_ns(CLOCK_PROCESS_CPUTIME_ID)};
        rawwrite_record(RAW_END, &end, sizeof end, NULL, 0);
        rawwrite_close();
    }
}

/* How long after fork the parent's sampler stays away from an allocation
 * hook's call (the thread count is read microseconds after fork returns; a
 * parent preempted for longer may count us, and warn). */
#define SAMPLER_UNPARK_NS 10000000ull

/* Ends the sampler thread between two samples without leaving the budget or
 * writing anything: it comes back as it was. 0, or -1 if it did not end in
 * time (it is then only paused). */
static int sampler_park(void) {
    atomic_store(&sp.stop, 1);
    syscall(SYS_futex, &sp.stop, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    /* a sample takes microseconds; a stuck one is not waited for */
    struct timespec limit = clock_realtime_in(200000000ull);
    if (pthread_timedjoin_np(sp.thread, NULL, &limit) != 0) return -1;
    privfd_stop();                 /* not a thread for the fork to count either */
    atomic_store(&sp.stop, 0);
    sp.running = 0;
    sp.parked = 1;
    return 0;
}

void sampler_fork_prepare(void) {
    if (!sp.running || pthread_equal(pthread_self(), sp.thread)) return;
    atomic_store(&sp.pause_req, 1);
    sp.fork_tid = (uint32_t)syscall(SYS_gettid);
    if (sp.cfg.park_at_fork && sampler_park() == 0) return;
    /* Not ended: wait for the sample in progress to finish (bounded). */
    for (int i = 0; i < 2000 && atomic_load(&sp.busy); i++) {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
}

void sampler_fork_parent(void) {
    atomic_store(&sp.pause_req, 0);
    if (!sp.parked) return;
    sp.parked_until = clock_ns(CLOCK_MONOTONIC) + SAMPLER_UNPARK_NS;
    sp.parked_pid = (pid_t)syscall(SYS_getpid);
    atomic_store(&sampler_parked, 1);
}

void sampler_unpark(int why) {
    if (!atomic_load(&sampler_parked)) return;
    /* Not a vfork()ed child (it shares our memory), not before the count. */
    if ((pid_t)syscall(SYS_getpid) != sp.parked_pid) return;
    int counted = why == SAMPLER_UNPARK_FREE && (uint32_t)syscall(SYS_gettid) == sp.fork_tid;
    if (!counted && clock_ns(CLOCK_MONOTONIC) < sp.parked_until) return;
    int one = 1;
    if (!atomic_compare_exchange_strong(&sampler_parked, &one, 0)) return;   /* another thread won */
    int saved = errno;
    sp.parked = 0;
    if (sampler_spawn() != 0) {
        /* No thread to be had: the process ends unsampled, its file whole. */
        sp.released = 1;
    }
    errno = saved;
}

void sampler_fork_child(void) {
    privfd_fork_child();
    atomic_store(&sampler_parked, 0);
    if (sp.released) {             /* no thread to spare: the child goes unprofiled */
        sp.released = 0;
        rawwrite_forget();
    }
    if (sp.parked) {               /* the parent's thread was ended before fork */
        sp.parked = 0;
        sp.running = 1;
    }
    if (!sp.running) return;
    sp.running = 0;
    rawwrite_forget();
    memread_init();
    sampler_reset_state();
    budget_fork_child();
    sp.open_early = 0;
    sampler_spawn();
}

int sampler_release(void) {
    if (!sp.running || pthread_equal(pthread_self(), sp.thread) || sampler_halt() != 0) return -1;
    sp.released = 1;
    uint64_t now = clock_ns(CLOCK_MONOTONIC);
    char msg[256];
    int n = snprintf(msg, sizeof msg, "the program could not start a thread (a limit on threads and "
                     "processes, ulimit -u): the sampler gave it its own and stopped %.2f s after "
                     "the start; the rest of this process's run was not sampled",
                     (double)(now - sp.start_mono) / 1e9);
    if (sp.ready && (sp.opened || sampler_open() == 0) && rawwrite_ok()) {
        rawwrite_record(RAW_NOTE, msg, (size_t)n, NULL, 0);
        sampler_flush(now);
    }
    return 0;
}
