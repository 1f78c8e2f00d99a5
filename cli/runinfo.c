/* runinfo.c — see runinfo.h. */
#include "runinfo.h"

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
    char tmp[PATH_MAX], path[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/raw/run.info.tmp", dir);
    snprintf(path, sizeof path, "%s/raw/run.info", dir);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    fprintf(f, "radiograph_version=%s\n", RADIOGRAPH_VERSION);
    for (char **a = argv; *a; a++) {
        fputs("arg=", f);
        runinfo_value(f, *a);
        fputc('\n', f);
    }
    fprintf(f, "start_real_ns=%llu\n", (unsigned long long)start->start_real_ns);
    fprintf(f, "start_mono_ns=%llu\n", (unsigned long long)start->start_mono_ns);
    fprintf(f, "sample_interval_us=%ld\n", (long)(1e6 / rate_hz + 0.5));
    if (end) {
        fprintf(f, "end_mono_ns=%llu\n", (unsigned long long)end->end_mono_ns);
        fprintf(f, "exit_code=%d\n", end->exit_code);
        if (end->signal) fprintf(f, "signal=%d\n", end->signal);
        fprintf(f, "cpu_ns=%llu\n", (unsigned long long)end->cpu_ns);
        for (size_t i = 0; i < end->nreaped; i++)
            fprintf(f, "reaped=%d %d %llu\n", end->reaped[i].pid, end->reaped[i].status,
                    (unsigned long long)end->reaped[i].t_ns);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return -1;
    return rename(tmp, path);
}
