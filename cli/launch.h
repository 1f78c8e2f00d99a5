/* launch.h — running the program under the agent: checking that it can be
 * started, preparing the report directory, fork/exec with the agent
 * preloaded, forwarding signals, waiting, and recording how it ended. */
#ifndef RADIOGRAPH_LAUNCH_H
#define RADIOGRAPH_LAUNCH_H

#include "args.h"

#include <stddef.h>
#include <stdint.h>

#define LAUNCH_NOTES_MAX 4

/* A process of the job that radiograph reaped as the tree's subreaper: its
 * parent had ended before it. */
typedef struct launch_reaped {
    int pid, status;          /* the wait status, as waitpid(2) gives it */
    uint64_t t_ns;            /* CLOCK_MONOTONIC when it was reaped */
} launch_reaped_t;

typedef struct launch_result {
    int exit_code;            /* what radiograph exits with: status, or 128+N */
    int signal;               /* N if the program died from signal N, else 0 */
    uint64_t start_real_ns, start_mono_ns, end_mono_ns, cpu_ns;
    int nnotes;               /* what the report should say about the run */
    char notes[LAUNCH_NOTES_MAX][256];
    launch_reaped_t *reaped;  /* malloc'd, freed by launch_free */
    size_t nreaped, reaped_cap;
} launch_result_t;

/* Makes SIGXFSZ and SIGPIPE ignored in radiograph itself, so that a
 * file-size limit or a closed stderr is a write error it reports, never
 * its death (which would lose the program's exit status); the program is
 * started with them as they were. Call first. */
void launch_shield_signals(void);

/* The errno with which a process of the run first failed to write its raw
 * file (the agent records it in samplers.shm), or 0. Before
 * launch_remove_shared. */
int launch_agent_write_errno(void);

/* Removes the run's shared files once the program has ended (processes
 * still mapping them keep their mapping). */
void launch_remove_shared(void);

/* Checks everything that can be checked before running A's program: the
 * interpreter, the script or module or command, the agent, the output
 * directory (created, with raw/ inside). On success returns 0 and writes the
 * report directory's path into DIR (DIRLEN bytes); otherwise returns -1 with
 * one line in ERR, and nothing has been run. */
int launch_prepare(const args_t *a, char *dir, size_t dirlen, char *err, size_t errlen);

/* Allocates the run's shared files in DIR/raw, starts the program with the
 * agent preloaded and returns once it has been exec'd: 0 with OUT's start
 * times set (and a note for each shared file the run goes without), or -1
 * with ERR set if it could not be started (then nothing is left running). */
int launch_start(const args_t *a, const char *dir, launch_result_t *out, char *err, size_t errlen);

/* Waits for the started program to end and fills OUT's end time, CPU time
 * and exit status. radiograph is the subreaper of the job's tree
 * (PR_SET_CHILD_SUBREAPER): processes whose parent ended before them are
 * reaped here and listed in OUT->reaped, and once the program has ended
 * those still running get LAUNCH_GRACE_MS to end too. Returns 0. */
int launch_wait(launch_result_t *out);

/* Frees what launch_wait allocated in OUT. */
void launch_free(launch_result_t *out);

#endif
