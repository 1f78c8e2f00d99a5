/* procfd.h — reading small /proc files the sampler reads at every tick
 * (a thread's syscall and schedstat, statm, meminfo) through descriptors it
 * keeps open, with pread at offset 0: opening a /proc path costs more than
 * the rest of a sample (the path walk through procfs), and pread leaves no
 * offset behind to share.
 *
 * Every read is made by the agent's thread with a descriptor table of its
 * own (agent/privfd.h), so neither the kept descriptors nor the ones opened
 * for one read take a number in the program's table; there up to
 * PROCFD_MAX are kept, whatever the limit. When that thread cannot be had,
 * the descriptors are the program's too, so they are kept with care: at
 * the highest free numbers (agent/fdhigh.h: clear of the low ones a program
 * expects to get next), at most PROCFD_MAX of them and never more than 1/64 of the
 * process's descriptor limit (none under a limit of 1024), each re-checked (fstat: still the file we opened)
 * every PROCFD_CHECK reads and on any error, and never used across fork
 * (/proc/self named the parent when it was opened). When a descriptor
 * cannot be kept, the file is opened, read and closed as before. */
#ifndef RADIOGRAPH_PROCFD_H
#define RADIOGRAPH_PROCFD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCFD_MAX 64u
#define PROCFD_CHECK 64u

typedef struct procfd {
    int open;                /* 0 (zeroed memory): nothing kept */
    int fd;
    pid_t pid;               /* the process that opened it */
    dev_t dev;
    ino_t ino;
    uint32_t reads;          /* since the last check */
    int priv;                /* in the agent's own table (agent/privfd.h) */
    uint32_t gen;            /* that table's privfd_generation() */
} procfd_t;

/* Reads the file PATH into BUF (at most CAP-1 bytes, NUL-terminated)
 * through P's kept descriptor, opening and keeping one if allowed (P may be
 * NULL: open, read, close). Returns the bytes read, or -1. */
int procfd_read(procfd_t *p, const char *path, char *buf, size_t cap);

/* Closes P's descriptor if it is still the file that was opened (in a
 * forked child too: there it is the child's copy), and forgets it. Safe on
 * zeroed or already closed P. */
void procfd_close(procfd_t *p);

/* The current process id (the sampler knows it; getpid is a system call):
 * a descriptor opened by another process is not used. */
void procfd_set_pid(pid_t pid);

#endif
