/* rawbuild.h — builds raw files (common/rawfmt.h) in memory for the tests
 * and the fuzz corpus: a header, then records appended one call each, with
 * exactly the bytes the agent writes. Allocation failure aborts (tests). */
#ifndef RADIOGRAPH_RAWBUILD_H
#define RADIOGRAPH_RAWBUILD_H

#include "rawfmt.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rawbuild {
    uint8_t *data;
    size_t len, cap;
} rawbuild_t;

/* A buffer holding a valid header. */
void rawbuild_init(rawbuild_t *b, uint32_t pid, uint32_t ppid, uint64_t start_mono_ns,
                   uint64_t start_real_ns, uint32_t interval_us);
void rawbuild_free(rawbuild_t *b);

/* Appends one record of TYPE with the LEN payload bytes at P. */
void rawbuild_record(rawbuild_t *b, uint16_t type, const void *p, uint32_t len);

void rawbuild_string(rawbuild_t *b, uint32_t id, const char *s);
void rawbuild_frame(rawbuild_t *b, uint32_t id, uint32_t name, uint32_t file, uint32_t line);
void rawbuild_stack(rawbuild_t *b, uint32_t id, uint32_t parent, uint32_t frame);
void rawbuild_thread(rawbuild_t *b, uint32_t tid, uint32_t flags, uint64_t first_seen,
                     const char *name);
void rawbuild_count(rawbuild_t *b, uint32_t stack, uint32_t tid, uint8_t state, uint32_t count);
void rawbuild_point(rawbuild_t *b, uint64_t t, uint32_t tid, uint32_t stack, uint8_t state);
void rawbuild_stats(rawbuild_t *b, uint64_t t, uint64_t samples, uint64_t dropped,
                    uint64_t cpu, uint64_t rss, uint64_t rss_peak);
void rawbuild_note(rawbuild_t *b, const char *msg);
void rawbuild_end(rawbuild_t *b, uint64_t t, uint64_t cpu);
void rawbuild_mem_info(rawbuild_t *b, uint64_t sample_bytes);
/* One MEM_SERIES record of N points, each three numbers: t_ns, tracked, rss. */
void rawbuild_mem_series(rawbuild_t *b, const uint64_t *pts, size_t n);
/* A MEM_PEAK with the 32-byte head: N entries (STACKS[i], BYTES[i]). */
void rawbuild_mem_peak(rawbuild_t *b, uint64_t t, uint64_t peak, uint64_t oom,
                       const uint32_t *stacks, const uint64_t *bytes, size_t n);
/* The same with the 48-byte head: the tree peak's generation and bytes. */
void rawbuild_mem_peak_gen(rawbuild_t *b, uint64_t t, uint64_t peak, uint64_t oom,
                           uint64_t generation, uint64_t tree_peak,
                           const uint32_t *stacks, const uint64_t *bytes, size_t n);
/* The same with each entry's kind (KINDS[i], raw_mem_kind_t). */
void rawbuild_mem_peak_kinds(rawbuild_t *b, uint64_t t, uint64_t peak, uint64_t oom,
                             uint64_t generation, uint64_t tree_peak, const uint32_t *stacks,
                             const uint32_t *kinds, const uint64_t *bytes, size_t n);
/* One MEM_TREE record of N points: t_ns, total, max. */
void rawbuild_mem_tree(rawbuild_t *b, const uint64_t *pts, size_t n);
void rawbuild_child_end(rawbuild_t *b, uint64_t t, uint32_t pid, int32_t status);
void rawbuild_signal_sent(rawbuild_t *b, uint64_t t, uint32_t pid, uint32_t sig, uint32_t stack);
/* ARGV: NULL-terminated. */
void rawbuild_cmdline(rawbuild_t *b, const char *const *argv);

/* Writes the buffer to PATH; returns 0 or -1. */
int rawbuild_save(const rawbuild_t *b, const char *path);

/* A small valid file using every record type (two threads, a few stacks,
 * names with ';' and newlines; memory: R 256 KiB, a series of four points,
 * the last out of order (the peak, as the agent's final flush adds it), and
 * two MEM_PEAKs, the second superseding the first: stack 3 2,000,000 bytes,
 * no stack 600,000, stack 2 300,000; peak 3,000,000 at t0 + 15 ms). */
void rawbuild_sample(rawbuild_t *b, uint32_t pid);

#endif
