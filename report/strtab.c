/* strtab.c — interned strings in one growing byte buffer, indexed by an
 * open-addressing table of ids (linear probing, at most half full). The
 * stored hash of every string makes rehashing and most mismatches free. */
#include "strtab.h"
#include "grow.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int strtab_rehash(strtab_t *t, size_t ncap)
{
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    size_t mask = ncap - 1;
    for (size_t id = 0; id < t->n; id++) {
        size_t i = (size_t)t->hash[id] & mask;
        while (ns[i])
            i = (i + 1) & mask;
        ns[i] = (uint32_t)id + 1;
    }
    free(t->slots);
    t->slots = ns;
    t->slot_cap = ncap;
    return 0;
}

int strtab_init(strtab_t *t)
{
    memset(t, 0, sizeof *t);
    uint32_t id;
    return strtab_intern(t, "", 0, &id);
}

void strtab_free(strtab_t *t)
{
    free(t->bytes);
    free(t->off);
    free(t->slen);
    free(t->hash);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

int strtab_intern(strtab_t *t, const void *s, size_t n, uint32_t *id)
{
    if (n > UINT32_MAX - 1 || t->n >= UINT32_MAX - 1)
        return -EINVAL;
    uint64_t h = hash_bytes(s, n);
    if (t->slot_cap) {
        size_t mask = t->slot_cap - 1;
        for (size_t i = (size_t)h & mask; t->slots[i]; i = (i + 1) & mask) {
            uint32_t cand = t->slots[i] - 1;
            if (t->hash[cand] == h && t->slen[cand] == n &&
                memcmp(t->bytes + t->off[cand], s, n) == 0) {
                *id = cand;
                return 0;
            }
        }
    }
    if ((t->n + 1) * 2 > t->slot_cap) {
        int rc = strtab_rehash(t, t->slot_cap ? t->slot_cap * 2 : 256);
        if (rc < 0)
            return rc;
    }
    size_t ncap_before = t->ncap;
    if (grow_array((void **)&t->bytes, &t->cap, t->len + n + 1, 1) < 0)
        return -ENOMEM;
    /* The three per-id arrays share one capacity: grow each to the same. */
    size_t c1 = ncap_before, c2 = ncap_before, c3 = ncap_before;
    if (grow_array((void **)&t->off, &c1, t->n + 1, sizeof *t->off) < 0 ||
        grow_array((void **)&t->slen, &c2, t->n + 1, sizeof *t->slen) < 0 ||
        grow_array((void **)&t->hash, &c3, t->n + 1, sizeof *t->hash) < 0)
        return -ENOMEM;
    /* A partial failure above leaves some arrays larger; track the minimum. */
    t->ncap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    if (n)
        memcpy(t->bytes + t->len, s, n);
    t->bytes[t->len + n] = '\0';
    uint32_t nid = (uint32_t)t->n++;
    t->off[nid] = t->len;
    t->slen[nid] = (uint32_t)n;
    t->hash[nid] = h;
    t->len += n + 1;
    size_t mask = t->slot_cap - 1;
    size_t i = (size_t)h & mask;
    while (t->slots[i])
        i = (i + 1) & mask;
    t->slots[i] = nid + 1;
    *id = nid;
    return 0;
}

const char *strtab_get(const strtab_t *t, uint32_t id, size_t *len)
{
    if (len)
        *len = t->slen[id];
    return t->bytes + t->off[id];
}
