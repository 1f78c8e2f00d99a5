/* attach.h — the in-process mode: the agent loaded into a Python that is
 * already running (dlopen by the radiograph package, for the Jupyter magic
 * and radiograph.profile) profiles a block of code on demand.
 *
 * The interpreter is initialised already, so the sampler starts at once.
 * The allocation hooks cannot come first in symbol lookup any more: the
 * loaded objects' GOT slots of malloc & co. are pointed at them instead
 * (gotpatch.h), and put back when the block ends. Memory allocated before
 * the block is not attributed, and its frees are not counted (bornset.h):
 * the peak is the block's own. The threads already running when the block
 * began, other than the one running it, are left out, and that thread's
 * stacks start at the block's code (scope.h).
 *
 * The entry points are exported, for ctypes; everything else is hidden.
 * They are not async-signal-safe and return at once (the report is built
 * by the CLI, `radiograph report DIR`, from what the sampler wrote). */
#ifndef RADIOGRAPH_ATTACH_H
#define RADIOGRAPH_ATTACH_H

#include <stdint.h>

/* Starts profiling this process into RAW_DIR (an existing directory,
 * absolute path), sampling every INTERVAL_US microseconds on average;
 * SAMPLE_BYTES is memtrack's mean sampling distance, 0 for no memory
 * profile (nothing is patched then). ROOT_CODE is the address of the code
 * object whose frames become the roots of their thread's stacks (0: keep
 * whole stacks); ALL_THREADS 0 leaves out the threads running now except
 * the caller. Returns 0, or -1 with the reason in radiograph_error(). */
int radiograph_attach(const char *raw_dir, uint32_t interval_us, int64_t sample_bytes,
                      uintptr_t root_code, int all_threads);

/* Stops the profile started by radiograph_attach: puts the slots back,
 * stops the sampler and writes the final records. Returns 0, or -1 if no
 * profile of this process was running. */
int radiograph_detach(void);

/* Why the last call failed: one sentence, without the "radiograph:" prefix. */
const char *radiograph_error(void);

#endif
