/* test_fold.c — performance.folded lines: root first, `QUALNAME (FILE:LINE)`
 * frames, the state leaf, counts summed across processes and threads,
 * ';' and newlines in names and files replaced, stack-0 samples left out,
 * and the same bytes whatever order the processes are merged in. */
#include "check.h"
#include "fold.h"
#include "model.h"
#include "rawbuild.h"
#include "rawread.h"

#include <stdlib.h>
#include <string.h>

/* Merges the given raw buffers into a finished model. */
static int build_model(model_t *m, rawbuild_t *files, size_t n)
{
    if (model_init(m) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        rawread_file_t f;
        int rc = rawread_parse(files[i].data, files[i].len, &f);
        if (rc == 0)
            rc = model_add_file(m, &f, "test.rgd");
        rawread_free(&f);
        if (rc < 0)
            return -1;
    }
    runinfo_t ri;
    memset(&ri, 0, sizeof ri);
    return model_finish(m, &ri);
}

static char *fold_to_string(rawbuild_t *files, size_t n)
{
    model_t m;
    char *text = NULL;
    size_t len = 0;
    if (build_model(&m, files, n) == 0) {
        FILE *f = open_memstream(&text, &len);
        if (f) {
            int rc = fold_write(f, &m, &m.perf);
            fclose(f);
            CHECK(rc == 0, "fold_write returned %d", rc);
        }
    } else {
        CHECK(0, "could not build the model");
    }
    model_free(&m);
    return text;
}

static void test_sample_file(void)
{
    rawbuild_t b;
    rawbuild_sample(&b, 100);
    char *got = fold_to_string(&b, 1);
    const char *want =
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);[running] 6\n"
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);"
        "semi:colon newline (/tmp/job.py:20);[waiting: gil] 2\n";
    CHECK(got && strcmp(got, want) == 0, "folded output:\n%s\nwanted:\n%s", CHECK_STR(got), want);
    free(got);
    rawbuild_free(&b);
}

/* Two processes with the same frames under different ids: one tree. */
static void test_merge_processes(void)
{
    rawbuild_t b[2];
    rawbuild_sample(&b[0], 100);
    rawbuild_init(&b[1], 200, 100, 2000000000ull, 0, 10000);
    /* same frames, other ids and order */
    rawbuild_string(&b[1], 7, "main");
    rawbuild_string(&b[1], 8, "/tmp/job.py");
    rawbuild_string(&b[1], 9, "<module>");
    rawbuild_frame(&b[1], 5, 9, 8, 1);
    rawbuild_frame(&b[1], 6, 7, 8, 10);
    rawbuild_stack(&b[1], 11, 0, 5);
    rawbuild_stack(&b[1], 12, 11, 6);
    rawbuild_count(&b[1], 12, 201, RAW_ST_RUNNING, 4);
    rawbuild_count(&b[1], 12, 202, RAW_ST_SLEEP, 3);
    rawbuild_count(&b[1], 11, 201, RAW_ST_DISK, 1);
    const char *want =
        "<module> (/tmp/job.py:1);[waiting: disk] 1\n"
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);[running] 10\n"
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);[waiting: sleep] 3\n"
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);"
        "semi:colon newline (/tmp/job.py:20);[waiting: gil] 2\n";
    char *got = fold_to_string(b, 2);
    CHECK(got && strcmp(got, want) == 0, "merged output:\n%s\nwanted:\n%s", CHECK_STR(got), want);
    /* merge order does not change a byte */
    rawbuild_t swapped[2] = { b[1], b[0] };
    char *again = fold_to_string(swapped, 2);
    CHECK(got && again && strcmp(got, again) == 0, "output depends on merge order:\n%s",
          CHECK_STR(again));
    free(got);
    free(again);
    rawbuild_free(&b[0]);
    rawbuild_free(&b[1]);
}

/* Frames without a file or line, ';' in file names, every state label. */
static void test_labels(void)
{
    rawbuild_t b;
    rawbuild_init(&b, 300, 1, 1, 0, 10000);
    rawbuild_string(&b, 1, "nofile");
    rawbuild_string(&b, 2, "noline");
    rawbuild_string(&b, 3, "/odd;dir/x\r.py");
    rawbuild_string(&b, 4, "tab\there");
    rawbuild_frame(&b, 1, 1, 0, 5);     /* no file */
    rawbuild_frame(&b, 2, 2, 3, 0);     /* no line */
    rawbuild_frame(&b, 3, 4, 3, 9);
    rawbuild_stack(&b, 1, 0, 1);
    rawbuild_stack(&b, 2, 1, 2);
    rawbuild_stack(&b, 3, 0, 3);
    for (unsigned s = 0; s < RAW_ST_COUNT; s++)
        rawbuild_count(&b, 2, 300, (uint8_t)s, s + 1);
    rawbuild_count(&b, 3, 300, RAW_ST_RUNNING, 1);
    rawbuild_count(&b, 0, 301, RAW_ST_RUNNING, 99);   /* native: not folded */
    char *got = fold_to_string(&b, 1);
    const char *want =
        "nofile;noline (/odd:dir/x .py);[running] 1\n"
        "nofile;noline (/odd:dir/x .py);[waiting: child] 9\n"
        "nofile;noline (/odd:dir/x .py);[waiting: cpu] 10\n"
        "nofile;noline (/odd:dir/x .py);[waiting: disk] 6\n"
        "nofile;noline (/odd:dir/x .py);[waiting: gil] 3\n"
        "nofile;noline (/odd:dir/x .py);[waiting: lock] 4\n"
        "nofile;noline (/odd:dir/x .py);[waiting: network] 7\n"
        "nofile;noline (/odd:dir/x .py);[waiting: poll] 8\n"
        "nofile;noline (/odd:dir/x .py);[waiting: sleep] 5\n"
        "nofile;noline (/odd:dir/x .py);[waiting] 2\n"
        "tab here (/odd:dir/x .py:9);[running] 1\n";
    CHECK(got && strcmp(got, want) == 0, "labels:\n%s\nwanted:\n%s", CHECK_STR(got), want);
    /* every line: no control character, count after the last space */
    for (char *line = got; line && *line;) {
        char *nl = strchr(line, '\n');
        CHECK(nl != NULL, "unterminated line");
        if (!nl)
            break;
        for (char *p = line; p < nl; p++)
            CHECK((unsigned char)*p >= 0x20, "control character in a line");
        char *sp = nl;
        while (sp > line && sp[-1] != ' ')
            sp--;
        CHECK(sp > line && sp < nl && strspn(sp, "0123456789") == (size_t)(nl - sp),
              "count is not the last field");
        line = nl + 1;
    }
    free(got);
    rawbuild_free(&b);
}

int main(void)
{
    test_sample_file();
    test_merge_processes();
    test_labels();
    return check_failures("test_fold");
}
