/* outdir.c — see outdir.h. */
#include "outdir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int outdir_make(const char *dir) {
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* "PARENT/STAMP" for K == 1, "PARENT/STAMP-K" after. */
static void outdir_name(const char *parent, const char *stamp, int k, char *dir, size_t dirlen) {
    if (k == 1) snprintf(dir, dirlen, "%s/%s", parent, stamp);
    else snprintf(dir, dirlen, "%s/%s-%d", parent, stamp, k);
}

static void outdir_stamp(char *stamp, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, cap, "%Y-%m-%dT%H-%M-%S", &tm);
}

void outdir_default(const char *parent, char *dir, size_t dirlen) {
    if (!dir || !dirlen) return;
    char stamp[64];
    outdir_stamp(stamp, sizeof stamp);
    outdir_name(parent, stamp, 1, dir, dirlen);
    for (int i = 2; i < 1000 && access(dir, F_OK) == 0; i++) outdir_name(parent, stamp, i, dir, dirlen);
}

int outdir_claim(const char *dir) {
    char raw[PATH_MAX];
    if (snprintf(raw, sizeof raw, "%s/raw", dir) >= (int)sizeof raw) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (outdir_make(dir) != 0) return -1;
    return mkdir(raw, 0755);   /* exclusive: EEXIST if it is another run's */
}

int outdir_claim_default(const char *parent, char *dir, size_t dirlen) {
    char stamp[64];
    outdir_stamp(stamp, sizeof stamp);
    if (outdir_make(parent) != 0) return -1;
    for (int k = 1; k < 1000; k++) {
        outdir_name(parent, stamp, k, dir, dirlen);
        if (mkdir(dir, 0755) == 0) return outdir_claim(dir);
        if (errno != EEXIST) return -1;
    }
    errno = EEXIST;
    return -1;
}
