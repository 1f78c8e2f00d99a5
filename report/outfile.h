/* outfile.h — an output file that appears under its final name only when it
 * is complete: written to "DIR/.NAME.tmp-PID", flushed, then
 * renamed over "DIR/NAME". A failed build never leaves a half-written file
 * under a final name. */
#ifndef RADIOGRAPH_OUTFILE_H
#define RADIOGRAPH_OUTFILE_H

#include <stdio.h>

typedef struct outfile {
    FILE *fp;                /* write here */
    char *tmp_path;
    char *final_path;
} outfile_t;

/* Creates the temporary file for DIR/NAME. Returns 0 or a negative errno. */
int outfile_open(outfile_t *o, const char *dir, const char *name);

/* Closes the file and renames it to its final name. Returns 0 or a negative
 * errno; on failure the temporary file is removed. Frees O's memory. */
int outfile_commit(outfile_t *o);

/* Closes and removes the temporary file (after a failed write); frees O's
 * memory. Safe on an outfile that was never opened or already committed. */
void outfile_abort(outfile_t *o);

#endif
