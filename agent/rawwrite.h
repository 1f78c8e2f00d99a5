/* rawwrite.h — the agent's writer of raw/<pid>.rgd (format: common/rawfmt.h).
 *
 * Records are appended to an mmap-backed buffer and written out by
 * rawwrite_flush (the sampler calls it at least once a second). A spinlock
 * serialises appends, so any thread may add records. If a write fails the
 * writer stops for good and everything after is dropped: the program must
 * never notice. Before each write the file descriptor is checked to still be
 * ours (a program may close every descriptor it does not know about); if it
 * is not, the file is reopened by path. */
#ifndef RADIOGRAPH_RAWWRITE_H
#define RADIOGRAPH_RAWWRITE_H

#include <stddef.h>
#include <stdint.h>

/* Prepares the buffer. Records appended before rawwrite_open are kept
 * (up to the buffer's size) and written after the header when the file is
 * opened — or never, if it is not. Returns 0 or -1. */
int rawwrite_init(void);

/* Creates DIR/<pid>.rgd, writes its header and whatever was appended so far.
 * Returns 0 or -1 (errno set). */
int rawwrite_open(const char *dir, uint32_t py_version, uint32_t interval_us,
                  uint64_t start_mono_ns, uint64_t start_real_ns);

/* Appends one record of TYPE whose payload is the concatenation of
 * (A, ALEN) and (B, BLEN) (B may be NULL). Returns 0, or -1 if the writer is
 * closed/failed or the record is too large. */
int rawwrite_record(uint16_t type, const void *a, size_t alen, const void *b, size_t blen);

/* Writes out everything appended so far. Returns 0 or -1. */
int rawwrite_flush(void);

/* Flushes and closes the file. */
void rawwrite_close(void);

/* Forgets the parent's file and buffered records after fork() without
 * touching the file: the child opens its own. */
void rawwrite_forget(void);

/* Closes the file and removes it: it was opened, but nothing will be
 * written to it (the sampler could not start). */
void rawwrite_discard(void);

/* 1 if a file is open and healthy. */
int rawwrite_ok(void);

#endif
