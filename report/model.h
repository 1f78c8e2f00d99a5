/* model.h — everything the report shows, merged from every process's raw
 * file: one frame table keyed by (name, file, line), one performance call
 * tree keyed by path (root -> Python frames -> state leaf), one peak-memory
 * call tree (root -> Python frames, values in bytes, from each process's last
 * MEM_PEAK; allocations without a Python stack under one `[no Python stack]`
 * frame, malloc's rounding of requests under one `[allocator rounding]`),
 * the memory series of all processes summed, the processes and their
 * threads with timeline spans and per-thread sample tallies, the notes, and
 * the summary figures.
 *
 * Use: model_init, then model_add_file for each parsed raw file (any order),
 * then model_finish once; the writers (fold, summary, trace, pagedata,
 * speedscope) read the finished model. */
#ifndef RADIOGRAPH_MODEL_H
#define RADIOGRAPH_MODEL_H

#include "calltree.h"
#include "keymap.h"
#include "rawfmt.h"
#include "rawread.h"
#include "runinfo.h"
#include "strtab.h"

#include <stddef.h>
#include <stdint.h>

#define MODEL_NONE UINT32_MAX
#define MODEL_NOTES_MAX 100u
#define MODEL_DEFAULT_INTERVAL_US 10000u
#define MODEL_MEM_SERIES_MAX 20000u      /* points of the merged memory series */
#define MODEL_NO_RSS UINT64_MAX          /* no RSS reading (yet) at this point */
#define MODEL_NO_PYTHON_STACK "[no Python stack]"
#define MODEL_ROUNDING "[allocator rounding]"
#define MODEL_UNRECORDED "[callstacks not recorded]"
#define MODEL_RESERVED_SHOWN 20u         /* reserved stacks in summary.json */

typedef enum model_frame_kind {
    MODEL_FRAME_PYTHON = 0,
    MODEL_FRAME_RUNNING = 1,     /* [running] */
    MODEL_FRAME_WAITING = 2,     /* [waiting] and [waiting: REASON] */
    MODEL_FRAME_NO_STACK = 3,    /* [no Python stack], [allocator rounding]: memory not
                                  * requested by Python code */
} model_frame_kind_t;

typedef struct model_frame {
    uint32_t name;               /* strtab id */
    uint32_t file;               /* strtab id, 0 ("") when none */
    uint32_t line;               /* 0 when unknown */
    uint8_t kind;                /* model_frame_kind_t */
} model_frame_t;

/* One stretch of a thread's timeline: the same deepest Python frame and
 * state from start to end (ns relative to the run's start). */
typedef struct model_span {
    int64_t start_ns, end_ns;
    uint32_t node;               /* perf tree node of the deepest Python frame, MODEL_NONE: none */
    uint8_t state;               /* raw_state_t */
} model_span_t;

typedef struct model_point {
    uint64_t t_ns;
    uint32_t node;
    uint8_t state;
} model_point_t;

/* Samples of one thread that ended in one perf tree leaf (a state frame):
 * the performance profile per thread, which the combined tree m->perf has
 * added up. Aggregated while merging, keyed by (thread, leaf) in
 * model.tally_index; finish renumbers the nodes like the tree's and sorts
 * the entries by (thread, node), so a thread's entries are one run,
 * model_thread.tally_at .. + ntally, in pre-order of their leaves. */
typedef struct model_tally {
    uint32_t thread;             /* index into threads */
    uint32_t node;               /* perf tree leaf */
    uint64_t count;              /* samples (saturating) */
} model_tally_t;

typedef struct model_thread {
    uint32_t proc;               /* index into processes */
    uint32_t tid, flags;         /* RAW_THREAD_* */
    uint32_t name;               /* strtab id, 0 if never named */
    int python;                  /* ran Python code */
    uint64_t first_seen_ns;      /* UINT64_MAX if unknown */
    model_point_t *points; size_t npoints, points_cap;   /* freed by finish */
    model_span_t *spans; size_t nspans, spans_cap;       /* built by finish */
    size_t tally_at, ntally;     /* its run of model.tally, set by finish */
} model_thread_t;

typedef struct model_rss {
    uint64_t t_ns, rss;
} model_rss_t;

/* A point of the merged memory series: time relative to the run's start,
 * the sum over processes of each one's latest tracked bytes and RSS
 * reading (MODEL_NO_RSS when no process had read its RSS yet). */
typedef struct model_mem_point {
    int64_t t_ns;
    uint64_t tracked, rss;
} model_mem_point_t;

/* A stack that held address space reserved but not used at the peak
 * (RAW_MEM_RESERVED): its frames, root first, are model.reserved_frames
 * [at, at + depth). After model_finish: one entry per distinct stack of the
 * counting snapshots, largest first. */
typedef struct model_reserved {
    uint32_t proc;
    uint32_t depth;
    size_t at;
    uint64_t bytes;
} model_reserved_t;

/* A process's end as another process saw it: a wait status from the
 * process that reaped it (RECORDER, its parent), or from radiograph as the
 * tree's subreaper (RECORDER 0, from run.info). */
typedef struct model_reaped {
    uint32_t recorder, pid;
    int status;
    uint64_t t_ns;
} model_reaped_t;

/* A signal process SENDER sent process PID; POOL: sent from inside
 * multiprocessing's Pool.terminate (its Python stack says so). */
typedef struct model_signal {
    uint32_t sender, pid, signal;
    int pool;
    uint64_t t_ns;
} model_signal_t;

/* One entry of a process's peak snapshot: a node of the memory tree as it
 * is while merging, and its bytes. */
typedef struct model_mem_entry {
    uint32_t node;
    uint64_t bytes;
} model_mem_entry_t;

typedef struct model_process {
    uint32_t pid, ppid;
    uint64_t start_mono_ns, start_real_ns;
    uint64_t last_t_ns;          /* latest timestamp in its file */
    uint32_t py_version, interval_us;
    uint32_t *argv; size_t argc, argv_cap;   /* strtab ids, from CMDLINE */
    uint32_t command;            /* strtab id: argv joined by spaces ("" if none) */
    int not_profiled;            /* a Python the agent could not read */
    uint32_t not_profiled_why;   /* strtab id: why (RAW_NOT_PROFILED) */
    int has_end;
    uint64_t end_t_ns, end_cpu_ns;
    int has_stats;
    raw_stats_t last_stats;
    model_rss_t *rss; size_t nrss, rss_cap;  /* every STATS (t, rss) */
    uint32_t *threads; size_t nthreads, threads_cap;  /* thread indices, sorted by finish */
    int has_memory;              /* any memory record */
    int has_mem_info;
    uint64_t mem_sample_bytes;   /* R, from MEM_INFO */
    raw_mem_point_t *mem; size_t nmem, mem_cap;  /* MEM_SERIES points, sorted by time by finish */
    int has_mem_peak;            /* from the last MEM_PEAK */
    uint64_t mem_peak_t_ns, mem_peak_bytes;
    int mem_oom;                 /* it ran out of memory (at this snapshot or before) */
    int mem_oom_now;             /* this snapshot was written as it ran out */
    int mem_has_generation;      /* the snapshot names its process-tree peak */
    uint64_t mem_generation, mem_tree_peak_bytes;
    model_mem_entry_t *mem_entries; size_t nmem_entries;  /* its snapshot */
    raw_mem_tree_point_t *tree; size_t ntree;  /* MEM_TREE points, sorted by finish */
    uint32_t ended;              /* strtab id, set by finish: "exited 0", ... */
    int end_known;               /* finish: how it ended is known (END or a wait status) */
    int has_status, status;      /* finish: its wait status, when one was seen */
    uint64_t gone_t_ns;          /* finish: when it stopped counting (END, reaped, last record) */
} model_process_t;

typedef struct model_summary {
    const uint32_t *command; size_t command_argc;   /* strtab ids */
    int has_exit_code, exit_code;
    int has_signal, signal;
    double elapsed_seconds, cpu_seconds, sample_interval_seconds;
    int has_peak_memory;
    uint64_t peak_memory_bytes;
    int peak_memory_tracked;                        /* source: 1 tracked, 0 rss */
    int has_peak_memory_time;
    int64_t peak_memory_ns;                         /* relative time of the peak */
    int has_memory_sample_bytes;
    uint64_t memory_sample_bytes;                   /* R */
    int oom;                                        /* some process ran out of memory */
    int has_reserved;
    uint64_t reserved_bytes;                        /* address space reserved, not used, at the peak */
    size_t processes, threads;
    uint64_t samples, dropped_samples;
    uint32_t py_version;                            /* PY_VERSION_HEX, 0 unknown */
    int has_start_time;
    uint64_t start_real_ns;
    uint64_t start_mono_ns;                         /* the origin of all relative times */
    int64_t end_ns;                                 /* relative end of the run */
    const char *radiograph_version;
} model_summary_t;

typedef struct model {
    strtab_t strings;
    model_frame_t *frames; size_t nframes, frames_cap;   /* 0..RAW_ST_COUNT-1: the states */
    keymap_t frame_index;
    calltree_t perf;
    calltree_t mem;              /* the peak-memory tree, values in bytes (set by finish) */
    uint32_t no_stack_frame;     /* the [no Python stack] frame, MODEL_NONE until used */
    uint32_t rounding_frame;     /* the [allocator rounding] frame, likewise */
    int has_memory;              /* some process had memory records */
    model_mem_point_t *mem_series; size_t nmem_series;   /* merged, built by finish */
    uint32_t unrecorded_frame;   /* the [callstacks not recorded] frame, likewise */
    model_reserved_t *reserved; size_t nreserved, reserved_cap;
    uint32_t *reserved_frames; size_t nreserved_frames, reserved_frames_cap;
    model_reaped_t *reaped; size_t nreaped, reaped_cap;
    model_signal_t *signals; size_t nsignals, signals_cap;
    model_process_t *procs; size_t nprocs, procs_cap;
    model_thread_t *threads; size_t nthreads, threads_cap;
    keymap_t thread_index;       /* (proc, tid) -> thread */
    model_tally_t *tally; size_t ntally, tally_cap;      /* per-thread samples */
    keymap_t tally_index;        /* (thread, leaf) -> tally entry; emptied by finish */
    uint32_t *notes; size_t nnotes, notes_cap;            /* strtab ids */
    size_t notes_more;
    int partial;
    uint64_t report_dropped;     /* samples the reader had to drop */
    runinfo_t runinfo;           /* owned; set by model_finish */
    model_summary_t summary;     /* filled by model_finish */
    int finished;
} model_t;

/* An empty model. Returns 0 or -ENOMEM (then model_free is still safe). */
int model_init(model_t *m);

/* Frees everything the model owns. */
void model_free(model_t *m);

/* Merges one parsed raw file into the model (its problems become notes
 * prefixed with NAME, e.g. "123.rgd"). F may be freed afterwards. Returns 0
 * or -ENOMEM (-EINVAL after model_finish). */
int model_add_file(model_t *m, const rawread_file_t *f, const char *name);

/* Adds a note for the page and summary.json (printf format); beyond
 * MODEL_NOTES_MAX notes are only counted. Returns 0 or -ENOMEM. */
int model_note(model_t *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Completes the model: takes ownership of *RI (run.info, possibly not
 * present; *RI is zeroed), finishes the perf tree (pre-order, inclusive),
 * sorts processes and threads, turns timeline points into spans, orders the
 * per-thread tallies and computes the summary. Returns 0 or -ENOMEM. */
int model_finish(model_t *m, runinfo_t *ri);

/* Chooses at most CAP of N points to show: splits [0, N) into CAP runs of
 * (nearly) equal length and keeps the one with the largest tracked value of
 * each, so the overall maximum is always kept. TRACKED points at the first
 * point's tracked bytes, STRIDE bytes between points. Writes the kept indices,
 * ascending, to KEEP (room for min(N, CAP)) and returns their number. */
size_t model_mem_downsample(const uint64_t *tracked, size_t stride, size_t n, size_t cap,
                            size_t *keep);

/* The label of state S ("[running]", "[waiting: gil]", ...); S < RAW_ST_COUNT. */
const char *model_state_label(unsigned s);

/* The bytes of strtab id ID (NUL-terminated; *LEN if LEN). */
const char *model_str(const model_t *m, uint32_t id, size_t *len);

#endif
