/* Unit tests for the agent's pure modules: the line-table decoder (against
 * vectors taken from real CPython 3.11 code objects), the hash table, the
 * classification of blocking system calls, and reading a live thread's state. */
#include "htab.h"
#include "linetable.h"
#include "rawfmt.h"
#include "tasks.h"
#include "memread.h"
#include "pylayout.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "linetable_vectors.h"

static int failures;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static void test_linetable(void) {
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        for (int i = 0; i < vectors[v].n; i++) {
            int got = linetable_line(vectors[v].tab, vectors[v].len, vectors[v].first, i);
            CHECK(got == vectors[v].lines[i], "vector %zu index %d: got %d, want %d", v, i, got,
                  vectors[v].lines[i]);
        }
        /* Past the end, and negative indexes, have no line. */
        CHECK(linetable_line(vectors[v].tab, vectors[v].len, vectors[v].first, vectors[v].n + 100) == -1,
              "vector %zu past the end", v);
        CHECK(linetable_line(vectors[v].tab, vectors[v].len, vectors[v].first, -1) == -1, "negative");
        /* Every truncation of a table is handled without reading past it. */
        for (size_t cut = 0; cut < vectors[v].len; cut++)
            (void)linetable_line(vectors[v].tab, cut, vectors[v].first, vectors[v].n - 1);
    }
    static const uint8_t junk[] = {0x01, 0x02, 0x03};
    CHECK(linetable_line(junk, sizeof junk, 1, 0) == -1, "a table not starting with an entry head");
    static const uint8_t unterminated[] = {0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK(linetable_line(unterminated, sizeof unterminated, 1, 0) == -1, "an endless varint");
    /* line 5 for 2 units (code 10: delta 0, 2 bytes), no location for 1
     * (code 15), line 6 for 1 (code 11) */
    static const uint8_t gap[] = {0x80 | (10 << 3) | 1, 0, 0, 0x80 | (15 << 3), 0x80 | (11 << 3), 0, 0};
    CHECK(linetable_line(gap, sizeof gap, 5, 2) == -1, "no location");
    CHECK(linetable_line_near(gap, sizeof gap, 5, 2) == 5, "the line before: %d",
          linetable_line_near(gap, sizeof gap, 5, 2));
    CHECK(linetable_line_near(gap, sizeof gap, 5, 3) == 6 && linetable_line_near(gap, sizeof gap, 5, 9) == -1,
          "located lines as before, past the end nothing");
}

static void test_htab(void) {
    htab_t t;
    htab_init(&t, 100000);
    int created;
    for (uint64_t i = 1; i <= 50000; i++) {
        uint64_t *v = htab_upsert(&t, i, i * 7, &created);
        CHECK(v && created, "insert %llu", (unsigned long long)i);
        if (v) *v = i + 1;
    }
    CHECK(t.len == 50000, "len %zu", t.len);
    for (uint64_t i = 1; i <= 50000; i++) {
        uint64_t *v = htab_find(&t, i, i * 7);
        CHECK(v && *v == i + 1, "find %llu", (unsigned long long)i);
    }
    CHECK(htab_find(&t, 3, 3) == NULL, "absent key");
    uint64_t *v = htab_upsert(&t, 5, 35, &created);
    CHECK(v && !created && *v == 6, "upsert of an existing key");
    CHECK(htab_upsert(&t, 0, 0, &created) == NULL, "the empty key is refused");
    htab_clear(&t);
    CHECK(t.len == 0 && htab_find(&t, 1, 7) == NULL, "clear");
    htab_free(&t);
    htab_t small;
    htab_init(&small, 3);
    for (uint64_t i = 1; i <= 3; i++) CHECK(htab_upsert(&small, i, 0, &created), "fits");
    CHECK(htab_upsert(&small, 4, 0, &created) == NULL, "bounded: a full table refuses new keys");
    CHECK(htab_upsert(&small, 2, 0, &created) != NULL, "a full table still finds old keys");
    htab_free(&small);
    CHECK(htab_hash_bytes("abc", 3) != htab_hash_bytes("abd", 3), "hash distinguishes");
}

static void test_classify(void) {
    uintptr_t lo = 0x1000, hi = 0x1100;
    CHECK(tasks_classify(SYS_futex, 0x1010, 0, lo, hi) == RAW_ST_GIL, "futex in the GIL");
    CHECK(tasks_classify(SYS_futex, 0x2000, 0, lo, hi) == RAW_ST_LOCK, "futex elsewhere");
    CHECK(tasks_classify(SYS_clock_nanosleep, 0, 0, lo, hi) == RAW_ST_SLEEP, "sleep");
    CHECK(tasks_classify(SYS_wait4, 0, 0, lo, hi) == RAW_ST_CHILD, "wait4");
    CHECK(tasks_classify(SYS_fsync, 3, 0, lo, hi) == RAW_ST_DISK, "fsync");
    CHECK(tasks_classify(SYS_recvfrom, 3, 0, lo, hi) == RAW_ST_NETWORK, "recvfrom");
    CHECK(tasks_classify(SYS_epoll_wait, 3, 0, lo, hi) == RAW_ST_POLL, "epoll_wait");
    CHECK(tasks_classify(SYS_getpid, 0, 0, lo, hi) == RAW_ST_WAITING, "other");
    /* read() is judged by what the descriptor is. */
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    CHECK(tasks_classify(SYS_read, (uintptr_t)p[0], 0, lo, hi) == RAW_ST_WAITING, "read on a pipe");
    FILE *f = tmpfile();
    CHECK(tasks_classify(SYS_read, (uintptr_t)fileno(f), 0, lo, hi) == RAW_ST_DISK, "read on a file");
    fclose(f);
    close(p[0]);
    close(p[1]);
}

static volatile int sleeper_tid;

static void *sleeper(void *arg) {
    (void)arg;
    sleeper_tid = (int)syscall(SYS_gettid);
    struct timespec ts = {2, 0};
    nanosleep(&ts, NULL);
    return NULL;
}

static void test_live_state(void) {
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    uint32_t tids[64];
    int n = tasks_list(tids, 64), found = 0;
    for (int i = 0; i < n; i++) found |= tids[i] == (uint32_t)sleeper_tid;
    CHECK(found, "the thread is listed");
    int st = tasks_state((uint32_t)sleeper_tid, NULL, 0, 0);
    CHECK(st == RAW_ST_SLEEP, "a sleeping thread sleeps (got %d)", st);
    CHECK(tasks_state(0x7FFFFFF0u, NULL, 0, 0) == -1, "a thread that does not exist");
    char name[64];
    CHECK(tasks_name((uint32_t)getpid(), name, sizeof name) > 0, "main thread name");
    pthread_cancel(t);
    pthread_join(t, NULL);
}

static void test_memread(void) {
    CHECK(memread_init() == 0, "init");
    uintptr_t word = 0, value = 0x1234;
    CHECK(memread_word((uintptr_t)&value, &word) == 0 && word == 0x1234, "read a word");
    CHECK(memread_word(8, &word) == -1, "an unmapped address is an error, not a fault");
    CHECK(memread_word((uintptr_t)-4096, &word) == -1, "the top of the address space");
}

/* Kept /proc descriptors: high numbers, re-read at offset 0, a taken-over
 * number noticed within PROCFD_CHECK reads, none kept under a low limit or
 * before the pid is known, closed for good by procfd_close. */
static void test_procfd(void) {
    char a[256], b[256];
    procfd_t p;
    memset(&p, 0, sizeof p);
    CHECK(procfd_read(&p, "/proc/self/stat", a, sizeof a) > 0 && !p.open, "no pid yet: nothing kept");
    procfd_set_pid(getpid());
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    low = old;
    if (low.rlim_max >= 4096) {
        low.rlim_cur = 4096;
        setrlimit(RLIMIT_NOFILE, &low);
    }
    CHECK(procfd_read(&p, "/proc/self/stat", a, sizeof a) > 0, "first read");
    if (low.rlim_cur >= 4096) {
        CHECK(p.open && p.fd >= 512, "kept at a high number: open %d fd %d", p.open, p.fd);
        CHECK(procfd_read(&p, "/proc/self/stat", b, sizeof b) > 0 && !strncmp(a, b, 8),
              "read again from the start");
        /* the program closes our number and opens something else there */
        int fd = p.fd;
        close(fd);
        int other = open("/dev/null", O_RDONLY);
        CHECK(dup2(other, fd) == fd, "dup2");
        close(other);
        int right = 0;
        for (unsigned i = 0; i < PROCFD_CHECK + 1; i++)
            right = procfd_read(&p, "/proc/self/stat", b, sizeof b) > 0 && b[0] >= '0' && b[0] <= '9';
        CHECK(right && p.fd != fd, "a taken-over descriptor is dropped, ours reopened");
        CHECK(fcntl(fd, F_GETFD) >= 0, "the program's descriptor is left alone");
        close(fd);
        int kept = p.fd;
        procfd_close(&p);
        CHECK(!p.open && fcntl(kept, F_GETFD) < 0, "closed");
    }
    low.rlim_cur = 512;
    setrlimit(RLIMIT_NOFILE, &low);
    CHECK(procfd_read(&p, "/proc/self/stat", a, sizeof a) > 0 && !p.open, "a low limit keeps nothing");
    setrlimit(RLIMIT_NOFILE, &old);
}

/* The rows are found by major.minor, and a row with debug-offset checks
 * refuses an interpreter whose own offsets disagree on any field. */
static void test_pylayout(void) {
    CHECK(pylayout_find(0x030B07F0u) && pylayout_find(0x030B07F0u)->version == 0x030B0000u, "3.11.7");
    CHECK(pylayout_find(0x030C01F0u) && pylayout_find(0x030D00F0u), "3.12.1, 3.13.0");
    CHECK(!pylayout_find(0x030A0DF0u) && !pylayout_find(0x030E00F0u), "3.10 and 3.14 have no row");
    CHECK(strcmp(pylayout_supported(), "3.11, 3.12 and 3.13") == 0, "%s", pylayout_supported());
    char why[256] = "";
    const pylayout_t *old = pylayout_find(0x030B07F0u);
    static unsigned char junk[4096];
    CHECK(old && pylayout_verify(old, (uintptr_t)junk, 0x030B07F0u, why, sizeof why) == 0,
          "a row without debug offsets checks nothing");
    const pylayout_t *row = pylayout_find(0x030D00F0u);
    if (!row || row->runtime.debug_offsets == PYLAYOUT_NONE || !row->nchecks) {
        CHECK(0, "the 3.13 row has no debug-offset checks");
        return;
    }
    static unsigned char rt[8192];
    unsigned char *d = rt + row->runtime.debug_offsets;
    uint64_t version = 0x030D00F0u, zero = 0;
    memcpy(d + row->debug.cookie, "xdebugpy", 8);
    memcpy(d + row->debug.version, &version, 8);
    memcpy(d + row->debug.free_threaded, &zero, 8);
    for (uint32_t i = 0; i < row->nchecks; i++) {
        CHECK(row->checks[i].at + 8 <= sizeof rt - row->runtime.debug_offsets, "check %u in range", i);
        memcpy(d + row->checks[i].at, &row->checks[i].want, 8);
    }
    CHECK(pylayout_verify(row, (uintptr_t)rt, 0x030D00F0u, why, sizeof why) == 0, "agreeing offsets: %s", why);
    CHECK(pylayout_verify(row, (uintptr_t)rt, 0x030D01F0u, why, sizeof why) < 0 && strstr(why, "version"),
          "another version's offsets: %s", why);
    uint64_t one = 1, bad = row->checks[3].want + 8;
    memcpy(d + row->debug.free_threaded, &one, 8);
    CHECK(pylayout_verify(row, (uintptr_t)rt, 0x030D00F0u, why, sizeof why) < 0 && strstr(why, "free-threaded"),
          "free-threaded: %s", why);
    memcpy(d + row->debug.free_threaded, &zero, 8);
    memcpy(d + row->checks[3].at, &bad, 8);
    CHECK(pylayout_verify(row, (uintptr_t)rt, 0x030D00F0u, why, sizeof why) < 0 && strstr(why, "disagree"),
          "one field moved: %s", why);
    memcpy(d + row->checks[3].at, &row->checks[3].want, 8);
    memcpy(d + row->debug.cookie, "xdebugpx", 8);
    CHECK(pylayout_verify(row, (uintptr_t)rt, 0x030D00F0u, why, sizeof why) < 0, "no cookie");
}

int main(void) {
    test_pylayout();
    test_linetable();
    test_htab();
    test_classify();
    test_procfd();
    test_live_state();
    test_memread();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    else printf("agent units: all checks passed\n");
    return failures != 0;
}
