/* rawbuild.c — raw records laid out byte by byte, little-endian, as
 * rawfmt.h specifies. */
#include "rawbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rawbuild_put(rawbuild_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + n)
            nc *= 2;
        b->data = realloc(b->data, nc);
        if (!b->data)
            abort();
        b->cap = nc;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void rawbuild_init(rawbuild_t *b, uint32_t pid, uint32_t ppid, uint64_t start_mono_ns,
                   uint64_t start_real_ns, uint32_t interval_us)
{
    memset(b, 0, sizeof *b);
    uint8_t h[RAW_HEADER_SIZE] = { 0 };
    memcpy(h, RAW_MAGIC, 8);
    le32(h + 8, RAW_FORMAT_VERSION);
    le32(h + 12, RAW_HEADER_SIZE);
    le32(h + 16, pid);
    le32(h + 20, ppid);
    le64(h + 24, start_mono_ns);
    le64(h + 32, start_real_ns);
    le32(h + 40, 0x030B07F0);   /* 3.11.7 final */
    le32(h + 44, interval_us);
    rawbuild_put(b, h, sizeof h);
}

void rawbuild_free(rawbuild_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void rawbuild_record(rawbuild_t *b, uint16_t type, const void *p, uint32_t len)
{
    uint8_t head[8] = { (uint8_t)type, (uint8_t)(type >> 8), 0, 0 };
    le32(head + 4, len);
    rawbuild_put(b, head, 8);
    if (len)
        rawbuild_put(b, p, len);
}

void rawbuild_string(rawbuild_t *b, uint32_t id, const char *s)
{
    size_t n = strlen(s);
    uint8_t *p = malloc(n + 4);
    if (!p)
        abort();
    le32(p, id);
    memcpy(p + 4, s, n);
    rawbuild_record(b, RAW_STRING, p, (uint32_t)(n + 4));
    free(p);
}

void rawbuild_frame(rawbuild_t *b, uint32_t id, uint32_t name, uint32_t file, uint32_t line)
{
    uint8_t p[16];
    le32(p, id);
    le32(p + 4, name);
    le32(p + 8, file);
    le32(p + 12, line);
    rawbuild_record(b, RAW_FRAME, p, sizeof p);
}

void rawbuild_stack(rawbuild_t *b, uint32_t id, uint32_t parent, uint32_t frame)
{
    uint8_t p[12];
    le32(p, id);
    le32(p + 4, parent);
    le32(p + 8, frame);
    rawbuild_record(b, RAW_STACK, p, sizeof p);
}

void rawbuild_thread(rawbuild_t *b, uint32_t tid, uint32_t flags, uint64_t first_seen,
                     const char *name)
{
    size_t n = strlen(name);
    uint8_t *p = malloc(16 + n);
    if (!p)
        abort();
    le32(p, tid);
    le32(p + 4, flags);
    le64(p + 8, first_seen);
    memcpy(p + 16, name, n);
    rawbuild_record(b, RAW_THREAD, p, (uint32_t)(16 + n));
    free(p);
}

void rawbuild_count(rawbuild_t *b, uint32_t stack, uint32_t tid, uint8_t state, uint32_t count)
{
    uint8_t p[16] = { 0 };
    le32(p, stack);
    le32(p + 4, tid);
    p[8] = state;
    le32(p + 12, count);
    rawbuild_record(b, RAW_COUNTS, p, sizeof p);
}

void rawbuild_point(rawbuild_t *b, uint64_t t, uint32_t tid, uint32_t stack, uint8_t state)
{
    uint8_t p[24] = { 0 };
    le64(p, t);
    le32(p + 8, tid);
    le32(p + 12, stack);
    p[16] = state;
    rawbuild_record(b, RAW_TIMELINE, p, sizeof p);
}

void rawbuild_stats(rawbuild_t *b, uint64_t t, uint64_t samples, uint64_t dropped,
                    uint64_t cpu, uint64_t rss, uint64_t rss_peak)
{
    uint8_t p[56] = { 0 };
    le64(p, t);
    le64(p + 8, samples);
    le64(p + 16, dropped);
    le64(p + 24, cpu);
    le64(p + 32, rss);
    le64(p + 40, rss_peak);
    le64(p + 48, 1000000);      /* agent_cpu_ns */
    rawbuild_record(b, RAW_STATS, p, sizeof p);
}

void rawbuild_note(rawbuild_t *b, const char *msg)
{
    rawbuild_record(b, RAW_NOTE, msg, (uint32_t)strlen(msg));
}

void rawbuild_end(rawbuild_t *b, uint64_t t, uint64_t cpu)
{
    uint8_t p[16];
    le64(p, t);
    le64(p + 8, cpu);
    rawbuild_record(b, RAW_END, p, sizeof p);
}

void rawbuild_mem_info(rawbuild_t *b, uint64_t sample_bytes)
{
    uint8_t p[16] = { 0 };
    le64(p, sample_bytes);
    rawbuild_record(b, RAW_MEM_INFO, p, sizeof p);
}

/* N points of three u64 each (t, and two byte counts) as one TYPE record. */
static void rawbuild_triples(rawbuild_t *b, uint16_t type, const uint64_t *pts, size_t n)
{
    uint8_t *p = malloc(n * 24 + 1);
    if (!p)
        abort();
    for (size_t i = 0; i < n; i++) {
        le64(p + 24 * i, pts[3 * i]);
        le64(p + 24 * i + 8, pts[3 * i + 1]);
        le64(p + 24 * i + 16, pts[3 * i + 2]);
    }
    rawbuild_record(b, type, p, (uint32_t)(n * 24));
    free(p);
}

void rawbuild_mem_series(rawbuild_t *b, const uint64_t *pts, size_t n)
{
    rawbuild_triples(b, RAW_MEM_SERIES, pts, n);
}

void rawbuild_mem_tree(rawbuild_t *b, const uint64_t *pts, size_t n)
{
    rawbuild_triples(b, RAW_MEM_TREE, pts, n);
}

void rawbuild_child_end(rawbuild_t *b, uint64_t t, uint32_t pid, int32_t status)
{
    uint8_t p[24] = { 0 };
    le64(p, t);
    le32(p + 8, pid);
    le32(p + 12, (uint32_t)status);
    rawbuild_record(b, RAW_CHILD_END, p, sizeof p);
}

void rawbuild_signal_sent(rawbuild_t *b, uint64_t t, uint32_t pid, uint32_t sig, uint32_t stack)
{
    uint8_t p[24] = { 0 };
    le64(p, t);
    le32(p + 8, pid);
    le32(p + 12, sig);
    le32(p + 16, stack);
    rawbuild_record(b, RAW_SIGNAL_SENT, p, sizeof p);
}

static void rawbuild_peak(rawbuild_t *b, size_t head, const uint64_t *fields,
                          const uint32_t *stacks, const uint32_t *kinds, const uint64_t *bytes,
                          size_t n)
{
    uint8_t *p = calloc(head + 16 * n + 1, 1);
    if (!p)
        abort();
    for (size_t i = 0; i < head / 8; i++)
        le64(p + 8 * i, fields[i]);
    for (size_t i = 0; i < n; i++) {
        le32(p + head + 16 * i, stacks[i]);
        le32(p + head + 16 * i + 4, kinds ? kinds[i] : 0);
        le64(p + head + 16 * i + 8, bytes[i]);
    }
    rawbuild_record(b, RAW_MEM_PEAK, p, (uint32_t)(head + 16 * n));
    free(p);
}

void rawbuild_mem_peak(rawbuild_t *b, uint64_t t, uint64_t peak, uint64_t oom,
                       const uint32_t *stacks, const uint64_t *bytes, size_t n)
{
    const uint64_t fields[4] = { t, peak, n, oom };
    rawbuild_peak(b, 32, fields, stacks, NULL, bytes, n);
}

void rawbuild_mem_peak_gen(rawbuild_t *b, uint64_t t, uint64_t peak, uint64_t oom,
                           uint64_t generation, uint64_t tree_peak,
                           const uint32_t *stacks, const uint64_t *bytes, size_t n)
{
    rawbuild_mem_peak_kinds(b, t, peak, oom, generation, tree_peak, stacks, NULL, bytes, n);
}

void rawbuild_mem_peak_kinds(rawbuild_t *b, uint64_t t, uint64_t peak, uint64_t oom,
                             uint64_t generation, uint64_t tree_peak, const uint32_t *stacks,
                             const uint32_t *kinds, const uint64_t *bytes, size_t n)
{
    const uint64_t fields[6] = { t, peak, n, oom, generation, tree_peak };
    rawbuild_peak(b, 48, fields, stacks, kinds, bytes, n);
}

void rawbuild_cmdline(rawbuild_t *b, const char *const *argv)
{
    rawbuild_t tmp = { 0 };
    for (size_t i = 0; argv[i]; i++)
        rawbuild_put(&tmp, argv[i], strlen(argv[i]) + 1);
    rawbuild_record(b, RAW_CMDLINE, tmp.data, (uint32_t)tmp.len);
    free(tmp.data);
}

int rawbuild_save(const rawbuild_t *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(b->data, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

void rawbuild_sample(rawbuild_t *b, uint32_t pid)
{
    const uint64_t t0 = 1000000000ull;     /* 1 s on CLOCK_MONOTONIC */
    static const char *const argv[] = { "python3", "job.py", "--n", "3", NULL };
    rawbuild_init(b, pid, 1, t0, 1764077000000000000ull, 10000);
    rawbuild_cmdline(b, argv);
    rawbuild_thread(b, pid, RAW_THREAD_PYTHON | RAW_THREAD_MAIN, t0, "MainThread");
    rawbuild_thread(b, pid + 1, 0, t0 + 5000000, "native");
    rawbuild_string(b, 1, "<module>");
    rawbuild_string(b, 2, "/tmp/job.py");
    rawbuild_string(b, 3, "main");
    rawbuild_string(b, 4, "semi;colon\nnewline");
    rawbuild_frame(b, 1, 1, 2, 1);
    rawbuild_frame(b, 2, 3, 2, 10);
    rawbuild_frame(b, 3, 4, 2, 20);
    rawbuild_stack(b, 1, 0, 1);
    rawbuild_stack(b, 2, 1, 2);
    rawbuild_stack(b, 3, 2, 3);
    rawbuild_count(b, 2, pid, RAW_ST_RUNNING, 5);
    rawbuild_count(b, 3, pid, RAW_ST_GIL, 2);
    rawbuild_count(b, 0, pid + 1, RAW_ST_POLL, 7);
    rawbuild_point(b, t0, pid, 2, RAW_ST_RUNNING);
    rawbuild_point(b, t0 + 10000000, pid, 3, RAW_ST_GIL);
    rawbuild_point(b, t0 + 20000000, pid + 1, 0, RAW_ST_POLL);
    rawbuild_stats(b, t0 + 30000000, 7, 1, 25000000, 50u << 20, 60u << 20);
    rawbuild_mem_info(b, 262144);
    const uint64_t series1[] = { t0 + 5000000, 1000000, 40000000,
                                 t0 + 10000000, 2500000, 0 };
    rawbuild_mem_series(b, series1, 2);
    const uint32_t early_stacks[] = { 2 };
    const uint64_t early_bytes[] = { 2400000 };
    rawbuild_mem_peak(b, t0 + 10000000, 2500000, 0, early_stacks, early_bytes, 1);
    const uint64_t series2[] = { t0 + 25000000, 1500000, 45000000,
                                 t0 + 15000000, 3000000, 0 };
    rawbuild_mem_series(b, series2, 2);
    const uint32_t peak_stacks[] = { 3, 0, 2 };
    const uint64_t peak_bytes[] = { 2000000, 600000, 300000 };
    rawbuild_mem_peak(b, t0 + 15000000, 3000000, 0, peak_stacks, peak_bytes, 3);
    rawbuild_note(b, "test note");
    rawbuild_count(b, 2, pid, RAW_ST_RUNNING, 1);
    rawbuild_end(b, t0 + 40000000, 30000000);
}
