/* resident.h — how many bytes of a range of this process's memory are in
 * RAM: a page counts once the program has written it. An anonymous page
 * that was only reserved, or mapped and never touched, is not resident; one
 * that was only read maps the shared zero page and is not counted either
 * where the kernel can say so (PAGEMAP_SCAN, Linux 6.7; older kernels:
 * mincore, which counts it). About a microsecond per 4 MiB of address
 * space, touched or not (docs/benchmarks.md). No allocation; safe in any
 * thread, inside an allocation hook too. */
#ifndef RADIOGRAPH_RESIDENT_H
#define RADIOGRAPH_RESIDENT_H

#include <stddef.h>
#include <stdint.h>

/* The bytes of [P, P+LEN) that lie on resident pages (a page the range only
 * partly covers counts for its part). Returns -1 if the range cannot be
 * measured (part of it unmapped, on a kernel without PAGEMAP_SCAN); errno
 * may be changed: callers inside hooks save it. */
int64_t resident_bytes(uintptr_t p, size_t len);

/* The page size (4096 until the first call asks the system). */
size_t resident_page(void);

/* Opens the pagemap descriptor now (at the agent's start: before the
 * program's own threads open anything). */
void resident_open(void);

/* In the child after fork: the pagemap descriptor kept named the parent;
 * the child's is opened at once. */
void resident_fork_child(void);

#endif
