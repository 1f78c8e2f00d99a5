/* A library for test_gotpatch, loaded with the test program: it allocates
 * through its PLT (linked -z now, so its GOT is in RELRO), and dlopens a
 * library by bare name, which only its RUNPATH ($ORIGIN/gp_sub) finds. */
#include <dlfcn.h>
#include <stdlib.h>

void *gp_target_alloc(size_t n) {
    return malloc(n);
}

void gp_target_free(void *p) {
    free(p);
}

/* Not a tail call: dlopen must see this library as its caller (a jump
 * to it would leave the test program's return address). */
void *gp_target_open(const char *bare_name) {
    void *volatile h = dlopen(bare_name, RTLD_NOW | RTLD_LOCAL);
    return h;
}
