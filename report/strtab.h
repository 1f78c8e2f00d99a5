/* strtab.h — string interning: every distinct byte string (frame names,
 * file names, thread names, commands, notes) is stored once and named by a
 * dense u32 id, so frames and nodes compare by integer. Id 0 is always the
 * empty string. Strings are arbitrary bytes (not validated as UTF-8); each is
 * also stored NUL-terminated for convenience, but may contain NUL bytes. */
#ifndef RADIOGRAPH_STRTAB_H
#define RADIOGRAPH_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct strtab {
    char *bytes;          /* every string, each followed by a NUL */
    size_t len, cap;
    size_t *off;          /* id -> offset in bytes */
    uint32_t *slen;       /* id -> length */
    uint64_t *hash;       /* id -> hash of the bytes */
    size_t n, ncap;
    uint32_t *slots;      /* open addressing: id + 1, 0 = empty */
    size_t slot_cap;
} strtab_t;

/* An interning table holding only "" (id 0). Returns 0 or -ENOMEM. */
int strtab_init(strtab_t *t);

/* Frees everything the table owns. */
void strtab_free(strtab_t *t);

/* Stores the N bytes at S (if not already present) and sets *ID to their id.
 * Returns 0 or -ENOMEM (strings longer than 4 GiB are -EINVAL). Pointers
 * from strtab_get may move. */
int strtab_intern(strtab_t *t, const void *s, size_t n, uint32_t *id);

/* The bytes of string ID (NUL-terminated; *LEN = length if LEN). The pointer
 * is valid until the next strtab_intern. ID must be valid. */
const char *strtab_get(const strtab_t *t, uint32_t id, size_t *len);

#endif
