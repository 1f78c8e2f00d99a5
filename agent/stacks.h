/* stacks.h — interning of Python call stacks into the raw file's ids.
 *
 * A stack is a path in a trie of frames: (parent stack, frame) -> stack id.
 * A frame is (qualified name, file, line). Code objects are cached by
 * address together with a snapshot of the fields that name them, re-checked
 * on every use, so a code object freed and replaced at the same address is
 * never mistaken for the old one. New strings, frames and stacks are written
 * to the raw file as they are first seen, before any record that uses them.
 * Only the sampler thread calls these functions. */
#ifndef RADIOGRAPH_STACKS_H
#define RADIOGRAPH_STACKS_H

#include "pyread.h"

#include <stdint.h>

#define STACKS_MAX_DEPTH 2048

/* One thread's previous stack: consecutive samples of a thread share most
 * of their frames (all but the innermost few), and the shared outer part is
 * not interned again. Zero-initialise; the cache allocates on first use. */
typedef struct stacks_cache {
    pyread_frame_t *frames;    /* root first */
    uint32_t *ids;             /* ids[i]: stack id of frames[0..i] */
    int n, cap;
} stacks_cache_t;

/* Starts with empty tables (also after fork, in the child, where the lock
 * is re-initialised too). */
void stacks_reset(void);

/* The tables are shared by the sampler thread and the allocation hooks of
 * every thread: hold this lock around stacks_intern. */
void stacks_lock(void);
void stacks_unlock(void);

/* Interns the stack FRAMES[0..N) (innermost first, as pyread_stack returns
 * it); TRUNCATED says the real stack was deeper, in which case a
 * "[truncated]" frame stands in for the missing outer frames. CACHE (may be
 * NULL) is the thread's previous stack: frames identical to it (same frame,
 * code object and instruction) from the root on keep their ids. OWN says
 * the frames are the calling thread's own, read from its allocation hook:
 * their code objects are alive (the frames hold them), so their heads are
 * read with plain copies (memread_direct); the strings and line tables of a
 * code object seen for the first time are still read fault-tolerantly.
 * Returns the stack id (0 for an empty stack), or -1 if a read was torn or
 * a table is full (the caller drops the sample). */
int64_t stacks_intern(stacks_cache_t *cache, const pyread_frame_t *frames, int n, int truncated,
                      int own);


#endif
