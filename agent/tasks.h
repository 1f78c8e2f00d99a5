/* tasks.h — the threads of this process as the kernel sees them: their ids
 * (/proc/self/task), names (comm) and, at one instant, whether each is
 * running or waiting and for what (/proc/self/task/TID/syscall). */
#ifndef RADIOGRAPH_TASKS_H
#define RADIOGRAPH_TASKS_H

#include "procfd.h"

#include <stddef.h>
#include <stdint.h>

#define TASKS_MAX 1024

/* Lists the thread ids of this process into TIDS (at most MAX). Returns the
 * count, or -1 if /proc is unavailable. */
int tasks_list(uint32_t *tids, int max);

/* 1 if thread SELF is the only live thread of this process (the others
 * have ended; the main thread may linger as a zombie), else 0. */
int tasks_alone(uint32_t self);

/* The state of thread TID now, a raw_state_t: running, or waiting and (where
 * the blocking system call tells) why. A futex wait on an address inside
 * [GIL_LO, GIL_HI) is a wait for the GIL. PF (may be NULL) keeps the
 * thread's /proc file open between calls (procfd.h). Returns -1 if the
 * thread is gone. */
int tasks_state(uint32_t tid, procfd_t *pf, uintptr_t gil_lo, uintptr_t gil_hi);

/* CPU time thread TID has used, in nanoseconds (its per-thread CPU clock,
 * which counts every nanosecond it ran). Returns 0 if it is gone. */
uint64_t tasks_cputime(uint32_t tid);

/* The nanoseconds thread TID has spent on a CPU and runnable but waiting
 * for one (the scheduler's run delay), from /proc/self/task/TID/schedstat.
 * Returns 0 or -1. */
int tasks_schedstat(uint32_t tid, procfd_t *pf, uint64_t *run_ns, uint64_t *delay_ns);

/* The CPU thread TID last ran on (/proc/self/task/TID/stat), or -1. */
int tasks_cpu(uint32_t tid);

/* This process's resident set size now, from /proc/self/statm, into *OUT.
 * Returns 0, or -1 (then *OUT is untouched). */
int tasks_rss(uint64_t *out);

/* Copies the thread's name (comm) into BUF. Returns its length or -1. */
int tasks_name(uint32_t tid, char *buf, size_t cap);

/* Classifies a blocking system call: NR and its first two arguments.
 * Exposed for unit tests. */
int tasks_classify(long nr, uintptr_t arg0, uintptr_t arg1, uintptr_t gil_lo, uintptr_t gil_hi);

#endif
