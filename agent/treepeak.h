/* treepeak.h — the peak of the whole process tree.
 *
 * The processes of one run share a small file-backed mapping (its path in
 * RADIOGRAPH_TREE, created by the CLI): the tree's tracked total, its
 * highest value, and one slot per process with what that process has added
 * to the total. Each process adds its changes in batches of 64 KiB, so
 * processes do not contend on one cache line for every malloc. When the
 * total falls right after reaching a new maximum that beats the last
 * committed peak by more than 1%, that maximum is committed as a new
 * generation. Every process freezes its callstacks when it first sees a new
 * generation — before it applies any change of its own, so what it freezes
 * is what it held at the peak. A process that exits takes its bytes out of
 * the total; one that died without doing so is taken out by whichever
 * process notices first. */
#ifndef RADIOGRAPH_TREEPEAK_H
#define RADIOGRAPH_TREEPEAK_H

#include <stdint.h>

/* Joins the tree mapped at PATH (NULL or unusable: a tree of this process
 * alone). Returns 0 or -1. */
int treepeak_attach(const char *path);

/* This process's live bytes changed by DELTA (exact; batched to the tree). */
void treepeak_add(int64_t delta);

/* The latest committed peak: generation (0 = none yet), the tree's bytes
 * then, and when (CLOCK_MONOTONIC). */
uint64_t treepeak_generation(void);
void treepeak_committed(uint64_t *generation, int64_t *bytes, uint64_t *t_ns);

/* 1 if the tree's total has not fallen since it reached its highest value
 * (then *MAX and *MAX_T are that value and when it was reached), else 0. */
int treepeak_at_max(int64_t *max, uint64_t *max_t);

/* This process's own live bytes, exact. */
int64_t treepeak_local(void);

/* 1 if the tree is at a maximum that a fall now would commit as a new
 * peak. One relaxed load when it is not (every free asks). */
int treepeak_would_commit(void);

/* Flushes this process's pending bytes and commits the tree's maximum if no
 * fall has followed it: called just before a fall, so that the peak is
 * committed (and frozen) while what is about to go is still counted. */
void treepeak_commit(void);

/* At exit, before the final snapshot: treepeak_commit (the end of the run
 * is the peak's falling edge). */
void treepeak_finish(void);

/* The tree's tracked total now, and its highest value so far. */
void treepeak_totals(int64_t *total, int64_t *max);

/* Process PID has ended (its parent reaped it, or it is a zombie): its
 * bytes leave the tree now. Lock-free: safe in a signal handler. */
void treepeak_gone(uint32_t pid);

/* After the final snapshot: take this process's bytes out of the tree. */
void treepeak_leave(void);

/* Takes out processes that died without leaving (SIGKILL, a crash), once
 * they are gone or zombies. */
void treepeak_reap(void);

/* In the child after fork: a new slot, starting from zero bytes. */
void treepeak_fork_child(void);

/* A new in-process session (attach.h), whose tree is this process alone:
 * everything starts again from zero bytes and no peak. */
void treepeak_restart(void);

#endif
