/* folded.c — see folded.h. One pass over the bytes: a line is cut at its
 * last blank into stack and count, the stack at each ';' into frames, and
 * each frame interned, so a file of a million lines that repeats a few
 * thousand frames holds each frame's text once. */
#include "folded.h"
#include "grow.h"
#include "readfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A count: digits, optionally a '.' and more digits. Returns 0 or -1. */
static int folded_count(const char *s, size_t n, double *out)
{
    double v = 0, scale = 0;
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (scale > 0) {
                scale /= 10;
                v += (c - '0') * scale;
            } else {
                v = v * 10 + (c - '0');
            }
            digits++;
        } else if (c == '.' && scale == 0 && digits) {
            scale = 1;
        } else {
            return -1;
        }
    }
    if (!digits || !(v < 1e300))
        return -1;
    *out = v;
    return 0;
}

static void folded_bad(folded_t *f, size_t lineno)
{
    if (f->bad_lines++ == 0)
        f->first_bad_line = lineno;
}

/* Parses one line (no newline, no CR). Only -ENOMEM is an error. */
static int folded_line(folded_t *f, const char *s, size_t n, size_t lineno)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n)
        return 0;
    f->lines++;
    size_t blank = n;
    while (blank > 0 && s[blank - 1] != ' ' && s[blank - 1] != '\t')
        blank--;
    double count;
    if (blank == 0 || folded_count(s + blank, n - blank, &count) < 0) {
        folded_bad(f, lineno);
        return 0;
    }
    size_t stack_len = blank - 1;
    while (stack_len && (s[stack_len - 1] == ' ' || s[stack_len - 1] == '\t'))
        stack_len--;
    folded_stack_t st = { .first = f->nframes, .depth = 0, .count = count };
    for (size_t at = 0; at < stack_len;) {
        const char *semi = memchr(s + at, ';', stack_len - at);
        size_t end = semi ? (size_t)(semi - s) : stack_len;
        if (end > at) {
            if (st.depth == FOLDED_DEPTH_MAX) {
                f->cut_stacks++;
                break;
            }
            uint32_t id;
            uint32_t *slot;
            if (strtab_intern(&f->labels, s + at, end - at, &id) < 0 ||
                !(slot = GROW_PUSH(f->frames, f->nframes, f->frames_cap)))
                return -ENOMEM;
            *slot = id;
            st.depth++;
        }
        at = end + 1;
    }
    if (!st.depth) {
        folded_bad(f, lineno);
        return 0;
    }
    folded_stack_t *slot = GROW_PUSH(f->stacks, f->nstacks, f->stacks_cap);
    if (!slot)
        return -ENOMEM;
    *slot = st;
    f->total += count;
    return 0;
}

int folded_parse(const char *data, size_t len, folded_t *f)
{
    memset(f, 0, sizeof *f);
    if (strtab_init(&f->labels) < 0)
        return -ENOMEM;
    size_t lineno = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t n = end - at;
        if (n && data[at + n - 1] == '\r')
            n--;
        int rc = folded_line(f, data + at, n, ++lineno);
        if (rc < 0)
            return rc;
        at = end + 1;
    }
    return 0;
}

int folded_load(const char *path, folded_t *f)
{
    memset(f, 0, sizeof *f);
    uint8_t *data;
    size_t size;
    int rc = readfile_load(path, FOLDED_FILE_MAX, &data, &size);
    if (rc < 0)
        return rc;
    rc = folded_parse((const char *)data, size, f);
    free(data);
    return rc;
}

void folded_free(folded_t *f)
{
    strtab_free(&f->labels);
    free(f->frames);
    free(f->stacks);
    memset(f, 0, sizeof *f);
}

void folded_split_label(const char *s, size_t len, size_t *name_len,
                        const char **file, size_t *file_len, uint32_t *line)
{
    *name_len = len;
    *file = "";
    *file_len = 0;
    *line = 0;
    if (len < 4 || s[len - 1] != ')')
        return;
    /* the first " (": names rarely hold one, paths may */
    const char *open = NULL;
    for (size_t i = 1; i + 1 < len - 1; i++) {
        if (s[i] == ' ' && s[i + 1] == '(') {
            open = s + i;
            break;
        }
    }
    if (!open)
        return;
    const char *fs = open + 2;
    size_t fl = (size_t)(s + len - 1 - fs);
    if (!fl)
        return;
    size_t colon = fl;
    while (colon > 0 && fs[colon - 1] >= '0' && fs[colon - 1] <= '9')
        colon--;
    if (colon > 1 && colon < fl && fs[colon - 1] == ':' && fl - colon <= 9) {
        uint32_t v = 0;
        for (size_t i = colon; i < fl; i++)
            v = v * 10 + (uint32_t)(fs[i] - '0');
        *line = v;
        fl = colon - 1;
    }
    *name_len = (size_t)(open - s);
    *file = fs;
    *file_len = fl;
}
