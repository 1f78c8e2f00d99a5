/* pagedata.h — the JSON document the page embeds (docs/internals.md §2):
 * version, summary, frames (columns name/file/line/src/kind), perf (the
 * call tree in pre-order: parent/frame/value/interval), timeline (processes;
 * threads with tid, name, python, main — true for the process's main thread,
 * an addition to §2 — spans as flat [start_ms, end_ms, node, state]
 * quadruples, and tally: its samples per perf leaf as flat [node, count]
 * pairs) and memory (null when no process tracked memory; else the
 * peak-memory tree, the merged series t_ms/tracked/rss, peak {t_ms, bytes},
 * sample_bytes and oom — docs/internals.md section 2). */
#ifndef RADIOGRAPH_PAGEDATA_H
#define RADIOGRAPH_PAGEDATA_H

#include "json.h"
#include "model.h"
#include "srcline.h"

/* One frame as the page's frame columns take it (docs/internals.md §2). */
typedef struct pagedata_frame {
    const char *name; size_t name_len;
    const char *file; size_t file_len;   /* NUL-terminated, "" when none */
    uint32_t file_key;                   /* the file's identity for SRC, 0: none */
    uint32_t line;
    uint32_t src_line;                   /* the line whose text is shown when LINE is 0 */
    uint8_t kind;
    int python;                          /* a Python frame: look its line up */
} pagedata_frame_t;

typedef void (*pagedata_frame_fn)(const void *ctx, size_t i, pagedata_frame_t *out);

/* Writes the member "frames" — columns name, file, line, src, kind — for
 * frames 0..N-1 as GET describes them; source lines come through SRC.
 * Returns 0 or -ENOMEM. Shared by the report and the comparison page. */
int pagedata_frames_write(json_t *w, size_t n, pagedata_frame_fn get, const void *ctx,
                          srcline_cache_t *src);

/* Writes the document as one JSON value to W (which should be in
 * JSON_HTML_SAFE mode for embedding). Source lines come through SRC.
 * Returns 0 or -ENOMEM; write errors are W's (json_finish). */
int pagedata_write(json_t *w, const model_t *m, srcline_cache_t *src);

#endif
