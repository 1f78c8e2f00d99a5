/* pyread.c — see pyread.h. Structures are read into byte buffers and their
 * fields taken at the row's offsets; the shapes that differ between
 * versions are questions the row answers:
 * - the innermost frame: through a _PyCFrame (tstate.cframe) or directly
 *   (tstate.current_frame);
 * - entry frames: frames owned by the C stack (frame.owner_cstack), where
 *   the interpreter was entered from C, are not Python calls and are left out;
 * - the instruction pointer: prev_instr or instr_ptr (frame.instr), both
 *   giving the index CPython's own line lookup uses (_PyInterpreterFrame_LASTI);
 * - the GIL: inside _PyRuntime (runtime.gil) or pointed to by the main
 *   interpreter (interp.gil_ptr). */
#include "pyread.h"

#include "memread.h"

#include <string.h>
#include <sys/uio.h>

#define PYREAD_TSTATE_MAX 1024u        /* bytes of a thread state we copy */
#define PYREAD_FRAME_MAX 256u          /* bytes of a frame header */
#define PYREAD_CODE_MAX 512u           /* bytes of a code object's head */
#define PYREAD_STR_MAX 512u            /* characters of a str we decode */
#define PYREAD_BATCH 64                /* objects per vector read */
#define PYREAD_CHUNK_MAX (512u * 1024u)
#define PYREAD_ATTR_MAX 256            /* entries of an attribute table searched */

static struct {
    const pylayout_t *L;
    uintptr_t runtime, code_type, none;
    uintptr_t gil_lo, gil_hi;
} pr;

static uint64_t pyread_u64(const uint8_t *b, uint32_t off) {
    uint64_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

static int32_t pyread_i32(const uint8_t *b, uint32_t off) {
    int32_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

int pyread_init(const pylayout_t *row, uintptr_t runtime, uintptr_t code_type, uintptr_t none) {
    pr.L = row;
    pr.runtime = runtime;
    pr.code_type = code_type;
    pr.none = none;
    pr.gil_lo = pr.gil_hi = 0;
    if (row->runtime.gil != PYLAYOUT_NONE) {
        pr.gil_lo = runtime + row->runtime.gil;
        pr.gil_hi = pr.gil_lo + row->gil_size;
    }
    return 0;
}

void pyread_gil_range(uintptr_t *lo, uintptr_t *hi) {
    *lo = pr.gil_lo;
    *hi = pr.gil_hi;
}

static uintptr_t pyread_main_interp(void) {
    uintptr_t interp = 0;
    if (memread_word(pr.runtime + pr.L->runtime.main_interp, &interp) != 0) return 0;
    return interp;
}

int pyread_ready(void) {
    int initialized = 0;
    if (!pr.L || memread_copy(&initialized, pr.runtime + pr.L->runtime.initialized, sizeof initialized) != 0)
        return 0;
    uintptr_t interp = initialized ? pyread_main_interp() : 0;
    if (!interp) return 0;
    if (!pr.gil_hi && pr.L->interp.gil_ptr != PYLAYOUT_NONE) {
        uintptr_t gil = 0;
        if (memread_word(interp + pr.L->interp.gil_ptr, &gil) == 0 && gil) {
            pr.gil_lo = gil;
            pr.gil_hi = gil + pr.L->gil_size;
        }
    }
    return 1;
}

int pyread_hooks_ready(void) {
    if (!pr.L) return 0;
    /* _PyRuntime is static data of the interpreter: a plain load. */
    return *(const volatile int *)(pr.runtime + pr.L->runtime.tss_initialized) != 0;
}

static void pyread_thread_fill(pyread_thread_t *o, uintptr_t ts, const uint8_t *t) {
    const pylayout_t *L = pr.L;
    o->tstate = ts;
    if (L->tstate.cframe != PYLAYOUT_NONE) {
        uintptr_t cf = pyread_u64(t, L->tstate.cframe);
        o->frame_slot = cf ? cf + L->cframe.current_frame : 0;
    } else {
        o->frame_slot = ts + L->tstate.current_frame;
    }
    o->stack_lo = pyread_u64(t, L->tstate.datastack_chunk);
    o->stack_hi = pyread_u64(t, L->tstate.datastack_top);
    o->tid = (uint32_t)pyread_u64(t, L->tstate.native_thread_id);
}

int pyread_thread_of(uintptr_t tstate, pyread_thread_t *out) {
    uint8_t t[PYREAD_TSTATE_MAX];   /* called by any thread, from its hooks too */
    uint32_t size = pr.L ? pr.L->tstate.size : 0;
    if (!tstate || !size || size > sizeof t || memread_copy(t, tstate, size) != 0) return -1;
    pyread_thread_fill(out, tstate, t);
    return 0;
}

/* Re-reads the thread states found last time and the head of the
 * interpreter INTERP's thread list, all in one system call, and checks that
 * they still form the whole chain from that head. */
static int pyread_threads_again(uintptr_t interp, pyread_thread_t *out, int n) {
    static uint8_t states[PYREAD_BATCH][PYREAD_TSTATE_MAX];
    struct iovec local[PYREAD_BATCH + 1], remote[PYREAD_BATCH + 1];
    const pylayout_t *L = pr.L;
    uintptr_t head = 0;
    size_t size = L->tstate.size;
    if (!interp || n <= 0 || n > PYREAD_BATCH || size > PYREAD_TSTATE_MAX) return -1;
    local[0] = (struct iovec){&head, sizeof head};
    remote[0] = (struct iovec){(void *)(interp + L->interp.threads_head), sizeof head};
    for (int i = 0; i < n; i++) {
        local[i + 1] = (struct iovec){states[i], size};
        remote[i + 1] = (struct iovec){(void *)out[i].tstate, size};
    }
    if (memread_vector(local, remote, n + 1) != (long)(sizeof head + (size_t)n * size) ||
        head != out[0].tstate)
        return -1;
    for (int i = 0; i < n; i++) {
        uintptr_t next = i + 1 < n ? out[i + 1].tstate : 0;
        if (pyread_u64(states[i], L->tstate.next) != next) return -1;
    }
    for (int i = 0; i < n; i++) pyread_thread_fill(&out[i], out[i].tstate, states[i]);
    return n;
}

int pyread_threads(pyread_thread_t *out, int n_prev, int max) {
    /* The main interpreter found last time: it lives as long as the
     * interpreter, and if it has gone the chain check fails and it is
     * looked up again. */
    static uintptr_t interp;
    static uint8_t t[PYREAD_TSTATE_MAX];
    const pylayout_t *L = pr.L;
    int again = pyread_threads_again(interp, out, n_prev);
    if (again >= 0) return again;
    uintptr_t ts = 0;
    interp = pyread_main_interp();
    if (!interp || L->tstate.size > sizeof t) return 0;
    if (memread_word(interp + L->interp.threads_head, &ts) != 0) return -1;
    int n = 0;
    while (ts && n < max) {
        if (memread_copy(t, ts, L->tstate.size) != 0) return -1;
        pyread_thread_fill(&out[n++], ts, t);
        uintptr_t next = pyread_u64(t, L->tstate.next);
        if (next == ts) return -1;
        ts = next;
    }
    return n;
}

/* The thread's current stack chunk, copied whole: most frames live there. */
static uint8_t pyread_chunk[PYREAD_CHUNK_MAX];
/* Frames outside it that the thread had last time (generators, coroutines),
 * read in the same system call: a chain of generators changes every few
 * hundred nanoseconds, and one read per frame gave it time to. */
#define PYREAD_HINTS 32
/* A frame found outside the current chunk and the hints is read with the
 * pages below it, up to this many: its callers are usually there (a frame
 * stack chunk holds frames in call order, callers below), so a deep stack
 * in older chunks costs a read per chunk, not one per frame. */
#define PYREAD_WINDOW_PAGES 5
#define PYREAD_PAGE 4096u
static uint8_t pyread_window[PYREAD_WINDOW_PAGES * PYREAD_PAGE];
/* Reads of a thread whose _PyCFrame changes under them before giving up. */
#define PYREAD_CFRAME_TRIES 6
static uint8_t pyread_hinted[PYREAD_HINTS][PYREAD_FRAME_MAX];

/* The one read a stack walk starts with: the innermost frame's pointer,
 * the frame stack and the hinted frames — and, where the innermost frame
 * is found through a _PyCFrame, the thread state's pointer to it, so that
 * the walk can tell whether the _PyCFrame it read is still the thread's.
 * (A _PyCFrame lives on the C stack; every generator resumed from C pushes
 * a new one. Read apart from the thread state, the old one held a frame the
 * thread had already left, often a suspended generator's.) */
/* Reads the FSIZE bytes at FRAME, and as many whole pages below it as are
 * mapped, into pyread_window: *LO..*HI is then what it holds (one system
 * call; the pages are asked for from the top down, so the read stops at the
 * first unmapped one below). -1 if FRAME itself cannot be read. */
static int pyread_window_fill(uintptr_t frame, size_t fsize, uintptr_t *lo, uintptr_t *hi) {
    struct iovec local[PYREAD_WINDOW_PAGES], remote[PYREAD_WINDOW_PAGES];
    uintptr_t top = (frame + fsize + PYREAD_PAGE - 1) & ~(uintptr_t)(PYREAD_PAGE - 1);
    uintptr_t base = top - sizeof pyread_window;
    if (top < sizeof pyread_window || frame < 4096) return -1;
    for (int i = 0; i < PYREAD_WINDOW_PAGES; i++) {
        uintptr_t page = top - (uintptr_t)(i + 1) * PYREAD_PAGE;
        local[i] = (struct iovec){pyread_window + (page - base), PYREAD_PAGE};
        remote[i] = (struct iovec){(void *)page, PYREAD_PAGE};
    }
    long got = memread_vector(local, remote, PYREAD_WINDOW_PAGES);
    if (got < (long)(top - frame)) return -1;
    *hi = top;
    *lo = top - ((uintptr_t)got / PYREAD_PAGE) * PYREAD_PAGE;
    return 0;
}

typedef struct pyread_start {
    uintptr_t cframe_now, frame, lo, hi;
    uintptr_t cframe_prev;        /* the _PyCFrame's own `previous` */
    int hints_ok;
} pyread_start_t;

static int pyread_start(const pyread_thread_t *t, uintptr_t slot, uintptr_t *hinted, int nhinted,
                        pyread_start_t *s) {
    const pylayout_t *L = pr.L;
    const size_t fsize = L->frame.size;
    /* the _PyCFrame check (2), the frame pointer, the hints, the chunk */
    struct iovec local[4 + PYREAD_HINTS], remote[4 + PYREAD_HINTS];
    int parts = 0, via_cframe = L->tstate.cframe != PYLAYOUT_NONE;
    s->lo = t->stack_lo;
    s->hi = t->stack_hi;
    s->cframe_now = s->frame = s->cframe_prev = 0;
    if (via_cframe) {
        local[parts] = (struct iovec){&s->cframe_now, sizeof s->cframe_now};
        remote[parts++] = (struct iovec){(void *)(t->tstate + L->tstate.cframe), sizeof s->cframe_now};
        local[parts] = (struct iovec){&s->cframe_prev, sizeof s->cframe_prev};
        remote[parts++] = (struct iovec){(void *)(slot - L->cframe.current_frame + L->cframe.previous),
                                         sizeof s->cframe_prev};
    }
    local[parts] = (struct iovec){&s->frame, sizeof s->frame};
    remote[parts++] = (struct iovec){(void *)slot, sizeof s->frame};
    size_t head = (size_t)parts * sizeof(uintptr_t);
    /* The hinted frames next, innermost first, and the chunk last: a fast
     * generator moves on within the time a long chunk takes to copy. */
    for (int i = 0; i < nhinted; i++) {
        local[parts] = (struct iovec){pyread_hinted[i], fsize};
        remote[parts++] = (struct iovec){(void *)hinted[i], fsize};
    }
    /* (plain reads take each frame where it is: no copy of the chunk) */
    int chunk = !memread_is_direct() && s->hi > s->lo && s->hi - s->lo <= PYREAD_CHUNK_MAX;
    if (chunk) {
        local[parts] = (struct iovec){pyread_chunk, s->hi - s->lo};
        remote[parts++] = (struct iovec){(void *)s->lo, s->hi - s->lo};
    }
    long got = memread_vector(local, remote, parts);
    if (got < (long)head) return -1;
    long rest = got - (long)head;
    long hinted_bytes = (long)((size_t)nhinted * fsize);
    if (!chunk || rest < hinted_bytes + (long)(s->hi - s->lo)) s->hi = s->lo = 0;
    s->hints_ok = (int)(rest / (long)fsize);
    if (s->hints_ok > nhinted) s->hints_ok = nhinted;
    return 0;
}

int pyread_stack(const pyread_thread_t *t, const pyread_frame_t *hint, int nhint,
                 pyread_frame_t *out, int max, int *more, int *cut) {
    const pylayout_t *L = pr.L;
    const size_t fsize = L->frame.size;
    uintptr_t hinted[PYREAD_HINTS];
    int nhinted = 0;
    *more = 0;
    *cut = 0;
    if (!t->frame_slot || fsize > PYREAD_FRAME_MAX) return 0;
    for (int i = nhint - 1; i >= 0 && nhinted < PYREAD_HINTS; i--) {   /* innermost first */
        uintptr_t a = hint[i].addr;
        if (a >= 4096 && !(a >= t->stack_lo && a < t->stack_hi)) hinted[nhinted++] = a;
    }
    /* The _PyCFrame the thread state pointed to when it was read is the
     * guess, and one that changed is the next guess. A guess below the
     * thread's current one (the C stack grows down: the thread has gone
     * deeper since) is taken after the last try: it is likely still the
     * thread's, holding the frame that called into C, but its slot may
     * have been popped and reused meanwhile, and what it leads to is then
     * torn (and read again by the caller). */
    pyread_start_t st;
    uintptr_t slot = t->frame_slot;
    for (int tries = 0;; tries++) {
        if (pyread_start(t, slot, hinted, nhinted, &st) != 0) return -1;
        if (L->tstate.cframe == PYLAYOUT_NONE || st.cframe_now + L->cframe.current_frame == slot) break;
        if (!st.cframe_now) return 0;
        if (tries == PYREAD_CFRAME_TRIES) {
            if (st.cframe_now + L->cframe.current_frame < slot) break;
            return -1;
        }
        slot = st.cframe_now + L->cframe.current_frame;
    }
    uintptr_t lo = st.lo, hi = st.hi, frame = st.frame;
    int hints_ok = st.hints_ok;
    int n = 0, steps = 0, generators = 0, relinked = 0;
    uint32_t owner = L->frame.owner_thread;
    uintptr_t win_lo = 0, win_hi = 0;
    /* No windows for plain copies: the pages below a frame may not be
     * mapped. And only after a frame of the thread's own stack: its caller
     * is in the stack's chunks, where the callers' callers are below it; a
     * generator's caller may be anywhere in the heap. */
    int windows = !memread_is_direct(), in_stack = 1;
    for (;;) {
        while (frame) {
            uint8_t buf[PYREAD_FRAME_MAX];
            const uint8_t *f = buf;
            int k = 0;
            while (k < hints_ok && hinted[k] != frame) k++;
            /* No `frame + fsize <= hi`: a torn pointer near the top of the
             * address space would wrap around and pass. */
            if (!windows && frame >= 4096)
                f = (const uint8_t *)frame;   /* plain reads: the frame itself, no copy */
            else if (frame >= lo && frame < hi && hi - frame >= fsize)
                f = pyread_chunk + (frame - lo);
            else if (k < hints_ok)
                f = pyread_hinted[k];
            else if (frame >= win_lo && frame < win_hi && win_hi - frame >= fsize)
                f = pyread_window + sizeof pyread_window - (win_hi - frame);
            else if (windows && in_stack && pyread_window_fill(frame, fsize, &win_lo, &win_hi) == 0)
                f = pyread_window + sizeof pyread_window - (win_hi - frame);
            else if (memread_copy(buf, frame, fsize) != 0) return -1;
            /* A chain longer than any real one is a cycle through torn links. */
            if (++steps > 4 * max + 64) return -1;
            owner = (uint8_t)f[L->frame.owner];
            in_stack = owner == L->frame.owner_thread || owner == L->frame.owner_cstack;
            uintptr_t code = pyread_u64(f, L->frame.code);
            uintptr_t prev = pyread_u64(f, L->frame.previous);
            if (prev == frame) return -1;
            if (owner == L->frame.owner_cstack || (code && code == pr.none)) {
                frame = prev;          /* an entry frame: no Python call of its own */
                continue;
            }
            if (!code) return -1;
            if (n == max) {
                *more = 1;
                return n;
            }
            out[n].addr = frame;
            out[n].code = code;
            out[n].instr = pyread_u64(f, L->frame.instr);
            out[n].generator = owner == L->frame.owner_generator;
            generators += out[n].generator;
            n++;
            frame = prev;
        }
        /* Where a generator resumed from C gets a _PyCFrame of its own and
         * no entry frame (3.11), the generator being resumed, caught before
         * the eval loop linked it to its caller (the new _PyCFrame is
         * published first), has as its caller the current frame of the
         * _PyCFrame below. */
        if (n > 0 && out[n - 1].generator && generators == 1 && !relinked && st.cframe_prev &&
            L->frame.owner_cstack == PYLAYOUT_NONE &&
            memread_word(st.cframe_prev + L->cframe.current_frame, &frame) == 0 && frame) {
            relinked = 1;
            owner = L->frame.owner_thread;
            continue;
        }
        break;
    }
    /* A thread's outermost frame is its own, or an entry frame (3.12+ put
     * one below every frame resumed from C, generators included). A chain
     * that stops at a generator's frame read it as the generator suspended
     * (clearing its link to its caller) or was resumed (before the link is
     * made again): its callers are missing. (On 3.11 a generator driven from
     * C in a thread with no Python frame has none; such a thread's samples
     * are dropped, and counted.) */
    *cut = n > 0 && owner != L->frame.owner_thread && owner != L->frame.owner_cstack;
    return n;
}

int pyread_index(const pyread_frame_t *f, const pyread_code_t *c) {
    intptr_t index = ((intptr_t)f->instr - (intptr_t)c->code_start) / (intptr_t)pr.L->code.unit;
    /* A frame that has not started yet (CPython's _PyFrame_IsIncomplete). */
    if (!f->generator && index < c->firsttraceable) return -1;
    if (index < 0) return 0;
    return index > (1 << 28) ? 0 : (int)index;
}

static int pyread_code_fill(uintptr_t code, const uint8_t *c, pyread_code_t *out) {
    const pylayout_t *L = pr.L;
    if (pyread_u64(c, L->object.type) != pr.code_type) return -1;
    out->firstlineno = pyread_i32(c, L->code.firstlineno);
    out->firsttraceable = pyread_i32(c, L->code.firsttraceable);
    out->code_start = code + L->code.code_adaptive;
    out->qualname = pyread_u64(c, L->code.qualname);
    out->filename = pyread_u64(c, L->code.filename);
    out->linetable = pyread_u64(c, L->code.linetable);
    return 0;
}

int pyread_codes(const uintptr_t *codes, int n, pyread_code_t *out, uint8_t *ok) {
    static uint8_t heads[PYREAD_BATCH][PYREAD_CODE_MAX];
    struct iovec local[PYREAD_BATCH], remote[PYREAD_BATCH];
    const size_t head = pr.L->code.code_adaptive;
    int good = 0;
    for (int i = 0; i < n; i++) ok[i] = 0;
    if (head > PYREAD_CODE_MAX) return 0;
    for (int base = 0; base < n;) {
        int k = n - base < PYREAD_BATCH ? n - base : PYREAD_BATCH;
        for (int j = 0; j < k; j++) {
            local[j] = (struct iovec){heads[j], head};
            remote[j] = (struct iovec){(void *)codes[base + j], head};
        }
        long got = memread_vector(local, remote, k);
        int whole = got > 0 ? (int)((size_t)got / head) : 0;
        for (int j = 0; j < whole; j++)
            if (pyread_code_fill(codes[base + j], heads[j], &out[base + j]) == 0) {
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

/* The size of the str head to read: enough for either form. */
static size_t pyread_str_head(void) {
    const pylayout_t *L = pr.L;
    return L->str.compact_size > L->str.ascii_size ? L->str.compact_size : L->str.ascii_size;
}

/* Where a str's characters are, from its head U at STR: *DATA, *CHARS
 * (at most PYREAD_STR_MAX are taken), *KIND. -1 if it is not a compact
 * (and, where the version has the flag, ready) str. */
static int pyread_string_layout(const uint8_t *u, uintptr_t str, uintptr_t *data, size_t *chars,
                                unsigned *kind) {
    const pylayout_t *L = pr.L;
    uint32_t state;
    memcpy(&state, u + L->str.state, sizeof state);
    int64_t length = (int64_t)pyread_u64(u, L->str.length);
    int compact = state >> L->str.compact_shift & 1, ascii = state >> L->str.ascii_shift & 1;
    int ready = L->str.ready_shift == PYLAYOUT_NONE || (state >> L->str.ready_shift & 1);
    if (!compact || !ready || length < 0) return -1;
    *kind = state >> L->str.kind_shift & ((1u << L->str.kind_bits) - 1);
    if (*kind != 1 && *kind != 2 && *kind != 4) return -1;
    *data = str + (ascii ? L->str.ascii_size : L->str.compact_size);
    *chars = (size_t)length < PYREAD_STR_MAX ? (size_t)length : PYREAD_STR_MAX;
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
    uint8_t u[128];
    uintptr_t data;
    size_t chars, head = pyread_str_head();
    unsigned kind;
    if (cap == 0 || head > sizeof u || memread_copy(u, str, head) != 0) return -1;
    if (pyread_string_layout(u, str, &data, &chars, &kind) != 0) return -1;
    uint8_t raw[PYREAD_STR_MAX * 4];
    if (chars && memread_copy(raw, data, chars * kind) != 0) return -1;
    return pyread_string_decode(raw, chars, kind, buf, cap);
}

long pyread_bytes_len(uintptr_t bytes) {
    int64_t len;
    if (memread_copy(&len, bytes + pr.L->bytes.size, sizeof len) != 0 || len < 0) return -1;
    return (long)len;
}

int pyread_bytes(uintptr_t bytes, uint8_t *buf, size_t cap) {
    long len = pyread_bytes_len(bytes);
    if (len < 0 || (size_t)len > cap) return -1;
    if (len && memread_copy(buf, bytes + pr.L->bytes.sval, (size_t)len) != 0) return -1;
    return (int)len;
}

/* The str at STR from WIN, the GOT bytes read from STR on (0: none); or,
 * if its head or characters lie beyond them, read on its own. */
static int pyread_string_in(const uint8_t *win, size_t got, uintptr_t str, char *buf, size_t cap) {
    uintptr_t data;
    size_t chars;
    unsigned kind;
    if (cap == 0 || got < pyread_str_head()) return pyread_string(str, buf, cap);
    if (pyread_string_layout(win, str, &data, &chars, &kind) != 0) return -1;
    size_t off = (size_t)(data - str);
    if (off + chars * kind > got) return pyread_string(str, buf, cap);
    return pyread_string_decode(win + off, chars, kind, buf, cap);
}

/* The bytes object at BYTES from WIN, likewise (as pyread_bytes). */
static int pyread_bytes_in(const uint8_t *win, size_t got, uintptr_t bytes, uint8_t *buf, size_t cap) {
    const size_t head = pr.L->bytes.sval;
    if (got < head) return pyread_bytes(bytes, buf, cap);
    int64_t len = (int64_t)pyread_u64(win, pr.L->bytes.size);
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

/* 1 if the str at STR is exactly the ASCII text WANT. */
static int pyread_str_is(uintptr_t str, const char *want) {
    char buf[64];
    int n = str ? pyread_string(str, buf, sizeof buf) : -1;
    return n == (int)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

/* The value stored under the str key NAME in the dict keys object KEYS: in
 * its own entries (VALUES 0, a combined table) or at the same index of the
 * values array VALUES (a split table). 0 if absent or unreadable. */
static uintptr_t pyread_keys_lookup(uintptr_t keys, uintptr_t values, const char *name) {
    const pylayout_t *L = pr.L;
    uint8_t head[128];
    if (!keys || L->keys.indices > sizeof head || memread_copy(head, keys, L->keys.indices) != 0) return 0;
    int64_t nentries = (int64_t)pyread_u64(head, L->keys.nentries);
    unsigned log2_index_bytes = head[L->keys.log2_index_bytes];
    int general = head[L->keys.kind] == L->keys.kind_general;
    if (nentries <= 0 || nentries > PYREAD_ATTR_MAX || log2_index_bytes > 40) return 0;
    size_t esize = general ? L->keys.general_entry_size : L->keys.unicode_entry_size;
    uint32_t kofs = general ? L->keys.general_key : L->keys.unicode_key;
    uint32_t vofs = general ? L->keys.general_value : L->keys.unicode_value;
    static uint8_t entries[PYREAD_ATTR_MAX * 32];
    if (esize > 32) return 0;
    uintptr_t first = keys + L->keys.indices + ((uintptr_t)1 << log2_index_bytes);
    if (memread_copy(entries, first, (size_t)nentries * esize) != 0) return 0;
    for (int64_t i = 0; i < nentries; i++) {
        const uint8_t *e = entries + (size_t)i * esize;
        if (!pyread_str_is(pyread_u64(e, kofs), name)) continue;
        if (!values) return pyread_u64(e, vofs);
        uintptr_t v = 0;
        memread_word(values + L->values.array + (uintptr_t)i * sizeof(uintptr_t), &v);
        return v;
    }
    return 0;
}

/* The attribute NAME of the managed-dict instance OBJ, or 0. */
static uintptr_t pyread_attr(uintptr_t obj, const char *name) {
    const pylayout_t *L = pr.L;
    uintptr_t type = 0, flags = 0, basicsize = 0, values = 0, dict = 0, keys = 0;
    if (memread_word(obj + L->object.type, &type) != 0 || !type ||
        memread_word(type + L->type.flags, &flags) != 0 || !(flags & L->type.flag_managed_dict) ||
        memread_word(type + L->type.basicsize, &basicsize) != 0)
        return 0;
    uintptr_t slot = 0;
    memread_word(obj + (intptr_t)L->instance.managed_dict, &slot);
    switch (L->instance.scheme) {
    case PYLAYOUT_VALUES_BEFORE:
        memread_word(obj + (intptr_t)L->instance.values_pointer, &values);
        dict = slot;
        break;
    case PYLAYOUT_VALUES_TAGGED:
        if (slot & 1) values = slot + 1;
        else dict = slot;
        break;
    case PYLAYOUT_VALUES_INLINE:
        dict = slot;
        if (!dict && (flags & L->instance.flag_inline_values)) {
            uint8_t valid = 0;
            values = obj + basicsize;
            if (memread_copy(&valid, values + L->values.valid, 1) != 0 || !valid) values = 0;
        }
        break;
    default:
        return 0;
    }
    if (values) {
        if (memread_word(type + L->type.cached_keys, &keys) != 0) return 0;
        return pyread_keys_lookup(keys, values, name);
    }
    if (!dict || memread_word(dict + L->dict.keys, &keys) != 0 ||
        memread_word(dict + L->dict.values, &values) != 0)
        return 0;
    return pyread_keys_lookup(keys, values, name);
}

int pyread_thread_name(const pyread_frame_t *frame, char *buf, size_t cap) {
    const pylayout_t *L = pr.L;
    pyread_code_t c;
    uint8_t ok = 0;
    uintptr_t self = 0;
    if (!L || pyread_codes(&frame->code, 1, &c, &ok) != 1 || !pyread_str_is(c.qualname, "Thread._bootstrap"))
        return -1;
    if (memread_word(frame->addr + L->frame.size, &self) != 0 || !self) return -1;
    uintptr_t name = pyread_attr(self, "_name");
    return name ? pyread_string(name, buf, cap) : -1;
}
