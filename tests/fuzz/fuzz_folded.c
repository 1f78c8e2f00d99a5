/* fuzz_folded.c — the fuzz target of what `compare` reads: one input is
 * parsed as a folded-stack file (folded_parse, with its invariants
 * checked), as JSON (jsonread_parse, as summary.json is read), and — split
 * at its first NUL byte into a base and a new file, or used as both — goes
 * through the whole comparison (compare_build: matching, the combined tree,
 * comparison.json and the page) into a scratch directory.
 *
 * Same driver as the raw reader (fuzz_driver.c); the libFuzzer target is
 * built with clang:
 *
 *     CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/unit/fuzz_folded
 *     cp -r tests/fuzz/corpus-folded /tmp/rg-fcorpus
 *     build-fuzz/tests/unit/fuzz_folded /tmp/rg-fcorpus -max_total_time=600
 */
#include "compare.h"
#include "folded.h"
#include "jsonread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[64];

static void fuzz_check_folded(const folded_t *f)
{
    double total = 0;
    for (size_t i = 0; i < f->nstacks; i++) {
        const folded_stack_t *s = &f->stacks[i];
        if (s->depth == 0 || s->depth > FOLDED_DEPTH_MAX || s->first + s->depth > f->nframes ||
            !(s->count >= 0))
            abort();
        for (uint32_t d = 0; d < s->depth; d++)
            if (f->frames[s->first + d] >= f->labels.n)
                abort();
        total += s->count;
    }
    if (total != f->total || f->bad_lines > f->lines)
        abort();
}

static void fuzz_cleanup(void)
{
    static const char *const names[] = {
        "base.folded", "new.folded", "base.memory.folded", "new.memory.folded",
        "comparison.json", "index.html",
    };
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_dir, names[i]);
        unlink(path);
    }
    rmdir(fuzz_dir);
}

static int fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    fwrite(data, 1, size, fp);
    return fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    folded_t f;
    if (folded_parse((const char *)data, size, &f) == 0)
        fuzz_check_folded(&f);
    folded_free(&f);

    jsonread_doc_t doc;
    if (jsonread_parse((const char *)data, size, &doc) == 0 && !doc.root)
        abort();
    jsonread_get(doc.root, "elapsed_seconds");
    jsonread_free(&doc);

    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/rg-fuzz-folded-%d", (int)getpid());
        mkdir(fuzz_dir, 0700);
        atexit(fuzz_cleanup);
    }
    /* both files named as time profiles, or both as memory profiles */
    const char *bn = size & 2 ? "base.memory.folded" : "base.folded";
    const char *nn = size & 2 ? "new.memory.folded" : "new.folded";
    const uint8_t *nul = memchr(data, 0, size);
    size_t a = nul ? (size_t)(nul - data) : size;
    if (fuzz_write(bn, data, a) != 0 ||
        fuzz_write(nn, nul ? nul + 1 : data, nul ? size - a - 1 : size) != 0)
        return 0;
    char base[128], new_[128], err[512];
    snprintf(base, sizeof base, "%s/%s", fuzz_dir, bn);
    snprintf(new_, sizeof new_, "%s/%s", fuzz_dir, nn);
    compare_opts_t opts = { .by_line = (int)(size & 1), .quiet = 1,
                            .gate_slower = (int)(size >> 1 & 1), .fail_slower = 10,
                            .gate_bigger = (int)(size >> 2 & 1), .fail_bigger = 0 };
    compare_build(base, new_, fuzz_dir, &opts, err, sizeof err);
    return 0;
}
