/* nproc.h — the program's threads come before the agent's. Under a limit
 * on threads and processes (RLIMIT_NPROC, ulimit -u) the sampler thread
 * counts against the program: when the program cannot start a thread, or
 * fork() a process, the agent gives up its own thread (sampler_release)
 * and the program's call is tried again. This file also interposes fork. */
#ifndef RADIOGRAPH_NPROC_H
#define RADIOGRAPH_NPROC_H

#include <pthread.h>

typedef int (*nproc_create_t)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/* Calls CREATE(T, ATTR, FN, ARG) — the real pthread_create — and, if it
 * fails with EAGAIN while this process's sampler runs, releases the
 * sampler's thread and calls it once more. Returns what CREATE returned. */
int nproc_create(nproc_create_t create, pthread_t *t, const pthread_attr_t *attr,
                 void *(*fn)(void *), void *arg);

#endif
