/* speedscope.h — profile.speedscope.json: the report in speedscope's file
 * format (https://www.speedscope.app/file-format-schema.json), which
 * https://www.speedscope.app and `npx speedscope` open.
 *
 * shared.frames holds every model frame, in the model's order, named as in
 * the folded files (`QUALNAME (FILE:LINE)`, `[running]`, `[waiting: gil]`,
 * `[no Python stack]`), with `file` and `line` where known. The profiles:
 * one "sampled" profile per thread that has performance samples, processes
 * in the model's order and each one's threads main-first, named
 * "pid PID COMMAND · THREAD", in seconds — each distinct stack (root first,
 * ending in its state frame) once, weighted by its samples times the
 * process's sample interval; then, when a peak-memory snapshot has bytes,
 * one "sampled" profile in bytes holding each stack of the peak-memory tree
 * with its own (self) bytes. Stacks are aggregated, in the tree's pre-order,
 * so speedscope's "Time Order" view is not chronological (the timeline is in
 * timeline.json and the page); its flame graph views are exact.
 * activeProfileIndex is 0: the first process's main thread, when it has
 * samples. */
#ifndef RADIOGRAPH_SPEEDSCOPE_H
#define RADIOGRAPH_SPEEDSCOPE_H

#include "model.h"

#include <stddef.h>
#include <stdio.h>

/* Writes the finished model M to OUT as one speedscope file named NAME
 * (NAME_LEN bytes, e.g. the page's title). Returns 0, -ENOMEM, -EIO on a
 * failed write, or -EINVAL if M is not finished. */
int speedscope_write(FILE *out, const model_t *m, const char *name, size_t name_len);

#endif
