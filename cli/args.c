/* args.c — see args.h. Options come before the program; everything after
 * the script name, the module name or `--` belongs to the program. */
#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char args_usage_text[] =
    "usage: radiograph run [options] script.py [args...]\n"
    "       radiograph run [options] -m module [args...]\n"
    "       radiograph run [options] -- command [args...]\n"
    "       radiograph report DIR\n"
    "       radiograph compare [options] BASE NEW\n"
    "       radiograph --version\n"
    "\n"
    "Profiles a Python job: where the time went (computing or waiting, and why)\n"
    "in every thread and process, and writes a report directory.\n"
    "\n"
    "run options:\n"
    "  -o, --output DIR   write the report to DIR\n"
    "                     (default: radiograph-report/<date>T<time>/)\n"
    "  --rate HZ          samples per second (default 100, 1 to 10000)\n"
    "  --no-memory        do not track allocations (performance profile only)\n"
    "  --memory-sample-bytes N\n"
    "                     mean bytes between sampled allocations (default 65536);\n"
    "                     smaller is more precise for small stacks, and slower\n"
    "  -q, --quiet        print only the report's path\n"
    "\n"
    "report DIR           render DIR's report again from DIR/raw/\n"
    "\n"
    "compare BASE NEW     what changed from BASE to NEW: two report directories,\n"
    "                     or two .folded files (from radiograph or other tools)\n"
    "  -o, --output DIR   write the comparison to DIR\n"
    "                     (default: radiograph-compare/<date>T<time>/)\n"
    "  --lines            match frames by line, not only by function (for runs of\n"
    "                     unchanged code: edits move line numbers)\n"
    "  -q, --quiet        print only the comparison's path\n"
    "  --fail-if-slower PCT\n"
    "                     exit with status 1 if the elapsed time grew by more than\n"
    "                     PCT percent (a CI gate; 0 allows no growth at all)\n"
    "  --fail-if-bigger PCT\n"
    "                     exit with status 1 if the peak memory grew by more than\n"
    "                     PCT percent\n"
    "\n"
    "The program's exit status becomes radiograph's (128+N if it died from\n"
    "signal N); radiograph's own usage errors exit with status 2.\n";

const char *args_usage(void) {
    return args_usage_text;
}

static int args_fail(char *err, size_t errlen, const char *fmt, const char *what) {
    snprintf(err, errlen, fmt, what);
    return -1;
}

/* Copies ARGV[from..argc) behind PREFIX (NPREFIX words) into OUT->argv. */
static int args_take(args_t *out, const char *const *prefix, int nprefix, int argc, char **argv,
                     int from) {
    int n = nprefix + (argc - from);
    out->argv = calloc((size_t)n + 1, sizeof(char *));
    if (!out->argv) return -1;
    for (int i = 0; i < nprefix; i++) out->argv[i] = (char *)prefix[i];
    for (int i = from; i < argc; i++) out->argv[nprefix + i - from] = argv[i];
    out->argc = n;
    return 0;
}

static int args_parse_run(int argc, char **argv, int i, args_t *out, char *err, size_t errlen) {
    static const char *const python[] = {"python3"};
    static const char *const python_m[] = {"python3", "-m"};
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) return args_fail(err, errlen, "radiograph: %s needs a directory", a);
            out->output = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            out->output = a + 9;
        } else if (!strcmp(a, "--rate") || !strncmp(a, "--rate=", 7)) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) return args_fail(err, errlen, "radiograph: %s needs a number of samples per second", "--rate");
            char *end;
            double hz = strtod(v, &end);
            if (end == v || *end || !(hz >= 1 && hz <= 10000))
                return args_fail(err, errlen,
                                 "radiograph: --rate '%s' is not a rate: give samples per second from 1 to 10000", v);
            out->rate_hz = hz;
        } else if (!strcmp(a, "--no-memory")) {
            out->no_memory = 1;
        } else if (!strcmp(a, "--memory-sample-bytes") || !strncmp(a, "--memory-sample-bytes=", 22)) {
            const char *v = a[21] == '=' ? a + 22 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) return args_fail(err, errlen, "radiograph: %s needs a number of bytes", "--memory-sample-bytes");
            char *end;
            long long n = strtoll(v, &end, 10);
            if (end == v || *end || n < 1 || n > (1ll << 40))
                return args_fail(err, errlen,
                                 "radiograph: --memory-sample-bytes '%s' is not a size: give bytes from 1 to 2^40", v);
            out->memory_sample_bytes = n;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            out->quiet = 1;
        } else if (!strcmp(a, "-m")) {
            if (i + 1 >= argc) return args_fail(err, errlen, "radiograph: %s needs a module name", "-m");
            out->target = ARGS_MODULE;
            return args_take(out, python_m, 2, argc, argv, i + 1);
        } else if (!strcmp(a, "--")) {
            if (i + 1 >= argc)
                return args_fail(err, errlen, "radiograph: no program after '%s': give a command to run", "--");
            out->target = ARGS_COMMAND;
            return args_take(out, NULL, 0, argc, argv, i + 1);
        } else if (a[0] == '-' && a[1]) {
            return args_fail(err, errlen, "radiograph: unknown option '%s' (see radiograph -h)", a);
        } else {
            out->target = ARGS_SCRIPT;
            return args_take(out, python, 1, argc, argv, i);
        }
    }
    return args_fail(err, errlen, "radiograph: %s", "no program to profile: give a script, -m module, or -- command");
}

/* A gate's limit: a percentage from 0 up, "10" or "10%". */
static int args_percent(const char *opt, const char *v, double *out, char *err, size_t errlen) {
    if (!v) {
        snprintf(err, errlen, "radiograph: %s needs a percentage, e.g. %s 10", opt, opt);
        return -1;
    }
    /* plain decimals only: strtod would also take "-1", "1e3", "0x10", "nan" */
    size_t digits = strspn(v, "0123456789.");
    char *end;
    double pct = strtod(v, &end);
    if (end != v + digits) end = (char *)v;
    else if (*end == '%') end++;
    if (end == v || *end || !(pct >= 0 && pct <= 1e9)) {
        snprintf(err, errlen, "radiograph: %s '%s' is not a percentage: give a number from 0 "
                 "up, e.g. %s 10 to fail on more than 10%% growth", opt, v, opt);
        return -1;
    }
    *out = pct;
    return 0;
}

/* --fail-if-slower / --fail-if-bigger at ARGV[*I] (either "--opt PCT" or
 * "--opt=PCT"): returns 1 if it was one (and parsed), 0 if not, -1 on error. */
static int args_gate_option(int argc, char **argv, int *i, args_t *out, char *err, size_t errlen) {
    static const struct { const char *name; size_t len; } gates[] = {
        { "--fail-if-slower", 16 }, { "--fail-if-bigger", 16 },
    };
    const char *a = argv[*i];
    for (size_t g = 0; g < sizeof gates / sizeof *gates; g++) {
        if (strncmp(a, gates[g].name, gates[g].len) || (a[gates[g].len] && a[gates[g].len] != '='))
            continue;
        const char *v = a[gates[g].len] == '=' ? a + gates[g].len + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        double *slot = g == 0 ? &out->fail_slower : &out->fail_bigger;
        return args_percent(gates[g].name, v, slot, err, errlen) == 0 ? 1 : -1;
    }
    return 0;
}

static int args_parse_compare(int argc, char **argv, args_t *out, char *err, size_t errlen) {
    const char *paths[2];
    int npaths = 0, options_done = 0, gate;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && (!strcmp(a, "-o") || !strcmp(a, "--output"))) {
            if (i + 1 >= argc) return args_fail(err, errlen, "radiograph: %s needs a directory", a);
            out->output = argv[++i];
        } else if (!options_done && !strncmp(a, "--output=", 9)) {
            out->output = a + 9;
        } else if (!options_done && !strcmp(a, "--lines")) {
            out->by_line = 1;
        } else if (!options_done && (!strcmp(a, "-q") || !strcmp(a, "--quiet"))) {
            out->quiet = 1;
        } else if (!options_done && (gate = args_gate_option(argc, argv, &i, out, err, errlen)) != 0) {
            if (gate < 0) return -1;
        } else if (!options_done && !strcmp(a, "--")) {
            options_done = 1;
        } else if (!options_done && a[0] == '-' && a[1]) {
            return args_fail(err, errlen, "radiograph: unknown option '%s' for compare (see radiograph -h)", a);
        } else if (npaths == 2) {
            return args_fail(err, errlen, "radiograph: compare takes two reports, and '%s' is a third: usage: radiograph compare BASE NEW", a);
        } else {
            paths[npaths++] = a;
        }
    }
    if (npaths < 2)
        return args_fail(err, errlen, "radiograph: %s", "compare needs two reports: usage: radiograph compare [-o DIR] BASE NEW");
    out->compare_base = paths[0];
    out->compare_new = paths[1];
    return 0;
}

int args_parse(int argc, char **argv, args_t *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->rate_hz = 100;
    out->fail_slower = out->fail_bigger = -1;
    if (argc < 2) return args_fail(err, errlen, "radiograph: %s", "no command given: try 'radiograph run job.py' (see radiograph -h)");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        out->command = ARGS_HELP;
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        out->command = ARGS_VERSION;
        return 0;
    }
    if (!strcmp(cmd, "run")) {
        out->command = ARGS_RUN;
        if (argc > 2 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
            out->command = ARGS_HELP;
            return 0;
        }
        return args_parse_run(argc, argv, 2, out, err, errlen);
    }
    if (!strcmp(cmd, "report")) {
        out->command = ARGS_REPORT;
        if (argc != 3 || argv[2][0] == '-')
            return args_fail(err, errlen, "radiograph: %s", "usage: radiograph report DIR");
        out->report_dir = argv[2];
        return 0;
    }
    if (!strcmp(cmd, "compare")) {
        out->command = ARGS_COMPARE;
        return args_parse_compare(argc, argv, out, err, errlen);
    }
    return args_fail(err, errlen, "radiograph: unknown command '%s': use run, report or compare (see radiograph -h)", cmd);
}

void args_free(args_t *a) {
    free(a->argv);
    a->argv = NULL;
}
