/* py311.c — pyread for CPython 3.11: the frame chain is
 * tstate->cframe->current_frame, a list of _PyInterpreterFrame linked by
 * `previous`; the current instruction is prev_instr relative to the code
 * object's inline bytecode (co_code_adaptive). Layouts come from CPython's own
 * internal headers (built with Py_BUILD_CORE), so offsets are never guessed. */
#include "pyread.h"

#include "memread.h"

#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#include <string.h>
#include <sys/uio.h>

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "py311.c is for CPython 3.11 headers"
#endif

static uintptr_t py_runtime, py_code_type;

uint32_t pyread_built_version(void) {
    return PY_VERSION_HEX & 0xFFFF0000u;
}

int pyread_init(uintptr_t runtime, uintptr_t code_type) {
    py_runtime = runtime;
    py_code_type = code_type;
    return 0;
}

void pyread_gil_range(uintptr_t *lo, uintptr_t *hi) {
    *lo = py_runtime + offsetof(_PyRuntimeState, ceval.gil);
    *hi = *lo + sizeof(struct _gil_runtime_state);
}

static uintptr_t pyread_main_interp(void) {
    uintptr_t interp = 0;
    if (memread_word(py_runtime + offsetof(_PyRuntimeState, interpreters.main), &interp) != 0)
        return 0;
    return interp;
}

int pyread_ready(void) {
    int initialized = 0;
    if (memread_copy(&initialized, py_runtime + offsetof(_PyRuntimeState, initialized),
                     sizeof initialized) != 0)
        return 0;
    return initialized && pyread_main_interp() != 0;
}

static void pyread_thread_fill(pyread_thread_t *o, uintptr_t ts, const PyThreadState *t) {
    o->tstate = ts;
    o->cframe = (uintptr_t)t->cframe;
    o->stack_lo = (uintptr_t)t->datastack_chunk;
    o->stack_hi = (uintptr_t)t->datastack_top;
    o->tid = (uint32_t)t->native_thread_id;
}

int pyread_thread_of(uintptr_t tstate, pyread_thread_t *out) {
    PyThreadState t;
    if (!tstate || memread_copy(&t, tstate, sizeof t) != 0) return -1;
    pyread_thread_fill(out, tstate, &t);
    return 0;
}

/* Re-reads the thread states found last time and the head of the
 * interpreter INTERP's thread list, all in one system call, and checks that
 * they still form the whole chain from that head. */
static int pyread_threads_again(uintptr_t interp, pyread_thread_t *out, int n) {
    enum { BATCH = 64 };
    static PyThreadState states[BATCH];
    struct iovec local[BATCH + 1], remote[BATCH + 1];
    uintptr_t head = 0;
    if (!interp || n <= 0 || n > BATCH) return -1;
    local[0] = (struct iovec){&head, sizeof head};
    remote[0] = (struct iovec){(void *)(interp + offsetof(PyInterpreterState, threads.head)), sizeof head};
    for (int i = 0; i < n; i++) {
        local[i + 1] = (struct iovec){&states[i], sizeof states[i]};
        remote[i + 1] = (struct iovec){(void *)out[i].tstate, sizeof states[i]};
    }
    if (memread_vector(local, remote, n + 1) != (long)(sizeof head + n * sizeof states[0]) ||
        head != out[0].tstate)
        return -1;
    for (int i = 0; i < n; i++) {
        uintptr_t next = i + 1 < n ? out[i + 1].tstate : 0;
        if ((uintptr_t)states[i].next != next) return -1;
    }
    for (int i = 0; i < n; i++) pyread_thread_fill(&out[i], out[i].tstate, &states[i]);
    return n;
}

int pyread_threads(pyread_thread_t *out, int n_prev, int max) {
    /* The main interpreter found last time: it lives as long as the
     * interpreter, and if it has gone the chain check fails and it is
     * looked up again. */
    static uintptr_t interp;
    int again = pyread_threads_again(interp, out, n_prev);
    if (again >= 0) return again;
    uintptr_t ts = 0;
    interp = pyread_main_interp();
    if (!interp) return 0;
    if (memread_word(interp + offsetof(PyInterpreterState, threads.head), &ts) != 0) return -1;
    int n = 0;
    while (ts && n < max) {
        PyThreadState t;
        if (memread_copy(&t, ts, sizeof t) != 0) return -1;
        pyread_thread_fill(&out[n++], ts, &t);
        if ((uintptr_t)t.next == ts) return -1;
        ts = (uintptr_t)t.next;
    }
    return n;
}

/* The thread's current stack chunk, copied whole: most frames live there. */
#define PYREAD_CHUNK_MAX (512u * 1024u)
static uint8_t pyread_chunk[PYREAD_CHUNK_MAX];

int pyread_stack(const pyread_thread_t *t, pyread_frame_t *out, int max, int *more) {
    const size_t fsize = offsetof(_PyInterpreterFrame, localsplus);
    uintptr_t lo = t->stack_lo, hi = t->stack_hi, frame = 0;
    _PyCFrame cf;
    *more = 0;
    if (!t->cframe) return 0;
    /* The innermost frame's pointer and the frame stack, in one read. */
    struct iovec local[2] = {{&cf, sizeof cf}, {pyread_chunk, hi - lo}};
    struct iovec remote[2] = {{(void *)t->cframe, sizeof cf}, {(void *)lo, hi - lo}};
    int parts = hi > lo && hi - lo <= PYREAD_CHUNK_MAX ? 2 : 1;
    long got = memread_vector(local, remote, parts);
    if (got < (long)sizeof cf) return -1;
    if (parts == 1 || got != (long)(sizeof cf + (hi - lo))) hi = lo = 0;
    frame = (uintptr_t)cf.current_frame;
    int n = 0;
    *more = 0;
    while (frame) {
        _PyInterpreterFrame f;
        /* No `frame + fsize <= hi`: a torn pointer near the top of the
         * address space would wrap around and pass. */
        if (frame >= lo && frame < hi && hi - frame >= fsize)
            memcpy(&f, pyread_chunk + (frame - lo), fsize);
        else if (memread_copy(&f, frame, fsize) != 0) return -1;
        if (!f.f_code) return -1;
        if (n == max) {
            *more = 1;
            return n;
        }
        out[n].addr = frame;
        out[n].code = (uintptr_t)f.f_code;
        out[n].instr = (uintptr_t)f.prev_instr;
        out[n].generator = f.owner == FRAME_OWNED_BY_GENERATOR;
        n++;
        if ((uintptr_t)f.previous == frame) return -1;
        frame = (uintptr_t)f.previous;
    }
    return n;
}

int pyread_index(const pyread_frame_t *f, const pyread_code_t *c) {
    intptr_t index = ((intptr_t)f->instr - (intptr_t)c->code_start) / (intptr_t)sizeof(_Py_CODEUNIT);
    /* A frame that has not started yet (CPython's _PyFrame_IsIncomplete). */
    if (!f->generator && index < c->firsttraceable) return -1;
    if (index < 0) return 0;
    return index > (1 << 28) ? 0 : (int)index;
}

#define PYREAD_CODE_HEAD offsetof(PyCodeObject, co_code_adaptive)

static int pyread_code_fill(uintptr_t code, const PyCodeObject *c, pyread_code_t *out) {
    if ((uintptr_t)Py_TYPE((PyObject *)c) != py_code_type) return -1;
    out->firstlineno = c->co_firstlineno;
    out->firsttraceable = c->_co_firsttraceable;
    out->code_start = code + offsetof(PyCodeObject, co_code_adaptive);
    out->qualname = (uintptr_t)c->co_qualname;
    out->filename = (uintptr_t)c->co_filename;
    out->linetable = (uintptr_t)c->co_linetable;
    return 0;
}

int pyread_codes(const uintptr_t *codes, int n, pyread_code_t *out, uint8_t *ok) {
    enum { BATCH = 64 };
    static PyCodeObject heads[BATCH];
    struct iovec local[BATCH], remote[BATCH];
    int good = 0;
    for (int i = 0; i < n; i++) ok[i] = 0;
    for (int base = 0; base < n;) {
        int k = n - base < BATCH ? n - base : BATCH;
        for (int j = 0; j < k; j++) {
            local[j] = (struct iovec){&heads[j], PYREAD_CODE_HEAD};
            remote[j] = (struct iovec){(void *)codes[base + j], PYREAD_CODE_HEAD};
        }
        long got = memread_vector(local, remote, k);
        int whole = got > 0 ? (int)((size_t)got / PYREAD_CODE_HEAD) : 0;
        for (int j = 0; j < whole; j++)
            if (pyread_code_fill(codes[base + j], &heads[j], &out[base + j]) == 0) {
                ok[base + j] = 1;
                good++;
            }
        /* A failed element stops the call: skip it and go on after it. */
        base += whole < k ? whole + 1 : k;
    }
    return good;
}

static size_t pyread_put_utf8(char *buf, size_t cap, size_t n, uint32_t ch) {
    char tmp[4];
    size_t k;
    if (ch < 0x80) {
        tmp[0] = (char)ch;
        k = 1;
    } else if (ch < 0x800) {
        tmp[0] = (char)(0xC0 | (ch >> 6));
        tmp[1] = (char)(0x80 | (ch & 63));
        k = 2;
    } else if (ch < 0x10000) {
        tmp[0] = (char)(0xE0 | (ch >> 12));
        tmp[1] = (char)(0x80 | ((ch >> 6) & 63));
        tmp[2] = (char)(0x80 | (ch & 63));
        k = 3;
    } else {
        tmp[0] = (char)(0xF0 | (ch >> 18));
        tmp[1] = (char)(0x80 | ((ch >> 12) & 63));
        tmp[2] = (char)(0x80 | ((ch >> 6) & 63));
        tmp[3] = (char)(0x80 | (ch & 63));
        k = 4;
    }
    if (n + k + 1 > cap) return 0;
    memcpy(buf + n, tmp, k);
    return k;
}

/* Where a str's characters are, from its head U at STR: *DATA, *CHARS
 * (at most 512 are taken), *KIND. -1 if it is not a compact, ready str. */
static int pyread_string_layout(const PyCompactUnicodeObject *u, uintptr_t str, uintptr_t *data,
                                size_t *chars, unsigned *kind) {
    const PyASCIIObject *a = &u->_base;
    if (!a->state.compact || !a->state.ready || a->length < 0) return -1;
    *kind = a->state.kind;
    if (*kind != 1 && *kind != 2 && *kind != 4) return -1;
    *data = str + (a->state.ascii ? sizeof(PyASCIIObject) : sizeof(PyCompactUnicodeObject));
    *chars = (size_t)a->length < 512 ? (size_t)a->length : 512;
    return 0;
}

/* CHARS characters of KIND bytes at RAW, as UTF-8 into BUF. */
static int pyread_string_decode(const uint8_t *raw, size_t chars, unsigned kind, char *buf, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < chars; i++) {
        uint32_t ch;
        if (kind == 1) {
            ch = raw[i];
        } else if (kind == 2) {
            uint16_t v;
            memcpy(&v, raw + 2 * i, sizeof v);
            ch = v;
        } else {
            memcpy(&ch, raw + 4 * i, sizeof ch);
        }
        if (ch > 0x10FFFF || (ch >= 0xD800 && ch < 0xE000)) ch = 0xFFFD;
        size_t k = pyread_put_utf8(buf, cap, n, ch);
        if (!k) break;
        n += k;
    }
    buf[n] = '\0';
    return (int)n;
}

int pyread_string(uintptr_t str, char *buf, size_t cap) {
    PyCompactUnicodeObject u;
    uintptr_t data;
    size_t chars;
    unsigned kind;
    if (cap == 0 || memread_copy(&u, str, sizeof u) != 0) return -1;
    if (pyread_string_layout(&u, str, &data, &chars, &kind) != 0) return -1;
    uint8_t raw[512 * 4];
    if (chars && memread_copy(raw, data, chars * kind) != 0) return -1;
    return pyread_string_decode(raw, chars, kind, buf, cap);
}

int pyread_bytes(uintptr_t bytes, uint8_t *buf, size_t cap) {
    PyBytesObject b;
    if (memread_copy(&b, bytes, offsetof(PyBytesObject, ob_sval)) != 0) return -1;
    if (Py_SIZE((PyObject *)&b) < 0 || (size_t)Py_SIZE((PyObject *)&b) > cap) return -1;
    size_t len = (size_t)Py_SIZE((PyObject *)&b);
    if (len && memread_copy(buf, bytes + offsetof(PyBytesObject, ob_sval), len) != 0) return -1;
    return (int)len;
}

/* The str at STR from WIN, the GOT bytes read from STR on (0: none); or,
 * if its head or characters lie beyond them, read on its own. */
static int pyread_string_in(const uint8_t *win, size_t got, uintptr_t str, char *buf, size_t cap) {
    PyCompactUnicodeObject u;
    uintptr_t data;
    size_t chars;
    unsigned kind;
    if (cap == 0 || got < sizeof u) return pyread_string(str, buf, cap);
    memcpy(&u, win, sizeof u);
    if (pyread_string_layout(&u, str, &data, &chars, &kind) != 0) return -1;
    size_t off = (size_t)(data - str);
    if (off + chars * kind > got) return pyread_string(str, buf, cap);
    return pyread_string_decode(win + off, chars, kind, buf, cap);
}

/* The bytes object at BYTES from WIN, likewise (as pyread_bytes). */
static int pyread_bytes_in(const uint8_t *win, size_t got, uintptr_t bytes, uint8_t *buf, size_t cap) {
    const size_t head = offsetof(PyBytesObject, ob_sval);
    PyBytesObject b;
    if (got < head) return pyread_bytes(bytes, buf, cap);
    memcpy(&b, win, head);
    Py_ssize_t len = Py_SIZE((PyObject *)&b);
    if (len < 0 || (size_t)len > cap) return -1;
    if (head + (size_t)len > got) return pyread_bytes(bytes, buf, cap);
    memcpy(buf, win + head, (size_t)len);
    return (int)len;
}

int pyread_code_texts(const pyread_code_t *c, char *name, size_t name_cap, char *file,
                      size_t file_cap, uint8_t *table, size_t table_cap, int lens[3]) {
    enum { STR_WIN = 256, TABLE_WIN = 1024 };
    static uint8_t win[2 * STR_WIN + TABLE_WIN];
    struct iovec local[3] = {{win, STR_WIN}, {win + STR_WIN, STR_WIN}, {win + 2 * STR_WIN, TABLE_WIN}};
    struct iovec remote[3] = {{(void *)c->qualname, STR_WIN}, {(void *)c->filename, STR_WIN},
                              {(void *)c->linetable, TABLE_WIN}};
    long got = c->qualname < 4096 || c->filename < 4096 || c->linetable < 4096
                   ? -1 : memread_vector(local, remote, 3);
    /* A window that ran into unmapped memory (an object near the end of a
     * mapping) stops the call: then each object is read on its own, to its
     * exact length. */
    int whole = got == (long)sizeof win;
    lens[0] = pyread_string_in(win, whole ? STR_WIN : 0, c->qualname, name, name_cap);
    lens[1] = pyread_string_in(win + STR_WIN, whole ? STR_WIN : 0, c->filename, file, file_cap);
    lens[2] = pyread_bytes_in(win + 2 * STR_WIN, whole ? TABLE_WIN : 0, c->linetable, table, table_cap);
    return 0;
}
