/* memread.h — fault-tolerant reads of this process's own memory.
 *
 * The sampler reads other threads' interpreter state while they run, without
 * the GIL: any pointer may be stale by the time it is followed. Reads go
 * through process_vm_readv on our own pid, which returns an error instead of
 * faulting on an unmapped address. */
#ifndef RADIOGRAPH_MEMREAD_H
#define RADIOGRAPH_MEMREAD_H

#include <stddef.h>
#include <stdint.h>

/* Prepares the reader (caches the pid; call again after fork). Returns 0, or
 * -1 if process_vm_readv is unusable here. */
int memread_init(void);

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

#endif
