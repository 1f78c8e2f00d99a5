/* keymap.c — open addressing with linear probing over a power-of-two table;
 * the table doubles when it would become more than half full, so a probe
 * sequence stays short even for the report's largest tables. */
#include "keymap.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>

static size_t keymap_slot_of(uint64_t a, uint64_t b, size_t mask)
{
    return (size_t)(hash_mix64(a * 0x9e3779b97f4a7c15ull ^ hash_mix64(b))) & mask;
}

void keymap_init(keymap_t *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void keymap_free(keymap_t *m)
{
    free(m->slots);
    keymap_init(m);
}

int keymap_find(const keymap_t *m, uint64_t a, uint64_t b, uint32_t *value)
{
    if (!m->cap)
        return 0;
    size_t mask = m->cap - 1;
    for (size_t i = keymap_slot_of(a, b, mask);; i = (i + 1) & mask) {
        const keymap_slot_t *s = &m->slots[i];
        if (!s->used)
            return 0;
        if (s->a == a && s->b == b) {
            *value = s->value;
            return 1;
        }
    }
}

static int keymap_grow(keymap_t *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    if (ncap < m->cap || ncap > SIZE_MAX / sizeof(keymap_slot_t))
        return -ENOMEM;
    keymap_slot_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    size_t mask = ncap - 1;
    for (size_t j = 0; j < m->cap; j++) {
        const keymap_slot_t *s = &m->slots[j];
        if (!s->used)
            continue;
        size_t i = keymap_slot_of(s->a, s->b, mask);
        while (ns[i].used)
            i = (i + 1) & mask;
        ns[i] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int keymap_intern(keymap_t *m, uint64_t a, uint64_t b, uint32_t fresh,
                  uint32_t *value)
{
    if ((m->count + 1) * 2 > m->cap) {
        int rc = keymap_grow(m);
        if (rc < 0)
            return rc;
    }
    size_t mask = m->cap - 1;
    for (size_t i = keymap_slot_of(a, b, mask);; i = (i + 1) & mask) {
        keymap_slot_t *s = &m->slots[i];
        if (!s->used) {
            s->a = a;
            s->b = b;
            s->value = fresh;
            s->used = 1;
            m->count++;
            *value = fresh;
            return 0;
        }
        if (s->a == a && s->b == b) {
            *value = s->value;
            return 1;
        }
    }
}
