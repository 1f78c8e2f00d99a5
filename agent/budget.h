/* budget.h — the run's sampling budget, shared by all its processes.
 *
 * Every sampler wakes RATE times a second, and a wake-up costs the same
 * whatever the process does; a job of eight worker processes on two CPUs
 * would pay it eight times over on each CPU. So the processes of one run
 * share a budget of about (CPUs × RATE) samples a second: with P live
 * profiled processes and C CPUs, each one samples every ceil(P / C) base
 * intervals, and each of its samples counts for that many base intervals,
 * so counts stay "time in base intervals" and the profile stays unbiased —
 * only coarser per process, which is the price of more processes than
 * CPUs. With P <= C nothing changes.
 *
 * The processes meet in a small zeroed file (its path in
 * RADIOGRAPH_SAMPLERS, created by the CLI): one slot per process, holding
 * its pid and when it last checked in (CLOCK_MONOTONIC, which all processes
 * share). A process counts as live while it checked in within the last
 * BUDGET_STALE_NS, so one killed without leaving stops counting by itself. */
#ifndef RADIOGRAPH_BUDGET_H
#define RADIOGRAPH_BUDGET_H

#include <stdint.h>

#define BUDGET_SLOTS 1024u
#define BUDGET_STALE_NS 3000000000ull
#define BUDGET_STRETCH_MAX 64u

/* Joins the budget mapped at PATH (NULL or unusable: this process alone,
 * stretch always 1). Returns 0 or -1. Not async-signal-safe. */
int budget_attach(const char *path);

/* Checks in at NOW and returns the stretch: how many base intervals this
 * process's next samples stand for (1 .. BUDGET_STRETCH_MAX); *LIVE and
 * *CPUS (if not NULL) say why. Cheap enough for once a second (one pass
 * over the slots in use). */
uint32_t budget_stretch(uint64_t now, uint32_t *live, uint32_t *cpus);

/* 1 if no process of the run has yet said it samples at stretch K or more
 * (then this one should say so in its raw file), else 0: the report gets
 * one note per new level, not one per process. */
int budget_first_at(uint32_t k);

/* In the child after fork: a slot of its own. */
void budget_fork_child(void);

/* At exit: stop counting this process. */
void budget_leave(void);

/* Records ERR, the errno of a failed write of this process's raw file, in
 * the run's shared file (RAW_SAMPLERS_ERRNO_AT) unless one is there, for
 * the CLI to name. Cheap; async-signal-safe. */
void budget_note_write_error(int err);

#endif
