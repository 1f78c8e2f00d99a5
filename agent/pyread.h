/* pyread.h — reading a running CPython's threads and frames from the
 * outside, without the GIL. One reader for every supported version: what
 * differs between versions is data, a pylayout_t row (pylayout.h) given to
 * pyread_init; the functions below answer in terms of capabilities ("where
 * is the innermost frame", "is this an entry frame") and never look at a
 * version number.
 *
 * Every function reads through memread, so a stale pointer yields an error,
 * never a fault. Nothing here allocates. */
#ifndef RADIOGRAPH_PYREAD_H
#define RADIOGRAPH_PYREAD_H

#include "pylayout.h"

#include <stddef.h>
#include <stdint.h>

#define PYREAD_MAX_THREADS 1024

typedef struct pyread_thread {
    uintptr_t tstate;
    uintptr_t frame_slot;     /* where the innermost frame's pointer lives */
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

/* Prepares the reader for the interpreter described by ROW whose _PyRuntime
 * is at RUNTIME, code type object at CODE_TYPE and None at NONE. Returns 0. */
int pyread_init(const pylayout_t *row, uintptr_t runtime, uintptr_t code_type, uintptr_t none);

/* The address range of the GIL's state (its mutex and condition variables):
 * a futex wait inside it is a wait for the GIL. Known once pyread_ready()
 * has said yes; before, an empty range. */
void pyread_gil_range(uintptr_t *lo, uintptr_t *hi);

/* 1 once the runtime has an initialised main interpreter. */
int pyread_ready(void);

/* 1 once the interpreter's thread-state key exists, so that
 * PyGILState_GetThisThreadState may be called (long before the runtime is
 * fully initialised: the importlib bootstrap already runs Python code). A
 * plain read of the interpreter's static data: cheap enough for a hook. */
int pyread_hooks_ready(void);

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

/* Walks thread T's frame chain, innermost first, into OUT (at most MAX);
 * entry frames (the interpreter's marks where C code entered it) are left
 * out. The frames in the thread's current stack chunk are copied with one
 * read, together with the frames HINT[0..NHINT) names outside it (the
 * thread's frames at its last sample: generators' frames stay where they
 * are); others one read each. Returns the depth
 * read; *MORE is set to 1 if the chain went on past MAX. *CUT is set to 1
 * if the chain ended at a frame that cannot be a thread's outermost one (a
 * generator's, whose link to its caller was cleared as it suspended while
 * being read): the stack is then missing its callers. Returns -1 on a torn
 * read (a stale pointer). */
int pyread_stack(const pyread_thread_t *t, const pyread_frame_t *hint, int nhint,
                 pyread_frame_t *out, int max, int *more, int *cut);

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

/* The length of a bytes object, or -1 if it cannot be read. */
long pyread_bytes_len(uintptr_t bytes);

/* What a code object C seen for the first time needs read: its qualname and
 * file name (as pyread_string, into NAME and FILE) and its line table (as
 * pyread_bytes, into TABLE). One system call for the three when each fits
 * in a window read from its start (the common case); else each on its own.
 * LENS gets the three lengths, -1 where a read failed. Returns 0. */
int pyread_code_texts(const pyread_code_t *c, char *name, size_t name_cap, char *file,
                      size_t file_cap, uint8_t *table, size_t table_cap, int lens[3]);

/* The name of the threading.Thread whose bootstrap frame (the outermost
 * frame of a thread started by `threading`: Thread._bootstrap, whose first
 * local is the Thread) is FRAME with code CODE: its `_name` attribute, read
 * from the instance's attribute storage, as UTF-8 into BUF. Returns the
 * length, or -1 if FRAME is not such a frame or anything cannot be read. */
int pyread_thread_name(const pyread_frame_t *frame, char *buf, size_t cap);

#endif
