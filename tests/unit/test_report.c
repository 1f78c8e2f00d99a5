/* test_report.c — report_build end to end, on raw directories this test
 * writes into a temporary directory: the folded lines, summary.json fields,
 * timeline.json, index.html's escaping and source lines, partial reports
 * (missing run.info, a cut file, a junk file), the "no profile data" error,
 * no temporary files left behind, and byte-identical rebuilds. Memory: the
 * peak-memory tree merged across processes (memory.folded), the summed
 * series and peak, OOM, process-tree generations, and the RSS fallback. */
#include "check.h"
#include "model.h"
#include "rawbuild.h"
#include "testdir.h"
#include "report.h"
#include "web_assets.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int ok = 1;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp"))
            ok = 0;
    if (d)
        closedir(d);
    return ok;
}

/* A child process: its own ids, a frame named like markup, a source file. */
static void child_file(rawbuild_t *b, const char *src_path)
{
    rawbuild_init(b, 101, 100, 1005000000ull, 1764077000005000000ull, 10000);
    static const char *const argv[] = { "python3", "-c", "child", NULL };
    rawbuild_cmdline(b, argv);
    rawbuild_thread(b, 101, RAW_THREAD_PYTHON | RAW_THREAD_MAIN, 1005000000ull, "MainThread");
    rawbuild_string(b, 1, "</script><b>x</b>");
    rawbuild_string(b, 2, src_path);
    rawbuild_string(b, 3, "<module>");
    rawbuild_frame(b, 1, 3, 2, 1);
    rawbuild_frame(b, 2, 1, 2, 2);
    rawbuild_stack(b, 1, 0, 1);
    rawbuild_stack(b, 2, 1, 2);
    rawbuild_count(b, 2, 101, RAW_ST_RUNNING, 3);
    rawbuild_point(b, 1006000000ull, 101, 2, RAW_ST_RUNNING);
    rawbuild_point(b, 1016000000ull, 101, 2, RAW_ST_LOCK);
    rawbuild_stats(b, 1035000000ull, 3, 0, 9000000, 30u << 20, 30u << 20);
    /* no END: killed */
}

static void test_full_report(void)
{
    char *dir = make_dir();
    if (!dir) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    char src[4200];
    snprintf(src, sizeof src, "%s/child.py", dir);
    spit(dir, "child.py", "import os\n    x = [i for i in range(10)]  # <&>\t  \n");
    spit(dir, "raw/run.info",
         "radiograph_version=0.1.0\narg=python3\narg=job.py\narg=<b>&\n"
         "start_real_ns=1764077000000000000\nstart_mono_ns=1000000000\n"
         "end_mono_ns=1050000000\nexit_code=0\ncpu_ns=40000000\nsample_interval_us=10000\n");
    rawbuild_t a, c;
    rawbuild_sample(&a, 100);
    child_file(&c, src);
    save(dir, "100.rgd", &a);
    save(dir, "101.rgd", &c);

    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "report_build returned %d (%s)", rc, err);

    char *folded = slurp(dir, "performance.folded");
    const char *want_folded =
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);[running] 6\n"
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);"
        "semi:colon newline (/tmp/job.py:20);[waiting: gil] 2\n";
    char want_child[9000];
    snprintf(want_child, sizeof want_child,
             "<module> (%s:1);</script><b>x</b> (%s:2);[running] 3\n", src, src);
    CHECK(folded && strstr(folded, want_folded), "folded lines of process 100:\n%s", CHECK_STR(folded));
    CHECK(folded && strstr(folded, want_child), "folded line of process 101:\n%s", CHECK_STR(folded));
    CHECK(folded && count_of(folded, "\n") == 3, "3 folded lines:\n%s", CHECK_STR(folded));

    char *summary = slurp(dir, "summary.json");
    CHECK(summary != NULL, "no summary.json");
    if (summary) {
        static const char *const want[] = {
            "\"command\":[\"python3\",\"job.py\",\"<b>&\"]",
            "\"exit_code\":0", "\"signal\":null",
            "\"elapsed_seconds\":0.05", "\"cpu_seconds\":0.04",
            "\"peak_memory_bytes\":3000000,", "\"peak_memory_source\":\"tracked\"",
            "\"peak_memory_seconds\":0.015,", "\"memory_sample_bytes\":262144,",
            "\"oom\":false,",
            "\"processes\":2", "\"threads\":3", "\"samples\":10",
            "\"sample_interval_seconds\":0.01", "\"python_version\":\"3.11.7\"",
            "\"radiograph_version\":\"", "\"dropped_samples\":1",
            "\"start_time\":\"2025-11-25T13:23:20Z\"", "\"partial\":false",
            "pid 100: test note",
            "process 101: how it ended is not known",
            "\"process_ends\":[{\"pid\":100,\"ppid\":1,\"ended\":\"exited 0\",\"exit_code\":0,"
            "\"signal\":null},{\"pid\":101,\"ppid\":100,\"ended\":\"no end record (killed?)\"",
        };
        for (size_t i = 0; i < sizeof want / sizeof *want; i++)
            CHECK(strstr(summary, want[i]), "summary.json lacks %s:\n%s", want[i], CHECK_STR(summary));
    }
    char *memfold = slurp(dir, "memory.folded");
    CHECK(memfold && strcmp(memfold,
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10) 300000\n"
        "<module> (/tmp/job.py:1);main (/tmp/job.py:10);semi:colon newline (/tmp/job.py:20) 2000000\n"
        "[no Python stack] 600000\n") == 0, "memory.folded:\n%s", CHECK_STR(memfold));
    free(memfold);

    char *trace = slurp(dir, "timeline.json");
    CHECK(trace && strncmp(trace, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", 39) == 0,
          "timeline.json head");
    CHECK(trace && strstr(trace, "\"args\":{\"name\":\"pid 100: python3 job.py --n 3\"}"),
          "process_name metadata");
    CHECK(trace && strstr(trace, "\"name\":\"thread_name\",\"pid\":100,\"tid\":101,"
                                 "\"args\":{\"name\":\"native\"}"), "thread_name metadata");
    CHECK(trace && strstr(trace, "{\"ph\":\"X\",\"cat\":\"state\",\"name\":\"[waiting: gil]\""
                                 ",\"ts\":10000,\"dur\":10000,\"pid\":100,\"tid\":100}"),
          "state event of the GIL wait:\n%s", CHECK_STR(trace));
    CHECK(trace && strstr(trace, "{\"ph\":\"X\",\"name\":\"main (/tmp/job.py:10)\","
                                 "\"ts\":0,\"dur\":20000,\"pid\":100,\"tid\":100}"),
          "main() spans both points:\n%s", CHECK_STR(trace));

    char *html = slurp(dir, "index.html");
    CHECK(html != NULL, "no index.html");
    if (html) {
        CHECK(count_of(html, "</script") == count_of(web_report_html, "</script"),
              "a name ended the script element");
        CHECK(strstr(html, "\\u003c/script\\u003e\\u003cb\\u003ex\\u003c/b\\u003e"),
              "frame name not escaped in the data");
        CHECK(strstr(html, "radiograph: python3 job.py &lt;b&gt;&amp;"), "title not escaped");
        CHECK(!strstr(html, "{{DATA}}") && !strstr(html, "{{TITLE}}"), "placeholders left");
        CHECK(strstr(html, "\"x = [i for i in range(10)]  # \\u003c\\u0026\\u003e\""),
              "source line missing or not stripped");
        CHECK(strstr(html, "\"ended\":\"exited 0\"") &&
              strstr(html, "\"ended\":\"no end record (killed?)\""), "process endings");
        CHECK(strstr(html, "\"name\":[\"[running]\",\"[waiting]\",\"[waiting: gil]\""),
              "state frames first");
        /* process 100's series, sorted; 101 has none. Times from run.info's start. */
        CHECK(strstr(html, "\"series\":{\"t_ms\":[5,10,15,25],"
                           "\"tracked\":[1000000,2500000,3000000,1500000],"
                           "\"rss\":[40000000,40000000,40000000,45000000]}"),
              "memory series in the page data");
        CHECK(strstr(html, "\"peak\":{\"t_ms\":15,\"bytes\":3000000},"
                           "\"sample_bytes\":262144,\"oom\":false}"), "memory peak");
        CHECK(strstr(html, "\"[no Python stack]\""), "the no-stack frame");
    }
    CHECK(trace && strstr(trace, "{\"ph\":\"C\",\"name\":\"memory\",\"pid\":100,\"tid\":100,\"ts\":15000,"
                                 "\"args\":{\"tracked_bytes\":3000000,\"rss_bytes\":40000000}}"),
          "memory counter events:\n%s", CHECK_STR(trace));
    CHECK(no_temp_files(dir), "temporary files left in %s", dir);

    /* a rebuild gives the same bytes */
    rc = report_build(dir, err, sizeof err);
    char *folded2 = slurp(dir, "performance.folded");
    char *trace2 = slurp(dir, "timeline.json");
    char *html2 = slurp(dir, "index.html");
    CHECK(rc == 0 && folded && folded2 && strcmp(folded, folded2) == 0, "folded differs");
    CHECK(trace && trace2 && strcmp(trace, trace2) == 0, "timeline.json differs");
    CHECK(html && html2 && strcmp(html, html2) == 0, "index.html differs");
    free(folded); free(folded2); free(summary); free(trace); free(trace2);
    free(html); free(html2);
    rawbuild_free(&a);
    rawbuild_free(&c);
    remove_tree(dir);
    free(dir);
}

static void test_partial_report(void)
{
    char *dir = make_dir();
    if (!dir)
        return;
    rawbuild_t a;
    rawbuild_sample(&a, 100);
    a.len -= 5;                         /* cut inside the END record */
    save(dir, "100.rgd", &a);
    spit(dir, "raw/200.rgd", "this is not raw data\n");
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 1, "a damaged run gives a partial report: rc %d (%s)", rc, err);
    char *summary = slurp(dir, "summary.json");
    CHECK(summary && strstr(summary, "\"partial\":true"), "partial flag:\n%s", CHECK_STR(summary));
    CHECK(summary && strstr(summary, "\"command\":[\"python3\",\"job.py\",\"--n\",\"3\"]"),
          "command from the CMDLINE record:\n%s", CHECK_STR(summary));
    CHECK(summary && strstr(summary, "run.info is missing"), "missing run.info noted");
    CHECK(summary && strstr(summary, "raw/200.rgd skipped: not a radiograph raw file"),
          "junk file noted:\n%s", CHECK_STR(summary));
    CHECK(summary && strstr(summary, "cut short"), "truncation noted");
    CHECK(summary && strstr(summary, "\"exit_code\":null"), "unknown exit code is null");
    /* elapsed from the last timestamp seen: the STATS at +30 ms */
    CHECK(summary && strstr(summary, "\"elapsed_seconds\":0.03,"), "elapsed:\n%s", CHECK_STR(summary));
    char *folded = slurp(dir, "performance.folded");
    /* the last COUNTS (+1 running) is before the cut: kept */
    CHECK(folded && strstr(folded, ";[running] 6\n"), "records before the cut kept:\n%s",
          folded);
    free(summary);
    free(folded);
    rawbuild_free(&a);
    remove_tree(dir);
    free(dir);
}

/* One process of the memory tests: frames <module> (a.py:1), f (a.py:5)
 * and g (a.py:9) as stacks 1 -> 2 -> 3; SERIES holds N points. */
static void mem_process(rawbuild_t *b, uint32_t pid, uint32_t ppid, uint64_t start,
                        const uint64_t *series, size_t n)
{
    rawbuild_init(b, pid, ppid, start, 1764077000000000000ull + (start - 1000000000ull), 10000);
    rawbuild_thread(b, pid, RAW_THREAD_PYTHON | RAW_THREAD_MAIN, start, "MainThread");
    rawbuild_string(b, 1, "<module>");
    rawbuild_string(b, 2, "a.py");
    rawbuild_string(b, 3, "f");
    rawbuild_string(b, 4, "g");
    rawbuild_frame(b, 1, 1, 2, 1);
    rawbuild_frame(b, 2, 3, 2, 5);
    rawbuild_frame(b, 3, 4, 2, 9);
    rawbuild_stack(b, 1, 0, 1);
    rawbuild_stack(b, 2, 1, 2);
    rawbuild_stack(b, 3, 2, 3);
    rawbuild_count(b, 2, pid, RAW_ST_RUNNING, 1);
    rawbuild_mem_info(b, 65536);
    if (n)
        rawbuild_mem_series(b, series, n);
}

static const char mem_runinfo[] =
    "arg=python3\narg=a.py\nstart_mono_ns=1000000000\nend_mono_ns=1100000000\nexit_code=0\n";

/* Two processes: series summed as step functions (one ended at 50 ms), the
 * same path merged, the peaks summed, one OOM. */
static void test_memory_merge(void)
{
    char *dir = make_dir();
    if (!dir)
        return;
    spit(dir, "raw/run.info", mem_runinfo);
    const uint64_t t = 1000000000ull, ms = 1000000ull;
    rawbuild_t a, b;
    const uint64_t sa[] = { t + 10 * ms, 100, 0, t + 30 * ms, 300, 1000 };
    mem_process(&a, 200, 1, t + 1 * ms, sa, 2);
    const uint32_t a_st[] = { 2, 0 };
    const uint64_t a_by[] = { 250, 50 };
    rawbuild_mem_peak(&a, t + 30 * ms, 300, 0, a_st, a_by, 2);
    rawbuild_end(&a, t + 50 * ms, 1000);
    const uint64_t sb[] = { t + 20 * ms, 1000, 0, t + 40 * ms, 2000, 5000, t + 60 * ms, 500, 0 };
    mem_process(&b, 201, 200, t + 5 * ms, sb, 3);
    const uint32_t b_st[] = { 2, 3 };
    const uint64_t b_by[] = { 1500, 400 };
    rawbuild_mem_peak(&b, t + 40 * ms, 2000, 1, b_st, b_by, 2);
    save(dir, "200.rgd", &a);
    save(dir, "201.rgd", &b);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "memory merge: rc %d (%s)", rc, err);
    char *memfold = slurp(dir, "memory.folded");
    CHECK(memfold && strcmp(memfold,
        "<module> (a.py:1);f (a.py:5) 1750\n"
        "<module> (a.py:1);f (a.py:5);g (a.py:9) 400\n"
        "[no Python stack] 50\n") == 0, "merged memory.folded:\n%s", CHECK_STR(memfold));
    char *summary = slurp(dir, "summary.json");
    CHECK(summary && strstr(summary, "\"peak_memory_bytes\":2300,\"peak_memory_source\":"
                                     "\"tracked\",\"peak_memory_seconds\":0.04,"
                                     "\"memory_sample_bytes\":65536,\"oom\":true,"),
          "summed peak and oom:\n%s", CHECK_STR(summary));
    CHECK(summary && strstr(summary, "process 201 ran out of memory: the memory profile shows "
                                     "what was live when an allocation failed or memory was "
                                     "nearly exhausted"),
          "oom note:\n%s", CHECK_STR(summary));
    char *html = slurp(dir, "index.html");
    /* at 50 ms process 200 ends: from then on it holds nothing */
    CHECK(html && strstr(html, "\"series\":{\"t_ms\":[10,20,30,40,60],"
                               "\"tracked\":[100,1100,1300,2300,500],"
                               "\"rss\":[null,null,1000,6000,5000]}"),
          "summed series:\n%.200s", html ? strstr(html, "\"series\"") : "(null)");
    CHECK(html && strstr(html, "\"peak\":{\"t_ms\":40,\"bytes\":2300},\"sample_bytes\":65536,"
                               "\"oom\":true}"), "page peak and oom");
    char *trace = slurp(dir, "timeline.json");
    CHECK(trace && strstr(trace, "{\"ph\":\"C\",\"name\":\"memory\",\"pid\":200,\"tid\":200,\"ts\":10000,"
                                 "\"args\":{\"tracked_bytes\":100}}"),
          "counter before the first RSS reading");
    CHECK(trace && strstr(trace, "{\"ph\":\"C\",\"name\":\"memory\",\"pid\":201,\"tid\":201,\"ts\":60000,"
                                 "\"args\":{\"tracked_bytes\":500,\"rss_bytes\":5000}}"),
          "counter carries the latest RSS reading");
    free(memfold); free(summary); free(html); free(trace);
    rawbuild_free(&a);
    rawbuild_free(&b);
    remove_tree(dir);
    free(dir);
}

/* MEM_PEAKs with the 48-byte head: only the snapshots of the run's last
 * generation count, and the peak is the tree's own figure. Then a re-render
 * without memory data removes memory.folded and falls back to RSS. */
static void test_memory_generations(void)
{
    char *dir = make_dir();
    if (!dir)
        return;
    spit(dir, "raw/run.info", mem_runinfo);
    const uint64_t t = 1000000000ull, ms = 1000000ull;
    rawbuild_t a, b, c;
    const uint32_t st[] = { 3, 0 };
    const uint64_t by[] = { 700, 20 };
    const uint64_t sa[] = { t + 10 * ms, 500, 0, t + 30 * ms, 700, 0 };
    mem_process(&a, 300, 1, t, sa, 2);
    rawbuild_mem_peak_gen(&a, t + 20 * ms, 720, 0, 3, 5000, st, by, 2);
    const uint64_t sb[] = { t + 25 * ms, 4100, 9000 };
    mem_process(&b, 301, 300, t + 2 * ms, sb, 1);
    const uint32_t st_b[] = { 2 };
    const uint64_t by_b[] = { 4000 };
    rawbuild_mem_peak_gen(&b, t + 20 * ms, 4100, 0, 3, 5000, st_b, by_b, 1);
    mem_process(&c, 302, 300, t + 3 * ms, NULL, 0);     /* exited before peak 3 */
    const uint32_t st_c[] = { 1 };
    const uint64_t by_c[] = { 3000 };
    rawbuild_mem_peak_gen(&c, t + 10 * ms, 3000, 0, 2, 4000, st_c, by_c, 1);
    rawbuild_end(&c, t + 12 * ms, 1000);
    save(dir, "300.rgd", &a);
    save(dir, "301.rgd", &b);
    save(dir, "302.rgd", &c);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "generations: rc %d (%s)", rc, err);
    char *memfold = slurp(dir, "memory.folded");
    CHECK(memfold && strcmp(memfold,
        "<module> (a.py:1);f (a.py:5) 4000\n"
        "<module> (a.py:1);f (a.py:5);g (a.py:9) 700\n"
        "[no Python stack] 20\n") == 0, "last generation only:\n%s", CHECK_STR(memfold));
    char *summary = slurp(dir, "summary.json");
    CHECK(summary && strstr(summary, "\"peak_memory_bytes\":5000,\"peak_memory_source\":"
                                     "\"tracked\",\"peak_memory_seconds\":0.02,"),
          "the tree's peak:\n%s", CHECK_STR(summary));
    char *html = slurp(dir, "index.html");
    /* each snapshot is a point of its process's series (301 had none before
     * 25 ms), and the tree's own total at its peak is a point of the sum;
     * 301, with no end record and no wait status, counts until its last
     * record (25 ms) */
    CHECK(html && strstr(html, "\"series\":{\"t_ms\":[10,20,25,30],"
                               "\"tracked\":[3500,5000,4820,700],\"rss\":[null,null,9000,null]}"),
          "the tree's peak in the series:\n%.200s", html ? strstr(html, "\"series\"") : "(null)");
    free(memfold); free(summary); free(html);

    /* process 301 runs out of memory later: its snapshot, at the last
     * committed generation, holds far more than that generation's peak */
    rawbuild_free(&b);
    mem_process(&b, 301, 300, t + 2 * ms, sb, 1);
    rawbuild_mem_peak_gen(&b, t + 60 * ms, 90000, 1, 3, 5000, st_b, by_b, 1);
    save(dir, "301.rgd", &b);
    rc = report_build(dir, err, sizeof err);
    summary = slurp(dir, "summary.json");
    CHECK(summary && strstr(summary, "\"peak_memory_bytes\":90720,\"peak_memory_source\":"
                                     "\"tracked\",\"peak_memory_seconds\":0.06,"
                                     "\"memory_sample_bytes\":65536,\"oom\":true,"),
          "OOM snapshot above the committed peak:\n%s", CHECK_STR(summary));
    free(summary);

    /* the same run without memory records: no memory.folded, RSS figure */
    rawbuild_t d;
    rawbuild_init(&d, 300, 1, t, 1764077000000000000ull, 10000);
    rawbuild_count(&d, 0, 300, RAW_ST_RUNNING, 1);
    rawbuild_stats(&d, t + 10 * ms, 1, 0, 1000, 7u << 20, 8u << 20);
    save(dir, "300.rgd", &d);
    char path[4200];
    snprintf(path, sizeof path, "%s/raw/301.rgd", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/raw/302.rgd", dir);
    unlink(path);
    rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "no memory: rc %d (%s)", rc, err);
    memfold = slurp(dir, "memory.folded");
    CHECK(memfold == NULL, "a stale memory.folded was left behind");
    summary = slurp(dir, "summary.json");
    CHECK(summary && strstr(summary, "\"peak_memory_bytes\":8388608,\"peak_memory_source\":"
                                     "\"rss\",\"peak_memory_seconds\":null,"
                                     "\"memory_sample_bytes\":null,\"oom\":false,"),
          "RSS fallback:\n%s", CHECK_STR(summary));
    html = slurp(dir, "index.html");
    CHECK(html && strstr(html, "\"memory\":null"), "no memory: null in the page data");
    free(memfold); free(summary); free(html);
    rawbuild_free(&a);
    rawbuild_free(&b);
    rawbuild_free(&c);
    rawbuild_free(&d);
    remove_tree(dir);
    free(dir);
}

/* Files with the tree's own totals (MEM_TREE), reserved regions, and how
 * processes ended: the chart is the tree's total, the peak its maximum
 * (never below the chart's top), memory.folded adds up to the peak (bytes
 * no snapshot holds under [callstacks not recorded]), the reserved stacks
 * are listed apart, and each process is named by its wait status, from its
 * parent (CHILD_END, with the signal's sender) or from run.info. */
static void test_tree_totals_and_ends(void)
{
    char *dir = make_dir();
    if (!dir)
        return;
    spit(dir, "raw/run.info",
         "arg=python3\narg=a.py\nstart_mono_ns=1000000000\nend_mono_ns=1100000000\nexit_code=0\n"
         "reaped=503 139 1090000000\n"          /* SIGSEGV (11) | core dumped (0x80) */
         "reaped=bad line\n");
    const uint64_t t = 1000000000ull, ms = 1000000ull, U = 4096;   /* bytes: U units */
    rawbuild_t a, b, c, d;
    /* 500, the root: its series, and the tree's totals at the same moments */
    const uint64_t sa[] = { t + 10 * ms, 1000 * U, 0, t + 30 * ms, 3000 * U, 0, t + 60 * ms, 900 * U, 0 };
    mem_process(&a, 500, 1, t, sa, 3);
    const uint64_t ta[] = { t + 10 * ms, 1000 * U, 1000 * U, t + 30 * ms, 7000 * U, 7200 * U,
                            t + 60 * ms, 900 * U, 7200 * U };
    rawbuild_mem_tree(&a, ta, 3);
    const uint32_t st_a[] = { 2, 3 }, kind_a[] = { RAW_MEM_REQUESTED, RAW_MEM_RESERVED };
    const uint64_t by_a[] = { 3000 * U, 1u << 26 };
    rawbuild_mem_peak_kinds(&a, t + 30 * ms, 3000 * U, 0, 2, 7000 * U, st_a, kind_a, by_a, 2);
    rawbuild_string(&a, 5, "Pool._terminate_pool");
    rawbuild_frame(&a, 4, 5, 2, 20);
    rawbuild_stack(&a, 4, 1, 4);
    rawbuild_signal_sent(&a, t + 40 * ms, 501, 15, 4);
    rawbuild_child_end(&a, t + 41 * ms, 501, 15);           /* terminated by SIGTERM */
    rawbuild_child_end(&a, t + 45 * ms, 502, 3 << 8);       /* exit 3 */
    rawbuild_child_end(&a, t + 46 * ms, 777, 0);            /* not profiled: ignored */
    rawbuild_end(&a, t + 90 * ms, 1000);
    /* 501: a pool worker holding 4000 at the peak, killed after */
    mem_process(&b, 501, 500, t + 2 * ms, NULL, 0);
    const uint64_t tb[] = { t + 20 * ms, 5000 * U, 5000 * U };
    rawbuild_mem_tree(&b, tb, 1);
    const uint32_t st_b[] = { 2 };
    const uint64_t by_b[] = { 3800 * U };
    rawbuild_mem_peak_gen(&b, t + 30 * ms, 4000 * U, 0, 2, 7000 * U, st_b, by_b, 1);
    /* 502: exited 3 before the peak; 503: its child, orphaned, then crashed */
    mem_process(&c, 502, 500, t + 3 * ms, NULL, 0);
    rawbuild_end(&c, t + 44 * ms, 100);
    mem_process(&d, 503, 502, t + 4 * ms, NULL, 0);
    save(dir, "500.rgd", &a);
    save(dir, "501.rgd", &b);
    save(dir, "502.rgd", &c);
    save(dir, "503.rgd", &d);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "tree totals: rc %d (%s)", rc, err);
    char *summary = slurp(dir, "summary.json");
    /* the tree's highest total, 7200 U, not the 7000 U committed */
    CHECK(summary && strstr(summary, "\"peak_memory_bytes\":29491200,\"peak_memory_source\":\"tracked\","
                                     "\"peak_memory_seconds\":0.03,"),
          "the tree's maximum:\n%s", CHECK_STR(summary));
    CHECK(summary && strstr(summary, "\"reserved_bytes\":67108864,\"reserved\":[{\"bytes\":67108864,"
                                     "\"stack\":[\"<module> (a.py:1)\",\"f (a.py:5)\",\"g (a.py:9)\"]}]"),
          "reserved:\n%s", CHECK_STR(summary));
    static const char *const ends[] = {
        "{\"pid\":500,\"ppid\":1,\"ended\":\"exited 0\",\"exit_code\":0,\"signal\":null}",
        "{\"pid\":501,\"ppid\":500,\"ended\":\"terminated by SIGTERM (its parent ended the pool)\","
        "\"exit_code\":null,\"signal\":15}",
        "{\"pid\":502,\"ppid\":500,\"ended\":\"exited 3\",\"exit_code\":3,\"signal\":null}",
        "{\"pid\":503,\"ppid\":502,\"ended\":\"killed by SIGSEGV (core dumped)\",\"exit_code\":null,"
        "\"signal\":11}",
    };
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
        CHECK(summary && strstr(summary, ends[i]), "lacks %s:\n%s", ends[i], CHECK_STR(summary));
    CHECK(summary && !strstr(summary, "not known"), "no unknown ends:\n%s", CHECK_STR(summary));
    CHECK(summary && strstr(summary, "malformed lines"), "the bad reaped line is noted");
    char *memfold = slurp(dir, "memory.folded");
    /* 3000 + 3800 U from the snapshots, 400 U of the 7200 in none of them */
    CHECK(memfold && strcmp(memfold,
        "<module> (a.py:1);f (a.py:5) 27852800\n"
        "[callstacks not recorded] 1638400\n") == 0, "folded:\n%s", CHECK_STR(memfold));
    char *html = slurp(dir, "index.html");
    /* the tree's own totals, with the peak as a point; 501 stops counting
     * (its RSS, had it any) when its parent reaped it */
    CHECK(html && strstr(html, "\"series\":{\"t_ms\":[10,20,30,60],"
                               "\"tracked\":[4096000,20480000,29491200,3686400],"),
          "tree series:\n%.200s", html ? strstr(html, "\"series\"") : "(null)");
    free(summary); free(memfold); free(html);
    rawbuild_free(&a);
    rawbuild_free(&b);
    rawbuild_free(&c);
    rawbuild_free(&d);
    remove_tree(dir);
    free(dir);
}

/* Long series are thinned to MODEL_MEM_SERIES_MAX points, the highest
 * point of every stretch kept, so the peak always shows. */
static void test_memory_downsample(void)
{
    uint64_t v[10] = { 5, 1, 9, 2, 2, 8, 0, 0, 7, 3 };
    size_t keep[10];
    size_t n = model_mem_downsample(v, sizeof *v, 10, 3, keep);
    CHECK(n == 3 && keep[0] == 2 && keep[1] == 5 && keep[2] == 8, "downsample: %zu [%zu %zu %zu]",
          n, keep[0], keep[1], keep[2]);
    n = model_mem_downsample(v, sizeof *v, 4, 10, keep);
    CHECK(n == 4 && keep[3] == 3, "fewer points than the cap: all kept");

    char *dir = make_dir();
    if (!dir)
        return;
    spit(dir, "raw/run.info", mem_runinfo);
    const size_t np = 50000, spike = 33333;
    uint64_t *pts = malloc(np * 3 * sizeof *pts);
    for (size_t i = 0; i < np; i++) {
        pts[3 * i] = 1000000000ull + i * 1000;
        pts[3 * i + 1] = i == spike ? 987654321 : 1000 + i % 7;
        pts[3 * i + 2] = 0;
    }
    rawbuild_t a;
    mem_process(&a, 400, 1, 1000000000ull, NULL, 0);
    for (size_t i = 0; i < np; i += 4096)    /* as the agent writes: 4096 a record */
        rawbuild_mem_series(&a, pts + 3 * i, np - i < 4096 ? np - i : 4096);
    save(dir, "400.rgd", &a);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "downsample: rc %d (%s)", rc, err);
    char *html = slurp(dir, "index.html");
    const char *tr = html ? strstr(html, "\"tracked\":[") : NULL;
    size_t count = 0;
    int has_spike = 0;
    if (tr) {
        const char *end = strchr(tr, ']');
        count = 1;
        for (const char *q = tr; q < end; q++)
            count += *q == ',';
        has_spike = strstr(tr, "987654321") && strstr(tr, "987654321") < end;
    }
    CHECK(count == MODEL_MEM_SERIES_MAX, "downsampled series: %zu points", count);
    CHECK(has_spike, "the peak point survived the thinning");
    char *summary = slurp(dir, "summary.json");
    CHECK(summary && strstr(summary, "\"peak_memory_bytes\":987654321,"),
          "no MEM_PEAK: the series' top is the peak:\n%s", CHECK_STR(summary));
    free(html);
    free(summary);
    free(pts);
    rawbuild_free(&a);
    remove_tree(dir);
    free(dir);
}

static void test_no_data(void)
{
    char *dir = make_dir();
    if (!dir)
        return;
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc < 0, "an empty raw/ is an error: rc %d", rc);
    CHECK(strstr(err, "radiograph: no profile data in") && strstr(err, "Python program"),
          "error message: %s", err);
    char *summary = slurp(dir, "summary.json");
    CHECK(summary == NULL, "no report files after an error");
    free(summary);
    remove_tree(dir);
    free(dir);

    rc = report_build("/nonexistent-radiograph-dir", err, sizeof err);
    CHECK(rc < 0 && strstr(err, "radiograph: /nonexistent-radiograph-dir has no raw/ directory"),
          "missing dir: rc %d: %s", rc, err);
}

int main(void)
{
    test_full_report();
    test_partial_report();
    test_memory_merge();
    test_memory_generations();
    test_tree_totals_and_ends();
    test_memory_downsample();
    test_no_data();
    return check_failures("test_report");
}
