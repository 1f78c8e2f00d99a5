/* launch.c — see launch.h.
 *
 * Signals: SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR1/2 sent to radiograph
 * by another process are forwarded to the program. Those the terminal sends
 * (Ctrl-C) already reach the whole foreground process group, program
 * included, so they are not sent twice (the rule sudo follows: forward only
 * what a process sent, si_code <= 0). radiograph itself outlives the program
 * to write the report. */
#include "launch.h"
#include "outdir.h"
#include "rawfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After the program ends, how long its remaining descendants may take to
 * end (orphaned pool workers wind down on their own) before the report is
 * written without them. */
#define LAUNCH_GRACE_MS 500

static volatile sig_atomic_t launch_child;

static uint64_t launch_clock(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Finds NAME on PATH (or as given, if it has a slash). Returns 0 and the
 * path in OUT, or -1. */
static int launch_which(const char *name, char *out, size_t outlen) {
    if (!name || !*name) return -1;
    if (strchr(name, '/')) {
        snprintf(out, outlen, "%s", name);
        struct stat st;
        return stat(name, &st) == 0 && S_ISREG(st.st_mode) && access(name, X_OK) == 0 ? 0 : -1;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        int n = snprintf(out, outlen, "%.*s/%s", (int)len, len ? path : ".", name);
        struct stat st;
        if (n > 0 && (size_t)n < outlen && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
            access(out, X_OK) == 0)
            return 0;
        if (!colon) break;
        path = colon + 1;
    }
    return -1;
}

static int launch_agent_path(char *out, size_t outlen) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    if (snprintf(out, outlen, "%s/libradiograph_agent.so", exe) >= (int)outlen) return -1;
    return access(out, R_OK) == 0 ? 0 : -1;
}

/* Asks the interpreter, without the agent, whether MODULE can be found. */
static int launch_module_exists(const char *python, const char *module) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        unsetenv("LD_PRELOAD");
        execl(python, python, "-c",
              "import importlib.util, sys\n"
              "try:\n    found = importlib.util.find_spec(sys.argv[1]) is not None\n"
              "except Exception:\n    found = False\n"
              "sys.exit(0 if found else 3)\n",
              module, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return 0;
    return -1;
}

int launch_prepare(const args_t *a, char *dir, size_t dirlen, char *err, size_t errlen) {
    char path[PATH_MAX];
    if (a->target != ARGS_COMMAND && launch_which(a->argv[0], path, sizeof path) != 0) {
        snprintf(err, errlen, "radiograph: %s not found on PATH: install Python 3 or use -- /path/to/python", a->argv[0]);
        return -1;
    }
    if (a->target == ARGS_SCRIPT) {
        const char *script = a->argv[1];
        struct stat st;
        if (stat(script, &st) != 0) {
            snprintf(err, errlen, "radiograph: cannot open script '%s': %s", script, strerror(errno));
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            char main_py[PATH_MAX];
            snprintf(main_py, sizeof main_py, "%s/__main__.py", script);
            if (access(main_py, R_OK) != 0) {
                snprintf(err, errlen, "radiograph: '%s' is a directory without __main__.py: give a Python script", script);
                return -1;
            }
        } else if (access(script, R_OK) != 0) {
            snprintf(err, errlen, "radiograph: cannot read script '%s': %s", script, strerror(errno));
            return -1;
        }
    } else if (a->target == ARGS_MODULE) {
        int found = launch_module_exists(path, a->argv[2]);
        if (found == 0) {
            snprintf(err, errlen, "radiograph: no module named '%s' for %s: check the name and the current directory", a->argv[2], path);
            return -1;
        }
        if (found < 0) {
            snprintf(err, errlen, "radiograph: could not run %s to look for module '%s'", path, a->argv[2]);
            return -1;
        }
    } else if (launch_which(a->argv[0], path, sizeof path) != 0) {
        snprintf(err, errlen, "radiograph: command '%s' not found or not executable", a->argv[0]);
        return -1;
    }
    char agent[PATH_MAX];
    if (launch_agent_path(agent, sizeof agent) != 0) {
        snprintf(err, errlen, "radiograph: the agent libradiograph_agent.so is missing next to the radiograph binary: %s", "rebuild or reinstall radiograph");
        return -1;
    }
    int claimed;
    if (a->output) {
        snprintf(dir, dirlen, "%s", a->output);
        claimed = outdir_claim(dir);
    } else {
        claimed = outdir_claim_default("radiograph-report", dir, dirlen);
    }
    if (claimed != 0 && errno == EEXIST) {
        snprintf(err, errlen, "radiograph: '%s' already holds a report (or another run is writing one there): choose another directory with -o, or remove it", dir);
        return -1;
    }
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/raw/.probe", dir);
    int fd = -1;
    if (claimed != 0 || (fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
        snprintf(err, errlen, "radiograph: cannot write the report to '%s': %s; choose another directory with -o", dir, strerror(errno));
        return -1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

static void launch_forward(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    if (launch_child > 0 && info && info->si_code <= 0 && info->si_pid != launch_child)
        kill(launch_child, sig);
}

static const int launch_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* SIGXFSZ and SIGPIPE as radiograph found them: what the program gets. */
static struct sigaction launch_xfsz_was, launch_pipe_was;

void launch_shield_signals(void) {
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGXFSZ, &ign, &launch_xfsz_was);
    sigaction(SIGPIPE, &ign, &launch_pipe_was);
}

/* The run's shared files (agent/treepeak.c, agent/budget.c): zeroed files
 * every process of the run maps. Their blocks are allocated here, before
 * anything maps them — a page of a sparse file first touched when the file
 * system is full is SIGBUS in whichever process touched it. A file that
 * cannot be allocated (no space, a file-size limit) is removed and the run
 * goes without it, with a note for the report. */
/* The small one first: under little space it is the more likely to fit,
 * and it is where the agent says why it could not write. */
enum { LAUNCH_SAMPLERS, LAUNCH_TREE, LAUNCH_NSHARED };
static const struct launch_shared {
    const char *name, *env, *without;
    size_t bytes;
} launch_shared[LAUNCH_NSHARED] = {
    {"samplers.shm", "RADIOGRAPH_SAMPLERS", "the processes' shared sampling budget could not be set "
     "up (%s): every process sampled at the full rate", RAW_SAMPLERS_FILE_BYTES},
    {"tree.shm", "RADIOGRAPH_TREE", "the processes' shared peak-memory total could not be set up "
     "(%s): each process's memory profile is taken at its own peak, not at the whole tree's",
     RAW_TREE_FILE_BYTES},
};

static char launch_shared_path[LAUNCH_NSHARED][PATH_MAX + 16];

static void launch_note(launch_result_t *out, const char *fmt, const char *why) {
    if (out->nnotes < LAUNCH_NOTES_MAX)
        snprintf(out->notes[out->nnotes++], sizeof out->notes[0], fmt, why);
}

static void launch_make_shared(const char *rawdir, launch_result_t *out) {
    for (int i = 0; i < LAUNCH_NSHARED; i++) {
        const struct launch_shared *f = &launch_shared[i];
        char *path = launch_shared_path[i];
        snprintf(path, sizeof launch_shared_path[i], "%s/%s", rawdir, f->name);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int e = fd < 0 ? errno : posix_fallocate(fd, 0, (off_t)f->bytes);
        if (fd >= 0) close(fd);
        if (e == 0) continue;
        if (fd >= 0) unlink(path);
        path[0] = '\0';
        launch_note(out, f->without, strerror(e));
    }
}

int launch_agent_write_errno(void) {
    int32_t e = 0;
    const char *path = launch_shared_path[LAUNCH_SAMPLERS];
    int fd = path[0] ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd >= 0 && pread(fd, &e, sizeof e, RAW_SAMPLERS_ERRNO_AT) != (ssize_t)sizeof e) e = 0;
    if (fd >= 0) close(fd);
    return (int)e;
}

void launch_remove_shared(void) {
    for (int i = 0; i < LAUNCH_NSHARED; i++)
        if (launch_shared_path[i][0]) unlink(launch_shared_path[i]);
}

static void launch_set_env(const char *agent, const char *rawdir, const args_t *a) {
    double rate_hz = a->rate_hz;
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(agent) + (old ? strlen(old) + 2 : 1);
    char *preload = malloc(len);
    if (preload) {
        snprintf(preload, len, old && *old ? "%s %s" : "%s", agent, old);
        setenv("LD_PRELOAD", preload, 1);
        free(preload);
    }
    setenv("RADIOGRAPH_RAW_DIR", rawdir, 1);
    for (int i = 0; i < LAUNCH_NSHARED; i++) {
        if (launch_shared_path[i][0]) setenv(launch_shared[i].env, launch_shared_path[i], 1);
        else unsetenv(launch_shared[i].env);
    }
    char interval[32];
    snprintf(interval, sizeof interval, "%ld", (long)(1e6 / rate_hz + 0.5));
    setenv("RADIOGRAPH_INTERVAL_US", interval, 1);
    if (a->no_memory) {
        setenv("RADIOGRAPH_MEMORY_SAMPLE_BYTES", "0", 1);
    } else if (a->memory_sample_bytes) {
        char bytes[32];
        snprintf(bytes, sizeof bytes, "%lld", a->memory_sample_bytes);
        setenv("RADIOGRAPH_MEMORY_SAMPLE_BYTES", bytes, 1);
    } else {
        unsetenv("RADIOGRAPH_MEMORY_SAMPLE_BYTES");
    }
}

int launch_start(const args_t *a, const char *dir, launch_result_t *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    char agent[PATH_MAX], rawdir[PATH_MAX + 8], abs[PATH_MAX];
    if (launch_agent_path(agent, sizeof agent) != 0 || !realpath(dir, abs)) {
        snprintf(err, errlen, "radiograph: cannot prepare '%s'", dir);
        return -1;
    }
    snprintf(rawdir, sizeof rawdir, "%s/raw", abs);
    /* A pipe closed on exec tells the parent whether exec succeeded. */
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "radiograph: cannot start the program: %s", strerror(errno));
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = launch_forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof launch_signals / sizeof launch_signals[0]; i++)
        sigaction(launch_signals[i], &sa, NULL);
    launch_make_shared(rawdir, out);
    out->start_real_ns = launch_clock(CLOCK_REALTIME);
    out->start_mono_ns = launch_clock(CLOCK_MONOTONIC);
    /* Orphans of the job come to us, not to init: how they end is known. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "radiograph: cannot start the program: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (size_t i = 0; i < sizeof launch_signals / sizeof launch_signals[0]; i++)
            sigaction(launch_signals[i], &dfl, NULL);
        sigaction(SIGXFSZ, &launch_xfsz_was, NULL);
        sigaction(SIGPIPE, &launch_pipe_was, NULL);
        close(pfd[0]);
        launch_set_env(agent, rawdir, a);
        execvp(a->argv[0], a->argv);
        int e = errno;
        ssize_t w = write(pfd[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    launch_child = pid;
    close(pfd[1]);
    int exec_errno = 0;
    ssize_t got;
    do got = read(pfd[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    close(pfd[0]);
    if (got == (ssize_t)sizeof exec_errno) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        launch_child = 0;
        snprintf(err, errlen, "radiograph: cannot run '%s': %s", a->argv[0], strerror(exec_errno));
        return -1;
    }
    return 0;
}

static uint64_t launch_cpu(const struct rusage *ru) {
    return (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
}

static void launch_note_reaped(launch_result_t *out, pid_t pid, int status) {
    if (!WIFEXITED(status) && !WIFSIGNALED(status)) return;
    if (out->nreaped == out->reaped_cap) {
        size_t cap = out->reaped_cap ? out->reaped_cap * 2 : 16;
        launch_reaped_t *r = realloc(out->reaped, cap * sizeof *r);
        if (!r) return;
        out->reaped = r;
        out->reaped_cap = cap;
    }
    out->reaped[out->nreaped++] = (launch_reaped_t){pid, status, launch_clock(CLOCK_MONOTONIC)};
}

int launch_wait(launch_result_t *out) {
    pid_t root = launch_child;
    int status = 0, done = 0;
    uint64_t deadline = 0;
    for (;;) {
        int st = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        pid_t p = wait4(-1, &st, done ? WNOHANG : 0, &ru);
        if (p < 0) {
            if (errno == EINTR) continue;
            break;                        /* ECHILD: nobody left */
        }
        if (p == 0) {                     /* descendants still running */
            if (launch_clock(CLOCK_MONOTONIC) >= deadline) break;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        out->cpu_ns += launch_cpu(&ru);
        if (p == root) {
            status = st;
            done = 1;
            launch_child = 0;
            out->end_mono_ns = launch_clock(CLOCK_MONOTONIC);
            deadline = out->end_mono_ns + LAUNCH_GRACE_MS * 1000000ull;
        } else {
            launch_note_reaped(out, p, st);
        }
    }
    launch_child = 0;
    if (!done) out->end_mono_ns = launch_clock(CLOCK_MONOTONIC);
    if (WIFSIGNALED(status)) {
        out->signal = WTERMSIG(status);
        out->exit_code = 128 + out->signal;
    } else {
        out->exit_code = WEXITSTATUS(status);
    }
    return 0;
}

void launch_free(launch_result_t *out) {
    free(out->reaped);
    out->reaped = NULL;
    out->nreaped = out->reaped_cap = 0;
}
