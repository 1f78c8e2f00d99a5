/* srcline.c — whole-file reads into memory, then a line-offset index built
 * with memchr. The total read is also capped (SRCLINE_TOTAL_MAX), so a report
 * over thousands of big source files cannot take minutes. */
#include "srcline.h"
#include "grow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SRCLINE_TOTAL_MAX (256u << 20)

void srcline_init(srcline_cache_t *c)
{
    memset(c, 0, sizeof *c);
    keymap_init(&c->index);
}

void srcline_free(srcline_cache_t *c)
{
    for (size_t i = 0; i < c->nfiles; i++) {
        free(c->files[i].text);
        free(c->files[i].line_off);
    }
    free(c->files);
    keymap_free(&c->index);
    memset(c, 0, sizeof *c);
}

/* Reads PATH into F if it is a plain regular file within the size caps. */
static int srcline_read(srcline_cache_t *c, const char *path, srcline_file_t *f)
{
    if (path[0] == '\0' || path[0] == '<')
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SRCLINE_FILE_MAX ||
        c->bytes_read + (size_t)st.st_size > SRCLINE_TOTAL_MAX) {
        close(fd);
        return 0;
    }
    size_t cap = (size_t)st.st_size, len = 0;
    char *text = malloc(cap + 1);
    if (!text) {
        close(fd);
        return -ENOMEM;
    }
    while (len < cap) {
        ssize_t r = read(fd, text + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    c->bytes_read += len;
    size_t nlines = 0, lcap = 0;
    uint32_t *off = NULL;
    for (size_t at = 0; at <= len;) {
        uint32_t *slot = GROW_PUSH(off, nlines, lcap);
        if (!slot) {
            free(off);
            free(text);
            return -ENOMEM;
        }
        *slot = (uint32_t)at;
        const char *nl = at < len ? memchr(text + at, '\n', len - at) : NULL;
        if (!nl)
            break;
        at = (size_t)(nl - text) + 1;
    }
    text[len] = '\0';
    f->text = text;
    f->len = len;
    f->line_off = off;
    f->nlines = nlines;
    return 0;
}

static int srcline_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' ||
           ch == '\v';
}

int srcline_get(srcline_cache_t *c, uint32_t key, const char *path, uint32_t line,
                const char **text, size_t *len)
{
    *text = "";
    *len = 0;
    if (line == 0)
        return 0;
    uint32_t fi;
    int rc = keymap_intern(&c->index, key, 0, (uint32_t)c->nfiles, &fi);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        srcline_file_t *f = GROW_PUSH(c->files, c->nfiles, c->cap);
        if (!f)
            return -ENOMEM;   /* the index now names a missing file: harmless, */
        memset(f, 0, sizeof *f);   /* lookups check fi < nfiles */
        if ((rc = srcline_read(c, path, f)) < 0)
            return rc;
    }
    if (fi >= c->nfiles)
        return 0;
    const srcline_file_t *f = &c->files[fi];
    if (!f->text || line > f->nlines)
        return 0;
    size_t s = f->line_off[line - 1];
    size_t e = line < f->nlines ? f->line_off[line] : f->len;
    while (s < e && srcline_space(f->text[s]))
        s++;
    while (e > s && srcline_space(f->text[e - 1]))
        e--;
    if (e - s > SRCLINE_LINE_MAX) {
        e = s + SRCLINE_LINE_MAX;
        /* back up to the start of a UTF-8 character */
        while (e > s && ((unsigned char)f->text[e] & 0xc0) == 0x80)
            e--;
    }
    *text = f->text + s;
    *len = e - s;
    return 0;
}
