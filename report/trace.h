/* trace.h — timeline.json in the Chrome Trace Event format, for Perfetto
 * and chrome://tracing: metadata events name each process ("pid N: command")
 * and thread, and each thread gets properly nested complete ("X") events —
 * one per Python frame for as long as it stays on the stack (named
 * `QUALNAME (FILE:LINE)`), and innermost the thread's state (cat "state",
 * named `[running]`, `[waiting: gil]`, ...), written in order of start,
 * a parent before the children that start with it. Each process with memory
 * data also gets a counter track ("ph":"C", name "memory", args
 * tracked_bytes and rss_bytes), at most TRACE_COUNTERS_MAX points in all (at
 * least 1,000 per process), thinned keeping each stretch's highest point.
 * Events about a whole process (its name, sort index, counter) carry the
 * main thread's tid, which is the pid. Times are whole microseconds from the
 * run's start.
 *
 * The file is bounded: when every frame of every stack change would take
 * more than TRACE_EVENTS_MAX events, frames deeper than a depth limit are
 * left out (trace_depth_limit chooses it; the page's own timeline keeps every
 * frame). Deep stacks sampled seconds apart change almost entirely from one
 * point to the next, so an hour of 16 deep threads can otherwise reach
 * millions of events and half a gigabyte. */
#ifndef RADIOGRAPH_TRACE_H
#define RADIOGRAPH_TRACE_H

#include "model.h"

#include <stdint.h>
#include <stdio.h>

#define TRACE_EVENTS_MAX 1000000u
#define TRACE_ALL_DEPTHS UINT32_MAX
#define TRACE_COUNTERS_MAX 100000u

/* The largest frame depth whose events, with every state event, fit in
 * BUDGET events (TRACE_ALL_DEPTHS when everything fits; at least 1). *EVENTS
 * (if not NULL) receives the number of events that depth gives. Returns 0 or
 * -ENOMEM. */
int trace_depth_limit(const model_t *m, size_t budget, uint32_t *depth, size_t *events);

/* Writes the finished model's timeline to OUT, leaving out frames deeper
 * than MAX_DEPTH. Returns 0, -ENOMEM or -EIO. */
int trace_write(FILE *out, const model_t *m, uint32_t max_depth);

/* The display name of thread T: its stored name, or "MainThread" for an
 * unnamed main thread and "thread TID" for another (written into BUF).
 * Sets *LEN; the result points into the model or into BUF. */
const char *trace_thread_name(const model_t *m, const model_thread_t *t,
                              char *buf, size_t buflen, size_t *len);

#endif
