/* rawfmt.h — the raw data format written by the agent and read by the report.
 *
 * One file per profiled process, raw/<pid>.rgd: a fixed 64-byte header
 * followed by records, appended in chunks and flushed at least once a second
 * so that a process killed by SIGKILL still leaves everything up to its last
 * flush. The reader treats every byte as untrusted: a record may be cut short
 * at the end of the file, ids may point nowhere, counts may be absurd.
 *
 * All integers are little-endian, fixed width, naturally aligned inside the
 * record payload. Ids are assigned by the writer, start at 1, are unique per
 * file and per kind, and are always defined (STRING/FRAME/STACK record) before
 * a record that uses them. Id 0 means "none": a STACK with parent 0 is a root
 * frame, a sample with stack 0 has no Python frames (a native thread).
 */
#ifndef RADIOGRAPH_RAWFMT_H
#define RADIOGRAPH_RAWFMT_H

#include <stdint.h>

#define RAW_MAGIC "RGRAW01\n"          /* 8 bytes, no NUL needed */
#define RAW_FORMAT_VERSION 1u
#define RAW_HEADER_SIZE 64u
#define RAW_RECORD_MAX (1u << 20)      /* a longer record is corrupt */

/* The run's shared files in raw/, made by the CLI (zeroed, allocated) and
 * mapped by every process: tree.shm (agent/treepeak.c) and samplers.shm
 * (agent/budget.c). Removed when the program has ended. */
#define RAW_TREE_FILE_BYTES (72u << 10)
#define RAW_SAMPLERS_FILE_BYTES (20u << 10)
/* In samplers.shm, an int32 at this offset: the first errno with which a
 * process of the run could not write its raw file (0: none), for the CLI to
 * name the cause when data is missing. */
#define RAW_SAMPLERS_ERRNO_AT (RAW_SAMPLERS_FILE_BYTES - 8u)

typedef struct raw_header {
    char magic[8];
    uint32_t format_version;
    uint32_t header_size;              /* RAW_HEADER_SIZE */
    uint32_t pid;
    uint32_t ppid;
    uint64_t start_mono_ns;            /* CLOCK_MONOTONIC when the agent started */
    uint64_t start_real_ns;            /* CLOCK_REALTIME at the same moment */
    uint32_t py_version;               /* Py_Version (PY_VERSION_HEX), 0 if unknown */
    uint32_t sample_interval_us;       /* mean sampling interval */
    uint64_t reserved[2];
} raw_header_t;

/* Every record: an 8-byte head, then `len` bytes of payload. */
typedef struct raw_record_head {
    uint16_t type;                     /* raw_type_t */
    uint16_t flags;                    /* 0 */
    uint32_t len;                      /* payload bytes, <= RAW_RECORD_MAX */
} raw_record_head_t;

typedef enum raw_type {
    RAW_STRING = 1,    /* u32 id; utf-8 bytes (len - 4), not NUL-terminated */
    RAW_FRAME = 2,     /* raw_frame_t */
    RAW_STACK = 3,     /* raw_stack_t */
    RAW_THREAD = 4,    /* raw_thread_t; then the thread name, utf-8 */
    RAW_COUNTS = 5,    /* array of raw_count_t: sample counts since the last COUNTS */
    RAW_TIMELINE = 6,  /* array of raw_point_t: a bounded subset of samples */
    RAW_STATS = 7,     /* raw_stats_t, cumulative; the last one counts */
    RAW_NOTE = 8,      /* utf-8 message for the report ("not profiled: ...") */
    RAW_END = 9,       /* raw_end_t: the process ended normally (exit) */
    RAW_CMDLINE = 10,  /* argv, each NUL-terminated */
    RAW_NOT_PROFILED = 11, /* utf-8: why this Python process was not profiled,
                            * a clause that follows "runs Python 3.10.13, "
                            * ("which radiograph does not read (...)"); the
                            * header's py_version says which Python it was.
                            * Nothing else follows. */
    RAW_CHILD_END = 12,    /* raw_child_end_t: this process reaped a child */
    RAW_SIGNAL_SENT = 13,  /* raw_signal_sent_t: this process sent a signal */
    /* Memory (20..39) */
    RAW_MEM_INFO = 20,   /* raw_mem_info_t: how allocations are sampled */
    RAW_MEM_SERIES = 21, /* array of raw_mem_point_t: tracked bytes and RSS over time */
    RAW_MEM_PEAK = 22,   /* raw_mem_peak_t, then npeak raw_mem_stack_t: the
                          * callstacks live at this process's peak; the last
                          * MEM_PEAK of a file supersedes earlier ones */
    RAW_MEM_TREE = 23,   /* array of raw_mem_tree_point_t: the process tree's
                          * total and highest total, at the same moments as
                          * the MEM_SERIES points before it (files before it
                          * was added have none: readers sum the series) */
} raw_type_t;

/* Thread state of one sample. The report writes these as the last frame of
 * every performance stack. */
typedef enum raw_state {
    RAW_ST_RUNNING = 0,
    RAW_ST_WAITING = 1,   /* waiting, reason unknown */
    RAW_ST_GIL = 2,
    RAW_ST_LOCK = 3,
    RAW_ST_SLEEP = 4,
    RAW_ST_DISK = 5,
    RAW_ST_NETWORK = 6,
    RAW_ST_POLL = 7,
    RAW_ST_CHILD = 8,
    RAW_ST_CPU = 9,       /* runnable, waiting for a CPU (other processes had them) */
    RAW_ST_COUNT
} raw_state_t;

typedef struct raw_frame {
    uint32_t id;
    uint32_t name;        /* STRING id: qualified name */
    uint32_t file;        /* STRING id: file name, 0 if none */
    uint32_t line;        /* 0 if unknown */
} raw_frame_t;

typedef struct raw_stack {
    uint32_t id;
    uint32_t parent;      /* STACK id of the caller, 0 at the root */
    uint32_t frame;       /* FRAME id */
} raw_stack_t;

#define RAW_THREAD_PYTHON 1u   /* the thread ran Python code */
#define RAW_THREAD_MAIN 2u     /* the process's main thread */

typedef struct raw_thread {
    uint32_t tid;
    uint32_t flags;
    uint64_t first_seen_ns;    /* CLOCK_MONOTONIC */
} raw_thread_t;

typedef struct raw_count {
    uint32_t stack;       /* STACK id, 0 = no Python frames */
    uint32_t tid;
    uint8_t state;        /* raw_state_t */
    uint8_t pad[3];
    uint32_t count;       /* samples */
} raw_count_t;

typedef struct raw_point {
    uint64_t t_ns;        /* CLOCK_MONOTONIC */
    uint32_t tid;
    uint32_t stack;
    uint8_t state;
    uint8_t pad[7];
} raw_point_t;

typedef struct raw_stats {
    uint64_t t_ns;        /* CLOCK_MONOTONIC when written */
    uint64_t samples;     /* thread samples taken (one per thread per tick) */
    uint64_t dropped;     /* of them, those that yielded nothing (torn reads
                           * after every retry, an unreadable thread list) */
    uint64_t cpu_ns;      /* process CPU time so far */
    uint64_t rss_bytes;   /* resident set size now */
    uint64_t rss_peak_bytes;
    uint64_t agent_cpu_ns;  /* CPU time the sampler thread itself used */
} raw_stats_t;

typedef struct raw_end {
    uint64_t t_ns;        /* CLOCK_MONOTONIC at exit */
    uint64_t cpu_ns;
} raw_end_t;

/* A child this process waited for, and how it ended: the wait status as
 * waitpid(2) gives it (WIFEXITED / WEXITSTATUS, WIFSIGNALED / WTERMSIG,
 * WCOREDUMP). Only ends are recorded, not stops. */
typedef struct raw_child_end {
    uint64_t t_ns;        /* CLOCK_MONOTONIC when the wait returned */
    uint32_t pid;
    int32_t status;
    uint64_t flags;       /* 0 */
} raw_child_end_t;

/* A signal this process sent to process PID (kill(2) that succeeded). */
typedef struct raw_signal_sent {
    uint64_t t_ns;
    uint32_t pid;
    uint32_t signal;
    uint32_t stack;       /* STACK id of the Python code that sent it, 0 if unknown */
    uint32_t pad;
} raw_signal_sent_t;

typedef struct raw_mem_info {
    uint64_t sample_bytes;   /* mean bytes between sampled allocations (R) */
    uint64_t flags;          /* 0 */
} raw_mem_info_t;

typedef struct raw_mem_point {
    uint64_t t_ns;           /* CLOCK_MONOTONIC */
    uint64_t tracked_bytes;  /* live bytes from malloc & co and anonymous mmap
                              * (blocks and mappings of 64 KiB+ by residency) */
    uint64_t rss_bytes;      /* resident set size, 0 if not read at this point */
} raw_mem_point_t;

/* The callstacks of one process live at the process tree's peak: the moment
 * the sum of the tracked bytes of all the run's processes was highest. Peaks
 * are numbered (generation) as the tree reaches them; a process's snapshot
 * counts only if its generation is the run's last (a process that had
 * already exited, or had not started, held nothing then). */
typedef struct raw_mem_peak {
    uint64_t t_ns;           /* when the tree's peak was reached */
    uint64_t peak_bytes;     /* this process's tracked bytes at that peak */
    uint64_t npeak;          /* raw_mem_stack_t entries that follow */
    uint64_t oom;            /* bit 0: written because memory was running out;
                              * bit 1: this process had run out of memory
                              * before (a later snapshot: the note stands) */
    uint64_t generation;     /* which peak of the tree (1, 2, ...) */
    uint64_t tree_peak_bytes;  /* all processes' tracked bytes at that peak */
} raw_mem_peak_t;

typedef struct raw_mem_stack {
    uint32_t stack;          /* STACK id, 0 = allocations with no Python frames */
    uint32_t kind;           /* raw_mem_kind_t (files before it was added hold 0) */
    uint64_t bytes;          /* estimated live bytes (sampling weights) */
} raw_mem_stack_t;

/* What a raw_mem_stack_t counts. The bytes a stack requested, and apart from
 * them, for the whole process, what the allocator added to those requests
 * (malloc_usable_size - requested): together they add up to the tracked
 * bytes of the peak. Blocks and mappings of 64 KiB and more count only the
 * bytes on their resident pages; what they left untouched is listed apart,
 * as RAW_MEM_RESERVED. */
typedef enum raw_mem_kind {
    RAW_MEM_REQUESTED = 0,   /* bytes requested by the code of STACK */
    RAW_MEM_ROUNDING = 1,    /* allocator rounding of all stacks; STACK is 0 */
    RAW_MEM_RESERVED = 2,    /* not part of peak_bytes: bytes of a region STACK
                              * allocated (a mapping or block of at least
                              * 64 KiB) that were not resident at the peak,
                              * one entry per region at least half idle and
                              * idle for at least 1 MiB ("reserved, not used") */
} raw_mem_kind_t;

/* The tree's figures at one moment (RAW_MEM_TREE). */
typedef struct raw_mem_tree_point {
    uint64_t t_ns;           /* CLOCK_MONOTONIC */
    uint64_t total_bytes;    /* all processes' tracked bytes */
    uint64_t max_bytes;      /* the highest total so far */
} raw_mem_tree_point_t;

_Static_assert(sizeof(raw_mem_point_t) == 24, "mem point size");
_Static_assert(sizeof(raw_child_end_t) == 24, "child end size");
_Static_assert(sizeof(raw_signal_sent_t) == 24, "signal sent size");
_Static_assert(sizeof(raw_mem_tree_point_t) == 24, "mem tree point size");
_Static_assert(sizeof(raw_mem_peak_t) == 48, "mem peak size");
_Static_assert(sizeof(raw_mem_stack_t) == 16, "mem stack size");
_Static_assert(sizeof(raw_header_t) == RAW_HEADER_SIZE, "raw header size");
_Static_assert(sizeof(raw_record_head_t) == 8, "record head size");
_Static_assert(sizeof(raw_count_t) == 16, "count size");
_Static_assert(sizeof(raw_point_t) == 24, "point size");

#endif
