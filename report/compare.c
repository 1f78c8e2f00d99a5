/* compare.c — see compare.h.
 *
 * The one idea: both sides' stacks go into ONE call tree keyed by path, each
 * node carrying two values (base, new). A flamegraph "drawn on the new
 * stacks" lays that tree out by the new values (nodes that vanished have no
 * width), one "drawn on the base stacks" by the base values, so what
 * vanished is still visible on the second; every node knows both values for
 * its colour and its tooltip.
 *
 * Frames are matched by their folded label. By default the line number is
 * dropped first (`f (job.py:12)` becomes `f (job.py)`): editing a file moves
 * the lines of everything below the edit, and matching by line would show
 * every such frame as vanished and new at once. `--lines` keeps them, for
 * comparing runs of the same code (other inputs, other library versions).
 *
 * Time is compared in seconds (samples times each report's own sample
 * interval, so runs at different --rate compare fairly), memory in bytes;
 * two bare .folded files compare in their own counts. */
#include "compare.h"
#include "calltree.h"
#include "folded.h"
#include "grow.h"
#include "html.h"
#include "json.h"
#include "jsonread.h"
#include "keymap.h"
#include "outfile.h"
#include "pagedata.h"
#include "readfile.h"
#include "srcline.h"
#include "strtab.h"
#include "web_assets.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define COMPARE_SUMMARY_MAX (64u << 20)
#define COMPARE_NOTES_MAX 50u
#define COMPARE_TITLE_MAX 300u

enum { SIDE_BASE, SIDE_NEW, SIDES };
enum { PROF_PERF, PROF_MEM, PROFS };

static const char *const compare_side_key[SIDES] = { "base", "new" };
static const char *const compare_side_word[SIDES] = { "BASE", "NEW" };
static const char *const compare_prof_key[PROFS] = { "performance", "memory" };
static const char *const compare_prof_file[PROFS] = { "performance.folded", "memory.folded" };

typedef enum compare_kind {
    COMPARE_KIND_PYTHON = 0,     /* same codes as the report's frame kinds */
    COMPARE_KIND_RUNNING = 1,
    COMPARE_KIND_WAITING = 2,
    COMPARE_KIND_NO_STACK = 3,
} compare_kind_t;

typedef struct compare_side {
    const char *path;
    int is_report;               /* a report directory, else a .folded file */
    jsonread_doc_t doc;          /* summary.json */
    const jsonread_value_t *sum; /* its root object (NULL for .folded) */
    folded_t prof[PROFS];
    int has_prof[PROFS];
    double scale[PROFS];         /* profile units per folded count */
} compare_side_t;

typedef struct compare_frame {
    uint32_t label;              /* strtab id: the matched label */
    uint32_t name, file;         /* strtab ids */
    uint32_t line;
    uint32_t new_line;           /* matched by function: its one line on the new side, 0
                                  * if none, COMPARE_LINES if several (see compare_page_frame) */
    uint8_t kind;                /* compare_kind_t */
} compare_frame_t;

#define COMPARE_LINES UINT32_MAX

typedef struct compare_prof {
    int present;                 /* both sides have this profile */
    const char *unit;            /* "seconds", "samples" or "bytes" */
    calltree_t tree;
    double *self[SIDES];         /* per node: value not passed to children */
    double *total[SIDES];        /* per node, inclusive (after finish) */
    size_t cap;
} compare_prof_t;

/* One limit of the gate: a figure of both sides and the growth allowed. */
typedef struct compare_check {
    const char *option;          /* "--fail-if-slower" */
    const char *figure;          /* its key in comparison.json */
    const char *word;            /* "elapsed time" */
    const char *unit;            /* "s", "B" (formatted) or "samples" */
    double limit;                /* percent */
    double value[SIDES];
    int failed;
} compare_check_t;

typedef struct compare {
    compare_side_t side[SIDES];
    int by_line;
    strtab_t strings;
    compare_frame_t *frames; size_t nframes, frames_cap;
    keymap_t frame_index;        /* label id -> frame */
    compare_prof_t prof[PROFS];
    uint32_t *notes; size_t nnotes, notes_cap;
    compare_check_t checks[PROFS]; size_t nchecks;   /* the gate, one per profile */
    char *err; size_t errlen;
} compare_t;

static int compare_fail(compare_t *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int compare_fail(compare_t *c, int rc, const char *fmt, ...)
{
    if (c->err && c->errlen && !c->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int compare_note(compare_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int compare_note(compare_t *c, const char *fmt, ...)
{
    if (c->nnotes >= COMPARE_NOTES_MAX)
        return 0;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    uint32_t id;
    uint32_t *slot;
    if (strtab_intern(&c->strings, buf, (size_t)n, &id) < 0 ||
        !(slot = GROW_PUSH(c->notes, c->nnotes, c->notes_cap)))
        return -ENOMEM;
    *slot = id;
    return 0;
}

static char *compare_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* ---- loading a side ------------------------------------------------------ */

/* A string member of the summary, or NULL. */
static const jsonread_value_t *compare_sum_str(const compare_side_t *s, const char *key)
{
    const jsonread_value_t *v = jsonread_get(s->sum, key);
    return v && v->type == JSONREAD_STRING ? v : NULL;
}

/* The command as one line ("python3 job.py"), into BUF. */
static void compare_command(const compare_side_t *s, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    const jsonread_value_t *cmd = jsonread_get(s->sum, "command");
    if (!cmd || cmd->type != JSONREAD_ARRAY)
        return;
    for (size_t i = 0; i < cmd->len && n + 1 < cap; i++) {
        const jsonread_value_t *a = &cmd->items[i];
        if (a->type != JSONREAD_STRING)
            continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " " : "", a->str);
    }
}

static int compare_load_folded(compare_t *c, compare_side_t *s, int prof, const char *path,
                               const char *shown)
{
    int rc = folded_load(path, &s->prof[prof]);
    if (rc < 0)
        return rc;
    s->has_prof[prof] = 1;
    const folded_t *f = &s->prof[prof];
    if (f->bad_lines &&
        (rc = compare_note(c, "%s: %zu of %zu lines are not `frame;...;frame COUNT` and were "
                           "skipped (the first is line %zu)", shown, f->bad_lines, f->lines,
                           f->first_bad_line)) < 0)
        return rc;
    if (f->cut_stacks &&
        (rc = compare_note(c, "%s: %zu stacks deeper than %u frames were cut", shown,
                           f->cut_stacks, FOLDED_DEPTH_MAX)) < 0)
        return rc;
    return 0;
}

/* A report directory: summary.json and the folded files. */
static int compare_load_report(compare_t *c, compare_side_t *s, int which)
{
    const char *word = compare_side_word[which];
    char *path = compare_join(s->path, "summary.json");
    if (!path)
        return -ENOMEM;
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = readfile_load(path, COMPARE_SUMMARY_MAX, &data, &size);
    free(path);
    if (rc == -ENOENT) {
        char *raw = compare_join(s->path, "raw/run.info");
        struct stat st;
        int has_raw = raw && stat(raw, &st) == 0;
        free(raw);
        if (has_raw)
            return compare_fail(c, -ENOENT, "radiograph: %s '%s' has raw data but no summary.json: "
                                "render it first with 'radiograph report %s'", word, s->path, s->path);
        return compare_fail(c, -ENOENT, "radiograph: %s '%s' is not a radiograph report (no "
                            "summary.json): give a report directory or a .folded file", word, s->path);
    }
    if (rc < 0) {
        free(data);
        return rc == -ENOMEM ? rc : compare_fail(c, rc, "radiograph: cannot read %s/summary.json: %s",
                                                 s->path, strerror(-rc));
    }
    rc = jsonread_parse((const char *)data, size, &s->doc);
    free(data);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0)
        return compare_fail(c, rc, "radiograph: %s/summary.json is not valid JSON (byte %zu: %s): "
                            "render the report again with 'radiograph report %s'",
                            s->path, s->doc.error_at, s->doc.error, s->path);
    s->sum = s->doc.root;
    double x;
    if (s->sum->type != JSONREAD_OBJECT || !jsonread_number(s->sum, "elapsed_seconds", &x) ||
        !jsonread_get(s->sum, "radiograph_version"))
        return compare_fail(c, -EINVAL, "radiograph: %s/summary.json is not a radiograph summary "
                            "(no elapsed_seconds or radiograph_version): give a directory written "
                            "by 'radiograph run'", s->path);
    double interval;
    if (!jsonread_number(s->sum, "sample_interval_seconds", &interval) || !(interval > 0))
        interval = 0.01;
    s->scale[PROF_PERF] = interval;
    s->scale[PROF_MEM] = 1;
    for (int p = 0; p < PROFS; p++) {
        char *fp = compare_join(s->path, compare_prof_file[p]);
        if (!fp)
            return -ENOMEM;
        char shown[512];
        snprintf(shown, sizeof shown, "%s/%s", s->path, compare_prof_file[p]);
        rc = compare_load_folded(c, s, p, fp, shown);
        free(fp);
        if (rc == -ENOMEM)
            return rc;
        if (rc == -ENOENT && p == PROF_MEM)
            continue;    /* run with --no-memory */
        if (rc < 0)
            return compare_fail(c, rc, "radiograph: cannot read %s: %s: render the report again "
                                "with 'radiograph report %s'", shown, strerror(-rc), s->path);
    }
    return 0;
}

/* Is PATH's last component a memory profile's name? */
static int compare_memory_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strstr(base, "mem") != NULL;
}

static int compare_load_side(compare_t *c, int which)
{
    compare_side_t *s = &c->side[which];
    struct stat st;
    if (stat(s->path, &st) != 0)
        return compare_fail(c, -errno, "radiograph: cannot open %s '%s': %s", compare_side_word[which],
                            s->path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        s->is_report = 1;
        return compare_load_report(c, s, which);
    }
    int p = compare_memory_name(s->path) ? PROF_MEM : PROF_PERF;
    s->scale[p] = 1;
    int rc = compare_load_folded(c, s, p, s->path, s->path);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0)
        return compare_fail(c, rc, "radiograph: cannot read %s '%s': %s", compare_side_word[which],
                            s->path, strerror(-rc));
    if (s->prof[p].nstacks == 0)
        return compare_fail(c, -EINVAL, "radiograph: %s '%s' holds no folded stacks (lines "
                            "'frame;frame;...;frame COUNT')", compare_side_word[which], s->path);
    return 0;
}

/* ---- matching frames ---------------------------------------------------- */

static uint8_t compare_kind_of(const char *s, size_t n)
{
    if (n == 9 && memcmp(s, "[running]", 9) == 0)
        return COMPARE_KIND_RUNNING;
    if (n >= 9 && memcmp(s, "[waiting", 8) == 0 && s[n - 1] == ']')
        return COMPARE_KIND_WAITING;
    if ((n == 17 && memcmp(s, "[no Python stack]", 17) == 0) ||
        (n == 20 && memcmp(s, "[allocator rounding]", 20) == 0))
        return COMPARE_KIND_NO_STACK;
    return COMPARE_KIND_PYTHON;
}

/* The compare frame for label S (N bytes) of side WHICH. */
static int compare_frame_of(compare_t *c, const char *s, size_t n, int which, uint32_t *frame)
{
    size_t name_len, file_len;
    const char *file;
    uint32_t line;
    folded_split_label(s, n, &name_len, &file, &file_len, &line);
    uint32_t seen_line = line;
    char stackbuf[512];
    char *key = stackbuf;
    size_t klen = n;
    if (!c->by_line && line) {
        /* "NAME (FILE)" */
        klen = name_len + file_len + 3;
        if (klen > sizeof stackbuf && !(key = malloc(klen)))
            return -ENOMEM;
        memcpy(key, s, name_len);
        memcpy(key + name_len, " (", 2);
        memcpy(key + name_len + 2, file, file_len);
        key[klen - 1] = ')';
        line = 0;
    } else {
        key = (char *)s;
    }
    uint32_t label;
    int rc = strtab_intern(&c->strings, key, klen, &label);
    if (key != stackbuf && key != s)
        free(key);
    if (rc < 0)
        return rc;
    rc = keymap_intern(&c->frame_index, label, 0, (uint32_t)c->nframes, frame);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        compare_frame_t *fr = &c->frames[*frame];
        if (which == SIDE_NEW && !c->by_line && seen_line && fr->new_line != seen_line)
            fr->new_line = fr->new_line ? COMPARE_LINES : seen_line;
        return 0;
    }
    compare_frame_t *fr = GROW_PUSH(c->frames, c->nframes, c->frames_cap);
    if (!fr)
        return -ENOMEM;
    memset(fr, 0, sizeof *fr);
    if (which == SIDE_NEW && !c->by_line)
        fr->new_line = seen_line;
    fr->label = label;
    fr->line = line;
    fr->kind = compare_kind_of(s, n);
    if (strtab_intern(&c->strings, s, file_len ? name_len : n, &fr->name) < 0 ||
        strtab_intern(&c->strings, file, file_len, &fr->file) < 0)
        return -ENOMEM;
    return 0;
}

/* ---- the combined tree -------------------------------------------------- */

static int compare_reserve(compare_prof_t *p, size_t n)
{
    if (n <= p->cap)
        return 0;
    size_t cap = p->cap ? p->cap : 1024;
    while (cap < n)
        cap *= 2;
    for (int s = 0; s < SIDES; s++) {
        double *v = realloc(p->self[s], cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        memset(v + p->cap, 0, (cap - p->cap) * sizeof *v);
        p->self[s] = v;
    }
    p->cap = cap;
    return 0;
}

static int compare_add_side(compare_t *c, int prof, int which)
{
    compare_prof_t *p = &c->prof[prof];
    const folded_t *f = &c->side[which].prof[prof];
    double scale = c->side[which].scale[prof];
    /* each label of this file -> compare frame, once */
    uint32_t *map = malloc((f->labels.n ? f->labels.n : 1) * sizeof *map);
    if (!map)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < f->labels.n; i++) {
        size_t len;
        const char *s = strtab_get(&f->labels, (uint32_t)i, &len);
        rc = compare_frame_of(c, s, len, which, &map[i]);
    }
    for (size_t i = 0; rc == 0 && i < f->nstacks; i++) {
        const folded_stack_t *st = &f->stacks[i];
        uint32_t node = CALLTREE_ROOT;
        for (uint32_t d = 0; rc == 0 && d < st->depth; d++)
            rc = calltree_child(&p->tree, node, map[f->frames[st->first + d]], &node);
        if (rc == 0 && (rc = compare_reserve(p, p->tree.n)) == 0)
            p->self[which][node] += st->count * scale;
    }
    free(map);
    return rc;
}

static int compare_rank_cmp(const void *a, const void *b, void *ctx)
{
    const compare_t *c = ctx;
    size_t la, lb;
    const char *sa = strtab_get(&c->strings, c->frames[*(const uint32_t *)a].label, &la);
    const char *sb = strtab_get(&c->strings, c->frames[*(const uint32_t *)b].label, &lb);
    int r = memcmp(sa, sb, la < lb ? la : lb);
    if (r)
        return r;
    return la < lb ? -1 : la > lb;
}

/* Pre-order with siblings by label, then inclusive totals per side. */
static int compare_finish_prof(compare_prof_t *p, const uint32_t *rank)
{
    size_t n = p->tree.n;
    uint32_t *remap = NULL;
    int rc = compare_reserve(p, n);
    if (rc == 0)
        rc = calltree_finish(&p->tree, rank, &remap);
    if (rc < 0)
        return rc;
    for (int s = 0; s < SIDES && rc == 0; s++) {
        double *self = calloc(n, sizeof *self);
        double *total = calloc(n, sizeof *total);
        if (!self || !total) {
            free(self);
            free(total);
            rc = -ENOMEM;
            break;
        }
        for (size_t i = 0; i < n; i++)
            self[remap[i]] = p->self[s][i];
        memcpy(total, self, n * sizeof *total);
        for (size_t i = n; i-- > 1;)
            total[p->tree.parent[i]] += total[i];
        free(p->self[s]);
        p->self[s] = self;
        p->total[s] = total;
    }
    free(remap);
    return rc;
}

static int compare_build_trees(compare_t *c)
{
    int rc = 0;
    for (int p = 0; p < PROFS && rc == 0; p++) {
        compare_prof_t *pr = &c->prof[p];
        pr->present = c->side[SIDE_BASE].has_prof[p] && c->side[SIDE_NEW].has_prof[p];
        if (!pr->present)
            continue;
        pr->unit = p == PROF_MEM ? "bytes" : c->side[SIDE_BASE].is_report ? "seconds" : "samples";
        if ((rc = calltree_init(&pr->tree)) < 0)
            return rc;
        for (int s = 0; s < SIDES && rc == 0; s++)
            rc = compare_add_side(c, p, s);
    }
    if (rc < 0)
        return rc;
    uint32_t *order = malloc((c->nframes ? c->nframes : 1) * sizeof *order);
    uint32_t *rank = malloc((c->nframes ? c->nframes : 1) * sizeof *rank);
    if (!order || !rank) {
        free(order);
        free(rank);
        return -ENOMEM;
    }
    for (size_t i = 0; i < c->nframes; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, c->nframes, sizeof *order, compare_rank_cmp, c);
    for (size_t i = 0; i < c->nframes; i++)
        rank[order[i]] = (uint32_t)i;
    for (int p = 0; p < PROFS && rc == 0; p++)
        if (c->prof[p].present)
            rc = compare_finish_prof(&c->prof[p], rank);
    free(order);
    free(rank);
    return rc;
}

/* ---- notes on what differs ---------------------------------------------- */

static int compare_notes(compare_t *c)
{
    compare_side_t *b = &c->side[SIDE_BASE], *n = &c->side[SIDE_NEW];
    int rc = 0;
    if (b->is_report != n->is_report)
        return compare_fail(c, -EINVAL, "radiograph: cannot compare a report directory with a "
                            ".folded file: give two report directories, or two .folded files "
                            "(e.g. DIR/performance.folded)");
    if (!b->is_report) {
        if (b->has_prof[PROF_MEM] != n->has_prof[PROF_MEM])
            return compare_fail(c, -EINVAL, "radiograph: '%s' and '%s' are not the same kind of "
                                "profile (one is a memory profile by its name, the other is not): "
                                "compare time with time and memory with memory",
                                b->path, n->path);
        return 0;
    }
    char cb[1024], cn[1024];
    compare_command(b, cb, sizeof cb);
    compare_command(n, cn, sizeof cn);
    if (strcmp(cb, cn) != 0)
        rc = compare_note(c, "The two reports ran different commands (base: %s; new: %s). "
                          "Callstacks are matched by function and file name, so a renamed "
                          "function shows as one that vanished and one that appeared.",
                          cb[0] ? cb : "unknown", cn[0] ? cn : "unknown");
    const jsonread_value_t *vb = compare_sum_str(b, "radiograph_version");
    const jsonread_value_t *vn = compare_sum_str(n, "radiograph_version");
    if (rc == 0 && vb && vn && strcmp(vb->str, vn->str) != 0)
        rc = compare_note(c, "The reports were made by different radiograph versions (%s and %s); "
                          "the comparison uses only what both share: summary.json and the "
                          "folded stacks.", vb->str, vn->str);
    const jsonread_value_t *pb = compare_sum_str(b, "python_version");
    const jsonread_value_t *pn = compare_sum_str(n, "python_version");
    if (rc == 0 && pb && pn && strcmp(pb->str, pn->str) != 0)
        rc = compare_note(c, "The jobs ran on different Python versions (%s and %s).", pb->str, pn->str);
    const jsonread_value_t *sb = compare_sum_str(b, "peak_memory_source");
    const jsonread_value_t *sn = compare_sum_str(n, "peak_memory_source");
    if (rc == 0 && sb && sn && strcmp(sb->str, sn->str) != 0)
        rc = compare_note(c, "Peak memory was measured differently: base %s, new %s (a run with "
                          "--no-memory only knows the largest resident set size, RSS).",
                          strcmp(sb->str, "rss") ? "tracked allocations" : "RSS",
                          strcmp(sn->str, "rss") ? "tracked allocations" : "RSS");
    double ib = b->scale[PROF_PERF], in = n->scale[PROF_PERF];
    if (rc == 0 && fabs(ib - in) > 1e-9 * (ib + in))
        rc = compare_note(c, "The runs sampled at different rates (every %g ms and every %g ms); "
                          "time is compared in seconds.", ib * 1e3, in * 1e3);
    for (int s = 0; rc == 0 && s < SIDES; s++) {
        const jsonread_value_t *part = jsonread_get(c->side[s].sum, "partial");
        if (part && part->type == JSONREAD_TRUE)
            rc = compare_note(c, "The %s report is partial (some of its raw data was missing or "
                              "damaged), so its figures may undercount.", compare_side_key[s]);
        if (rc == 0 && !c->side[s].has_prof[PROF_MEM])
            rc = compare_note(c, "The %s run did not track memory (--no-memory): memory is not "
                              "compared.", compare_side_key[s]);
    }
    return rc;
}

/* ---- the gate ------------------------------------------------------------ */

/* Has a figure grown by more than LIMIT percent from B to N? From nothing,
 * any growth is too much. */
static int compare_grew_too_much(double b, double n, double limit)
{
    if (b > 0)
        return (n - b) / b * 100 > limit;
    return n > b;
}

/* Fills in the check for profile P (time or memory) with a limit of LIMIT
 * percent, or says in ERR why these inputs cannot be checked. */
static int compare_gate_add(compare_t *c, int p, double limit)
{
    static const char *const option[PROFS] = { "--fail-if-slower", "--fail-if-bigger" };
    compare_check_t *k = &c->checks[c->nchecks];
    const compare_side_t *b = &c->side[SIDE_BASE];
    *k = (compare_check_t){ .option = option[p], .limit = limit };
    if (!b->is_report) {
        /* two .folded files: their totals, if they are this kind of profile */
        if (!c->prof[p].present)
            return compare_fail(c, -EINVAL, "radiograph: %s cannot be checked on %s: give %s, "
                                "or two report directories", option[p],
                                p == PROF_PERF ? "memory profiles" : "profiles of time",
                                p == PROF_PERF ? "two time profiles (e.g. performance.folded)"
                                               : "two memory profiles (e.g. memory.folded)");
        k->figure = p == PROF_PERF ? "performance.total" : "memory.total";
        k->word = p == PROF_PERF ? "time" : "memory";
        k->unit = p == PROF_PERF ? "samples" : "B";
        for (int s = 0; s < SIDES; s++)
            k->value[s] = c->prof[p].total[s][CALLTREE_ROOT];
        c->nchecks++;
        return 0;
    }
    k->figure = p == PROF_PERF ? "elapsed_seconds" : "peak_memory_bytes";
    k->word = p == PROF_PERF ? "elapsed time" : "peak memory";
    k->unit = p == PROF_PERF ? "s" : "B";
    for (int s = 0; s < SIDES; s++)
        if (!jsonread_number(c->side[s].sum, k->figure, &k->value[s]) || !(k->value[s] >= 0))
            return compare_fail(c, -EINVAL, "radiograph: %s cannot be checked: %s/summary.json "
                                "has no %s", option[p], c->side[s].path, k->figure);
    if (p == PROF_MEM) {
        const jsonread_value_t *sb = compare_sum_str(b, "peak_memory_source");
        const jsonread_value_t *sn = compare_sum_str(&c->side[SIDE_NEW], "peak_memory_source");
        if (sb && sn && strcmp(sb->str, sn->str) != 0)
            return compare_fail(c, -EINVAL, "radiograph: %s cannot be checked: the %s run has "
                                "only its RSS (it ran with --no-memory) and the other its tracked "
                                "memory; run both the same way", option[p],
                                strcmp(sb->str, "rss") ? "new" : "base");
    }
    c->nchecks++;
    return 0;
}

/* Plans and evaluates the gate. Returns 0, or a negative value (with ERR
 * set) when a limit cannot be checked on these inputs. */
static int compare_gate(compare_t *c, const compare_opts_t *opts)
{
    if (!opts)
        return 0;
    int wanted[PROFS] = { opts->gate_slower, opts->gate_bigger };
    double limit[PROFS] = { opts->fail_slower, opts->fail_bigger };
    for (int p = 0; p < PROFS; p++) {
        if (!wanted[p])
            continue;
        int rc = compare_gate_add(c, p, limit[p]);
        if (rc < 0)
            return rc;
        compare_check_t *k = &c->checks[c->nchecks - 1];
        k->failed = compare_grew_too_much(k->value[SIDE_BASE], k->value[SIDE_NEW], k->limit);
    }
    return 0;
}

static int compare_gate_failed(const compare_t *c)
{
    for (size_t i = 0; i < c->nchecks; i++)
        if (c->checks[i].failed)
            return 1;
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

/* "base", "new" and "change_percent", inside an object being written. */
static void compare_change_fields(json_t *w, int has_b, double b, int has_n, double n)
{
    json_key(w, "base");
    if (has_b) json_double(w, b); else json_null(w);
    json_key(w, "new");
    if (has_n) json_double(w, n); else json_null(w);
    json_key(w, "change_percent");
    if (has_b && has_n && b != 0)
        json_double(w, round((n - b) / fabs(b) * 1e5) / 1e3);
    else if (has_b && has_n && b == 0 && n == 0)
        json_double(w, 0);
    else
        json_null(w);
}

static void compare_change(json_t *w, int has_b, double b, int has_n, double n)
{
    json_object_begin(w);
    compare_change_fields(w, has_b, b, has_n, n);
    json_object_end(w);
}

static void compare_figure(json_t *w, const compare_t *c, const char *key)
{
    double b = 0, n = 0;
    int hb = jsonread_number(c->side[SIDE_BASE].sum, key, &b);
    int hn = jsonread_number(c->side[SIDE_NEW].sum, key, &n);
    json_key(w, key);
    compare_change(w, hb, b, hn, n);
}

static void compare_write_side(json_t *w, const compare_t *c, int which)
{
    const compare_side_t *s = &c->side[which];
    json_key(w, compare_side_key[which]);
    json_object_begin(w);
    json_key(w, "path");
    json_cstring(w, s->path);
    json_key(w, "kind");
    json_cstring(w, s->is_report ? "report" : "folded");
    static const char *const copied[] = {
        "command", "start_time", "radiograph_version", "python_version", "exit_code",
        "processes", "threads", "samples",
    };
    for (size_t i = 0; i < sizeof copied / sizeof *copied; i++) {
        const jsonread_value_t *v = jsonread_get(s->sum, copied[i]);
        json_key(w, copied[i]);
        if (!v) {
            json_null(w);
        } else if (v->type == JSONREAD_STRING) {
            json_string(w, v->str, v->len);
        } else if (v->type == JSONREAD_NUMBER) {
            json_double(w, v->number);
        } else if (v->type == JSONREAD_ARRAY) {
            json_array_begin(w);
            for (size_t k = 0; k < v->len; k++)
                if (v->items[k].type == JSONREAD_STRING)
                    json_string(w, v->items[k].str, v->items[k].len);
            json_array_end(w);
        } else {
            json_null(w);
        }
    }
    json_object_end(w);
}

typedef struct compare_delta {
    uint32_t node;
    double change;
} compare_delta_t;

static int compare_delta_cmp(const void *a, const void *b)
{
    const compare_delta_t *x = a, *y = b;
    if (x->change != y->change)
        return x->change > y->change ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

static void compare_write_stack(json_t *w, const compare_t *c, const compare_prof_t *p, uint32_t node)
{
    uint32_t path[FOLDED_DEPTH_MAX + 1];
    size_t depth = 0;
    for (uint32_t i = node; i != CALLTREE_ROOT && depth < sizeof path / sizeof *path;
         i = p->tree.parent[i])
        path[depth++] = i;
    json_object_begin(w);
    json_key(w, "stack");
    json_array_begin(w);
    while (depth--) {
        size_t len;
        const char *s = strtab_get(&c->strings, c->frames[p->tree.frame[path[depth]]].label, &len);
        json_string(w, s, len);
    }
    json_array_end(w);
    double b = p->self[SIDE_BASE][node], n = p->self[SIDE_NEW][node];
    json_key(w, "base");
    json_double(w, b);
    json_key(w, "new");
    json_double(w, n);
    json_key(w, "change");
    json_double(w, n - b);
    json_key(w, "change_percent");
    if (b > 0) json_double(w, round((n - b) / b * 1e5) / 1e3); else json_null(w);
    json_object_end(w);
}

/* The COMPARE_TOP stacks that grew most and shrank most. */
static int compare_write_top(json_t *w, const compare_t *c, const compare_prof_t *p)
{
    size_t n = p->tree.n, k = 0;
    compare_delta_t *d = malloc((n ? n : 1) * sizeof *d);
    if (!d)
        return -ENOMEM;
    for (size_t i = 1; i < n; i++) {
        double ch = p->self[SIDE_NEW][i] - p->self[SIDE_BASE][i];
        if (ch != 0)
            d[k++] = (compare_delta_t){ (uint32_t)i, ch };
    }
    qsort(d, k, sizeof *d, compare_delta_cmp);
    json_key(w, "grew");
    json_array_begin(w);
    for (size_t i = 0; i < k && i < COMPARE_TOP && d[i].change > 0; i++)
        compare_write_stack(w, c, p, d[i].node);
    json_array_end(w);
    json_key(w, "shrank");
    json_array_begin(w);
    for (size_t i = 0; i < k && i < COMPARE_TOP && d[k - 1 - i].change < 0; i++)
        compare_write_stack(w, c, p, d[k - 1 - i].node);
    json_array_end(w);
    free(d);
    return 0;
}

/* "gate": null without limits, else the verdict and each limit checked. */
static void compare_write_gate(json_t *w, const compare_t *c)
{
    if (!c->nchecks) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_key(w, "passed");
    json_bool(w, !compare_gate_failed(c));
    json_key(w, "checks");
    json_array_begin(w);
    for (size_t i = 0; i < c->nchecks; i++) {
        const compare_check_t *k = &c->checks[i];
        json_object_begin(w);
        json_key(w, "option");
        json_cstring(w, k->option);
        json_key(w, "figure");
        json_cstring(w, k->figure);
        json_key(w, "limit_percent");
        json_double(w, k->limit);
        compare_change_fields(w, 1, k->value[SIDE_BASE], 1, k->value[SIDE_NEW]);
        json_key(w, "passed");
        json_bool(w, !k->failed);
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
}

/* The comparison object: comparison.json, and the page's "comparison". */
static int compare_write_object(json_t *w, const compare_t *c)
{
    json_object_begin(w);
    json_key(w, "radiograph_version");
    json_cstring(w, RADIOGRAPH_VERSION);
    json_key(w, "match");
    json_cstring(w, c->by_line ? "line" : "function");
    compare_write_side(w, c, SIDE_BASE);
    compare_write_side(w, c, SIDE_NEW);
    compare_figure(w, c, "elapsed_seconds");
    compare_figure(w, c, "cpu_seconds");
    compare_figure(w, c, "peak_memory_bytes");
    for (int p = 0; p < PROFS; p++) {
        const compare_prof_t *pr = &c->prof[p];
        json_key(w, compare_prof_key[p]);
        if (!pr->present) {
            json_null(w);
            continue;
        }
        json_object_begin(w);
        json_key(w, "unit");
        json_cstring(w, pr->unit);
        json_key(w, "total");
        compare_change(w, 1, pr->total[SIDE_BASE][0], 1, pr->total[SIDE_NEW][0]);
        int rc = compare_write_top(w, c, pr);
        if (rc < 0)
            return rc;
        json_object_end(w);
    }
    json_key(w, "gate");
    compare_write_gate(w, c);
    json_key(w, "notes");
    json_array_begin(w);
    for (size_t i = 0; i < c->nnotes; i++) {
        size_t len;
        const char *s = strtab_get(&c->strings, c->notes[i], &len);
        json_string(w, s, len);
    }
    json_array_end(w);
    json_object_end(w);
    return 0;
}

/* Frames for the page. A frame matched by function has no line of its own,
 * but when the new run saw it at one line only, the page labels it with
 * that line's text, read from the file as it is now (the new code), as a
 * report would; a function seen at several lines, or only in the base run
 * (whose lines the file may no longer hold), is labelled by name and file. */
static void compare_page_frame(const void *ctx, size_t i, pagedata_frame_t *out)
{
    const compare_t *c = ctx;
    const compare_frame_t *f = &c->frames[i];
    out->name = strtab_get(&c->strings, f->name, &out->name_len);
    out->file = strtab_get(&c->strings, f->file, &out->file_len);
    out->file_key = f->file;
    out->line = f->line;
    out->src_line = f->new_line == COMPARE_LINES ? 0 : f->new_line;
    out->kind = f->kind;
    out->python = f->kind == COMPARE_KIND_PYTHON && (f->line || out->src_line);
}

static void compare_write_column(json_t *w, const char *key, const double *v, size_t n)
{
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++)
        json_double(w, v[i]);
    json_array_end(w);
}

typedef struct compare_page {
    const compare_t *c;
    srcline_cache_t src;
} compare_page_t;

static int compare_page_data(json_t *w, void *ctx)
{
    compare_page_t *pg = ctx;
    const compare_t *c = pg->c;
    json_object_begin(w);
    json_key(w, "version");
    json_int(w, 1);
    json_key(w, "kind");
    json_cstring(w, "comparison");
    json_key(w, "comparison");
    int rc = compare_write_object(w, c);
    if (rc == 0)
        rc = pagedata_frames_write(w, c->nframes, compare_page_frame, c, &pg->src);
    if (rc < 0)
        return rc;
    json_key(w, "profiles");
    json_object_begin(w);
    for (int p = 0; p < PROFS; p++) {
        const compare_prof_t *pr = &c->prof[p];
        if (!pr->present)
            continue;
        const calltree_t *t = &pr->tree;
        json_key(w, compare_prof_key[p]);
        json_object_begin(w);
        json_key(w, "unit");
        json_cstring(w, pr->unit);
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
        compare_write_column(w, "base", pr->total[SIDE_BASE], t->n);
        compare_write_column(w, "new", pr->total[SIDE_NEW], t->n);
        json_object_end(w);
    }
    json_object_end(w);
    json_object_end(w);
    return 0;
}

static int compare_write_json_file(const compare_t *c, const char *dir)
{
    outfile_t o;
    int rc = outfile_open(&o, dir, "comparison.json");
    if (rc < 0)
        return rc;
    json_t w;
    json_init(&w, o.fp, 0);
    rc = compare_write_object(&w, c);
    json_raw(&w, "\n", 1);
    int frc = json_finish(&w);
    json_free(&w);
    if (rc == 0)
        rc = frc;
    return outfile_finish(&o, rc);
}

static int compare_write_page(const compare_t *c, const char *dir)
{
    outfile_t o;
    int rc = outfile_open(&o, dir, "index.html");
    if (rc < 0)
        return rc;
    char title[COMPARE_TITLE_MAX];
    int tl = snprintf(title, sizeof title, "radiograph compare: %s \u2192 %s",
                      c->side[SIDE_BASE].path, c->side[SIDE_NEW].path);
    size_t len = tl < 0 ? 0 : (size_t)tl >= sizeof title ? sizeof title - 1 : (size_t)tl;
    while (len > 0 && ((unsigned char)title[len] & 0xc0) == 0x80 && (size_t)tl >= sizeof title)
        len--;   /* cut at a character boundary */
    compare_page_t pg = { .c = c };
    srcline_init(&pg.src);
    rc = html_write_page(o.fp, web_report_html, title, len, compare_page_data, &pg);
    srcline_free(&pg.src);
    return outfile_finish(&o, rc);
}

/* ---- headline on stderr ------------------------------------------------- */

/* V as "2.5 s", "1.5 MiB" (UNIT "B") or "250 samples". */
static void compare_fmt(char *buf, size_t cap, double v, const char *unit)
{
    if (!strcmp(unit, "B")) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        int u = 0;
        double a = v;
        while (fabs(a) >= 1024 && u < 4) {
            a /= 1024;
            u++;
        }
        snprintf(buf, cap, u ? "%.3g %s" : "%.0f %s", a, units[u]);
    } else {
        snprintf(buf, cap, "%.3g %s", v, unit);
    }
}

static void compare_print(const compare_t *c)
{
    static const char *const keys[] = { "elapsed_seconds", "cpu_seconds", "peak_memory_bytes" };
    static const char *const words[] = { "elapsed", "CPU time", "peak memory" };
    for (size_t i = 0; i < 3; i++) {
        double b, n;
        if (!jsonread_number(c->side[SIDE_BASE].sum, keys[i], &b) ||
            !jsonread_number(c->side[SIDE_NEW].sum, keys[i], &n))
            continue;
        char sb[32], sn[32], pct[32] = "";
        compare_fmt(sb, sizeof sb, b, i == 2 ? "B" : "s");
        compare_fmt(sn, sizeof sn, n, i == 2 ? "B" : "s");
        if (b != 0)
            snprintf(pct, sizeof pct, ", %+.1f%%", (n - b) / fabs(b) * 100);
        fprintf(stderr, "radiograph: %-12s %s -> %s%s\n", words[i], sb, sn, pct);
    }
}

/* One line per limit: the failed ones always, the others unless QUIET.
 *   radiograph: FAILED --fail-if-slower 10%: elapsed time grew by 23.4% (2.1 s -> 2.59 s)
 *   radiograph: passed --fail-if-bigger 5%: peak memory changed by -0.4% (...) */
static void compare_print_gate(const compare_t *c, int quiet)
{
    for (size_t i = 0; i < c->nchecks; i++) {
        const compare_check_t *k = &c->checks[i];
        if (quiet && !k->failed)
            continue;
        double b = k->value[SIDE_BASE], n = k->value[SIDE_NEW];
        char sb[32], sn[32], change[48];
        compare_fmt(sb, sizeof sb, b, k->unit);
        compare_fmt(sn, sizeof sn, n, k->unit);
        if (b > 0)
            snprintf(change, sizeof change, k->failed ? "grew by %.1f%%" : "changed by %+.1f%%",
                     (n - b) / b * 100);
        else
            snprintf(change, sizeof change, "%s", n > b ? "grew from nothing" : "did not change");
        fprintf(stderr, "radiograph: %s %s %g%%: %s %s (%s -> %s)\n", k->failed ? "FAILED" : "passed",
                k->option, k->limit, k->word, change, sb, sn);
    }
}

/* ---- entry -------------------------------------------------------------- */

static void compare_free(compare_t *c)
{
    for (int s = 0; s < SIDES; s++) {
        jsonread_free(&c->side[s].doc);
        for (int p = 0; p < PROFS; p++)
            folded_free(&c->side[s].prof[p]);
    }
    for (int p = 0; p < PROFS; p++) {
        calltree_free(&c->prof[p].tree);
        for (int s = 0; s < SIDES; s++) {
            free(c->prof[p].self[s]);
            free(c->prof[p].total[s]);
        }
    }
    strtab_free(&c->strings);
    keymap_free(&c->frame_index);
    free(c->frames);
    free(c->notes);
}

int compare_build(const char *base, const char *new_path, const char *out_dir,
                  const compare_opts_t *opts, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    compare_t *c = calloc(1, sizeof *c);
    if (!c) {
        if (err && errlen)
            snprintf(err, errlen, "radiograph: out of memory");
        return -ENOMEM;
    }
    c->err = err;
    c->errlen = errlen;
    c->by_line = opts && opts->by_line;
    c->side[SIDE_BASE].path = base;
    c->side[SIDE_NEW].path = new_path;
    keymap_init(&c->frame_index);
    int rc = strtab_init(&c->strings);
    for (int s = 0; s < SIDES && rc == 0; s++)
        rc = compare_load_side(c, s);
    if (rc == 0)
        rc = compare_notes(c);
    if (rc == 0)
        rc = compare_build_trees(c);
    if (rc == 0)
        rc = compare_gate(c, opts);
    if (rc == 0 && (rc = compare_write_json_file(c, out_dir)) < 0)
        compare_fail(c, rc, "radiograph: cannot write %s/comparison.json: %s", out_dir, strerror(-rc));
    if (rc == 0 && (rc = compare_write_page(c, out_dir)) < 0)
        compare_fail(c, rc, "radiograph: cannot write %s/index.html: %s", out_dir, strerror(-rc));
    if (rc == -ENOMEM)
        compare_fail(c, rc, "radiograph: out of memory while comparing %s and %s", base, new_path);
    else if (rc < 0)
        compare_fail(c, rc, "radiograph: cannot compare %s and %s: %s", base, new_path, strerror(-rc));
    if (rc == 0 && !(opts && opts->quiet) && c->side[SIDE_BASE].is_report)
        compare_print(c);
    if (rc == 0) {
        compare_print_gate(c, opts && opts->quiet);
        if (compare_gate_failed(c))
            rc = COMPARE_GATE_FAILED;
    }
    compare_free(c);
    free(c);
    return rc;
}
