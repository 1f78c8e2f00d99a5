/* jsonread.h — a small, strict JSON reader (RFC 8259), for the summary.json
 * of the reports `compare` reads. The whole document becomes a tree of
 * values in one allocation pool; strings are decoded to UTF-8 (escapes,
 * surrogate pairs; invalid pairs become U+FFFD). Input is untrusted: depth is
 * limited, numbers that overflow a double are errors, trailing bytes after
 * the value are errors. */
#ifndef RADIOGRAPH_JSONREAD_H
#define RADIOGRAPH_JSONREAD_H

#include <stddef.h>

#define JSONREAD_DEPTH_MAX 64u

typedef enum jsonread_type {
    JSONREAD_NULL,
    JSONREAD_FALSE,
    JSONREAD_TRUE,
    JSONREAD_NUMBER,
    JSONREAD_STRING,
    JSONREAD_ARRAY,
    JSONREAD_OBJECT,
} jsonread_type_t;

typedef struct jsonread_value {
    jsonread_type_t type;
    double number;
    const char *str;                  /* STRING: NUL-terminated (may hold NULs) */
    size_t len;                       /* STRING: bytes; ARRAY/OBJECT: members */
    struct jsonread_value *items;     /* ARRAY/OBJECT members */
    const char **keys;                /* OBJECT: key of each member */
    size_t *key_lens;
} jsonread_value_t;

typedef struct jsonread_doc {
    jsonread_value_t *root;
    void *pool;                       /* every allocation, chained */
    size_t error_at;                  /* byte offset of the first error */
    const char *error;                /* what it is, or NULL */
} jsonread_doc_t;

/* Parses LEN bytes at DATA into DOC. Returns 0, -EINVAL (DOC->error and
 * DOC->error_at say why) or -ENOMEM. Call jsonread_free whatever the result. */
int jsonread_parse(const char *data, size_t len, jsonread_doc_t *doc);

void jsonread_free(jsonread_doc_t *doc);

/* The member KEY of object V, or NULL (also when V is not an object). */
const jsonread_value_t *jsonread_get(const jsonread_value_t *v, const char *key);

/* Member KEY as a number: returns 1 and sets *OUT, or 0 if absent or not a
 * number. */
int jsonread_number(const jsonread_value_t *obj, const char *key, double *out);

#endif
