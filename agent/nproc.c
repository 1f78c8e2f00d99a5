/* nproc.c — see nproc.h. */
#include "nproc.h"

#include "sampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

int nproc_create(nproc_create_t create, pthread_t *t, const pthread_attr_t *attr,
                 void *(*fn)(void *), void *arg) {
    int rc = create(t, attr, fn, arg);
    if (rc == EAGAIN && sampler_release() == 0) rc = create(t, attr, fn, arg);
    return rc;
}

/* fork() counts against the same limit: os.fork, multiprocessing's fork
 * start method. (vfork and posix_spawn, which subprocess uses, cannot be
 * wrapped safely and are left alone.) */
__attribute__((visibility("default"))) pid_t fork(void) {
    static pid_t (*real_fork)(void);
    if (!real_fork) real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
    if (!real_fork) {
        errno = ENOSYS;
        return -1;
    }
    pid_t pid = real_fork();
    if (pid < 0 && errno == EAGAIN && sampler_release() == 0) pid = real_fork();
    return pid;
}
