/* compare.h — `radiograph compare BASE NEW`: two reports (or two folded
 * files) side by side. Writes comparison.json (the headline figures before
 * and after, and the callstacks that grew and shrank most) and index.html
 * (the same figures and differential flamegraphs drawn on each side's
 * stacks). docs/internals.md §4 describes the matching and the JSON. */
#ifndef RADIOGRAPH_COMPARE_H
#define RADIOGRAPH_COMPARE_H

#include <stddef.h>

#define COMPARE_TOP 10u      /* callstacks listed as grown and as shrunk */

typedef struct compare_opts {
    int by_line;             /* match frames by line too, not only by function */
    int quiet;               /* no headline figures on stderr */
} compare_opts_t;

/* Compares BASE with NEW — each a report directory (summary.json and the
 * folded files) or a .folded file, both the same kind — and writes the
 * comparison into OUT_DIR (which must exist). Returns 0, or a negative value
 * with one line for the user in ERR (what is wrong and what to do). Each
 * file appears under its final name only when complete. Unless OPTS->quiet,
 * prints the headline changes to stderr. */
int compare_build(const char *base, const char *new_path, const char *out_dir,
                  const compare_opts_t *opts, char *err, size_t errlen);

#endif
