/* memread.h — fault-tolerant reads of this process's own memory.
 *
 * The sampler reads other threads' interpreter state while they run, without
 * the GIL: any pointer may be stale by the time it is followed. The
 * sampler's reads go through a pipe (memread_pipe_open), other threads'
 * through process_vm_readv on our own pid; both return an error instead of
 * faulting on an unmapped address — or, once that is denied (a seccomp
 * filter, a security policy), through /proc/self/mem, which does too. */
#ifndef RADIOGRAPH_MEMREAD_H
#define RADIOGRAPH_MEMREAD_H

#include <stddef.h>
#include <stdint.h>

/* Prepares the reader (caches the pid; call again after fork: it forgets
 * the parent's /proc/self/mem and what it noted). Returns 0, or -1 if this
 * process's memory cannot be read by either way. */
int memread_init(void);

/* For the calling thread (the sampler): reads go through a pipe of its own
 * from now on, which takes no lock that mmap() and munmap() wait for
 * (memread.c). Replaces the thread's earlier pipe. 0, or -1 if none could
 * be had (the limit on descriptors is under 1024, or none is free): reads
 * then go the other way. */
int memread_pipe_open(void);

/* Closes the pipe (the sampler thread, as it ends). */
void memread_pipe_close(void);

/* Copies LEN bytes at ADDR into BUF. Returns 0 on a complete read, -1 if any
 * byte could not be read (BUF contents then undefined). */
int memread_copy(void *buf, uintptr_t addr, size_t len);

/* Scatter read: N remote ranges into N local buffers, in one system call.
 * Returns the bytes read; a range that cannot be read ends the transfer
 * there (so the count tells which ranges are complete), -1 if none. */
struct iovec;
long memread_vector(const struct iovec *local, const struct iovec *remote, int n);

/* Reads one pointer-sized word. Returns 0 or -1. */
int memread_word(uintptr_t addr, uintptr_t *out);

/* For the calling thread only: while ON, reads are plain copies instead of
 * system calls. Only for memory that cannot change or vanish under the
 * reader and is mapped in full: the calling thread's own thread state and
 * frame stack, read from inside its own allocation hook (no other thread
 * edits them, and the thread is busy in the hook). Never for objects those
 * frames point to (a fixed-size read may run past a small object's end). */
void memread_direct(int on);

/* 1 while the calling thread's reads are plain copies (memread_direct). */
int memread_is_direct(void);

/* The sampler asks this at every tick, whose N samples (one per known
 * thread) are lost if nothing of this process's memory can be read any
 * more: then they are counted, and it returns 1; else 0. */
int memread_lost(uint64_t n);

/* A note for the raw file about how this process's memory is being read,
 * once there is news: the denial of process_vm_readv (and whether
 * /proc/self/mem took over), when FINAL, how many samples were lost.
 * Writes it into BUF (CAP bytes) and returns its length, or 0 when there is
 * nothing to say. START_NS (CLOCK_MONOTONIC) is the sampler's start, for
 * saying when it happened ("from its start" for a denial before it). */
int memread_note(char *buf, size_t cap, uint64_t start_ns, int final);

#endif
