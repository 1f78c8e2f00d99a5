/* outfile.c — temp file + rename, the standard way to replace a file
 * atomically on POSIX file systems. No fsync: a report is re-renderable from
 * raw/, and syncing a few hundred MB of timeline would cost more than the
 * render itself.
 *
 * The directory may have been prepared by someone else, so the temporary
 * name is never predictable and never an existing file: a random suffix,
 * created with O_CREAT | O_EXCL | O_NOFOLLOW (a planted symlink or file of
 * that name makes the open fail, and another name is drawn). rename() never
 * follows a symlink at the final name either: it replaces the link.
 *
 * The stream writes through a cookie that keeps the first write's errno, so
 * a full disk is reported as "No space left on device" and a file-size limit
 * as "File too large", whatever the writer above it made of the failure. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define OUTFILE_TRIES 64

struct outfile_sink {
    int fd;
    int error;               /* errno of the first failed write, or 0 */
};

static ssize_t outfile_sink_write(void *cookie, const char *buf, size_t n)
{
    struct outfile_sink *s = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(s->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!s->error)
                s->error = w < 0 ? errno : ENOSPC;
            errno = s->error;
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static int outfile_sink_close(void *cookie)
{
    struct outfile_sink *s = cookie;
    int rc = close(s->fd);
    if (rc != 0 && !s->error)
        s->error = errno;
    return rc;
}

static char *outfile_join(const char *dir, const char *a, const char *b, const char *c)
{
    size_t n = strlen(dir) + strlen(a) + strlen(b) + strlen(c) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s%s%s", dir, a, b, c);
    return s;
}

/* 64 unpredictable bits (the kernel's; a clock mix only if it has none). */
static uint64_t outfile_random(void)
{
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
        return r;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec << 20 ^
        (uint64_t)getpid() << 40 ^ (uint64_t)(uintptr_t)&ts;
    return r;
}

/* Creates "DIR/.NAME.<random>.tmp" exclusively, never through a symlink; a
 * name that exists is never reused, another is drawn. Returns the
 * descriptor and the path in *TMP_PATH, or a negative errno. */
static int outfile_create_tmp(const char *dir, const char *name, mode_t mode, char **tmp_path)
{
    *tmp_path = NULL;
    for (int i = 0; i < OUTFILE_TRIES; i++) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, ".%016llx.tmp", (unsigned long long)outfile_random());
        char *path = outfile_join(dir, ".", name, suffix);
        if (!path)
            return -ENOMEM;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0) {
            *tmp_path = path;
            return fd;
        }
        int e = errno;
        free(path);
        if (e != EEXIST)
            return -e;
    }
    return -EEXIST;
}

int outfile_open(outfile_t *o, const char *dir, const char *name)
{
    memset(o, 0, sizeof *o);
    o->final_path = outfile_join(dir, "", name, "");
    o->sink = malloc(sizeof *o->sink);
    if (!o->final_path || !o->sink) {
        outfile_abort(o);
        return -ENOMEM;
    }
    int fd = outfile_create_tmp(dir, name, 0644, &o->tmp_path);
    if (fd < 0) {
        outfile_abort(o);
        return fd;
    }
    o->sink->fd = fd;
    o->sink->error = 0;
    cookie_io_functions_t io = { .write = outfile_sink_write, .close = outfile_sink_close };
    o->fp = fopencookie(o->sink, "w", io);
    if (!o->fp) {
        int e = errno ? errno : ENOMEM;
        close(fd);
        outfile_abort(o);
        return -e;
    }
    setvbuf(o->fp, NULL, _IOFBF, 1 << 16);
    return 0;
}

/* The sink's own error if it had one, else RC. */
static int outfile_cause(const outfile_t *o, int rc)
{
    return o->sink && o->sink->error ? -o->sink->error : rc;
}

static void outfile_release(outfile_t *o)
{
    free(o->tmp_path);
    free(o->final_path);
    free(o->sink);
    o->tmp_path = o->final_path = NULL;
    o->sink = NULL;
}

int outfile_commit(outfile_t *o)
{
    int rc = 0;
    if (fflush(o->fp) != 0 || ferror(o->fp))
        rc = -(errno ? errno : EIO);
    if (fclose(o->fp) != 0 && rc == 0)
        rc = -(errno ? errno : EIO);
    o->fp = NULL;
    if (rc < 0)
        rc = outfile_cause(o, rc);
    if (rc == 0 && rename(o->tmp_path, o->final_path) != 0)
        rc = -errno;
    if (rc < 0)
        unlink(o->tmp_path);
    outfile_release(o);
    return rc;
}

void outfile_abort(outfile_t *o)
{
    if (o->fp) {
        fclose(o->fp);
        o->fp = NULL;
    }
    if (o->tmp_path)
        unlink(o->tmp_path);
    outfile_release(o);
}

int outfile_finish(outfile_t *o, int rc)
{
    if (rc == 0)
        return outfile_commit(o);
    if (o->fp)
        fflush(o->fp);   /* a failure still in the buffer names its cause too */
    rc = outfile_cause(o, rc);
    outfile_abort(o);
    return rc;
}

const char *outfile_why(int err, char *buf, size_t cap)
{
    struct rlimit r;
    if (err == EFBIG && getrlimit(RLIMIT_FSIZE, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
        snprintf(buf, cap, "%s (the file-size limit, ulimit -f, is %llu bytes)", strerror(err),
                 (unsigned long long)r.rlim_cur);
    else
        snprintf(buf, cap, "%s", strerror(err));
    return buf;
}
