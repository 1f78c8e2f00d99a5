/* runinfo.c — see runinfo.h. */
#include "runinfo.h"

#include "../report/outfile.h"

#include <errno.h>

#include <limits.h>
#include <stdio.h>

static void runinfo_value(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '\n') fputs("\\n", f);
        else if (*s == '\\') fputs("\\\\", f);
        else fputc(*s, f);
    }
}

int runinfo_write(const char *dir, char **argv, double rate_hz, const launch_result_t *start,
                  const launch_result_t *end) {
    char raw[PATH_MAX];
    if (snprintf(raw, sizeof raw, "%s/raw", dir) >= (int)sizeof raw) return -ENAMETOOLONG;
    outfile_t o;
    int rc = outfile_open(&o, raw, "run.info");
    if (rc < 0) return rc;
    FILE *f = o.fp;
    fprintf(f, "radiograph_version=%s\n", RADIOGRAPH_VERSION);
    for (char **a = argv; *a; a++) {
        fputs("arg=", f);
        runinfo_value(f, *a);
        fputc('\n', f);
    }
    fprintf(f, "start_real_ns=%llu\n", (unsigned long long)start->start_real_ns);
    fprintf(f, "start_mono_ns=%llu\n", (unsigned long long)start->start_mono_ns);
    fprintf(f, "sample_interval_us=%ld\n", (long)(1e6 / rate_hz + 0.5));
    for (int i = 0; i < start->nnotes; i++) {
        fputs("note=", f);
        runinfo_value(f, start->notes[i]);
        fputc('\n', f);
    }
    if (end) {
        fprintf(f, "end_mono_ns=%llu\n", (unsigned long long)end->end_mono_ns);
        fprintf(f, "exit_code=%d\n", end->exit_code);
        if (end->signal) fprintf(f, "signal=%d\n", end->signal);
        fprintf(f, "cpu_ns=%llu\n", (unsigned long long)end->cpu_ns);
        for (size_t i = 0; i < end->nreaped; i++)
            fprintf(f, "reaped=%d %d %llu\n", end->reaped[i].pid, end->reaped[i].status,
                    (unsigned long long)end->reaped[i].t_ns);
    }
    return outfile_finish(&o, ferror(f) ? -EIO : 0);
}
