/* json.h — a streaming JSON writer, used for summary.json, timeline.json
 * and the document embedded in index.html.
 *
 * Strings are arbitrary bytes from the profiled program: every control
 * character is escaped, and bytes that are not valid UTF-8 become U+FFFD, so
 * the output is always valid JSON in valid UTF-8. JSON_HTML_SAFE also escapes
 * <, >, & and U+2028/U+2029, so the document can sit inside a <script>
 * element (no "</script>", no "<!--") and be evaluated as JavaScript.
 *
 * Commas and colons are inserted by the writer; errors are sticky and
 * reported once by json_finish. */
#ifndef RADIOGRAPH_JSON_H
#define RADIOGRAPH_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_HTML_SAFE 1u
#define JSON_DEPTH_MAX 64u
#define JSON_BUF_SIZE 65536u
#define JSON_NUMBER_MAX 32u        /* bytes json_format_milli may write */

typedef struct json {
    FILE *out;                      /* NULL: writing to memory */
    unsigned flags;
    int error;                      /* first error, negative errno */
    unsigned depth;
    unsigned char first[JSON_DEPTH_MAX];   /* no member written yet at this depth */
    int after_key;                  /* a key was written, its value is next */
    char *buf;
    size_t len, cap;
} json_t;

/* Starts writing to OUT (not owned; NULL: to a growing memory buffer, see
 * json_data) with FLAGS (0 or JSON_HTML_SAFE). Allocation failures surface
 * as -ENOMEM from json_finish. Release with json_free. */
void json_init(json_t *w, FILE *out, unsigned flags);

/* Flushes the buffer to the FILE (not fflush). Returns 0 or the first error
 * (-EIO on a failed write, -ENOMEM, -EINVAL on unbalanced nesting). */
int json_finish(json_t *w);

/* Frees the writer's buffer (not the FILE). */
void json_free(json_t *w);

/* In memory mode: the bytes written so far (*LEN of them; not
 * NUL-terminated), owned by W. */
const char *json_data(const json_t *w, size_t *len);

/* In memory mode: forgets the output and the nesting, keeps the buffer. */
void json_reset(json_t *w);

void json_object_begin(json_t *w);
void json_object_end(json_t *w);
void json_array_begin(json_t *w);
void json_array_end(json_t *w);

/* A member name inside an object; KEY is a NUL-terminated string. */
void json_key(json_t *w, const char *key);

/* Values. */
void json_string(json_t *w, const char *s, size_t len);
void json_cstring(json_t *w, const char *s);
void json_int(json_t *w, int64_t v);
void json_uint(json_t *w, uint64_t v);
void json_double(json_t *w, double v);   /* shortest of %.15g; NaN/inf -> null */
void json_null(json_t *w);
/* The value if HAS, else null: for figures that may be unknown. */
void json_int_or_null(json_t *w, int has, int64_t v);
void json_uint_or_null(json_t *w, int has, uint64_t v);
void json_bool(json_t *w, int v);

/* V / 1000 with up to three decimals and no trailing zeros ("12.5" for
 * 12500): nanoseconds as microseconds, or microseconds as milliseconds,
 * without going through floating point. */
void json_milli(json_t *w, int64_t v);

/* A string value written in pieces: json_string_begin, any number of
 * json_string_part (each escaped like json_string; a UTF-8 sequence must not
 * be split across parts), json_string_end. */
void json_string_begin(json_t *w);
void json_string_part(json_t *w, const char *s, size_t len);
void json_string_end(json_t *w);

/* Raw bytes, not escaped and with no separator: white space between
 * values, or a trusted fragment the caller separates itself. */
void json_raw(json_t *w, const char *s, size_t len);

/* A trusted, complete JSON value given as bytes (separator added). */
void json_value_raw(json_t *w, const char *s, size_t len);

/* Formats V / 1000 as json_milli does into OUT (at least JSON_NUMBER_MAX
 * bytes); returns the length. */
size_t json_format_milli(char *out, int64_t v);

#endif
