/* pprof.c — a protobuf encoder for the one message pprof reads, written out
 * while the model is walked.
 *
 * The one idea: the fields of a protobuf message may come in any order and
 * repeat, and the top-level message has no length of its own, so the file is
 * a stream. Each Sample, Location and Function is encoded into a scratch
 * buffer, framed as (key, length, bytes) and passed on to the gzip stream;
 * the string table, whose indices every other message uses, goes last, when
 * every string has been interned. Memory is the largest message plus the
 * string table, however many samples there are. The interning table
 * (strtab.h) gives dense ids with "" as id 0, which is exactly what pprof's
 * string_table indices are.
 *
 * The wire format (protobuf's encoding): a field is a key varint,
 * (number << 3 | wire type), then its value — a varint (wire type 0: int64,
 * uint64, bool; 7 bits a byte, low group first, the high bit set on every
 * byte but the last) or a length-delimited run (wire type 2: a varint length,
 * then the bytes of a string, a nested message, or packed repeated varints).
 * Nothing negative is ever written, and fields at their default (0, "") are
 * left out, as proto3 encoders do.
 *
 * Compression is zlib's deflate with a gzip wrapper (windowBits 15 + 16),
 * not a hand-written gzip of stored (uncompressed) blocks: a profile's
 * repeated keys, ids and labels shrink several times over, and zlib is a
 * system library on every Linux distribution (Debian's zlib1g) and on the
 * manylinux wheel policy's list of libraries a wheel may link against. */
#include "pprof.h"
#include "calltree.h"
#include "grow.h"
#include "keymap.h"
#include "strtab.h"
#include "trace.h"
#include "utf8.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { PB_VARINT = 0, PB_LEN = 2 };

/* Field numbers, from profile.proto (tests/e2e/pprof/profile.proto is ours). */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10,
    PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3 };
enum {
    MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_FILENAME = 4 };

#define PPROF_FLUSH_AT (64u << 10)   /* bytes of encoded fields handed to deflate at once */
#define PPROF_ZBUF (64u << 10)
#define PPROF_GZIP_WINDOW (15 + 16)  /* 32 KiB window, gzip header and trailer */
#define PPROF_VALUES_MAX 3u

/* A growable byte buffer; the first failed allocation sticks, so a message
 * is encoded without a check per field and checked once when passed on. */
typedef struct pb {
    uint8_t *b;
    size_t len, cap;
    int failed;
} pb_t;

typedef struct pprof {
    const model_t *m;
    FILE *out;
    z_stream z;
    int z_ready;
    strtab_t strings;
    keymap_t functions;          /* (model name id, model file id) -> Function id */
    uint32_t nfunctions;
    pb_t top;                    /* framed fields waiting for deflate */
    pb_t msg, sub, packed;       /* a message, one nested in it, a packed field */
    pb_t thread_labels;          /* the labels of the thread being written */
    uint32_t state_label[RAW_ST_COUNT];   /* "running", "waiting: gil", ... */
    uint32_t key_pid, key_tid, key_thread, key_process, key_state;
    size_t nvalues;              /* sample types: 2, or 3 with memory */
    int rc;                      /* the first error */
    uint8_t zbuf[PPROF_ZBUF];
} pprof_t;

/* ---- protobuf encoding ---------------------------------------------------- */

static void pb_put(pb_t *b, const void *p, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (grow_array((void **)&b->b, &b->cap, b->len + n, 1) < 0) {
        b->failed = 1;
        return;
    }
    memcpy(b->b + b->len, p, n);
    b->len += n;
}

static void pb_varint(pb_t *b, uint64_t v)
{
    uint8_t buf[10];
    size_t n = 0;
    do {
        uint8_t low = v & 0x7f;
        v >>= 7;
        buf[n++] = low | (v ? 0x80 : 0);
    } while (v);
    pb_put(b, buf, n);
}

static void pb_key(pb_t *b, unsigned field, unsigned wire)
{
    pb_varint(b, (uint64_t)field << 3 | wire);
}

/* A varint field (int64 or uint64); 0 is the default and is left out. */
static void pb_uint(pb_t *b, unsigned field, uint64_t v)
{
    if (!v)
        return;
    pb_key(b, field, PB_VARINT);
    pb_varint(b, v);
}

/* An int64 from a count that may have saturated at UINT64_MAX. */
static uint64_t pb_int64(uint64_t v)
{
    return v > INT64_MAX ? INT64_MAX : v;
}

/* SUB's bytes as the length-delimited field FIELD of B; empties SUB. */
static void pb_nested(pb_t *b, unsigned field, pb_t *sub)
{
    if (sub->failed)
        b->failed = 1;
    pb_key(b, field, PB_LEN);
    pb_varint(b, sub->len);
    pb_put(b, sub->b, sub->len);
    sub->len = 0;
    sub->failed = 0;
}

static void pb_free(pb_t *b)
{
    free(b->b);
    memset(b, 0, sizeof *b);
}

/* ---- the gzip stream ------------------------------------------------------ */

/* Compresses N bytes at DATA (FLUSH: Z_NO_FLUSH, or Z_FINISH for the end)
 * and writes what deflate gives back. */
static int pprof_deflate(pprof_t *p, const uint8_t *data, size_t n, int flush)
{
    do {
        uInt part = n > UINT_MAX ? UINT_MAX : (uInt)n;
        p->z.next_in = (Bytef *)data;
        p->z.avail_in = part;
        data += part;
        n -= part;
        int zr, step = n ? Z_NO_FLUSH : flush;
        do {
            p->z.next_out = p->zbuf;
            p->z.avail_out = sizeof p->zbuf;
            zr = deflate(&p->z, step);
            if (zr == Z_STREAM_ERROR)
                return -EIO;
            size_t have = sizeof p->zbuf - p->z.avail_out;
            if (have && fwrite(p->zbuf, 1, have, p->out) != have)
                return -EIO;
        } while (p->z.avail_out == 0 || (step == Z_FINISH && zr != Z_STREAM_END));
    } while (n);
    return 0;
}

/* Passes the framed fields in p->top on to deflate once there are enough
 * of them (all of them if FINAL, and ends the stream). */
static void pprof_flush(pprof_t *p, int final)
{
    if (p->rc == 0 && p->top.failed)
        p->rc = -ENOMEM;
    if (p->rc < 0 || (!final && p->top.len < PPROF_FLUSH_AT))
        return;
    p->rc = pprof_deflate(p, p->top.b, p->top.len, final ? Z_FINISH : Z_NO_FLUSH);
    p->top.len = 0;
}

/* p->msg as top-level field FIELD of the Profile. */
static void pprof_emit(pprof_t *p, unsigned field)
{
    pb_nested(&p->top, field, &p->msg);
    pprof_flush(p, 0);
}

/* ---- strings -------------------------------------------------------------- */

/* The string table index of the N bytes at S (0 for "", and on failure,
 * which is kept in p->rc). */
static uint32_t pprof_str(pprof_t *p, const char *s, size_t n)
{
    uint32_t id = 0;
    if (n && strtab_intern(&p->strings, s, n, &id) < 0 && p->rc == 0)
        p->rc = -ENOMEM;
    return id;
}

static uint32_t pprof_cstr(pprof_t *p, const char *s)
{
    return pprof_str(p, s, strlen(s));
}

static uint32_t pprof_model_str(pprof_t *p, uint32_t model_id)
{
    size_t n;
    const char *s = model_str(p->m, model_id, &n);
    return pprof_str(p, s, n);
}

/* S as well-formed UTF-8: each byte that starts no well-formed sequence
 * becomes U+FFFD. Appends to B, or only measures (B NULL); returns the
 * length. */
static size_t pprof_utf8(pb_t *b, const unsigned char *s, size_t n)
{
    static const uint8_t replacement[3] = { 0xef, 0xbf, 0xbd };
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq_len(s + i, n - i);
        if (b) {
            if (l)
                pb_put(b, s + i, l);
            else
                pb_put(b, replacement, sizeof replacement);
        }
        out += l ? l : sizeof replacement;
        i += l ? l : 1;
    }
    return out;
}

/* The string table, in id order: the last fields of the file. */
static void pprof_string_table(pprof_t *p)
{
    for (size_t id = 0; id < p->strings.n && p->rc == 0; id++) {
        size_t n;
        const unsigned char *s = (const unsigned char *)strtab_get(&p->strings, (uint32_t)id, &n);
        pb_key(&p->top, PROFILE_STRING_TABLE, PB_LEN);
        pb_varint(&p->top, pprof_utf8(NULL, s, n));
        pprof_utf8(&p->top, s, n);
        pprof_flush(p, 0);
    }
}

/* ---- the profile's parts -------------------------------------------------- */

static void pprof_value_type(pprof_t *p, pb_t *b, const char *type, const char *unit)
{
    pb_uint(b, VALUE_TYPE_TYPE, pprof_cstr(p, type));
    pb_uint(b, VALUE_TYPE_UNIT, pprof_cstr(p, unit));
}

static void pprof_label_str(pb_t *b, pb_t *sub, uint32_t key, uint32_t str)
{
    pb_uint(sub, LABEL_KEY, key);
    pb_uint(sub, LABEL_STR, str);
    pb_nested(b, SAMPLE_LABEL, sub);
}

static void pprof_label_num(pb_t *b, pb_t *sub, uint32_t key, uint64_t num)
{
    pb_uint(sub, LABEL_KEY, key);
    pb_uint(sub, LABEL_NUM, num);
    pb_nested(b, SAMPLE_LABEL, sub);
}

/* The header fields, and the strings the samples' labels use. */
static void pprof_head(pprof_t *p)
{
    const model_t *m = p->m;
    pprof_value_type(p, &p->msg, "samples", "count");
    pprof_emit(p, PROFILE_SAMPLE_TYPE);
    pprof_value_type(p, &p->msg, "wall", "nanoseconds");
    pprof_emit(p, PROFILE_SAMPLE_TYPE);
    if (p->nvalues == 3) {
        pprof_value_type(p, &p->msg, "inuse_space", "bytes");
        pprof_emit(p, PROFILE_SAMPLE_TYPE);
    }
    pprof_value_type(p, &p->msg, "wall", "nanoseconds");
    pprof_emit(p, PROFILE_PERIOD_TYPE);
    pb_uint(&p->top, PROFILE_PERIOD, (uint64_t)(m->summary.sample_interval_seconds * 1e9 + 0.5));
    pb_uint(&p->top, PROFILE_DEFAULT_SAMPLE_TYPE, pprof_cstr(p, "wall"));
    if (m->summary.has_start_time)
        pb_uint(&p->top, PROFILE_TIME_NANOS, pb_int64(m->summary.start_real_ns));
    if (m->summary.elapsed_seconds > 0)
        pb_uint(&p->top, PROFILE_DURATION_NANOS, (uint64_t)(m->summary.elapsed_seconds * 1e9 + 0.5));

    /* a comment: "radiograph VERSION: the command" */
    pb_t *c = &p->sub;
    const char *version = m->summary.radiograph_version ? m->summary.radiograph_version : "unknown";
    pb_put(c, "radiograph ", 11);
    pb_put(c, version, strlen(version));
    pb_put(c, ":", 1);
    for (size_t i = 0; i < m->summary.command_argc; i++) {
        size_t n;
        const char *a = model_str(m, m->summary.command[i], &n);
        pb_put(c, " ", 1);
        pb_put(c, a, n);
    }
    if (c->failed && p->rc == 0)
        p->rc = -ENOMEM;
    pb_uint(&p->top, PROFILE_COMMENT, pprof_str(p, (const char *)c->b, c->len));
    c->len = 0;

    p->key_pid = pprof_cstr(p, "pid");
    p->key_tid = pprof_cstr(p, "tid");
    p->key_thread = pprof_cstr(p, "thread");
    p->key_process = pprof_cstr(p, "process");
    p->key_state = pprof_cstr(p, "state");
    for (unsigned s = 0; s < RAW_ST_COUNT; s++) {
        const char *label = model_state_label(s);     /* "[waiting: gil]" -> "waiting: gil" */
        size_t n = strlen(label);
        p->state_label[s] = n > 2 ? pprof_str(p, label + 1, n - 2) : pprof_str(p, label, n);
    }
    pprof_flush(p, 0);
}

/* The Function of model frame FR: one per (name, file), written the first
 * time it is needed. Returns its id, or 0 on failure (in p->rc). */
static uint32_t pprof_function(pprof_t *p, const model_frame_t *fr)
{
    uint32_t id;
    int r = keymap_intern(&p->functions, fr->name, fr->file, p->nfunctions + 1, &id);
    if (r < 0) {
        p->rc = -ENOMEM;
        return 0;
    }
    if (r == 0) {
        p->nfunctions++;
        pb_uint(&p->msg, FUNCTION_ID, id);
        pb_uint(&p->msg, FUNCTION_NAME, pprof_model_str(p, fr->name));
        pb_uint(&p->msg, FUNCTION_FILENAME, pprof_model_str(p, fr->file));
        pprof_emit(p, PROFILE_FUNCTION);
    }
    return id;
}

#define PPROF_MAPPING_ID 1u

/* A Location for every model frame, id = frame index + 1, with one Line, in
 * the one Mapping: "[python]", already symbolised (so that pprof does not
 * look for a binary to read symbols from). */
static void pprof_locations(pprof_t *p)
{
    const model_t *m = p->m;
    pb_uint(&p->msg, MAPPING_ID, PPROF_MAPPING_ID);
    pb_uint(&p->msg, MAPPING_FILENAME, pprof_cstr(p, "[python]"));
    pb_uint(&p->msg, MAPPING_HAS_FUNCTIONS, 1);
    pb_uint(&p->msg, MAPPING_HAS_FILENAMES, 1);
    pb_uint(&p->msg, MAPPING_HAS_LINE_NUMBERS, 1);
    pprof_emit(p, PROFILE_MAPPING);
    for (size_t f = 0; f < m->nframes && p->rc == 0; f++) {
        const model_frame_t *fr = &m->frames[f];
        uint32_t fn = pprof_function(p, fr);
        pb_uint(&p->sub, LINE_FUNCTION_ID, fn);
        pb_uint(&p->sub, LINE_LINE, fr->line);
        pb_uint(&p->msg, LOCATION_ID, f + 1);
        pb_uint(&p->msg, LOCATION_MAPPING_ID, PPROF_MAPPING_ID);
        pb_nested(&p->msg, LOCATION_LINE, &p->sub);
        pprof_emit(p, PROFILE_LOCATION);
    }
}

/* One Sample: NODE's stack in tree T, leaf first, with VALUES and, when
 * LABELS, the thread's labels and its state. */
static void pprof_sample(pprof_t *p, const calltree_t *t, uint32_t node, const uint64_t *values,
                         const pb_t *labels, int state)
{
    for (uint32_t v = node; v != CALLTREE_ROOT && v != CALLTREE_NONE; v = t->parent[v])
        pb_varint(&p->packed, (uint64_t)t->frame[v] + 1);
    pb_nested(&p->msg, SAMPLE_LOCATION_ID, &p->packed);
    for (size_t i = 0; i < p->nvalues; i++)
        pb_varint(&p->packed, pb_int64(values[i]));
    pb_nested(&p->msg, SAMPLE_VALUE, &p->packed);
    if (labels) {
        if (labels->failed)
            p->msg.failed = 1;
        pb_put(&p->msg, labels->b, labels->len);
        pprof_label_str(&p->msg, &p->sub, p->key_state, p->state_label[state]);
    }
    pprof_emit(p, PROFILE_SAMPLE);
}

static uint64_t pprof_sat_mul(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Thread T's samples: its tallies (model.h), each with its labels. */
static void pprof_thread(pprof_t *p, const model_process_t *proc, const model_thread_t *t)
{
    const model_t *m = p->m;
    pb_t *l = &p->thread_labels;
    char buf[32];
    size_t nl;
    const char *name = trace_thread_name(m, t, buf, sizeof buf, &nl);
    l->len = 0;
    pprof_label_num(l, &p->sub, p->key_pid, proc->pid);
    pprof_label_num(l, &p->sub, p->key_tid, t->tid);
    pprof_label_str(l, &p->sub, p->key_thread, pprof_str(p, name, nl));
    pprof_label_str(l, &p->sub, p->key_process, pprof_model_str(p, proc->command));
    uint64_t iv_ns = (uint64_t)(proc->interval_us ? proc->interval_us
                                : m->summary.sample_interval_seconds * 1e6 + 0.5) * 1000u;
    const model_tally_t *e = &m->tally[t->tally_at];
    for (size_t i = 0; i < t->ntally && p->rc == 0; i++) {
        uint64_t values[PPROF_VALUES_MAX] = { e[i].count, pprof_sat_mul(e[i].count, iv_ns), 0 };
        uint32_t leaf_frame = m->perf.frame[e[i].node];
        int state = leaf_frame < RAW_ST_COUNT ? (int)leaf_frame : RAW_ST_WAITING;
        pprof_sample(p, &m->perf, e[i].node, values, l, state);
    }
}

/* The peak-memory samples: every node of m->mem with bytes of its own. */
static int pprof_memory(pprof_t *p)
{
    const calltree_t *t = &p->m->mem;
    uint64_t *self = malloc((t->n + 1) * sizeof *self);
    if (!self)
        return -ENOMEM;
    calltree_self(t, self);
    for (uint32_t v = 1; v < t->n && p->rc == 0; v++) {
        if (!self[v])
            continue;
        uint64_t values[PPROF_VALUES_MAX] = { 0, 0, self[v] };
        pprof_sample(p, t, v, values, NULL, 0);
    }
    free(self);
    return 0;
}

int pprof_write(FILE *out, const model_t *m)
{
    if (!m->finished)
        return -EINVAL;
    pprof_t *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->m = m;
    p->out = out;
    p->nvalues = m->has_memory ? 3 : 2;
    keymap_init(&p->functions);
    p->rc = strtab_init(&p->strings);
    if (p->rc == 0) {
        int zr = deflateInit2(&p->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, PPROF_GZIP_WINDOW, 8,
                              Z_DEFAULT_STRATEGY);
        p->z_ready = zr == Z_OK;
        if (zr != Z_OK)
            p->rc = zr == Z_MEM_ERROR ? -ENOMEM : -EIO;
    }
    if (p->rc == 0)
        pprof_head(p);
    if (p->rc == 0)
        pprof_locations(p);
    for (size_t pi = 0; pi < m->nprocs && p->rc == 0; pi++) {
        const model_process_t *proc = &m->procs[pi];
        for (size_t ti = 0; ti < proc->nthreads && p->rc == 0; ti++) {
            const model_thread_t *t = &m->threads[proc->threads[ti]];
            if (t->ntally)
                pprof_thread(p, proc, t);
        }
    }
    if (p->rc == 0 && m->has_memory) {
        int rc = pprof_memory(p);
        if (rc < 0)
            p->rc = rc;
    }
    if (p->rc == 0)
        pprof_string_table(p);
    if (p->rc == 0)
        pprof_flush(p, 1);
    int rc = p->rc;
    if (p->z_ready)
        deflateEnd(&p->z);
    strtab_free(&p->strings);
    keymap_free(&p->functions);
    pb_free(&p->top);
    pb_free(&p->msg);
    pb_free(&p->sub);
    pb_free(&p->packed);
    pb_free(&p->thread_labels);
    free(p);
    return rc;
}
