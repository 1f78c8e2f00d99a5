/* pagedata.h — the JSON document the page embeds (docs/internals.md §2):
 * version, summary, frames (columns name/file/line/src/kind), perf (the
 * call tree in pre-order: parent/frame/value/interval), timeline (processes;
 * threads with tid, name, python, main — true for the process's main thread,
 * an addition to §2 — and spans as flat [start_ms, end_ms, node, state]
 * quadruples) and memory (null when no process tracked memory; else the
 * peak-memory tree, the merged series t_ms/tracked/rss, peak {t_ms, bytes},
 * sample_bytes and oom — docs/internals.md section 2). */
#ifndef RADIOGRAPH_PAGEDATA_H
#define RADIOGRAPH_PAGEDATA_H

#include "json.h"
#include "model.h"
#include "srcline.h"

/* Writes the document as one JSON value to W (which should be in
 * JSON_HTML_SAFE mode for embedding). Source lines come through SRC.
 * Returns 0 or -ENOMEM; write errors are W's (json_finish). */
int pagedata_write(json_t *w, const model_t *m, srcline_cache_t *src);

#endif
