/* srcline.h — the source line of a frame, read at report time from the file
 * the frame names, so the page can label frames `l.append(x)` rather than
 * `main:12`. Each file is read once and indexed by line; names like
 * `<frozen ...>` or `<string>` are not files and give "".
 *
 * The file names come from the raw data, which is untrusted, so only a
 * Python source file is ever read, which here means all of:
 * - the name ends in `.py` or `.pyw`, and so does the file it leads to once
 *   every symlink is followed (`job.py -> /etc/shadow` is not source; a
 *   venv's or Nix's `x.py -> /store/...-x.py` is);
 * - it is a regular file (not a FIFO, device or directory) of at most
 *   SRCLINE_FILE_MAX bytes;
 * - its text has no NUL byte and is UTF-8 (a BOM allowed), or its first or
 *   second line is a comment declaring another coding (PEP 263).
 * Anything else gives "" for all its lines. A line is returned without its
 * leading and trailing white space, cut to at most SRCLINE_LINE_MAX bytes at
 * a UTF-8 character boundary. The text is the file's bytes: the JSON writer
 * replaces anything that is not valid UTF-8. */
#ifndef RADIOGRAPH_SRCLINE_H
#define RADIOGRAPH_SRCLINE_H

#include "keymap.h"

#include <stddef.h>
#include <stdint.h>

#define SRCLINE_FILE_MAX (16u << 20)
#define SRCLINE_LINE_MAX 300u

typedef struct srcline_file {
    char *text;              /* NULL: unreadable or not a file */
    size_t len;
    uint32_t *line_off;      /* start offset of line i+1 */
    size_t nlines;
} srcline_file_t;

typedef struct srcline_cache {
    keymap_t index;          /* key (hash of path, path id) -> file */
    srcline_file_t *files;
    size_t nfiles, cap;
    size_t bytes_read;       /* total, for the budget */
} srcline_cache_t;

void srcline_init(srcline_cache_t *c);
void srcline_free(srcline_cache_t *c);

/* The text of line LINE (1-based) of the file PATH, whose identity for
 * caching is KEY (e.g. the path's string id). Sets *TEXT and *LEN (LEN 0,
 * TEXT "" when unknown); the bytes are owned by the cache. Returns 0 or
 * -ENOMEM; an unreadable file is not an error. */
int srcline_get(srcline_cache_t *c, uint32_t key, const char *path, uint32_t line,
                const char **text, size_t *len);

#endif
