/* procfd.c — see procfd.h. */
#include "procfd.h"

#include "fdhigh.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static _Atomic unsigned procfd_kept;
static pid_t procfd_pid;

void procfd_set_pid(pid_t pid) {
    procfd_pid = pid;
}

static int procfd_once(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n;
    do n = read(fd, buf, cap - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0) return -1;
    buf[n] = '\0';
    return (int)n;
}

/* At most PROCFD_MAX, and never more than 1/64 of the descriptors the
 * process may have (16 under the common soft limit of 1024). */
static int procfd_allowed(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur < 1024) return 0;
    unsigned cap = r.rlim_cur / 64 < PROCFD_MAX ? (unsigned)(r.rlim_cur / 64) : PROCFD_MAX;
    return atomic_load(&procfd_kept) < cap;
}

static int procfd_ours(const procfd_t *p) {
    struct stat st;
    return fstat(p->fd, &st) == 0 && st.st_dev == p->dev && st.st_ino == p->ino;
}

void procfd_close(procfd_t *p) {
    if (!p || !p->open) return;
    if (procfd_ours(p)) close(p->fd);
    p->open = 0;
    atomic_fetch_sub(&procfd_kept, 1);
}

static int procfd_keep(procfd_t *p, const char *path) {
    if (!procfd_allowed()) return -1;
    int high = fdhigh_move(open(path, O_RDONLY | O_CLOEXEC));
    struct stat st;
    if (high < 0) return -1;
    if (fstat(high, &st) != 0) {
        close(high);
        return -1;
    }
    p->fd = high;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    p->pid = procfd_pid;
    p->reads = 0;
    p->open = 1;
    atomic_fetch_add(&procfd_kept, 1);
    return 0;
}

int procfd_read(procfd_t *p, const char *path, char *buf, size_t cap) {
    int saved = errno;
    int n = -1;
    if (p && !procfd_pid) p = NULL;  /* not set up: keep nothing */
    if (p && p->open && (p->pid != procfd_pid ||
                         (++p->reads >= PROCFD_CHECK && !procfd_ours(p))))
        procfd_close(p);              /* forked, or no longer our file */
    if (p && p->open && p->reads >= PROCFD_CHECK) p->reads = 0;
    if (p && !p->open) procfd_keep(p, path);
    if (p && p->open) {
        ssize_t got;
        do got = pread(p->fd, buf, cap - 1, 0);
        while (got < 0 && errno == EINTR);
        if (got > 0) {
            buf[got] = '\0';
            n = (int)got;
        } else {
            /* the thread is gone, or the number holds something else now
             * (a /proc file never reads empty): drop it, read once */
            procfd_close(p);
        }
    }
    if (n < 0 && (!p || !p->open)) n = procfd_once(path, buf, cap);
    errno = saved;
    return n;
}
