/* fdhigh.h — where the agent keeps its file descriptors: as high as the
 * process's limit allows, clear of the low numbers a program expects open()
 * to give it next (a daemon closes everything, then opens /dev/null as 0,
 * 1, 2; a test asserts its first open() is 3). Whatever RLIMIT_NOFILE is:
 * the highest free number below min(soft limit, FDHIGH_CEIL), looked for
 * down to half of that. The ceiling keeps the kernel's descriptor table
 * small under the huge limits containers set (a table sized for number
 * 1048575 is 8 MiB of kernel memory in every process). */
#ifndef RADIOGRAPH_FDHIGH_H
#define RADIOGRAPH_FDHIGH_H

#define FDHIGH_CEIL 1024

/* Moves FD (which it closes) to a high free number, close-on-exec.
 * Returns the new descriptor, FD itself if the limit is too small to have
 * a high range (under 8), or -1 if the high range is full (FD is closed
 * then too). Preserves errno. Async-signal-safe. */
int fdhigh_move(int fd);

#endif
