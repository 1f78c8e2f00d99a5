/* privfd.h — the agent's /proc reads, made in a descriptor table of its own.
 *
 * open() takes the lowest free descriptor number, so a /proc file the
 * sampler opens for a few microseconds takes the number the program's next
 * open() was about to get: measured with a program opening and closing one
 * file in a loop while radiograph sampled at 1,000 Hz, 0.4% of its opens
 * got another number under `ulimit -n 64` (every /proc read is an open
 * there) and 0.02% under 1024 (the thread list). No system call opens at a
 * chosen number, so the files are opened by a thread of the agent's own
 * whose descriptor table is its own (close_range(CLOSE_RANGE_UNSHARE): an
 * empty copy). Under a descriptor limit below 1024, where none is kept in
 * the program's table, every /proc read is made there and its descriptors
 * kept there (agent/procfd.h); above it, the reads that open a file (the
 * thread list, a name, files past the kept ones). A kept descriptor of the
 * program's table is still opened in it, once per thread (the sampler
 * reads it at every sample: a hand-over to another thread per read costs
 * more than the open it saves).
 *
 * The thread is started by the first call, ended with the sampler (before
 * a fork on 3.12+, when the program needs its thread under `ulimit -u`, when
 * the program's last thread ends) and started again by the next call. When
 * it cannot be had (no thread to spare, close_range and unshare denied),
 * the calls run in the caller's table as before. */
#ifndef RADIOGRAPH_PRIVFD_H
#define RADIOGRAPH_PRIVFD_H

#include <stdint.h>

/* Runs FN(ARG) in the agent's own descriptor table and returns its result;
 * in the caller's if that table cannot be had. One call at a time; any
 * thread; FN must not call privfd_call. Keeps the caller's errno. */
int privfd_call(int (*fn)(void *), void *arg);

/* The calling thread (the sampler) may start the thread; others' calls run
 * in their own table until it has. */
void privfd_starter(void);

/* 1 if the calling thread is the one with the agent's own table. */
int privfd_here(void);

/* Which thread's table privfd_here() refers to: a descriptor opened there
 * is that thread's, gone with it when another has been started since. */
uint32_t privfd_generation(void);

/* The thread's kernel id, 0 while there is none: not a thread of the
 * program, not to be sampled or counted. */
uint32_t privfd_tid(void);

/* Ends the thread (bounded wait) and with it its table and descriptors. */
void privfd_stop(void);

/* In a forked child: the thread is the parent's; forget it. */
void privfd_fork_child(void);

#endif
