/* test_rawread.c — the raw reader against valid, truncated, corrupt and
 * random input: it must never read out of bounds (run under ASan), must keep
 * every complete record before a cut, and must drop and count samples whose
 * ids were never defined. */
#include "check.h"
#include "rawbuild.h"
#include "rawread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_valid(void)
{
    rawbuild_t b;
    rawbuild_sample(&b, 100);
    rawread_file_t f;
    int rc = rawread_parse(b.data, b.len, &f);
    CHECK(rc == 0, "parse returned %d", rc);
    CHECK(!f.partial, "a valid file is not partial");
    CHECK(f.header.pid == 100 && f.header.ppid == 1, "pid %u ppid %u", f.header.pid,
          f.header.ppid);
    CHECK(f.header.py_version == 0x030B07F0, "py_version");
    CHECK(f.nstrings == 4 && f.nframes == 3 && f.nstacks == 3, "definitions %zu %zu %zu",
          f.nstrings, f.nframes, f.nstacks);
    CHECK(f.nthreads == 2 && f.ncounts == 4 && f.npoints == 3, "threads %zu counts %zu points %zu",
          f.nthreads, f.ncounts, f.npoints);
    CHECK(f.nstats == 1 && f.nnotes == 1 && f.has_end && f.has_cmdline, "stats/notes/end/cmdline");
    if (f.nstacks == 3) {
        CHECK(f.stacks[0].parent == RAWREAD_NONE && f.stacks[0].depth == 1, "root stack");
        CHECK(f.stacks[2].parent == 1 && f.stacks[2].depth == 3, "stack 3's parent and depth");
        CHECK(f.stacks[2].frame == 2, "stack 3's frame index");
    }
    if (f.nframes == 3 && f.nstrings == 4) {
        const rawread_slice_t *s = &f.strings[f.frames[2].name];
        CHECK(s->len == 18 && memcmp(s->ptr, "semi;colon\nnewline", 18) == 0, "frame name");
        CHECK(f.frames[2].line == 20, "frame line");
    }
    if (f.ncounts == 4) {
        CHECK(f.counts[2].stack == RAWREAD_NONE && f.counts[2].state == RAW_ST_POLL &&
              f.counts[2].count == 7, "stack 0 count");
    }
    if (f.nstats == 1)
        CHECK(f.stats[0].rss_bytes == 50u << 20 && f.stats[0].agent_cpu_ns == 1000000, "stats");
    CHECK(f.end.t_ns == 1040000000ull && f.end.cpu_ns == 30000000, "end record");
    CHECK(f.last_t_ns == 1040000000ull, "last timestamp %llu", (unsigned long long)f.last_t_ns);
    CHECK(f.dropped == 0 && f.nproblems == 0, "no problems");
    rawread_free(&f);
    rawbuild_free(&b);
}

/* Cutting the file at every byte keeps exactly the complete records. */
static void test_truncation(void)
{
    rawbuild_t b;
    rawbuild_sample(&b, 100);
    /* the record boundaries */
    size_t bounds[256], nb = 0;
    for (size_t at = RAW_HEADER_SIZE; at <= b.len && nb < 256;) {
        bounds[nb++] = at;
        if (at == b.len)
            break;
        uint32_t len = (uint32_t)b.data[at + 4] | (uint32_t)b.data[at + 5] << 8 |
                       (uint32_t)b.data[at + 6] << 16 | (uint32_t)b.data[at + 7] << 24;
        at += 8 + len;
    }
    for (size_t cut = 0; cut <= b.len; cut++) {
        /* a fresh copy of exactly CUT bytes, so ASan sees any overread */
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, b.data, cut);
        rawread_file_t f;
        int rc = rawread_parse(copy, cut, &f);
        if (cut < RAW_HEADER_SIZE) {
            CHECK(rc == -EINVAL, "cut at %zu: rc %d", cut, rc);
        } else {
            size_t complete = 0, boundary = 0;
            for (size_t i = 0; i < nb; i++)
                if (bounds[i] <= cut) {
                    complete = i;
                    boundary = bounds[i];
                }
            CHECK(rc == 0, "cut at %zu: rc %d", cut, rc);
            CHECK(f.records == complete, "cut at %zu: %zu records, want %zu", cut,
                  f.records, complete);
            CHECK(f.partial == (cut != boundary), "cut at %zu: partial %d", cut, f.partial);
            /* the same as parsing up to the last boundary */
            rawread_file_t g;
            rawread_parse(b.data, boundary, &g);
            CHECK(f.ncounts == g.ncounts && f.npoints == g.npoints && f.nstacks == g.nstacks &&
                  f.nthreads == g.nthreads && f.nstats == g.nstats && f.has_end == g.has_end,
                  "cut at %zu differs from the cut at %zu", cut, boundary);
            rawread_free(&g);
        }
        rawread_free(&f);
        free(copy);
    }
    rawbuild_free(&b);
}

static void test_bad_headers(void)
{
    rawbuild_t b;
    rawbuild_sample(&b, 100);
    rawread_file_t f;
    b.data[0] = 'X';
    CHECK(rawread_parse(b.data, b.len, &f) == -EINVAL, "wrong magic accepted");
    CHECK(f.nproblems == 1 && strstr(f.problems[0], "magic"), "wrong magic: a reason");
    rawread_free(&f);
    b.data[0] = 'R';
    b.data[8] = 2;      /* format version 2 */
    CHECK(rawread_parse(b.data, b.len, &f) == -EINVAL, "version 2 accepted");
    rawread_free(&f);
    b.data[8] = 1;
    b.data[12] = 0xff;  /* header size 255... */
    b.data[13] = 0xff;  /* ...65535 */
    CHECK(rawread_parse(b.data, b.len, &f) == -EINVAL, "absurd header size accepted");
    rawread_free(&f);
    b.data[12] = 8;
    b.data[13] = 0;     /* header size 8: smaller than the header */
    CHECK(rawread_parse(b.data, b.len, &f) == -EINVAL, "short header size accepted");
    rawread_free(&f);
    const char junk[] = "#!/bin/sh\necho this is not a raw file\n";
    CHECK(rawread_parse((const uint8_t *)junk, sizeof junk - 1, &f) == -EINVAL, "junk accepted");
    rawread_free(&f);
    CHECK(rawread_parse((const uint8_t *)"", 0, &f) == -EINVAL, "empty input accepted");
    rawread_free(&f);
    rawbuild_free(&b);
}

static void test_absurd_length(void)
{
    rawbuild_t b;
    rawbuild_init(&b, 1, 0, 0, 0, 10000);
    rawbuild_string(&b, 1, "ok");
    uint8_t head[8] = { RAW_COUNTS, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
    rawbuild_record(&b, RAW_NOTE, "x", 1);
    size_t at = b.len - 9;           /* the NOTE's head */
    memcpy(b.data + at, head, 8);    /* now a COUNTS claiming 4 GiB */
    rawread_file_t f;
    int rc = rawread_parse(b.data, b.len, &f);
    CHECK(rc == 0 && f.partial && f.records == 1 && f.nstrings == 1,
          "absurd length: rc %d partial %d records %zu", rc, f.partial, f.records);
    CHECK(f.nproblems >= 1 && strstr(f.problems[0], "corrupt"), "absurd length: a reason");
    rawread_free(&f);
    /* just over the limit, with the bytes present */
    rawbuild_t big;
    rawbuild_init(&big, 1, 0, 0, 0, 10000);
    uint8_t *payload = calloc(RAW_RECORD_MAX + 1, 1);
    rawbuild_record(&big, RAW_NOTE, payload, RAW_RECORD_MAX + 1);
    rc = rawread_parse(big.data, big.len, &f);
    CHECK(rc == 0 && f.partial && f.nnotes == 0, "record over RAW_RECORD_MAX accepted");
    rawread_free(&f);
    free(payload);
    rawbuild_free(&big);
    rawbuild_free(&b);
}

static void test_undefined_ids(void)
{
    rawbuild_t b;
    rawbuild_init(&b, 1, 0, 0, 0, 10000);
    rawbuild_string(&b, 1, "f");
    rawbuild_frame(&b, 1, 1, 0, 1);
    rawbuild_frame(&b, 2, 42, 0, 1);    /* name string 42 undefined: frame undefined */
    rawbuild_frame(&b, 3, 1, 43, 1);    /* file string 43 undefined */
    rawbuild_stack(&b, 1, 0, 1);
    rawbuild_stack(&b, 2, 1, 2);        /* frame 2 undefined: stack undefined */
    rawbuild_stack(&b, 3, 77, 1);       /* parent undefined */
    rawbuild_stack(&b, 4, 2, 1);        /* parent undefined (it was rejected) */
    rawbuild_count(&b, 1, 1, RAW_ST_RUNNING, 10);
    rawbuild_count(&b, 2, 1, RAW_ST_RUNNING, 3);
    rawbuild_count(&b, 99, 1, RAW_ST_RUNNING, 4);
    rawbuild_count(&b, 4, 1, RAW_ST_RUNNING, 5);
    rawbuild_count(&b, 1, 1, 9, 6);     /* invalid state */
    rawbuild_point(&b, 5, 1, 99, RAW_ST_RUNNING);
    rawbuild_point(&b, 6, 1, 1, RAW_ST_RUNNING);
    rawbuild_string(&b, 1, "again");    /* duplicate id: the first stays */
    rawread_file_t f;
    int rc = rawread_parse(b.data, b.len, &f);
    CHECK(rc == 0 && f.partial, "undefined ids: rc %d partial %d", rc, f.partial);
    CHECK(f.nframes == 1 && f.nstacks == 1, "only defined frames/stacks kept: %zu %zu",
          f.nframes, f.nstacks);
    CHECK(f.ncounts == 1 && f.counts[0].count == 10, "only the defined count kept");
    CHECK(f.dropped == 3 + 4 + 5 + 6, "dropped %llu", (unsigned long long)f.dropped);
    CHECK(f.npoints == 1, "undefined point dropped");
    CHECK(f.nstrings == 1 && f.strings[0].len == 1, "first definition of a string kept");
    rawread_free(&f);
    rawbuild_free(&b);
}

static void test_lengths_and_types(void)
{
    rawbuild_t b;
    rawbuild_init(&b, 1, 0, 0, 0, 10000);
    uint8_t junk[24] = { 0 };
    rawbuild_record(&b, 25, junk, sizeof junk);     /* memory record: skipped */
    rawbuild_record(&b, 99, junk, 3);               /* unknown: skipped, noted */
    rawbuild_record(&b, RAW_COUNTS, junk, 17);      /* not a multiple of 16 */
    rawbuild_record(&b, RAW_TIMELINE, junk, 23);    /* not a multiple of 24 */
    rawbuild_record(&b, RAW_FRAME, junk, 15);       /* too short */
    rawbuild_record(&b, RAW_STATS, junk, 24);       /* too short */
    uint8_t old_stats[48] = { 0 };
    old_stats[32] = 1;                              /* rss 1 */
    rawbuild_record(&b, RAW_STATS, old_stats, 48);  /* before agent_cpu_ns: fine */
    rawbuild_record(&b, RAW_STRING, junk, 0);       /* too short */
    rawbuild_count(&b, 0, 7, RAW_ST_RUNNING, 2);
    rawread_file_t f;
    int rc = rawread_parse(b.data, b.len, &f);
    CHECK(rc == 0, "rc %d", rc);
    CHECK(f.ncounts == 1 && f.nstats == 1 && f.stats[0].rss_bytes == 1, "valid records kept");
    CHECK(f.records == 9, "all records walked: %zu", f.records);
    CHECK(f.partial, "malformed records make the file partial");
    int unknown_noted = 0;
    for (size_t i = 0; i < f.nproblems; i++)
        unknown_noted |= strstr(f.problems[i], "unknown type") != NULL;
    CHECK(unknown_noted, "unknown record type noted");
    rawread_free(&f);
    rawbuild_free(&b);
}

static void test_depth_limit(void)
{
    rawbuild_t b;
    rawbuild_init(&b, 1, 0, 0, 0, 10000);
    rawbuild_string(&b, 1, "r");
    rawbuild_frame(&b, 1, 1, 0, 1);
    for (uint32_t i = 1; i <= RAWREAD_DEPTH_MAX + 10; i++)
        rawbuild_stack(&b, i, i - 1, 1);
    rawbuild_count(&b, RAWREAD_DEPTH_MAX, 1, RAW_ST_RUNNING, 1);
    rawbuild_count(&b, RAWREAD_DEPTH_MAX + 1, 1, RAW_ST_RUNNING, 1);
    rawread_file_t f;
    int rc = rawread_parse(b.data, b.len, &f);
    CHECK(rc == 0 && f.nstacks == RAWREAD_DEPTH_MAX, "depth limit: %zu stacks", f.nstacks);
    CHECK(f.ncounts == 1 && f.dropped == 1, "sample below the limit kept, above dropped");
    rawread_free(&f);
    rawbuild_free(&b);
}

/* Random bytes, with and without a valid header in front. */
static void test_random(void)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(x % 700);
        uint8_t *buf = malloc(len + RAW_HEADER_SIZE);
        rawbuild_t h;
        rawbuild_init(&h, 1, 0, 0, 0, 10000);
        size_t off = round & 1 ? RAW_HEADER_SIZE : 0;
        memcpy(buf, h.data, off);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* small values make plausible types and lengths */
            buf[off + i] = (uint8_t)(x % 5 == 0 ? x % 12 : x >> 24);
        }
        rawread_file_t f;
        int rc = rawread_parse(buf, off + len, &f);
        CHECK(rc == 0 || rc == -EINVAL, "random input: rc %d", rc);
        if (!off)
            CHECK(rc == -EINVAL, "random bytes taken for a header");
        rawread_free(&f);
        rawbuild_free(&h);
        free(buf);
        x += 0x632be59bd9b4e019ull;
    }
}

int main(void)
{
    test_valid();
    test_truncation();
    test_bad_headers();
    test_absurd_length();
    test_undefined_ids();
    test_lengths_and_types();
    test_depth_limit();
    test_random();
    return check_failures("test_rawread");
}
