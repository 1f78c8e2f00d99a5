/* answers.h — the three answers a report is opened for, computed from the
 * finished model: where the time went (the lines that computed most), what
 * waited and for what (the largest waits by reason and line, with how many
 * threads waited there), and what held memory at the peak (the lines
 * holding most). summary.json carries them as "answers"; the page shows
 * them first, each a link to its frame.
 *
 * A "line" is the innermost frame of the program's own code on the stack —
 * not the standard library, site-packages or `<frozen ...>` — so time spent
 * inside json.dumps is credited to `s = json.dumps(l)`, and the frame it
 * spent most of that in is named beside it ("in"). A stack with no frame of
 * the program's own (a pool's helper thread) is credited to its innermost
 * Python frame. */
#ifndef RADIOGRAPH_ANSWERS_H
#define RADIOGRAPH_ANSWERS_H

#include "json.h"
#include "model.h"

#include <stdint.h>

#define ANSWERS_MAX 5u

typedef struct answers_item {
    uint32_t frame;              /* the line: a model frame */
    uint32_t inner;              /* the frame it spent most in below it; MODEL_NONE: itself */
    uint32_t node;               /* the tree node to zoom to: the one holding most of it */
    uint8_t state;               /* raw_state_t of a wait */
    uint64_t value;              /* samples (intervals) or bytes */
    uint32_t threads;            /* threads whose samples are in it (time only) */
} answers_item_t;

typedef struct answers {
    uint64_t total, running;     /* samples of the perf tree; running: ended in [running] */
    uint64_t by_state[RAW_ST_COUNT];
    uint32_t threads;            /* threads with samples */
    answers_item_t computing[ANSWERS_MAX], waiting[ANSWERS_MAX], memory[ANSWERS_MAX];
    size_t ncomputing, nwaiting, nmemory;
} answers_t;

/* Fills *A from the finished model M. Returns 0 or -ENOMEM. */
int answers_build(const model_t *m, answers_t *a);

/* Writes the member "answers" into the object W is inside (docs in the
 * README, "summary.json"). WITH_NODES adds each item's "node" (its index in
 * the page's perf or memory tree) and each frame's "frame_id" (its index in
 * the page's frame table), which only the page can use. */
void answers_write(json_t *w, const model_t *m, const answers_t *a, int with_nodes);

/* Is FILE (a frame's file name) outside the program's own code: the
 * standard library, site-packages / dist-packages, or a `<...>` name? */
int answers_is_library(const char *file, size_t len);

#endif
