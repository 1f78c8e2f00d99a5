/* lowmem.h — is this machine (or this process's cgroup) about to run out
 * of memory? Checked by the sampler once a second, so that a job the OOM
 * killer is about to take leaves the callstacks that were holding memory. */
#ifndef RADIOGRAPH_LOWMEM_H
#define RADIOGRAPH_LOWMEM_H

#include <stdint.h>

/* Finds the memory cgroup's files (v2 memory.max/current, or v1
 * limit_in_bytes/usage_in_bytes). Call once per process. */
void lowmem_init(void);

/* Returns 1 if the memory still available — the smaller of the system's
 * MemAvailable and the cgroup's limit minus its usage — is below
 * max(64 MiB, 2% of the total), and puts it in *AVAIL; 2 if it is within
 * four times that (worth checking often); 0 otherwise; -1 if nothing could
 * be read. */
int lowmem_check(uint64_t *avail);

/* The memory this process could ever have: the smaller of MemTotal and the
 * cgroup's limit; 0 if unknown. */
uint64_t lowmem_total(void);

#endif
