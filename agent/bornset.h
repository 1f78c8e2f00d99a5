/* bornset.h — the heap blocks allocated while an in-process profile runs
 * (attach.h). The agent joined a program that had been allocating for a
 * while: a free of a block it never saw allocated must not count as memory
 * given back, or a block that drops an old cache while it builds a new one
 * would seem to need less than it did. So every block allocated through the
 * hooks during the profile is remembered by address until it is freed, and
 * a free of any other block is ignored. (A preloaded agent sees every block
 * from the start and never turns this on.)
 *
 * A set of addresses in 64 independent tables (livemap.h), each under its
 * own lock and chosen by the address's hash, so threads allocating at once
 * rarely meet. mmap-backed, never malloc: it runs inside malloc. */
#ifndef RADIOGRAPH_BORNSET_H
#define RADIOGRAPH_BORNSET_H

#include "memtrack.h"

/* 1 while blocks are being remembered (read by the hooks). */
#define bornset_on (memtrack_hot.born)   /* memtrack.h: on the hooks' line */

/* Empties the set and starts remembering. Returns 0 or -1. */
int bornset_start(void);

/* Stops remembering and gives the set's memory back. Safe while other
 * threads are still inside bornset_add or bornset_take. */
void bornset_stop(void);

/* Remembers the block at P (allocated just now). */
void bornset_add(const void *p);

/* 1 if the block at P is remembered (it was allocated during the profile),
 * and forgets it; 0 otherwise. Always 1 while the set is off, so that the
 * hooks of a preloaded agent count every free. */
int bornset_take(const void *p);

/* In the child after fork: a lock another thread held at the fork would
 * never be released there; the child remembers nothing. */
void bornset_fork_child(void);

#endif
