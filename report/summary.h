/* summary.h — the headline figures (summary.json, and the "summary" object
 * of the page's data). Members, in order: command, exit_code, signal,
 * elapsed_seconds, cpu_seconds, peak_memory_bytes, peak_memory_source
 * ("tracked": the agent's allocation tracking, summed over processes; "rss":
 * the resident set size, when no process tracked memory), peak_memory_seconds
 * (when the peak was reached, from the run's start; null for "rss"),
 * memory_sample_bytes (the sampling mean R, null without tracking), oom,
 * reserved_bytes (address space reserved at the peak and not used, null
 * without tracking), reserved (the largest such reservations, {bytes,
 * stack}), processes, threads, samples, sample_interval_seconds,
 * python_version, radiograph_version, dropped_samples, start_time,
 * partial, process_ends ({pid, ppid, ended, exit_code, signal} per
 * process), notes, answers (answers.h). Unknown values are null. */
#ifndef RADIOGRAPH_SUMMARY_H
#define RADIOGRAPH_SUMMARY_H

#include "json.h"
#include "model.h"

#include <stdio.h>

/* Writes the summary members into the object W is currently inside;
 * WITH_NODES gives the answers the tree nodes the page links them to.
 * Returns 0 or -ENOMEM (the answers could not be computed). */
int summary_write_members(json_t *w, const model_t *m, int with_nodes);

/* Writes summary.json (one object, then a newline) to OUT. Returns 0 or
 * -ENOMEM / -EIO. */
int summary_write(FILE *out, const model_t *m);

/* Formats PY_VERSION_HEX V as "3.11.7" (or "3.13.0rc2") into BUF. Returns
 * 0, or -EINVAL when V is 0. */
int summary_python_version(uint32_t v, char *buf, size_t len);

/* Formats a CLOCK_REALTIME instant as ISO 8601 UTC ("2026-11-25T13:21:39Z").
 * Returns 0, or -EINVAL when it is out of range. */
int summary_iso_time(uint64_t real_ns, char *buf, size_t len);

#endif
