/* ends.c — see ends.h. The queue is Vyukov's bounded MPMC ring (one
 * consumer here): a producer claims a slot with a compare-and-swap and
 * publishes it with its sequence number, so a signal handler that
 * interrupts another producer only finds the next slot; when the ring is
 * full an event is dropped (and counted in no figure: the report then says
 * it does not know how that process ended). */
#include "ends.h"

#include "clock.h"
#include "memtrack.h"
#include "rawfmt.h"
#include "rawwrite.h"
#include "treepeak.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define ENDS_HOOK __attribute__((visibility("default")))
#define ENDS_QUEUE 1024u              /* events between two flushes (at most a second) */

typedef struct ends_slot {
    _Atomic uint32_t seq;
    uint16_t type;                 /* RAW_CHILD_END or RAW_SIGNAL_SENT */
    union {
        raw_child_end_t end;
        raw_signal_sent_t sent;
    } u;
} ends_slot_t;

static struct {
    pid_t (*waitpid)(pid_t, int *, int);
    pid_t (*wait)(int *);
    pid_t (*wait3)(int *, int, struct rusage *);
    pid_t (*wait4)(pid_t, int *, int, struct rusage *);
    int (*waitid)(idtype_t, id_t, siginfo_t *, int);
    int (*kill)(pid_t, int);
} real;

static _Atomic int ends_on;
static _Atomic uint32_t ends_head;
static uint32_t ends_tail;         /* the consumer's (the sampler's) */
static ends_slot_t ends_q[ENDS_QUEUE];

static void ends_reset(void) {
    for (uint32_t i = 0; i < ENDS_QUEUE; i++) atomic_store(&ends_q[i].seq, i);
    atomic_store(&ends_head, 0);
    ends_tail = 0;
}

void ends_resolve(void) {
    real.waitpid = dlsym(RTLD_NEXT, "waitpid");
    real.wait = dlsym(RTLD_NEXT, "wait");
    real.wait3 = dlsym(RTLD_NEXT, "wait3");
    real.wait4 = dlsym(RTLD_NEXT, "wait4");
    real.waitid = dlsym(RTLD_NEXT, "waitid");
    real.kill = dlsym(RTLD_NEXT, "kill");
}

void ends_start(void) {
    ends_reset();
    atomic_store(&ends_on, 1);
}

void ends_stop(void) {
    atomic_store(&ends_on, 0);
}

void ends_fork_child(void) {
    ends_reset();
}

/* Queues one event; the payload is filled by FILL. */
static void ends_push(uint16_t type, const void *payload, size_t len) {
    uint32_t pos = atomic_load_explicit(&ends_head, memory_order_relaxed);
    ends_slot_t *s;
    for (;;) {
        s = &ends_q[pos % ENDS_QUEUE];
        uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        int32_t diff = (int32_t)(seq - pos);
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&ends_head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (diff < 0) {
            return;                /* full */
        } else {
            pos = atomic_load_explicit(&ends_head, memory_order_relaxed);
        }
    }
    s->type = type;
    memcpy(&s->u, payload, len);
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
}

void ends_flush(void) {
    for (;;) {
        ends_slot_t *s = &ends_q[ends_tail % ENDS_QUEUE];
        if (atomic_load_explicit(&s->seq, memory_order_acquire) != ends_tail + 1) return;
        rawwrite_record(s->type, &s->u, s->type == RAW_CHILD_END ? sizeof s->u.end : sizeof s->u.sent,
                        NULL, 0);
        atomic_store_explicit(&s->seq, ends_tail + ENDS_QUEUE, memory_order_release);
        ends_tail++;
    }
}

/* Child PID was reaped with wait status STATUS. */
static void ends_reaped(pid_t pid, int status) {
    if (pid <= 0 || !atomic_load_explicit(&ends_on, memory_order_relaxed)) return;
    if (!WIFEXITED(status) && !WIFSIGNALED(status)) return;   /* stopped, continued */
    int e = errno;
    treepeak_gone((uint32_t)pid);
    raw_child_end_t ev = {clock_ns(CLOCK_MONOTONIC), (uint32_t)pid, status, 0};
    ends_push(RAW_CHILD_END, &ev, sizeof ev);
    errno = e;
}

ENDS_HOOK pid_t waitpid(pid_t pid, int *status, int options) {
    int mine = 0, *st = status ? status : &mine;
    pid_t r = real.waitpid ? real.waitpid(pid, st, options)
                           : (pid_t)syscall(SYS_wait4, pid, st, options, NULL);
    if (r > 0) ends_reaped(r, *st);
    return r;
}

ENDS_HOOK pid_t wait(int *status) {
    int mine = 0, *st = status ? status : &mine;
    pid_t r = real.wait ? real.wait(st) : (pid_t)syscall(SYS_wait4, -1, st, 0, NULL);
    if (r > 0) ends_reaped(r, *st);
    return r;
}

ENDS_HOOK pid_t wait3(int *status, int options, struct rusage *ru) {
    int mine = 0, *st = status ? status : &mine;
    pid_t r = real.wait3 ? real.wait3(st, options, ru) : (pid_t)syscall(SYS_wait4, -1, st, options, ru);
    if (r > 0) ends_reaped(r, *st);
    return r;
}

ENDS_HOOK pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru) {
    int mine = 0, *st = status ? status : &mine;
    pid_t r = real.wait4 ? real.wait4(pid, st, options, ru) : (pid_t)syscall(SYS_wait4, pid, st, options, ru);
    if (r > 0) ends_reaped(r, *st);
    return r;
}

ENDS_HOOK int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options) {
    siginfo_t mine;
    siginfo_t *in = info ? info : &mine;
    if (!info) memset(&mine, 0, sizeof mine);
    int r = real.waitid ? real.waitid(idtype, id, in, options)
                        : (int)syscall(SYS_waitid, idtype, id, in, options, NULL);
    if (r == 0 && in->si_pid > 0) {
        /* as a wait status (WNOWAIT too: the child is dead all the same) */
        int st = -1;
        if (in->si_code == CLD_EXITED) st = (in->si_status & 0xff) << 8;
        else if (in->si_code == CLD_KILLED) st = in->si_status & 0x7f;
        else if (in->si_code == CLD_DUMPED) st = (in->si_status & 0x7f) | 0x80;
        if (st >= 0) ends_reaped(in->si_pid, st);
    }
    return r;
}

ENDS_HOOK int kill(pid_t pid, int sig) {
    int r = real.kill ? real.kill(pid, sig) : (int)syscall(SYS_kill, pid, sig);
    if (r == 0 && pid > 0 && sig > 0 && atomic_load_explicit(&ends_on, memory_order_relaxed)) {
        int e = errno;
        raw_signal_sent_t ev = {clock_ns(CLOCK_MONOTONIC), (uint32_t)pid, (uint32_t)sig,
                                memtrack_creator_stack(), 0};
        ends_push(RAW_SIGNAL_SENT, &ev, sizeof ev);
        errno = e;
    }
    return r;
}
