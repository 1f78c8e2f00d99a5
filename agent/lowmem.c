/* lowmem.c — see lowmem.h. */
#include "lowmem.h"

#include "procfd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOWMEM_FLOOR (64ull << 20)

static char lm_limit[512], lm_usage[512];

/* Kept open between checks (procfd.h): meminfo, and the cgroup's
 * limit and usage files. */
static procfd_t lm_meminfo_fd, lm_limit_fd, lm_usage_fd;

static int lm_read(procfd_t *pf, const char *path, char *buf, size_t cap) {
    int n = procfd_read(pf, path, buf, cap);
    return n <= 0 ? -1 : n;
}

static int lm_number(procfd_t *pf, const char *path, uint64_t *out) {
    char buf[64];
    if (!path[0] || lm_read(pf, path, buf, sizeof buf) < 0) return -1;
    if (!strncmp(buf, "max", 3)) return -1;          /* v2: no limit */
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf) return -1;
    *out = v;
    return 0;
}

static int lm_exists(const char *path) {
    return access(path, R_OK) == 0;
}

void lowmem_init(void) {
    char buf[4096], path[512];
    lm_limit[0] = lm_usage[0] = '\0';
    if (lm_read(NULL, "/proc/self/cgroup", buf, sizeof buf) < 0) return;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
        if (!b) continue;
        const char *cg = b + 1;
        if (!strncmp(line, "0::", 3)) {                       /* cgroup v2 */
            const char *dirs[] = {cg, ""};
            for (int i = 0; i < 2 && !lm_limit[0]; i++) {
                snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", dirs[i]);
                if (lm_exists(path)) {
                    snprintf(lm_limit, sizeof lm_limit, "%s", path);
                    snprintf(lm_usage, sizeof lm_usage, "/sys/fs/cgroup%s/memory.current", dirs[i]);
                }
            }
        } else if (strstr(a, "memory")) {                     /* cgroup v1 */
            const char *dirs[] = {cg, ""};
            for (int i = 0; i < 2; i++) {
                snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", dirs[i]);
                if (lm_exists(path)) {
                    snprintf(lm_limit, sizeof lm_limit, "%s", path);
                    snprintf(lm_usage, sizeof lm_usage, "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", dirs[i]);
                    break;
                }
            }
        }
    }
}

int lowmem_check(uint64_t *avail) {
    char buf[2048];
    uint64_t total = 0, sys_avail = 0;
    int have = 0;
    if (lm_read(&lm_meminfo_fd, "/proc/meminfo", buf, sizeof buf) > 0) {
        char *t = strstr(buf, "MemTotal:"), *v = strstr(buf, "MemAvailable:");
        if (t && v) {
            total = strtoull(t + 9, NULL, 10) * 1024;
            sys_avail = strtoull(v + 13, NULL, 10) * 1024;
            have = 1;
        }
    }
    uint64_t limit, usage;
    if (lm_number(&lm_limit_fd, lm_limit, &limit) == 0 && limit < (1ull << 60) &&
        lm_number(&lm_usage_fd, lm_usage, &usage) == 0) {
        uint64_t cg_avail = usage < limit ? limit - usage : 0;
        if (!have || cg_avail < sys_avail) {
            sys_avail = cg_avail;
            total = limit;
        }
        have = 1;
    }
    if (!have) return -1;
    *avail = sys_avail;
    uint64_t floor = total / 50 > LOWMEM_FLOOR ? total / 50 : LOWMEM_FLOOR;
    if (sys_avail < floor) return 1;
    return sys_avail < 4 * floor ? 2 : 0;
}

uint64_t lowmem_total(void) {
    char buf[256];
    uint64_t total = 0, limit;
    if (lm_read(NULL, "/proc/meminfo", buf, sizeof buf) > 0) {
        char *t = strstr(buf, "MemTotal:");
        if (t) total = strtoull(t + 9, NULL, 10) * 1024;
    }
    if (lm_number(NULL, lm_limit, &limit) == 0 && limit < (1ull << 60) && (!total || limit < total)) total = limit;
    return total;
}
