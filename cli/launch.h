/* launch.h — running the program under the agent: checking that it can be
 * started, preparing the report directory, fork/exec with the agent
 * preloaded, forwarding signals, waiting, and recording how it ended. */
#ifndef RADIOGRAPH_LAUNCH_H
#define RADIOGRAPH_LAUNCH_H

#include "args.h"

#include <stddef.h>
#include <stdint.h>

typedef struct launch_result {
    int exit_code;            /* what radiograph exits with: status, or 128+N */
    int signal;               /* N if the program died from signal N, else 0 */
    uint64_t start_real_ns, start_mono_ns, end_mono_ns, cpu_ns;
} launch_result_t;

/* Checks everything that can be checked before running A's program: the
 * interpreter, the script or module or command, the agent, the output
 * directory (created, with raw/ inside). On success returns 0 and writes the
 * report directory's path into DIR (DIRLEN bytes); otherwise returns -1 with
 * one line in ERR, and nothing has been run. */
int launch_prepare(const args_t *a, char *dir, size_t dirlen, char *err, size_t errlen);

/* Starts the program with the agent preloaded and returns once it has been
 * exec'd: 0 with OUT's start times set, or -1 with ERR set if it could not
 * be started (then nothing is left running). */
int launch_start(const args_t *a, const char *dir, launch_result_t *out, char *err, size_t errlen);

/* Waits for the started program to end and fills OUT's end time, CPU time
 * and exit status. Returns 0. */
int launch_wait(launch_result_t *out);

#endif
