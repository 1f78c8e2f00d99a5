/* calltree.c — nodes are created in an order where a parent always precedes
 * its children, so making values inclusive is one backward pass, and the
 * pre-order renumbering is a counting sort of children (CSR) plus an
 * explicit-stack depth-first walk: no recursion, whatever the depth. */
#include "calltree.h"
#include "grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int calltree_init(calltree_t *t)
{
    memset(t, 0, sizeof *t);
    keymap_init(&t->children);
    size_t c = 0;
    if (grow_array((void **)&t->parent, &c, 1024, sizeof *t->parent) < 0) return -ENOMEM;
    c = 0;
    if (grow_array((void **)&t->frame, &c, 1024, sizeof *t->frame) < 0) return -ENOMEM;
    c = 0;
    if (grow_array((void **)&t->depth, &c, 1024, sizeof *t->depth) < 0) return -ENOMEM;
    c = 0;
    if (grow_array((void **)&t->value, &c, 1024, sizeof *t->value) < 0) return -ENOMEM;
    t->cap = c;
    t->parent[0] = CALLTREE_NONE;
    t->frame[0] = CALLTREE_NONE;
    t->depth[0] = 0;
    t->value[0] = 0;
    t->n = 1;
    return 0;
}

void calltree_free(calltree_t *t)
{
    free(t->parent);
    free(t->frame);
    free(t->depth);
    free(t->value);
    keymap_free(&t->children);
    memset(t, 0, sizeof *t);
}

static int calltree_reserve(calltree_t *t, size_t need)
{
    if (need <= t->cap)
        return 0;
    size_t c1 = t->cap, c2 = t->cap, c3 = t->cap, c4 = t->cap;
    if (grow_array((void **)&t->parent, &c1, need, sizeof *t->parent) < 0 ||
        grow_array((void **)&t->frame, &c2, need, sizeof *t->frame) < 0 ||
        grow_array((void **)&t->depth, &c3, need, sizeof *t->depth) < 0 ||
        grow_array((void **)&t->value, &c4, need, sizeof *t->value) < 0)
        return -ENOMEM;
    t->cap = c1;
    return 0;
}

int calltree_child(calltree_t *t, uint32_t parent, uint32_t frame, uint32_t *node)
{
    if (t->finished || parent >= t->n || t->n >= CALLTREE_NONE - 1)
        return -EINVAL;
    int rc = calltree_reserve(t, t->n + 1);
    if (rc < 0)
        return rc;
    rc = keymap_intern(&t->children, parent, frame, (uint32_t)t->n, node);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        size_t i = t->n++;
        t->parent[i] = parent;
        t->frame[i] = frame;
        t->depth[i] = t->depth[parent] + 1;
        t->value[i] = 0;
    }
    return 0;
}

typedef struct calltree_sort_item {
    uint32_t rank;
    uint32_t node;
} calltree_sort_item_t;

static int calltree_cmp_item(const void *a, const void *b)
{
    const calltree_sort_item_t *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

int calltree_finish(calltree_t *t, const uint32_t *rank, uint32_t **remap)
{
    size_t n = t->n;
    uint32_t *first = calloc(n + 1, sizeof *first);       /* CSR offsets */
    calltree_sort_item_t *kids = malloc((n ? n : 1) * sizeof *kids);
    uint32_t *newid = malloc(n * sizeof *newid);
    uint32_t *todo = malloc(n * sizeof *todo);
    uint32_t *np = malloc(n * sizeof *np), *nf = malloc(n * sizeof *nf);
    uint32_t *nd = malloc(n * sizeof *nd);
    uint64_t *nv = malloc(n * sizeof *nv);
    if (!first || !kids || !newid || !todo || !np || !nf || !nd || !nv) {
        free(first); free(kids); free(newid); free(todo);
        free(np); free(nf); free(nd); free(nv);
        return -ENOMEM;
    }
    for (size_t i = n; i-- > 1;) {   /* saturating: byte values are untrusted */
        uint64_t *pv = &t->value[t->parent[i]];
        *pv = *pv + t->value[i] < *pv ? UINT64_MAX : *pv + t->value[i];
    }
    for (size_t i = 1; i < n; i++)
        first[t->parent[i] + 1]++;
    for (size_t i = 0; i < n; i++)
        first[i + 1] += first[i];
    /* fill: first[p] is used as a cursor, then restored */
    for (size_t i = 1; i < n; i++) {
        uint32_t p = t->parent[i];
        kids[first[p]].node = (uint32_t)i;
        kids[first[p]].rank = rank ? rank[t->frame[i]] : 0;
        first[p]++;
    }
    for (size_t i = n; i-- > 0;)
        first[i + 1] = first[i];
    first[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (first[i + 1] - first[i] > 1)
            qsort(kids + first[i], first[i + 1] - first[i], sizeof *kids,
                  calltree_cmp_item);
    /* depth-first, pre-order; children pushed in reverse so the first pops first */
    size_t top = 0, next = 0;
    todo[top++] = CALLTREE_ROOT;
    while (top) {
        uint32_t v = todo[--top];
        newid[v] = (uint32_t)next++;
        for (uint32_t k = first[v + 1]; k-- > first[v];)
            todo[top++] = kids[k].node;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t j = newid[i];
        np[j] = i == 0 ? CALLTREE_NONE : newid[t->parent[i]];
        nf[j] = t->frame[i];
        nd[j] = t->depth[i];
        nv[j] = t->value[i];
    }
    free(t->parent); free(t->frame); free(t->depth); free(t->value);
    t->parent = np;
    t->frame = nf;
    t->depth = nd;
    t->value = nv;
    t->cap = n;
    keymap_free(&t->children);
    t->finished = 1;
    free(first); free(kids); free(todo);
    if (remap)
        *remap = newid;
    else
        free(newid);
    return 0;
}

void calltree_self(const calltree_t *t, uint64_t *self)
{
    memcpy(self, t->value, t->n * sizeof *self);
    for (size_t v = 1; v < t->n; v++) {
        uint64_t *ps = &self[t->parent[v]];
        *ps -= *ps >= t->value[v] ? t->value[v] : *ps;
    }
}
