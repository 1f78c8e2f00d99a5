/* outfile.h — an output file that appears under its final name only when it
 * is complete: written to "DIR/.NAME.<random>.tmp" (created exclusively,
 * never through a symlink), flushed, then renamed over "DIR/NAME". A failed
 * build never leaves a half-written file under a final name, nor a
 * temporary one. */
#ifndef RADIOGRAPH_OUTFILE_H
#define RADIOGRAPH_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct outfile_sink;

typedef struct outfile {
    FILE *fp;                /* write here */
    char *tmp_path;
    char *final_path;
    struct outfile_sink *sink;
} outfile_t;

/* Creates the temporary file for DIR/NAME. Returns 0 or a negative errno. */
int outfile_open(outfile_t *o, const char *dir, const char *name);

/* Closes the file and renames it to its final name. Returns 0 or a negative
 * errno (the first failed write's own, e.g. -ENOSPC or -EFBIG); on failure
 * the temporary file is removed. Frees O's memory. */
int outfile_commit(outfile_t *o);

/* Closes and removes the temporary file (after a failed write); frees O's
 * memory. Safe on an outfile that was never opened or already committed. */
void outfile_abort(outfile_t *o);

/* Ends O after its writer returned RC: commits when RC is 0, aborts
 * otherwise. Returns 0 or the negative errno that explains the failure —
 * the file's own first write error when there was one (writers report any
 * failure as -EIO), else RC. */
int outfile_finish(outfile_t *o, int rc);

/* strerror(ERR) for a failed write, with what the user needs to know about
 * it (-EFBIG: the file-size limit in force). Writes into BUF (CAP bytes),
 * returns BUF. */
const char *outfile_why(int err, char *buf, size_t cap);

#endif
