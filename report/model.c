/* model.c — merging raw files into one model, then finishing it.
 *
 * Merging resolves each file's local indices to global ones lazily, with one
 * memo array per kind: a frame or stack that no sample uses never reaches the
 * model. A stack maps to a tree node by walking up to the nearest ancestor
 * already mapped and creating the path down from there, so every stack costs
 * O(its new frames) once, and a sample costs one array read and one hash
 * probe (its state leaf). The peak-memory tree is built the same way, with
 * its own memo (a stack maps to different nodes in the two trees). Each
 * count also goes to its thread's tally for its leaf, one more hash probe,
 * so per-thread profiles need no tree of their own.
 *
 * The memory series of several processes is a step function per process;
 * their sum is taken at every timestamp any of them has, by one sweep over
 * all points in time order, a process counting from its first point until
 * its END.
 *
 * Finishing is where order is decided, so that the same raw data always gives
 * byte-identical outputs: frames get a rank by (name, file, line), siblings
 * are sorted by it, processes by (start, pid), threads main-first then by
 * first appearance. */
#include "model.h"
#include "grow.h"
#include "rsspeak.h"
#include "summary.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef RADIOGRAPH_VERSION
#define RADIOGRAPH_VERSION "unknown"
#endif

static const char *const model_state_labels[RAW_ST_COUNT] = {
    "[running]", "[waiting]", "[waiting: gil]", "[waiting: lock]",
    "[waiting: sleep]", "[waiting: disk]", "[waiting: network]",
    "[waiting: poll]", "[waiting: child]", "[waiting: cpu]",
};

const char *model_state_label(unsigned s)
{
    return s < RAW_ST_COUNT ? model_state_labels[s] : "[waiting]";
}

const char *model_str(const model_t *m, uint32_t id, size_t *len)
{
    return strtab_get(&m->strings, id, len);
}

/* Appends a frame that is a label (no file, no line) of KIND. */
static int model_push_label(model_t *m, const char *label, int kind)
{
    uint32_t name;
    if (strtab_intern(&m->strings, label, strlen(label), &name) < 0)
        return -ENOMEM;
    model_frame_t *f = GROW_PUSH(m->frames, m->nframes, m->frames_cap);
    if (!f)
        return -ENOMEM;
    f->name = name;
    f->file = 0;
    f->line = 0;
    f->kind = kind;
    return 0;
}

int model_init(model_t *m)
{
    memset(m, 0, sizeof *m);
    keymap_init(&m->frame_index);
    keymap_init(&m->thread_index);
    keymap_init(&m->tally_index);
    m->no_stack_frame = m->rounding_frame = m->unrecorded_frame = MODEL_NONE;
    if (strtab_init(&m->strings) < 0 || calltree_init(&m->perf) < 0 ||
        calltree_init(&m->mem) < 0)
        return -ENOMEM;
    for (unsigned s = 0; s < RAW_ST_COUNT; s++)
        if (model_push_label(m, model_state_labels[s],
                             s == RAW_ST_RUNNING ? MODEL_FRAME_RUNNING : MODEL_FRAME_WAITING) < 0)
            return -ENOMEM;
    return 0;
}

void model_free(model_t *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        free(m->procs[i].argv);
        free(m->procs[i].rss);
        free(m->procs[i].threads);
        free(m->procs[i].mem);
        free(m->procs[i].mem_entries);
        free(m->procs[i].tree);
    }
    free(m->reserved);
    free(m->reserved_frames);
    free(m->reaped);
    free(m->signals);
    for (size_t i = 0; i < m->nthreads; i++) {
        free(m->threads[i].points);
        free(m->threads[i].spans);
    }
    free(m->procs);
    free(m->threads);
    free(m->frames);
    free(m->notes);
    free((void *)m->summary.command);
    keymap_free(&m->frame_index);
    keymap_free(&m->thread_index);
    free(m->tally);
    keymap_free(&m->tally_index);
    calltree_free(&m->perf);
    calltree_free(&m->mem);
    free(m->mem_series);
    strtab_free(&m->strings);
    runinfo_free(&m->runinfo);
    memset(m, 0, sizeof *m);
}

int model_note(model_t *m, const char *fmt, ...)
{
    if (m->nnotes >= MODEL_NOTES_MAX) {
        m->notes_more++;
        return 0;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    uint32_t id;
    uint32_t *slot;
    if (strtab_intern(&m->strings, msg, len, &id) < 0 ||
        !(slot = GROW_PUSH(m->notes, m->nnotes, m->notes_cap)))
        return -ENOMEM;
    *slot = id;
    return 0;
}

/* ---- merging one file ---------------------------------------------------- */

typedef struct model_merge {
    model_t *m;
    const rawread_file_t *f;
    uint32_t proc;
    uint32_t *string_of;     /* local string -> strtab id */
    uint32_t *frame_of;      /* local frame -> model frame */
    uint32_t *node_of;       /* local stack -> perf node */
    uint32_t *mem_node_of;   /* local stack -> memory node */
    uint32_t path[RAWREAD_DEPTH_MAX + 1];
} model_merge_t;

static int model_merge_string(model_merge_t *c, uint32_t s, uint32_t *id)
{
    if (s == RAWREAD_NONE) {
        *id = 0;
        return 0;
    }
    if (c->string_of[s] == MODEL_NONE) {
        const rawread_slice_t *sl = &c->f->strings[s];
        int rc = strtab_intern(&c->m->strings, sl->ptr, sl->len, &c->string_of[s]);
        if (rc < 0)
            return rc;
    }
    *id = c->string_of[s];
    return 0;
}

static int model_merge_frame(model_merge_t *c, uint32_t lf, uint32_t *frame)
{
    if (c->frame_of[lf] != MODEL_NONE) {
        *frame = c->frame_of[lf];
        return 0;
    }
    model_t *m = c->m;
    const rawread_frame_t *rf = &c->f->frames[lf];
    uint32_t name, file;
    int rc;
    if ((rc = model_merge_string(c, rf->name, &name)) < 0 ||
        (rc = model_merge_string(c, rf->file, &file)) < 0)
        return rc;
    if (m->nframes >= MODEL_NONE - 1)
        return -EINVAL;
    rc = keymap_intern(&m->frame_index, (uint64_t)name << 32 | file, rf->line,
                       (uint32_t)m->nframes, frame);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        model_frame_t *f = GROW_PUSH(m->frames, m->nframes, m->frames_cap);
        if (!f)
            return -ENOMEM;
        f->name = name;
        f->file = file;
        f->line = rf->line;
        f->kind = MODEL_FRAME_PYTHON;
    }
    c->frame_of[lf] = *frame;
    return 0;
}

/* The node of local stack S (RAWREAD_NONE: the root) in TREE, whose memo
 * (local stack -> node) is NODE_OF. */
static int model_tree_stack(model_merge_t *c, calltree_t *tree, uint32_t *node_of,
                            uint32_t s, uint32_t *node)
{
    const rawread_file_t *f = c->f;
    size_t k = 0;
    while (s != RAWREAD_NONE && node_of[s] == MODEL_NONE && k <= RAWREAD_DEPTH_MAX) {
        c->path[k++] = s;
        s = f->stacks[s].parent;
    }
    uint32_t at = s == RAWREAD_NONE ? CALLTREE_ROOT : node_of[s];
    while (k) {
        uint32_t ls = c->path[--k], frame;
        int rc = model_merge_frame(c, f->stacks[ls].frame, &frame);
        if (rc < 0 || (rc = calltree_child(tree, at, frame, &at)) < 0)
            return rc;
        node_of[ls] = at;
    }
    *node = at;
    return 0;
}

/* The perf node of local stack S (RAWREAD_NONE: the root). */
static int model_merge_stack(model_merge_t *c, uint32_t s, uint32_t *node)
{
    return model_tree_stack(c, &c->m->perf, c->node_of, s, node);
}

static uint64_t model_sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* The memory label frame LABEL, kept in *SLOT, created on first use. */
static int model_label_frame(model_t *m, uint32_t *slot, const char *label)
{
    if (*slot == MODEL_NONE) {
        if (m->nframes >= MODEL_NONE - 1)
            return -EINVAL;
        if (model_push_label(m, label, MODEL_FRAME_NO_STACK) < 0)
            return -ENOMEM;
        *slot = (uint32_t)(m->nframes - 1);
    }
    return 0;
}

/* The memory tree's root-level frame LABEL, kept in *SLOT. */
static int model_mem_label(model_t *m, uint32_t *slot, const char *label, uint32_t *node)
{
    int rc = model_label_frame(m, slot, label);
    return rc < 0 ? rc : calltree_child(&m->mem, CALLTREE_ROOT, *slot, node);
}

/* Local stack S (RAWREAD_NONE: no Python frames) as a path of model
 * frames, root first, appended to m->reserved_frames; *DEPTH its length. */
static int model_stack_path(model_merge_t *c, uint32_t s, uint32_t *depth)
{
    model_t *m = c->m;
    const rawread_file_t *f = c->f;
    size_t k = 0;
    if (s == RAWREAD_NONE) {
        int rc = model_label_frame(m, &m->no_stack_frame, MODEL_NO_PYTHON_STACK);
        if (rc < 0)
            return rc;
        uint32_t *slot = GROW_PUSH(m->reserved_frames, m->nreserved_frames, m->reserved_frames_cap);
        if (!slot)
            return -ENOMEM;
        *slot = m->no_stack_frame;
        *depth = 1;
        return 0;
    }
    while (s != RAWREAD_NONE && k <= RAWREAD_DEPTH_MAX) {
        c->path[k++] = s;
        s = f->stacks[s].parent;
    }
    if (grow_array((void **)&m->reserved_frames, &m->reserved_frames_cap,
                   m->nreserved_frames + k, sizeof *m->reserved_frames) < 0)
        return -ENOMEM;
    *depth = (uint32_t)k;
    while (k) {
        uint32_t frame;
        int rc = model_merge_frame(c, f->stacks[c->path[--k]].frame, &frame);
        if (rc < 0)
            return rc;
        m->reserved_frames[m->nreserved_frames++] = frame;
    }
    return 0;
}

static int model_merge_reserved(model_merge_t *c, const rawread_mem_entry_t *e)
{
    model_t *m = c->m;
    size_t at = m->nreserved_frames;
    uint32_t depth;
    int rc = model_stack_path(c, e->stack, &depth);
    model_reserved_t *r = rc == 0 ? GROW_PUSH(m->reserved, m->nreserved, m->reserved_cap) : NULL;
    if (!r)
        return rc < 0 ? rc : -ENOMEM;
    *r = (model_reserved_t){ c->proc, depth, at, e->bytes };
    return 0;
}

/* The file's peak snapshot into the memory tree, and its series. */
static int model_merge_memory(model_merge_t *c)
{
    model_t *m = c->m;
    const rawread_file_t *f = c->f;
    model_process_t *p = &m->procs[c->proc];
    p->has_memory = f->has_mem_info || f->nmem_points || f->has_mem_peak;
    if (!p->has_memory)
        return 0;
    m->has_memory = 1;
    p->has_mem_info = f->has_mem_info;
    p->mem_sample_bytes = f->mem_info.sample_bytes;
    if (f->nmem_points) {
        p->mem = malloc(f->nmem_points * sizeof *p->mem);
        if (!p->mem)
            return -ENOMEM;
        memcpy(p->mem, f->mem_points, f->nmem_points * sizeof *p->mem);
        p->nmem = p->mem_cap = f->nmem_points;
    }
    if (f->ntree_points) {
        p->tree = malloc(f->ntree_points * sizeof *p->tree);
        if (!p->tree)
            return -ENOMEM;
        memcpy(p->tree, f->tree_points, f->ntree_points * sizeof *p->tree);
        p->ntree = f->ntree_points;
    }
    if (!f->has_mem_peak)
        return 0;
    p->has_mem_peak = 1;
    p->mem_peak_t_ns = f->mem_peak.t_ns;
    p->mem_peak_bytes = f->mem_peak.peak_bytes;
    p->mem_oom = f->mem_peak.oom_before;
    p->mem_oom_now = f->mem_peak.oom;
    p->mem_has_generation = f->mem_peak.has_generation;
    p->mem_generation = f->mem_peak.generation;
    p->mem_tree_peak_bytes = f->mem_peak.tree_peak_bytes;
    if (!f->nmem_entries)
        return 0;
    p->mem_entries = malloc(f->nmem_entries * sizeof *p->mem_entries);
    if (!p->mem_entries)
        return -ENOMEM;
    for (size_t i = 0; i < f->nmem_entries; i++) {
        const rawread_mem_entry_t *e = &f->mem_entries[i];
        uint32_t node;
        int rc;
        if (e->kind == RAW_MEM_RESERVED) {
            if ((rc = model_merge_reserved(c, e)) < 0)
                return rc;
            continue;
        }
        if (e->kind == RAW_MEM_ROUNDING) {
            if ((rc = model_mem_label(m, &m->rounding_frame, MODEL_ROUNDING, &node)) < 0)
                return rc;
        } else if (e->stack == RAWREAD_NONE) {
            if ((rc = model_mem_label(m, &m->no_stack_frame, MODEL_NO_PYTHON_STACK, &node)) < 0)
                return rc;
        } else if ((rc = model_tree_stack(c, &m->mem, c->mem_node_of, e->stack, &node)) < 0) {
            return rc;
        }
        p->mem_entries[p->nmem_entries].node = node;
        p->mem_entries[p->nmem_entries].bytes = e->bytes;
        p->nmem_entries++;
    }
    return 0;
}

static int model_thread_of(model_t *m, uint32_t proc, uint32_t tid, uint32_t *thread)
{
    if (m->nthreads >= MODEL_NONE - 1)
        return -EINVAL;
    int rc = keymap_intern(&m->thread_index, proc, tid, (uint32_t)m->nthreads, thread);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    model_thread_t *t = GROW_PUSH(m->threads, m->nthreads, m->threads_cap);
    model_process_t *p = &m->procs[proc];
    uint32_t *slot = t ? GROW_PUSH(p->threads, p->nthreads, p->threads_cap) : NULL;
    if (!slot)
        return -ENOMEM;
    memset(t, 0, sizeof *t);
    t->proc = proc;
    t->tid = tid;
    t->first_seen_ns = UINT64_MAX;
    *slot = *thread;
    return 0;
}

static int model_merge_threads(model_merge_t *c)
{
    model_t *m = c->m;
    for (size_t i = 0; i < c->f->nthreads; i++) {
        const rawread_thread_t *rt = &c->f->threads[i];
        uint32_t ti, name;
        int rc = model_thread_of(m, c->proc, rt->tid, &ti);
        if (rc < 0)
            return rc;
        model_thread_t *t = &m->threads[ti];
        if (rt->name.len) {
            if ((rc = strtab_intern(&m->strings, rt->name.ptr, rt->name.len, &name)) < 0)
                return rc;
            t->name = name;
        }
        t->flags |= rt->flags;
        if (rt->flags & RAW_THREAD_PYTHON)
            t->python = 1;
        if (rt->first_seen_ns < t->first_seen_ns)
            t->first_seen_ns = rt->first_seen_ns;
    }
    return 0;
}

/* Adds COUNT samples to thread TI's tally for perf leaf LEAF. */
static int model_tally_add(model_t *m, uint32_t ti, uint32_t leaf, uint64_t count)
{
    if (m->ntally >= MODEL_NONE - 1)
        return -EINVAL;
    /* room first, so that the map never names an entry that is not there */
    if (grow_array((void **)&m->tally, &m->tally_cap, m->ntally + 1, sizeof *m->tally) < 0)
        return -ENOMEM;
    uint32_t at;
    int rc = keymap_intern(&m->tally_index, ti, leaf, (uint32_t)m->ntally, &at);
    if (rc < 0)
        return rc;
    if (rc == 0)
        m->tally[m->ntally++] = (model_tally_t){ ti, leaf, 0 };
    m->tally[at].count = model_sat_add(m->tally[at].count, count);
    return 0;
}

static int model_merge_counts(model_merge_t *c)
{
    model_t *m = c->m;
    for (size_t i = 0; i < c->f->ncounts; i++) {
        const rawread_count_t *rc_ = &c->f->counts[i];
        uint32_t ti, node, leaf;
        int rc = model_thread_of(m, c->proc, rc_->tid, &ti);
        if (rc < 0)
            return rc;
        if (rc_->stack == RAWREAD_NONE)
            continue;            /* no Python frames: timeline only */
        m->threads[ti].python = 1;
        if ((rc = model_merge_stack(c, rc_->stack, &node)) < 0 ||
            (rc = calltree_child(&m->perf, node, rc_->state, &leaf)) < 0 ||
            (rc = model_tally_add(m, ti, leaf, rc_->count)) < 0)
            return rc;
        m->perf.value[leaf] += rc_->count;
    }
    return 0;
}

static int model_merge_points(model_merge_t *c)
{
    model_t *m = c->m;
    for (size_t i = 0; i < c->f->npoints; i++) {
        const rawread_point_t *rp = &c->f->points[i];
        uint32_t ti, node = MODEL_NONE;
        int rc = model_thread_of(m, c->proc, rp->tid, &ti);
        if (rc < 0)
            return rc;
        if (rp->stack != RAWREAD_NONE) {
            if ((rc = model_merge_stack(c, rp->stack, &node)) < 0)
                return rc;
            m->threads[ti].python = 1;
        }
        model_thread_t *t = &m->threads[ti];
        model_point_t *p = GROW_PUSH(t->points, t->npoints, t->points_cap);
        if (!p)
            return -ENOMEM;
        p->t_ns = rp->t_ns;
        p->node = node;
        p->state = rp->state;
        if (rp->t_ns < t->first_seen_ns)
            t->first_seen_ns = rp->t_ns;
    }
    return 0;
}

/* argv from a CMDLINE payload: NUL-terminated strings, the last NUL optional. */
static int model_merge_cmdline(model_merge_t *c)
{
    model_t *m = c->m;
    model_process_t *p = &m->procs[c->proc];
    const char *s = c->f->cmdline.ptr;
    size_t n = c->f->cmdline.len;
    char *joined = malloc(n + 1);
    if (!joined)
        return -ENOMEM;
    size_t jl = 0;
    int rc = 0;
    while (n) {
        const char *z = memchr(s, '\0', n);
        size_t al = z ? (size_t)(z - s) : n;
        uint32_t id, *slot;
        if ((rc = strtab_intern(&m->strings, s, al, &id)) < 0)
            break;
        if (!(slot = GROW_PUSH(p->argv, p->argc, p->argv_cap))) {
            rc = -ENOMEM;
            break;
        }
        *slot = id;
        if (jl)
            joined[jl++] = ' ';
        memcpy(joined + jl, s, al);
        jl += al;
        s += al + (z != NULL);
        n -= al + (z != NULL);
    }
    if (rc == 0)
        rc = strtab_intern(&m->strings, joined, jl, &p->command);
    free(joined);
    return rc;
}

/* 1 if local stack S passes through multiprocessing's Pool termination. */
static int model_stack_ends_pool(const rawread_file_t *f, uint32_t s)
{
    static const char *const names[] = { "Pool.terminate", "Pool._terminate_pool", "Pool.__exit__" };
    for (size_t k = 0; s != RAWREAD_NONE && k <= RAWREAD_DEPTH_MAX; k++, s = f->stacks[s].parent) {
        const rawread_slice_t *n = &f->strings[f->frames[f->stacks[s].frame].name];
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (n->len == strlen(names[i]) && memcmp(n->ptr, names[i], n->len) == 0)
                return 1;
    }
    return 0;
}

/* The children this process reaped and the signals it sent. */
static int model_merge_ends(model_merge_t *c)
{
    model_t *m = c->m;
    const rawread_file_t *f = c->f;
    for (size_t i = 0; i < f->nchild_ends; i++) {
        model_reaped_t *r = GROW_PUSH(m->reaped, m->nreaped, m->reaped_cap);
        if (!r)
            return -ENOMEM;
        *r = (model_reaped_t){ f->header.pid, f->child_ends[i].pid, f->child_ends[i].status,
                               f->child_ends[i].t_ns };
    }
    for (size_t i = 0; i < f->nsignals; i++) {
        const rawread_signal_t *g = &f->signals[i];
        model_signal_t *o = GROW_PUSH(m->signals, m->nsignals, m->signals_cap);
        if (!o)
            return -ENOMEM;
        *o = (model_signal_t){ f->header.pid, g->pid, g->signal, model_stack_ends_pool(f, g->stack),
                               g->t_ns };
    }
    return 0;
}

static int model_merge_notes(model_merge_t *c, const char *name)
{
    model_t *m = c->m;
    const rawread_file_t *f = c->f;
    uint32_t pid = f->header.pid;
    int rc = 0;
    for (size_t i = 0; i < f->nnotes && rc == 0; i++) {
        int len = f->notes[i].len > 900 ? 900 : (int)f->notes[i].len;
        rc = model_note(m, "pid %u: %.*s", pid, len, f->notes[i].ptr);
    }
    for (size_t i = 0; i < f->nproblems && rc == 0; i++)
        rc = model_note(m, "%s (pid %u): %s", name, pid, f->problems[i]);
    if (f->problems_more && rc == 0)
        rc = model_note(m, "%s (pid %u): %zu more problems", name, pid, f->problems_more);
    return rc;
}

int model_add_file(model_t *m, const rawread_file_t *f, const char *name)
{
    if (m->finished || m->nprocs >= MODEL_NONE - 1)
        return -EINVAL;
    model_process_t *p = GROW_PUSH(m->procs, m->nprocs, m->procs_cap);
    if (!p)
        return -ENOMEM;
    memset(p, 0, sizeof *p);
    p->pid = f->header.pid;
    p->ppid = f->header.ppid;
    p->start_mono_ns = f->header.start_mono_ns;
    p->start_real_ns = f->header.start_real_ns;
    p->py_version = f->header.py_version;
    p->interval_us = f->header.sample_interval_us;
    p->last_t_ns = f->last_t_ns;
    p->has_end = f->has_end;
    p->end_t_ns = f->end.t_ns;
    p->end_cpu_ns = f->end.cpu_ns;
    if (f->nstats) {
        p->has_stats = 1;
        p->last_stats = f->stats[f->nstats - 1];
        p->rss = malloc(f->nstats * sizeof *p->rss);
        if (!p->rss)
            return -ENOMEM;
        for (size_t i = 0; i < f->nstats; i++) {
            p->rss[i].t_ns = f->stats[i].t_ns;
            p->rss[i].rss = f->stats[i].rss_bytes;
        }
        p->nrss = p->rss_cap = f->nstats;
    }
    m->partial |= f->partial;
    m->report_dropped += f->dropped;
    if (f->not_profiled) {
        size_t len = f->not_profiled_why.len > 400 ? 400 : f->not_profiled_why.len;
        int rc = strtab_intern(&m->strings, f->not_profiled_why.ptr, len, &p->not_profiled_why);
        if (rc < 0)
            return rc;
        char version[32] = "of an unknown version";
        summary_python_version(p->py_version, version, sizeof version);
        p->not_profiled = 1;
        if ((rc = model_note(m, "process %u runs Python %s, %.*s: not profiled", p->pid,
                             version, (int)len, f->not_profiled_why.ptr)) < 0)
            return rc;
    }

    model_merge_t *c = malloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    c->m = m;
    c->f = f;
    c->proc = (uint32_t)(m->nprocs - 1);
    c->string_of = malloc((f->nstrings + 1) * sizeof *c->string_of);
    c->frame_of = malloc((f->nframes + 1) * sizeof *c->frame_of);
    c->node_of = malloc((f->nstacks + 1) * sizeof *c->node_of);
    c->mem_node_of = malloc((f->nstacks + 1) * sizeof *c->mem_node_of);
    int rc = -ENOMEM;
    if (c->string_of && c->frame_of && c->node_of && c->mem_node_of) {
        memset(c->string_of, 0xff, f->nstrings * sizeof *c->string_of);
        memset(c->frame_of, 0xff, f->nframes * sizeof *c->frame_of);
        memset(c->node_of, 0xff, f->nstacks * sizeof *c->node_of);
        memset(c->mem_node_of, 0xff, f->nstacks * sizeof *c->mem_node_of);
        if ((rc = model_merge_threads(c)) == 0 &&
            (rc = model_merge_counts(c)) == 0 &&
            (rc = model_merge_points(c)) == 0 &&
            (rc = model_merge_memory(c)) == 0 &&
            (rc = model_merge_ends(c)) == 0 &&
            (rc = f->has_cmdline ? model_merge_cmdline(c) : 0) == 0)
            rc = model_merge_notes(c, name);
    }
    free(c->string_of);
    free(c->frame_of);
    free(c->node_of);
    free(c->mem_node_of);
    free(c);
    return rc;
}

/* ---- finishing ----------------------------------------------------------- */

static int model_cmp_bytes(const model_t *m, uint32_t a, uint32_t b)
{
    if (a == b)
        return 0;
    size_t la, lb;
    const char *sa = model_str(m, a, &la), *sb = model_str(m, b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

static int model_cmp_frame(const void *a, const void *b, void *ctx)
{
    const model_t *m = ctx;
    const model_frame_t *x = &m->frames[*(const uint32_t *)a];
    const model_frame_t *y = &m->frames[*(const uint32_t *)b];
    int c = model_cmp_bytes(m, x->name, y->name);
    if (!c)
        c = model_cmp_bytes(m, x->file, y->file);
    if (!c && x->line != y->line)
        c = x->line < y->line ? -1 : 1;
    if (!c && x->kind != y->kind)
        c = x->kind < y->kind ? -1 : 1;
    return c;
}

static int model_cmp_proc(const void *a, const void *b, void *ctx)
{
    const model_t *m = ctx;
    const model_process_t *x = &m->procs[*(const uint32_t *)a];
    const model_process_t *y = &m->procs[*(const uint32_t *)b];
    if (x->start_mono_ns != y->start_mono_ns)
        return x->start_mono_ns < y->start_mono_ns ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int model_cmp_thread(const void *a, const void *b, void *ctx)
{
    const model_t *m = ctx;
    const model_thread_t *x = &m->threads[*(const uint32_t *)a];
    const model_thread_t *y = &m->threads[*(const uint32_t *)b];
    int xm = !(x->flags & RAW_THREAD_MAIN), ym = !(y->flags & RAW_THREAD_MAIN);
    if (xm != ym)
        return xm - ym;
    if (x->first_seen_ns != y->first_seen_ns)
        return x->first_seen_ns < y->first_seen_ns ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int model_cmp_point(const void *a, const void *b)
{
    const model_point_t *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return (int)x->state - (int)y->state;
}

/* The run's last process-tree peak generation (0: the agent wrote none). */
static uint64_t model_mem_generation(const model_t *m)
{
    uint64_t g = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const model_process_t *p = &m->procs[i];
        if (p->has_mem_peak && p->mem_has_generation && p->mem_generation > g)
            g = p->mem_generation;
    }
    return g;
}

/* Whether process P's snapshot is part of the peak: with generations, only
 * a snapshot of the run's last peak G counts (a process that had exited or
 * not yet started held nothing then); without, every process's own peak. */
static int model_mem_counts(const model_process_t *p, uint64_t g)
{
    return p->has_mem_peak && (g == 0 || (p->mem_has_generation && p->mem_generation == g));
}

/* The process tree's peak, in bytes: the highest total any process saw the
 * tree reach (MEM_TREE points), or the committed peak's total, or the sum
 * of the counting snapshots' own bytes (a snapshot written as memory ran
 * out holds the bytes of that moment) — whichever is highest. 0 without
 * generations (files from before process-tree peaks). *ENTRIES gets the
 * counting snapshots' entries added up, *T their latest time. */
static uint64_t model_tree_peak(const model_t *m, uint64_t g, uint64_t *entries, uint64_t *t)
{
    uint64_t peak = 0, own = 0;
    *entries = 0;
    *t = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const model_process_t *p = &m->procs[i];
        for (size_t j = 0; j < p->ntree; j++)
            if (p->tree[j].max_bytes > peak)
                peak = p->tree[j].max_bytes;
        if (!g || !model_mem_counts(p, g))
            continue;
        if (p->mem_tree_peak_bytes > peak)
            peak = p->mem_tree_peak_bytes;
        own = model_sat_add(own, p->mem_peak_bytes);
        for (size_t j = 0; j < p->nmem_entries; j++)
            *entries = model_sat_add(*entries, p->mem_entries[j].bytes);
        if (p->mem_peak_t_ns > *t)
            *t = p->mem_peak_t_ns;
    }
    if (!g)
        return 0;
    return own > peak ? own : peak;
}

/* Bytes of the tree's peak that no counting snapshot holds (a process
 * killed at the peak before it could write its callstacks): shown as one
 * [callstacks not recorded] frame, so that memory.folded adds up to the
 * peak. Below 1 MiB or 0.5% of the peak (the processes' batching of their
 * totals), nothing. */
static uint64_t model_mem_unrecorded(const model_t *m)
{
    uint64_t entries, t, peak = model_tree_peak(m, model_mem_generation(m), &entries, &t);
    uint64_t gap = peak > entries ? peak - entries : 0;
    return gap >= (1u << 20) && gap * 200 >= peak ? gap : 0;
}

/* Adds the counting snapshots' bytes to the memory tree and finishes it.
 * When some snapshot does not count, the tree is rebuilt from the paths of
 * those that do, so that no empty branch is left behind. */
static int model_finish_mem_tree(model_t *m, const uint32_t *rank)
{
    uint64_t g = model_mem_generation(m);
    int all = 1;
    for (size_t i = 0; i < m->nprocs; i++)
        if (m->procs[i].has_mem_peak && !model_mem_counts(&m->procs[i], g))
            all = 0;
    calltree_t *st = &m->mem, fresh;
    uint32_t *map = NULL, *path = NULL;
    int rc = 0;
    if (!all) {
        if (calltree_init(&fresh) < 0) {
            calltree_free(&fresh);
            return -ENOMEM;
        }
        map = malloc(st->n * sizeof *map);
        path = malloc(st->n * sizeof *path);
        if (!map || !path) {
            rc = -ENOMEM;
            goto out;
        }
        memset(map, 0xff, st->n * sizeof *map);
        map[CALLTREE_ROOT] = CALLTREE_ROOT;
    }
    calltree_t *t = all ? st : &fresh;
    for (size_t i = 0; i < m->nprocs && rc == 0; i++) {
        const model_process_t *p = &m->procs[i];
        if (!model_mem_counts(p, g))
            continue;
        for (size_t j = 0; j < p->nmem_entries && rc == 0; j++) {
            uint32_t node = p->mem_entries[j].node;
            if (!all) {
                size_t k = 0;
                uint32_t v = node;
                while (map[v] == MODEL_NONE) {
                    path[k++] = v;
                    v = st->parent[v];
                }
                uint32_t at = map[v];
                while (k && rc == 0) {
                    uint32_t w = path[--k];
                    rc = calltree_child(&fresh, at, st->frame[w], &at);
                    map[w] = at;
                }
                node = map[p->mem_entries[j].node];
            }
            if (rc == 0)
                t->value[node] = model_sat_add(t->value[node], p->mem_entries[j].bytes);
        }
    }
out:
    free(map);
    free(path);
    if (!all) {
        if (rc < 0) {
            calltree_free(&fresh);
            return rc;
        }
        calltree_free(&m->mem);
        m->mem = fresh;
    }
    uint64_t unrecorded = model_mem_unrecorded(m);
    if (unrecorded && m->unrecorded_frame != MODEL_NONE) {
        uint32_t node;
        if ((rc = calltree_child(&m->mem, CALLTREE_ROOT, m->unrecorded_frame, &node)) < 0)
            return rc;
        m->mem.value[node] = model_sat_add(m->mem.value[node], unrecorded);
    }
    return calltree_finish(&m->mem, rank, NULL);
}

static int model_cmp_tally(const void *a, const void *b)
{
    const model_tally_t *x = a, *y = b;
    if (x->thread != y->thread)
        return x->thread < y->thread ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* Renumbers the tallies' leaves through REMAP (old perf node -> new), sorts
 * them by (thread, node) and gives each thread its run. The (thread, leaf)
 * map names old nodes: it is of no further use. */
static void model_finish_tally(model_t *m, const uint32_t *remap)
{
    keymap_free(&m->tally_index);
    for (size_t i = 0; i < m->ntally; i++)
        m->tally[i].node = remap[m->tally[i].node];
    if (m->ntally > 1)
        qsort(m->tally, m->ntally, sizeof *m->tally, model_cmp_tally);
    for (size_t i = 0; i < m->ntally; i++) {
        model_thread_t *t = &m->threads[m->tally[i].thread];
        if (t->ntally++ == 0)
            t->tally_at = i;
    }
}

static int model_finish_tree(model_t *m)
{
    if (model_mem_unrecorded(m) && model_label_frame(m, &m->unrecorded_frame, MODEL_UNRECORDED) < 0)
        return -ENOMEM;
    uint32_t *order = malloc(m->nframes * sizeof *order);
    uint32_t *rank = malloc(m->nframes * sizeof *rank);
    uint32_t *remap = NULL;
    int rc = -ENOMEM;
    if (order && rank) {
        for (size_t i = 0; i < m->nframes; i++)
            order[i] = (uint32_t)i;
        qsort_r(order, m->nframes, sizeof *order, model_cmp_frame, m);
        for (size_t i = 0; i < m->nframes; i++)
            rank[order[i]] = (uint32_t)i;
        rc = calltree_finish(&m->perf, rank, &remap);
        if (rc == 0)
            rc = model_finish_mem_tree(m, rank);
    }
    if (rc == 0) {
        for (size_t i = 0; i < m->nthreads; i++) {
            model_thread_t *t = &m->threads[i];
            for (size_t j = 0; j < t->npoints; j++)
                if (t->points[j].node != MODEL_NONE)
                    t->points[j].node = remap[t->points[j].node];
        }
        model_finish_tally(m, remap);
    }
    free(order);
    free(rank);
    free(remap);
    return rc;
}

/* Processes by (start, pid), each process's threads main-first. */
static int model_finish_order(model_t *m)
{
    size_t n = m->nprocs;
    uint32_t *order = malloc((n + 1) * sizeof *order);
    uint32_t *where = malloc((n + 1) * sizeof *where);
    model_process_t *np = malloc((n + 1) * sizeof *np);
    if (!order || !where || !np) {
        free(order); free(where); free(np);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, n, sizeof *order, model_cmp_proc, m);
    for (size_t i = 0; i < n; i++) {
        np[i] = m->procs[order[i]];
        where[order[i]] = (uint32_t)i;
    }
    for (size_t i = 0; i < m->nthreads; i++)
        m->threads[i].proc = where[m->threads[i].proc];
    for (size_t i = 0; i < m->nreserved; i++)
        m->reserved[i].proc = where[m->reserved[i].proc];
    free(m->procs);
    m->procs = np;
    m->procs_cap = n + 1;
    for (size_t i = 0; i < n; i++)
        if (m->procs[i].nthreads > 1)
            qsort_r(m->procs[i].threads, m->procs[i].nthreads, sizeof(uint32_t),
                    model_cmp_thread, m);
    free(order);
    free(where);
    return 0;
}

static int64_t model_rel(uint64_t t, uint64_t base)
{
    if (t <= base)
        return 0;
    uint64_t d = t - base;
    return d > (uint64_t)INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)d;
}

/* Each point stands for [t_i, t_{i+1}); the last one for as long as the
 * spacing before it (the agent's stride at that time), at least one sample
 * interval, and never past the end of its process. Consecutive points with
 * the same node and state become one span. */
static int model_finish_spans(model_t *m, model_thread_t *t, uint64_t base)
{
    const model_process_t *p = &m->procs[t->proc];
    uint64_t interval = (uint64_t)(p->interval_us ? p->interval_us
                                   : MODEL_DEFAULT_INTERVAL_US) * 1000u;
    uint64_t cap = p->has_end ? p->end_t_ns : p->last_t_ns;
    model_point_t *pt = t->points;
    size_t n = t->npoints;
    for (size_t i = 1; i < n; i++) {
        if (pt[i].t_ns < pt[i - 1].t_ns) {
            qsort(pt, n, sizeof *pt, model_cmp_point);
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t s = pt[i].t_ns, e;
        if (i + 1 < n) {
            e = pt[i + 1].t_ns;
        } else {
            uint64_t gap = n > 1 ? s - pt[i - 1].t_ns : 0;
            uint64_t step = gap > interval ? gap : interval;
            e = s + step < s ? UINT64_MAX : s + step;
            if (cap > s && e > cap)
                e = cap;
        }
        int64_t rs = model_rel(s, base), re = model_rel(e, base);
        if (re <= rs)
            continue;
        model_span_t *last = t->nspans ? &t->spans[t->nspans - 1] : NULL;
        if (last && last->node == pt[i].node && last->state == pt[i].state &&
            last->end_ns == rs) {
            last->end_ns = re;
            continue;
        }
        model_span_t *sp = GROW_PUSH(t->spans, t->nspans, t->spans_cap);
        if (!sp)
            return -ENOMEM;
        sp->start_ns = rs;
        sp->end_ns = re;
        sp->node = pt[i].node;
        sp->state = pt[i].state;
    }
    free(t->points);
    t->points = NULL;
    t->npoints = t->points_cap = 0;
    return 0;
}

/* The process the launcher started: the earliest one whose parent was not
 * profiled (processes are sorted by start by now). */
static size_t model_root_process(const model_t *m)
{
    keymap_t pids;
    keymap_init(&pids);
    uint32_t v;
    for (size_t i = 0; i < m->nprocs; i++)
        if (keymap_intern(&pids, m->procs[i].pid, 0, (uint32_t)i, &v) < 0)
            break;              /* out of memory: fall back to the first */
    size_t root = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        if (!keymap_find(&pids, m->procs[i].ppid, 0, &v) || v == i) {
            root = i;
            break;
        }
    }
    keymap_free(&pids);
    return root;
}

/* What each process's end is known to be: its END record, and its wait
 * status from the process that reaped it — its parent (CHILD_END), or
 * radiograph as the subreaper (run.info), or, for the process radiograph
 * started, run.info's exit status — and until when it counted (its END,
 * else when it was reaped, else its last record). */
static int model_finish_ends_known(model_t *m, size_t root)
{
    const runinfo_t *ri = &m->runinfo;
    for (size_t i = 0; i < ri->nreaped; i++) {
        model_reaped_t *r = GROW_PUSH(m->reaped, m->nreaped, m->reaped_cap);
        if (!r)
            return -ENOMEM;
        *r = (model_reaped_t){ 0, ri->reaped[i].pid, ri->reaped[i].status, ri->reaped[i].t_ns };
    }
    for (size_t i = 0; i < m->nprocs; i++) {
        model_process_t *p = &m->procs[i];
        p->end_known = p->has_end;
        p->gone_t_ns = p->has_end ? p->end_t_ns : p->last_t_ns;
        if (i == root && (ri->has_signal || ri->has_exit_code)) {
            p->has_status = 1;
            p->status = ri->has_signal ? (ri->signal & 0x7f) : (ri->exit_code & 0xff) << 8;
            p->end_known = 1;
            if (!p->has_end && ri->has_end_mono && ri->end_mono_ns > p->gone_t_ns)
                p->gone_t_ns = ri->end_mono_ns;
            continue;
        }
        /* the first reaping of this pid after it started; its parent's word first */
        const model_reaped_t *best = NULL;
        for (size_t j = 0; j < m->nreaped; j++) {
            const model_reaped_t *r = &m->reaped[j];
            if (r->pid != p->pid || r->t_ns < p->start_mono_ns)
                continue;
            int mine = r->recorder == p->ppid, theirs = best && best->recorder == p->ppid;
            if (!best || mine > theirs || (mine == theirs && r->t_ns < best->t_ns))
                best = r;
        }
        if (!best)
            continue;
        p->has_status = 1;
        p->status = best->status;
        p->end_known = 1;
        if (!p->has_end)
            p->gone_t_ns = best->t_ns > p->gone_t_ns ? best->t_ns : p->gone_t_ns;
    }
    return 0;
}

/* "SIGTERM", or "signal N". */
static void model_signal_name(int sig, char *buf, size_t len)
{
    const char *name = sig > 0 && sig < 65 ? sigabbrev_np(sig) : NULL;
    if (name)
        snprintf(buf, len, "SIG%s", name);
    else
        snprintf(buf, len, "signal %d", sig);
}

/* The signal that ended process P, as a profiled process sent it: the last
 * one of its kind to its pid while it lived; NULL if none was seen. */
static const model_signal_t *model_end_sender(const model_t *m, const model_process_t *p)
{
    if (!p->has_status || !WIFSIGNALED(p->status))
        return NULL;
    const model_signal_t *from = NULL;
    for (size_t j = 0; j < m->nsignals; j++) {
        const model_signal_t *g = &m->signals[j];
        if (g->pid == p->pid && (int)g->signal == WTERMSIG(p->status) &&
            g->t_ns >= p->start_mono_ns && g->t_ns <= p->gone_t_ns + 1000000000ull &&
            (!from || g->t_ns > from->t_ns))
            from = g;
    }
    return from;
}

/* The words for process P's end, into BUF. */
static void model_end_label(const model_t *m, const model_process_t *p, char *buf, size_t len)
{
    if (!p->has_status) {
        snprintf(buf, len, p->not_profiled ? "not profiled" : p->has_end ? "exited" : "no end record (killed?)");
        return;
    }
    if (WIFEXITED(p->status)) {
        snprintf(buf, len, "exited %d", WEXITSTATUS(p->status));
        return;
    }
    int sig = WTERMSIG(p->status);
    char name[32];
    model_signal_name(sig, name, sizeof name);
    int n = snprintf(buf, len, "%s by %s%s", sig == SIGTERM ? "terminated" : "killed", name,
                     WCOREDUMP(p->status) ? " (core dumped)" : "");
    if (n < 0 || (size_t)n >= len)
        return;
    const model_signal_t *from = model_end_sender(m, p);
    if (from && from->pool)
        snprintf(buf + n, len - (size_t)n, " (its parent ended the pool)");
    else if (from && from->sender == p->ppid)
        snprintf(buf + n, len - (size_t)n, " (sent by its parent)");
    else if (from)
        snprintf(buf + n, len - (size_t)n, " (sent by pid %u)", from->sender);
    else if (sig == SIGKILL && p->mem_oom)
        snprintf(buf + n, len - (size_t)n, " (out of memory)");
}

/* A killed process's data stops at its last write (at most a second
 * before); a gap longer than this is worth a note. */
#define MODEL_LOST_NOTE_NS 100000000ull

static int model_finish_ended(model_t *m)
{
    size_t missing = 0;
    char pids[256] = "";
    size_t plen = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        model_process_t *p = &m->procs[i];
        char buf[128];
        model_end_label(m, p, buf, sizeof buf);
        if (strtab_intern(&m->strings, buf, strlen(buf), &p->ended) < 0)
            return -ENOMEM;
        /* killed: what it did since its last write is not in the profile;
         * not worth a note when its own parent ended it (a pool torn down) */
        const model_signal_t *from = model_end_sender(m, p);
        if (p->has_status && WIFSIGNALED(p->status) && !p->has_end &&
            !(from && from->sender == p->ppid) &&
            p->gone_t_ns > p->last_t_ns + MODEL_LOST_NOTE_NS &&
            model_note(m, "process %u was %s: its last %.1f s (since it last wrote its data) "
                       "are not in the profile", p->pid, buf,
                       (double)(p->gone_t_ns - p->last_t_ns) / 1e9) < 0)
            return -ENOMEM;
        if (!p->end_known && !p->not_profiled) {
            missing++;
            if (plen < sizeof pids - 24) {
                int w = snprintf(pids + plen, sizeof pids - plen, "%s%u",
                                 plen ? ", " : "", p->pid);
                if (w > 0)
                    plen += (size_t)w;
            } else if (pids[plen - 1] != '.') {
                snprintf(pids + plen, sizeof pids - plen, ", ...");
                plen = strlen(pids);
            }
        }
    }
    const char *why = "it wrote no end record and no profiled process reaped it (killed?)";
    if (missing == 1)
        return model_note(m, "process %s: how it ended is not known: %s", pids, why);
    if (missing > 1)
        return model_note(m, "%zu processes: how they ended is not known: they wrote no end "
                          "record and no profiled process reaped them (killed?): %s", missing, pids);
    return 0;
}

static int model_finish_summary(model_t *m, size_t root)
{
    model_summary_t *s = &m->summary;
    const runinfo_t *ri = &m->runinfo;
    s->radiograph_version = RADIOGRAPH_VERSION;
    s->processes = m->nprocs;
    s->threads = m->nthreads;
    if (ri->argc) {
        uint32_t *cmd = malloc(ri->argc * sizeof *cmd);
        if (!cmd)
            return -ENOMEM;
        for (size_t i = 0; i < ri->argc; i++)
            if (strtab_intern(&m->strings, ri->argv[i], strlen(ri->argv[i]), &cmd[i]) < 0) {
                free(cmd);
                return -ENOMEM;
            }
        s->command = cmd;
        s->command_argc = ri->argc;
    } else if (m->nprocs && m->procs[root].argc) {
        uint32_t *cmd = malloc(m->procs[root].argc * sizeof *cmd);
        if (!cmd)
            return -ENOMEM;
        memcpy(cmd, m->procs[root].argv, m->procs[root].argc * sizeof *cmd);
        s->command = cmd;
        s->command_argc = m->procs[root].argc;
    }
    s->has_exit_code = ri->has_exit_code;
    s->exit_code = ri->exit_code;
    s->has_signal = ri->has_signal;
    s->signal = ri->signal;

    uint64_t base = UINT64_MAX, real = UINT64_MAX, last = 0, cpu = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const model_process_t *p = &m->procs[i];
        if (p->start_mono_ns < base)
            base = p->start_mono_ns;
        if (p->start_real_ns && p->start_real_ns < real)
            real = p->start_real_ns;
        if (p->last_t_ns > last)
            last = p->last_t_ns;
        cpu += p->has_end ? p->end_cpu_ns : p->has_stats ? p->last_stats.cpu_ns : 0;
        s->samples += p->has_stats ? p->last_stats.samples : 0;
        s->dropped_samples += p->has_stats ? p->last_stats.dropped : 0;
        if (!s->py_version)
            s->py_version = p->py_version;
        if (!s->sample_interval_seconds && p->interval_us)
            s->sample_interval_seconds = p->interval_us / 1e6;
    }
    s->dropped_samples += m->report_dropped;
    if (ri->has_start_mono)
        base = ri->start_mono_ns;
    if (base == UINT64_MAX)
        base = 0;
    s->start_mono_ns = base;
    if (ri->has_start_real) {
        s->has_start_time = 1;
        s->start_real_ns = ri->start_real_ns;
    } else if (real != UINT64_MAX) {
        s->has_start_time = 1;
        s->start_real_ns = real;
    }
    if (ri->has_start_mono && ri->has_end_mono && ri->end_mono_ns >= ri->start_mono_ns)
        s->end_ns = model_rel(ri->end_mono_ns, ri->start_mono_ns);
    else
        s->end_ns = model_rel(last, base);
    s->elapsed_seconds = s->end_ns / 1e9;
    s->cpu_seconds = (ri->has_cpu ? ri->cpu_ns : cpu) / 1e9;
    if (ri->has_interval)
        s->sample_interval_seconds = ri->sample_interval_us / 1e6;
    if (!s->sample_interval_seconds)
        s->sample_interval_seconds = MODEL_DEFAULT_INTERVAL_US / 1e6;
    int has = rsspeak_compute(m->procs, m->nprocs, &s->peak_memory_bytes);
    if (has < 0)
        return has;
    s->has_peak_memory = has;
    return 0;
}

/* ---- memory ------------------------------------------------------------- */

__extension__ typedef unsigned __int128 model_u128;

size_t model_mem_downsample(const uint64_t *tracked, size_t stride, size_t n, size_t cap,
                            size_t *keep)
{
    const char *base = (const char *)tracked;
    if (n <= cap) {
        for (size_t i = 0; i < n; i++)
            keep[i] = i;
        return n;
    }
    size_t k = 0;
    for (uint64_t b = 0; b < cap; b++) {
        size_t lo = (size_t)((uint64_t)n * b / cap), hi = (size_t)((uint64_t)n * (b + 1) / cap);
        if (lo >= hi)
            continue;
        size_t best = lo;
        uint64_t bv = *(const uint64_t *)(const void *)(base + lo * stride);
        for (size_t i = lo + 1; i < hi; i++) {
            uint64_t v = *(const uint64_t *)(const void *)(base + i * stride);
            if (v > bv) {
                bv = v;
                best = i;
            }
        }
        keep[k++] = best;
    }
    return k;
}

static int model_cmp_mem_point(const void *a, const void *b)
{
    const raw_mem_point_t *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    if (x->tracked_bytes != y->tracked_bytes)
        return x->tracked_bytes < y->tracked_bytes ? -1 : 1;
    return x->rss_bytes < y->rss_bytes ? -1 : x->rss_bytes > y->rss_bytes;
}

/* A moment in the merged series: a process's own point (and RSS), the
 * tree's total as a process saw it, or a process stopping to count. */
enum { MODEL_EV_POINT, MODEL_EV_TREE, MODEL_EV_GONE };

typedef struct model_mem_event {
    uint64_t t_ns, tracked, rss;
    uint32_t proc;
    uint32_t kind;
    size_t seq;
} model_mem_event_t;

static int model_cmp_mem_event(const void *a, const void *b)
{
    const model_mem_event_t *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    int xg = x->kind == MODEL_EV_GONE, yg = y->kind == MODEL_EV_GONE;
    if (xg != yg)
        return xg - yg;
    if (x->proc != y->proc)
        return x->proc < y->proc ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t model_u128_clamp(model_u128 v)
{
    return v > (model_u128)UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* The memory series, thinned to MODEL_MEM_SERIES_MAX points. Tracked
 * memory is the tree's own total as its processes saw it at their ticks
 * (MEM_TREE) — a real moment's figure, never above the tree's peak; for
 * files from before it, the sum of every process's step function, at every
 * timestamp of any of them, a process's MEM_PEAK being one more point of
 * its own. RSS is always that sum. A process counts from its first point
 * until it is gone (model_process_t.gone_t_ns). With INSERT_PEAK, the
 * summary's peak becomes a point too. */
static int model_finish_mem_series(model_t *m, int insert_peak)
{
    size_t total = 0;
    int use_tree = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const model_process_t *p = &m->procs[i];
        if (p->nmem || p->has_mem_peak || p->ntree)
            total += p->nmem + p->ntree + 2;
        use_tree |= p->ntree > 0;
    }
    if (!total)
        return 0;
    model_mem_event_t *ev = malloc(total * sizeof *ev);
    uint64_t *cur_t = calloc(m->nprocs, sizeof *cur_t);
    uint64_t *cur_r = calloc(m->nprocs, sizeof *cur_r);
    model_mem_point_t *out = malloc((total + 1) * sizeof *out);
    size_t *keep = malloc((total + 1) * sizeof *keep);
    if (!ev || !cur_t || !cur_r || !out || !keep) {
        free(ev); free(cur_t); free(cur_r); free(out); free(keep);
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const model_process_t *p = &m->procs[i];
        if (!p->nmem && !p->has_mem_peak && !p->ntree)
            continue;
        for (size_t j = 0; j < p->nmem; j++)
            ev[k++] = (model_mem_event_t){ p->mem[j].t_ns, p->mem[j].tracked_bytes,
                                           p->mem[j].rss_bytes, (uint32_t)i, MODEL_EV_POINT, j };
        for (size_t j = 0; j < p->ntree; j++)
            ev[k++] = (model_mem_event_t){ p->tree[j].t_ns, p->tree[j].total_bytes, 0, (uint32_t)i,
                                           MODEL_EV_TREE, j };
        if (p->has_mem_peak && !use_tree)
            ev[k++] = (model_mem_event_t){ p->mem_peak_t_ns, p->mem_peak_bytes, 0,
                                           (uint32_t)i, MODEL_EV_POINT, p->nmem };
        ev[k++] = (model_mem_event_t){ p->gone_t_ns, 0, 0, (uint32_t)i, MODEL_EV_GONE, 0 };
    }
    qsort(ev, k, sizeof *ev, model_cmp_mem_event);
    model_u128 sum_t = 0, sum_r = 0;
    uint64_t tree = 0;
    size_t have_r = 0, n = 0;
    uint64_t base = m->summary.start_mono_ns;
    for (size_t j = 0; j < k; j++) {
        const model_mem_event_t *e = &ev[j];
        uint32_t p = e->proc;
        int gone = e->kind == MODEL_EV_GONE;
        if (e->kind == MODEL_EV_TREE) {
            tree = e->tracked;
        } else {
            sum_t -= cur_t[p];
            cur_t[p] = gone ? 0 : e->tracked;
            sum_t += cur_t[p];
        }
        if (gone || (e->kind == MODEL_EV_POINT && e->rss)) {
            sum_r -= cur_r[p];
            have_r -= cur_r[p] != 0;
            cur_r[p] = gone ? 0 : e->rss;
            sum_r += cur_r[p];
            have_r += cur_r[p] != 0;
        }
        if (gone || (j + 1 < k && ev[j + 1].t_ns == e->t_ns && ev[j + 1].kind != MODEL_EV_GONE))
            continue;
        out[n].t_ns = model_rel(e->t_ns, base);
        out[n].tracked = use_tree ? tree : model_u128_clamp(sum_t);
        out[n].rss = have_r ? model_u128_clamp(sum_r) : MODEL_NO_RSS;
        if (out[n].rss == MODEL_NO_RSS && have_r)
            out[n].rss = MODEL_NO_RSS - 1;
        n++;
    }
    if (insert_peak) {
        const model_summary_t *s = &m->summary;
        size_t at = 0;
        while (at < n && out[at].t_ns <= s->peak_memory_ns)
            at++;
        if (at > 0 && out[at - 1].t_ns == s->peak_memory_ns) {
            if (out[at - 1].tracked < s->peak_memory_bytes)
                out[at - 1].tracked = s->peak_memory_bytes;
        } else {
            memmove(out + at + 1, out + at, (n - at) * sizeof *out);
            out[at].t_ns = s->peak_memory_ns;
            out[at].tracked = s->peak_memory_bytes;
            out[at].rss = at > 0 ? out[at - 1].rss : MODEL_NO_RSS;
            n++;
        }
    }
    size_t kept = model_mem_downsample(&out[0].tracked, sizeof *out, n, MODEL_MEM_SERIES_MAX,
                                       keep);
    for (size_t i = 0; i < kept; i++)
        out[i] = out[keep[i]];
    m->mem_series = out;
    m->nmem_series = kept;
    free(ev);
    free(cur_t);
    free(cur_r);
    free(keep);
    return 0;
}

static int model_cmp_tree_point(const void *a, const void *b)
{
    const raw_mem_tree_point_t *x = a, *y = b;
    return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

static int model_cmp_reserved_path(const void *a, const void *b, void *ctx)
{
    const model_t *m = ctx;
    const model_reserved_t *x = a, *y = b;
    uint32_t n = x->depth < y->depth ? x->depth : y->depth;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t fx = m->reserved_frames[x->at + i], fy = m->reserved_frames[y->at + i];
        if (fx != fy)
            return fx < fy ? -1 : 1;
    }
    return x->depth < y->depth ? -1 : x->depth > y->depth;
}

static int model_cmp_reserved_bytes(const void *a, const void *b, void *ctx)
{
    const model_reserved_t *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return model_cmp_reserved_path(a, b, ctx);
}

/* Keeps the reserved entries of the counting snapshots (generation G),
 * merges those of one stack, and orders them largest first; their sum is
 * the summary's reserved_bytes. */
static void model_finish_reserved(model_t *m, uint64_t g)
{
    size_t n = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < m->nreserved; i++)
        if (model_mem_counts(&m->procs[m->reserved[i].proc], g))
            m->reserved[n++] = m->reserved[i];
    if (n > 1)
        qsort_r(m->reserved, n, sizeof *m->reserved, model_cmp_reserved_path, m);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        sum = model_sat_add(sum, m->reserved[i].bytes);
        if (w && model_cmp_reserved_path(&m->reserved[w - 1], &m->reserved[i], m) == 0)
            m->reserved[w - 1].bytes = model_sat_add(m->reserved[w - 1].bytes, m->reserved[i].bytes);
        else
            m->reserved[w++] = m->reserved[i];
    }
    if (w > 1)
        qsort_r(m->reserved, w, sizeof *m->reserved, model_cmp_reserved_bytes, m);
    m->nreserved = w;
    m->summary.has_reserved = 1;
    m->summary.reserved_bytes = sum;
}

/* Sorts each process's series, merges them, and sets the summary's memory
 * figures: the peak from tracking when some process has it (else the RSS
 * figure stays), R, whether some process ran out of memory, and what was
 * reserved but not used. With process-tree peaks the peak is the tree's
 * (model_tree_peak), at the time of its last committed generation;
 * otherwise the sum of every process's own peak (a process killed before
 * its first MEM_PEAK: the top of its series), at the latest of their
 * times. */
static int model_finish_memory(model_t *m)
{
    model_summary_t *s = &m->summary;
    uint64_t peak = 0, peak_t = 0, g = model_mem_generation(m);
    int any = 0, rc;
    for (size_t i = 0; i < m->nprocs; i++) {
        model_process_t *p = &m->procs[i];
        if (!p->has_memory)
            continue;
        for (size_t j = 1; j < p->nmem; j++) {
            if (model_cmp_mem_point(&p->mem[j - 1], &p->mem[j]) > 0) {
                qsort(p->mem, p->nmem, sizeof *p->mem, model_cmp_mem_point);
                break;
            }
        }
        if (p->ntree > 1)
            qsort(p->tree, p->ntree, sizeof *p->tree, model_cmp_tree_point);
        if (p->has_mem_info && !s->has_memory_sample_bytes) {
            s->has_memory_sample_bytes = 1;
            s->memory_sample_bytes = p->mem_sample_bytes;
        }
        if (p->mem_oom) {
            s->oom = 1;
            if ((rc = p->mem_oom_now
                     ? model_note(m, "process %u ran out of memory: the memory profile shows "
                                  "what was live when an allocation failed or memory was "
                                  "nearly exhausted", p->pid)
                     : model_note(m, "process %u ran out of memory (an allocation failed, or "
                                  "memory was nearly exhausted) and went on: the memory "
                                  "profile shows the run's peak", p->pid)) < 0)
                return rc;
        }
        if (g) {
            any |= model_mem_counts(p, g);
            continue;
        }
        uint64_t pb = 0, pt = 0;
        if (p->has_mem_peak) {
            pb = p->mem_peak_bytes;
            pt = p->mem_peak_t_ns;
        } else if (p->nmem) {
            /* killed before its first MEM_PEAK: the highest point of its series */
            for (size_t j = 0; j < p->nmem; j++)
                if (j == 0 || p->mem[j].tracked_bytes > pb) {
                    pb = p->mem[j].tracked_bytes;
                    pt = p->mem[j].t_ns;
                }
        } else {
            continue;
        }
        any = 1;
        peak = model_sat_add(peak, pb);
        if (pt > peak_t)
            peak_t = pt;
    }
    if (g) {
        uint64_t entries;
        peak = model_tree_peak(m, g, &entries, &peak_t);
    }
    if (any) {
        s->has_peak_memory = 1;
        s->peak_memory_bytes = peak;
        s->peak_memory_tracked = 1;
        s->has_peak_memory_time = 1;
        s->peak_memory_ns = model_rel(peak_t, s->start_mono_ns);
    }
    if (m->has_memory)
        model_finish_reserved(m, g);
    return model_finish_mem_series(m, any && g != 0);
}

int model_finish(model_t *m, runinfo_t *ri)
{
    if (m->finished)
        return -EINVAL;
    m->finished = 1;
    m->runinfo = *ri;
    memset(ri, 0, sizeof *ri);
    int rc;
    if ((rc = model_finish_tree(m)) < 0 || (rc = model_finish_order(m)) < 0)
        return rc;
    size_t root = model_root_process(m);
    if ((rc = model_finish_summary(m, root)) < 0 || (rc = model_finish_ends_known(m, root)) < 0 ||
        (rc = model_finish_memory(m)) < 0)
        return rc;
    for (size_t i = 0; i < m->nthreads; i++) {
        if ((rc = model_finish_spans(m, &m->threads[i], m->summary.start_mono_ns)) < 0)
            return rc;
        model_thread_t *t = &m->threads[i];
        if (t->nspans && t->spans[t->nspans - 1].end_ns > m->summary.end_ns)
            m->summary.end_ns = t->spans[t->nspans - 1].end_ns;
    }
    if ((rc = model_finish_ended(m)) < 0)
        return rc;
    if (m->notes_more) {
        /* the cap counts notes, so make room for this last one */
        m->nnotes--;
        m->notes_more++;
        char buf[64];
        snprintf(buf, sizeof buf, "... and %zu more notes", m->notes_more);
        if (strtab_intern(&m->strings, buf, strlen(buf), &m->notes[m->nnotes]) < 0)
            return -ENOMEM;
        m->nnotes++;
    }
    return 0;
}
