/* rawread.h — the parser of one raw/<pid>.rgd file (common/rawfmt.h).
 *
 * The input is untrusted: it may be cut at any byte by a kill, hold junk, or
 * come from a buggy writer. The parser checks every length and id and keeps
 * whatever is well-formed: a truncated or corrupt record stops the file (what
 * came before is kept), an unknown record type is skipped by its length, a
 * sample whose ids were never defined is dropped and counted. Memory records
 * (types 20-23) follow the same rules: a MEM_SERIES or MEM_TREE must be a
 * whole number of points, a MEM_PEAK's npeak must match its length exactly (with either
 * head, RAWREAD_MEM_PEAK_HEAD_V1 or _V2), and a peak entry
 * naming an undefined stack is dropped (the file is then partial); the last
 * well-formed MEM_PEAK of a file supersedes the earlier ones. Every id is
 * resolved to an index into this file's arrays, so later stages never look
 * an id up again. It never reads outside [data, data + size).
 *
 * Memory is bounded: a file is read through a fixed window, and what the
 * result holds (names, stacks, samples, timeline points, memory records) may
 * take at most RAWREAD_DATA_MAX bytes — past that the rest of the file is
 * not read, and a note says so (the agent writes far less: its timeline
 * grows with the logarithm of the job's length). Eight zero bytes where a
 * record should start (a hole in a sparse file, blocks never written) end
 * the data. The result owns its memory: the input may be freed at once. */
#ifndef RADIOGRAPH_RAWREAD_H
#define RADIOGRAPH_RAWREAD_H

#include "rawfmt.h"

#include <stddef.h>
#include <stdint.h>

#define RAWREAD_NONE UINT32_MAX      /* "no index": stack 0, file 0, root */
#define RAWREAD_DEPTH_MAX 4096u      /* deeper stacks are treated as corrupt */
#define RAWREAD_PROBLEMS_MAX 16u     /* problem notes kept per file */
#define RAWREAD_WINDOW (RAW_RECORD_MAX + (1u << 20))   /* bytes read at a time */
#define RAWREAD_DATA_MAX (1024u << 20)  /* what one file's result may hold */

typedef struct rawread_slice {
    const char *ptr;                 /* into the input buffer */
    uint32_t len;
} rawread_slice_t;

typedef struct rawread_frame {
    uint32_t name;                   /* index into strings */
    uint32_t file;                   /* index into strings, or RAWREAD_NONE */
    uint32_t line;
} rawread_frame_t;

typedef struct rawread_stack {
    uint32_t parent;                 /* index into stacks, RAWREAD_NONE at the root */
    uint32_t frame;                  /* index into frames */
    uint32_t depth;                  /* 1 for a root frame */
} rawread_stack_t;

typedef struct rawread_thread {
    uint32_t tid, flags;
    uint64_t first_seen_ns;
    rawread_slice_t name;
} rawread_thread_t;

typedef struct rawread_count {
    uint32_t stack;                  /* index into stacks, RAWREAD_NONE: no Python frames */
    uint32_t tid;
    uint32_t count;
    uint8_t state;                   /* < RAW_ST_COUNT */
} rawread_count_t;

typedef struct rawread_point {
    uint64_t t_ns;
    uint32_t tid;
    uint32_t stack;                  /* as in rawread_count_t */
    uint8_t state;
} rawread_point_t;

/* One entry of a process's peak-memory snapshot (RAW_MEM_PEAK). */
typedef struct rawread_mem_entry {
    uint32_t stack;                  /* index into stacks, RAWREAD_NONE: no Python frames */
    uint8_t kind;                    /* raw_mem_kind_t; RAW_MEM_ROUNDING has no stack;
                                      * RAW_MEM_RESERVED is not part of peak_bytes */
    uint64_t bytes;                  /* at most RAWREAD_MEM_BYTES_MAX */
} rawread_mem_entry_t;

/* A MEM_PEAK's head: 32 bytes (t_ns, peak_bytes, npeak, oom), or 48 with
 * the process-tree peak's generation and tree_peak_bytes after them. */
#define RAWREAD_MEM_PEAK_HEAD_V1 32u
#define RAWREAD_MEM_PEAK_HEAD_V2 48u

typedef struct rawread_mem_peak {
    uint64_t t_ns;                   /* when the (process tree's) peak was reached */
    uint64_t peak_bytes;             /* this process's tracked bytes then */
    int oom;                         /* written as memory ran out */
    int oom_before;                  /* the process had run out of memory before */
    int has_generation;              /* the 48-byte head: the next two are set */
    uint64_t generation;             /* which peak of the tree (1, 2, ...) */
    uint64_t tree_peak_bytes;        /* all processes' tracked bytes at that peak */
} rawread_mem_peak_t;

/* A signal this process sent (RAW_SIGNAL_SENT). */
typedef struct rawread_signal {
    uint64_t t_ns;
    uint32_t pid, signal;
    uint32_t stack;                  /* index into stacks, RAWREAD_NONE if unknown */
} rawread_signal_t;

/* A byte count above this (1 PiB) is corrupt: the entry, series point or
 * peak record holding it is dropped. Sums of the rest stay far from
 * overflowing (the model saturates them anyway). */
#define RAWREAD_MEM_BYTES_MAX (1ull << 50)

typedef struct rawread_file {
    raw_header_t header;
    rawread_slice_t *strings;  size_t nstrings, strings_cap;
    rawread_frame_t *frames;   size_t nframes, frames_cap;
    rawread_stack_t *stacks;   size_t nstacks, stacks_cap;
    rawread_thread_t *threads; size_t nthreads, threads_cap;   /* in file order, may repeat a tid */
    rawread_count_t *counts;   size_t ncounts, counts_cap;
    rawread_point_t *points;   size_t npoints, points_cap;
    raw_stats_t *stats;        size_t nstats, stats_cap;        /* every STATS record, in order */
    rawread_slice_t *notes;    size_t nnotes, notes_cap;        /* RAW_NOTE messages */
    /* Memory (MEM_INFO, MEM_SERIES, MEM_PEAK). */
    int has_mem_info;
    raw_mem_info_t mem_info;   /* the last MEM_INFO */
    raw_mem_point_t *mem_points; size_t nmem_points, mem_points_cap;  /* in file order */
    int has_mem_peak;
    rawread_mem_peak_t mem_peak;   /* the last well-formed MEM_PEAK */
    rawread_mem_entry_t *mem_entries; size_t nmem_entries, mem_entries_cap;
    raw_mem_tree_point_t *tree_points; size_t ntree_points, tree_points_cap;  /* MEM_TREE */
    raw_child_end_t *child_ends; size_t nchild_ends, child_ends_cap;         /* CHILD_END */
    rawread_signal_t *signals; size_t nsignals, signals_cap;                 /* SIGNAL_SENT */
    rawread_slice_t cmdline;   /* argv, NUL-separated; len 0 if none */
    int has_cmdline;
    int not_profiled;          /* a Python the agent could not read (RAW_NOT_PROFILED) */
    rawread_slice_t not_profiled_why;
    int has_end;
    raw_end_t end;
    uint64_t last_t_ns;        /* the latest timestamp seen in any record */
    uint64_t dropped;          /* samples dropped here: undefined ids, bad state */
    size_t records;            /* well-formed records read */
    int partial;               /* something was cut, corrupt or undefined */
    char *problems[RAWREAD_PROBLEMS_MAX];  /* what the parser had to skip, for the notes */
    void *store;               /* the copied bytes the slices point into */
    size_t store_bytes;
    size_t nproblems;
    size_t problems_more;      /* problems beyond RAWREAD_PROBLEMS_MAX */
} rawread_file_t;

/* Parses SIZE bytes at DATA into *OUT (which it initialises). Returns 0 when
 * the header is valid — even if records were damaged: then out->partial is
 * set and out->problems say what — -EINVAL when DATA is not a raw file at
 * all (out->problems[0] says why), -ENOMEM when memory ran out. In every
 * case *OUT must be released with rawread_free. */
int rawread_parse(const uint8_t *data, size_t size, rawread_file_t *out);

/* Reads the file PATH (regular files only; never blocks on a FIFO) and
 * parses it as rawread_parse does, through a window of RAWREAD_WINDOW bytes:
 * the file is never in memory whole, whatever its size. Returns as
 * rawread_parse does, or another negative errno if PATH cannot be opened. */
int rawread_read(const char *path, rawread_file_t *out);

/* rawread_read with MAX_HELD in place of RAWREAD_DATA_MAX (for tests). */
int rawread_read_within(const char *path, size_t max_held, rawread_file_t *out);

/* Frees what rawread_parse or rawread_read allocated. */
void rawread_free(rawread_file_t *f);

#endif
