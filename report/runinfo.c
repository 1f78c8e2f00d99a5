/* runinfo.c — line-by-line key=value parsing with the CLI's escapes (`\n`
 * for a newline inside an argument, `\\` for a backslash). */
#include "runinfo.h"
#include "readfile.h"
#include "grow.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A decimal u64 of exactly the N bytes at S, or -1. */
static int runinfo_number(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static char *runinfo_unescape(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == '\\')) {
            *o++ = s[i + 1] == 'n' ? '\n' : '\\';
            i++;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* `reaped=PID STATUS T`: three numbers separated by one space. */
static int runinfo_reaped(runinfo_t *ri, const char *v, size_t n)
{
    uint64_t num[3];
    size_t at = 0;
    for (int k = 0; k < 3; k++) {
        const char *sp = k < 2 ? memchr(v + at, ' ', n - at) : NULL;
        size_t len = sp ? (size_t)(sp - (v + at)) : n - at;
        if ((k < 2 && !sp) || runinfo_number(v + at, len, &num[k]) != 0) {
            ri->bad_lines++;
            return 0;
        }
        at += len + 1;
    }
    if (num[0] == 0 || num[0] > UINT32_MAX || num[1] > INT_MAX) {
        ri->bad_lines++;
        return 0;
    }
    runinfo_reaped_t *r = GROW_PUSH(ri->reaped, ri->nreaped, ri->reaped_cap);
    if (!r)
        return -ENOMEM;
    r->pid = (uint32_t)num[0];
    r->status = (int)num[1];
    r->t_ns = num[2];
    return 0;
}

static int runinfo_line(runinfo_t *ri, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    if (n == 0)
        return 0;
    const char *eq = memchr(s, '=', n);
    if (!eq) {
        ri->bad_lines++;
        return 0;
    }
    size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
    const char *v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(s, k, klen) == 0)
    if (KEY("arg") || KEY("note")) {
        char *a = runinfo_unescape(v, vlen);
        char **slot = !a ? NULL : KEY("arg") ? GROW_PUSH(ri->argv, ri->argc, ri->argv_cap)
                                             : GROW_PUSH(ri->notes, ri->nnotes, ri->notes_cap);
        if (!slot) {
            free(a);
            return -ENOMEM;
        }
        *slot = a;
        return 0;
    }
    if (KEY("radiograph_version")) {
        char *a = runinfo_unescape(v, vlen);
        if (!a)
            return -ENOMEM;
        free(ri->radiograph_version);
        ri->radiograph_version = a;
        return 0;
    }
    if (KEY("reaped"))
        return runinfo_reaped(ri, v, vlen);
    uint64_t num = 0;
    int ok = runinfo_number(v, vlen, &num) == 0;
    if (KEY("start_real_ns") && ok)
        ri->start_real_ns = num, ri->has_start_real = 1;
    else if (KEY("start_mono_ns") && ok)
        ri->start_mono_ns = num, ri->has_start_mono = 1;
    else if (KEY("end_mono_ns") && ok)
        ri->end_mono_ns = num, ri->has_end_mono = 1;
    else if (KEY("cpu_ns") && ok)
        ri->cpu_ns = num, ri->has_cpu = 1;
    else if (KEY("exit_code") && ok && num <= INT_MAX)
        ri->exit_code = (int)num, ri->has_exit_code = 1;
    else if (KEY("signal") && ok && num <= INT_MAX)
        ri->signal = (int)num, ri->has_signal = 1;
    else if (KEY("sample_interval_us") && ok && num > 0 && num <= UINT32_MAX)
        ri->sample_interval_us = (uint32_t)num, ri->has_interval = 1;
    else if (KEY("start_real_ns") || KEY("start_mono_ns") || KEY("end_mono_ns") ||
             KEY("cpu_ns") || KEY("exit_code") || KEY("signal") ||
             KEY("sample_interval_us"))
        ri->bad_lines++;
#undef KEY
    return 0;
}

int runinfo_parse(const char *text, size_t len, runinfo_t *ri)
{
    memset(ri, 0, sizeof *ri);
    ri->present = 1;
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        int rc = runinfo_line(ri, text, n);
        if (rc < 0)
            return rc;
        text += n + (nl != NULL);
        len -= n + (nl != NULL);
    }
    return 0;
}

int runinfo_load(const char *path, runinfo_t *ri)
{
    memset(ri, 0, sizeof *ri);
    uint8_t *buf;
    size_t len;
    int rc = readfile_load(path, RUNINFO_SIZE_MAX, &buf, &len);
    if (rc < 0)
        return rc;
    rc = runinfo_parse((const char *)buf, len, ri);
    free(buf);
    return rc;
}

void runinfo_free(runinfo_t *ri)
{
    for (size_t i = 0; i < ri->argc; i++)
        free(ri->argv[i]);
    free(ri->argv);
    for (size_t i = 0; i < ri->nnotes; i++)
        free(ri->notes[i]);
    free(ri->notes);
    free(ri->radiograph_version);
    free(ri->reaped);
    memset(ri, 0, sizeof *ri);
}
