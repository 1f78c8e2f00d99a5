/* summary.c — formatting of the model's summary figures. */
#include "summary.h"
#include "answers.h"
#include "fold.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

int summary_python_version(uint32_t v, char *buf, size_t len)
{
    if (v == 0)
        return -EINVAL;
    unsigned major = v >> 24 & 0xff, minor = v >> 16 & 0xff, micro = v >> 8 & 0xff;
    unsigned level = v >> 4 & 0xf, serial = v & 0xf;
    const char *tag = level == 0xa ? "a" : level == 0xb ? "b" : level == 0xc ? "rc" : "";
    if (*tag)
        snprintf(buf, len, "%u.%u.%u%s%u", major, minor, micro, tag, serial);
    else
        snprintf(buf, len, "%u.%u.%u", major, minor, micro);
    return 0;
}

int summary_iso_time(uint64_t real_ns, char *buf, size_t len)
{
    time_t t = (time_t)(real_ns / 1000000000u);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return -EINVAL;
    return 0;
}

/* reserved_bytes, and the stacks of the largest reservations. */
static void summary_write_reserved(json_t *w, const model_t *m)
{
    const model_summary_t *s = &m->summary;
    json_key(w, "reserved_bytes");
    json_uint_or_null(w, s->has_reserved, s->reserved_bytes);
    json_key(w, "reserved");
    json_array_begin(w);
    char *label = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < m->nreserved && i < MODEL_RESERVED_SHOWN; i++) {
        const model_reserved_t *r = &m->reserved[i];
        json_object_begin(w);
        json_key(w, "bytes");
        json_uint(w, r->bytes);
        json_key(w, "stack");
        json_array_begin(w);
        for (uint32_t k = 0; k < r->depth; k++) {
            size_t len = 0;
            if (fold_label(m, m->reserved_frames[r->at + k], &label, &len, &cap) == 0)
                json_string(w, label, len);
        }
        json_array_end(w);
        json_object_end(w);
    }
    free(label);
    json_array_end(w);
}

/* How each process ended, in the timeline's order. */
static void summary_write_ends(json_t *w, const model_t *m)
{
    json_key(w, "process_ends");
    json_array_begin(w);
    for (size_t i = 0; i < m->nprocs; i++) {
        const model_process_t *p = &m->procs[i];
        size_t len;
        json_object_begin(w);
        json_key(w, "pid");
        json_uint(w, p->pid);
        json_key(w, "ppid");
        json_uint(w, p->ppid);
        json_key(w, "ended");
        const char *e = model_str(m, p->ended, &len);
        json_string(w, e, len);
        json_key(w, "exit_code");
        json_int_or_null(w, p->has_status && WIFEXITED(p->status), WEXITSTATUS(p->status));
        json_key(w, "signal");
        json_int_or_null(w, p->has_status && WIFSIGNALED(p->status), WTERMSIG(p->status));
        json_object_end(w);
    }
    json_array_end(w);
}

int summary_write_members(json_t *w, const model_t *m, int with_nodes)
{
    const model_summary_t *s = &m->summary;
    char buf[64];
    json_key(w, "command");
    json_array_begin(w);
    for (size_t i = 0; i < s->command_argc; i++) {
        size_t len;
        const char *a = model_str(m, s->command[i], &len);
        json_string(w, a, len);
    }
    json_array_end(w);
    json_key(w, "exit_code");
    json_int_or_null(w, s->has_exit_code, s->exit_code);
    json_key(w, "signal");
    json_int_or_null(w, s->has_signal, s->signal);
    json_key(w, "elapsed_seconds");
    json_double(w, s->elapsed_seconds);
    json_key(w, "cpu_seconds");
    json_double(w, s->cpu_seconds);
    json_key(w, "peak_memory_bytes");
    json_uint_or_null(w, s->has_peak_memory, s->peak_memory_bytes);
    json_key(w, "peak_memory_source");
    if (s->has_peak_memory)
        json_cstring(w, s->peak_memory_tracked ? "tracked" : "rss");
    else
        json_null(w);
    json_key(w, "peak_memory_seconds");
    if (s->has_peak_memory && s->has_peak_memory_time)
        json_double(w, s->peak_memory_ns / 1e9);
    else
        json_null(w);
    json_key(w, "memory_sample_bytes");
    json_uint_or_null(w, s->has_memory_sample_bytes, s->memory_sample_bytes);
    json_key(w, "oom");
    json_bool(w, s->oom);
    summary_write_reserved(w, m);
    json_key(w, "processes");
    json_uint(w, s->processes);
    json_key(w, "threads");
    json_uint(w, s->threads);
    json_key(w, "samples");
    json_uint(w, s->samples);
    json_key(w, "sample_interval_seconds");
    json_double(w, s->sample_interval_seconds);
    json_key(w, "python_version");
    if (summary_python_version(s->py_version, buf, sizeof buf) == 0)
        json_cstring(w, buf);
    else
        json_null(w);
    /* Every distinct version the run's processes ran, in their order: a job
     * may start a step under another interpreter. */
    json_key(w, "python_versions");
    json_array_begin(w);
    for (size_t i = 0; i < m->nprocs; i++) {
        uint32_t v = m->procs[i].py_version;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = m->procs[j].py_version == v;
        if (!seen && summary_python_version(v, buf, sizeof buf) == 0)
            json_cstring(w, buf);
    }
    json_array_end(w);
    json_key(w, "radiograph_version");
    json_cstring(w, s->radiograph_version ? s->radiograph_version : "unknown");
    json_key(w, "dropped_samples");
    json_uint(w, s->dropped_samples);
    json_key(w, "start_time");
    if (s->has_start_time && summary_iso_time(s->start_real_ns, buf, sizeof buf) == 0)
        json_cstring(w, buf);
    else
        json_null(w);
    json_key(w, "partial");
    json_bool(w, m->partial);
    summary_write_ends(w, m);
    json_key(w, "notes");
    json_array_begin(w);
    for (size_t i = 0; i < m->nnotes; i++) {
        size_t len;
        const char *n = model_str(m, m->notes[i], &len);
        json_string(w, n, len);
    }
    json_array_end(w);
    answers_t *a = malloc(sizeof *a);
    int rc = a ? answers_build(m, a) : -ENOMEM;
    if (rc == 0)
        answers_write(w, m, a, with_nodes);
    free(a);
    return rc;
}

int summary_write(FILE *out, const model_t *m)
{
    json_t w;
    json_init(&w, out, 0);
    json_object_begin(&w);
    int rc = summary_write_members(&w, m, 0);
    json_object_end(&w);
    json_raw(&w, "\n", 1);
    int frc = json_finish(&w);
    if (rc == 0)
        rc = frc;
    json_free(&w);
    return rc;
}
