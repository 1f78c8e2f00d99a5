/* rawread.c — a bounds-checked walk over one raw file's records.
 *
 * Every multi-byte field is read byte by byte in little-endian order (the
 * payload of an untrusted record need not be aligned), and every id goes
 * through a per-kind table from the writer's id to our index. Ids must be
 * defined before use (rawfmt.h), so a STACK's parent always has a smaller
 * index than the stack itself: the stacks form a forest in index order,
 * which the model relies on and which rules out cycles by construction.
 *
 * A fixed-size record may be longer than the struct this reader knows: the
 * extra bytes are ignored, so fields can be appended to a record without a
 * format version change (STATS grew agent_cpu_ns that way). Shorter is
 * malformed. */
#include "rawread.h"
#include "keymap.h"
#include "grow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAWREAD_HEADER_SIZE_MAX 4096u
#define RAWREAD_STATS_MIN 48u    /* STATS before agent_cpu_ns was added */

typedef struct rawread_ctx {
    rawread_file_t *f;
    keymap_t string_ids, frame_ids, stack_ids;
    uint64_t undefined_samples;    /* COUNTS samples with an undefined stack */
    uint64_t bad_state_samples;
    uint64_t undefined_points;
    uint64_t bad_state_points;
    uint64_t undefined_mem_entries; /* MEM_PEAK entries with an undefined stack */
    uint64_t bad_mem_values;       /* memory points or entries over RAWREAD_MEM_BYTES_MAX, entries of an unknown kind */
    uint64_t bad_records;          /* known type, wrong length or bad id */
    uint64_t unknown_records;
    size_t max_held;               /* RAWREAD_DATA_MAX unless a test says less */
} rawread_ctx_t;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void rawread_problem(rawread_file_t *f, const char *fmt, ...)
{
    if (f->nproblems >= RAWREAD_PROBLEMS_MAX) {
        f->problems_more++;
        return;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *s = strdup(msg);
    if (s)
        f->problems[f->nproblems++] = s;
    else
        f->problems_more++;
}

static void rawread_seen(rawread_file_t *f, uint64_t t)
{
    if (t > f->last_t_ns)
        f->last_t_ns = t;
}

/* The file's bytes that the result keeps (names, notes, the command line)
 * are copied into blocks the result owns: the input is read through a
 * window that is reused. */
typedef struct rawread_block {
    struct rawread_block *next;
    size_t used, cap;
    char data[];
} rawread_block_t;

#define RAWREAD_BLOCK (64u << 10)

static int rawread_keep(rawread_file_t *f, const uint8_t *p, uint32_t len, rawread_slice_t *out)
{
    rawread_block_t *b = f->store;
    if (!b || b->cap - b->used < len) {
        size_t cap = len > RAWREAD_BLOCK ? len : RAWREAD_BLOCK;
        rawread_block_t *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return -ENOMEM;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        f->store = b = nb;
        f->store_bytes += sizeof *nb + cap;
    }
    if (len)
        memcpy(b->data + b->used, p, len);
    out->ptr = b->data + b->used;
    out->len = len;
    b->used += len;
    return 0;
}

/* What the result holds so far, in bytes (for RAWREAD_DATA_MAX). */
static size_t rawread_held(const rawread_file_t *f)
{
    return f->store_bytes + f->strings_cap * sizeof *f->strings +
           f->frames_cap * sizeof *f->frames + f->stacks_cap * sizeof *f->stacks +
           f->threads_cap * sizeof *f->threads + f->counts_cap * sizeof *f->counts +
           f->points_cap * sizeof *f->points + f->stats_cap * sizeof *f->stats +
           f->notes_cap * sizeof *f->notes + f->mem_points_cap * sizeof *f->mem_points +
           f->mem_entries_cap * sizeof *f->mem_entries;
}

/* Id lookup: 1 and *INDEX if defined, else 0. */
static int rawread_lookup(const keymap_t *ids, uint32_t id, uint32_t *index)
{
    return id != 0 && keymap_find(ids, id, 0, index);
}

/* Registers a new id for the next index N. Returns 0 (fresh), 1 (already
 * defined: a writer bug; the first definition stays), or -ENOMEM. */
static int rawread_define(keymap_t *ids, uint32_t id, size_t n)
{
    uint32_t v;
    if (n >= RAWREAD_NONE)
        return 1;
    return keymap_intern(ids, id, 0, (uint32_t)n, &v);
}

static int rawread_string(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len < 4 || rd32(p) == 0) {
        c->bad_records++;
        return 0;
    }
    int rc = rawread_define(&c->string_ids, rd32(p), f->nstrings);
    if (rc != 0) {
        c->bad_records += rc > 0;
        return rc < 0 ? rc : 0;
    }
    rawread_slice_t *s = GROW_PUSH(f->strings, f->nstrings, f->strings_cap);
    if (!s)
        return -ENOMEM;
    return rawread_keep(f, p + 4, len - 4, s);
}

static int rawread_frame(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    uint32_t name, file = RAWREAD_NONE;
    if (len < sizeof(raw_frame_t) || rd32(p) == 0 ||
        !rawread_lookup(&c->string_ids, rd32(p + 4), &name) ||
        (rd32(p + 8) != 0 && !rawread_lookup(&c->string_ids, rd32(p + 8), &file))) {
        c->bad_records++;
        return 0;
    }
    int rc = rawread_define(&c->frame_ids, rd32(p), f->nframes);
    if (rc != 0) {
        c->bad_records += rc > 0;
        return rc < 0 ? rc : 0;
    }
    rawread_frame_t *fr = GROW_PUSH(f->frames, f->nframes, f->frames_cap);
    if (!fr)
        return -ENOMEM;
    fr->name = name;
    fr->file = file;
    fr->line = rd32(p + 12);
    return 0;
}

static int rawread_stack(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    uint32_t parent = RAWREAD_NONE, frame, depth = 1;
    if (len < sizeof(raw_stack_t) || rd32(p) == 0 ||
        (rd32(p + 4) != 0 && !rawread_lookup(&c->stack_ids, rd32(p + 4), &parent)) ||
        !rawread_lookup(&c->frame_ids, rd32(p + 8), &frame)) {
        c->bad_records++;
        return 0;
    }
    if (parent != RAWREAD_NONE)
        depth = f->stacks[parent].depth + 1;
    if (depth > RAWREAD_DEPTH_MAX) {
        c->bad_records++;
        return 0;
    }
    int rc = rawread_define(&c->stack_ids, rd32(p), f->nstacks);
    if (rc != 0) {
        c->bad_records += rc > 0;
        return rc < 0 ? rc : 0;
    }
    rawread_stack_t *s = GROW_PUSH(f->stacks, f->nstacks, f->stacks_cap);
    if (!s)
        return -ENOMEM;
    s->parent = parent;
    s->frame = frame;
    s->depth = depth;
    return 0;
}

static int rawread_thread(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len < sizeof(raw_thread_t)) {
        c->bad_records++;
        return 0;
    }
    rawread_thread_t *t = GROW_PUSH(f->threads, f->nthreads, f->threads_cap);
    if (!t)
        return -ENOMEM;
    t->tid = rd32(p);
    t->flags = rd32(p + 4);
    t->first_seen_ns = rd64(p + 8);
    return rawread_keep(f, p + sizeof(raw_thread_t), len - (uint32_t)sizeof(raw_thread_t), &t->name);
}

/* Resolves a sample's stack id: 1 and *INDEX (RAWREAD_NONE for stack 0). */
static int rawread_sample_stack(rawread_ctx_t *c, uint32_t id, uint32_t *index)
{
    if (id == 0) {
        *index = RAWREAD_NONE;
        return 1;
    }
    return rawread_lookup(&c->stack_ids, id, index);
}

static int rawread_counts(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len % sizeof(raw_count_t)) {
        c->bad_records++;
        return 0;
    }
    size_t n = len / sizeof(raw_count_t);
    if (grow_array((void **)&f->counts, &f->counts_cap, f->ncounts + n,
                   sizeof *f->counts) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++, p += sizeof(raw_count_t)) {
        uint32_t stack, count = rd32(p + 12);
        uint8_t state = p[8];
        if (count == 0)
            continue;
        if (state >= RAW_ST_COUNT) {
            c->bad_state_samples += count;
            continue;
        }
        if (!rawread_sample_stack(c, rd32(p), &stack)) {
            c->undefined_samples += count;
            continue;
        }
        rawread_count_t *o = &f->counts[f->ncounts++];
        o->stack = stack;
        o->tid = rd32(p + 4);
        o->count = count;
        o->state = state;
    }
    return 0;
}

static int rawread_timeline(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len % sizeof(raw_point_t)) {
        c->bad_records++;
        return 0;
    }
    size_t n = len / sizeof(raw_point_t);
    if (grow_array((void **)&f->points, &f->points_cap, f->npoints + n,
                   sizeof *f->points) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++, p += sizeof(raw_point_t)) {
        uint32_t stack;
        uint8_t state = p[16];
        if (state >= RAW_ST_COUNT) {
            c->bad_state_points++;
            continue;
        }
        if (!rawread_sample_stack(c, rd32(p + 12), &stack)) {
            c->undefined_points++;
            continue;
        }
        rawread_point_t *o = &f->points[f->npoints++];
        o->t_ns = rd64(p);
        o->tid = rd32(p + 8);
        o->stack = stack;
        o->state = state;
        rawread_seen(f, o->t_ns);
    }
    return 0;
}

static int rawread_stats(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len < RAWREAD_STATS_MIN) {
        c->bad_records++;
        return 0;
    }
    raw_stats_t *s = GROW_PUSH(f->stats, f->nstats, f->stats_cap);
    if (!s)
        return -ENOMEM;
    s->t_ns = rd64(p);
    s->samples = rd64(p + 8);
    s->dropped = rd64(p + 16);
    s->cpu_ns = rd64(p + 24);
    s->rss_bytes = rd64(p + 32);
    s->rss_peak_bytes = rd64(p + 40);
    s->agent_cpu_ns = len >= 56 ? rd64(p + 48) : 0;
    rawread_seen(f, s->t_ns);
    return 0;
}

static int rawread_note(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len == 0)
        return 0;
    rawread_slice_t *s = GROW_PUSH(f->notes, f->nnotes, f->notes_cap);
    if (!s)
        return -ENOMEM;
    return rawread_keep(f, p, len, s);
}

static int rawread_end(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len < sizeof(raw_end_t)) {
        c->bad_records++;
        return 0;
    }
    f->has_end = 1;
    f->end.t_ns = rd64(p);
    f->end.cpu_ns = rd64(p + 8);
    rawread_seen(f, f->end.t_ns);
    return 0;
}

static int rawread_mem_info(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len < sizeof(raw_mem_info_t)) {
        c->bad_records++;
        return 0;
    }
    f->has_mem_info = 1;
    f->mem_info.sample_bytes = rd64(p);
    f->mem_info.flags = rd64(p + 8);
    return 0;
}

static int rawread_mem_series(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len % sizeof(raw_mem_point_t)) {
        c->bad_records++;
        return 0;
    }
    size_t n = len / sizeof(raw_mem_point_t);
    if (grow_array((void **)&f->mem_points, &f->mem_points_cap, f->nmem_points + n,
                   sizeof *f->mem_points) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++, p += sizeof(raw_mem_point_t)) {
        uint64_t tracked = rd64(p + 8), rss = rd64(p + 16);
        if (tracked > RAWREAD_MEM_BYTES_MAX || rss > RAWREAD_MEM_BYTES_MAX) {
            c->bad_mem_values++;
            continue;
        }
        raw_mem_point_t *o = &f->mem_points[f->nmem_points++];
        o->t_ns = rd64(p);
        o->tracked_bytes = tracked;
        o->rss_bytes = rss;
        rawread_seen(f, o->t_ns);
    }
    return 0;
}

/* A well-formed MEM_PEAK replaces the file's snapshot; its entries are
 * checked one by one. */
static int rawread_mem_peak(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    const size_t elem = sizeof(raw_mem_stack_t);
    /* npeak (at offset 16 in both heads) says which head this is */
    uint64_t npeak = len >= RAWREAD_MEM_PEAK_HEAD_V1 ? rd64(p + 16) : 0;
    size_t head = 0;
    if (len < RAWREAD_MEM_PEAK_HEAD_V1 || npeak > len / elem)
        head = 0;
    else if (len == RAWREAD_MEM_PEAK_HEAD_V1 + npeak * elem)
        head = RAWREAD_MEM_PEAK_HEAD_V1;
    else if (len == RAWREAD_MEM_PEAK_HEAD_V2 + npeak * elem)
        head = RAWREAD_MEM_PEAK_HEAD_V2;
    if (!head || rd64(p + 8) > RAWREAD_MEM_BYTES_MAX ||
        (head >= RAWREAD_MEM_PEAK_HEAD_V2 && rd64(p + 40) > RAWREAD_MEM_BYTES_MAX)) {
        c->bad_records++;
        return 0;
    }
    size_t n = (size_t)npeak;
    if (grow_array((void **)&f->mem_entries, &f->mem_entries_cap, n ? n : 1,
                   sizeof *f->mem_entries) < 0)
        return -ENOMEM;
    f->has_mem_peak = 1;
    memset(&f->mem_peak, 0, sizeof f->mem_peak);
    f->mem_peak.t_ns = rd64(p);
    f->mem_peak.peak_bytes = rd64(p + 8);
    /* bit 0: written as memory ran out; bit 1: it had before (rawfmt.h) */
    f->mem_peak.oom = (rd64(p + 24) & 1) != 0;
    f->mem_peak.oom_before = rd64(p + 24) != 0;
    if (head >= RAWREAD_MEM_PEAK_HEAD_V2) {
        f->mem_peak.has_generation = 1;
        f->mem_peak.generation = rd64(p + 32);
        f->mem_peak.tree_peak_bytes = rd64(p + 40);
    }
    f->nmem_entries = 0;
    rawread_seen(f, f->mem_peak.t_ns);
    p += head;
    for (size_t i = 0; i < n; i++, p += elem) {
        uint32_t stack, kind = rd32(p + 4);
        uint64_t bytes = rd64(p + 8);
        if (bytes > RAWREAD_MEM_BYTES_MAX || kind > RAW_MEM_RESERVED) {
            c->bad_mem_values++;
            continue;
        }
        if (kind == RAW_MEM_ROUNDING) {
            stack = RAWREAD_NONE;
        } else if (!rawread_sample_stack(c, rd32(p), &stack)) {
            c->undefined_mem_entries++;
            continue;
        }
        if (bytes == 0)
            continue;
        rawread_mem_entry_t *o = &f->mem_entries[f->nmem_entries++];
        o->stack = stack;
        o->kind = (uint8_t)kind;
        o->bytes = bytes;
    }
    return 0;
}

/* MEM_TREE: like MEM_SERIES, points of (t, total, max). */
static int rawread_mem_tree(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    const size_t elem = sizeof(raw_mem_tree_point_t);
    if (len % elem) {
        c->bad_records++;
        return 0;
    }
    size_t n = len / elem;
    if (grow_array((void **)&f->tree_points, &f->tree_points_cap, f->ntree_points + n,
                   sizeof *f->tree_points) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++, p += elem) {
        uint64_t total = rd64(p + 8), max = rd64(p + 16);
        if (total > RAWREAD_MEM_BYTES_MAX || max > RAWREAD_MEM_BYTES_MAX) {
            c->bad_mem_values++;
            continue;
        }
        raw_mem_tree_point_t *o = &f->tree_points[f->ntree_points++];
        o->t_ns = rd64(p);
        o->total_bytes = total;
        o->max_bytes = max;
        rawread_seen(f, o->t_ns);
    }
    return 0;
}

static int rawread_child_end(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len < sizeof(raw_child_end_t) || rd32(p + 8) == 0) {
        c->bad_records++;
        return 0;
    }
    raw_child_end_t *o = GROW_PUSH(f->child_ends, f->nchild_ends, f->child_ends_cap);
    if (!o)
        return -ENOMEM;
    o->t_ns = rd64(p);
    o->pid = rd32(p + 8);
    o->status = (int32_t)rd32(p + 12);
    o->flags = rd64(p + 16);
    rawread_seen(f, o->t_ns);
    return 0;
}

static int rawread_signal_sent(rawread_ctx_t *c, const uint8_t *p, uint32_t len)
{
    rawread_file_t *f = c->f;
    if (len < sizeof(raw_signal_sent_t) || rd32(p + 8) == 0) {
        c->bad_records++;
        return 0;
    }
    uint32_t stack = RAWREAD_NONE;
    if (rd32(p + 16) && !rawread_sample_stack(c, rd32(p + 16), &stack))
        stack = RAWREAD_NONE;        /* an undefined stack: the signal is still known */
    rawread_signal_t *o = GROW_PUSH(f->signals, f->nsignals, f->signals_cap);
    if (!o)
        return -ENOMEM;
    o->t_ns = rd64(p);
    o->pid = rd32(p + 8);
    o->signal = rd32(p + 12);
    o->stack = stack;
    rawread_seen(f, o->t_ns);
    return 0;
}

static int rawread_record(rawread_ctx_t *c, uint16_t type, const uint8_t *p,
                          uint32_t len)
{
    switch (type) {
    case RAW_STRING:   return rawread_string(c, p, len);
    case RAW_FRAME:    return rawread_frame(c, p, len);
    case RAW_STACK:    return rawread_stack(c, p, len);
    case RAW_THREAD:   return rawread_thread(c, p, len);
    case RAW_COUNTS:   return rawread_counts(c, p, len);
    case RAW_TIMELINE: return rawread_timeline(c, p, len);
    case RAW_STATS:    return rawread_stats(c, p, len);
    case RAW_NOTE:     return rawread_note(c, p, len);
    case RAW_END:      return rawread_end(c, p, len);
    case RAW_MEM_INFO:   return rawread_mem_info(c, p, len);
    case RAW_MEM_SERIES: return rawread_mem_series(c, p, len);
    case RAW_MEM_PEAK:   return rawread_mem_peak(c, p, len);
    case RAW_MEM_TREE:   return rawread_mem_tree(c, p, len);
    case RAW_CHILD_END:  return rawread_child_end(c, p, len);
    case RAW_SIGNAL_SENT: return rawread_signal_sent(c, p, len);
    case RAW_NOT_PROFILED:
        c->f->not_profiled = 1;
        return rawread_keep(c->f, p, len, &c->f->not_profiled_why);
    case RAW_CMDLINE:
        c->f->has_cmdline = 1;
        return rawread_keep(c->f, p, len, &c->f->cmdline);
    default:
        if (type < 20 || type > 39)   /* 24..39: memory records to come */
            c->unknown_records++;
        return 0;
    }
}

static int rawread_header(const uint8_t *data, size_t size, rawread_file_t *f)
{
    if (size == 0) {
        rawread_problem(f, "empty: its process wrote nothing (killed at once, or it could not "
                        "write: a full disk?)");
        return -EINVAL;
    }
    if (size < 8 || memcmp(data, RAW_MAGIC, 8) != 0) {
        rawread_problem(f, "not a radiograph raw file (no RGRAW01 magic)");
        return -EINVAL;
    }
    if (size < RAW_HEADER_SIZE) {
        rawread_problem(f, "cut short inside its header (%zu bytes)", size);
        return -EINVAL;
    }
    raw_header_t *h = &f->header;
    memcpy(h->magic, data, 8);
    h->format_version = rd32(data + 8);
    h->header_size = rd32(data + 12);
    h->pid = rd32(data + 16);
    h->ppid = rd32(data + 20);
    h->start_mono_ns = rd64(data + 24);
    h->start_real_ns = rd64(data + 32);
    h->py_version = rd32(data + 40);
    h->sample_interval_us = rd32(data + 44);
    h->reserved[0] = rd64(data + 48);
    h->reserved[1] = rd64(data + 56);
    if (h->format_version != RAW_FORMAT_VERSION) {
        rawread_problem(f, "raw format version %u; this radiograph reads version %u",
                        h->format_version, RAW_FORMAT_VERSION);
        return -EINVAL;
    }
    if (h->header_size < RAW_HEADER_SIZE || h->header_size > RAWREAD_HEADER_SIZE_MAX) {
        rawread_problem(f, "corrupt header (header size %u)", h->header_size);
        return -EINVAL;
    }
    if (h->header_size > size) {
        rawread_problem(f, "cut short inside its header (%zu bytes)", size);
        return -EINVAL;
    }
    f->last_t_ns = h->start_mono_ns;
    return 0;
}

/* Turns the skipped-sample counters into one note each. */
static void rawread_summarise(rawread_ctx_t *c)
{
    rawread_file_t *f = c->f;
    f->dropped += c->undefined_samples + c->bad_state_samples;
    if (c->undefined_samples)
        rawread_problem(f, "%llu samples dropped: their stack was never defined",
                        (unsigned long long)c->undefined_samples);
    if (c->bad_state_samples)
        rawread_problem(f, "%llu samples dropped: invalid thread state",
                        (unsigned long long)c->bad_state_samples);
    if (c->undefined_points + c->bad_state_points)
        rawread_problem(f, "%llu timeline points dropped: undefined stack or invalid state",
                        (unsigned long long)(c->undefined_points + c->bad_state_points));
    if (c->undefined_mem_entries)
        rawread_problem(f, "%llu peak-memory entries dropped: their stack was never defined",
                        (unsigned long long)c->undefined_mem_entries);
    if (c->bad_mem_values)
        rawread_problem(f, "%llu memory points or peak entries dropped: absurd byte counts or unknown kinds",
                        (unsigned long long)c->bad_mem_values);
    if (c->bad_records)
        rawread_problem(f, "%llu malformed records skipped (bad length or undefined id)",
                        (unsigned long long)c->bad_records);
    if (c->undefined_samples || c->bad_state_samples || c->undefined_points ||
        c->bad_state_points || c->bad_records || c->undefined_mem_entries ||
        c->bad_mem_values)
        f->partial = 1;
    if (c->unknown_records)
        rawread_problem(f, "%llu records of an unknown type skipped",
                        (unsigned long long)c->unknown_records);
}

/* Parses the whole records in the N bytes at P, which are at offset AT of
 * the file. Returns the bytes consumed; the rest is an incomplete record
 * (wait for more unless EOF, where it is reported as cut). Sets *STOP when
 * the file must not be read further (corrupt, over RAWREAD_DATA_MAX, or an
 * error in *RC). */
static size_t rawread_records(rawread_ctx_t *c, const uint8_t *p, size_t n, uint64_t at,
                              int eof, int *stop, int *rc)
{
    size_t max_held = c->max_held ? c->max_held : RAWREAD_DATA_MAX;
    rawread_file_t *f = c->f;
    size_t pos = 0;
    while (pos < n) {
        uint64_t where = at + pos;
        if (n - pos < sizeof(raw_record_head_t)) {
            if (eof) {
                rawread_problem(f, "cut short at byte %llu, inside a record head "
                                "(killed while writing?)", (unsigned long long)where);
                f->partial = 1;
                *stop = 1;
            }
            return pos;
        }
        uint16_t type = rd16(p + pos);
        uint32_t len = rd32(p + pos + 4);
        if (type == 0 && len == 0 && rd16(p + pos + 2) == 0) {
            rawread_problem(f, "zeros from byte %llu on, where a record should start (a hole "
                            "or a damaged file); the rest of the file is ignored",
                            (unsigned long long)where);
            f->partial = 1;
            *stop = 1;
            return pos;
        }
        if (len > RAW_RECORD_MAX) {
            rawread_problem(f, "corrupt record at byte %llu (length %u); "
                            "the rest of the file is ignored", (unsigned long long)where, len);
            f->partial = 1;
            *stop = 1;
            return pos;
        }
        if (n - pos - sizeof(raw_record_head_t) < len) {
            if (eof) {
                rawread_problem(f, "cut short at byte %llu, inside a record "
                                "(killed while writing?)", (unsigned long long)where);
                f->partial = 1;
                *stop = 1;
            }
            return pos;
        }
        *rc = rawread_record(c, type, p + pos + sizeof(raw_record_head_t), len);
        if (*rc < 0) {
            *stop = 1;
            return pos;
        }
        f->records++;
        pos += sizeof(raw_record_head_t) + len;
        if (rawread_held(f) > max_held) {
            rawread_problem(f, "holds more than %zu MiB of profile data; the rest of the file "
                            "(from byte %llu) was not read", max_held >> 20,
                            (unsigned long long)(at + pos));
            f->partial = 1;
            *stop = 1;
            return pos;
        }
    }
    return pos;
}

static void rawread_ctx_init(rawread_ctx_t *c, rawread_file_t *f)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    keymap_init(&c->string_ids);
    keymap_init(&c->frame_ids);
    keymap_init(&c->stack_ids);
}

static void rawread_ctx_finish(rawread_ctx_t *c)
{
    rawread_summarise(c);
    keymap_free(&c->string_ids);
    keymap_free(&c->frame_ids);
    keymap_free(&c->stack_ids);
}

int rawread_parse(const uint8_t *data, size_t size, rawread_file_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = rawread_header(data, size, out);
    if (rc < 0)
        return rc;
    rawread_ctx_t c;
    rawread_ctx_init(&c, out);
    size_t hs = out->header.header_size;
    int stop = 0;
    rawread_records(&c, data + hs, size - hs, hs, 1, &stop, &rc);
    rawread_ctx_finish(&c);
    return rc < 0 ? rc : 0;
}

/* Fills BUF[*HAVE..CAP) from FD. Returns 0, 1 at end of file, or a negative
 * errno. */
static int rawread_fill(int fd, uint8_t *buf, size_t cap, size_t *have)
{
    while (*have < cap) {
        ssize_t r = read(fd, buf + *have, cap - *have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return 1;
        *have += (size_t)r;
    }
    return 0;
}

int rawread_read(const char *path, rawread_file_t *out)
{
    return rawread_read_within(path, RAWREAD_DATA_MAX, out);
}

int rawread_read_within(const char *path, size_t max_held, rawread_file_t *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (e) {
        close(fd);
        return -e;
    }
    uint8_t *buf = malloc(RAWREAD_WINDOW);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t have = 0, off;
    uint64_t base = 0;
    int eof = rawread_fill(fd, buf, RAWREAD_WINDOW, &have);
    int rc = eof < 0 ? eof : rawread_header(buf, have, out);
    if (rc == 0) {
        rawread_ctx_t c;
        rawread_ctx_init(&c, out);
        c.max_held = max_held;
        int stop = 0;
        off = out->header.header_size;
        for (;;) {
            off += rawread_records(&c, buf + off, have - off, base + off, eof == 1, &stop, &rc);
            if (stop || eof)
                break;
            /* keep the incomplete record, read on behind it */
            memmove(buf, buf + off, have - off);
            base += off;
            have -= off;
            off = 0;
            eof = rawread_fill(fd, buf, RAWREAD_WINDOW, &have);
            if (eof < 0) {
                rawread_problem(out, "read error at byte %llu: %s; the rest of the file is "
                                "ignored", (unsigned long long)(base + have), strerror(-eof));
                out->partial = 1;
                break;
            }
        }
        rawread_ctx_finish(&c);
    }
    free(buf);
    close(fd);
    return rc;
}

void rawread_free(rawread_file_t *f)
{
    free(f->strings);
    free(f->frames);
    free(f->stacks);
    free(f->threads);
    free(f->counts);
    free(f->points);
    free(f->stats);
    free(f->notes);
    free(f->mem_points);
    free(f->mem_entries);
    free(f->tree_points);
    free(f->child_ends);
    free(f->signals);
    for (size_t i = 0; i < f->nproblems; i++)
        free(f->problems[i]);
    for (rawread_block_t *b = f->store, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    memset(f, 0, sizeof *f);
}
