/* fuzz_rawread.c — the fuzz target of the raw reader: one input goes
 * through everything untrusted bytes reach — rawread_parse, the merge into a
 * model (twice, as two processes: the memory trees, series and peaks merge
 * too), model_finish, and every writer (to /dev/null), memory.folded and the
 * memory counters included — and, read as text, through the run.info parser.
 *
 * Built as a libFuzzer target when the compiler is clang; fuzz_driver.c
 * calls the same function with deterministic mutations under `meson test`.
 * To fuzz for real (libFuzzer adds what it finds to the first directory, so
 * give it a copy of the corpus):
 *
 *     CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/unit/fuzz_rawread
 *     cp -r tests/fuzz/corpus /tmp/rg-corpus
 *     build-fuzz/tests/unit/fuzz_rawread /tmp/rg-corpus -max_total_time=600
 */
#include "fold.h"
#include "json.h"
#include "model.h"
#include "pagedata.h"
#include "rawread.h"
#include "runinfo.h"
#include "srcline.h"
#include "summary.h"
#include "trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_write_all(const model_t *m)
{
    FILE *null = fopen("/dev/null", "w");
    if (!null)
        return;
    fold_write(null, m, &m->perf);
    if (m->has_memory)
        fold_write(null, m, &m->mem);
    summary_write(null, m);
    uint32_t depth;
    if (trace_depth_limit(m, 20000, &depth, NULL) == 0)
        trace_write(null, m, depth);
    json_t w;
    srcline_cache_t src;
    srcline_init(&src);
    json_init(&w, null, JSON_HTML_SAFE);
    pagedata_write(&w, m, &src);
    json_finish(&w);
    json_free(&w);
    srcline_free(&src);
    fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runinfo_t ri;
    runinfo_parse((const char *)data, size, &ri);

    rawread_file_t f;
    if (rawread_parse(data, size, &f) == 0) {
        model_t m;
        if (model_init(&m) == 0 && model_add_file(&m, &f, "a.rgd") == 0 &&
            model_add_file(&m, &f, "b.rgd") == 0 && model_finish(&m, &ri) == 0)
            fuzz_write_all(&m);
        model_free(&m);
    }
    rawread_free(&f);
    runinfo_free(&ri);
    return 0;
}
