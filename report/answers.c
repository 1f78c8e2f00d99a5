/* answers.c — see answers.h.
 *
 * One pass over a tree in pre-order gives every node its line: the
 * innermost own-code node at or above it. Each leaf (a state frame of the
 * perf tree; any node with bytes of its own in the memory tree) then adds
 * its value to its group — the line's frame, and for a wait its reason —
 * in a keymap. Only the few largest groups get the second look: which node
 * of that line holds most (the link's target), which frame below it holds
 * most ("in"), and for time how many threads have samples there (from the
 * per-thread tallies). Each look is a pass over the leaves, so the whole is
 * O(nodes x ANSWERS_MAX), a few milliseconds for the largest trees. */
#include "answers.h"
#include "fold.h"
#include "grow.h"
#include "keymap.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ANSWERS_COMPUTING 0u              /* group class of [running] */
#define ANSWERS_WAIT(s) (1u + (s))        /* group class of a wait for state S */
#define ANSWERS_MEMORY (2u + RAW_ST_COUNT)

static const char *const answers_reasons[RAW_ST_COUNT] = {
    "running", "unknown", "gil", "lock", "sleep", "disk", "network", "poll", "child", "cpu",
};

int answers_is_library(const char *file, size_t len)
{
    if (len == 0 || file[0] == '<')
        return 1;
    if (strstr(file, "/site-packages/") || strstr(file, "/dist-packages/"))
        return 1;
    for (const char *p = file; (p = strstr(p, "/lib")) != NULL; p += 4) {
        const char *q = p + 4;
        if (q[0] == '6' && q[1] == '4')
            q += 2;
        if (strncmp(q, "/python", 7) == 0 && q[7] >= '0' && q[7] <= '9')
            return 1;
    }
    return 0;
}

typedef struct answers_group {
    uint32_t frame;
    uint32_t cls;                /* ANSWERS_COMPUTING, ANSWERS_WAIT(s), ANSWERS_MEMORY */
    uint64_t value;
} answers_group_t;

typedef struct answers_work {
    const model_t *m;
    const calltree_t *t;
    uint8_t *own;                /* per frame: the program's own code */
    uint32_t *line;              /* per node: its line's node, MODEL_NONE above any */
    uint64_t *self;              /* per node: value not passed to children */
    keymap_t index;              /* (frame, class) -> group */
    answers_group_t *groups; size_t ngroups, groups_cap;
    uint64_t *by_node;           /* second look: per node, per frame */
    uint64_t *by_frame;
} answers_work_t;

static void answers_work_free(answers_work_t *w)
{
    free(w->own);
    free(w->line);
    free(w->self);
    keymap_free(&w->index);
    free(w->groups);
    free(w->by_node);
    free(w->by_frame);
    memset(w, 0, sizeof *w);
}

/* Per-frame and per-node tables for tree T. Returns 0 or -ENOMEM. */
static int answers_work_init(answers_work_t *w, const model_t *m, const calltree_t *t)
{
    memset(w, 0, sizeof *w);
    w->m = m;
    w->t = t;
    keymap_init(&w->index);
    size_t n = t->n ? t->n : 1, nf = m->nframes ? m->nframes : 1;
    w->own = calloc(nf, 1);
    w->line = malloc(n * sizeof *w->line);
    w->self = malloc(n * sizeof *w->self);
    w->by_node = calloc(n, sizeof *w->by_node);
    w->by_frame = calloc(nf, sizeof *w->by_frame);
    if (!w->own || !w->line || !w->self || !w->by_node || !w->by_frame)
        return -ENOMEM;
    for (size_t f = 0; f < m->nframes; f++) {
        const model_frame_t *fr = &m->frames[f];
        size_t len;
        const char *file = model_str(m, fr->file, &len);
        w->own[f] = fr->kind == MODEL_FRAME_PYTHON && !answers_is_library(file, len);
    }
    for (size_t i = 0; i < t->n; i++) {
        w->self[i] = t->value[i];
        if (i == CALLTREE_ROOT) {
            w->line[i] = MODEL_NONE;
            continue;
        }
        uint32_t p = t->parent[i];
        w->line[i] = w->own[t->frame[i]] ? (uint32_t)i : w->line[p];
        w->self[p] = w->self[p] > t->value[i] ? w->self[p] - t->value[i] : 0;
    }
    return 0;
}

/* The node a leaf's value is credited to, and its group class; returns 0
 * when the node is not a leaf of this kind of answer. */
static int answers_leaf(const answers_work_t *w, size_t i, int memory, uint32_t *at, uint32_t *cls,
                        uint32_t *inner)
{
    const calltree_t *t = w->t;
    if (i == CALLTREE_ROOT || w->self[i] == 0)
        return 0;
    uint32_t f = t->frame[i];
    if (memory) {
        if (w->m->frames[f].kind == MODEL_FRAME_NO_STACK) {
            *at = *inner = (uint32_t)i;
        } else {
            *inner = (uint32_t)i;
            *at = w->line[i] != MODEL_NONE ? w->line[i] : (uint32_t)i;
        }
        *cls = ANSWERS_MEMORY;
        return 1;
    }
    if (f >= RAW_ST_COUNT)
        return 0;                /* a Python frame: its samples are in its state leaves */
    uint32_t p = t->parent[i];
    if (p == CALLTREE_ROOT)
        return 0;
    *inner = p;
    *at = w->line[p] != MODEL_NONE ? w->line[p] : p;
    *cls = f == RAW_ST_RUNNING ? ANSWERS_COMPUTING : ANSWERS_WAIT(f);
    return 1;
}

static int answers_group_add(answers_work_t *w, uint32_t frame, uint32_t cls, uint64_t v)
{
    uint32_t at;
    int rc = keymap_intern(&w->index, frame, cls, (uint32_t)w->ngroups, &at);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        answers_group_t *g = GROW_PUSH(w->groups, w->ngroups, w->groups_cap);
        if (!g)
            return -ENOMEM;
        *g = (answers_group_t){ frame, cls, 0 };
    }
    w->groups[at].value += v;
    return 0;
}

static int answers_group_cmp(const void *a, const void *b)
{
    const answers_group_t *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return x->cls < y->cls ? -1 : x->cls > y->cls;
}

/* Does leaf I of the perf tree belong to group G? */
static int answers_in_group(const answers_work_t *w, size_t i, const answers_group_t *g)
{
    uint32_t at, cls, inner;
    return answers_leaf(w, i, 0, &at, &cls, &inner) && cls == g->cls &&
           w->t->frame[at] == g->frame;
}

/* The second look at group G: node, inner frame and threads of ITEM. */
static void answers_detail(answers_work_t *w, const answers_group_t *g, int memory,
                           answers_item_t *item)
{
    const calltree_t *t = w->t;
    const model_t *m = w->m;
    item->frame = g->frame;
    item->value = g->value;
    item->state = g->cls >= 1 && g->cls <= RAW_ST_COUNT ? (uint8_t)(g->cls - 1) : RAW_ST_RUNNING;
    uint32_t best_node = MODEL_NONE, best_frame = MODEL_NONE;
    for (size_t i = 1; i < t->n; i++) {
        uint32_t at, cls, inner;
        if (!answers_leaf(w, i, memory, &at, &cls, &inner) || cls != g->cls ||
            t->frame[at] != g->frame)
            continue;
        uint64_t v = w->self[i];
        uint32_t f = t->frame[inner];
        w->by_node[at] += v;
        w->by_frame[f] += v;
        if (best_node == MODEL_NONE || w->by_node[at] > w->by_node[best_node])
            best_node = at;
        if (best_frame == MODEL_NONE || w->by_frame[f] > w->by_frame[best_frame])
            best_frame = f;
    }
    for (size_t i = 1; i < t->n; i++) {    /* clear what this look added */
        uint32_t at, cls, inner;
        if (answers_leaf(w, i, memory, &at, &cls, &inner)) {
            w->by_node[at] = 0;
            w->by_frame[t->frame[inner]] = 0;
        }
    }
    item->node = best_node;
    item->inner = best_frame == g->frame ? MODEL_NONE : best_frame;
    item->threads = 0;
    if (memory)
        return;
    for (size_t ti = 0; ti < m->nthreads; ti++) {
        const model_thread_t *th = &m->threads[ti];
        for (size_t k = th->tally_at; k < th->tally_at + th->ntally; k++) {
            if (m->tally[k].count && m->tally[k].node < t->n &&
                answers_in_group(w, m->tally[k].node, g)) {
                item->threads++;
                break;
            }
        }
    }
}

/* Groups tree T's leaves, then details the top ANSWERS_MAX of each class
 * set: for time, computing into A->computing and waits into A->waiting. */
static int answers_tree(const model_t *m, const calltree_t *t, int memory, answers_t *a)
{
    answers_work_t w;
    int rc = answers_work_init(&w, m, t);
    for (size_t i = 1; rc == 0 && i < t->n; i++) {
        uint32_t at, cls, inner;
        if (answers_leaf(&w, i, memory, &at, &cls, &inner))
            rc = answers_group_add(&w, t->frame[at], cls, w.self[i]);
    }
    if (rc == 0) {
        if (w.ngroups > 1)
            qsort(w.groups, w.ngroups, sizeof *w.groups, answers_group_cmp);
        for (size_t k = 0; k < w.ngroups; k++) {
            const answers_group_t *g = &w.groups[k];
            answers_item_t *list = memory ? a->memory
                                   : g->cls == ANSWERS_COMPUTING ? a->computing : a->waiting;
            size_t *n = memory ? &a->nmemory
                        : g->cls == ANSWERS_COMPUTING ? &a->ncomputing : &a->nwaiting;
            if (*n < ANSWERS_MAX && g->value > 0)
                answers_detail(&w, g, memory, &list[(*n)++]);
        }
    }
    answers_work_free(&w);
    return rc;
}

int answers_build(const model_t *m, answers_t *a)
{
    memset(a, 0, sizeof *a);
    const calltree_t *t = &m->perf;
    if (t->n)
        a->total = t->value[CALLTREE_ROOT];
    for (size_t i = 1; i < t->n; i++)
        if (t->frame[i] < RAW_ST_COUNT)
            a->by_state[t->frame[i]] += t->value[i];
    a->running = a->by_state[RAW_ST_RUNNING];
    for (size_t i = 0; i < m->nthreads; i++)
        a->threads += m->threads[i].ntally > 0;
    int rc = answers_tree(m, t, 0, a);
    if (rc == 0 && m->has_memory && m->mem.n && m->mem.value[CALLTREE_ROOT])
        rc = answers_tree(m, &m->mem, 1, a);
    return rc;
}

/* V samples in seconds: through whole microseconds, so 82 samples of 10 ms
 * are 0.82 s, not 0.82000000000000006. */
static double answers_seconds(const model_t *m, uint64_t v)
{
    double us = round(m->summary.sample_interval_seconds * 1e6);
    return (double)v * us / 1e6;
}

/* A share to six decimals: enough for any percentage a reader needs. */
static double answers_share(uint64_t v, uint64_t total)
{
    return total ? round((double)v / (double)total * 1e6) / 1e6 : 0;
}

/* "function", "file", "line" and "frame" (the folded label) of frame F,
 * and with WITH_NODES its index in the page's frame table. */
static void answers_write_frame(json_t *w, const model_t *m, uint32_t f, int with_nodes)
{
    const model_frame_t *fr = &m->frames[f];
    size_t len;
    const char *s = model_str(m, fr->name, &len);
    json_key(w, "function");
    json_string(w, s, len);
    s = model_str(m, fr->file, &len);
    json_key(w, "file");
    if (len) json_string(w, s, len); else json_null(w);
    json_key(w, "line");
    if (fr->line) json_uint(w, fr->line); else json_null(w);
    char *label = NULL;
    size_t llen = 0, lcap = 0;
    json_key(w, "frame");
    if (fold_label(m, f, &label, &llen, &lcap) == 0)
        json_string(w, label, llen);
    else
        json_null(w);    /* out of memory: json_finish reports nothing, the label is optional */
    free(label);
    if (with_nodes) {
        json_key(w, "frame_id");
        json_uint(w, f);
    }
}

static void answers_write_items(json_t *w, const model_t *m, const answers_item_t *items, size_t n,
                                uint64_t total, int memory, int with_nodes)
{
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        const answers_item_t *it = &items[i];
        json_object_begin(w);
        answers_write_frame(w, m, it->frame, with_nodes);
        json_key(w, memory ? "bytes" : "seconds");
        if (memory) json_uint(w, it->value); else json_double(w, answers_seconds(m, it->value));
        json_key(w, "share");
        json_double(w, answers_share(it->value, total));
        if (!memory) {
            json_key(w, "threads");
            json_uint(w, it->threads);
            if (it->state != RAW_ST_RUNNING) {
                json_key(w, "reason");
                json_cstring(w, answers_reasons[it->state]);
            }
        }
        json_key(w, "in");
        if (it->inner == MODEL_NONE) {
            json_null(w);
        } else {
            json_object_begin(w);
            answers_write_frame(w, m, it->inner, with_nodes);
            json_object_end(w);
        }
        if (with_nodes) {
            json_key(w, "node");
            json_uint(w, it->node);
        }
        json_object_end(w);
    }
    json_array_end(w);
}

void answers_write(json_t *w, const model_t *m, const answers_t *a, int with_nodes)
{
    json_key(w, "answers");
    json_object_begin(w);
    json_key(w, "time");
    json_object_begin(w);
    json_key(w, "thread_seconds");
    json_double(w, answers_seconds(m, a->total));
    json_key(w, "threads");
    json_uint(w, a->threads);
    json_key(w, "computing_seconds");
    json_double(w, answers_seconds(m, a->running));
    json_key(w, "waiting_seconds");
    json_double(w, answers_seconds(m, a->total - a->running));
    json_key(w, "waiting_by_reason");
    json_object_begin(w);
    for (unsigned s = 1; s < RAW_ST_COUNT; s++) {
        if (!a->by_state[s])
            continue;
        json_key(w, answers_reasons[s]);
        json_double(w, answers_seconds(m, a->by_state[s]));
    }
    json_object_end(w);
    json_key(w, "computing");
    answers_write_items(w, m, a->computing, a->ncomputing, a->total, 0, with_nodes);
    json_key(w, "waiting");
    answers_write_items(w, m, a->waiting, a->nwaiting, a->total, 0, with_nodes);
    json_object_end(w);
    json_key(w, "memory");
    if (!m->has_memory || !m->mem.n) {
        json_null(w);
    } else {
        uint64_t total = m->mem.value[CALLTREE_ROOT];
        json_object_begin(w);
        json_key(w, "bytes");
        json_uint(w, total);
        json_key(w, "holding");
        answers_write_items(w, m, a->memory, a->nmemory, total, 1, with_nodes);
        json_object_end(w);
    }
    json_object_end(w);
}
