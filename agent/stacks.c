/* stacks.c — see stacks.h. */
#include "stacks.h"

#include "arena.h"
#include "htab.h"
#include "linetable.h"
#include "memread.h"
#include "rawfmt.h"
#include "rawwrite.h"

#include <pthread.h>
#include <string.h>

#define STACKS_MAX_STRINGS (1u << 20)
#define STACKS_MAX_CODES (1u << 20)
#define STACKS_MAX_FRAMES (1u << 21)
#define STACKS_MAX_NODES (1u << 22)
#define STACKS_MAX_LINETABLE (1u << 16)       /* read with the code object's names */
#define STACKS_MAX_LONG_LINETABLE (8u << 20)  /* a longer one is read on its own */

typedef struct stacks_code {
    pyread_code_t snap;        /* fields as they were when first seen */
    uint32_t name, file;       /* string ids */
    uint32_t table_len;
    uint8_t *table;            /* copy of co_linetable */
} stacks_code_t;

static struct {
    htab_t strings;            /* (hash, len) -> string id */
    htab_t codes;              /* (address, 1) -> stacks_code_t * */
    htab_t frames;             /* (name<<32 | file, line) -> frame id */
    htab_t nodes;              /* (parent, frame) -> stack id */
    htab_t sites;              /* (stacks_code_t *, code unit) -> frame id */
    uint32_t next_string, next_frame, next_stack;
    uint32_t truncated_frame;
} st;

static pthread_mutex_t stacks_mutex = PTHREAD_MUTEX_INITIALIZER;

void stacks_lock(void) {
    pthread_mutex_lock(&stacks_mutex);
}

void stacks_unlock(void) {
    pthread_mutex_unlock(&stacks_mutex);
}

void stacks_reset(void) {
    pthread_mutex_init(&stacks_mutex, NULL);
    htab_free(&st.strings);
    htab_free(&st.codes);
    htab_free(&st.frames);
    htab_free(&st.nodes);
    htab_free(&st.sites);
    arena_reset();
    memset(&st, 0, sizeof st);
    htab_init(&st.strings, STACKS_MAX_STRINGS);
    htab_init(&st.codes, STACKS_MAX_CODES);
    htab_init(&st.frames, STACKS_MAX_FRAMES);
    htab_init(&st.nodes, STACKS_MAX_NODES);
    htab_init(&st.sites, STACKS_MAX_FRAMES);
}

static uint32_t stacks_string(const char *s, size_t len) {
    int created;
    uint64_t *v = htab_upsert(&st.strings, htab_hash_bytes(s, len), len, &created);
    if (!v) return 0;
    if (created || !*v) {           /* 0: an earlier write failed, try again */
        uint32_t id = st.next_string + 1;
        if (rawwrite_record(RAW_STRING, &id, sizeof id, s, len) != 0) return 0;
        st.next_string = id;
        *v = id;
    }
    return (uint32_t)*v;
}

static uint32_t stacks_frame(uint32_t name, uint32_t file, uint32_t line) {
    int created;
    uint64_t *v = htab_upsert(&st.frames, (uint64_t)name << 32 | file, line, &created);
    if (!v) return 0;
    if (created || !*v) {
        raw_frame_t f = {st.next_frame + 1, name, file, line};
        if (rawwrite_record(RAW_FRAME, &f, sizeof f, NULL, 0) != 0) return 0;
        st.next_frame = f.id;
        *v = f.id;
    }
    return (uint32_t)*v;
}

/* A frame with no code object (a label such as "[truncated]"); 0 on failure. */
static uint32_t stacks_label_frame(const char *label) {
    uint32_t name = stacks_string(label, strlen(label));
    return name ? stacks_frame(name, 0, 0) : 0;
}

static int stacks_same_code(const pyread_code_t *a, const pyread_code_t *b) {
    return a->firstlineno == b->firstlineno && a->qualname == b->qualname &&
           a->filename == b->filename && a->linetable == b->linetable &&
           a->code_start == b->code_start;
}

/* The cached description of the code object at ADDR, or NULL if it cannot
 * be read (the sample is torn). */
static stacks_code_t *stacks_code(uintptr_t addr, const pyread_code_t *nowp) {
    pyread_code_t now = *nowp;
    int created;
    uint64_t *v = htab_upsert(&st.codes, addr, 1, &created);
    if (!v) return NULL;
    stacks_code_t *c = (stacks_code_t *)(uintptr_t)*v;
    if (c && stacks_same_code(&c->snap, &now)) return c;
    /* New, or a different code object now lives at this address. */
    stacks_code_t fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.snap = now;
    static char name[1024], file[1024];
    static uint8_t table[STACKS_MAX_LINETABLE];
    int lens[3];
    pyread_code_texts(&now, name, sizeof name, file, sizeof file, table, sizeof table, lens);
    if (lens[0] < 0 || lens[1] < 0) return NULL;
    fresh.name = stacks_string(name, (size_t)lens[0]);
    fresh.file = stacks_string(file, (size_t)lens[1]);
    if (!fresh.name || !fresh.file) return NULL;
    int len = lens[2];
    if (len > 0) {
        fresh.table = arena_alloc((size_t)len);
        if (fresh.table) {
            memcpy(fresh.table, table, (size_t)len);
            fresh.table_len = (uint32_t)len;
        }
    } else if (len < 0) {
        /* Longer than the buffer (a function of many thousand lines):
         * straight into the arena, to its exact length. */
        long need = pyread_bytes_len(now.linetable);
        uint8_t *big = need > 0 && need <= (long)STACKS_MAX_LONG_LINETABLE ? arena_alloc((size_t)need) : NULL;
        if (big && pyread_bytes(now.linetable, big, (size_t)need) == need) {
            fresh.table = big;
            fresh.table_len = (uint32_t)need;
        }
    }
    /* Always a new entry: the sites table holds pointers to the old one. */
    c = arena_alloc(sizeof *c);
    if (!c) return NULL;
    *v = (uint64_t)(uintptr_t)c;
    *c = fresh;
    return c;
}

static int64_t stacks_push(uint32_t parent, uint32_t frame) {
    int created;
    uint64_t *v = htab_upsert(&st.nodes, parent, frame, &created);
    if (!v) return -1;
    if (created || !*v) {
        raw_stack_t s = {st.next_stack + 1, parent, frame};
        if (rawwrite_record(RAW_STACK, &s, sizeof s, NULL, 0) != 0) return -1;
        st.next_stack = s.id;
        *v = s.id;
    }
    return (int64_t)*v;
}

/* The frame id of code C at code unit INDEX (line table decoded once). */
static uint32_t stacks_site(stacks_code_t *c, int index) {
    int created;
    uint64_t *v = htab_upsert(&st.sites, (uint64_t)(uintptr_t)c, (uint64_t)index + 1, &created);
    if (v && !created && *v) return (uint32_t)*v;
    int line = linetable_line_near(c->table, c->table_len, c->snap.firstlineno, index);
    uint32_t f = stacks_frame(c->name, c->file, line > 0 ? (uint32_t)line : 0);
    if (v) *v = f;
    return f;
}

static int stacks_same_frame(const pyread_frame_t *a, const pyread_frame_t *b) {
    return a->addr == b->addr && a->code == b->code && a->instr == b->instr;
}

static void stacks_remember(stacks_cache_t *cache, const pyread_frame_t *frames, int n,
                            const uint32_t *ids, int depth_ok) {
    if (!cache) return;
    if (n > cache->cap) {
        int cap = cache->cap ? cache->cap : 64;
        while (cap < n) cap *= 2;     /* doubling: the arena never takes it back */
        pyread_frame_t *f = arena_alloc((size_t)cap * sizeof *f);
        uint32_t *i = arena_alloc((size_t)cap * sizeof *i);
        if (!f || !i) {
            cache->n = 0;
            return;
        }
        cache->frames = f;
        cache->ids = i;
        cache->cap = cap;
    }
    for (int k = 0; k < n; k++) {
        cache->frames[k] = frames[n - 1 - k];
        cache->ids[k] = ids[k];
    }
    cache->n = depth_ok ? n : 0;
}

int64_t stacks_intern(stacks_cache_t *cache, const pyread_frame_t *frames, int n, int truncated,
                      int own) {
    static uint32_t ids[STACKS_MAX_DEPTH];      /* root first: stack id per depth */
    static uintptr_t addrs[STACKS_MAX_DEPTH];
    static pyread_code_t now[STACKS_MAX_DEPTH];
    static uint8_t ok[STACKS_MAX_DEPTH];
    if (n > STACKS_MAX_DEPTH) n = STACKS_MAX_DEPTH;
    /* The outer frames this thread had at its last sample keep their ids. */
    int same = 0;
    if (cache && !truncated) {
        while (same < n && same < cache->n && stacks_same_frame(&frames[n - 1 - same], &cache->frames[same]))
            same++;
        for (int k = 0; k < same; k++) ids[k] = cache->ids[k];
    }
    /* The other code objects are re-read (one system call for all) and
     * checked against their cached snapshots. */
    int fresh = n - same;
    for (int i = 0; i < fresh; i++) addrs[i] = frames[i].code;
    if (own) memread_direct(1);
    int got = fresh ? pyread_codes(addrs, fresh, now, ok) : 0;
    if (own) memread_direct(0);
    if (got != fresh) return -1;
    uint32_t parent = same ? ids[same - 1] : 0;
    if (truncated && !same) {
        if (!st.truncated_frame) st.truncated_frame = stacks_label_frame("[truncated]");
        int64_t s = stacks_push(0, st.truncated_frame);
        if (s < 0) return -1;
        parent = (uint32_t)s;
    }
    /* Frames that have not started yet are skipped: they keep their
     * parent's id, so ids[] stays one per frame. */
    for (int i = fresh - 1; i >= 0; i--) {
        int depth = n - 1 - i;
        stacks_code_t *c = stacks_code(frames[i].code, &now[i]);
        if (!c) return -1;
        int index = pyread_index(&frames[i], &c->snap);
        if (index >= 0) {
            uint32_t f = stacks_site(c, index);
            if (!f) return -1;
            int64_t s = stacks_push(parent, f);
            if (s < 0) return -1;
            parent = (uint32_t)s;
        }
        ids[depth] = parent;
    }
    stacks_remember(cache, frames, n, ids, !truncated);
    return parent;
}
