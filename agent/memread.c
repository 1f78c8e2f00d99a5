/* memread.c — see memread.h. One syscall per read; callers batch by reading
 * whole structures rather than single fields. */
#include "memread.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static pid_t memread_pid;
static __thread int memread_trusted __attribute__((tls_model("initial-exec")));

void memread_direct(int on) {
    memread_trusted = on;
}

int memread_init(void) {
    memread_pid = getpid();
    pid_t out = 0;
    return memread_copy(&out, (uintptr_t)&memread_pid, sizeof out) == 0 && out == memread_pid ? 0 : -1;
}

int memread_copy(void *buf, uintptr_t addr, size_t len) {
    if (addr < 4096 || len == 0) return -1;
    if (memread_trusted) {
        memcpy(buf, (const void *)addr, len);
        return 0;
    }
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)addr, len};
    int saved = errno;
    ssize_t n = process_vm_readv(memread_pid, &local, 1, &remote, 1, 0);
    errno = saved;
    return n == (ssize_t)len ? 0 : -1;
}

long memread_vector(const struct iovec *local, const struct iovec *remote, int n) {
    if (memread_trusted) {
        long got = 0;
        for (int i = 0; i < n; i++) {
            if ((uintptr_t)remote[i].iov_base < 4096 || local[i].iov_len != remote[i].iov_len)
                return got ? got : -1;
            memcpy(local[i].iov_base, remote[i].iov_base, remote[i].iov_len);
            got += (long)remote[i].iov_len;
        }
        return got;
    }
    int saved = errno;
    ssize_t got = process_vm_readv(memread_pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
    errno = saved;
    return (long)got;
}

int memread_word(uintptr_t addr, uintptr_t *out) {
    return memread_copy(out, addr, sizeof *out);
}
