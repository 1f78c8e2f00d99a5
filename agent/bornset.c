/* bornset.c — see bornset.h. Each table is a livemap of bare addresses
 * (linear probing, backward-shift deletion: no tombstones, so a long
 * profile of churning blocks does not fill it up). A table that cannot grow
 * (no memory) stops remembering: its frees are then counted as before,
 * which only makes the profile err toward less memory, never crash. */
#include "bornset.h"

#include "livemap.h"

#include <pthread.h>
#include <stdint.h>

#define BORN_TABLES 64

typedef struct born_table {
    pthread_mutex_t lock;
    livemap_t set;               /* records: the address alone */
    int full;                    /* could not grow: stop remembering here */
} born_table_t;

/* Zeroed mutexes are unlocked ones in glibc (PTHREAD_MUTEX_INITIALIZER). */
static born_table_t born[BORN_TABLES];

static born_table_t *born_table_of(uintptr_t p) {
    return &born[((uint64_t)p * 0x9E3779B97F4A7C15ull) >> 58];
}

static void born_release(born_table_t *t) {
    livemap_free(&t->set);
    livemap_init(&t->set, sizeof(uintptr_t));
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

void bornset_add(const void *p) {
    uintptr_t a = (uintptr_t)p;
    if (!bornset_on || !a) return;
    born_table_t *t = born_table_of(a);
    pthread_mutex_lock(&t->lock);
    if (!t->full && livemap_put(&t->set, &a) != 0) t->full = 1;
    pthread_mutex_unlock(&t->lock);
}

int bornset_take(const void *p) {
    uintptr_t a = (uintptr_t)p, out;
    if (!bornset_on) return 1;
    if (!a) return 0;
    born_table_t *t = born_table_of(a);
    pthread_mutex_lock(&t->lock);
    int found = livemap_take(&t->set, a, &out) || t->full;
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
