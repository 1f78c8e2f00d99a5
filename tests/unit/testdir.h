/* testdir.h — what the report tests do with a scratch report directory:
 * make one (with raw/), write raw files and run.info into it, read the
 * outputs back, count occurrences, remove it. Header-only: the helpers
 * CHECK into the including test's own failure count (check.h). */
#ifndef RADIOGRAPH_TESTDIR_H
#define RADIOGRAPH_TESTDIR_H

#include "check.h"
#include "rawbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *slurp(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(m);
    fclose(f);
    return buf;
}

static void spit(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        CHECK(0, "cannot write %s", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static void save(const char *dir, const char *name, const rawbuild_t *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/raw/%s", dir, name);
    CHECK(rawbuild_save(b, path) == 0, "cannot write %s", path);
}

static void remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static char *make_dir(void)
{
    char tmpl[] = "/tmp/radiograph-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d)
        return NULL;
    char raw[4096];
    snprintf(raw, sizeof raw, "%s/raw", d);
    mkdir(raw, 0755);
    return strdup(d);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

#endif
