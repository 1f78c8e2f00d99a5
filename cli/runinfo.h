/* runinfo.h — writes raw/run.info, the CLI's record of the run
 * (docs/internals.md §1): the command, when it started, how it ended. */
#ifndef RADIOGRAPH_RUNINFO_H
#define RADIOGRAPH_RUNINFO_H

#include "launch.h"

/* Writes DIR/raw/run.info atomically (temp file + rename). END is NULL at
 * the start of the run (only the command and start time are known); START's
 * notes become note= lines. Returns 0 or a negative errno (the write's own:
 * -ENOSPC, -EFBIG, -ENOENT when the directory was removed). */
int runinfo_write(const char *dir, char **argv, double rate_hz, const launch_result_t *start,
                  const launch_result_t *end);

#endif
