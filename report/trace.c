/* trace.c — turning a thread's spans into nested events.
 *
 * Each span names a tree node (the deepest Python frame); the frames on the
 * stack are that node's ancestors. Between two spans only the frames below
 * their common ancestor change, so the writer keeps the open frames in an
 * array indexed by depth, finds the common ancestor by walking up from the
 * new node, closes what lies below it and opens the new path. The work is
 * proportional to the number of frame changes, whatever the stack depth.
 *
 * The walk finds a frame's event when the frame closes, so a thread's events
 * come out children first; they are collected and written sorted by (start,
 * depth), parents first. Viewers need that order: chrome://tracing and
 * Perfetto take events with the same start in file order, and a child
 * written before a parent that starts in the same microsecond would be
 * drawn as its parent (Perfetto issue #878, catapult issue #1284).
 *
 * The same walk, counting instead of writing, tells how many events each
 * depth costs, which is how the depth limit is chosen. Each frame's event
 * head (`{"ph":"X","name":"LABEL","ts":`) is escaped once and then copied. */
#include "trace.h"
#include "grow.h"
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *trace_thread_name(const model_t *m, const model_thread_t *t,
                              char *buf, size_t buflen, size_t *len)
{
    if (t->name)
        return model_str(m, t->name, len);
    if (t->flags & RAW_THREAD_MAIN)
        snprintf(buf, buflen, "MainThread");
    else
        snprintf(buf, buflen, "thread %u", t->tid);
    *len = strlen(buf);
    return buf;
}

/* A complete event waiting to be written: whole microseconds. */
typedef struct trace_pending {
    int64_t start_us, end_us;
    uint32_t frame;
    uint32_t depth;          /* UINT32_MAX for a state event: innermost */
    size_t seq;
} trace_pending_t;

typedef struct trace_ctx {
    json_t *w;               /* NULL: only count events */
    const model_t *m;
    uint32_t max_depth;
    uint32_t *open;          /* node at each depth, 1..depth */
    int64_t *since;          /* when it was opened */
    size_t *opened;          /* count mode: events at each depth */
    char *heads;             /* every frame's event head, built on first use */
    size_t *head_off;        /* SIZE_MAX: not built yet */
    size_t *head_len;
    size_t heads_len, heads_cap;
    json_t label;            /* in-memory writer for escaping labels */
    char tail[64];           /* `,"pid":P,"tid":T}` of the current thread */
    size_t tail_len;
    trace_pending_t *pending;   /* the current thread's events */
    size_t npending, pending_cap;
} trace_ctx_t;

static uint32_t trace_max_depth(const calltree_t *tree)
{
    uint32_t maxd = 0;
    for (size_t i = 0; i < tree->n; i++)
        if (tree->depth[i] > maxd)
            maxd = tree->depth[i];
    return maxd;
}

static int trace_head(trace_ctx_t *c, uint32_t fi, const char **head, size_t *len)
{
    if (c->head_off[fi] == SIZE_MAX) {
        const model_frame_t *f = &c->m->frames[fi];
        size_t nl, fl;
        const char *name = model_str(c->m, f->name, &nl);
        const char *file = model_str(c->m, f->file, &fl);
        json_t *w = &c->label;
        static const char py[] = "{\"ph\":\"X\",\"name\":";
        static const char st[] = "{\"ph\":\"X\",\"cat\":\"state\",\"name\":";
        json_reset(w);
        if (f->kind == MODEL_FRAME_PYTHON)
            json_raw(w, py, sizeof py - 1);
        else
            json_raw(w, st, sizeof st - 1);
        json_string_begin(w);
        json_string_part(w, name, nl);
        if (f->kind == MODEL_FRAME_PYTHON && fl) {
            char num[16];
            int n = f->line ? snprintf(num, sizeof num, ":%u)", f->line)
                            : snprintf(num, sizeof num, ")");
            json_string_part(w, " (", 2);
            json_string_part(w, file, fl);
            json_string_part(w, num, (size_t)n);
        }
        json_string_end(w);
        json_raw(w, ",\"ts\":", 6);
        if (w->error)
            return w->error < 0 ? w->error : -EIO;
        size_t dl;
        const char *d = json_data(w, &dl);
        if (grow_array((void **)&c->heads, &c->heads_cap, c->heads_len + dl, 1) < 0)
            return -ENOMEM;
        memcpy(c->heads + c->heads_len, d, dl);
        c->head_off[fi] = c->heads_len;
        c->head_len[fi] = dl;
        c->heads_len += dl;
    }
    *head = c->heads + c->head_off[fi];
    *len = c->head_len[fi];
    return 0;
}

/* Whole microseconds, rounded: rounding start and end alike keeps nesting. */
static int64_t trace_us(int64_t ns)
{
    return (ns + 500) / 1000;
}

/* Frame FI at DEPTH over [START, END) (ns) is one of the thread's events. */
static int trace_event(trace_ctx_t *c, uint32_t fi, uint32_t depth, int64_t start,
                       int64_t end)
{
    trace_pending_t *e = GROW_PUSH(c->pending, c->npending, c->pending_cap);
    if (!e)
        return -ENOMEM;
    e->start_us = trace_us(start);
    e->end_us = trace_us(end);
    e->frame = fi;
    e->depth = depth;
    e->seq = c->npending;
    return 0;
}

static int trace_cmp_pending(const void *a, const void *b)
{
    const trace_pending_t *x = a, *y = b;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    if (x->end_us != y->end_us)
        return x->end_us < y->end_us ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Writes the thread's events, parents before the children that start with
 * them, and forgets them. */
static int trace_flush(trace_ctx_t *c)
{
    if (c->npending > 1)
        qsort(c->pending, c->npending, sizeof *c->pending, trace_cmp_pending);
    int rc = 0;
    for (size_t i = 0; i < c->npending && rc == 0; i++) {
        const trace_pending_t *e = &c->pending[i];
        const char *head = "";
        size_t hl = 0;
        if ((rc = trace_head(c, e->frame, &head, &hl)) < 0)
            break;
        char nums[2 * JSON_NUMBER_MAX + 16];
        size_t n = json_format_milli(nums, e->start_us * 1000);
        memcpy(nums + n, ",\"dur\":", 7);
        n += 7;
        n += json_format_milli(nums + n, (e->end_us - e->start_us) * 1000);
        json_value_raw(c->w, head, hl);
        json_raw(c->w, nums, n);
        json_raw(c->w, c->tail, c->tail_len);
    }
    c->npending = 0;
    return rc;
}

/* The frame at depth D (node NODE) leaves the stack at AT. */
static int trace_close(trace_ctx_t *c, uint32_t d, int64_t at)
{
    if (d > c->max_depth)
        return 0;
    if (!c->w) {
        c->opened[d]++;
        return 0;
    }
    return trace_event(c, c->m->perf.frame[c->open[d]], d, c->since[d], at);
}

static int trace_thread(trace_ctx_t *c, const model_thread_t *t)
{
    const calltree_t *tree = &c->m->perf;
    uint32_t depth = 0;
    int64_t prev_end = 0;
    int rc = 0;
    for (size_t i = 0; i < t->nspans && rc == 0; i++) {
        const model_span_t *sp = &t->spans[i];
        uint32_t target = sp->node, td = target == MODEL_NONE ? 0 : tree->depth[target];
        uint32_t k = depth < td ? depth : td;
        uint32_t a = target;
        for (uint32_t d = td; d > k; d--)
            a = tree->parent[a];
        while (k > 0 && c->open[k] != a) {
            a = tree->parent[a];
            k--;
        }
        int64_t at = i ? prev_end : sp->start_ns;
        for (uint32_t d = depth; d > k && rc == 0; d--)
            rc = trace_close(c, d, at);
        a = target;
        for (uint32_t d = td; d > k; d--) {
            c->open[d] = a;
            c->since[d] = sp->start_ns;
            a = tree->parent[a];
        }
        depth = td;
        if (rc == 0 && c->w)
            rc = trace_event(c, sp->state, UINT32_MAX, sp->start_ns, sp->end_ns);
        prev_end = sp->end_ns;
    }
    for (uint32_t d = depth; d > 0 && rc == 0; d--)
        rc = trace_close(c, d, prev_end);
    if (rc == 0 && c->w)
        rc = trace_flush(c);
    return rc;
}

int trace_depth_limit(const model_t *m, size_t budget, uint32_t *depth, size_t *events)
{
    uint32_t maxd = trace_max_depth(&m->perf);
    trace_ctx_t c = { .m = m, .max_depth = TRACE_ALL_DEPTHS };
    c.open = malloc((maxd + 1) * sizeof *c.open);
    c.since = malloc((maxd + 1) * sizeof *c.since);
    c.opened = calloc(maxd + 1, sizeof *c.opened);
    int rc = 0;
    if (!c.open || !c.since || !c.opened) {
        rc = -ENOMEM;
    } else {
        size_t total = 0;
        for (size_t i = 0; i < m->nthreads; i++) {
            trace_thread(&c, &m->threads[i]);
            total += m->threads[i].nspans;
        }
        uint32_t d = 0;
        while (d < maxd && (d == 0 || total + c.opened[d + 1] <= budget))
            total += c.opened[++d];
        *depth = d >= maxd ? TRACE_ALL_DEPTHS : d;
        if (events)
            *events = total;
    }
    free(c.open);
    free(c.since);
    free(c.opened);
    return rc;
}

static void trace_metadata(json_t *w, const char *what, uint32_t pid, uint32_t tid,
                           const char *key, const char *s, size_t len, int64_t num)
{
    json_object_begin(w);
    json_key(w, "ph");
    json_cstring(w, "M");
    json_key(w, "name");
    json_cstring(w, what);
    json_key(w, "pid");
    json_uint(w, pid);
    json_key(w, "tid");
    json_uint(w, tid);
    json_key(w, "args");
    json_object_begin(w);
    json_key(w, key);
    if (s)
        json_string(w, s, len);
    else
        json_int(w, num);
    json_object_end(w);
    json_object_end(w);
}

/* Process P's memory series as counter events ("memory": tracked_bytes,
 * and rss_bytes from its first reading on, each point carrying the latest
 * reading), thinned to CAP points. */
static int trace_memory(json_t *w, const model_t *m, const model_process_t *p, size_t cap)
{
    if (!p->nmem)
        return 0;
    size_t *keep = malloc((p->nmem < cap ? p->nmem : cap) * sizeof *keep);
    if (!keep)
        return -ENOMEM;
    size_t n = model_mem_downsample(&p->mem[0].tracked_bytes, sizeof *p->mem, p->nmem, cap,
                                    keep);
    uint64_t rss = 0;
    size_t at = 0;
    for (size_t i = 0; i < p->nmem && at < n; i++) {
        if (p->mem[i].rss_bytes)
            rss = p->mem[i].rss_bytes;
        if (keep[at] != i)
            continue;
        at++;
        uint64_t t = p->mem[i].t_ns, base = m->summary.start_mono_ns;
        int64_t rel = t > base ? (int64_t)((t - base) > (uint64_t)INT64_MAX / 4
                                           ? (uint64_t)INT64_MAX / 4 : t - base) : 0;
        char ev[192];
        int len = snprintf(ev, sizeof ev, "{\"ph\":\"C\",\"name\":\"memory\",\"pid\":%u,"
                         "\"tid\":%u,\"ts\":%lld,\"args\":{\"tracked_bytes\":%llu", p->pid,
                         p->pid, (long long)trace_us(rel),
                         (unsigned long long)p->mem[i].tracked_bytes);
        if (rss)
            len += snprintf(ev + len, sizeof ev - (size_t)len, ",\"rss_bytes\":%llu",
                            (unsigned long long)rss);
        len += snprintf(ev + len, sizeof ev - (size_t)len, "}}");
        json_value_raw(w, ev, (size_t)len);
    }
    free(keep);
    return 0;
}

int trace_write(FILE *out, const model_t *m, uint32_t max_depth)
{
    uint32_t maxd = trace_max_depth(&m->perf);
    json_t w;
    trace_ctx_t c = { .m = m, .w = &w, .max_depth = max_depth };
    json_init(&w, out, 0);
    json_init(&c.label, NULL, 0);
    c.open = malloc((maxd + 1) * sizeof *c.open);
    c.since = malloc((maxd + 1) * sizeof *c.since);
    c.head_off = malloc((m->nframes + 1) * sizeof *c.head_off);
    c.head_len = malloc((m->nframes + 1) * sizeof *c.head_len);
    int rc = 0;
    if (!c.open || !c.since || !c.head_off || !c.head_len) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->nframes; i++)
        c.head_off[i] = SIZE_MAX;
    json_object_begin(&w);
    json_key(&w, "displayTimeUnit");
    json_cstring(&w, "ms");
    json_key(&w, "traceEvents");
    json_array_begin(&w);
    for (size_t pi = 0; pi < m->nprocs && rc == 0; pi++) {
        const model_process_t *p = &m->procs[pi];
        char buf[1100];
        size_t cl;
        const char *cmd = model_str(m, p->command, &cl);
        int n = cl ? snprintf(buf, sizeof buf, "pid %u: %.*s", p->pid,
                              (int)(cl > 1000 ? 1000 : cl), cmd)
                   : snprintf(buf, sizeof buf, "pid %u", p->pid);
        /* tid PID (the main thread) rather than 0: Perfetto makes a thread
         * of every (pid, tid) an event names, and 0 is no thread of ours */
        trace_metadata(&w, "process_name", p->pid, p->pid, "name", buf,
                       (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, 0);
        trace_metadata(&w, "process_sort_index", p->pid, p->pid, "sort_index", NULL, 0,
                       (int64_t)pi);
        for (size_t ti = 0; ti < p->nthreads && rc == 0; ti++) {
            const model_thread_t *t = &m->threads[p->threads[ti]];
            size_t nl;
            const char *name = trace_thread_name(m, t, buf, sizeof buf, &nl);
            trace_metadata(&w, "thread_name", p->pid, t->tid, "name", name, nl, 0);
            trace_metadata(&w, "thread_sort_index", p->pid, t->tid, "sort_index", NULL, 0,
                           (int64_t)ti);
            c.tail_len = (size_t)snprintf(c.tail, sizeof c.tail, ",\"pid\":%u,\"tid\":%u}",
                                          p->pid, t->tid);
            rc = trace_thread(&c, t);
        }
        if (rc == 0) {
            size_t cap = TRACE_COUNTERS_MAX / (m->nprocs ? m->nprocs : 1);
            rc = trace_memory(&w, m, p, cap < 1000 ? 1000 : cap);
        }
    }
    json_array_end(&w);
    json_object_end(&w);
    json_raw(&w, "\n", 1);
out:;
    int wrc = json_finish(&w);
    json_free(&w);
    json_free(&c.label);
    free(c.open);
    free(c.since);
    free(c.head_off);
    free(c.head_len);
    free(c.heads);
    free(c.pending);
    return rc < 0 ? rc : wrc;
}
