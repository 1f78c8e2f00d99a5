/* test_speedscope.c — profile.speedscope.json from report_build, on raw
 * directories written here: every frame shared once with file and line, one
 * profile per thread with Python samples (none for a native thread), stacks
 * root first with their state frame, weights in each process's own interval,
 * the peak-memory profile in self bytes, activeProfileIndex, the profile
 * names, no memory profile without memory data, and the one empty profile
 * when there are no samples at all. The output is deterministic, so whole
 * profiles are compared as text. */
#include "check.h"
#include "rawbuild.h"
#include "testdir.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char runinfo[] =
    "radiograph_version=0.1.0\narg=python3\narg=job.py\n"
    "start_real_ns=1764077000000000000\nstart_mono_ns=1000000000\n"
    "end_mono_ns=1050000000\nexit_code=0\ncpu_ns=40000000\nsample_interval_us=10000\n";

/* A second process at 50 Hz, no memory: a main thread and an unnamed one. */
static void other_process(rawbuild_t *b)
{
    rawbuild_init(b, 300, 100, 1002000000ull, 1764077000002000000ull, 20000);
    static const char *const argv[] = { "python3", "other.py", NULL };
    rawbuild_cmdline(b, argv);
    rawbuild_thread(b, 300, RAW_THREAD_PYTHON | RAW_THREAD_MAIN, 1002000000ull, "MainThread");
    rawbuild_thread(b, 301, RAW_THREAD_PYTHON, 1003000000ull, "");
    rawbuild_string(b, 1, "<module>");
    rawbuild_string(b, 2, "/tmp/other.py");
    rawbuild_string(b, 3, "work");
    rawbuild_frame(b, 1, 1, 2, 1);
    rawbuild_frame(b, 2, 3, 2, 5);
    rawbuild_stack(b, 1, 0, 1);
    rawbuild_stack(b, 2, 1, 2);
    rawbuild_count(b, 2, 300, RAW_ST_RUNNING, 3);
    rawbuild_count(b, 1, 301, RAW_ST_LOCK, 4);
    rawbuild_count(b, 2, 301, RAW_ST_RUNNING, 1);
    rawbuild_stats(b, 1030000000ull, 8, 0, 9000000, 30u << 20, 30u << 20);
    rawbuild_end(b, 1040000000ull, 9000000);
}

static void test_threads_and_memory(void)
{
    char *dir = make_dir();
    if (!dir) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    spit(dir, "raw/run.info", runinfo);
    rawbuild_t a, o;
    rawbuild_sample(&a, 100);
    other_process(&o);
    save(dir, "100.rgd", &a);
    save(dir, "300.rgd", &o);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "report_build returned %d (%s)", rc, err);
    char *s = slurp(dir, "profile.speedscope.json");
    CHECK(s != NULL, "no profile.speedscope.json");
    if (s) {
        /* frames 0 .. RAW_ST_COUNT - 1 are the states, then frames as merging
         * met them: the sample's <module>, main, semi;colon, [no Python
         * stack], then the other process's <module> and work */
        const unsigned mod = RAW_ST_COUNT, main_ = mod + 1, semi = mod + 2, none = mod + 3,
                       omod = mod + 4, work = mod + 5;
        char thread100[400], thread300[400], thread301[400], memory[400];
        /* 6 + 1 samples running in main(), 2 waiting for the GIL, at 10 ms */
        snprintf(thread100, sizeof thread100,
                 "\"profiles\":[{\"type\":\"sampled\",\"unit\":\"seconds\",\"startValue\":0,"
                 "\"endValue\":0.08,\"name\":\"pid 100 python3 job.py --n 3 \xc2\xb7 MainThread\","
                 "\"samples\":[[%u,%u,%u],[%u,%u,%u,%u]],\"weights\":[0.06,0.02]},",
                 mod, main_, RAW_ST_RUNNING, mod, main_, semi, RAW_ST_GIL);
        /* the other process at 20 ms a sample */
        snprintf(thread300, sizeof thread300,
                 "{\"type\":\"sampled\",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":0.06,"
                 "\"name\":\"pid 300 python3 other.py \xc2\xb7 MainThread\","
                 "\"samples\":[[%u,%u,%u]],\"weights\":[0.06]},", omod, work, RAW_ST_RUNNING);
        snprintf(thread301, sizeof thread301,
                 "{\"type\":\"sampled\",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":0.1,"
                 "\"name\":\"pid 300 python3 other.py \xc2\xb7 thread 301\","
                 "\"samples\":[[%u,%u],[%u,%u,%u]],\"weights\":[0.08,0.02]},",
                 omod, RAW_ST_LOCK, omod, work, RAW_ST_RUNNING);
        /* memory.folded's three lines, in the tree's pre-order */
        snprintf(memory, sizeof memory,
                 "{\"type\":\"sampled\",\"unit\":\"bytes\",\"startValue\":0,\"endValue\":2900000,"
                 "\"name\":\"memory live at the peak \xc2\xb7 all processes\","
                 "\"samples\":[[%u,%u],[%u,%u,%u],[%u]],\"weights\":[300000,2000000,600000]}]}\n",
                 mod, main_, mod, main_, semi, none);
        const char *const want[] = {
            "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
            "\"exporter\":\"radiograph@",
            "\"name\":\"radiograph: python3 job.py\",\"activeProfileIndex\":0,",
            "\"shared\":{\"frames\":[{\"name\":\"[running]\"},{\"name\":\"[waiting]\"},"
            "{\"name\":\"[waiting: gil]\"},{\"name\":\"[waiting: lock]\"},",
            "\"},{\"name\":\"<module> (/tmp/job.py:1)\",\"file\":\"/tmp/job.py\",\"line\":1},"
            "{\"name\":\"main (/tmp/job.py:10)\",\"file\":\"/tmp/job.py\",\"line\":10},"
            "{\"name\":\"semi:colon newline (/tmp/job.py:20)\",\"file\":\"/tmp/job.py\","
            "\"line\":20},{\"name\":\"[no Python stack]\"},"
            "{\"name\":\"<module> (/tmp/other.py:1)\",\"file\":\"/tmp/other.py\",\"line\":1},"
            "{\"name\":\"work (/tmp/other.py:5)\",\"file\":\"/tmp/other.py\",\"line\":5}]},",
            thread100, thread300, thread301, memory,
        };
        for (size_t i = 0; i < sizeof want / sizeof *want; i++)
            CHECK(strstr(s, want[i]), "profile.speedscope.json lacks\n%s\nin\n%s", want[i], s);
        CHECK(count_of(s, "{\"name\":\"[") >= RAW_ST_COUNT + 1, "a frame per state:\n%s", s);
        CHECK(count_of(s, "\"type\":\"sampled\"") == 4, "4 profiles:\n%s", s);
        CHECK(!strstr(s, "native"), "a profile for the native thread:\n%s", s);
    }
    /* a rebuild gives the same bytes */
    rc = report_build(dir, err, sizeof err);
    char *s2 = slurp(dir, "profile.speedscope.json");
    CHECK(rc == 0 && s && s2 && strcmp(s, s2) == 0, "profile.speedscope.json differs");
    free(s);
    free(s2);
    rawbuild_free(&a);
    rawbuild_free(&o);
    remove_tree(dir);
    free(dir);
}

/* The other process alone: no memory profile, and activeProfileIndex still
 * names its main thread. Then a process whose only thread never ran Python:
 * one empty profile, so that speedscope has something to open. */
static void test_no_memory_and_no_samples(void)
{
    char *dir = make_dir();
    if (!dir) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    spit(dir, "raw/run.info", runinfo);
    rawbuild_t o;
    other_process(&o);
    save(dir, "300.rgd", &o);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "report_build returned %d (%s)", rc, err);
    char *s = slurp(dir, "profile.speedscope.json");
    CHECK(s && count_of(s, "\"type\":\"sampled\"") == 2, "2 profiles:\n%s", CHECK_STR(s));
    CHECK(s && !strstr(s, "\"bytes\""), "a memory profile without memory:\n%s", CHECK_STR(s));
    CHECK(s && strstr(s, "\"activeProfileIndex\":0,"), "active profile:\n%s", CHECK_STR(s));
    free(s);
    rawbuild_free(&o);
    remove_tree(dir);
    free(dir);

    dir = make_dir();
    if (!dir)
        return;
    spit(dir, "raw/run.info", runinfo);
    rawbuild_t n;
    rawbuild_init(&n, 400, 1, 1000000000ull, 1764077000000000000ull, 10000);
    rawbuild_thread(&n, 400, RAW_THREAD_MAIN, 1000000000ull, "MainThread");
    rawbuild_count(&n, 0, 400, RAW_ST_SLEEP, 5);
    rawbuild_end(&n, 1040000000ull, 1000000);
    save(dir, "400.rgd", &n);
    rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "report_build returned %d (%s)", rc, err);
    s = slurp(dir, "profile.speedscope.json");
    CHECK(s && strstr(s, "\"profiles\":[{\"type\":\"sampled\",\"unit\":\"seconds\","
                         "\"startValue\":0,\"endValue\":0,\"name\":\"no samples\","
                         "\"samples\":[],\"weights\":[]}]}"),
          "the empty profile:\n%s", CHECK_STR(s));
    free(s);
    rawbuild_free(&n);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    test_threads_and_memory();
    test_no_memory_and_no_samples();
    return check_failures("test_speedscope");
}
