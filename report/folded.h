/* folded.h — the folded-stack reader: ours (performance.folded,
 * memory.folded), flamegraph.pl's, inferno's, py-spy's. Used by `compare`.
 *
 * One stack per line, `frame;frame;...;frame COUNT`, root first. COUNT is the
 * text after the line's last space or tab: a non-negative decimal number
 * (fractions allowed, as flamegraph.pl allows them). Empty frames (`a;;b`)
 * are dropped; a CR before the newline is ignored; lines that repeat a stack
 * add up. Every byte is untrusted: a line that does not parse is counted and
 * skipped, never fatal. */
#ifndef RADIOGRAPH_FOLDED_H
#define RADIOGRAPH_FOLDED_H

#include "strtab.h"

#include <stddef.h>
#include <stdint.h>

#define FOLDED_FILE_MAX (1ull << 30)   /* bytes read from one file */
#define FOLDED_DEPTH_MAX 4096u         /* deeper stacks keep their first frames */

typedef struct folded_stack {
    size_t first;            /* index of its root frame in folded_t.frames */
    uint32_t depth;          /* number of frames, >= 1 */
    double count;
} folded_stack_t;

typedef struct folded {
    strtab_t labels;                                     /* every frame's text */
    uint32_t *frames; size_t nframes, frames_cap;        /* strtab ids, stacks concatenated */
    folded_stack_t *stacks; size_t nstacks, stacks_cap;  /* in file order */
    double total;
    size_t lines;            /* non-empty lines seen */
    size_t bad_lines;        /* lines without a count or a frame */
    size_t first_bad_line;   /* 1-based number of the first, 0 if none */
    size_t cut_stacks;       /* stacks deeper than FOLDED_DEPTH_MAX */
} folded_t;

/* Parses the LEN bytes at DATA into F (initialised here; release with
 * folded_free even on failure). Returns 0 or -ENOMEM. A file with no valid
 * line is not an error here: F->nstacks is 0. */
int folded_parse(const char *data, size_t len, folded_t *f);

/* Reads and parses the file PATH (regular files only). Returns 0 or a
 * negative errno; F needs folded_free whatever the result. */
int folded_load(const char *path, folded_t *f);

void folded_free(folded_t *f);

/* Splits a frame label written `NAME (FILE:LINE)`, `NAME (FILE)` or `NAME`
 * (the DESIGN.md §2 form). Sets *NAME_LEN to the length of NAME, and
 * *FILE, *FILE_LEN and *LINE (0 when there is none). */
void folded_split_label(const char *s, size_t len, size_t *name_len,
                        const char **file, size_t *file_len, uint32_t *line);

#endif
