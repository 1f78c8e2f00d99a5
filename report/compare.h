/* compare.h — `radiograph compare BASE NEW`: two reports (or two folded
 * files) side by side. Writes comparison.json (the headline figures before
 * and after, and the callstacks that grew and shrank most) and index.html
 * (the same figures and differential flamegraphs drawn on each side's
 * stacks). docs/internals.md §4 describes the matching and the JSON. */
#ifndef RADIOGRAPH_COMPARE_H
#define RADIOGRAPH_COMPARE_H

#include <stddef.h>

#define COMPARE_TOP 10u      /* callstacks listed as grown and as shrunk */

#define COMPARE_GATE_FAILED 1  /* compare_build: written, but a figure grew too much */

typedef struct compare_opts {
    int by_line;             /* match frames by line too, not only by function */
    int quiet;               /* no headline figures on stderr */
    int gate_slower;         /* the gate: check the growth of the elapsed time, */
    int gate_bigger;         /* of the peak memory, */
    double fail_slower;      /* against these limits (percent, from 0 up) */
    double fail_bigger;
} compare_opts_t;

/* Compares BASE with NEW — each a report directory (summary.json and the
 * folded files) or a .folded file, both the same kind — and writes the
 * comparison into OUT_DIR (which must exist). Returns 0, COMPARE_GATE_FAILED
 * when everything was written but a figure grew by more than its limit in
 * OPTS (one line per failed figure on stderr), or a negative value with one
 * line for the user in ERR (what is wrong and what to do; also when a limit
 * cannot be checked on these inputs, before anything is written). Each file
 * appears under its final name only when complete. Unless OPTS->quiet,
 * prints the headline changes and each limit that held to stderr.
 *
 * The gate compares the elapsed time and the peak memory of two reports
 * (both measured the same way: tracked, or RSS with --no-memory); for two
 * .folded files, the files' totals (samples, or bytes for memory files). */
int compare_build(const char *base, const char *new_path, const char *out_dir,
                  const compare_opts_t *opts, char *err, size_t errlen);

#endif
