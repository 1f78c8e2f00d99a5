/* check.h — the unit tests' one assertion: CHECK(cond, fmt, ...) prints the
 * place and the message when COND is false and counts the failure; a test's
 * main returns check_failures() so `meson test` sees it. */
#ifndef RADIOGRAPH_CHECK_H
#define RADIOGRAPH_CHECK_H

#include <stdio.h>

static int check_failed_count;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            check_failed_count++;                                            \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, \
                    #cond);                                                  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* A string for a %s that may be NULL. */
#define CHECK_STR(s) ((s) ? (s) : "(null)")

static inline int check_failures(const char *name)
{
    if (check_failed_count)
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failed_count);
    else
        printf("%s: all checks passed\n", name);
    return check_failed_count ? 1 : 0;
}

#endif
