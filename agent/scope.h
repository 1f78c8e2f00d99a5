/* scope.h — what a profile covers when it is not the whole process: the
 * in-process mode (attach.h) profiles a block of code inside a program that
 * was already running, so the threads that were running before the block
 * (a Jupyter kernel's own: its heartbeat, its I/O threads) are left out,
 * and the stack of the thread running the block starts at the block's own
 * code, not at the dozens of frames of whatever called it (IPython's cell
 * machinery). A preloaded agent profiles everything: the scope is empty and
 * each check is one load and a branch. */
#ifndef RADIOGRAPH_SCOPE_H
#define RADIOGRAPH_SCOPE_H

#include "pyread.h"

#include <stdint.h>

/* Narrows the profile: the threads SKIP[0..NSKIP) are not sampled, and a
 * stack that passes through a frame running the code object at ROOT_CODE
 * (0: none) keeps only that frame and the frames it called. BLOCK_TID is
 * the thread running the block (0: none): its stacks that do not pass
 * through the root were taken outside the block (in the code that started
 * or stops the profile). Copies SKIP. Call while no sampler runs. */
void scope_set(uintptr_t root_code, uint32_t block_tid, const uint32_t *skip, int nskip);

/* Back to the whole process. */
void scope_clear(void);

/* 1 if thread TID is outside the profile. */
int scope_skips_thread(uint32_t tid);

/* FRAMES[0..N) is thread TID's stack, innermost first, *MORE set if it
 * went deeper: returns its length once the frames outside the root are cut
 * off (then *MORE is cleared: nothing is missing), or N; or -1 if it is
 * the block's thread outside the block (the sample is not the block's). */
int scope_trim(const pyread_frame_t *frames, int n, int *more, uint32_t tid);

#endif
