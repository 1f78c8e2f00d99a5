/* resident.h — how many bytes of a range of this process's memory are in
 * RAM, by mincore(2): a page counts once the program has touched it (an
 * anonymous page that was only reserved, or mapped and never written, is
 * not resident). One system call per 16 MiB of address space; the page
 * table walk costs about a microsecond per 4 MiB, touched or not
 * (docs/benchmarks.md). Pure: no allocation, no lock, safe in any thread. */
#ifndef RADIOGRAPH_RESIDENT_H
#define RADIOGRAPH_RESIDENT_H

#include <stddef.h>
#include <stdint.h>

/* The bytes of [P, P+LEN) that lie on resident pages (a page the range only
 * partly covers counts for its part). Returns -1 if some of the range is
 * not mapped (errno may be changed: callers inside hooks save it). */
int64_t resident_bytes(uintptr_t p, size_t len);

/* The page size (4096 until the first call asks the system). */
size_t resident_page(void);

#endif
