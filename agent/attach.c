/* attach.c — see attach.h.
 *
 * Order matters at both ends. Starting: the sampler and memtrack are ready
 * before the first slot is patched, so the first redirected allocation is
 * counted in full. Stopping: the slots are put back first, so no new call
 * enters a hook; then the sampler's final flush writes the peak while
 * memtrack is still on; only then is memtrack turned off. The hooks
 * themselves stay loaded (the agent is never unloaded): a thread that had
 * read a slot just before it was put back still finds them there.
 *
 * A child forked while a profile runs is not profiled: it puts its slots
 * back and forgets the parent's tables (a lock held by another thread at
 * the fork would never be released in the child). The parent's sampler
 * pauses for the fork, so that the child inherits consistent tables. */
#include "attach.h"

#include "agent.h"
#include "bornset.h"
#include "gotpatch.h"
#include "memhooks.h"
#include "memtrack.h"
#include "pylayout.h"
#include "rawfmt.h"
#include "rawwrite.h"
#include "sampler.h"
#include "scope.h"
#include "tasks.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ATTACH_EXPORT __attribute__((visibility("default")))

static const gotpatch_hook_t attach_hooks[] = {
#define ATTACH_HOOK(f) {#f, (void *)memhooks_##f},
    MEMHOOKS_LIST(ATTACH_HOOK)
#undef ATTACH_HOOK
};

static struct {
    pthread_mutex_t lock;
    int attached;
    int memory;                 /* memtrack on and the slots patched */
    pid_t pid;                  /* the process that attached */
    int atfork;
    char error[512];
} at = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int attach_fail(const char *fmt, const char *arg) {
    snprintf(at.error, sizeof at.error, fmt, arg ? arg : "");
    return -1;
}

/* Registered once, for good: each handler checks that a profile of this
 * process runs. The parent's sampler pauses between two samples for the
 * fork (sampler.h) and resumes after it. */
static void attach_fork_prepare(void) {
    if (at.attached && at.pid == getpid()) sampler_fork_prepare();
}

static void attach_fork_parent(void) {
    if (at.attached && at.pid == getpid()) sampler_fork_parent();
}

static void attach_fork_child(void) {
    if (!at.attached) return;
    pthread_mutex_init(&at.lock, NULL);
    at.attached = 0;
    gotpatch_fork_child();
    bornset_fork_child();
    if (at.memory) {
        memtrack_fork_child();
        memtrack_active = 0;
        gotpatch_restore();
    }
    at.memory = 0;
    scope_clear();
}

/* The threads running now, but the caller: left out of the profile. */
static int attach_others(uint32_t *tids, int max) {
    int n = tasks_list(tids, max), kept = 0;
    uint32_t self = (uint32_t)syscall(SYS_gettid);
    for (int i = 0; i < n; i++)
        if (tids[i] != self) tids[kept++] = tids[i];
    return kept;
}

static int attach_start_memory(int64_t sample_bytes) {
    memhooks_resolve(gotpatch_definition);
    void *(*tstate_of)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
    memhooks_check_sizes();
    if (memtrack_start((uint64_t)sample_bytes, tstate_of, NULL) != 0) return -1;
    bornset_start();
    return 0;
}

static void attach_stop_memory(void) {
    memtrack_active = 0;
    bornset_stop();
}

ATTACH_EXPORT int radiograph_attach(const char *raw_dir, uint32_t interval_us, int64_t sample_bytes,
                                    uintptr_t root_code, int all_threads) {
    int saved = errno, rc = -1;
    pthread_mutex_lock(&at.lock);
    if (agent_running()) {
        attach_fail("this process is already profiled by `radiograph run` (its agent was preloaded), "
                    "whose report covers this code too", NULL);
        goto out;
    }
    if (at.attached && at.pid == getpid()) {
        attach_fail("a profile is already running in this process", NULL);
        goto out;
    }
    if (!raw_dir || raw_dir[0] != '/') {
        attach_fail("the raw directory must be an absolute path", NULL);
        goto out;
    }
    uint32_t have = 0;
    const pylayout_t *row = NULL;
    int found = agent_python_open(raw_dir, &have, &row);
    if (found != 0) {
        char version[32];
        snprintf(version, sizeof version, "%u.%u.%u", have >> 24, (have >> 16) & 255, (have >> 8) & 255);
        if (found > 0) attach_fail("this process is not a Python radiograph can find", NULL);
        else attach_fail("this is Python %s, which radiograph does not read (see the report)", version);
        goto out;
    }
    static uint32_t others[TASKS_MAX];
    scope_set(root_code, (uint32_t)syscall(SYS_gettid), others, all_threads ? 0 : attach_others(others, TASKS_MAX));
    rawwrite_forget();   /* a fresh writer: the last session's file is closed */
    at.memory = sample_bytes > 0;
    if (at.memory && attach_start_memory(sample_bytes) != 0) {
        attach_fail("memory tracking could not start (no memory for its tables)", NULL);
        goto fail;
    }
    /* The sampler is only paused for a fork, never ended (park_at_fork
     * 0): what brings an ended one back — the forking thread's fclose of
     * the file CPython 3.12+ counts its threads from, or a wait — happens
     * inside the C library, whose calls are not redirected here, so it
     * could stay away for the rest of the block. 3.12+ may then warn of a
     * multi-threaded fork (in a kernel, which has threads of its own, it
     * does anyway). */
    (void)row;
    sampler_config_t cfg = {raw_dir, interval_us, have, 0};
    if (sampler_start(&cfg) != 0) {
        attach_fail("the sampling thread could not start", NULL);
        if (at.memory) attach_stop_memory();
        goto fail;
    }
    if (at.memory && gotpatch_install(attach_hooks, (int)(sizeof attach_hooks / sizeof attach_hooks[0])) <= 0) {
        static const char msg[] = "no library's allocation functions could be redirected: "
                                  "the memory profile is empty";
        rawwrite_record(RAW_NOTE, msg, sizeof msg - 1, NULL, 0);
    }
    if (!at.atfork && pthread_atfork(attach_fork_prepare, attach_fork_parent, attach_fork_child) == 0)
        at.atfork = 1;
    at.attached = 1;
    at.pid = getpid();
    rc = 0;
    goto out;
fail:
    at.memory = 0;
    scope_clear();
out:
    pthread_mutex_unlock(&at.lock);
    errno = saved;
    return rc;
}

ATTACH_EXPORT int radiograph_detach(void) {
    int saved = errno, rc = -1;
    pthread_mutex_lock(&at.lock);
    if (!at.attached || at.pid != getpid()) {
        attach_fail("no profile is running in this process", NULL);
    } else {
        if (at.memory) gotpatch_restore();
        sampler_stop();
        if (at.memory) attach_stop_memory();
        at.memory = 0;
        scope_clear();
        at.attached = 0;
        rc = 0;
    }
    pthread_mutex_unlock(&at.lock);
    errno = saved;
    return rc;
}

ATTACH_EXPORT const char *radiograph_error(void) {
    return at.error;
}

/* A program that exits with a profile still running (an exception out of
 * the interpreter's main, a missing stop) still gets its final records. */
__attribute__((destructor)) static void attach_fini(void) {
    if (at.attached && at.pid == getpid()) radiograph_detach();
}
