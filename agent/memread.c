/* memread.c — see memread.h. Callers batch by reading whole structures
 * rather than single fields.
 *
 * Three ways to read, all of which return an error instead of faulting.
 *
 * The sampler thread reads through a pipe of its own (memread_pipe_open):
 * writev() of the ranges into it, readv() of what arrived. The kernel
 * copies from our memory as any write() does, so a page that is there is
 * copied without a lock and one that is not is faulted in under the lock
 * of its mapping alone. process_vm_readv instead takes the process's
 * mmap_lock for every range it reads, the lock mmap() and munmap() take to
 * write: a thread mapping and unmapping at a high rate (CPython's frame
 * stack in deep recursion, one of each per call across a 16 KiB chunk)
 * then waited for the sampler's reads, or woke the sampler from them,
 * about a thousand times a second, each an interrupt to the other CPU
 * (measured with `perf record -e ipi:ipi_send_cpu`). The pipe is checked
 * to be ours (fstat) before each write, as the raw file is.
 *
 * Other threads (the allocation hooks) use the other two:
 * process_vm_readv on our own pid (one call for a whole scatter list), and
 * pread on /proc/self/mem. The first is used until it is denied — a
 * seccomp filter (a container's, or one the program installs, for every
 * thread with TSYNC) or a security module answers EPERM or ENOSYS — and
 * then the second, opened at that moment. If that cannot be opened or read
 * either, the interpreter cannot be read at all: every read fails, the
 * sampler's samples are lost, and memread_note says so, with their number. */
#include "memread.h"

#include "clock.h"
#include "fdhigh.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { MR_VM, MR_SWITCHING, MR_PROCMEM, MR_NONE };

static pid_t memread_pid;
static __thread int memread_trusted __attribute__((tls_model("initial-exec")));
static __thread int memread_piped __attribute__((tls_model("initial-exec")));

/* The sampler's pipe: both ends, the pipe's identity (one inode for
 * both), and the process that made it. */
#define MP_VECS 64
static struct {
    _Atomic int rd, wr;
    size_t cap;
    pid_t pid;                     /* whose: a forked child closes the parent's */
    dev_t dev;
    ino_t ino;
} mp = {.rd = -1, .wr = -1};

static struct {
    _Atomic int mode;
    _Atomic int fd;                /* /proc/self/mem in MR_PROCMEM */
    int denied_errno;              /* what process_vm_readv answered */
    int procmem_errno;             /* what /proc/self/mem answered, in MR_NONE */
    uint64_t denied_ns;            /* CLOCK_MONOTONIC of the denial */
    _Atomic uint64_t lost;         /* samples lost since (memread_lost) */
    int said;                      /* memread_note: 1 denial told, 2 loss told */
} mr = {.fd = -1};

void memread_direct(int on) {
    memread_trusted = on;
}

int memread_is_direct(void) {
    return memread_trusted;
}

static int memread_is_denial(int e) {
    return e == EPERM || e == ENOSYS || e == EACCES;
}

/* process_vm_readv was denied with E: read through /proc/self/mem from now
 * on, if it can be opened and read. Only one thread switches; reads from
 * others fail meanwhile (a torn sample). */
static void memread_switch(int e) {
    int expected = MR_VM;
    if (!atomic_compare_exchange_strong(&mr.mode, &expected, MR_SWITCHING)) return;
    mr.denied_errno = e;
    mr.denied_ns = clock_ns(CLOCK_MONOTONIC);
    int fd = fdhigh_move(open("/proc/self/mem", O_RDONLY | O_CLOEXEC));
    int mode = MR_NONE;
    mr.procmem_errno = errno;
    if (fd >= 0) {
        pid_t probe = 0;
        ssize_t n = pread(fd, &probe, sizeof probe, (off_t)(uintptr_t)&memread_pid);
        if (n == (ssize_t)sizeof probe && probe == memread_pid) {
            mode = MR_PROCMEM;
            atomic_store(&mr.fd, fd);
        } else {
            mr.procmem_errno = n < 0 ? errno : EIO;
            close(fd);
        }
    }
    atomic_store(&mr.mode, mode);
}

static int memread_procmem(void *buf, uintptr_t addr, size_t len) {
    ssize_t n;
    do n = pread(atomic_load_explicit(&mr.fd, memory_order_relaxed), buf, len, (off_t)addr);
    while (n < 0 && errno == EINTR);
    if (n < 0 && memread_is_denial(errno)) {
        /* denied now too (a later filter): nothing can be read any more */
        mr.procmem_errno = errno;
        atomic_store(&mr.mode, MR_NONE);
    }
    return n == (ssize_t)len ? 0 : -1;
}

/* The bytes range I of a scatter read moves: the shorter of its two sides. */
static size_t memread_range_len(const struct iovec *local, const struct iovec *remote, int i) {
    return local[i].iov_len < remote[i].iov_len ? local[i].iov_len : remote[i].iov_len;
}

/* 1 if descriptor FD still names the pipe (a program may close descriptors
 * it did not open and reuse their numbers). */
static int memread_pipe_is(int fd) {
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == mp.dev && st.st_ino == mp.ino;
}

void memread_pipe_close(void) {
    memread_piped = 0;
    int rd = atomic_exchange(&mp.rd, -1), wr = atomic_exchange(&mp.wr, -1);
    /* closed only while they are still ours */
    if (memread_pipe_is(wr)) {
        close(wr);
        if (memread_pipe_is(rd)) close(rd);
    }
}

int memread_pipe_open(void) {
    memread_pipe_close();
    /* Under a descriptor limit below 1024 the program's table holds none
     * of the agent's descriptors (agent/privfd.h): reads take the lock. */
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur < FDHIGH_CEIL) return -1;
    int fds[2];
    int saved = errno;
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        errno = saved;
        return -1;
    }
    int rd = fdhigh_move(fds[0]), wr = fdhigh_move(fds[1]);
    struct stat st;
    if (rd < 0 || wr < 0 || fstat(wr, &st) != 0) {
        if (rd >= 0) close(rd);
        if (wr >= 0) close(wr);
        errno = saved;
        return -1;
    }
    /* Its default size (64 KiB): a larger one would count against the
     * user's quota of pipe pages, and shrink the program's pipes once many
     * profiled processes had taken it. Longer reads take several writes. */
    int cap = fcntl(wr, F_GETPIPE_SZ);
    mp.cap = cap > 0 ? (size_t)cap : 4096;
    mp.dev = st.st_dev;
    mp.ino = st.st_ino;
    mp.pid = getpid();
    atomic_store(&mp.rd, rd);
    atomic_store(&mp.wr, wr);
    memread_piped = 1;
    errno = saved;
    return 0;
}

/* Whether both ends are still ours: before every write, since a program
 * may close descriptors it did not open and reuse their numbers (a write
 * would land in its file, a read take from it). If not, the thread reads
 * the other way from now on. */
static int memread_pipe_ours(void) {
    if (memread_pipe_is(atomic_load_explicit(&mp.wr, memory_order_relaxed)) &&
        memread_pipe_is(atomic_load_explicit(&mp.rd, memory_order_relaxed)))
        return 1;
    atomic_store(&mp.wr, -1);      /* not ours to close: forgotten */
    atomic_store(&mp.rd, -1);
    memread_piped = 0;
    return 0;
}

/* Drains WANT bytes, which the pipe holds, into the first WANT bytes of
 * the N local ranges. 0, or -1 if they could not all be read. */
static int memread_pipe_drain(const struct iovec *local, int n, size_t want) {
    int rd = atomic_load_explicit(&mp.rd, memory_order_relaxed), i = 0;
    size_t off = 0;
    while (want) {
        struct iovec v[MP_VECS];
        int k = 0;
        size_t take = 0;
        for (int j = i; j < n && k < MP_VECS && take < want; j++, k++) {
            size_t o = j == i ? off : 0, len = local[j].iov_len - o;
            if (len > want - take) len = want - take;
            v[k] = (struct iovec){(char *)local[j].iov_base + o, len};
            take += len;
        }
        ssize_t got = readv(rd, v, k);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        want -= (size_t)got;
        for (size_t left = (size_t)got; left;) {   /* advance (i, off) */
            size_t room = local[i].iov_len - off;
            if (left < room) {
                off += left;
                left = 0;
            } else {
                left -= room;
                i++;
                off = 0;
            }
        }
    }
    return 0;
}

/* The scatter read through the pipe, with process_vm_readv's answer: the
 * bytes of the whole ranges read, from the first, up to the first that
 * cannot be (-1 if none), or -2 if the pipe can no longer be used. A write
 * of several ranges that comes back short stopped at a fault somewhere in
 * the next page's worth of them, so the range it stopped in is written
 * again alone to tell whether the fault is its own. */
static long memread_pipe_vector(const struct iovec *local, const struct iovec *remote, int n) {
    long done = 0;
    int i = 0, alone = 0;
    size_t off = 0;
    while (i < n) {
        size_t len_i = memread_range_len(local, remote, i);
        if (off >= len_i) {
            done += (long)len_i;
            i++;
            off = 0;
            alone = 0;
            continue;
        }
        struct iovec w[MP_VECS], l[MP_VECS];
        int k = 0;
        size_t want = 0;
        for (int j = i; j < n && k < MP_VECS && want < mp.cap && (j == i || !alone); j++, k++) {
            size_t lj = memread_range_len(local, remote, j);
            size_t o = j == i ? off : 0, len = lj - o;
            if (len > mp.cap - want) len = mp.cap - want;
            w[k] = (struct iovec){(char *)remote[j].iov_base + o, len};
            l[k] = (struct iovec){(char *)local[j].iov_base + o, len};
            want += len;
        }
        if (!memread_pipe_ours()) return -2;
        ssize_t put = writev(atomic_load_explicit(&mp.wr, memory_order_relaxed), w, k);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0 && errno != EFAULT) {
            /* denied (a seccomp filter), or broken: the other way from now on */
            memread_pipe_close();
            return -2;
        }
        size_t got = put > 0 ? (size_t)put : 0;
        if (got && memread_pipe_drain(l, k, got) != 0) {
            memread_pipe_close();          /* what is left in it is nobody's */
            return -2;
        }
        /* the ranges it covered in full, then where it stopped in the next */
        for (size_t left = got; left;) {
            size_t lj = memread_range_len(local, remote, i);
            size_t room = lj - off;
            if (left < room) {
                off += left;
                left = 0;
            } else {
                left -= room;
                done += (long)lj;
                i++;
                off = 0;
                alone = 0;
            }
        }
        if (got < want) {
            if (alone) break;              /* the fault is in range I */
            alone = 1;
        }
    }
    return done ? done : -1;
}

int memread_init(void) {
    memread_pid = getpid();
    /* After fork: /proc/self/mem opened by the parent reads the parent. */
    int fd = atomic_exchange(&mr.fd, -1);
    if (fd >= 0) close(fd);
    /* the parent's pipe: its sampler's, not ours to write */
    if (mp.pid && mp.pid != memread_pid) memread_pipe_close();
    atomic_store(&mr.mode, MR_VM);   /* a filter is inherited: found again at once */
    atomic_store(&mr.lost, 0);
    mr.said = 0;
    pid_t out = 0;
    return memread_copy(&out, (uintptr_t)&memread_pid, sizeof out) == 0 && out == memread_pid ? 0 : -1;
}

int memread_copy(void *buf, uintptr_t addr, size_t len) {
    if (addr < 4096 || len == 0) return -1;
    if (memread_trusted) {
        memcpy(buf, (const void *)addr, len);
        return 0;
    }
    int saved = errno, rc = -1;
    if (memread_piped) {
        struct iovec local = {buf, len};
        struct iovec remote = {(void *)addr, len};
        long n = memread_pipe_vector(&local, &remote, 1);
        if (n != -2) {
            errno = saved;
            return n == (long)len ? 0 : -1;
        }
    }
    int mode = atomic_load_explicit(&mr.mode, memory_order_acquire);
    if (mode == MR_VM) {
        struct iovec local = {buf, len};
        struct iovec remote = {(void *)addr, len};
        ssize_t n = process_vm_readv(memread_pid, &local, 1, &remote, 1, 0);
        rc = n == (ssize_t)len ? 0 : -1;
        if (n < 0 && memread_is_denial(errno)) {
            memread_switch(errno);
            mode = atomic_load(&mr.mode);
        }
    }
    if (mode == MR_PROCMEM) rc = memread_procmem(buf, addr, len);
    errno = saved;
    return rc;
}

long memread_vector(const struct iovec *local, const struct iovec *remote, int n) {
    if (memread_trusted) {
        long got = 0;
        for (int i = 0; i < n; i++) {
            if ((uintptr_t)remote[i].iov_base < 4096 || local[i].iov_len != remote[i].iov_len)
                return got ? got : -1;
            memcpy(local[i].iov_base, remote[i].iov_base, remote[i].iov_len);
            got += (long)remote[i].iov_len;
        }
        return got;
    }
    int saved = errno;
    long got = -1;
    if (memread_piped && (got = memread_pipe_vector(local, remote, n)) != -2) {
        errno = saved;
        return got;
    }
    got = -1;
    int mode = atomic_load_explicit(&mr.mode, memory_order_acquire);
    if (mode == MR_VM) {
        got = (long)process_vm_readv(memread_pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
        if (got < 0 && memread_is_denial(errno)) {
            memread_switch(errno);
            mode = atomic_load(&mr.mode);
        }
    }
    if (mode == MR_PROCMEM) {
        got = 0;
        for (int i = 0; i < n; i++) {
            size_t len = memread_range_len(local, remote, i);
            if (memread_procmem(local[i].iov_base, (uintptr_t)remote[i].iov_base, len) != 0) break;
            got += (long)len;
        }
        if (!got) got = -1;
    }
    errno = saved;
    return got;
}

int memread_word(uintptr_t addr, uintptr_t *out) {
    return memread_copy(out, addr, sizeof *out);
}

int memread_lost(uint64_t n) {
    if (atomic_load_explicit(&mr.mode, memory_order_relaxed) != MR_NONE) return 0;
    atomic_fetch_add_explicit(&mr.lost, n, memory_order_relaxed);
    return 1;
}

int memread_note(char *buf, size_t cap, uint64_t start_ns, int final) {
    int mode = atomic_load(&mr.mode);
    if (mode == MR_VM || mode == MR_SWITCHING || !cap) return 0;
    const char *why = strerror(mr.denied_errno);
    unsigned long long lost = atomic_load(&mr.lost);
    char when[48] = "from its start";
    if (mr.denied_ns > start_ns)
        snprintf(when, sizeof when, "from %.2f s on", (double)(mr.denied_ns - start_ns) / 1e9);
    int n = 0;
    if (mr.said == 0 && mode == MR_PROCMEM) {
        n = snprintf(buf, cap, "%s, reading the process's own memory with process_vm_readv was "
                     "denied (%s: a seccomp filter or a security policy); the interpreter was read "
                     "through /proc/self/mem instead", when, why);
        mr.said = 1;
    } else if (mr.said == 0) {
        n = snprintf(buf, cap, "%s, the interpreter could not be read: process_vm_readv was "
                     "denied (%s: a seccomp filter or a security policy) and /proc/self/mem could "
                     "not be read either (%s); the samples taken from then on were lost (counted "
                     "in dropped_samples)", when, why, strerror(mr.procmem_errno));
        if (final && n > 0 && (size_t)n < cap)
            n += snprintf(buf + n, cap - (size_t)n, ": %llu samples", lost);
        mr.said = final ? 2 : 1;
    } else if (final && mode == MR_NONE && mr.said == 1) {
        n = snprintf(buf, cap, "%llu samples were lost because the interpreter could not be read",
                     lost);
        mr.said = 2;
    }
    return n <= 0 ? 0 : (size_t)n < cap ? n : (int)cap - 1;
}
