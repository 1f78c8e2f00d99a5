/* json.c — the writer keeps its own 64 KiB buffer and copies runs of bytes
 * that need no escape with one memcpy, so escaping costs about a byte scan.
 * Each byte that cannot start a well-formed UTF-8 sequence (utf8.h) becomes
 * one U+FFFD. */
#include "json.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void json_init(json_t *w, FILE *out, unsigned flags)
{
    w->out = out;
    w->flags = flags;
    w->error = 0;
    w->depth = 0;
    w->first[0] = 1;
    w->after_key = 0;
    w->len = 0;
    w->cap = out ? JSON_BUF_SIZE : 256;
    w->buf = malloc(w->cap);
    if (!w->buf) {
        w->cap = 0;
        w->error = -ENOMEM;
    }
}

void json_free(json_t *w)
{
    free(w->buf);
    w->buf = NULL;
    w->cap = w->len = 0;
}

void json_reset(json_t *w)
{
    w->len = 0;
    w->depth = 0;
    w->first[0] = 1;
    w->after_key = 0;
}

const char *json_data(const json_t *w, size_t *len)
{
    *len = w->len;
    return w->buf ? w->buf : "";
}

static void json_flush(json_t *w)
{
    if (!w->out)
        return;
    if (w->len && !w->error && fwrite(w->buf, 1, w->len, w->out) != w->len)
        w->error = -EIO;
    w->len = 0;
}

/* Memory mode: room for N more bytes, or an error and no room. */
static int json_room(json_t *w, size_t n)
{
    if (w->error)
        return 0;
    if (n <= w->cap - w->len)
        return 1;
    size_t ncap = w->cap ? w->cap : 256;
    while (ncap - w->len < n) {
        if (ncap > SIZE_MAX / 2) {
            w->error = -ENOMEM;
            return 0;
        }
        ncap *= 2;
    }
    char *nb = realloc(w->buf, ncap);
    if (!nb) {
        w->error = -ENOMEM;
        return 0;
    }
    w->buf = nb;
    w->cap = ncap;
    return 1;
}

static void json_put(json_t *w, const char *s, size_t n)
{
    if (!w->out) {
        if (json_room(w, n)) {
            memcpy(w->buf + w->len, s, n);
            w->len += n;
        }
        return;
    }
    if (n > w->cap - w->len) {
        json_flush(w);
        if (n > w->cap) {
            if (!w->error && fwrite(s, 1, n, w->out) != n)
                w->error = -EIO;
            return;
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void json_putc(json_t *w, char c)
{
    if (w->len < w->cap)
        w->buf[w->len++] = c;
    else
        json_put(w, &c, 1);
}

int json_finish(json_t *w)
{
    json_flush(w);
    if (!w->error && w->depth != 0)
        w->error = -EINVAL;
    return w->error;
}

/* Comma before a value or key, unless it is the first in its container or
 * the value of a key. */
static void json_sep(json_t *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth])
        json_putc(w, ',');
    w->first[w->depth] = 0;
}

static void json_open(json_t *w, char c)
{
    json_sep(w);
    json_putc(w, c);
    if (w->depth + 1 >= JSON_DEPTH_MAX) {
        w->error = w->error ? w->error : -EINVAL;
        return;
    }
    w->first[++w->depth] = 1;
}

static void json_close(json_t *w, char c)
{
    if (w->depth == 0) {
        w->error = w->error ? w->error : -EINVAL;
        return;
    }
    w->depth--;
    json_putc(w, c);
}

void json_object_begin(json_t *w) { json_open(w, '{'); }
void json_object_end(json_t *w) { json_close(w, '}'); }
void json_array_begin(json_t *w) { json_open(w, '['); }
void json_array_end(json_t *w) { json_close(w, ']'); }

/* 1 for bytes that cannot be copied as they are. */
static unsigned char json_special[256];
static unsigned char json_special_html[256];

static void json_tables(void)
{
    static int ready;
    if (ready)
        return;
    for (unsigned c = 0; c < 256; c++) {
        json_special[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
        json_special_html[c] = json_special[c] || c == '<' || c == '>' || c == '&';
    }
    ready = 1;
}

void json_string_part(json_t *w, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    json_tables();
    const unsigned char *special = (w->flags & JSON_HTML_SAFE) ? json_special_html
                                                                : json_special;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && !special[s[j]])
            j++;
        if (j > i)
            json_put(w, (const char *)s + i, j - i);
        if (j == n)
            break;
        unsigned char c = s[j];
        i = j + 1;
        if (c >= 0x80) {
            size_t l = utf8_seq_len(s + j, n - j);
            if (l == 0) {
                json_put(w, "\xef\xbf\xbd", 3);       /* U+FFFD */
                continue;
            }
            if ((w->flags & JSON_HTML_SAFE) && l == 3 && c == 0xe2 &&
                s[j + 1] == 0x80 && (s[j + 2] == 0xa8 || s[j + 2] == 0xa9)) {
                json_put(w, s[j + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
            } else {
                json_put(w, (const char *)s + j, l);
            }
            i = j + l;
            continue;
        }
        switch (c) {
        case '"':  json_put(w, "\\\"", 2); break;
        case '\\': json_put(w, "\\\\", 2); break;
        case '\n': json_put(w, "\\n", 2); break;
        case '\r': json_put(w, "\\r", 2); break;
        case '\t': json_put(w, "\\t", 2); break;
        case '\b': json_put(w, "\\b", 2); break;
        case '\f': json_put(w, "\\f", 2); break;
        default: {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            json_put(w, u, 6);
        }
        }
    }
}

void json_string_begin(json_t *w)
{
    json_sep(w);
    json_putc(w, '"');
}

void json_string_end(json_t *w)
{
    json_putc(w, '"');
}

void json_string(json_t *w, const char *s, size_t len)
{
    json_string_begin(w);
    json_string_part(w, s, len);
    json_string_end(w);
}

void json_cstring(json_t *w, const char *s)
{
    json_string(w, s, strlen(s));
}

void json_key(json_t *w, const char *key)
{
    json_string(w, key, strlen(key));
    json_putc(w, ':');
    w->after_key = 1;
}

/* Decimal digits of V into the end of BUF; returns the start. */
static char *json_digits(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void json_uint(json_t *w, uint64_t v)
{
    char buf[24], *e = buf + sizeof buf;
    char *s = json_digits(e, v);
    json_sep(w);
    json_put(w, s, (size_t)(e - s));
}

void json_int(json_t *w, int64_t v)
{
    char buf[24], *e = buf + sizeof buf;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *s = json_digits(e, u);
    if (v < 0)
        *--s = '-';
    json_sep(w);
    json_put(w, s, (size_t)(e - s));
}

size_t json_format_milli(char *out, int64_t v)
{
    char buf[JSON_NUMBER_MAX], *e = buf + sizeof buf;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    unsigned frac = (unsigned)(u % 1000);
    char *s = e;
    if (frac) {
        int digits = 3;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        for (int d = 0; d < digits; d++) {
            *--s = (char)('0' + frac % 10);
            frac /= 10;
        }
        *--s = '.';
    }
    s = json_digits(s, u / 1000);
    if (v < 0)
        *--s = '-';
    size_t n = (size_t)(e - s);
    memcpy(out, s, n);
    return n;
}

void json_milli(json_t *w, int64_t v)
{
    char buf[JSON_NUMBER_MAX];
    size_t n = json_format_milli(buf, v);
    json_sep(w);
    json_put(w, buf, n);
}

void json_int_or_null(json_t *w, int has, int64_t v)
{
    if (has)
        json_int(w, v);
    else
        json_null(w);
}

void json_uint_or_null(json_t *w, int has, uint64_t v)
{
    if (has)
        json_uint(w, v);
    else
        json_null(w);
}

void json_double(json_t *w, double v)
{
    if (!isfinite(v)) {
        json_null(w);
        return;
    }
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.15g", v);
    /* %.15g may round a value that needs 16-17 digits; then use %.17g */
    double back;
    if (sscanf(buf, "%lf", &back) != 1 || back != v)
        n = snprintf(buf, sizeof buf, "%.17g", v);
    json_sep(w);
    json_put(w, buf, (size_t)n);
}

void json_null(json_t *w)
{
    json_sep(w);
    json_put(w, "null", 4);
}

void json_bool(json_t *w, int v)
{
    json_sep(w);
    json_put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_raw(json_t *w, const char *s, size_t len)
{
    json_put(w, s, len);
}

void json_value_raw(json_t *w, const char *s, size_t len)
{
    json_sep(w);
    json_put(w, s, len);
}
