/* gotpatch.h — sending other objects' calls of chosen functions to ours, in
 * a program the agent joined after it had started (attach.h), where
 * preloading can no longer put our definitions first.
 *
 * An object calls a function of another object through a slot of its global
 * offset table, which the dynamic linker fills in with the function's
 * address (at start-up, or at the first call through the PLT); a slot
 * rewritten with another address sends every later call there. This module
 * rewrites the slots that name the hooked functions in every loaded object,
 * remembers what each held, and puts it back on restore — the technique
 * Memray's elf_shenanigans uses. Objects loaded while the hooks are in are
 * patched as they arrive: dlopen is hooked the same way.
 *
 * Left alone: the agent itself, the dynamic linker, the vDSO, every slot
 * whose symbol the object defines itself (the C library's own calls of
 * malloc), and every slot bound to a definition other than the process's
 * (an object that brought its own allocator): its calls go where they went. */
#ifndef RADIOGRAPH_GOTPATCH_H
#define RADIOGRAPH_GOTPATCH_H

#include <stdint.h>

typedef struct gotpatch_hook {
    const char *name;          /* the function, as the objects import it */
    void *fn;                  /* where its calls should go */
} gotpatch_hook_t;

/* Points the slots of HOOKS[0..N) at the hooks (and dlopen's at a wrapper
 * that patches each newly loaded object), in every object loaded now and
 * from now on. Each hook must call the process's own definition
 * (gotpatch_definition) to do the work. Returns the number of
 * slots patched, or -1 if the hooks are already in or N is too large. */
int gotpatch_install(const gotpatch_hook_t *hooks, int n);

/* The process's own definition of the function NAME: the first loaded
 * object, in load order, that defines it (its default version), other than
 * the agent. Not dlsym(RTLD_DEFAULT): in an executable built without PIE
 * that takes malloc's address, that answers the executable's PLT entry,
 * which calls through the very slot a hook is about to take. NULL if none. */
void *gotpatch_definition(const char *name);

/* The address range [*LO, *HI) of the loaded object holding ADDR: 0, or
 * -1 if no object holds it. */
int gotpatch_object_range(const void *addr, uintptr_t *lo, uintptr_t *hi);

/* Puts back what each patched slot held, in every object still loaded (an
 * object unloaded meanwhile took its slots with it). Safe to call when
 * nothing is installed. */
void gotpatch_restore(void);

/* In the child after fork: the lock is made anew; the child keeps the
 * patched slots until it calls gotpatch_restore. */
void gotpatch_fork_child(void);

#endif
