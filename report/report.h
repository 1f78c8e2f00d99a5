/* report.h — builds every output file of a report directory from its raw/
 * data: index.html, performance.folded, memory.folded (when some process
 * tracked memory), summary.json, timeline.json, profile.speedscope.json. */
#ifndef RADIOGRAPH_REPORT_H
#define RADIOGRAPH_REPORT_H

#include <stddef.h>

/* Reads DIR/raw/ (run.info and every *.rgd, all treated as untrusted) and
 * writes the report files into DIR. Returns 0 on success, 1 if a report was
 * written but some raw data was missing or damaged (the page and
 * summary.json say "partial"), and a negative value if no report could be
 * written; then ERR (of ERRLEN bytes) holds one line saying what is wrong and
 * what to do. Each output is written to a temporary name and renamed, so a
 * failed build never leaves a half-written file under the final name. */
int report_build(const char *dir, char *err, size_t errlen);

#endif
