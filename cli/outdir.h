/* outdir.h — where a command writes its results: the default directory
 * (PARENT/<date>T<time>/, made unique) and creating a directory with its
 * parents. Shared by `run` (reports) and `compare` (comparisons). */
#ifndef RADIOGRAPH_OUTDIR_H
#define RADIOGRAPH_OUTDIR_H

#include <stddef.h>

/* Writes "PARENT/YYYY-MM-DDTHH-MM-SS" (local time; "-2", "-3", ... appended
 * while that exists) into DIR of DIRLEN bytes. */
void outdir_default(const char *parent, char *dir, size_t dirlen);

/* Creates DIR and its missing parents (mode 0755). Returns 0, or -1 with
 * errno set (ENOTDIR if DIR exists but is not a directory). */
int outdir_make(const char *dir);

#endif
