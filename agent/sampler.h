/* sampler.h — the native sampling thread.
 *
 * Wakes at randomised intervals around the configured mean, and for every
 * thread of the process records its Python stack (read without the GIL
 * through pyread) and its state (running, or waiting and why, from tasks).
 * Counts per (stack, thread, state) are aggregated in memory and written
 * with a bounded subset of timeline points at least once a second. The
 * thread blocks every signal, so signals always reach the program's threads. */
#ifndef RADIOGRAPH_SAMPLER_H
#define RADIOGRAPH_SAMPLER_H

#include "memtrack.h"

#include <stdatomic.h>
#include <stdint.h>

typedef struct sampler_config {
    const char *raw_dir;       /* where <pid>.rgd is created */
    uint32_t interval_us;      /* mean sampling interval */
    uint32_t py_version;       /* Py_Version of the running interpreter */
    int park_at_fork;          /* end the thread for a fork (the interpreter counts threads then) */
} sampler_config_t;

/* Starts the sampling thread. The raw file is created on the first sample
 * that finds an initialised interpreter. Returns 0 or -1. */
int sampler_start(const sampler_config_t *cfg);

/* Stops the thread (waking it at once), then writes the final counts, the
 * statistics and the end record, and closes the raw file. Safe to call more
 * than once and from any thread but the sampler's. */
void sampler_stop(void);

/* The same, before exec(): the process image is about to be replaced. A
 * process that has not written its file yet (a forked child about to exec)
 * leaves none. */
void sampler_stop_before_exec(void);

/* The program could not start a thread of its own (pthread_create failed
 * with EAGAIN: a limit on threads and processes, ulimit -u): ends the
 * sampler thread so the program can have it, noting when in the raw file.
 * The file stays open for the final record at exit; a child forked after
 * this is not profiled. Returns 0 if the thread is gone (retry then), -1 if
 * there was none to give. Not from the sampler thread. */
int sampler_release(void);

/* Fork handling. Before fork the sampler thread ends between two samples
 * (the child inherits consistent tables), so that the parent has no thread
 * of ours when it counts its threads after fork (CPython 3.12+ warns, in the
 * program's own stderr, that a multi-threaded process forked: only where
 * park_at_fork says the interpreter does). The child
 * forgets the parent's file and tables and starts its own sampler at once;
 * the parent's comes back with sampler_unpark. If the thread cannot be
 * ended in time it is only paused, and the parent resumes it. */
void sampler_fork_prepare(void);
void sampler_fork_parent(void);
void sampler_fork_child(void);

/* Set while the parent's sampler thread is ended for a fork. */
#define sampler_parked (memtrack_hot.parked)   /* memtrack.h: on the hooks' line */

/* From the hooks, whenever sampler_parked is set: starts the parent's
 * sampler thread again, once the fork has been counted. The count is read
 * through a FILE that is freed right after (fclose), before any other free
 * of the forking thread: its first free() says the count is done
 * (SAMPLER_UNPARK_FREE). Any other hook, of any thread, brings it back
 * SAMPLER_UNPARK_NS after fork (SAMPLER_UNPARK_LATE). (Not from the wait
 * hooks: those may run in a signal handler, where no thread may be
 * started.) */
enum { SAMPLER_UNPARK_LATE, SAMPLER_UNPARK_FREE };
void sampler_unpark(int why);

#endif
