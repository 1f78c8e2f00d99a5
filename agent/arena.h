/* arena.h — a bump allocator over anonymous mmap for the agent's long-lived
 * data (code object snapshots, copied line tables). Never calls malloc;
 * memory is returned only all at once by arena_reset. */
#ifndef RADIOGRAPH_ARENA_H
#define RADIOGRAPH_ARENA_H

#include <stddef.h>

/* Returns SIZE bytes aligned to 16, zeroed, or NULL when mapping fails or the
 * arena's cap (64 MiB) is reached. */
void *arena_alloc(size_t size);

/* Unmaps everything the arena handed out. */
void arena_reset(void);

#endif
