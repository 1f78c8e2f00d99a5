/* pprof.h — profile.pb.gz: the report in pprof's format (profile.proto of
 * github.com/google/pprof, gzip-compressed), which `go tool pprof`,
 * Pyroscope, Parca and Grafana read.
 *
 * What the profile holds:
 * - sample_type `samples`/`count` and `wall`/`nanoseconds` (samples times
 *   their process's interval), and, when memory was tracked,
 *   `inuse_space`/`bytes`; default_sample_type `wall`; period_type
 *   `wall`/`nanoseconds` with the run's mean interval as period;
 *   time_nanos (the run's start) and duration_nanos (its elapsed time).
 * - One sample per (thread, distinct stack) of the performance profile,
 *   labelled `pid`, `tid` (numbers), `thread`, `process` (the command) and
 *   `state` (`running`, `waiting: gil`, ...), with values [samples, ns, 0];
 *   then one per stack of memory.folded, values [0, 0, bytes], unlabelled
 *   (the peak set is of all processes together).
 * - A Location per model frame (id = frame index + 1) with one Line: its
 *   Function and line number; a Function per (name, file): the Python
 *   qualified name, the file name, and start_line
 *   0 (the raw data does not carry the code object's first line yet). The
 *   state frames (`[running]`, `[waiting: gil]`) are the leaf Function of
 *   every performance sample, as in performance.folded, so waits stay
 *   visible in every pprof view; `[no Python stack]` and `[allocator
 *   rounding]` are one-Function stacks as in memory.folded.
 * - One Mapping, `[python]`, marked as having functions, file names and
 *   line numbers: the frames are Python source, not addresses in a binary,
 *   and nothing is left for pprof to symbolise.
 * Strings are written as UTF-8, each ill-formed byte as U+FFFD (as the JSON
 * files do); names are not sanitised as the folded files' are. */
#ifndef RADIOGRAPH_PPROF_H
#define RADIOGRAPH_PPROF_H

#include "model.h"

#include <stdio.h>

/* Writes the finished model M to OUT as a gzip-compressed pprof profile.
 * Returns 0, -ENOMEM, -EIO on a failed write, or -EINVAL if M is not
 * finished. */
int pprof_write(FILE *out, const model_t *m);

#endif
