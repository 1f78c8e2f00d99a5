/* main.c — the `radiograph` command: dispatches run, report, --version, -h.
 * Usage errors exit 2 with one line on stderr before anything runs; `run`
 * otherwise exits with the program's own status. */
#include "../report/compare.h"
#include "../report/outfile.h"
#include "../report/report.h"
#include "args.h"
#include "launch.h"
#include "outdir.h"
#include "runinfo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int main_report(const char *dir, int quiet) {
    char err[1024] = "";
    int rc = report_build(dir, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err[0] ? err : "radiograph: the report could not be written");
        return -1;
    }
    if (rc > 0 && !quiet)
        fprintf(stderr, "radiograph: some profile data was missing or damaged; the report is partial\n");
    fprintf(stderr, "radiograph: report written to %s/index.html\n", dir);
    return 0;
}

static int main_run(const args_t *a) {
    char dir[PATH_MAX], err[1024];
    if (launch_prepare(a, dir, sizeof dir, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    launch_result_t res;
    memset(&res, 0, sizeof res);
    if (!a->quiet) fprintf(stderr, "radiograph: profiling; the report goes to %s\n", dir);
    char raw[PATH_MAX + 8];
    snprintf(raw, sizeof raw, "%s/raw", dir);
    if (launch_start(a, dir, &res, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        launch_remove_shared();
        rmdir(raw);   /* nothing ran: give the directory back */
        return 2;
    }
    /* Written now so a report can be rebuilt even if radiograph is killed. */
    runinfo_write(dir, a->argv, a->rate_hz, &res, NULL);
    launch_wait(&res);
    int agent_errno = launch_agent_write_errno();
    launch_remove_shared();
    struct stat st;
    if (stat(raw, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "radiograph: the report directory %s was removed while the program ran: no report\n", dir);
        launch_free(&res);
        return res.exit_code;
    }
    if (agent_errno)
        fprintf(stderr, "radiograph: profiled processes could not write all their data into %s: %s\n",
                raw, outfile_why(agent_errno, err, sizeof err));
    int rc = runinfo_write(dir, a->argv, a->rate_hz, &res, &res);
    if (rc < 0)
        fprintf(stderr, "radiograph: could not write %s/run.info: %s\n", raw, outfile_why(-rc, err, sizeof err));
    main_report(dir, a->quiet);
    launch_free(&res);
    return res.exit_code;
}

/* Exit status: 0; 1 when the comparison was written but a --fail-if-*
 * limit was passed; or 2 with one line on stderr. */
static int main_compare(const args_t *a) {
    char dir[PATH_MAX], err[1024] = "", probe[PATH_MAX + 16];
    if (a->output) snprintf(dir, sizeof dir, "%s", a->output);
    else outdir_default("radiograph-compare", dir, sizeof dir);
    snprintf(probe, sizeof probe, "%s/raw", dir);
    if (access(probe, F_OK) == 0) {
        fprintf(stderr, "radiograph: '%s' holds a profiling report: write the comparison elsewhere with -o\n", dir);
        return 2;
    }
    int existed = access(dir, F_OK) == 0;
    if (outdir_make(dir) != 0) {
        fprintf(stderr, "radiograph: cannot write the comparison to '%s': %s; choose another directory with -o\n",
                dir, strerror(errno));
        return 2;
    }
    compare_opts_t opts = { .by_line = a->by_line, .quiet = a->quiet,
                            .gate_slower = a->fail_slower >= 0, .fail_slower = a->fail_slower,
                            .gate_bigger = a->fail_bigger >= 0, .fail_bigger = a->fail_bigger };
    int rc = compare_build(a->compare_base, a->compare_new, dir, &opts, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err[0] ? err : "radiograph: the comparison could not be written");
        if (!existed) rmdir(dir);   /* only if still empty: leave nothing behind */
        return 2;
    }
    fprintf(stderr, "radiograph: comparison written to %s/index.html\n", dir);
    return rc == COMPARE_GATE_FAILED ? 1 : 0;
}

int main(int argc, char **argv) {
    args_t a;
    char err[1024];
    launch_shield_signals();
    if (args_parse(argc, argv, &a, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    int rc = 0;
    switch (a.command) {
    case ARGS_HELP:
        fputs(args_usage(), stdout);
        break;
    case ARGS_VERSION:
        printf("radiograph %s\n", RADIOGRAPH_VERSION);
        break;
    case ARGS_REPORT:
        rc = main_report(a.report_dir, 0) == 0 ? 0 : 2;
        break;
    case ARGS_RUN:
        rc = main_run(&a);
        break;
    case ARGS_COMPARE:
        rc = main_compare(&a);
        break;
    }
    args_free(&a);
    return rc;
}
