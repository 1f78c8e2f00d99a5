/* A library for test_gotpatch that arrives after the hooks are in (dlopen
 * from gp_target, by bare name): built -fno-plt, so it calls malloc
 * through a GLOB_DAT slot rather than the PLT. */
#include <stdlib.h>

void *gp_late_alloc(size_t n) {
    return malloc(n);
}
