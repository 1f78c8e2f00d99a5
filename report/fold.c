/* fold.c — because the tree is in pre-order, the path of the node being
 * visited always extends a prefix of the previous node's path: truncate the
 * path buffer to the parent's length, append one label, and the line is
 * ready; labels are built once per frame. The lines are then sorted in byte
 * order (pre-order is almost that order, but not when one label is a prefix
 * of another), which costs memory the size of the file. */
#include "fold.h"
#include "grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int fold_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (grow_array((void **)buf, cap, *len + n + 1, 1) < 0)
        return -ENOMEM;
    memcpy(*buf + *len, s, n);
    *len += n;
    return 0;
}

/* Appends S, sanitised: ';' -> ':', control characters -> ' '. */
static int fold_append_clean(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    size_t at = *len;
    if (fold_append(buf, len, cap, s, n) < 0)
        return -ENOMEM;
    for (char *p = *buf + at, *e = *buf + *len; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ';')
            *p = ':';
        else if (c < 0x20 || c == 0x7f)
            *p = ' ';
    }
    return 0;
}

int fold_label(const model_t *m, uint32_t f, char **buf, size_t *len, size_t *cap)
{
    const model_frame_t *fr = &m->frames[f];
    size_t nl, fl;
    const char *name = model_str(m, fr->name, &nl);
    const char *file = model_str(m, fr->file, &fl);
    if (fold_append_clean(buf, len, cap, name, nl) < 0)
        return -ENOMEM;
    if (fr->kind != MODEL_FRAME_PYTHON || fl == 0)
        return 0;
    char num[16];
    int nn = fr->line ? snprintf(num, sizeof num, ":%u)", fr->line) : snprintf(num, sizeof num, ")");
    if (fold_append(buf, len, cap, " (", 2) < 0 ||
        fold_append_clean(buf, len, cap, file, fl) < 0 ||
        fold_append(buf, len, cap, num, (size_t)nn) < 0)
        return -ENOMEM;
    return 0;
}

typedef struct fold_line {
    size_t off, len;         /* in the text buffer, without the newline */
} fold_line_t;

/* Byte order, as `LC_ALL=C sort` orders lines. */
static int fold_cmp_line(const void *a, const void *b, void *ctx)
{
    const char *text = ctx;
    const fold_line_t *x = a, *y = b;
    int c = memcmp(text + x->off, text + y->off, x->len < y->len ? x->len : y->len);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

int fold_write(FILE *out, const model_t *m, const calltree_t *t)
{
    if (!t->finished)
        return -EINVAL;
    size_t n = t->n;
    /* every frame's label, built on first use */
    size_t *loff = malloc((m->nframes + 1) * sizeof *loff);
    size_t *llen = malloc((m->nframes + 1) * sizeof *llen);
    size_t *plen = malloc((n + 1) * sizeof *plen);       /* path length per node */
    uint64_t *self_of = malloc((n + 1) * sizeof *self_of);
    char *labels = NULL, *path = NULL, *text = NULL;
    size_t lab_len = 0, lab_cap = 0, path_len = 0, path_cap = 0, text_len = 0, text_cap = 0;
    fold_line_t *lines = NULL;
    size_t nlines = 0, lines_cap = 0;
    int rc = 0;
    if (!loff || !llen || !plen || !self_of) {
        rc = -ENOMEM;
        goto out;
    }
    calltree_self(t, self_of);
    for (size_t i = 0; i < m->nframes; i++)
        llen[i] = SIZE_MAX;
    plen[0] = 0;
    for (size_t v = 1; v < n && rc == 0; v++) {
        uint32_t f = t->frame[v];
        if (llen[f] == SIZE_MAX) {
            loff[f] = lab_len;
            if ((rc = fold_label(m, f, &labels, &lab_len, &lab_cap)) < 0)
                break;
            llen[f] = lab_len - loff[f];
        }
        path_len = plen[t->parent[v]];
        if (path_len && (rc = fold_append(&path, &path_len, &path_cap, ";", 1)) < 0)
            break;
        if ((rc = fold_append(&path, &path_len, &path_cap, labels + loff[f], llen[f])) < 0)
            break;
        plen[v] = path_len;
        uint64_t self = self_of[v];
        if (self == 0)
            continue;
        char num[32];
        int nn = snprintf(num, sizeof num, " %llu\n", (unsigned long long)self);
        fold_line_t *ln = GROW_PUSH(lines, nlines, lines_cap);
        if (!ln) {
            rc = -ENOMEM;
            break;
        }
        ln->off = text_len;
        ln->len = path_len + (size_t)nn - 1;
        if ((rc = fold_append(&text, &text_len, &text_cap, path, path_len)) < 0 ||
            (rc = fold_append(&text, &text_len, &text_cap, num, (size_t)nn)) < 0)
            break;
    }
    if (rc == 0 && nlines > 1)
        qsort_r(lines, nlines, sizeof *lines, fold_cmp_line, text);
    for (size_t i = 0; i < nlines && rc == 0; i++)
        if (fwrite(text + lines[i].off, 1, lines[i].len + 1, out) != lines[i].len + 1)
            rc = -EIO;
out:
    free(loff);
    free(llen);
    free(plen);
    free(self_of);
    free(labels);
    free(path);
    free(text);
    free(lines);
    return rc;
}
