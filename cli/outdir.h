/* outdir.h — where a command writes its results: the default directory
 * (PARENT/<date>T<time>/, made unique), creating a directory with its
 * parents, and claiming a report directory for one run. Shared by `run`
 * (reports) and `compare` (comparisons). */
#ifndef RADIOGRAPH_OUTDIR_H
#define RADIOGRAPH_OUTDIR_H

#include <stddef.h>

/* Writes "PARENT/YYYY-MM-DDTHH-MM-SS" (local time; "-2", "-3", ... appended
 * while that exists) into DIR of DIRLEN bytes. */
void outdir_default(const char *parent, char *dir, size_t dirlen);

/* Creates DIR and its missing parents (mode 0755). Returns 0, or -1 with
 * errno set (ENOTDIR if DIR exists but is not a directory). */
int outdir_make(const char *dir);

/* Claims DIR for one run, atomically: creates DIR (and its parents) if
 * needed, then DIR/raw with one mkdir, which fails if it exists — so of two
 * runs started together on one DIR exactly one gets it. Returns 0, or -1
 * with errno set (EEXIST: DIR already holds a report, or another run's). */
int outdir_claim(const char *dir);

/* Claims a new PARENT/<date>T<time>[-N] (the first of those names that
 * this call creates itself) as outdir_claim does, and writes its path into
 * DIR (DIRLEN bytes). Returns 0, or -1 with errno set. */
int outdir_claim_default(const char *parent, char *dir, size_t dirlen);

#endif
