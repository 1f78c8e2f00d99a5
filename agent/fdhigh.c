/* fdhigh.c — see fdhigh.h. */
#include "fdhigh.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

int fdhigh_move(int fd) {
    if (fd < 0) return -1;
    int saved = errno;
    struct rlimit r;
    long top = FDHIGH_CEIL;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY && r.rlim_cur < (rlim_t)top)
        top = (long)r.rlim_cur;
    if (top < 8 || fd >= top / 2) {
        errno = saved;
        return fd;
    }
    int high = -1;
    for (long n = top - 1; n >= top / 2 && high < 0; n--) {
        if (fcntl((int)n, F_GETFD) != -1 || errno != EBADF) continue;   /* taken */
        high = fcntl(fd, F_DUPFD_CLOEXEC, (int)n);   /* n, or the next free above */
    }
    close(fd);
    errno = saved;
    return high;
}
