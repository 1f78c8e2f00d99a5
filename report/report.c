/* report.c — report_build: read raw/, merge, write every output file.
 *
 * The one place that turns failures into the user's one-line messages.
 * Damage to the raw data is never fatal: it becomes a note and the report
 * is marked partial. Only "nothing to show" and "cannot write" are errors. */
#include "report.h"
#include "fold.h"
#include "html.h"
#include "model.h"
#include "outfile.h"
#include "pagedata.h"
#include "pprof.h"
#include "rawread.h"
#include "runinfo.h"
#include "speedscope.h"
#include "srcline.h"
#include "summary.h"
#include "trace.h"
#include "web_assets.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPORT_TITLE_MAX 200u

static void report_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int report_cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of DIR's *.rgd files, sorted. Returns 0 or a negative errno. */
static int report_list_raw(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".rgd") != 0 || e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            char **nn = realloc(*names, (cap ? cap * 2 : 64) * sizeof *nn);
            if (!nn) {
                rc = -ENOMEM;
                break;
            }
            *names = nn;
            cap = cap ? cap * 2 : 64;
        }
        if (!((*names)[*n] = strdup(e->d_name))) {
            rc = -ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(*names, *n, sizeof **names, report_cmp_name);
    return rc;
}

static char *report_path(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

typedef struct report_raw {
    size_t unreadable;
    char first_problem[300];
} report_raw_t;

/* Reads and merges one raw file. Only -ENOMEM is an error. */
static int report_read_one(model_t *m, const char *raw_dir, const char *name,
                           report_raw_t *rr)
{
    char *path = report_path(raw_dir, name);
    if (!path)
        return -ENOMEM;
    rawread_file_t *f = malloc(sizeof *f);
    if (!f) {
        free(path);
        return -ENOMEM;
    }
    int rc = rawread_read(path, f);
    free(path);
    if (rc == -EINVAL || (rc < 0 && rc != -ENOMEM)) {
        const char *why = f->nproblems ? f->problems[0]
                          : rc == -EINVAL ? "not a regular file" : strerror(-rc);
        m->partial = 1;
        if (rr->unreadable++ == 0)
            snprintf(rr->first_problem, sizeof rr->first_problem, "%s: %s", name, why);
        rc = model_note(m, rc == -EINVAL ? "raw/%s skipped: %s" : "raw/%s could not be read: %s",
                        name, why);
    } else if (rc == 0) {
        rc = model_add_file(m, f, name);
    }
    rawread_free(f);
    free(f);
    return rc;
}

typedef struct report_page {
    const model_t *m;
    srcline_cache_t src;
} report_page_t;

static int report_page_data(json_t *w, void *ctx)
{
    report_page_t *p = ctx;
    return pagedata_write(w, p->m, &p->src);
}

/* "radiograph: python3 job.py", cut at REPORT_TITLE_MAX bytes. */
static void report_title(const model_t *m, char *buf, size_t cap, size_t *len)
{
    size_t n = (size_t)snprintf(buf, cap, "radiograph:");
    for (size_t i = 0; i < m->summary.command_argc && n + 1 < cap; i++) {
        size_t al;
        const char *a = model_str(m, m->summary.command[i], &al);
        buf[n++] = ' ';
        size_t take = al < cap - 1 - n ? al : cap - 1 - n;
        memcpy(buf + n, a, take);
        n += take;
    }
    if (n >= cap - 1) {   /* cut: back up to a character boundary, add "..." */
        n = cap - 4;
        while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80)
            n--;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    *len = n;
}

/* One line naming every file that could not be written and why. */
static void report_write_failed(char *err, size_t errlen, const char *dir,
                                const char *const *names, const int *why, size_t n)
{
    size_t at = 0;
    int same = 1;
    for (size_t i = 1; i < n; i++)
        same &= why[i] == why[0];
    char text[160];
    at += (size_t)snprintf(err, errlen, "radiograph: could not write");
    for (size_t i = 0; i < n && at < errlen; i++) {
        at += (size_t)snprintf(err + at, errlen - at, "%s %s", i ? "," : "", names[i]);
        if (!same && at < errlen)
            at += (size_t)snprintf(err + at, errlen - at, " (%s)",
                                   outfile_why(why[i], text, sizeof text));
    }
    if (at < errlen)
        at += (size_t)snprintf(err + at, errlen - at, " in %s", dir);
    if (same && at < errlen)
        snprintf(err + at, errlen - at, ": %s", outfile_why(why[0], text, sizeof text));
}

/* Writes every output file; one that fails does not stop the others (a
 * file-size limit may stop only the largest). Returns 0, -ENOMEM, or the
 * first file's negative errno with ERR naming them all. */
static int report_write_all(const model_t *m, const char *dir, uint32_t trace_depth,
                            char *err, size_t errlen)
{
    static const char *const names[] = {
        "performance.folded", "memory.folded", "summary.json", "timeline.json",
        "profile.speedscope.json", "profile.pb.gz", "index.html",
    };
    enum { NFILES = sizeof names / sizeof *names };
    const char *failed[NFILES];
    int why[NFILES];
    size_t nfailed = 0;
    for (size_t i = 0; i < NFILES; i++) {
        if (i == 1 && !m->has_memory) {
            /* no memory data: a memory.folded left by an earlier render would lie */
            char *stale = report_path(dir, names[i]);
            if (!stale)
                return -ENOMEM;
            unlink(stale);
            free(stale);
            continue;
        }
        outfile_t o;
        int rc = outfile_open(&o, dir, names[i]);
        if (rc == 0) {
            if (i == 0) {
                rc = fold_write(o.fp, m, &m->perf);
            } else if (i == 1) {
                rc = fold_write(o.fp, m, &m->mem);
            } else if (i == 2) {
                rc = summary_write(o.fp, m);
            } else if (i == 3) {
                rc = trace_write(o.fp, m, trace_depth);
            } else if (i == 4) {
                char title[REPORT_TITLE_MAX + 1];
                size_t tl;
                report_title(m, title, sizeof title, &tl);
                rc = speedscope_write(o.fp, m, title, tl);
            } else if (i == 5) {
                rc = pprof_write(o.fp, m);
            } else {
                char title[REPORT_TITLE_MAX + 1];
                size_t tl;
                report_title(m, title, sizeof title, &tl);
                report_page_t page = { .m = m };
                srcline_init(&page.src);
                rc = html_write_page(o.fp, web_report_html, title, tl, report_page_data, &page);
                srcline_free(&page.src);
            }
            rc = outfile_finish(&o, rc);
        }
        if (rc == -ENOMEM)
            return rc;
        if (rc < 0) {
            failed[nfailed] = names[i];
            why[nfailed++] = -rc;
        }
    }
    if (!nfailed)
        return 0;
    report_write_failed(err, errlen, dir, failed, why, nfailed);
    return -why[0];
}

static int report_runinfo(model_t *m, const char *raw_dir, runinfo_t *ri)
{
    char *path = report_path(raw_dir, "run.info");
    if (!path)
        return -ENOMEM;
    int rc = runinfo_load(path, ri);
    free(path);
    if (rc == -ENOMEM)
        return rc;
    if (rc == -ENOENT) {
        m->partial = 1;
        return model_note(m, "raw/run.info is missing (radiograph itself may have "
                          "been killed): the command, exit status and times come "
                          "from the processes' own data");
    }
    if (rc < 0) {
        m->partial = 1;
        return model_note(m, "raw/run.info could not be read: %s", strerror(-rc));
    }
    for (size_t i = 0; i < ri->nnotes; i++)
        if ((rc = model_note(m, "%.900s", ri->notes[i])) < 0)
            return rc;
    if (ri->bad_lines)
        return model_note(m, "raw/run.info: %zu malformed lines ignored", ri->bad_lines);
    return 0;
}

/* One line on stderr for each process radiograph could not read (a Python
 * it has no layout for, a free-threaded build...): its pid, its version and
 * why, so that a run that looks profiled says what it missed. */
static void report_warn_unprofiled(const model_t *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        const model_process_t *p = &m->procs[i];
        if (!p->not_profiled)
            continue;
        char version[32] = "of an unknown version";
        summary_python_version(p->py_version, version, sizeof version);
        size_t len;
        const char *why = model_str(m, p->not_profiled_why, &len);
        fprintf(stderr, "radiograph: process %u runs Python %s, %.*s: not profiled\n", p->pid,
                version, (int)len, why);
    }
}

/* Chooses how deep timeline.json goes, and says so when it is cut. */
static int report_trace_plan(model_t *m, uint32_t *depth)
{
    size_t events;
    int rc = trace_depth_limit(m, TRACE_EVENTS_MAX, depth, &events);
    if (rc < 0 || *depth == TRACE_ALL_DEPTHS)
        return rc;
    return model_note(m, "timeline.json shows frames down to depth %u only (%zu events); "
                      "the page's timeline has every frame", *depth, events);
}

int report_build(const char *dir, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    char *raw_dir = report_path(dir, "raw");
    model_t *m = malloc(sizeof *m);
    char **names = NULL;
    size_t nnames = 0;
    runinfo_t ri;
    memset(&ri, 0, sizeof ri);
    if (m)
        memset(m, 0, sizeof *m);
    int rc = raw_dir && m ? model_init(m) : -ENOMEM;
    if (rc == 0)
        rc = report_runinfo(m, raw_dir, &ri);
    if (rc == 0 && (rc = report_list_raw(raw_dir, &names, &nnames)) < 0) {
        if (rc == -ENOENT || rc == -ENOTDIR)
            report_error(err, errlen, "radiograph: %s has no raw/ directory: it is not a "
                         "radiograph report directory", dir);
        else if (rc != -ENOMEM)
            report_error(err, errlen, "radiograph: cannot list %s: %s", raw_dir, strerror(-rc));
    }
    report_raw_t rr = { 0, "" };
    for (size_t i = 0; rc == 0 && i < nnames; i++)
        rc = report_read_one(m, raw_dir, names[i], &rr);
    if (rc == 0 && m->nprocs == 0) {
        rc = -ENOENT;
        if (rr.unreadable)
            report_error(err, errlen, "radiograph: no profile data in %s: %zu raw file(s) could "
                         "not be read (%s)", raw_dir, rr.unreadable, rr.first_problem);
        else
            report_error(err, errlen, "radiograph: no profile data in %s: the program may not "
                         "have been a Python program, or radiograph's agent could "
                         "not start", raw_dir);
    }
    if (rc == 0)
        rc = model_finish(m, &ri);
    if (rc == 0)
        report_warn_unprofiled(m);
    uint32_t trace_depth = TRACE_ALL_DEPTHS;
    if (rc == 0)
        rc = report_trace_plan(m, &trace_depth);
    if (rc == 0)
        rc = report_write_all(m, dir, trace_depth, err, errlen);
    if (rc == -ENOMEM)
        report_error(err, errlen, "radiograph: out of memory while building the report in %s", dir);
    else if (rc < 0 && err && errlen && !err[0])
        report_error(err, errlen, "radiograph: cannot build the report in %s: %s", dir, strerror(-rc));
    int partial = rc == 0 && m->partial;
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    runinfo_free(&ri);
    if (m)
        model_free(m);
    free(m);
    free(raw_dir);
    if (rc < 0)
        return rc;
    return partial ? 1 : 0;
}
