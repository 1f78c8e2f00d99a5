/* test_pprof.c — profile.pb.gz from report_build, on raw directories written
 * here: the file is gzip, its protobuf walks cleanly to the end (every field
 * a varint or a length-delimited run inside its bounds), the string table
 * starts with "" and holds only well-formed UTF-8 — a name with a byte that
 * starts no UTF-8 sequence is written with U+FFFD in its place — and the
 * samples' counts add up to performance.folded's. The end-to-end tests
 * (tests/e2e/test_pprof.py) decode it with a schema and with pprof itself. */
#include "check.h"
#include "rawbuild.h"
#include "testdir.h"
#include "report.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char runinfo[] =
    "radiograph_version=0.1.0\narg=python3\narg=job.py\n"
    "start_real_ns=1764077000000000000\nstart_mono_ns=1000000000\n"
    "end_mono_ns=1050000000\nexit_code=0\ncpu_ns=40000000\nsample_interval_us=10000\n";

/* The decompressed bytes of DIR/NAME, or NULL. */
static uint8_t *gunzip(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile g = gzopen(path, "rb");
    if (!g)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int r;
    while (buf && (r = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    int eof = gzeof(g);
    gzclose(g);
    if (!eof) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

typedef struct wire {
    const uint8_t *p, *end;
    int bad;
} wire_t;

static uint64_t wire_varint(wire_t *w)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (w->p >= w->end) {
            w->bad = 1;
            return 0;
        }
        uint8_t b = *w->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    w->bad = 1;
    return 0;
}

/* The next field of W: its number, and its varint value or its bytes.
 * Returns 0 at the end, -1 if the encoding is broken. */
static int wire_next(wire_t *w, unsigned *field, uint64_t *value, wire_t *bytes)
{
    if (w->p == w->end)
        return 0;
    uint64_t key = wire_varint(w);
    *field = (unsigned)(key >> 3);
    if ((key & 7) == 0) {
        *value = wire_varint(w);
    } else if ((key & 7) == 2) {
        uint64_t n = wire_varint(w);
        if (w->bad || n > (uint64_t)(w->end - w->p))
            return -1;
        bytes->p = w->p;
        bytes->end = w->p + n;
        bytes->bad = 0;
        w->p += n;
    } else {
        return -1;
    }
    return w->bad || *field == 0 ? -1 : 1;
}

static int well_formed(const wire_t *s)
{
    for (const uint8_t *p = s->p; p < s->end;) {
        size_t l = utf8_seq_len(p, (size_t)(s->end - p));
        if (!l)
            return 0;
        p += l;
    }
    return 1;
}

/* The first value of a Sample (its count of samples). */
static uint64_t sample_count(wire_t s)
{
    unsigned f;
    uint64_t v;
    wire_t b;
    while (wire_next(&s, &f, &v, &b) > 0)
        if (f == 2) {
            wire_t packed = b;
            return wire_varint(&packed);
        }
    return 0;
}

/* Adds up the counts of a folded file's lines. */
static uint64_t folded_total(const char *text)
{
    uint64_t total = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *sp = line, *q;
        for (q = line; q < (nl ? nl : line + strlen(line)); q++)
            if (*q == ' ')
                sp = q;
        total += strtoull(sp + 1, NULL, 10);
        line = nl ? nl + 1 : NULL;
    }
    return total;
}

/* A process whose names are not UTF-8: "bad\xffname" in "f\xc3.py". */
static void bad_names(rawbuild_t *b)
{
    rawbuild_init(b, 200, 1, 1001000000ull, 1764077000001000000ull, 10000);
    static const char *const argv[] = { "python3", "job.py", NULL };
    rawbuild_cmdline(b, argv);
    rawbuild_thread(b, 200, RAW_THREAD_PYTHON | RAW_THREAD_MAIN, 1001000000ull, "MainThread");
    rawbuild_string(b, 1, "bad\xffname");
    rawbuild_string(b, 2, "f\xc3.py");
    rawbuild_frame(b, 1, 1, 2, 3);
    rawbuild_stack(b, 1, 0, 1);
    rawbuild_count(b, 1, 200, RAW_ST_RUNNING, 5);
    rawbuild_end(b, 1040000000ull, 9000000);
}

static void test_wire_strings_and_totals(void)
{
    char *dir = make_dir();
    if (!dir) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    spit(dir, "raw/run.info", runinfo);
    rawbuild_t a, b;
    rawbuild_sample(&a, 100);
    bad_names(&b);
    save(dir, "100.rgd", &a);
    save(dir, "200.rgd", &b);
    char err[512] = "";
    int rc = report_build(dir, err, sizeof err);
    CHECK(rc == 0, "report_build returned %d (%s)", rc, err);
    size_t len = 0;
    uint8_t *pb = gunzip(dir, "profile.pb.gz", &len);
    CHECK(pb != NULL && len > 0, "profile.pb.gz is missing or not gzip");
    char *folded = slurp(dir, "performance.folded");
    if (pb && folded) {
        wire_t w = { pb, pb + len, 0 }, bytes;
        unsigned field;
        uint64_t value, count = 0;
        size_t nstrings = 0, nsamples = 0, nlocations = 0, nfunctions = 0, ill_formed = 0;
        int replaced = 0, raw_bad = 0, r;
        while ((r = wire_next(&w, &field, &value, &bytes)) > 0) {
            CHECK(field >= 1 && field <= 14, "a Profile field numbered %u", field);
            if (field == 6) {
                size_t n = (size_t)(bytes.end - bytes.p);
                CHECK(nstrings > 0 || n == 0, "string_table[0] is not \"\"");
                nstrings++;
                ill_formed += !well_formed(&bytes);
                replaced |= n == 10 && !memcmp(bytes.p, "bad\xef\xbf\xbdname", 10);
                raw_bad |= n == 8 && !memcmp(bytes.p, "bad\xffname", 8);
            } else if (field == 2) {
                nsamples++;
                count += sample_count(bytes);
            } else if (field == 4) {
                nlocations++;
            } else if (field == 5) {
                nfunctions++;
            }
        }
        CHECK(r == 0, "the protobuf encoding is broken at byte %zu", (size_t)(w.p - pb));
        CHECK(nstrings > 10 && nsamples > 0 && nlocations >= nfunctions && nfunctions > 2,
              "%zu strings, %zu samples, %zu locations, %zu functions", nstrings, nsamples,
              nlocations, nfunctions);
        CHECK(ill_formed == 0, "%zu strings are not well-formed UTF-8", ill_formed);
        CHECK(replaced && !raw_bad, "the name with a 0xff byte is not written with U+FFFD");
        /* a sample per (thread, stack): at least one per folded line */
        CHECK(nsamples >= count_of(folded, "\n"), "%zu samples for %zu folded lines", nsamples,
              count_of(folded, "\n"));
        uint64_t want = folded_total(folded);
        CHECK(count == want, "the samples count %llu, performance.folded %llu",
              (unsigned long long)count, (unsigned long long)want);
    }
    free(pb);
    free(folded);
    rawbuild_free(&a);
    rawbuild_free(&b);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    test_wire_strings_and_totals();
    return check_failures("test_pprof");
}
