/* runinfo.h — the CLI's raw/run.info (docs/internals.md §1): what only the
 * launcher knows — the command as typed, the exit status, the run's wall and
 * CPU time. A tolerant key=value reader: unknown keys, malformed lines and
 * unparsable numbers are skipped (and counted), never fatal. */
#ifndef RADIOGRAPH_RUNINFO_H
#define RADIOGRAPH_RUNINFO_H

#include <stddef.h>
#include <stdint.h>

#define RUNINFO_SIZE_MAX (1u << 20)   /* a longer run.info is read up to here */

/* A process of the job that radiograph reaped as the tree's subreaper
 * (`reaped=PID STATUS T_MONO_NS`): its parent had ended first. */
typedef struct runinfo_reaped {
    uint32_t pid;
    int status;                  /* wait status, as waitpid(2) gives it */
    uint64_t t_ns;               /* CLOCK_MONOTONIC */
} runinfo_reaped_t;

typedef struct runinfo {
    int present;                 /* the file was read */
    char **argv;                 /* `arg=` lines, unescaped, in order */
    size_t argc, argv_cap;
    char **notes;                /* `note=` lines: what the CLI says about the run */
    size_t nnotes, notes_cap;
    char *radiograph_version;    /* NULL if absent */
    int has_start_real, has_start_mono, has_end_mono, has_exit_code,
        has_signal, has_cpu, has_interval;
    uint64_t start_real_ns, start_mono_ns, end_mono_ns, cpu_ns;
    int exit_code, signal;
    uint32_t sample_interval_us;
    runinfo_reaped_t *reaped;    /* `reaped=` lines, in order */
    size_t nreaped, reaped_cap;
    size_t bad_lines;            /* lines that were not key=value or had a bad number */
} runinfo_t;

/* Parses LEN bytes of run.info TEXT into *RI (which it initialises; present
 * is set). Returns 0 or -ENOMEM; *RI must be freed with runinfo_free. */
int runinfo_parse(const char *text, size_t len, runinfo_t *ri);

/* Reads and parses PATH. Returns 0, or a negative errno value (-ENOENT when
 * the file does not exist); *RI is initialised in every case. */
int runinfo_load(const char *path, runinfo_t *ri);

/* Frees what the parse allocated. */
void runinfo_free(runinfo_t *ri);

#endif
