/* args.h — the command line of `radiograph`: which subcommand, its options,
 * and the program to profile. Parsing never runs anything; every error is
 * one line for the user. */
#ifndef RADIOGRAPH_ARGS_H
#define RADIOGRAPH_ARGS_H

#include <stddef.h>

typedef enum args_command {
    ARGS_HELP,
    ARGS_VERSION,
    ARGS_RUN,
    ARGS_REPORT,
    ARGS_COMPARE,
} args_command_t;

typedef enum args_target {
    ARGS_SCRIPT,      /* radiograph run job.py ...      -> python3 job.py ... */
    ARGS_MODULE,      /* radiograph run -m pkg.mod ...  -> python3 -m pkg.mod ... */
    ARGS_COMMAND,     /* radiograph run -- cmd ...      -> cmd ... */
} args_target_t;

typedef struct args {
    args_command_t command;
    const char *output;       /* -o DIR (run, compare), or NULL for the default */
    double rate_hz;           /* --rate */
    int quiet;                /* -q: only the report path on stderr */
    int no_memory;            /* --no-memory */
    long long memory_sample_bytes;  /* --memory-sample-bytes, 0 = default */
    args_target_t target;
    char **argv;              /* the program's argv, NULL-terminated */
    int argc;
    const char *report_dir;   /* for `report DIR` */
    const char *compare_base; /* for `compare BASE NEW` */
    const char *compare_new;
    int by_line;              /* compare --lines */
    double fail_slower;       /* compare --fail-if-slower PCT, < 0 when not given */
    double fail_bigger;       /* compare --fail-if-bigger PCT, < 0 when not given */
} args_t;

/* Parses ARGV into OUT. Returns 0, or -1 with a one-line message (no
 * trailing newline) in ERR. OUT->argv points into a NULL-terminated array
 * the caller owns afterwards (free it with args_free). */
int args_parse(int argc, char **argv, args_t *out, char *err, size_t errlen);

void args_free(args_t *a);

/* The usage text for -h. */
const char *args_usage(void);

#endif
