/* resident.c — see resident.h.
 *
 * Two ways to ask. PAGEMAP_SCAN (an ioctl on /proc/self/pagemap, Linux 6.7)
 * returns the ranges of pages that are present and not the shared zero page
 * (a page only ever read — np.zeros then .sum() — maps the zero page: no
 * memory is used, and RSS does not count it, but mincore says "resident").
 * Where the ioctl is missing, mincore: then pages only read count too.
 *
 * The pagemap descriptor is opened before the program runs (the agent's
 * start, a forked child's first moment: an open() races with none of the
 * program's, which would otherwise find a low number taken for a moment)
 * and kept at a high number (fdhigh.h), checked
 * (fstat: still the file opened, by this process) every RESIDENT_CHECK uses
 * and after any error; a descriptor that is no longer ours is forgotten,
 * never closed (the number is the program's now). A lock guards it; the
 * vectors are on the caller's stack, so any thread may measure. */
#include "resident.h"

#include "fdhigh.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESIDENT_VEC 4096             /* mincore: 16 MiB of address space a call */
#define RESIDENT_REGIONS 128          /* PAGEMAP_SCAN: ranges a call */
#define RESIDENT_CHECK 64u

/* The kernel's uapi (linux/fs.h, 6.7), for headers that predate it. */
#define RESIDENT_PAGE_IS_PRESENT (1u << 3)
#define RESIDENT_PAGE_IS_PFNZERO (1u << 5)

typedef struct resident_region {
    uint64_t start, end, categories;
} resident_region_t;

typedef struct resident_scan {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
} resident_scan_t;

#define RESIDENT_PAGEMAP_SCAN _IOWR('f', 16, resident_scan_t)

static struct {
    pthread_mutex_t lock;
    int fd;                           /* -1: none kept */
    pid_t pid;
    dev_t dev;
    ino_t ino;
    uint32_t uses;
    int no_scan;                      /* the kernel has no PAGEMAP_SCAN: mincore */
} rs = {PTHREAD_MUTEX_INITIALIZER, -1, 0, 0, 0, 0, 0};

size_t resident_page(void) {
    static size_t page;
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

static int resident_ours(pid_t pid) {
    struct stat st;
    return rs.fd >= 0 && rs.pid == pid && fstat(rs.fd, &st) == 0 && st.st_dev == rs.dev &&
           st.st_ino == rs.ino;
}

/* This process's pagemap descriptor, or -1. Holds rs.lock. A forked child
 * forgets the parent's (resident_fork_child), so the process is only asked
 * again at each check. */
static int resident_fd(void) {
    if (rs.fd >= 0 && ++rs.uses % RESIDENT_CHECK) return rs.fd;
    pid_t pid = (pid_t)syscall(SYS_getpid);
    if (resident_ours(pid)) return rs.fd;
    rs.fd = -1;                       /* not ours (any more): forgotten, not closed */
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rs.no_scan = 1;               /* no /proc here: mincore from now on */
        return -1;
    }
    int high = fdhigh_move(fd);
    struct stat st;
    if (high < 0 || fstat(high, &st) != 0) {
        if (high >= 0) close(high);
        return -1;
    }
    rs.fd = high;
    rs.pid = pid;
    rs.dev = st.st_dev;
    rs.ino = st.st_ino;
    rs.uses = 0;
    return rs.fd;
}

/* Bytes of [LO, HI) (page-aligned) on present pages that are not the zero
 * page, and whether the first and the last page are among them; -1 if the
 * scan is not possible (no ioctl, no descriptor). */
static int64_t resident_scan(uintptr_t lo, uintptr_t hi, int *first_in, int *last_in) {
    pthread_mutex_lock(&rs.lock);
    int fd = rs.no_scan ? -1 : resident_fd();
    if (fd < 0) {
        pthread_mutex_unlock(&rs.lock);
        return -1;
    }
    resident_region_t v[RESIDENT_REGIONS];
    int64_t bytes = 0;
    *first_in = *last_in = 0;
    for (uintptr_t a = lo; a < hi;) {
        resident_scan_t s;
        memset(&s, 0, sizeof s);
        s.size = sizeof s;
        s.start = a;
        s.end = hi;
        s.vec = (uint64_t)(uintptr_t)v;
        s.vec_len = RESIDENT_REGIONS;
        s.category_inverted = RESIDENT_PAGE_IS_PFNZERO;
        s.category_mask = RESIDENT_PAGE_IS_PRESENT | RESIDENT_PAGE_IS_PFNZERO;
        s.return_mask = RESIDENT_PAGE_IS_PRESENT;
        int n = ioctl(fd, RESIDENT_PAGEMAP_SCAN, &s);
        if (n < 0) {
            /* no such ioctl here, or the descriptor was taken from us */
            if ((errno == ENOTTY || errno == EINVAL) && resident_ours(rs.pid)) rs.no_scan = 1;
            else rs.fd = -1;
            pthread_mutex_unlock(&rs.lock);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            bytes += (int64_t)(v[i].end - v[i].start);
            if (v[i].start == lo) *first_in = 1;
            if (v[i].end == hi) *last_in = 1;
        }
        if (s.walk_end <= a) break;   /* no progress: stop rather than spin */
        a = (uintptr_t)s.walk_end;
    }
    pthread_mutex_unlock(&rs.lock);
    return bytes;
}

/* Resident pages among N entries of V (mincore sets bit 0 of each). */
static size_t resident_count(const unsigned char *v, size_t n) {
    size_t got = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, v + i, 8);
        got += (size_t)__builtin_popcountll(w & 0x0101010101010101ull);
    }
    for (; i < n; i++) got += v[i] & 1;
    return got;
}

static int64_t resident_mincore(uintptr_t lo, uintptr_t hi, int *first_in, int *last_in) {
    size_t page = resident_page();
    unsigned char v[RESIDENT_VEC];
    int64_t bytes = 0;
    *first_in = *last_in = 0;
    for (uintptr_t a = lo; a < hi;) {
        size_t pages = (hi - a) / page;
        if (pages > RESIDENT_VEC) pages = RESIDENT_VEC;
        if (mincore((void *)a, pages * page, v) != 0) return -1;
        if (a == lo) *first_in = v[0] & 1;
        if (a + pages * page == hi) *last_in = v[pages - 1] & 1;
        bytes += (int64_t)(resident_count(v, pages) * page);
        a += pages * page;
    }
    return bytes;
}

int64_t resident_bytes(uintptr_t p, size_t len) {
    if (!len) return 0;
    size_t page = resident_page();
    uintptr_t lo = p & ~(uintptr_t)(page - 1), end = p + len;
    if (end < p) return -1;
    uintptr_t hi = (end + page - 1) & ~(uintptr_t)(page - 1);
    int first_in, last_in;
    int64_t bytes = resident_scan(lo, hi, &first_in, &last_in);
    if (bytes < 0) bytes = resident_mincore(lo, hi, &first_in, &last_in);
    if (bytes < 0) return -1;
    /* The ends of pages the range only partly covers. */
    if (first_in) bytes -= (int64_t)(p - lo);
    if (last_in) bytes -= (int64_t)(hi - end);
    return bytes < 0 ? 0 : bytes;
}

void resident_open(void) {
    pthread_mutex_lock(&rs.lock);
    if (!rs.no_scan) resident_fd();
    pthread_mutex_unlock(&rs.lock);
}

void resident_fork_child(void) {
    pthread_mutex_init(&rs.lock, NULL);
    /* the descriptor names the parent's pagemap: the child's own copy of it
     * is closed, and its own opened now, while the child is one thread */
    if (rs.fd >= 0) {
        struct stat st;
        if (fstat(rs.fd, &st) == 0 && st.st_dev == rs.dev && st.st_ino == rs.ino) close(rs.fd);
    }
    rs.fd = -1;
    resident_open();
}
