/* pylayout.h — the layout facts of each CPython version the agent reads:
 * field offsets, sizes, frame-owner values, where the GIL lives, how an
 * instance keeps its attributes. One row per minor version, generated from
 * that interpreter's own headers by tools/pylayout.py into pylayout_rows.h
 * (checked against every installed interpreter by `make test`), and chosen
 * at run time from the running interpreter's Py_Version. The reader
 * (pyread.c) only ever sees a row, never a version number.
 *
 * On interpreters that carry _PyRuntime.debug_offsets (3.13 and later) the
 * row also says where each field it shares with them sits in them, and
 * pylayout_verify compares the two: a row and an interpreter that disagree
 * on any field are not used. */
#ifndef RADIOGRAPH_PYLAYOUT_H
#define RADIOGRAPH_PYLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define PYLAYOUT_NONE UINT32_MAX          /* no such field in this version */
#define PYLAYOUT_NO_OFFSET INT32_MIN      /* likewise, for signed offsets */

/* A field of _Py_DebugOffsets, AT bytes into it, must hold WANT. */
typedef struct pylayout_check {
    uint32_t at;
    uint64_t want;
} pylayout_check_t;

/* How a managed-dict instance keeps its attributes (instance.scheme). */
enum {
    PYLAYOUT_VALUES_BEFORE = 1,   /* a values pointer and a dict pointer before the object */
    PYLAYOUT_VALUES_TAGGED = 2,   /* one word before it: a dict, or values tagged with bit 0 */
    PYLAYOUT_VALUES_INLINE = 3,   /* values after tp_basicsize, with a `valid` byte */
};

typedef struct pylayout {
    uint32_t version;             /* major.minor, as PY_VERSION_HEX & 0xFFFF0000 */
    const char *tag;              /* the interpreter the row was generated from */
    struct {                      /* _PyRuntimeState */
        uint32_t initialized, main_interp;
        uint32_t tss_initialized; /* the thread-state key exists (PyGILState_* usable) */
        uint32_t gil;             /* the GIL's state, if it lives here */
        uint32_t debug_offsets;
    } runtime;
    struct {                      /* PyInterpreterState */
        uint32_t threads_head;
        uint32_t gil_ptr;         /* pointer to the GIL's state, if it lives elsewhere */
    } interp;
    struct {                      /* PyThreadState */
        uint32_t size, next, native_thread_id, datastack_chunk, datastack_top;
        uint32_t cframe;          /* pointer to a _PyCFrame holding the current frame, or */
        uint32_t current_frame;   /* the current frame itself */
    } tstate;
    struct {                      /* _PyCFrame: one per entry of the eval loop, on the C stack */
        uint32_t current_frame, previous;
    } cframe;
    struct {                      /* _PyInterpreterFrame */
        uint32_t size;            /* up to localsplus */
        uint32_t previous, owner, code, instr;
        uint32_t owner_thread, owner_generator, owner_cstack;
    } frame;
    struct {                      /* PyCodeObject */
        uint32_t firstlineno, firsttraceable, qualname, filename, linetable, code_adaptive;
        uint32_t unit;            /* sizeof(_Py_CODEUNIT) */
    } code;
    struct {
        uint32_t type;
    } object;
    struct {                      /* PyTypeObject, PyHeapTypeObject */
        uint32_t flags, basicsize, cached_keys, flag_managed_dict;
    } type;
    struct {                      /* PyASCIIObject: state bit positions */
        uint32_t state, length, ascii_size, compact_size;
        uint32_t kind_shift, kind_bits, compact_shift, ascii_shift, ready_shift;
    } str;
    struct {
        uint32_t size, sval;
    } bytes;
    struct {
        uint32_t keys, values;
    } dict;
    struct {                      /* PyDictKeysObject and its entries */
        uint32_t log2_index_bytes, kind, nentries, indices, kind_general;
        uint32_t unicode_entry_size, unicode_key, unicode_value;
        uint32_t general_entry_size, general_key, general_value;
    } keys;
    struct {                      /* PyDictValues */
        uint32_t array, valid;
    } values;
    struct {
        uint32_t scheme;          /* PYLAYOUT_VALUES_* */
        int32_t managed_dict, values_pointer;   /* from the object's address */
        uint32_t flag_inline_values;
    } instance;
    struct {                      /* _Py_DebugOffsets */
        uint32_t cookie, version, free_threaded;
    } debug;
    struct {                      /* what the interpreter does that the agent must allow for */
        uint32_t fork_counts_threads;   /* os.fork() counts OS threads after fork, and warns */
    } behaviour;
    uint32_t gil_size;
    const pylayout_check_t *checks;
    uint32_t nchecks;
} pylayout_t;

/* The row for the interpreter whose Py_Version is PY_VERSION, or NULL. */
const pylayout_t *pylayout_find(uint32_t py_version);

/* Compares ROW with what the running interpreter, whose _PyRuntime is at
 * RUNTIME, says of itself in its debug offsets (a no-op where the row has
 * none). Returns 0 if they agree; else -1 with a clause in WHY (CAP bytes)
 * that follows "runs Python 3.13.0, ": "a free-threaded build", "whose
 * debug offsets disagree...". Reads only the interpreter's static data. */
int pylayout_verify(const pylayout_t *row, uintptr_t runtime, uint32_t py_version, char *why,
                    size_t cap);

/* The versions the agent reads, for messages: "3.11, 3.12 and 3.13". */
const char *pylayout_supported(void);

#endif
