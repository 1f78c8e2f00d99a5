/* memhooks.c — the interposed allocation functions.
 *
 * Preloaded, these definitions of malloc & co. and of mmap/munmap/mremap come
 * before the C library's in every process of the job. Each forwards to the
 * next definition (normally glibc's) and, while memtrack is active in a
 * profiled Python process, tells memtrack what appeared or went away. In any
 * other process (bash, gcc, the pyenv shim) memtrack is never activated and
 * a hook is one branch and a call. errno is what the real function left.
 *
 * Bootstrap: until the next definitions are found with dlsym — which may
 * itself allocate — the hooks call glibc's __libc_* entry points. Anonymous
 * mmap is issued as a raw system call, so it needs no lookup at all.
 *
 * Loaded into a running program instead (attach.h), the same hooks are
 * reached through other objects' patched GOT slots (gotpatch.h), and only
 * blocks allocated since are counted out when freed (bornset.h). */
/* Both mmap and mmap64 are defined here, so the header must not rename one
 * to the other. */
#undef _FILE_OFFSET_BITS

#include "memhooks.h"

#include "bornset.h"
#include "gotpatch.h"
#include "memtrack.h"
#include "nproc.h"
#include "sampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HOOK __attribute__((visibility("default")))

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*usable)(void *);
    int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
} real;

/* When the next malloc is not glibc's (jemalloc, tcmalloc, mimalloc
 * preloaded after us), its own mmap calls carve the blocks that malloc
 * already counted: mappings made from inside that allocator's code are not
 * counted again. Its code's address range is found once, here, so the
 * mmap hook needs no lock to check a caller. */
static uintptr_t foreign_lo, foreign_hi;

static void *hook_next(const char *name) {
    return dlsym(RTLD_NEXT, name);
}

void memhooks_resolve(void *(*lookup)(const char *name)) {
    if (!lookup) lookup = hook_next;
    real.malloc = lookup("malloc");
    real.calloc = lookup("calloc");
    real.realloc = lookup("realloc");
    real.free = lookup("free");
    real.memalign = lookup("memalign");
    real.posix_memalign = lookup("posix_memalign");
    real.aligned_alloc = lookup("aligned_alloc");
    real.valloc = lookup("valloc");
    real.pvalloc = lookup("pvalloc");
    real.usable = lookup("malloc_usable_size");
    real.pthread_create = lookup("pthread_create");
    if (real.malloc && real.malloc != __libc_malloc) gotpatch_object_range(real.malloc, &foreign_lo, &foreign_hi);
}

/* A thread started from C carries the Python stack that started it. */
typedef struct hook_start {
    void *(*fn)(void *);
    void *arg;
    uint32_t stack;
} hook_start_t;

static void *hook_thread_main(void *p) {
    hook_start_t s = *(hook_start_t *)p;
    if (real.free) real.free(p);
    else __libc_free(p);
    memtrack_inherit(s.stack);
    return s.fn(s.arg);
}

HOOK int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
    if (!real.pthread_create) real.pthread_create = dlsym(RTLD_NEXT, "pthread_create");
    if (!real.pthread_create) return EAGAIN;
    uint32_t stack = memtrack_active ? memtrack_creator_stack() : 0;
    if (!stack) return nproc_create(real.pthread_create, t, attr, fn, arg);
    hook_start_t *s = real.malloc ? real.malloc(sizeof *s) : __libc_malloc(sizeof *s);
    if (!s) return nproc_create(real.pthread_create, t, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    s->stack = stack;
    int rc = nproc_create(real.pthread_create, t, attr, hook_thread_main, s);
    if (rc != 0) {
        if (real.free) real.free(s);
        else __libc_free(s);
    }
    return rc;
}

static size_t hook_usable(void *p) {
    return real.usable ? real.usable(p) : malloc_usable_size(p);
}

/* What glibc's malloc_usable_size says of the block at P, in use, from the
 * arena: the chunk's size (the header's word before P, less its three flag
 * bits) less the one word of header it keeps. A chunk of its own mapping
 * (flag 2: blocks of 128 KiB and more) is asked about, as it is rare. */
static inline size_t hook_chunk_size(void *p) {
    size_t h = ((const size_t *)p)[-1];
    if (__builtin_expect(h & 2, 0)) return hook_usable(p);
    return (h & ~(size_t)7) - sizeof(size_t);
}

static inline size_t hook_size(void *p) {
    if (__builtin_expect(memtrack_hot.chunk_sizes, 1)) return hook_chunk_size(p);
    return hook_usable(p);
}

void memhooks_check_sizes(void) {
    memtrack_hot.chunk_sizes = 0;
    /* Only glibc's own malloc, its usable size and its free: another
     * allocator (or glibc's malloc-debugging one) lays out its blocks its
     * own way. */
    if ((real.malloc && real.malloc != __libc_malloc) || (real.free && real.free != __libc_free) ||
        (real.calloc && real.calloc != __libc_calloc) || (real.realloc && real.realloc != __libc_realloc) ||
        (real.memalign && real.memalign != __libc_memalign) || !real.usable || sizeof(size_t) != 8)
        return;
    /* All under glibc's mmap threshold (128 KiB until a mapped block is
     * freed): freeing a mapped one would raise the program's threshold. */
    static const size_t sizes[] = {0, 1, 24, 25, 600, 1032, 1033, 1600, 5000, 20000, 70000};
    int ok = 1;
    for (size_t i = 0; ok && i < sizeof sizes / sizeof *sizes; i++) {
        void *b[3] = {__libc_malloc(sizes[i]), __libc_calloc(1, sizes[i] + 1), __libc_memalign(4096, sizes[i])};
        for (int k = 0; k < 3; k++) {
            if (b[k] && real.usable(b[k]) != hook_chunk_size(b[k])) ok = 0;
            __libc_free(b[k]);
        }
    }
    memtrack_hot.chunk_sizes = ok;
}

/* The quick path may count a block: tracking, not attached to a running
 * program (bornset.h), the sampler not parked (hook_unpark). */
static inline int hook_quick(void) {
    return memtrack_active && !bornset_on &&
           !atomic_load_explicit(&sampler_parked, memory_order_relaxed);
}

/* A parent's sampler ended for a fork comes back from a hook (sampler.h). */
static inline void hook_unpark(int why) {
    if (__builtin_expect(atomic_load_explicit(&sampler_parked, memory_order_relaxed), 0)) sampler_unpark(why);
}

/* A block of REQUESTED bytes appeared at P. */
static void hook_count_in(void *p, size_t requested) {
    bornset_add(p);
    memtrack_alloc(p, hook_size(p), requested);
}

/* After an allocation of N bytes that returned P. */
/* Kept out of line: the quick path then needs almost no registers saved. */
static __attribute__((noinline)) void *hook_allocated_slow(void *p, size_t n) {
    hook_unpark(SAMPLER_UNPARK_LATE);
    if (memtrack_active) {
        int e = errno;
        if (p) hook_count_in(p, n);
        else if (n) memtrack_failed(n);
        errno = e;
    }
    return p;
}

static inline void *hook_allocated(void *p, size_t n) {
    if (p && hook_quick() && memtrack_quick_alloc(hook_size(p))) return p;
    return hook_allocated_slow(p, n);
}

HOOK void *malloc(size_t n) {
    return hook_allocated(real.malloc ? real.malloc(n) : __libc_malloc(n), n);
}

HOOK void *calloc(size_t n, size_t size) {
    void *p = real.calloc ? real.calloc(n, size) : __libc_calloc(n, size);
    /* A request that overflows is no allocation that failed: 0 bytes. */
    return hook_allocated(p, size && n > SIZE_MAX / size ? 0 : n * size);
}

static __attribute__((noinline)) void hook_free_slow(void *p) {
    hook_unpark(SAMPLER_UNPARK_FREE);
    if (memtrack_active && p && bornset_take(p)) {
        int e = errno;
        memtrack_free(p, hook_size(p));
        errno = e;
    }
}

HOOK void free(void *p) {
    if (!(p && hook_quick() && memtrack_quick_free(p, hook_size(p)))) hook_free_slow(p);
    if (real.free) real.free(p);
    else __libc_free(p);
}

HOOK void *realloc(void *old, size_t n) {
    if (!memtrack_active) return real.realloc ? real.realloc(old, n) : __libc_realloc(old, n);
    int e = errno;
    size_t old_size = old ? hook_size(old) : 0;
    int counted = old && bornset_take(old);   /* old: allocated while tracked */
    errno = e;
    void *p = real.realloc ? real.realloc(old, n) : __libc_realloc(old, n);
    e = errno;
    if (p) {
        /* The old block is gone (moved or resized): count it out, the new in. */
        if (counted) {
            memtrack_realloc(old, old_size, p, hook_size(p), n);
            bornset_add(p);
        } else {
            hook_count_in(p, n);        /* new, or one allocated before the profile */
        }
    } else if (n) {
        memtrack_failed(n);             /* the old block is still there */
        if (counted) bornset_add(old);
    } else if (counted) {
        memtrack_free(old, old_size);   /* realloc(p, 0) freed it */
    }
    errno = e;
    return p;
}


HOOK void *memalign(size_t align, size_t n) {
    return hook_allocated(real.memalign ? real.memalign(align, n) : __libc_memalign(align, n), n);
}

HOOK void *aligned_alloc(size_t align, size_t n) {
    return hook_allocated(real.aligned_alloc ? real.aligned_alloc(align, n) : __libc_memalign(align, n), n);
}

HOOK void *valloc(size_t n) {
    return hook_allocated(real.valloc ? real.valloc(n) : __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n), n);
}

HOOK void *pvalloc(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return hook_allocated(real.pvalloc ? real.pvalloc(n) : __libc_memalign(page, (n + page - 1) & ~(page - 1)), n);
}

HOOK int posix_memalign(void **out, size_t align, size_t n) {
    int rc;
    if (real.posix_memalign) {
        rc = real.posix_memalign(out, align, n);
    } else {
        if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
        void *p = __libc_memalign(align, n);
        if (!p) return ENOMEM;
        *out = p;
        rc = 0;
    }
    if (memtrack_active) {
        int e = errno;
        if (rc == 0) hook_count_in(*out, n);
        else if (rc == ENOMEM) memtrack_failed(n);
        errno = e;
    }
    return rc;
}

/* Mappings: only anonymous ones are memory the program allocated; a file
 * mapping is tracked by nothing here (it is not in memtrack's table, so its
 * munmap is ignored too). */
static void *hook_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, uintptr_t caller) {
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    if (r == -1) return MAP_FAILED;   /* errno set by syscall() */
    void *p = (void *)r;
    if (memtrack_active && (flags & MAP_ANONYMOUS) && !(caller >= foreign_lo && caller < foreign_hi)) {
        int e = errno;
        memtrack_map(p, len, (flags & (MAP_POPULATE | MAP_LOCKED)) != 0, (flags & MAP_FIXED) != 0);
        errno = e;
    }
    return p;
}

HOOK void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    return hook_mmap(addr, len, prot, flags, fd, off, (uintptr_t)__builtin_return_address(0));
}

HOOK void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off) {
    return hook_mmap(addr, len, prot, flags, fd, (off_t)off, (uintptr_t)__builtin_return_address(0));
}

_Atomic unsigned long memhooks_unmaps;

HOOK int munmap(void *addr, size_t len) {
    atomic_fetch_add_explicit(&memhooks_unmaps, 1, memory_order_relaxed);
    if (memtrack_active) {
        int e = errno;
        memtrack_unmap(addr, len);
        errno = e;
    }
    return (int)syscall(SYS_munmap, addr, len);
}

/* Pages given back to the system: a region that counted them counts them
 * no more (MADV_FREE's stay resident until the system takes them, and so
 * keep counting until then). */
HOOK int madvise(void *addr, size_t len, int advice) {
    int rc = (int)syscall(SYS_madvise, addr, len, advice);
    if (rc == 0 && memtrack_active &&
        (advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_REMOVE || advice == MADV_PAGEOUT)) {
        int e = errno;
        memtrack_advise(addr, len);
        errno = e;
    }
    return rc;
}

HOOK void *mremap(void *old, size_t old_len, size_t len, int flags, ...) {
    void *want = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        want = va_arg(ap, void *);
        va_end(ap);
    }
    long r = syscall(SYS_mremap, old, old_len, len, flags, want);
    if (r == -1) return MAP_FAILED;
    if (memtrack_active) {
        int e = errno;
        memtrack_remap(old, old_len, (void *)r, len);
        errno = e;
    }
    return (void *)r;
}

#define MEMHOOKS_ALIAS(f) \
    extern __typeof__(f) memhooks_##f __attribute__((alias(#f), copy(f), visibility("hidden")));
MEMHOOKS_LIST(MEMHOOKS_ALIAS)
