/* memhooks.h — the interposed malloc family and mmap/munmap/mremap. */
#ifndef RADIOGRAPH_MEMHOOKS_H
#define RADIOGRAPH_MEMHOOKS_H

/* Finds the next definitions of the allocation functions (normally glibc's).
 * Until then the hooks use glibc's __libc_* entry points. */
void memhooks_resolve(void);

#endif
