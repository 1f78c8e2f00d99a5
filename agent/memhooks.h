/* memhooks.h — the interposed malloc family and mmap/munmap/mremap. */
#ifndef RADIOGRAPH_MEMHOOKS_H
#define RADIOGRAPH_MEMHOOKS_H

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Finds the definitions the hooks forward to (normally glibc's) with
 * LOOKUP(name), or with dlsym(RTLD_NEXT) — the next after ours, for a
 * preloaded agent — if LOOKUP is NULL. An agent loaded into a running
 * program (attach.h) comes after everyone: it asks gotpatch_definition.
 * Until then the hooks use glibc's __libc_* entry points. */
void memhooks_resolve(void *(*lookup)(const char *name));

/* Before tracking starts: checks that glibc's chunk headers give the sizes
 * malloc_usable_size gives, so that the hooks may read them there. */
void memhooks_check_sizes(void);

/* The functions this module defines, listed once. */
#define MEMHOOKS_LIST(X) \
    X(malloc) X(calloc) X(realloc) X(free) X(memalign) X(posix_memalign) X(aligned_alloc) \
    X(valloc) X(pvalloc) X(mmap) X(mmap64) X(munmap) X(mremap) X(pthread_create)

/* Each one's own address, memhooks_malloc and so on: `&malloc` names the
 * process's first definition, which is ours only when preloaded (for
 * gotpatch.h, which sends other objects' calls here). */
#define MEMHOOKS_DECLARE(f) extern __typeof__(f) memhooks_##f;
MEMHOOKS_LIST(MEMHOOKS_DECLARE)
#undef MEMHOOKS_DECLARE

/* munmap() calls through the hooks: how often the program gives address
 * space back, for the sampler to decide where it runs (sampler.c, "Where
 * the sampler runs"). Relaxed. */
extern _Atomic unsigned long memhooks_unmaps;

#endif
