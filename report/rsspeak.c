/* rsspeak.c — a sweep over every reading in time order. A process counts
 * from its first reading until its end (END, else its last timestamp), with
 * its latest reading; the sum after each reading is a candidate peak.
 * Readings come about once a second per process, not in step, so this is
 * "at about the same time": good to a second, and a lower bound between
 * readings, which is why each process's VmHWM also bounds the result. */
#include "rsspeak.h"

#include <errno.h>
#include <stdlib.h>

typedef struct rsspeak_event {
    uint64_t t_ns, rss;
    uint32_t proc;
    uint32_t is_end;
} rsspeak_event_t;

static int rsspeak_cmp(const void *a, const void *b)
{
    const rsspeak_event_t *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    if (x->is_end != y->is_end)
        return (int)x->is_end - (int)y->is_end;
    return x->proc < y->proc ? -1 : x->proc > y->proc;
}

int rsspeak_compute(const model_process_t *procs, size_t n, uint64_t *peak)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += procs[i].nrss + 1;
    rsspeak_event_t *ev = malloc((total + 1) * sizeof *ev);
    uint64_t *cur = calloc(n + 1, sizeof *cur);
    if (!ev || !cur) {
        free(ev);
        free(cur);
        return -ENOMEM;
    }
    size_t k = 0;
    int any = 0;
    uint64_t best = 0;
    for (size_t i = 0; i < n; i++) {
        const model_process_t *p = &procs[i];
        if (!p->has_stats)
            continue;
        any = 1;
        if (p->last_stats.rss_peak_bytes > best)
            best = p->last_stats.rss_peak_bytes;
        uint64_t end = p->has_end ? p->end_t_ns : p->last_t_ns;
        for (size_t j = 0; j < p->nrss; j++) {
            ev[k++] = (rsspeak_event_t){ p->rss[j].t_ns, p->rss[j].rss, (uint32_t)i, 0 };
            if (p->rss[j].t_ns > end)
                end = p->rss[j].t_ns;
        }
        ev[k++] = (rsspeak_event_t){ end, 0, (uint32_t)i, 1 };
    }
    if (k > 1)
        qsort(ev, k, sizeof *ev, rsspeak_cmp);
    uint64_t sum = 0;
    for (size_t j = 0; j < k; j++) {
        sum -= cur[ev[j].proc];
        cur[ev[j].proc] = ev[j].is_end ? 0 : ev[j].rss;
        sum += cur[ev[j].proc];
        if (sum > best)
            best = sum;
    }
    *peak = best;
    free(ev);
    free(cur);
    return any;
}
