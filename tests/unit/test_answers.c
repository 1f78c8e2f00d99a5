/* test_answers.c — the report's three answers (report/answers.c): which
 * files are the program's own, where the time went (credited to the
 * innermost own line, with the library frame it spent most in), what
 * waited for what and in how many threads, what held memory at the peak —
 * as summary.json writes them, and the page's copy with its tree nodes. */
#include "answers.h"
#include "check.h"
#include "rawbuild.h"
#include "report.h"
#include "testdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_library_files(void)
{
    static const char *const lib[] = {
        "<frozen importlib._bootstrap>", "<string>", "",
        "/usr/lib/python3.11/json/encoder.py", "/root/.pyenv/versions/3.11.7/lib/python3.11/threading.py",
        "/opt/venv/lib/python3.12/site-packages/numpy/core/numeric.py",
        "/usr/lib/python3/dist-packages/yaml/__init__.py", "/usr/lib64/python3.13/os.py",
    };
    static const char *const own[] = {
        "/home/ana/job.py", "job.py", "/srv/lib/pipeline/stages.py", "/home/ana/python3/x.py",
        "/home/ana/lib/pythonic/run.py",
    };
    for (size_t i = 0; i < sizeof lib / sizeof *lib; i++)
        CHECK(answers_is_library(lib[i], strlen(lib[i])), "%s is the library's", lib[i]);
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        CHECK(!answers_is_library(own[i], strlen(own[i])), "%s is the program's own", own[i]);
}

/* A main thread computing in json's encode under main (job.py:20) and
 * waiting in Thread.join under main (job.py:21); three threads computing
 * and waiting for the GIL in work (job.py:7) under threading's Thread.run;
 * memory held by both lines and outside Python. */
static void job(rawbuild_t *b)
{
    rawbuild_init(b, 100, 99, 1000000000ull, 1764077000000000000ull, 10000);
    static const char *const argv[] = { "python3", "job.py", NULL };
    rawbuild_cmdline(b, argv);
    rawbuild_thread(b, 100, RAW_THREAD_PYTHON | RAW_THREAD_MAIN, 1000000000ull, "MainThread");
    for (uint32_t t = 101; t <= 103; t++)
        rawbuild_thread(b, t, RAW_THREAD_PYTHON, 1001000000ull, "worker");
    rawbuild_string(b, 1, "/home/u/job.py");
    rawbuild_string(b, 2, "/usr/lib/python3.11/threading.py");
    rawbuild_string(b, 3, "<module>");
    rawbuild_string(b, 4, "main");
    rawbuild_string(b, 5, "work");
    rawbuild_string(b, 6, "Thread.join");
    rawbuild_string(b, 7, "/usr/lib/python3.11/json/encoder.py");
    rawbuild_string(b, 8, "JSONEncoder.encode");
    rawbuild_string(b, 9, "Thread.run");
    rawbuild_frame(b, 1, 3, 1, 30);   /* <module> (job.py:30) */
    rawbuild_frame(b, 2, 4, 1, 20);   /* main (job.py:20) */
    rawbuild_frame(b, 3, 4, 1, 21);   /* main (job.py:21) */
    rawbuild_frame(b, 4, 6, 2, 1100); /* Thread.join */
    rawbuild_frame(b, 5, 8, 7, 200);  /* JSONEncoder.encode */
    rawbuild_frame(b, 6, 9, 2, 982);  /* Thread.run */
    rawbuild_frame(b, 7, 5, 1, 7);    /* work (job.py:7) */
    rawbuild_stack(b, 1, 0, 1);
    rawbuild_stack(b, 2, 1, 2);
    rawbuild_stack(b, 3, 2, 5);       /* <module>;main:20;encode */
    rawbuild_stack(b, 4, 1, 3);
    rawbuild_stack(b, 5, 4, 4);       /* <module>;main:21;Thread.join */
    rawbuild_stack(b, 6, 0, 6);
    rawbuild_stack(b, 7, 6, 7);       /* Thread.run;work */
    rawbuild_count(b, 3, 100, RAW_ST_RUNNING, 50);
    rawbuild_count(b, 5, 100, RAW_ST_LOCK, 40);
    for (uint32_t t = 101; t <= 103; t++) {
        rawbuild_count(b, 7, t, RAW_ST_RUNNING, 10);
        rawbuild_count(b, 7, t, RAW_ST_GIL, 20);
    }
    rawbuild_count(b, 6, 101, RAW_ST_RUNNING, 2);   /* Thread.run itself: no own frame */
    rawbuild_point(b, 1001000000ull, 100, 3, RAW_ST_RUNNING);
    rawbuild_mem_info(b, 65536);
    const uint64_t series[] = { 1002000000ull, 4100, 0 };
    rawbuild_mem_series(b, series, 1);
    const uint32_t st[] = { 7, 3, 0 };
    const uint64_t by[] = { 3000, 1000, 100 };
    rawbuild_mem_peak(b, 1002000000ull, 4100, 0, st, by, 3);
    rawbuild_end(b, 1003000000ull, 1000000);
}

static void test_answers(void)
{
    char *dir = make_dir();
    if (!dir)
        return;
    spit(dir, "raw/run.info", "arg=python3\narg=job.py\nstart_mono_ns=1000000000\n"
         "end_mono_ns=1004000000\nexit_code=0\nsample_interval_us=10000\n");
    rawbuild_t b;
    job(&b);
    save(dir, "100.rgd", &b);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "report_build: %d (%s)", rc, err);
    char *s = slurp(dir, "summary.json");
    /* 182 samples: 112 computing (50 + 30 + 2 in Thread.run), 60 GIL, 40 lock */
    CHECK(s && strstr(s, "\"answers\":{\"time\":{\"thread_seconds\":1.82,\"threads\":4,"
                         "\"computing_seconds\":0.82,\"waiting_seconds\":1,"
                         "\"waiting_by_reason\":{\"gil\":0.6,\"lock\":0.4},"), "time head:\n%s", CHECK_STR(s));
    /* json's encode is credited to the job's line, and named as where it was */
    CHECK(s && strstr(s, "\"computing\":[{\"function\":\"main\",\"file\":\"/home/u/job.py\",\"line\":20,"
                         "\"frame\":\"main (/home/u/job.py:20)\",\"seconds\":0.5,"
                         "\"share\":0.274725,\"threads\":1,\"in\":{\"function\":"
                         "\"JSONEncoder.encode\",\"file\":\"/usr/lib/python3.11/json/encoder.py\","
                         "\"line\":200,\"frame\":\"JSONEncoder.encode (/usr/lib/python3.11/json/"
                         "encoder.py:200)\"}},{\"function\":\"work\",\"file\":\"/home/u/job.py\","
                         "\"line\":7,\"frame\":\"work (/home/u/job.py:7)\",\"seconds\":0.3,"), "computing:\n%s",
          CHECK_STR(s));
    CHECK(s && strstr(s, "\"threads\":3,\"in\":null},{\"function\":\"Thread.run\""),
          "work in 3 threads, then Thread.run (no own frame above it)");
    CHECK(s && strstr(s, "\"waiting\":[{\"function\":\"work\",\"file\":\"/home/u/job.py\",\"line\":7,"
                         "\"frame\":\"work (/home/u/job.py:7)\",\"seconds\":0.6,"
                         "\"share\":0.32967,\"threads\":3,\"reason\":\"gil\",\"in\":null},"
                         "{\"function\":\"main\",\"file\":\"/home/u/job.py\",\"line\":21,"),
          "waiting:\n%s", CHECK_STR(s));
    CHECK(s && strstr(s, "\"threads\":1,\"reason\":\"lock\",\"in\":{\"function\":\"Thread.join\""),
          "main waited for a lock in Thread.join");
    CHECK(s && strstr(s, "\"memory\":{\"bytes\":4100,\"holding\":[{\"function\":\"work\","
                         "\"file\":\"/home/u/job.py\",\"line\":7,\"frame\":\"work (/home/u/job.py:7)\","
                         "\"bytes\":3000,\"share\":0.731707,\"in\":null},{\"function\":\"main\","
                         "\"file\":\"/home/u/job.py\",\"line\":20,\"frame\":\"main (/home/u/job.py:20)\","
                         "\"bytes\":1000,"), "memory:\n%s", CHECK_STR(s));
    CHECK(s && strstr(s, "{\"function\":\"[no Python stack]\",\"file\":null,\"line\":null,"
                         "\"frame\":\"[no Python stack]\",\"bytes\":100,"), "memory outside Python");
    CHECK(s && !strstr(s, "\"node\"") && !strstr(s, "\"frame_id\""), "summary.json has no tree nodes");
    char *html = slurp(dir, "index.html");
    CHECK(html && strstr(html, "\"reason\":\"gil\",\"in\":null,\"node\":"), "the page's answers have nodes");
    CHECK(html && strstr(html, "\"frame\":\"work (/home/u/job.py:7)\",\"frame_id\":"), "and frame ids");
    CHECK(html && count_of(html, "\"tally\":[") == 4, "each thread carries its tally");
    CHECK(html && strstr(html, "\"tally\":[]") == NULL, "every thread here has samples");
    free(s);
    free(html);
    rawbuild_free(&b);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    test_library_files();
    test_answers();
    return check_failures("test_answers");
}
