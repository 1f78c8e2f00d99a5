/* srcline.c — whole-file reads into memory, then a line-offset index built
 * with memchr. The total read is also capped (SRCLINE_TOTAL_MAX), so a report
 * over thousands of big source files cannot take minutes. A frame's file
 * name comes from the raw data, which may come from someone else: only a
 * Python source file is read (srcline.h says what that is), so a frame
 * naming /etc/shadow or ~/.ssh/id_rsa puts nothing of it into the page. */
#include "srcline.h"
#include "grow.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

/* NAME ends in .py or .pyw. */
static int srcline_python_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 3 && strcmp(name + n - 3, ".py") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".pyw") == 0);
}

/* What FD really is once every symlink on the way was followed is named
 * like Python source too: `x.py -> /etc/shadow` is not source. */
static int srcline_python_target(int fd)
{
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0 || (size_t)n >= sizeof target - 1)
        return 0;
    target[n] = '\0';
    return srcline_python_name(target);
}

/* The text is UTF-8 (PEP 3120; a BOM is allowed), or line 1 or 2 declares
 * another coding (PEP 263), and has no NUL byte (which Python rejects in
 * source). */
static int srcline_python_text(const char *text, size_t len)
{
    if (memchr(text, '\0', len))
        return 0;
    const unsigned char *p = (const unsigned char *)text;
    size_t at = len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (at < len) {
        size_t k = utf8_seq_len(p + at, len - at);
        if (!k)
            break;
        at += k;
    }
    if (at == len)
        return 1;
    /* PEP 263: line 1 or 2 is a comment with "coding[:=]" in it */
    size_t start = 0;
    for (int line = 0; line < 2 && start < len; line++) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t i = start;
        while (i < end && (text[i] == ' ' || text[i] == '\t' || text[i] == '\f'))
            i++;
        if (i < end && text[i] == '#') {
            const char *c = memmem(text + i, end - i, "coding", 6);
            size_t k = c ? (size_t)(c - text) + 6 : end;
            if (k < end && (text[k] == ':' || text[k] == '='))
                return 1;
        }
        start = end + 1;
    }
    return 0;
}

/* Reads PATH into F if it is a Python source file (srcline.h) within the
 * size caps; anything else is left unread. */
static int srcline_read(srcline_cache_t *c, const char *path, srcline_file_t *f)
{
    if (path[0] == '\0' || path[0] == '<' || !srcline_python_name(path))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SRCLINE_FILE_MAX ||
        c->bytes_read + (size_t)st.st_size > SRCLINE_TOTAL_MAX || !srcline_python_target(fd)) {
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
    if (!srcline_python_text(text, len)) {
        free(text);
        return 0;
    }
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
