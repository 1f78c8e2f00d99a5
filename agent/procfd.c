/* procfd.c — see procfd.h. */
#include "procfd.h"

#include "fdhigh.h"
#include "privfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* At most PROCFD_MAX. In the program's table, never more than 1/64 of the
 * descriptors the process may have (16 under the common soft limit of
 * 1024); in the agent's own, what the limit allows with room for a read. */
static int procfd_allowed(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
    if (privfd_here())
        return r.rlim_cur > 8 && atomic_load(&procfd_kept) < PROCFD_MAX &&
               atomic_load(&procfd_kept) < r.rlim_cur - 8;
    if (r.rlim_cur < 1024) return 0;
    unsigned cap = r.rlim_cur / 64 < PROCFD_MAX ? (unsigned)(r.rlim_cur / 64) : PROCFD_MAX;
    return atomic_load(&procfd_kept) < cap;
}

static int procfd_ours(const procfd_t *p) {
    struct stat st;
    return fstat(p->fd, &st) == 0 && st.st_dev == p->dev && st.st_ino == p->ino;
}

/* P's descriptor is gone, or out of reach: P forgets it. */
static void procfd_forget(procfd_t *p) {
    p->open = 0;
    atomic_fetch_sub(&procfd_kept, 1);
}

/* 1 if P's descriptor is in the table this thread uses. */
static int procfd_reachable(const procfd_t *p) {
    if (p->priv) return privfd_here() && p->gen == privfd_generation();
    return !privfd_here();
}

static int procfd_close_fn(void *arg) {
    procfd_t *p = arg;
    if (p->open && procfd_reachable(p) && procfd_ours(p)) close(p->fd);
    if (p->open) procfd_forget(p);
    return 0;
}

void procfd_close(procfd_t *p) {
    if (!p || !p->open) return;
    if (p->priv && !privfd_here()) {
        /* another process's thread (forked), or one that has ended: its
         * table went with it */
        if (p->pid != (pid_t)syscall(SYS_getpid) || p->gen != privfd_generation()) procfd_forget(p);
        else privfd_call(procfd_close_fn, p);
        return;
    }
    procfd_close_fn(p);
}

static int procfd_keep(procfd_t *p, const char *path) {
    if (!procfd_allowed()) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int high = privfd_here() ? fd : fdhigh_move(fd);
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
    p->priv = privfd_here();
    p->gen = privfd_generation();
    p->open = 1;
    atomic_fetch_add(&procfd_kept, 1);
    return 0;
}

typedef struct procfd_req {
    procfd_t *p;
    const char *path;
    char *buf;
    size_t cap;
} procfd_req_t;

static int procfd_once_fn(void *arg) {
    procfd_req_t *r = arg;
    return procfd_once(r->path, r->buf, r->cap);
}

/* Opens, reads and closes PATH where the program's next open() cannot see
 * it (agent/privfd.h). */
static int procfd_once_apart(const char *path, char *buf, size_t cap) {
    if (privfd_here()) return procfd_once(path, buf, cap);
    procfd_req_t r = {NULL, path, buf, cap};
    return privfd_call(procfd_once_fn, &r);
}

static int procfd_read_here(procfd_t *p, const char *path, char *buf, size_t cap) {
    int n = -1;
    if (p && !procfd_pid) p = NULL;  /* not set up: keep nothing */
    if (p && p->open && !procfd_reachable(p)) procfd_forget(p);
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
    if (n < 0 && (!p || !p->open)) n = procfd_once_apart(path, buf, cap);
    return n;
}

static int procfd_read_fn(void *arg) {
    procfd_req_t *r = arg;
    return procfd_read_here(r->p, r->path, r->buf, r->cap);
}

int procfd_read(procfd_t *p, const char *path, char *buf, size_t cap) {
    int saved = errno, n;
    struct rlimit r;
    if (!privfd_here() && (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur < 1024)) {
        /* no descriptor is kept in the program's table under this limit:
         * every read is an open, made in the agent's own table, and kept
         * there */
        procfd_req_t q = {p, path, buf, cap};
        n = privfd_call(procfd_read_fn, &q);
    } else {
        n = procfd_read_here(p, path, buf, cap);
    }
    errno = saved;
    return n;
}
