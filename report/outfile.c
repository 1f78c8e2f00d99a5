/* outfile.c — temp file + rename, the standard way to replace a file
 * atomically on POSIX file systems. No fsync: a report is re-renderable from
 * raw/, and syncing a few hundred MB of timeline would cost more than the
 * render itself. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *outfile_join(const char *dir, const char *a, const char *b, const char *c)
{
    size_t n = strlen(dir) + strlen(a) + strlen(b) + strlen(c) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s%s%s", dir, a, b, c);
    return s;
}

int outfile_open(outfile_t *o, const char *dir, const char *name)
{
    memset(o, 0, sizeof *o);
    char pid[24];
    snprintf(pid, sizeof pid, ".tmp-%ld", (long)getpid());
    o->final_path = outfile_join(dir, "", name, "");
    o->tmp_path = outfile_join(dir, ".", name, pid);
    if (!o->final_path || !o->tmp_path) {
        outfile_abort(o);
        return -ENOMEM;
    }
    int fd = open(o->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        outfile_abort(o);
        return -e;
    }
    o->fp = fdopen(fd, "w");
    if (!o->fp) {
        int e = errno;
        close(fd);
        unlink(o->tmp_path);
        outfile_abort(o);
        return -e;
    }
    setvbuf(o->fp, NULL, _IOFBF, 1 << 16);
    return 0;
}

int outfile_commit(outfile_t *o)
{
    int rc = 0;
    if (fflush(o->fp) != 0 || ferror(o->fp))
        rc = -(errno ? errno : EIO);
    if (fclose(o->fp) != 0 && rc == 0)
        rc = -(errno ? errno : EIO);
    o->fp = NULL;
    if (rc == 0 && rename(o->tmp_path, o->final_path) != 0)
        rc = -errno;
    if (rc < 0)
        unlink(o->tmp_path);
    free(o->tmp_path);
    free(o->final_path);
    o->tmp_path = o->final_path = NULL;
    return rc;
}

void outfile_abort(outfile_t *o)
{
    if (o->fp) {
        fclose(o->fp);
        o->fp = NULL;
        if (o->tmp_path)
            unlink(o->tmp_path);
    }
    free(o->tmp_path);
    free(o->final_path);
    o->tmp_path = o->final_path = NULL;
}
