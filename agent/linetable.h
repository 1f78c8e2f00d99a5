/* linetable.h — maps an instruction offset to a source line using a code
 * object's location table (co_linetable), in the format CPython 3.11, 3.12
 * and 3.13 share (Objects/locations.md): a sequence of entries, each covering
 * 1–8 code units, each giving a line delta.
 *
 * Pure and bounds-checked: the table was copied out of a running program and
 * may be garbage. */
#ifndef RADIOGRAPH_LINETABLE_H
#define RADIOGRAPH_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* Returns the line of the instruction at code unit INDEX (0-based) in a code
 * object whose first line is FIRSTLINENO, or -1 if the table has no
 * location for it or is malformed. */
int linetable_line(const uint8_t *table, size_t len, int firstlineno, int index);

/* The same, but an instruction the table gives no location (the start of
 * a generator, some exception cleanup) gets the line of the located code
 * before it, or FIRSTLINENO if there is none: a profile names a line for
 * every sample. -1 only for a malformed table or an index past its end. */
int linetable_line_near(const uint8_t *table, size_t len, int firstlineno, int index);

#endif
