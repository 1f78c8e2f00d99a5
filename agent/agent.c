/* agent.c — the preloaded agent's life cycle.
 *
 * Loaded into every process of a profiled job through LD_PRELOAD. In a
 * process that is not Python — bash, a pyenv shim, gcc — it does nothing at
 * all: no thread, no file, no output. In a Python it cannot read (a version
 * without a layout row, a free-threaded build, a layout its own debug
 * offsets contradict) it does nothing either, but leaves one small raw file
 * saying why, so that the report and the command line can name the process.
 * In a CPython it reads it picks that version's layout row (pylayout.h) and
 * starts the sampler from its constructor; the sampler waits for the
 * interpreter to be initialised before it opens its raw file.
 *
 * The agent links against no Python symbol: it finds _PyRuntime, Py_Version
 * and PyCode_Type with dlsym, so it can be preloaded into anything. It exits
 * through the destructor (exit) or the _exit interposer (os._exit, used by
 * multiprocessing's forked workers), writing its final record either way. */
#include "agent.h"
#include "ends.h"
#include "memhooks.h"
#include "memread.h"
#include "memtrack.h"
#include "pylayout.h"
#include "pyread.h"
#include "rawfmt.h"
#include "rawwrite.h"
#include "sampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AGENT_EXPORT __attribute__((visibility("default")))

typedef int (*agent_execve_t)(const char *, char *const[], char *const[]);
typedef int (*agent_execv_t)(const char *, char *const[]);

/* Resolved in the constructor of every process: a vfork()ed child calling
 * exec must not run dlsym (it shares its parent's memory and locks). */
static struct {
    agent_execve_t execve, execvpe;
    agent_execv_t execv, execvp;
} agent_real;

/* Mean bytes between sampled allocations, chosen by measurement
 * (docs/benchmarks.md): attribution within 5% for stacks of 100 MB, and no
 * measurable cost on allocation-heavy jobs. */
#define AGENT_DEFAULT_SAMPLE_BYTES (64 * 1024)

static int agent_active;
static pid_t agent_pid;    /* the process the sampler belongs to */

/* The interpreter's version as PY_VERSION_HEX: Py_Version (3.11 and later),
 * else parsed from Py_GetVersion() ("3.10.13 (main, ...)"); 0 if unknown. */
static uint32_t agent_py_version(const unsigned long *py_version, const char *(*get_version)(void)) {
    if (py_version) return (uint32_t)*py_version;
    const char *v = get_version ? get_version() : NULL;
    unsigned major = 0, minor = 0, micro = 0;
    if (!v || sscanf(v, "%u.%u.%u", &major, &minor, &micro) < 2) return 0;
    return major << 24 | (minor & 255) << 16 | (micro & 255) << 8 | 0xF0;
}

/* One small file per process saying why it was not profiled: a Python it
 * cannot read. WHY is a clause following "runs Python 3.10.13, ". */
static void agent_note_unprofiled(const char *dir, uint32_t have, const char *why) {
    if (rawwrite_init() != 0 || rawwrite_open(dir, have, 0, 0, 0) != 0) return;
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s (radiograph reads CPython %s)", why, pylayout_supported());
    if (n > 0) rawwrite_record(RAW_NOT_PROFILED, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1,
                               NULL, 0);
    rawwrite_close();
}

/* The layout row for this interpreter, or NULL with the reason noted. */
static const pylayout_t *agent_layout(const char *dir, uintptr_t runtime, uint32_t have) {
    char why[320], detail[256];
    const pylayout_t *row = pylayout_find(have);
    if (!row) {
        snprintf(why, sizeof why, "which radiograph does not read");
    } else if (pylayout_verify(row, runtime, have, detail, sizeof detail) != 0) {
        snprintf(why, sizeof why, "%s", detail);
        row = NULL;
    } else {
        return row;
    }
    agent_note_unprofiled(dir, have, why);
    return NULL;
}

/* A vfork()ed child shares our memory but is not us: it must never touch
 * the sampler. */
static int agent_is_ours(void) {
    return agent_active && (pid_t)syscall(SYS_getpid) == agent_pid;
}

static void agent_fork_child(void) {
    if (!agent_active) return;
    agent_pid = (pid_t)syscall(SYS_getpid);
    ends_fork_child();
    memtrack_fork_child();
    sampler_fork_child();
}

static void agent_stop(void) {
    if (!agent_is_ours()) return;
    /* An exit from a signal handler that interrupted one of our hooks: the
     * hook may hold a lock the final flush needs. Leave without it; the
     * data up to the last flush is on disk. */
    if (memtrack_in_hook()) return;
    agent_active = 0;
    sampler_stop();
    ends_stop();
    memtrack_active = 0;
}

int agent_python_open(const char *dir, uint32_t *version_out, const pylayout_t **row_out) {
    const char *(*get_version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "Py_GetVersion");
    if (!get_version) return 1;                                       /* not Python: inert */
    void *runtime = dlsym(RTLD_DEFAULT, "_PyRuntime");
    const unsigned long *version = dlsym(RTLD_DEFAULT, "Py_Version");
    void *code_type = dlsym(RTLD_DEFAULT, "PyCode_Type");
    void *none = dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
    uint32_t have = agent_py_version(version, get_version);
    *version_out = have;
    if (!runtime || !version || !code_type) {                         /* before 3.11 */
        agent_note_unprofiled(dir, have, "which radiograph does not read");
        return -1;
    }
    const pylayout_t *row = agent_layout(dir, (uintptr_t)runtime, have);
    if (!row) return -1;
    if (memread_init() != 0) {
        agent_note_unprofiled(dir, have, "whose memory radiograph cannot read "
                                         "(neither process_vm_readv nor /proc/self/mem is permitted)");
        return -1;
    }
    pyread_init(row, (uintptr_t)runtime, (uintptr_t)code_type, (uintptr_t)none);
    *row_out = row;
    return 0;
}

int agent_running(void) {
    return agent_is_ours();
}

__attribute__((constructor)) static void agent_init(void) {
    int saved = errno;
    memhooks_resolve(NULL);
    ends_resolve();
    agent_real.execve = (agent_execve_t)dlsym(RTLD_NEXT, "execve");
    agent_real.execv = (agent_execv_t)dlsym(RTLD_NEXT, "execv");
    agent_real.execvp = (agent_execv_t)dlsym(RTLD_NEXT, "execvp");
    agent_real.execvpe = (agent_execve_t)dlsym(RTLD_NEXT, "execvpe");
    const char *dir = getenv("RADIOGRAPH_RAW_DIR");
    if (!dir || !*dir) goto out;
    uint32_t have;
    const pylayout_t *row;
    if (agent_python_open(dir, &have, &row) != 0) goto out;
    const char *rate = getenv("RADIOGRAPH_INTERVAL_US");
    long interval = rate ? strtol(rate, NULL, 10) : 10000;
    if (interval < 100 || interval > 10000000) interval = 10000;
    const char *mem = getenv("RADIOGRAPH_MEMORY_SAMPLE_BYTES");   /* "0": no memory profile */
    long long sample_bytes = mem ? strtoll(mem, NULL, 10) : AGENT_DEFAULT_SAMPLE_BYTES;
    if (sample_bytes > 0) {
        void *(*tstate_of)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
        memhooks_check_sizes();
        memtrack_start((uint64_t)sample_bytes, tstate_of, getenv("RADIOGRAPH_TREE"));
    }
    sampler_config_t cfg = {dir, (uint32_t)interval, have, row->behaviour.fork_counts_threads != 0};
    ends_start();
    memtrack_hold(1);                 /* the sampler's buffers are ours */
    int started = sampler_start(&cfg);
    memtrack_hold(0);
    if (started != 0) {
        ends_stop();
        memtrack_active = 0;
        goto out;
    }
    agent_pid = (pid_t)syscall(SYS_getpid);
    agent_active = 1;
    pthread_atfork(sampler_fork_prepare, sampler_fork_parent, agent_fork_child);
out:
    errno = saved;
}

__attribute__((destructor)) static void agent_fini(void) {
    int saved = errno;
    agent_stop();
    errno = saved;
}

/* exec replaces the image without running destructors: write the final
 * record first (os.execv and subprocess's children call these). */
static void agent_before_exec(void) {
    if (!agent_is_ours() || memtrack_in_hook()) return;
    agent_active = 0;
    memtrack_active = 0;
    sampler_stop_before_exec();
    ends_stop();
}

AGENT_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
    agent_before_exec();
    if (!agent_real.execve) {
        errno = ENOSYS;
        return -1;
    }
    return agent_real.execve(path, argv, envp);
}

AGENT_EXPORT int execv(const char *path, char *const argv[]) {
    agent_before_exec();
    if (!agent_real.execv) {
        errno = ENOSYS;
        return -1;
    }
    return agent_real.execv(path, argv);
}

AGENT_EXPORT int execvp(const char *file, char *const argv[]) {
    agent_before_exec();
    if (!agent_real.execvp) {
        errno = ENOSYS;
        return -1;
    }
    return agent_real.execvp(file, argv);
}

AGENT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
    agent_before_exec();
    if (!agent_real.execvpe) {
        errno = ENOSYS;
        return -1;
    }
    return agent_real.execvpe(file, argv, envp);
}

/* os._exit() and multiprocessing's forked workers leave through _exit, which
 * runs no destructor: write the final record first. */
AGENT_EXPORT void _exit(int status) {
    agent_stop();
    for (;;) syscall(SYS_exit_group, status);   /* what glibc's _exit does */
}
