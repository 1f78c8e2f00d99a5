/* test_runinfo.c — raw/run.info: known keys, escapes in arguments, and
 * tolerance of junk lines, CRLF, bad numbers and a missing file. */
#include "check.h"
#include "runinfo.h"

#include <errno.h>
#include <string.h>

int main(void)
{
    const char text[] =
        "radiograph_version=0.1.0\n"
        "arg=python3\n"
        "arg=job.py\n"
        "arg=two\\nlines \\\\ back\\x\n"
        "arg=\n"
        "start_real_ns=1764077000000000000\r\n"
        "start_mono_ns=123456789\n"
        "end_mono_ns=133456789\n"
        "exit_code=3\n"
        "cpu_ns=12x\n"
        "signal=\n"
        "unknown_key=whatever\n"
        "no equals sign here\n"
        "sample_interval_us=10000";
    runinfo_t ri;
    int rc = runinfo_parse(text, sizeof text - 1, &ri);
    CHECK(rc == 0 && ri.present, "parse: rc %d", rc);
    CHECK(ri.argc == 4, "argc %zu", ri.argc);
    if (ri.argc == 4) {
        CHECK(strcmp(ri.argv[0], "python3") == 0, "argv[0] %s", ri.argv[0]);
        CHECK(strcmp(ri.argv[2], "two\nlines \\ back\\x") == 0, "escapes: [%s]", ri.argv[2]);
        CHECK(ri.argv[3][0] == '\0', "empty argument kept");
    }
    CHECK(ri.radiograph_version && strcmp(ri.radiograph_version, "0.1.0") == 0, "version");
    CHECK(ri.has_start_real && ri.start_real_ns == 1764077000000000000ull, "start_real (CRLF)");
    CHECK(ri.has_start_mono && ri.start_mono_ns == 123456789, "start_mono");
    CHECK(ri.has_end_mono && ri.end_mono_ns == 133456789, "end_mono");
    CHECK(ri.has_exit_code && ri.exit_code == 3, "exit_code");
    CHECK(!ri.has_cpu && !ri.has_signal, "bad numbers ignored");
    CHECK(ri.has_interval && ri.sample_interval_us == 10000, "last line without newline");
    CHECK(ri.bad_lines == 3, "bad lines %zu", ri.bad_lines);
    runinfo_free(&ri);

    /* reaped: three numbers; anything else is a bad line */
    const char reaped[] = "reaped=123 15 999\nreaped=7 2816 5\nreaped=1 2\nreaped=0 0 0\n"
                          "reaped=5 x 3\nreaped=9 99999999999 1\n";
    rc = runinfo_parse(reaped, sizeof reaped - 1, &ri);
    CHECK(rc == 0 && ri.nreaped == 2, "reaped: %zu", ri.nreaped);
    if (ri.nreaped == 2)
        CHECK(ri.reaped[0].pid == 123 && ri.reaped[0].status == 15 && ri.reaped[0].t_ns == 999 &&
              ri.reaped[1].pid == 7 && ri.reaped[1].status == 2816, "reaped values");
    CHECK(ri.bad_lines == 4, "bad reaped lines %zu", ri.bad_lines);
    runinfo_free(&ri);

    rc = runinfo_load("/nonexistent/raw/run.info", &ri);
    CHECK(rc == -ENOENT && !ri.present, "missing file: rc %d", rc);
    runinfo_free(&ri);
    return check_failures("test_runinfo");
}
