/* grow.h — growable arrays: the one helper every module that collects
 * records uses. An array is a pointer plus a capacity in elements; growing
 * doubles the capacity, so appending N elements costs O(N) amortised. */
#ifndef RADIOGRAPH_GROW_H
#define RADIOGRAPH_GROW_H

#include <stddef.h>

/* Makes room for at least NEED elements of ELEM bytes in *ARR, whose
 * capacity is *CAP elements. Returns 0, or -ENOMEM (then *ARR and *CAP are
 * unchanged and still owned by the caller). */
int grow_array(void **arr, size_t *cap, size_t need, size_t elem);

/* Appends one element: grows ARR (a typed pointer) when N == CAP, then
 * evaluates to a pointer to the new slot, or NULL on allocation failure.
 * N is incremented on success. */
#define GROW_PUSH(arr, n, cap) \
    (grow_array((void **)&(arr), &(cap), (n) + 1, sizeof *(arr)) == 0 \
        ? &(arr)[(n)++] : NULL)

#endif
