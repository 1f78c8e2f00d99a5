/* rawwrite.c — see rawwrite.h.
 *
 * Two locks: `lock` guards the buffer (any thread appends records, from its
 * allocation hook too), `io` the file (one writer at a time, in order).
 * A flush swaps in the spare buffer under `lock` and writes the full one
 * holding only `io`, so a hook appending a record never waits for a write()
 * system call. Lock order: io, then lock. */
#include "rawwrite.h"

#include "budget.h"
#include "fdhigh.h"
#include "rawfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Flushed when full; any record (at most RAW_RECORD_MAX plus its head) fits. */
#define RAWWRITE_BUF (RAW_RECORD_MAX + (64u << 10))

static struct {
    int fd;
    int failed;
    dev_t dev;
    ino_t ino;
    char path[4096];
    unsigned char *buf, *spare;
    size_t used;
    pthread_mutex_t lock, io;
} rw = {.fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .io = PTHREAD_MUTEX_INITIALIZER};

/* Mutexes, not spin locks: on a machine with fewer CPUs than busy threads
 * the holder is often preempted, and a spinning (or yielding) waiter only
 * burns the CPU it needs. Neither allocates; both are re-made in a forked
 * child (rawwrite_forget). */
static void rawwrite_lock(void) {
    pthread_mutex_lock(&rw.lock);
}

static void rawwrite_unlock(void) {
    pthread_mutex_unlock(&rw.lock);
}

static void rawwrite_io_lock(void) {
    pthread_mutex_lock(&rw.io);
}

static void rawwrite_io_unlock(void) {
    pthread_mutex_unlock(&rw.io);
}

/* Our descriptor is ours only while it still names the file we created.
 * Fills *ST (its size is where the next write lands). */
static int rawwrite_check_fd(struct stat *st) {
    if (rw.fd >= 0 && fstat(rw.fd, st) == 0 && st->st_dev == rw.dev && st->st_ino == rw.ino)
        return 0;
    int fd = open(rw.path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    /* Not on a low descriptor the program will expect to get next (a
     * daemon closes everything, then opens /dev/null as 0, 1, 2). */
    int high = fdhigh_move(fd);
    if (high < 0) return -1;
    if (fstat(high, st) != 0 || st->st_dev != rw.dev || st->st_ino != rw.ino) {
        close(high);
        return -1;
    }
    rw.fd = high;
    return 0;
}

/* Takes back a write cut short, so the file ends at a record boundary. */
static void rawwrite_cut(off_t at) {
    int saved = errno;
    int rc = ftruncate(rw.fd, at);
    (void)rc;
    errno = saved;
}

/* Room kept under a file-size limit for the note that says it was reached. */
#define RAWWRITE_LIMIT_RESERVE 512u

/* Under a file-size limit (ulimit -f) a write past it would be SIGXFSZ in
 * the writing thread — a program thread at exit, or in an allocation hook.
 * So nothing is written past LIMIT - RESERVE: of a buffer that does not
 * fit, the whole records that do are written, then a note says why the file
 * ends there, and the writer stops. */
static uint64_t rawwrite_limit(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_FSIZE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
    return (uint64_t)r.rlim_cur;
}

/* The longest run of whole records at the start of the N bytes at P that
 * takes at most ROOM bytes. */
static size_t rawwrite_records_within(const unsigned char *p, size_t n, uint64_t room) {
    size_t at = 0;
    while (n - at >= sizeof(raw_record_head_t)) {
        raw_record_head_t head;
        memcpy(&head, p + at, sizeof head);
        size_t next = at + sizeof head + head.len;
        if (next > n || next > room) break;
        at = next;
    }
    return at;
}

/* Writes all N bytes at file offset AT (O_APPEND: the end) or none: a
 * write cut short (the disk filled up) is taken back, so the file always
 * ends at a record boundary. */
static int rawwrite_all(const unsigned char *p, size_t n, off_t at) {
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(rw.fd, p + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (done) rawwrite_cut(at);
            if (w == 0) errno = ENOSPC;
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

static void rawwrite_limit_note(off_t at, uint64_t cap) {
    unsigned char note[sizeof(raw_record_head_t) + 256];
    int len = snprintf((char *)note + sizeof(raw_record_head_t), sizeof note - sizeof(raw_record_head_t),
                       "its raw file reached the file-size limit (ulimit -f, %llu bytes): what "
                       "it recorded after that was lost, and how it ended too",
                       (unsigned long long)cap);
    if (len <= 0 || (size_t)len >= sizeof note - sizeof(raw_record_head_t) ||
        (uint64_t)at + sizeof(raw_record_head_t) + (size_t)len > cap)
        return;
    raw_record_head_t head = {RAW_NOTE, 0, (uint32_t)len};
    memcpy(note, &head, sizeof head);
    rawwrite_all(note, sizeof head + (size_t)len, at);
}

/* Writes the N bytes at P (whole records if RECORDS) at the end of the
 * file. Returns 0, or -1 with errno set (EFBIG at the file-size limit). */
static int rawwrite_out(const unsigned char *p, size_t n, int records) {
    struct stat st;
    if (rawwrite_check_fd(&st) != 0) return -1;
    off_t at = st.st_size;
    uint64_t cap = rawwrite_limit();
    if (cap != UINT64_MAX && (uint64_t)at + n + RAWWRITE_LIMIT_RESERVE > cap) {
        uint64_t room = cap > (uint64_t)at + RAWWRITE_LIMIT_RESERVE ? cap - RAWWRITE_LIMIT_RESERVE - (uint64_t)at : 0;
        size_t fit = records ? rawwrite_records_within(p, n, room) : 0;
        if (fit && rawwrite_all(p, fit, at) != 0) return -1;
        rawwrite_limit_note(at + (off_t)fit, cap);
        errno = EFBIG;
        return -1;
    }
    return rawwrite_all(p, n, at);
}

/* The writer stops for good; the CLI is told why, unless a note in the file
 * already says (the file-size limit). */
static void rawwrite_fail(void) {
    int e = errno;
    rw.failed = 1;
    if (e != EFBIG) budget_note_write_error(e ? e : EIO);
    errno = e;
}

static int rawwrite_flush_locked(void) {
    if (rw.failed) return -1;
    if (rw.fd < 0) return 0;    /* not opened yet: keep buffering */
    if (rw.used && rawwrite_out(rw.buf, rw.used, 1) != 0) {
        rawwrite_fail();
        return -1;
    }
    rw.used = 0;
    return 0;
}

int rawwrite_init(void) {
    if (rw.buf) return 0;
    void *p = mmap(NULL, RAWWRITE_BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -1;
    rw.buf = p;
    /* without a spare, flushes write under the buffer lock */
    p = mmap(NULL, RAWWRITE_BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rw.spare = p == MAP_FAILED ? NULL : p;
    return 0;
}

int rawwrite_open(const char *dir, uint32_t py_version, uint32_t interval_us,
                  uint64_t start_mono_ns, uint64_t start_real_ns) {
    int saved = errno;
    if (rawwrite_init() != 0) return -1;
    rawwrite_io_lock();
    rawwrite_lock();
    int rc = -1;
    /* <pid>.rgd, or <pid>.<n>.rgd for the images a process exec'd after
     * the first: never overwrite what an earlier image wrote. */
    int fd = -1;
    for (int k = 1; k < 1000 && fd < 0; k++) {
        int n = k == 1 ? snprintf(rw.path, sizeof rw.path, "%s/%d.rgd", dir, (int)getpid())
                       : snprintf(rw.path, sizeof rw.path, "%s/%d.%d.rgd", dir, (int)getpid(), k);
        if (n < 0 || (size_t)n >= sizeof rw.path) goto out;
        fd = open(rw.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
            budget_note_write_error(errno);
            goto out;
        }
    }
    if (fd < 0) goto out;
    /* Keep clear of the low descriptors a program may expect to be free. */
    fd = fdhigh_move(fd);
    if (fd < 0) goto out;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        goto out;
    }
    rw.fd = fd;
    rw.dev = st.st_dev;
    rw.ino = st.st_ino;
    raw_header_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, RAW_MAGIC, 8);
    h.format_version = RAW_FORMAT_VERSION;
    h.header_size = RAW_HEADER_SIZE;
    h.pid = (uint32_t)getpid();
    h.ppid = (uint32_t)getppid();
    h.start_mono_ns = start_mono_ns;
    h.start_real_ns = start_real_ns;
    h.py_version = py_version;
    h.sample_interval_us = interval_us;
    if (rawwrite_out((const unsigned char *)&h, sizeof h, 0) != 0) {
        rawwrite_fail();
        goto out;
    }
    rc = rawwrite_flush_locked();
out:
    rawwrite_unlock();
    rawwrite_io_unlock();
    errno = saved;
    return rc;
}

int rawwrite_record(uint16_t type, const void *a, size_t alen, const void *b, size_t blen) {
    size_t len = alen + (b ? blen : 0);
    if (len > RAW_RECORD_MAX) return -1;
    int saved = errno, rc = -1;
    rawwrite_lock();
    if (!rw.failed && rw.buf && rw.used + sizeof(raw_record_head_t) + len > RAWWRITE_BUF) {
        rawwrite_unlock();         /* full: flush in lock order, then retry */
        rawwrite_flush();
        rawwrite_lock();
    }
    if (!rw.failed && rw.buf) {
        if (!rw.failed && rw.used + sizeof(raw_record_head_t) + len <= RAWWRITE_BUF) {
            raw_record_head_t head = {type, 0, (uint32_t)len};
            memcpy(rw.buf + rw.used, &head, sizeof head);
            rw.used += sizeof head;
            if (alen) memcpy(rw.buf + rw.used, a, alen);
            rw.used += alen;
            if (b && blen) memcpy(rw.buf + rw.used, b, blen);
            rw.used += b ? blen : 0;
            rc = 0;
        }
    }
    rawwrite_unlock();
    errno = saved;
    return rc;
}

int rawwrite_flush(void) {
    int saved = errno, rc;
    rawwrite_io_lock();
    rawwrite_lock();
    if (!rw.spare || rw.failed || rw.fd < 0 || !rw.used) {
        rc = rawwrite_flush_locked();
        rawwrite_unlock();
    } else {
        unsigned char *full = rw.buf;
        size_t n = rw.used;
        rw.buf = rw.spare;
        rw.spare = full;
        rw.used = 0;
        rawwrite_unlock();
        rc = rawwrite_out(full, n, 1);    /* only the io lock: appends go on */
        if (rc != 0) rawwrite_fail();
    }
    rawwrite_io_unlock();
    errno = saved;
    return rc;
}

/* Closes our descriptor only if it is still ours. */
static void rawwrite_close_fd(void) {
    struct stat st;
    if (rw.fd >= 0 && fstat(rw.fd, &st) == 0 && st.st_dev == rw.dev && st.st_ino == rw.ino)
        close(rw.fd);
}

void rawwrite_close(void) {
    int saved = errno;
    rawwrite_io_lock();
    rawwrite_lock();
    if (rw.fd >= 0) {
        rawwrite_flush_locked();
        rawwrite_close_fd();
    }
    rw.fd = -1;
    rawwrite_unlock();
    rawwrite_io_unlock();
    errno = saved;
}

void rawwrite_discard(void) {
    int saved = errno;
    rawwrite_io_lock();
    rawwrite_lock();
    if (rw.fd >= 0) {
        rawwrite_close_fd();
        unlink(rw.path);          /* a name in the raw directory: not followed */
    }
    rw.fd = -1;
    rw.used = 0;
    rawwrite_unlock();
    rawwrite_io_unlock();
    errno = saved;
}

void rawwrite_forget(void) {
    rawwrite_close_fd();
    rw.fd = -1;
    rw.used = 0;
    rw.failed = 0;
    pthread_mutex_init(&rw.lock, NULL);
    pthread_mutex_init(&rw.io, NULL);
}

int rawwrite_ok(void) {
    return rw.buf && !rw.failed;
}
