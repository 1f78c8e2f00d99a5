/* pyread.h — reading a running CPython's threads and frames from the
 * outside, without the GIL. The one interface over the version-specific
 * layouts: py311.c implements it for CPython 3.11 (a 3.12 or 3.13 file
 * implements the same functions, and meson picks the one matching the
 * headers the agent is built against).
 *
 * Every function reads through memread, so a stale pointer yields an error,
 * never a fault. Nothing here allocates. */
#ifndef RADIOGRAPH_PYREAD_H
#define RADIOGRAPH_PYREAD_H

#include <stddef.h>
#include <stdint.h>

#define PYREAD_MAX_THREADS 1024

typedef struct pyread_thread {
    uintptr_t tstate;
    uintptr_t cframe;         /* where the innermost frame's pointer lives */
    uintptr_t stack_lo, stack_hi;  /* the thread's frame stack in use */
    uint32_t tid;             /* native thread id */
} pyread_thread_t;

typedef struct pyread_frame {
    uintptr_t addr;           /* the frame's own address */
    uintptr_t code;           /* code object address */
    uintptr_t instr;          /* the interpreter's instruction pointer */
    int generator;            /* owned by a generator/coroutine */
} pyread_frame_t;

typedef struct pyread_code {
    int firstlineno;
    int firsttraceable;       /* index of the first traceable instruction */
    uintptr_t code_start;     /* address of the first code unit */
    uintptr_t qualname;       /* str object */
    uintptr_t filename;       /* str object */
    uintptr_t linetable;      /* bytes object */
} pyread_code_t;

/* The PY_VERSION_HEX major.minor this reader was built for. */
uint32_t pyread_built_version(void);

/* Prepares the reader for the interpreter whose _PyRuntime is at RUNTIME and
 * whose code type object is at CODE_TYPE. Returns 0. */
int pyread_init(uintptr_t runtime, uintptr_t code_type);

/* The address range of the GIL's state (its mutex and condition variables):
 * a futex wait inside it is a wait for the GIL. */
void pyread_gil_range(uintptr_t *lo, uintptr_t *hi);

/* 1 once the runtime has an initialised main interpreter. */
int pyread_ready(void);

/* Lists the main interpreter's thread states into OUT (at most MAX).
 * OUT/N_PREV may hold the previous call's answer: if the chain is unchanged
 * it is re-validated with a single read of all thread states at once.
 * Returns the count, or -1 on a torn read. */
int pyread_threads(pyread_thread_t *out, int n_prev, int max);

/* Reads the thread state at TSTATE (e.g. the calling thread's own) into
 * OUT. Returns 0 or -1. */
int pyread_thread_of(uintptr_t tstate, pyread_thread_t *out);

/* Not thread-safe: pyread_stack and pyread_codes share buffers; callers
 * hold stacks_lock. */

/* Walks thread T's frame chain, innermost first, into OUT (at most MAX).
 * The frames in the thread's current stack chunk are copied with one read;
 * others (generators, older chunks) one read each. Returns the depth read;
 * *MORE is set to 1 if the chain went on past MAX. Returns -1 on a torn read
 * (a stale pointer). */
int pyread_stack(const pyread_thread_t *t, pyread_frame_t *out, int max, int *more);

/* Reads N code objects at once (one system call for all). OK[i] is set to 1
 * where OUT[i] was read and is a code object. Returns the number read. */
int pyread_codes(const uintptr_t *codes, int n, pyread_code_t *out, uint8_t *ok);

/* The code unit index of frame F's current instruction given its code C, or
 * -1 if the frame has not started executing yet (skip it). */
int pyread_index(const pyread_frame_t *f, const pyread_code_t *c);

/* Copies a str object as UTF-8 into BUF (CAP bytes, NUL-terminated,
 * truncated at a character boundary). Returns the length, or -1. */
int pyread_string(uintptr_t str, char *buf, size_t cap);

/* Copies a bytes object's contents into BUF (at most CAP bytes). Returns the
 * length copied, or -1 (unreadable or longer than CAP). */
int pyread_bytes(uintptr_t bytes, uint8_t *buf, size_t cap);

/* What a code object C seen for the first time needs read: its qualname and
 * file name (as pyread_string, into NAME and FILE) and its line table (as
 * pyread_bytes, into TABLE). One system call for the three when each fits
 * in a window read from its start (the common case); else each on its own.
 * LENS gets the three lengths, -1 where a read failed. Returns 0. */
int pyread_code_texts(const pyread_code_t *c, char *name, size_t name_cap, char *file,
                      size_t file_cap, uint8_t *table, size_t table_cap, int lens[3]);

#endif
