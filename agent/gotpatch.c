/* gotpatch.c — see gotpatch.h.
 *
 * The slots are found from each object's dynamic section: the relocations
 * of the PLT (DT_JMPREL, R_X86_64_JUMP_SLOT) and the others (DT_RELA:
 * R_X86_64_GLOB_DAT for code built with -fno-plt or taking a function's
 * address, R_X86_64_64 without addend for a pointer to it in data), each
 * naming its symbol. A slot inside the object's RELRO segment was made
 * read-only once relocated: it is made writable for the write and read-only
 * again (glibc protects RELRO whole pages, the last partial page stays
 * writable). A slot is patched only while it holds the process's own
 * definition, or a PLT stub of its object not bound yet; that value is what
 * restore writes back.
 *
 * dlopen of a bare name ("libfoo.so") searches the calling object's
 * RPATH/RUNPATH: the call now comes from our wrapper, whose object has
 * none, so the wrapper first searches the caller's own directories, then
 * lets dlopen do the rest (gp_dlopen_as). */
#include "gotpatch.h"

#include "htab.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GP_MAX_HOOKS 32
#define GP_MAX_SLOTS (1u << 20)
#define GP_SERINFO_MAX 8192

typedef struct gp_hook {
    const char *name;
    uintptr_t fn, real;
} gp_hook_t;

static struct {
    pthread_mutex_t lock;
    pthread_mutex_t search;         /* gp_dlopen_as's buffers */
    gp_hook_t hooks[GP_MAX_HOOKS];
    int nhooks;
    int installed;
    int patched;                    /* slots written by the pass in progress */
    htab_t saved;                   /* (slot, 1) -> what it held before */
    htab_t done;                    /* (load address, phdrs) -> 1: object patched */
    unsigned long long subs;        /* unloads seen by the last pass */
    uintptr_t self_lo, self_hi;     /* the agent's own address range */
    uintptr_t page;
} gp = {.lock = PTHREAD_MUTEX_INITIALIZER, .search = PTHREAD_MUTEX_INITIALIZER};

typedef struct gp_object {
    uintptr_t base;
    const ElfW(Phdr) *phdr;
    int phnum;
    uintptr_t relro_lo, relro_hi;   /* read-only pages once relocated */
    uintptr_t self_lo, self_hi;     /* its own address range */
    const ElfW(Sym) *symtab;
    const char *strtab;
    size_t strsz;
    const ElfW(Versym) *versym;
    const uint32_t *gnu_hash, *hash;
    uintptr_t rela, jmprel;
    size_t relasz, pltrelsz;
    long pltrel;
} gp_object_t;

static void *gp_dlopen(const char *file, int mode);

static uintptr_t gp_ptr(const gp_object_t *o, ElfW(Addr) p) {
    /* glibc relocates the dynamic section in place; some loaders do not */
    return p < o->base ? o->base + p : p;
}

/* 1 if [P, P+8) lies in one of the object's segments that is writable, or
 * will be once unprotected; *RELRO says which. */
static int gp_writable(const gp_object_t *o, uintptr_t p, int *relro) {
    uintptr_t page = p & ~(gp.page - 1);
    *relro = page >= o->relro_lo && page < o->relro_hi;
    for (int i = 0; i < o->phnum; i++) {
        const ElfW(Phdr) *ph = &o->phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t lo = o->base + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (p >= lo && p + sizeof(uintptr_t) <= hi) return (ph->p_flags & PF_W) || *relro;
    }
    return 0;
}

static void gp_store(uintptr_t slot, uintptr_t value, int relro) {
    uintptr_t page = slot & ~(gp.page - 1);
    if (relro && mprotect((void *)page, gp.page, PROT_READ | PROT_WRITE) != 0) return;
    __atomic_store_n((uintptr_t *)slot, value, __ATOMIC_RELEASE);
    if (relro) mprotect((void *)page, gp.page, PROT_READ);
}

static const gp_hook_t *gp_hook_named(const char *name) {
    for (int i = 0; i < gp.nhooks; i++)
        if (name[0] == gp.hooks[i].name[0] && strcmp(name, gp.hooks[i].name) == 0) return &gp.hooks[i];
    return NULL;
}

/* One relocation R of object O: patch its slot (RESTORE 0) or put back
 * what it held (1). */
static void gp_slot(const gp_object_t *o, const ElfW(Rela) *r, int restore) {
    unsigned type = (unsigned)ELF64_R_TYPE(r->r_info);
    size_t sym = ELF64_R_SYM(r->r_info);
    if (!sym || !(type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT ||
                  (type == R_X86_64_64 && r->r_addend == 0)))
        return;
    const ElfW(Sym) *s = &o->symtab[sym];
    if (s->st_shndx != SHN_UNDEF || s->st_name >= o->strsz) return;   /* its own definition */
    const gp_hook_t *h = gp_hook_named(o->strtab + s->st_name);
    if (!h) return;
    uintptr_t slot = o->base + r->r_offset;
    int relro;
    if (!gp_writable(o, slot, &relro)) return;
    uintptr_t cur = __atomic_load_n((uintptr_t *)slot, __ATOMIC_ACQUIRE);
    if (restore) {
        if (cur != h->fn) return;   /* not ours (any more) */
        uint64_t *was = htab_find(&gp.saved, slot, 1);
        gp_store(slot, was ? (uintptr_t)*was : h->real, relro);
        return;
    }
    if (cur == h->fn) return;
    int unbound = cur >= o->self_lo && cur < o->self_hi;   /* a lazy PLT stub */
    if (cur != h->real && !unbound) return;                 /* bound elsewhere: leave it */
    int created;
    uint64_t *was = htab_upsert(&gp.saved, slot, 1, &created);
    if (!was) return;   /* could not remember it: do not touch it */
    *was = cur;
    gp_store(slot, h->fn, relro);
    gp.patched++;
}

static void gp_table(const gp_object_t *o, uintptr_t rela, size_t bytes, int restore) {
    if (!rela || !bytes) return;
    const ElfW(Rela) *r = (const ElfW(Rela) *)rela;
    for (size_t i = 0; i < bytes / sizeof *r; i++) gp_slot(o, &r[i], restore);
}

typedef struct gp_range {
    uintptr_t want, lo, hi;
} gp_range_t;

static int gp_find_range(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    gp_range_t *r = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo) lo = a;
        if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
    }
    if (r->want < lo || r->want >= hi) return 0;
    r->lo = lo;
    r->hi = hi;
    return 1;
}

int gotpatch_object_range(const void *addr, uintptr_t *lo, uintptr_t *hi) {
    gp_range_t r = {(uintptr_t)addr, 0, 0};
    if (!dl_iterate_phdr(gp_find_range, &r)) return -1;
    *lo = r.lo;
    *hi = r.hi;
    return 0;
}

/* Reads object INFO's program headers and dynamic section into *O.
 * Returns 0, or -1 for an object to leave alone (the vDSO, the dynamic
 * linker, the agent, one without a dynamic section or symbols). */
static int gp_parse(const struct dl_phdr_info *info, gp_object_t *o) {
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (strstr(name, "linux-vdso") || strstr(name, "linux-gate") || strstr(name, "/ld-linux")) return -1;
    memset(o, 0, sizeof *o);
    o->base = info->dlpi_addr;
    o->phdr = info->dlpi_phdr;
    o->phnum = info->dlpi_phnum;
    o->self_lo = UINTPTR_MAX;
    o->pltrel = DT_RELA;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < o->phnum; i++) {
        const ElfW(Phdr) *ph = &o->phdr[i];
        uintptr_t lo = o->base + ph->p_vaddr;
        if (ph->p_type == PT_DYNAMIC) dyn = (const ElfW(Dyn) *)lo;
        if (ph->p_type == PT_GNU_RELRO) {
            o->relro_lo = lo & ~(gp.page - 1);
            o->relro_hi = (lo + ph->p_memsz) & ~(gp.page - 1);
        }
        if (ph->p_type == PT_LOAD) {
            if (lo < o->self_lo) o->self_lo = lo;
            if (lo + ph->p_memsz > o->self_hi) o->self_hi = lo + ph->p_memsz;
        }
    }
    if (!dyn || (o->self_lo < gp.self_hi && gp.self_lo < o->self_hi)) return -1;   /* the agent */
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: o->symtab = (const ElfW(Sym) *)gp_ptr(o, d->d_un.d_ptr); break;
        case DT_STRTAB: o->strtab = (const char *)gp_ptr(o, d->d_un.d_ptr); break;
        case DT_STRSZ: o->strsz = d->d_un.d_val; break;
        case DT_VERSYM: o->versym = (const ElfW(Versym) *)gp_ptr(o, d->d_un.d_ptr); break;
        case DT_GNU_HASH: o->gnu_hash = (const uint32_t *)gp_ptr(o, d->d_un.d_ptr); break;
        case DT_HASH: o->hash = (const uint32_t *)gp_ptr(o, d->d_un.d_ptr); break;
        case DT_RELA: o->rela = gp_ptr(o, d->d_un.d_ptr); break;
        case DT_RELASZ: o->relasz = d->d_un.d_val; break;
        case DT_JMPREL: o->jmprel = gp_ptr(o, d->d_un.d_ptr); break;
        case DT_PLTRELSZ: o->pltrelsz = d->d_un.d_val; break;
        case DT_PLTREL: o->pltrel = (long)d->d_un.d_val; break;
        default: break;
        }
    }
    return o->symtab && o->strtab ? 0 : -1;
}

static int gp_each_object(struct dl_phdr_info *info, size_t size, void *arg) {
    int restore = *(int *)arg;
    gp_object_t o;
    if (gp_parse(info, &o) != 0) return 0;
    if (!restore) {
        if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs &&
            info->dlpi_subs != gp.subs) {
            /* something was unloaded: a new object may sit where it was */
            htab_clear(&gp.done);
            gp.subs = info->dlpi_subs;
        }
        int created = 0;
        uint64_t *done = htab_upsert(&gp.done, o.base, (uintptr_t)o.phdr, &created);
        if (done && !created) return 0;
    }
    gp_table(&o, o.rela, o.relasz, restore);
    if (o.pltrel == DT_RELA) gp_table(&o, o.jmprel, o.pltrelsz, restore);
    return 0;
}

/* Symbol I of O if it is a definition of NAME callable as it is: a global
 * function, its default version, not an IFUNC resolver. */
static uintptr_t gp_match(const gp_object_t *o, uint32_t i, const char *name) {
    const ElfW(Sym) *s = &o->symtab[i];
    unsigned type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
    if (s->st_shndx == SHN_UNDEF || !s->st_value || s->st_name >= o->strsz) return 0;
    if ((bind != STB_GLOBAL && bind != STB_WEAK) || (type != STT_FUNC && type != STT_NOTYPE)) return 0;
    if (o->versym && (o->versym[i] & 0x8000)) return 0;   /* a hidden, older version */
    return strcmp(o->strtab + s->st_name, name) == 0 ? o->base + s->st_value : 0;
}

/* NAME's definition in O through its symbol hash table, or 0. */
static uintptr_t gp_defined_in(const gp_object_t *o, const char *name) {
    if (o->gnu_hash) {
        uint32_t h = 5381;
        for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = h * 33 + *c;
        const uint32_t *t = o->gnu_hash;
        uint32_t nbuckets = t[0], symoffset = t[1], bloom_size = t[2], shift = t[3];
        const ElfW(Addr) *bloom = (const ElfW(Addr) *)(t + 4);
        if (!nbuckets || !bloom_size) return 0;
        ElfW(Addr) word = bloom[(h / 64) % bloom_size];
        if (!((word >> (h % 64)) & (word >> ((h >> shift) % 64)) & 1)) return 0;
        const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size), *chain = buckets + nbuckets;
        uint32_t i = buckets[h % nbuckets];
        if (i < symoffset) return 0;
        for (;; i++) {
            uint32_t hh = chain[i - symoffset];
            uintptr_t at = (hh | 1) == (h | 1) ? gp_match(o, i, name) : 0;
            if (at) return at;
            if (hh & 1) return 0;
        }
    }
    if (o->hash) {
        uint32_t h = 0;
        for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
            h = (h << 4) + *c;
            uint32_t g = h & 0xf0000000u;
            h ^= g | g >> 24;
        }
        uint32_t nbucket = o->hash[0], nchain = o->hash[1];
        const uint32_t *bucket = o->hash + 2, *chain = bucket + nbucket;
        for (uint32_t i = nbucket ? bucket[h % nbucket] : 0; i && i < nchain; i = chain[i]) {
            uintptr_t at = gp_match(o, i, name);
            if (at) return at;
        }
    }
    return 0;
}

typedef struct gp_query {
    const char *name;
    uintptr_t found;
} gp_query_t;

static int gp_find_definition(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    gp_query_t *q = arg;
    gp_object_t o;
    if (gp_parse(info, &o) != 0) return 0;
    q->found = gp_defined_in(&o, q->name);
    return q->found != 0;
}

void *gotpatch_definition(const char *name) {
    if (!gp.page) gp.page = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (!gp.self_hi) gotpatch_object_range((const void *)gp_find_range, &gp.self_lo, &gp.self_hi);
    gp_query_t q = {name, 0};
    dl_iterate_phdr(gp_find_definition, &q);
    /* an IFUNC (or a table we cannot read): the dynamic linker resolves it */
    return q.found ? (void *)q.found : dlsym(RTLD_DEFAULT, name);
}

/* One pass over the loaded objects. Holds gp.lock. */
static void gp_pass(int restore) {
    dl_iterate_phdr(gp_each_object, &restore);
}

int gotpatch_install(const gotpatch_hook_t *hooks, int n) {
    if (n < 0 || n + 1 > GP_MAX_HOOKS) return -1;
    pthread_mutex_lock(&gp.lock);
    if (gp.installed) {
        pthread_mutex_unlock(&gp.lock);
        return -1;
    }
    gp.nhooks = 0;
    for (int i = 0; i <= n; i++) {
        const char *name = i < n ? hooks[i].name : "dlopen";
        void *fn = i < n ? hooks[i].fn : (void *)gp_dlopen;
        gp_hook_t *h = &gp.hooks[gp.nhooks];
        h->name = name;
        h->fn = (uintptr_t)fn;
        h->real = (uintptr_t)gotpatch_definition(name);
        if (h->real) gp.nhooks++;   /* a function the process does not have: no slot can need it */
    }
    htab_free(&gp.saved);
    htab_init(&gp.saved, GP_MAX_SLOTS);
    htab_free(&gp.done);
    htab_init(&gp.done, GP_MAX_SLOTS);
    gp.subs = 0;
    gp.patched = 0;
    gp.installed = 1;
    gp_pass(0);
    int patched = gp.patched;
    pthread_mutex_unlock(&gp.lock);
    return patched;
}

void gotpatch_restore(void) {
    pthread_mutex_lock(&gp.lock);
    if (gp.installed) {
        gp.installed = 0;
        gp_pass(1);
        htab_free(&gp.saved);
        htab_free(&gp.done);
    }
    pthread_mutex_unlock(&gp.lock);
}

void gotpatch_fork_child(void) {
    pthread_mutex_init(&gp.lock, NULL);
    pthread_mutex_init(&gp.search, NULL);
}

/* Patches the objects a dlopen just brought in. */
static void gp_refresh(void) {
    pthread_mutex_lock(&gp.lock);
    if (gp.installed) gp_pass(0);
    pthread_mutex_unlock(&gp.lock);
}

typedef union gp_serinfo {
    Dl_serinfo si;
    char raw[GP_SERINFO_MAX];
} gp_serinfo_t;

/* The directories the dynamic linker searches for a bare name dlopened by
 * the object holding ADDR (in its order, without its cache), into *OUT.
 * Returns 0 or -1. */
static int gp_search_path(const void *addr, gp_serinfo_t *out) {
    Dl_info info;
    struct link_map *map = NULL;
    Dl_serinfo size;
    if (!dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) || !map ||
        dlinfo(map, RTLD_DI_SERINFOSIZE, &size) != 0 || size.dls_size > sizeof *out)
        return -1;
    out->si.dls_size = size.dls_size;
    out->si.dls_cnt = size.dls_cnt;
    return dlinfo(map, RTLD_DI_SERINFO, &out->si);
}

static int gp_listed(const gp_serinfo_t *list, const char *dir) {
    for (unsigned i = 0; i < list->si.dls_cnt; i++)
        if (list->si.dls_serpath[i].dls_name && strcmp(list->si.dls_serpath[i].dls_name, dir) == 0) return 1;
    return 0;
}

#define GP_TRY_MAX 16

/* dlopen(FILE) as the dynamic linker would search for it on behalf of the
 * object holding CALLER, as far as that search differs from the one it
 * makes for the agent, whose dlopen the call now is. glibc's list for an
 * object (RTLD_DI_SERINFO; its dls_flags are always 0) is its RPATH (and
 * its loaders'), LD_LIBRARY_PATH, its RUNPATH, then the default
 * directories, with the cache searched before those; the agent has no
 * RPATH or RUNPATH of its own. So the directories up to the caller's last
 * one the agent's list lacks are tried here, in order, and the rest
 * (LD_LIBRARY_PATH again, the cache, the defaults) is the plain dlopen's.
 * NULL if FILE is not found in those directories. */
static void *gp_dlopen_as(const void *caller, const char *file, int mode) {
    void *h = dlopen(file, mode | RTLD_NOLOAD);   /* loaded already: by name */
    if (h) return h;
    static gp_serinfo_t theirs, ours;   /* under gp.search */
    static char paths[GP_TRY_MAX][4096];
    char path[4096];
    int ntry = 0;
    pthread_mutex_lock(&gp.search);
    int last = -1;
    if (gp_search_path(caller, &theirs) == 0 && gp_search_path((const void *)gp_search_path, &ours) == 0)
        for (unsigned i = 0; i < theirs.si.dls_cnt; i++)
            if (theirs.si.dls_serpath[i].dls_name && !gp_listed(&ours, theirs.si.dls_serpath[i].dls_name))
                last = (int)i;
    for (int i = 0; i <= last && ntry < GP_TRY_MAX; i++) {
        const char *dir = theirs.si.dls_serpath[i].dls_name;
        int len = dir && dir[0] ? snprintf(path, sizeof path, "%s/%s", dir, file) : -1;
        if (len > 0 && (size_t)len < sizeof path && access(path, F_OK) == 0) memcpy(paths[ntry++], path, (size_t)len + 1);
    }
    /* Not under the lock: the library's constructors may dlopen too, and
     * come back here. Only the first candidate is used, so the buffer is
     * read before any of them run. */
    if (ntry) memcpy(path, paths[0], sizeof path);
    pthread_mutex_unlock(&gp.search);
    return ntry ? dlopen(path, mode) : NULL;
}

static void *gp_dlopen(const char *file, int mode) {
    const void *caller = __builtin_extract_return_addr(__builtin_return_address(0));
    void *h = NULL;
    if (file && file[0] && !strchr(file, '/') && !(mode & RTLD_NOLOAD)) h = gp_dlopen_as(caller, file, mode);
    if (!h) h = dlopen(file, mode);
    if (h) gp_refresh();
    return h;
}
