/* ends.h — how the processes of a job ended, as the program itself saw it.
 *
 * The interposed wait functions (waitpid, wait, wait3, wait4, waitid) see
 * every child this process reaps and its wait status; the interposed kill
 * sees every signal it sends another process, and from which Python stack.
 * Both are recorded in this process's raw file (RAW_CHILD_END,
 * RAW_SIGNAL_SENT), so the report can say "exited 3", "killed by SIGSEGV" or
 * "terminated by SIGTERM (its parent ended the pool)" instead of guessing;
 * a reaped child's bytes also leave the process tree's total at once
 * (treepeak_gone). What the program gets back is never changed. The hooks
 * may run in a signal handler: they only use atomics and a lock-free queue,
 * which the sampler drains at each flush. */
#ifndef RADIOGRAPH_ENDS_H
#define RADIOGRAPH_ENDS_H

/* Finds the next definitions of the hooked functions (every process, like
 * memhooks_resolve). */
void ends_resolve(void);

/* Starts recording (a profiled process) / stops. */
void ends_start(void);
void ends_stop(void);

/* In the child after fork: what the parent saw is the parent's to write. */
void ends_fork_child(void);

/* From the sampler thread: writes the events queued since the last call. */
void ends_flush(void);

#endif
