/* speedscope.c — writing the model as speedscope profiles.
 *
 * The one idea: a sample is a leaf of a finished call tree, and its stack is
 * the leaf's path from the root. Walking the parent links up from the leaf
 * into a buffer filled from its end gives the root-first array of frame
 * indices speedscope wants, with no string built per stack; the model's
 * frame indices are the file's, because shared.frames is the model's frame
 * table in order. A thread's samples are its tallies (model.h), already
 * aggregated per leaf and in pre-order; the memory profile's are the
 * peak-memory tree's nodes with a self value, as memory.folded's lines are.
 *
 * Weights in seconds are written exactly: samples times an interval of whole
 * microseconds is a whole number of microseconds, printed as a decimal, so
 * endValue (their sum, done in integers) is exact too. */
#include "speedscope.h"
#include "fold.h"
#include "json.h"
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"
#define SPEEDSCOPE_COMMAND_MAX 200u      /* bytes of the command in a profile name */
#define SPEEDSCOPE_INDEX_MAX 11u         /* ",4294967295" */

typedef struct speedscope_ctx {
    json_t *w;
    const model_t *m;
    char *stack;             /* one stack's text: room for the deepest node */
} speedscope_ctx_t;

static uint64_t speedscope_sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t speedscope_sat_mul(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static uint32_t speedscope_max_depth(const calltree_t *t)
{
    uint32_t d = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->depth[i] > d)
            d = t->depth[i];
    return d;
}

/* US microseconds as seconds, exactly ("0.01", "2.5", "3"). */
static void speedscope_seconds(json_t *w, uint64_t us)
{
    char buf[48];
    unsigned long long whole = us / 1000000u, frac = us % 1000000u;
    int n = frac ? snprintf(buf, sizeof buf, "%llu.%06llu", whole, frac)
                 : snprintf(buf, sizeof buf, "%llu", whole);
    while (frac && buf[n - 1] == '0')
        n--;
    json_value_raw(w, buf, (size_t)n);
}

/* The stack of NODE in T, root first, as an array of frame indices. */
static void speedscope_stack(speedscope_ctx_t *c, const calltree_t *t, uint32_t node)
{
    uint32_t d = t->depth[node];
    /* the frames root first, each at most SPEEDSCOPE_INDEX_MAX bytes: fill
     * from the end of the buffer, then write the used tail */
    char *end = c->stack + (size_t)d * SPEEDSCOPE_INDEX_MAX + 2, *p = end;
    *--p = ']';
    for (uint32_t v = node, k = d; k > 0; k--, v = t->parent[v]) {
        uint32_t f = t->frame[v];
        do {
            *--p = (char)('0' + f % 10);
            f /= 10;
        } while (f);
        if (k > 1)
            *--p = ',';
    }
    *--p = '[';
    json_value_raw(c->w, p, (size_t)(end - p));
}

/* A string part of at most MAX bytes of S, cut at a character boundary and
 * marked with "..." when cut. */
static void speedscope_part_cut(json_t *w, const char *s, size_t len, size_t max)
{
    if (len <= max) {
        json_string_part(w, s, len);
        return;
    }
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    json_string_part(w, s, n);
    json_string_part(w, "...", 3);
}

/* "pid PID COMMAND · THREAD" */
static void speedscope_thread_name(json_t *w, const model_t *m, const model_process_t *p,
                                   const model_thread_t *t)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "pid %u", p->pid);
    json_string_begin(w);
    json_string_part(w, buf, (size_t)n);
    size_t cl;
    const char *cmd = model_str(m, p->command, &cl);
    if (cl) {
        json_string_part(w, " ", 1);
        speedscope_part_cut(w, cmd, cl, SPEEDSCOPE_COMMAND_MAX);
    }
    json_string_part(w, " \xc2\xb7 ", 4);
    size_t nl;
    const char *name = trace_thread_name(m, t, buf, sizeof buf, &nl);
    json_string_part(w, name, nl);
    json_string_end(w);
}

/* The head every profile shares, up to and including "endValue". */
static void speedscope_profile_head(json_t *w, const char *unit)
{
    json_object_begin(w);
    json_key(w, "type");
    json_cstring(w, "sampled");
    json_key(w, "unit");
    json_cstring(w, unit);
    json_key(w, "startValue");
    json_uint(w, 0);
    json_key(w, "endValue");
}

/* Thread T's profile: its tallies, weighted by its process's interval. */
static void speedscope_thread(speedscope_ctx_t *c, const model_process_t *p,
                              const model_thread_t *t)
{
    const model_t *m = c->m;
    json_t *w = c->w;
    const model_tally_t *e = &m->tally[t->tally_at];
    uint64_t iv = p->interval_us ? p->interval_us
                                 : (uint64_t)(m->summary.sample_interval_seconds * 1e6 + 0.5);
    uint64_t total = 0;
    for (size_t i = 0; i < t->ntally; i++)
        total = speedscope_sat_add(total, speedscope_sat_mul(e[i].count, iv));
    speedscope_profile_head(w, "seconds");
    speedscope_seconds(w, total);
    json_key(w, "name");
    speedscope_thread_name(w, m, p, t);
    json_key(w, "samples");
    json_array_begin(w);
    for (size_t i = 0; i < t->ntally; i++)
        speedscope_stack(c, &m->perf, e[i].node);
    json_array_end(w);
    json_key(w, "weights");
    json_array_begin(w);
    for (size_t i = 0; i < t->ntally; i++)
        speedscope_seconds(w, speedscope_sat_mul(e[i].count, iv));
    json_array_end(w);
    json_object_end(w);
}

/* The peak-memory profile: every node of m->mem with SELF bytes. */
static void speedscope_memory(speedscope_ctx_t *c, const uint64_t *self, uint64_t total)
{
    const calltree_t *t = &c->m->mem;
    json_t *w = c->w;
    speedscope_profile_head(w, "bytes");
    json_uint(w, total);
    json_key(w, "name");
    json_cstring(w, "memory live at the peak \xc2\xb7 all processes");
    json_key(w, "samples");
    json_array_begin(w);
    for (uint32_t v = 1; v < t->n; v++)
        if (self[v])
            speedscope_stack(c, t, v);
    json_array_end(w);
    json_key(w, "weights");
    json_array_begin(w);
    for (uint32_t v = 1; v < t->n; v++)
        if (self[v])
            json_uint(w, self[v]);
    json_array_end(w);
    json_object_end(w);
}

static void speedscope_frames(json_t *w, const model_t *m, char **buf, size_t *cap, int *rc)
{
    json_array_begin(w);
    for (size_t f = 0; f < m->nframes && *rc == 0; f++) {
        const model_frame_t *fr = &m->frames[f];
        size_t len = 0, fl;
        if ((*rc = fold_label(m, (uint32_t)f, buf, &len, cap)) < 0)
            break;
        json_object_begin(w);
        json_key(w, "name");
        json_string(w, *buf, len);
        const char *file = model_str(m, fr->file, &fl);
        if (fr->kind == MODEL_FRAME_PYTHON && fl) {
            json_key(w, "file");
            json_string(w, file, fl);
        }
        if (fr->kind == MODEL_FRAME_PYTHON && fr->line) {
            json_key(w, "line");
            json_uint(w, fr->line);
        }
        json_object_end(w);
    }
    json_array_end(w);
}

int speedscope_write(FILE *out, const model_t *m, const char *name, size_t name_len)
{
    if (!m->finished)
        return -EINVAL;
    const calltree_t *mt = &m->mem;
    uint32_t maxd = speedscope_max_depth(&m->perf), md = speedscope_max_depth(mt);
    if (md > maxd)
        maxd = md;
    speedscope_ctx_t c = { .m = m };
    c.stack = malloc((size_t)maxd * SPEEDSCOPE_INDEX_MAX + 4);
    uint64_t *self = m->has_memory ? malloc((mt->n + 1) * sizeof *self) : NULL;
    char *label = NULL;
    size_t label_cap = 0;
    if (!c.stack || (m->has_memory && !self)) {
        free(c.stack);
        free(self);
        return -ENOMEM;
    }
    uint64_t mem_total = 0;
    if (self) {
        calltree_self(mt, self);
        self[CALLTREE_ROOT] = 0;
        for (size_t v = 1; v < mt->n; v++)
            mem_total = speedscope_sat_add(mem_total, self[v]);
    }
    size_t nprofiles = 0;
    for (size_t i = 0; i < m->nthreads; i++)
        nprofiles += m->threads[i].ntally != 0;

    json_t w;
    json_init(&w, out, 0);
    c.w = &w;
    int rc = 0;
    json_object_begin(&w);
    json_key(&w, "$schema");
    json_cstring(&w, SPEEDSCOPE_SCHEMA);
    json_key(&w, "exporter");
    json_string_begin(&w);
    json_string_part(&w, "radiograph@", 11);
    const char *version = m->summary.radiograph_version ? m->summary.radiograph_version
                                                        : "unknown";
    json_string_part(&w, version, strlen(version));
    json_string_end(&w);
    json_key(&w, "name");
    json_string(&w, name, name_len);
    /* processes come in order of start, each one's threads main-first: the
     * first profile is the first process's main thread when it has samples */
    json_key(&w, "activeProfileIndex");
    json_uint(&w, 0);
    json_key(&w, "shared");
    json_object_begin(&w);
    json_key(&w, "frames");
    speedscope_frames(&w, m, &label, &label_cap, &rc);
    json_object_end(&w);
    json_key(&w, "profiles");
    json_array_begin(&w);
    for (size_t pi = 0; pi < m->nprocs && rc == 0; pi++) {
        const model_process_t *p = &m->procs[pi];
        for (size_t ti = 0; ti < p->nthreads; ti++) {
            const model_thread_t *t = &m->threads[p->threads[ti]];
            if (t->ntally)
                speedscope_thread(&c, p, t);
        }
    }
    if (rc == 0 && mem_total)
        speedscope_memory(&c, self, mem_total);
    if (rc == 0 && !nprofiles && !mem_total) {
        /* speedscope needs a profile to show: an empty one says "nothing" */
        speedscope_profile_head(&w, "seconds");
        json_uint(&w, 0);
        json_key(&w, "name");
        json_cstring(&w, "no samples");
        json_key(&w, "samples");
        json_array_begin(&w);
        json_array_end(&w);
        json_key(&w, "weights");
        json_array_begin(&w);
        json_array_end(&w);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_object_end(&w);
    json_raw(&w, "\n", 1);
    int wrc = json_finish(&w);
    json_free(&w);
    free(c.stack);
    free(self);
    free(label);
    return rc < 0 ? rc : wrc;
}
