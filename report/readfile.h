/* readfile.h — reading a whole input file of the report (a raw file,
 * run.info) into memory: regular files only, never blocking on a FIFO, and
 * tolerant of a file that grows while it is read. */
#ifndef RADIOGRAPH_READFILE_H
#define RADIOGRAPH_READFILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads PATH — at most MAX bytes of it — into a new buffer (*DATA, *SIZE;
 * free() it). Returns 0 or a negative errno value (-EINVAL if PATH is not a
 * regular file). */
int readfile_load(const char *path, size_t max, uint8_t **data, size_t *size);

#endif
