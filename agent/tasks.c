/* tasks.c — see tasks.h.
 *
 * /proc/self/task/TID/syscall prints "running" for a thread that is not
 * blocked in a system call, or the call number and its arguments. That, and
 * for file-descriptor calls the kind of file (socket, regular file), gives
 * the reason for a wait without stopping the thread. Reads of a pollfd array
 * go through memread, as the thread may return and reuse it meanwhile. */
#include "tasks.h"

#include "privfd.h"
#include "procfd.h"

#include "memread.h"
#include "rawfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct tasks_req {
    uint32_t *tids;
    int max;
} tasks_req_t;

/* The threads of this process but the agent's own reader (agent/privfd.h). */
static int tasks_list_fn(void *arg) {
    tasks_req_t *r = arg;
    uint32_t *tids = r->tids, helper = privfd_tid();
    int max = r->max;
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[8192];
    int n = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0) break;
        for (long off = 0; off < got;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            if (d->name[0] >= '0' && d->name[0] <= '9' && n < max) {
                uint32_t tid = (uint32_t)strtoul(d->name, NULL, 10);
                if (tid != helper) tids[n++] = tid;
            }
            off += d->reclen;
        }
    }
    close(fd);
    return n;
}

int tasks_list(uint32_t *tids, int max) {
    tasks_req_t r = {tids, max};
    return privfd_call(tasks_list_fn, &r);
}

int tasks_alone(uint32_t self) {
    uint32_t tids[3];
    int n = tasks_list(tids, 3);
    if (n == 1) return tids[0] == self;
    uint32_t pid = (uint32_t)getpid(), other = tids[0] == self ? tids[1] : tids[0];
    if (n != 2 || other != pid || (tids[0] != self && tids[1] != self)) return 0;
    /* the leader lingers as a zombie while other threads live */
    char buf[512];
    if (procfd_read(NULL, "/proc/self/stat", buf, sizeof buf) <= 0) return 0;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

int tasks_cpu(uint32_t tid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/self/task/%u/stat", tid);
    if (procfd_read(NULL, path, buf, sizeof buf) <= 0) return -1;
    const char *p = strrchr(buf, ')');
    /* after the name: field 3 (the state) on; the CPU is field 39 */
    for (int field = 2; p && field < 39; field++) p = strchr(p + 1, ' ');
    if (!p) return -1;
    char *end;
    long cpu = strtol(p + 1, &end, 10);
    return end > p + 1 && cpu >= 0 && cpu < 1 << 20 ? (int)cpu : -1;
}

/* What kind of file descriptor FD of this process is. */
enum { FD_OTHER, FD_FILE, FD_SOCKET };

static int tasks_fd_kind(long fd) {
    char path[64], target[64];
    if (fd < 0) return FD_OTHER;
    snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0) return FD_OTHER;
    target[n] = '\0';
    if (!strncmp(target, "socket:", 7)) return FD_SOCKET;
    if (target[0] == '/') return FD_FILE;
    return FD_OTHER;
}

static int tasks_fd_state(long fd) {
    switch (tasks_fd_kind(fd)) {
    case FD_FILE: return RAW_ST_DISK;
    case FD_SOCKET: return RAW_ST_NETWORK;
    default: return RAW_ST_WAITING;
    }
}

/* poll() on nothing but sockets is a network wait. */
static int tasks_poll_state(uintptr_t fds, uintptr_t nfds) {
    struct pollfd p[8];
    if (nfds == 0 || nfds > 8 || memread_copy(p, fds, nfds * sizeof p[0]) != 0) return RAW_ST_POLL;
    for (uintptr_t i = 0; i < nfds; i++)
        if (tasks_fd_kind(p[i].fd) != FD_SOCKET) return RAW_ST_POLL;
    return RAW_ST_NETWORK;
}

int tasks_classify(long nr, uintptr_t a0, uintptr_t a1, uintptr_t gil_lo, uintptr_t gil_hi) {
    switch (nr) {
    case SYS_futex:
        return (a0 >= gil_lo && a0 < gil_hi) ? RAW_ST_GIL : RAW_ST_LOCK;
#ifdef SYS_nanosleep
    case SYS_nanosleep:
#endif
    case SYS_clock_nanosleep:
        return RAW_ST_SLEEP;
    case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
    case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev:
        return tasks_fd_state((long)a0);
    case SYS_fsync: case SYS_fdatasync: case SYS_sync: case SYS_syncfs:
    case SYS_sync_file_range: case SYS_openat: case SYS_close:
    case SYS_copy_file_range: case SYS_fallocate: case SYS_ftruncate:
    case SYS_newfstatat: case SYS_statx: case SYS_unlinkat: case SYS_renameat2:
#ifdef SYS_open
    case SYS_open:
#endif
#ifdef SYS_sendfile
    case SYS_sendfile:
#endif
        return RAW_ST_DISK;
    case SYS_recvfrom: case SYS_sendto: case SYS_recvmsg: case SYS_sendmsg:
    case SYS_recvmmsg: case SYS_sendmmsg: case SYS_accept: case SYS_accept4:
    case SYS_connect:
        return RAW_ST_NETWORK;
#ifdef SYS_poll
    case SYS_poll:
#endif
    case SYS_ppoll:
        return tasks_poll_state(a0, a1);
#ifdef SYS_select
    case SYS_select:
#endif
    case SYS_pselect6:
#ifdef SYS_epoll_wait
    case SYS_epoll_wait:
#endif
    case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
    case SYS_epoll_pwait2:
#endif
        return RAW_ST_POLL;
    case SYS_wait4: case SYS_waitid:
        return RAW_ST_CHILD;
    default:
        return RAW_ST_WAITING;
    }
}

int tasks_state(uint32_t tid, procfd_t *pf, uintptr_t gil_lo, uintptr_t gil_hi) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%u/syscall", tid);
    if (procfd_read(pf, path, buf, sizeof buf) <= 0) return -1;
    if (!strncmp(buf, "running", 7)) return RAW_ST_RUNNING;
    char *end;
    long nr = strtol(buf, &end, 10);
    if (end == buf || nr < 0) return RAW_ST_WAITING;   /* blocked, not in a syscall */
    uintptr_t a0 = (uintptr_t)strtoull(end, &end, 16);
    uintptr_t a1 = (uintptr_t)strtoull(end, &end, 16);
    return tasks_classify(nr, a0, a1, gil_lo, gil_hi);
}

int tasks_name(uint32_t tid, char *buf, size_t cap) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%u/comm", tid);
    int n = procfd_read(NULL, path, buf, cap);
    if (n <= 0) return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0')) buf[--n] = '\0';
    return n;
}

int tasks_schedstat(uint32_t tid, procfd_t *pf, uint64_t *run_ns, uint64_t *delay_ns) {
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%u/schedstat", tid);
    if (procfd_read(pf, path, buf, sizeof buf) <= 0) return -1;
    char *end, *start = buf;
    unsigned long long run = strtoull(start, &end, 10);
    if (end == start) return -1;
    start = end;
    unsigned long long delay = strtoull(start, &end, 10);
    if (end == start) return -1;
    *run_ns = run;
    *delay_ns = delay;
    return 0;
}

uint64_t tasks_cputime(uint32_t tid) {
    /* The clock id the kernel gives a thread's CPU clock (what glibc's
     * pthread_getcpuclockid computes): per-thread, scheduler-accurate. */
    clockid_t id = (clockid_t)((~(unsigned)tid << 3) | 6);
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int tasks_rss(uint64_t *out) {
    static procfd_t statm;
    char buf[128];
    if (procfd_read(&statm, "/proc/self/statm", buf, sizeof buf) <= 0) return -1;
    unsigned long long size = 0, pages = 0;
    if (sscanf(buf, "%llu %llu", &size, &pages) != 2) return -1;
    *out = pages * (uint64_t)sysconf(_SC_PAGESIZE);
    return 0;
}
