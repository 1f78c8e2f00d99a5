/* calltree.h — a call tree keyed by path: a node is (parent node, frame),
 * found or created in O(1) through a hash table, with a self value added by
 * samples. calltree_finish turns it into the form every writer uses: nodes
 * renumbered in pre-order with siblings sorted by a frame rank, and values
 * made inclusive (saturating at UINT64_MAX). The performance tree and the
 * peak-memory tree use it. Frames are opaque u32 indices chosen by the caller. */
#ifndef RADIOGRAPH_CALLTREE_H
#define RADIOGRAPH_CALLTREE_H

#include "keymap.h"

#include <stddef.h>
#include <stdint.h>

#define CALLTREE_NONE UINT32_MAX
#define CALLTREE_ROOT 0u

typedef struct calltree {
    uint32_t *parent;     /* CALLTREE_NONE for the root; parent[i] < i */
    uint32_t *frame;      /* CALLTREE_NONE for the root */
    uint32_t *depth;      /* 0 for the root */
    uint64_t *value;      /* self until calltree_finish, inclusive after */
    size_t n, cap;
    keymap_t children;    /* (parent, frame) -> node; emptied by finish */
    int finished;
} calltree_t;

/* A tree holding only the root. Returns 0 or -ENOMEM. */
int calltree_init(calltree_t *t);

/* Frees everything the tree owns. */
void calltree_free(calltree_t *t);

/* Finds or creates the child of PARENT for FRAME and sets *NODE to it.
 * Returns 0 or -ENOMEM (-EINVAL after calltree_finish, or if the tree would
 * exceed 2^32 - 2 nodes). */
int calltree_child(calltree_t *t, uint32_t parent, uint32_t frame, uint32_t *node);

/* Renumbers the nodes in pre-order, children ordered by RANK[frame]
 * (ascending; ties by creation order), and makes values inclusive. If REMAP
 * is not NULL it receives a malloc'ed array, old node -> new node, of the
 * tree's size before the call (free() it). Returns 0 or -ENOMEM (then the
 * tree is unchanged). */
int calltree_finish(calltree_t *t, const uint32_t *rank, uint32_t **remap);

/* The self value of every node of the finished tree T (its inclusive value
 * minus its children's, never below 0), into SELF (room for T->n values;
 * the root's is what no child holds). */
void calltree_self(const calltree_t *t, uint64_t *self);

#endif
