/* test_rawread.c — the raw reader against valid, truncated, corrupt and
 * random input: it must never read out of bounds (run under ASan), must keep
 * every complete record before a cut, and must drop and count samples whose
 * ids were never defined. Memory records: both MEM_PEAK heads, the last
 * well-formed MEM_PEAK winning, and every malformed length and id. */
#include "check.h"
#include "rawbuild.h"
#include "rawread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    /* memory */
    CHECK(f.has_mem_info && f.mem_info.sample_bytes == 262144, "MEM_INFO");
    CHECK(f.nmem_points == 4, "series points %zu", f.nmem_points);
    if (f.nmem_points == 4) {
        CHECK(f.mem_points[0].t_ns == 1005000000ull && f.mem_points[0].tracked_bytes == 1000000 &&
              f.mem_points[0].rss_bytes == 40000000, "first series point");
        CHECK(f.mem_points[3].t_ns == 1015000000ull && f.mem_points[3].tracked_bytes == 3000000 &&
              f.mem_points[3].rss_bytes == 0, "the peak point, kept in file order");
    }
    CHECK(f.has_mem_peak && f.mem_peak.t_ns == 1015000000ull &&
          f.mem_peak.peak_bytes == 3000000 && !f.mem_peak.oom && !f.mem_peak.has_generation,
          "the last MEM_PEAK wins");
    CHECK(f.nmem_entries == 3, "peak entries %zu", f.nmem_entries);
    if (f.nmem_entries == 3 && f.nstacks == 3) {
        CHECK(f.mem_entries[0].stack == 2 && f.mem_entries[0].bytes == 2000000, "entry 0");
        CHECK(f.mem_entries[1].stack == RAWREAD_NONE && f.mem_entries[1].bytes == 600000,
              "stack 0: no Python frames");
        CHECK(f.mem_entries[2].stack == 1 && f.mem_entries[2].bytes == 300000, "entry 2");
    }
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
                  f.nthreads == g.nthreads && f.nstats == g.nstats && f.has_end == g.has_end &&
                  f.has_mem_info == g.has_mem_info && f.nmem_points == g.nmem_points &&
                  f.has_mem_peak == g.has_mem_peak && f.nmem_entries == g.nmem_entries &&
                  f.mem_peak.t_ns == g.mem_peak.t_ns,
                  "cut at %zu differs from the cut at %zu", cut, boundary);
            /* a cut inside the second MEM_PEAK leaves the first one */
            if (f.has_mem_peak && f.mem_peak.t_ns == 1010000000ull)
                CHECK(f.nmem_entries == 1 && f.mem_entries[0].bytes == 2400000,
                      "cut at %zu: the earlier MEM_PEAK", cut);
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
    rawbuild_count(&b, 1, 1, RAW_ST_COUNT, 6);   /* invalid state */
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

static int has_problem(const rawread_file_t *f, const char *what)
{
    for (size_t i = 0; i < f->nproblems; i++)
        if (strstr(f->problems[i], what))
            return 1;
    return 0;
}

/* A file with strings, one frame and stacks 1 (root) and 2 (its child). */
static void mem_base(rawbuild_t *b)
{
    rawbuild_init(b, 7, 1, 1000, 0, 10000);
    rawbuild_string(b, 1, "f");
    rawbuild_frame(b, 1, 1, 0, 3);
    rawbuild_stack(b, 1, 0, 1);
    rawbuild_stack(b, 2, 1, 1);
}

static void test_memory_records(void)
{
    rawbuild_t b;
    rawread_file_t f;
    const uint32_t st[] = { 1, 2, 0 };
    const uint64_t by[] = { 100, 200, 300 };

    /* the 48-byte head: generation and tree bytes */
    mem_base(&b);
    rawbuild_mem_peak_gen(&b, 5000, 600, 1, 4, 9000, st, by, 3);
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && !f.partial, "v2 peak: partial %d", f.partial);
    CHECK(f.has_mem_peak && f.mem_peak.has_generation && f.mem_peak.generation == 4 &&
          f.mem_peak.tree_peak_bytes == 9000 && f.mem_peak.oom && f.mem_peak.peak_bytes == 600,
          "v2 peak head");
    CHECK(f.nmem_entries == 3 && f.mem_entries[1].stack == 1, "v2 entries %zu", f.nmem_entries);
    CHECK(f.last_t_ns == 5000, "the peak's time is seen");
    rawread_free(&f);
    rawbuild_free(&b);

    /* an undefined stack in an entry: that entry goes, the rest stay */
    mem_base(&b);
    const uint32_t bad_st[] = { 1, 77, 2 };
    rawbuild_mem_peak(&b, 10, 600, 0, bad_st, by, 3);
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && f.partial, "undefined entry: partial");
    CHECK(f.has_mem_peak && f.nmem_entries == 2 && f.mem_entries[1].bytes == 300,
          "undefined entry dropped: %zu", f.nmem_entries);
    CHECK(has_problem(&f, "peak-memory entries dropped"), "undefined entry noted");
    rawread_free(&f);
    rawbuild_free(&b);

    /* malformed: none of these replaces the good MEM_PEAK before them */
    mem_base(&b);
    rawbuild_mem_info(&b, 4096);
    rawbuild_mem_peak(&b, 10, 600, 0, st, by, 3);
    rawbuild_mem_peak(&b, 20, 600, 0, st, by, 2);
    b.data[b.len - 32 - 16] = 3;        /* npeak 3, but two entries follow */
    rawbuild_mem_peak(&b, 30, 600, 0, st, by, 3);
    memset(b.data + b.len - 48 - 32 + 16, 0xff, 8);   /* npeak 2^64 - 1 */
    uint8_t junk[64] = { 0 };
    rawbuild_record(&b, RAW_MEM_PEAK, junk, 20);           /* shorter than a head */
    rawbuild_record(&b, RAW_MEM_PEAK, junk, 40);           /* npeak 0, 8 stray bytes */
    rawbuild_record(&b, RAW_MEM_SERIES, junk, 25);         /* not a multiple of 24 */
    rawbuild_record(&b, RAW_MEM_INFO, junk, 8);            /* too short */
    const uint64_t huge[] = { 40, 1ull << 60, 0, 50, 7, 0 };
    rawbuild_mem_series(&b, huge, 2);                      /* the absurd point goes */
    rawbuild_mem_peak(&b, 60, 1ull << 55, 0, st, by, 1);   /* absurd peak: malformed */
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && f.partial, "malformed memory: partial");
    CHECK(f.has_mem_peak && f.mem_peak.t_ns == 10 && f.nmem_entries == 3,
          "the last well-formed MEM_PEAK stays: t %llu, %zu entries",
          (unsigned long long)f.mem_peak.t_ns, f.nmem_entries);
    CHECK(f.has_mem_info && f.mem_info.sample_bytes == 4096, "short MEM_INFO ignored");
    CHECK(f.nmem_points == 1 && f.mem_points[0].tracked_bytes == 7, "absurd point dropped");
    CHECK(has_problem(&f, "7 malformed records"), "malformed records counted");
    CHECK(has_problem(&f, "absurd byte counts"), "absurd values noted");
    rawread_free(&f);
    rawbuild_free(&b);

    /* kinds: the allocator's rounding has no stack (even an undefined id is
     * fine); a kind this reader does not know is dropped and noted */
    mem_base(&b);
    const uint32_t st3[] = { 77, 1, 2 };
    rawbuild_mem_peak(&b, 10, 600, 0, st3, by, 3);
    b.data[b.len - 48 + 4] = RAW_MEM_ROUNDING;
    b.data[b.len - 16 + 4] = 9;
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && f.partial, "unknown kind: partial");
    CHECK(f.nmem_entries == 2 && f.mem_entries[0].kind == RAW_MEM_ROUNDING &&
          f.mem_entries[0].stack == RAWREAD_NONE && f.mem_entries[0].bytes == 100 &&
          f.mem_entries[1].kind == RAW_MEM_REQUESTED && f.mem_entries[1].bytes == 200,
          "rounding kept, unknown kind dropped: %zu", f.nmem_entries);
    CHECK(has_problem(&f, "unknown kinds"), "unknown kind noted");
    rawread_free(&f);
    rawbuild_free(&b);

    /* an entry with absurd bytes is dropped; zero bytes is skipped quietly */
    mem_base(&b);
    const uint64_t by2[] = { 1ull << 51, 0, 5 };
    rawbuild_mem_peak(&b, 10, 5, 0, st, by2, 3);
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && f.partial, "absurd entry: partial");
    CHECK(f.nmem_entries == 1 && f.mem_entries[0].stack == RAWREAD_NONE, "absurd entry");
    rawread_free(&f);
    rawbuild_free(&b);

    /* an empty snapshot supersedes a full one */
    mem_base(&b);
    rawbuild_mem_peak(&b, 10, 600, 0, st, by, 3);
    rawbuild_mem_peak(&b, 20, 0, 0, NULL, NULL, 0);
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && !f.partial, "empty peak");
    CHECK(f.has_mem_peak && f.mem_peak.t_ns == 20 && f.nmem_entries == 0, "empty peak wins");
    rawread_free(&f);
    rawbuild_free(&b);
}

/* The records added for true peaks and known ends: MEM_TREE points,
 * reserved entries (kind 2), the OOM bits, CHILD_END and SIGNAL_SENT; their
 * malformed forms are dropped and counted, nothing else is lost. */
static void test_tree_and_end_records(void)
{
    rawbuild_t b;
    rawread_file_t f;
    mem_base(&b);
    const uint64_t tree[] = { 10, 500, 500, 20, 400, 900, 30, 1ull << 60, 900 };
    rawbuild_mem_tree(&b, tree, 3);                        /* the absurd point goes */
    const uint32_t st[] = { 1, 2 }, kinds[] = { RAW_MEM_REQUESTED, RAW_MEM_RESERVED };
    const uint64_t by[] = { 100, 1u << 26 };
    rawbuild_mem_peak_kinds(&b, 40, 100, 3, 2, 900, st, kinds, by, 2);
    rawbuild_child_end(&b, 50, 123, 15);
    rawbuild_signal_sent(&b, 45, 123, 15, 2);
    rawbuild_signal_sent(&b, 46, 124, 9, 77);              /* undefined stack: kept, no stack */
    uint8_t junk[32] = { 0 };
    rawbuild_record(&b, RAW_MEM_TREE, junk, 23);           /* not a multiple of 24 */
    rawbuild_record(&b, RAW_CHILD_END, junk, 23);          /* too short */
    rawbuild_record(&b, RAW_CHILD_END, junk, 24);          /* pid 0 */
    rawbuild_record(&b, RAW_SIGNAL_SENT, junk, 24);        /* pid 0 */
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && f.partial, "tree and ends: partial");
    CHECK(f.ntree_points == 2 && f.tree_points[1].t_ns == 20 && f.tree_points[1].total_bytes == 400 &&
          f.tree_points[1].max_bytes == 900, "tree points: %zu", f.ntree_points);
    CHECK(f.nmem_entries == 2 && f.mem_entries[1].kind == RAW_MEM_RESERVED &&
          f.mem_entries[1].bytes == 1u << 26, "reserved entry kept");
    CHECK(f.mem_peak.oom && f.mem_peak.oom_before, "oom bits 1 and 2");
    CHECK(f.nchild_ends == 1 && f.child_ends[0].pid == 123 && f.child_ends[0].status == 15 &&
          f.child_ends[0].t_ns == 50, "child end");
    CHECK(f.nsignals == 2 && f.signals[0].pid == 123 && f.signals[0].signal == 15 &&
          f.signals[0].stack == 1 && f.signals[1].stack == RAWREAD_NONE, "signals");
    CHECK(has_problem(&f, "4 malformed records"), "malformed records counted");
    rawread_free(&f);
    rawbuild_free(&b);

    /* bit 1 alone: a later snapshot of a process that ran out of memory */
    mem_base(&b);
    rawbuild_mem_peak_gen(&b, 40, 100, 2, 2, 900, st, by, 1);
    CHECK(rawread_parse(b.data, b.len, &f) == 0 && !f.mem_peak.oom && f.mem_peak.oom_before,
          "oom before");
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

/* rawread_read streams a file through its window: the same result as
 * parsing it whole, records straddling the window's edges included; a cap
 * on what the result holds ends the file with a note; a hole (zeros where a
 * record should start) ends the data. */
static void test_streaming(void)
{
    char path[] = "/tmp/rg-test-rawread-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return;
    close(fd);
    rawbuild_t b;
    rawbuild_sample(&b, 100);
    static const char why[] = "runs Python 3.9.18, which radiograph does not read";
    rawbuild_record(&b, RAW_NOT_PROFILED, why, (uint32_t)strlen(why));
    static char note[300001];
    for (int i = 0; i < 40; i++) {            /* 12 MB of notes: 3+ windows */
        memset(note, 'a' + i % 26, sizeof note - 1);
        note[sizeof note - 1 - (size_t)i] = '\0';
        rawbuild_note(&b, note);
        rawbuild_count(&b, 3, 100, RAW_ST_RUNNING, (uint32_t)i + 1);
    }
    CHECK(rawbuild_save(&b, path) == 0, "save %s", path);
    rawread_file_t whole, streamed;
    CHECK(rawread_parse(b.data, b.len, &whole) == 0, "parse");
    CHECK(rawread_read(path, &streamed) == 0, "read");
    CHECK(!streamed.partial && streamed.nproblems == 0, "streamed: partial %d", streamed.partial);
    CHECK(streamed.nnotes == whole.nnotes && streamed.nnotes == 41, "notes %zu %zu",
          streamed.nnotes, whole.nnotes);
    CHECK(streamed.ncounts == whole.ncounts && streamed.nstrings == whole.nstrings &&
          streamed.has_end == whole.has_end && streamed.has_mem_peak == whole.has_mem_peak,
          "same records");
    for (size_t i = 0; i < streamed.nnotes && i < whole.nnotes; i++)
        CHECK(streamed.notes[i].len == whole.notes[i].len &&
              memcmp(streamed.notes[i].ptr, whole.notes[i].ptr, whole.notes[i].len) == 0,
              "note %zu differs", i);
    for (size_t i = 0; i < streamed.ncounts && i < whole.ncounts; i++)
        CHECK(streamed.counts[i].count == whole.counts[i].count, "count %zu", i);
    /* every slice points into memory the result owns, not into the window */
    CHECK(streamed.not_profiled && streamed.not_profiled_why.len == strlen(why) &&
          memcmp(streamed.not_profiled_why.ptr, why, strlen(why)) == 0, "NOT_PROFILED's text");
    CHECK(streamed.nthreads && streamed.threads[0].name.len == whole.threads[0].name.len &&
          memcmp(streamed.threads[0].name.ptr, whole.threads[0].name.ptr,
                 whole.threads[0].name.len) == 0, "a thread's name");
    rawread_free(&streamed);

    CHECK(rawread_read_within(path, 4u << 20, &streamed) == 0, "capped read");
    CHECK(streamed.partial && streamed.nproblems &&
          strstr(streamed.problems[0], "holds more than 4 MiB"), "cap: %s",
          streamed.nproblems ? streamed.problems[0] : "no problem");
    CHECK(streamed.nnotes > 1 && streamed.nnotes < 20, "capped: %zu notes", streamed.nnotes);
    rawread_free(&streamed);
    rawread_free(&whole);

    /* a hole after the data */
    CHECK(truncate(path, (off_t)b.len + (64 << 20)) == 0, "truncate");
    CHECK(rawread_read(path, &streamed) == 0, "read with a hole");
    CHECK(streamed.partial && streamed.nnotes == 41 && streamed.nproblems &&
          strstr(streamed.problems[0], "zeros from byte"), "hole: %s",
          streamed.nproblems ? streamed.problems[0] : "no problem");
    rawread_free(&streamed);
    CHECK(rawread_read("/dev/null", &streamed) == -EINVAL, "a device is not a raw file");
    rawread_free(&streamed);
    unlink(path);
    rawbuild_free(&b);
}

int main(void)
{
    test_valid();
    test_truncation();
    test_bad_headers();
    test_absurd_length();
    test_undefined_ids();
    test_lengths_and_types();
    test_memory_records();
    test_tree_and_end_records();
    test_depth_limit();
    test_random();
    test_streaming();
    return check_failures("test_rawread");
}
