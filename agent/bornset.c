/* bornset.c — see bornset.h. Each table is linear probing over a power of
 * two of slots kept at most half full, with backward-shift deletion (no
 * tombstones, so a long profile of churning blocks does not fill it up);
 * 0 is the empty slot. A table that cannot grow (no memory) stops
 * remembering: its frees are then counted as before, which only makes the
 * profile err toward less memory, never crash. */
#include "bornset.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define BORN_TABLES 64
#define BORN_FIRST_CAP 1024

typedef struct born_table {
    pthread_mutex_t lock;
    uintptr_t *slots;
    size_t cap, len;
    int full;                    /* could not grow: stop remembering here */
} born_table_t;

int bornset_on;
/* Zeroed mutexes are unlocked ones in glibc (PTHREAD_MUTEX_INITIALIZER). */
static born_table_t born[BORN_TABLES];

static uint64_t born_hash(uintptr_t p) {
    return (uint64_t)p * 0x9E3779B97F4A7C15ull;
}

static born_table_t *born_table_of(uint64_t h) {
    return &born[h >> 58];
}

static void born_release(born_table_t *t) {
    if (t->slots) munmap(t->slots, t->cap * sizeof *t->slots);
    t->slots = NULL;
    t->cap = t->len = 0;
    t->full = 0;
}

int bornset_start(void) {
    for (int i = 0; i < BORN_TABLES; i++) {
        pthread_mutex_lock(&born[i].lock);
        born_release(&born[i]);
        pthread_mutex_unlock(&born[i].lock);
    }
    bornset_on = 1;
    return 0;
}

void bornset_stop(void) {
    bornset_on = 0;
    /* A hook that read bornset_on just before waits for the table's lock
     * and then finds it empty. */
    for (int i = 0; i < BORN_TABLES; i++) {
        pthread_mutex_lock(&born[i].lock);
        born_release(&born[i]);
        pthread_mutex_unlock(&born[i].lock);
    }
}

static size_t born_home(uint64_t h, size_t mask) {
    return (size_t)(h >> 17) & mask;
}

static int born_grow(born_table_t *t) {
    size_t cap = t->cap ? t->cap * 2 : BORN_FIRST_CAP;
    uintptr_t *s = mmap(NULL, cap * sizeof *s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i]) continue;
        size_t j = born_home(born_hash(t->slots[i]), cap - 1);
        while (s[j]) j = (j + 1) & (cap - 1);
        s[j] = t->slots[i];
    }
    if (t->slots) munmap(t->slots, t->cap * sizeof *t->slots);
    t->slots = s;
    t->cap = cap;
    return 0;
}

void bornset_add(const void *p) {
    uintptr_t a = (uintptr_t)p;
    if (!bornset_on || !a) return;
    uint64_t h = born_hash(a);
    born_table_t *t = born_table_of(h);
    pthread_mutex_lock(&t->lock);
    if (!t->full && (t->len + 1) * 2 > t->cap && born_grow(t) != 0) t->full = 1;
    if (!t->full) {
        size_t mask = t->cap - 1, i = born_home(h, mask);
        while (t->slots[i] && t->slots[i] != a) i = (i + 1) & mask;
        if (!t->slots[i]) {
            t->slots[i] = a;
            t->len++;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

int bornset_take(const void *p) {
    uintptr_t a = (uintptr_t)p;
    if (!bornset_on) return 1;
    if (!a) return 0;
    uint64_t h = born_hash(a);
    born_table_t *t = born_table_of(h);
    pthread_mutex_lock(&t->lock);
    int found = 0;
    if (t->full) {
        found = 1;
    } else if (t->cap) {
        size_t mask = t->cap - 1, i = born_home(h, mask);
        while (t->slots[i] && t->slots[i] != a) i = (i + 1) & mask;
        if (t->slots[i]) {
            found = 1;
            /* Backward-shift deletion: pull later entries of the run into
             * the hole when their home slot allows it. */
            size_t hole = i, j = i;
            for (;;) {
                j = (j + 1) & mask;
                if (!t->slots[j]) break;
                size_t home = born_home(born_hash(t->slots[j]), mask);
                if (((j - home) & mask) >= ((j - hole) & mask)) {
                    t->slots[hole] = t->slots[j];
                    hole = j;
                }
            }
            t->slots[hole] = 0;
            t->len--;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

void bornset_fork_child(void) {
    bornset_on = 0;
    for (int i = 0; i < BORN_TABLES; i++) {
        pthread_mutex_init(&born[i].lock, NULL);
        born_release(&born[i]);
    }
}
