/* gotpatch: redirecting a loaded library's calls of malloc and free, and
 * of a library dlopened after the hooks went in (found through its
 * caller's RUNPATH, as dlopen would have found it), and putting everything
 * back. The test program itself stands for the agent: its own calls are
 * never redirected. */
#include "gotpatch.h"

#include "../unit/check.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *gp_target_alloc(size_t n);
void gp_target_free(void *p);
void *gp_target_open(const char *bare_name);

static atomic_int mallocs, frees;
static void *(*real_malloc)(size_t);
static void (*real_free)(void *);

static void *count_malloc(size_t n) {
    atomic_fetch_add(&mallocs, 1);
    return real_malloc(n);
}

static void count_free(void *p) {
    if (p) atomic_fetch_add(&frees, 1);
    real_free(p);
}

int main(void) {
    real_malloc = (void *(*)(size_t))gotpatch_definition("malloc");
    real_free = (void (*)(void *))gotpatch_definition("free");
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    CHECK(libc && real_malloc == dlsym(libc, "malloc"), "malloc's definition is the C library's");
    CHECK(libc && real_free == dlsym(libc, "free"), "free's definition is the C library's");
    CHECK(gotpatch_definition("no_such_function_anywhere") == NULL, "an unknown name");

    gp_target_free(gp_target_alloc(64));
    CHECK(mallocs == 0 && frees == 0, "nothing redirected before install: %d %d", mallocs, frees);
    /* What the dynamic linker itself finds for the library, unpatched
     * (then unloaded again, to be found anew below). */
    void *plain = gp_target_open("libgp_late.so");
    CHECK(plain != NULL, "the bare name through RUNPATH, unpatched: %s", plain ? "" : dlerror());
    if (plain) dlclose(plain);

    static const gotpatch_hook_t hooks[] = {{"malloc", (void *)count_malloc}, {"free", (void *)count_free}};
    int n = gotpatch_install(hooks, 2);
    CHECK(n >= 2, "slots patched: %d", n);
    CHECK(gotpatch_install(hooks, 2) == -1, "a second install is refused");

    void *p = gp_target_alloc(64);
    CHECK(mallocs == 1, "the library's malloc went to the hook: %d", mallocs);
    gp_target_free(p);
    CHECK(frees == 1, "the library's free went to the hook: %d", frees);
    free(malloc(16));   /* the "agent"'s own calls stay its own */
    CHECK(mallocs == 1 && frees == 1, "the patcher's own object is left alone: %d %d", mallocs, frees);

    void *late = gp_target_open("libgp_late.so");
    CHECK(late != NULL, "a bare name found through the caller's RUNPATH: %s", late ? "" : dlerror());
    void *(*late_alloc)(size_t) = late ? (void *(*)(size_t))dlsym(late, "gp_late_alloc") : NULL;
    if (late_alloc) {
        int before = mallocs;
        void *q = late_alloc(32);
        CHECK(mallocs == before + 1, "a library loaded after install is patched as it arrives: %d", mallocs);
        gp_target_free(q);
    }
    CHECK(gp_target_open("libgp_no_such_library.so") == NULL, "a missing library is still missing");

    gotpatch_restore();
    int m = mallocs, f = frees;
    gp_target_free(gp_target_alloc(64));
    if (late_alloc) free(late_alloc(32));
    CHECK(mallocs == m && frees == f, "restored: nothing reaches the hooks (%d %d)", mallocs - m, frees - f);
    gotpatch_restore();   /* twice is harmless */

    /* Again, after a restore: the slots are patched anew. */
    CHECK(gotpatch_install(hooks, 2) >= 2, "install after restore");
    gp_target_free(gp_target_alloc(8));
    CHECK(mallocs == m + 1 && frees == f + 1, "redirected again: %d %d", mallocs - m, frees - f);
    gotpatch_restore();

    uintptr_t lo, hi;
    CHECK(gotpatch_object_range((const void *)count_malloc, &lo, &hi) == 0 && lo <= (uintptr_t)count_malloc &&
          (uintptr_t)count_malloc < hi, "the range of the object holding an address");
    CHECK(gotpatch_object_range((const void *)16, &lo, &hi) == -1, "no object holds address 16");
    return check_failures("test_gotpatch");
}
