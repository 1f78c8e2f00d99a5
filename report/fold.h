/* fold.h — the folded-stack writer (performance.folded, later memory.folded).
 *
 * One line per tree node with a self value: its path from the root,
 * `frame;frame;...;frame COUNT`. A Python frame is written
 * `QUALNAME (FILENAME:LINE)` — `QUALNAME (FILENAME)` when the line is 0,
 * `QUALNAME` when there is no file — and a state frame as its label
 * (`[running]`). So that every line stays parseable, `;` inside a name or
 * file becomes `:`, and every control character (newline, CR, tab, ...)
 * becomes a space; COUNT is always the text after the line's last space.
 * Lines are sorted in byte order (as `LC_ALL=C sort` would), so the same
 * data always gives the same file. */
#ifndef RADIOGRAPH_FOLD_H
#define RADIOGRAPH_FOLD_H

#include "calltree.h"
#include "model.h"

#include <stdio.h>

/* Writes every node of the finished tree T with a self value (its value
 * minus its children's) as a folded line to OUT, with frame labels from M.
 * Returns 0, -EIO if a write failed, -ENOMEM, or -EINVAL if T is not
 * finished. */
int fold_write(FILE *out, const model_t *m, const calltree_t *t);

/* Appends the folded label of frame F (sanitised as above) to the buffer
 * *BUF of *LEN bytes and capacity *CAP (grown with realloc). Returns 0 or
 * -ENOMEM. */
int fold_label(const model_t *m, uint32_t f, char **buf, size_t *len, size_t *cap);

#endif
