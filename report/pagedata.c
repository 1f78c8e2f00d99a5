/* pagedata.c — columns rather than an array of objects: the page turns each
 * column into a typed array, and the document stays about half the size. */
#include "pagedata.h"
#include "summary.h"
#include "trace.h"

int pagedata_frames_write(json_t *w, size_t n, pagedata_frame_fn get, const void *ctx,
                          srcline_cache_t *src)
{
    pagedata_frame_t f;
    json_key(w, "frames");
    json_object_begin(w);
    json_key(w, "name");
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &f);
        json_string(w, f.name, f.name_len);
    }
    json_array_end(w);
    json_key(w, "file");
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &f);
        json_string(w, f.file, f.file_len);
    }
    json_array_end(w);
    json_key(w, "line");
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &f);
        json_uint(w, f.line);
    }
    json_array_end(w);
    json_key(w, "src");
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &f);
        const char *text = "";
        size_t len = 0;
        if (f.python && f.file_key) {
            int rc = srcline_get(src, f.file_key, f.file, f.line ? f.line : f.src_line, &text, &len);
            if (rc < 0)
                return rc;
        }
        json_string(w, text, len);
    }
    json_array_end(w);
    json_key(w, "kind");
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &f);
        json_uint(w, f.kind);
    }
    json_array_end(w);
    json_object_end(w);
    return 0;
}

static void pagedata_model_frame(const void *ctx, size_t i, pagedata_frame_t *out)
{
    const model_t *m = ctx;
    const model_frame_t *f = &m->frames[i];
    out->name = model_str(m, f->name, &out->name_len);
    out->file = model_str(m, f->file, &out->file_len);
    out->file_key = f->file;
    out->line = f->line;
    out->src_line = 0;
    out->kind = f->kind;
    out->python = f->kind == MODEL_FRAME_PYTHON;
}

/* The parent/frame/value columns of a finished tree, as members. */
static void pagedata_tree(json_t *w, const calltree_t *t)
{
    json_key(w, "parent");
    json_array_begin(w);
    for (size_t i = 0; i < t->n; i++)
        json_int(w, t->parent[i] == CALLTREE_NONE ? -1 : (int64_t)t->parent[i]);
    json_array_end(w);
    json_key(w, "frame");
    json_array_begin(w);
    for (size_t i = 0; i < t->n; i++)
        json_int(w, t->frame[i] == CALLTREE_NONE ? -1 : (int64_t)t->frame[i]);
    json_array_end(w);
    json_key(w, "value");
    json_array_begin(w);
    for (size_t i = 0; i < t->n; i++)
        json_uint(w, t->value[i]);
    json_array_end(w);
}

static void pagedata_perf(json_t *w, const model_t *m)
{
    json_key(w, "perf");
    json_object_begin(w);
    pagedata_tree(w, &m->perf);
    json_key(w, "interval");
    json_double(w, m->summary.sample_interval_seconds);
    json_object_end(w);
}

static void pagedata_thread(json_t *w, const model_t *m, const model_thread_t *t)
{
    char buf[32];
    size_t len;
    const char *name = trace_thread_name(m, t, buf, sizeof buf, &len);
    json_object_begin(w);
    json_key(w, "tid");
    json_uint(w, t->tid);
    json_key(w, "name");
    json_string(w, name, len);
    json_key(w, "python");
    json_bool(w, t->python);
    json_key(w, "main");
    json_bool(w, (t->flags & RAW_THREAD_MAIN) != 0);
    json_key(w, "spans");
    json_array_begin(w);
    for (size_t i = 0; i < t->nspans; i++) {
        const model_span_t *sp = &t->spans[i];
        json_milli(w, sp->start_ns / 1000);
        json_milli(w, sp->end_ns / 1000);
        json_int(w, sp->node == MODEL_NONE ? -1 : (int64_t)sp->node);
        json_uint(w, sp->state);
    }
    json_array_end(w);
    json_key(w, "tally");
    json_array_begin(w);
    for (size_t k = t->tally_at; k < t->tally_at + t->ntally; k++) {
        json_uint(w, m->tally[k].node);
        json_uint(w, m->tally[k].count);
    }
    json_array_end(w);
    json_object_end(w);
}

static void pagedata_timeline(json_t *w, const model_t *m)
{
    json_key(w, "timeline");
    json_object_begin(w);
    json_key(w, "start_ns");
    json_int(w, 0);
    json_key(w, "end_ns");
    json_int(w, m->summary.end_ns);
    json_key(w, "processes");
    json_array_begin(w);
    for (size_t pi = 0; pi < m->nprocs; pi++) {
        const model_process_t *p = &m->procs[pi];
        size_t len;
        const char *s;
        json_object_begin(w);
        json_key(w, "pid");
        json_uint(w, p->pid);
        json_key(w, "ppid");
        json_uint(w, p->ppid);
        json_key(w, "command");
        s = model_str(m, p->command, &len);
        json_string(w, s, len);
        json_key(w, "ended");
        s = model_str(m, p->ended, &len);
        json_string(w, s, len);
        json_key(w, "threads");
        json_array_begin(w);
        for (size_t ti = 0; ti < p->nthreads; ti++)
            pagedata_thread(w, m, &m->threads[p->threads[ti]]);
        json_array_end(w);
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
}

static void pagedata_memory(json_t *w, const model_t *m)
{
    const model_summary_t *s = &m->summary;
    json_key(w, "memory");
    if (!m->has_memory) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_key(w, "tree");
    json_object_begin(w);
    pagedata_tree(w, &m->mem);
    json_object_end(w);
    json_key(w, "series");
    json_object_begin(w);
    json_key(w, "t_ms");
    json_array_begin(w);
    for (size_t i = 0; i < m->nmem_series; i++)
        json_milli(w, m->mem_series[i].t_ns / 1000);
    json_array_end(w);
    json_key(w, "tracked");
    json_array_begin(w);
    for (size_t i = 0; i < m->nmem_series; i++)
        json_uint(w, m->mem_series[i].tracked);
    json_array_end(w);
    json_key(w, "rss");
    json_array_begin(w);
    for (size_t i = 0; i < m->nmem_series; i++) {
        if (m->mem_series[i].rss == MODEL_NO_RSS)
            json_null(w);
        else
            json_uint(w, m->mem_series[i].rss);
    }
    json_array_end(w);
    json_object_end(w);
    json_key(w, "peak");
    if (s->has_peak_memory && s->peak_memory_tracked && s->has_peak_memory_time) {
        json_object_begin(w);
        json_key(w, "t_ms");
        json_milli(w, s->peak_memory_ns / 1000);
        json_key(w, "bytes");
        json_uint(w, s->peak_memory_bytes);
        json_object_end(w);
    } else {
        json_null(w);
    }
    json_key(w, "sample_bytes");
    json_uint_or_null(w, s->has_memory_sample_bytes, s->memory_sample_bytes);
    json_key(w, "oom");
    json_bool(w, s->oom);
    json_object_end(w);
}

int pagedata_write(json_t *w, const model_t *m, srcline_cache_t *src)
{
    json_object_begin(w);
    json_key(w, "version");
    json_int(w, 1);
    json_key(w, "summary");
    json_object_begin(w);
    int rc = summary_write_members(w, m, 1);
    json_object_end(w);
    if (rc < 0)
        return rc;
    rc = pagedata_frames_write(w, m->nframes, pagedata_model_frame, m, src);
    if (rc < 0)
        return rc;
    pagedata_perf(w, m);
    pagedata_timeline(w, m);
    pagedata_memory(w, m);
    json_object_end(w);
    return 0;
}
