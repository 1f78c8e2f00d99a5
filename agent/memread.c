/* memread.c — see memread.h. One syscall per read; callers batch by reading
 * whole structures rather than single fields.
 *
 * Two ways to read, both of which return an error instead of faulting:
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { MR_VM, MR_SWITCHING, MR_PROCMEM, MR_NONE };

static pid_t memread_pid;
static __thread int memread_trusted __attribute__((tls_model("initial-exec")));

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

int memread_init(void) {
    memread_pid = getpid();
    /* After fork: /proc/self/mem opened by the parent reads the parent. */
    int fd = atomic_exchange(&mr.fd, -1);
    if (fd >= 0) close(fd);
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
            size_t len = local[i].iov_len < remote[i].iov_len ? local[i].iov_len : remote[i].iov_len;
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
