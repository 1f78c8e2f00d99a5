/* test_report.c — report_build end to end, on raw directories this test
 * writes into a temporary directory: the folded lines, summary.json fields,
 * timeline.json, index.html's escaping and source lines, partial reports
 * (missing run.info, a cut file, a junk file), the "no profile data" error,
 * no temporary files left behind, and byte-identical rebuilds. */
#include "check.h"
#include "rawbuild.h"
#include "report.h"
#include "web_assets.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(m);
    fclose(f);
    return buf;
}

static void spit(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        CHECK(0, "cannot write %s", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static void save(const char *dir, const char *name, const rawbuild_t *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/raw/%s", dir, name);
    CHECK(rawbuild_save(b, path) == 0, "cannot write %s", path);
}

static void remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static char *make_dir(void)
{
    char tmpl[] = "/tmp/radiograph-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d)
        return NULL;
    char raw[4096];
    snprintf(raw, sizeof raw, "%s/raw", d);
    mkdir(raw, 0755);
    return strdup(d);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static int no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int ok = 1;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp-"))
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
            "\"peak_memory_bytes\":", "\"peak_memory_source\":\"rss\"",
            "\"processes\":2", "\"threads\":3", "\"samples\":10",
            "\"sample_interval_seconds\":0.01", "\"python_version\":\"3.11.7\"",
            "\"radiograph_version\":\"", "\"dropped_samples\":1",
            "\"start_time\":\"2025-11-25T13:23:20Z\"", "\"partial\":false",
            "pid 100: test note",
            "process 101 ended without an end record (killed?)",
        };
        for (size_t i = 0; i < sizeof want / sizeof *want; i++)
            CHECK(strstr(summary, want[i]), "summary.json lacks %s:\n%s", want[i], CHECK_STR(summary));
        /* 50 MiB (100) + 30 MiB (101) at about the same time */
        CHECK(strstr(summary, "\"peak_memory_bytes\":83886080"), "peak rss:\n%s", CHECK_STR(summary));
    }

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
        CHECK(strstr(html, "\"memory\":null"), "memory placeholder");
    }
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

static void test_no_data(void)
{
    char *dir = make_dir();
    if (!dir)
        return;
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc < 0, "an empty raw/ is an error: rc %d", rc);
    CHECK(strstr(err, "no profile data in") && strstr(err, "Python program"),
          "error message: %s", err);
    char *summary = slurp(dir, "summary.json");
    CHECK(summary == NULL, "no report files after an error");
    free(summary);
    remove_tree(dir);
    free(dir);

    rc = report_build("/nonexistent-radiograph-dir", err, sizeof err);
    CHECK(rc < 0 && strstr(err, "no profile data in"), "missing dir: rc %d: %s", rc, err);
}

int main(void)
{
    test_full_report();
    test_partial_report();
    test_no_data();
    return check_failures("test_report");
}
