#include "dyno/cgroup.h"
#include "dyno/env_value.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "dyno/proc_file.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims blanks on both sides of s[0..*n). */
static const char *trim(const char *s, size_t *n)
{
    while (*n && is_blank(*s))
        s++, (*n)--;
    while (*n && is_blank(s[*n - 1]))
        (*n)--;
    return s;
}

/* Digits only, into *v; false on anything else or overflow past 2^63. Values
 * past the limit are reported as "huge" (true, *v = ~0) so that v1's 8 EiB
 * "no limit" reads as a number, not as garbage. */
static bool parse_digits(const char *s, size_t n, unsigned long long *v)
{
    if (n == 0)
        return false;
    unsigned long long x = 0;
    bool huge = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (!huge) {
            unsigned d = (unsigned)(s[i] - '0');
            if (x > (~0ULL - d) / 10)
                huge = true;
            else
                x = x * 10 + d;
        }
    }
    *v = huge ? ~0ULL : x;
    return true;
}

enum cg_value cg_parse_memory(const char *s, size_t n, unsigned long long *bytes)
{
    s = trim(s, &n);
    if (n == 3 && !memcmp(s, "max", 3))
        return CG_UNLIMITED;
    unsigned long long v;
    if (!parse_digits(s, n, &v))
        return CG_BAD;
    if (v > (unsigned long long)MEMORY_MB_MAX * 1024 * 1024)
        return CG_UNLIMITED;
    if (v < 1024 * 1024)
        return CG_BAD;
    *bytes = v;
    return CG_OK;
}

static unsigned cpus_from_quota(unsigned long long quota, unsigned long long period)
{
    unsigned long long c = quota / period + (quota % period != 0);
    if (c < 1)
        c = 1;
    return c > CPUS_MAX ? CPUS_MAX : (unsigned)c;
}

enum cg_value cg_parse_cpu_max(const char *s, size_t n, unsigned *cpus)
{
    s = trim(s, &n);
    const char *sp = memchr(s, ' ', n);
    if (!sp)
        return CG_BAD;
    size_t qn = (size_t)(sp - s);
    const char *p = sp + 1;
    size_t pn = n - qn - 1;
    unsigned long long quota, period;
    if (!parse_digits(p, pn, &period) || period == 0 || period == ~0ULL)
        return CG_BAD;
    if (qn == 3 && !memcmp(s, "max", 3))
        return CG_UNLIMITED;
    if (!parse_digits(s, qn, &quota) || quota == 0 || quota == ~0ULL)
        return CG_BAD;
    *cpus = cpus_from_quota(quota, period);
    return CG_OK;
}

enum cg_value cg_parse_cfs(const char *quota, size_t qn, const char *period, size_t pn,
                           unsigned *cpus)
{
    quota = trim(quota, &qn);
    period = trim(period, &pn);
    unsigned long long q, p;
    if (!parse_digits(period, pn, &p) || p == 0 || p == ~0ULL)
        return CG_BAD;
    if (qn == 2 && !memcmp(quota, "-1", 2))
        return CG_UNLIMITED;
    if (!parse_digits(quota, qn, &q) || q == 0 || q == ~0ULL)
        return CG_BAD;
    *cpus = cpus_from_quota(q, p);
    return CG_OK;
}

/* A cgroup file holds one short value; more than this is not one. */
#define CG_FILE_MAX 4096

/* Reads a small sysfs-like file whole (buf holds CG_FILE_MAX bytes), so that
 * its value is judged on all of it. Returns its length, -1 when it does not
 * exist (silent), -2 when it exists but cannot be read or is longer than
 * CG_FILE_MAX (warned about). */
static long read_small(const char *path, char *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return -1;
        msg_note("warning: cannot read %s (%s); going on without it", path, strerror(errno));
        return -2;
    }
    size_t len = 0;
    char extra;
    for (;;) {
        /* One byte past the bound tells a file that is too long. */
        ssize_t r = len < CG_FILE_MAX ? read(fd, buf + len, CG_FILE_MAX - len) : read(fd, &extra, 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            msg_note("warning: cannot read %s (%s); going on without it", path, strerror(errno));
            close(fd);
            return -2;
        }
        if (r == 0)
            break;
        if (len == CG_FILE_MAX) {
            msg_note("warning: %s is longer than %d bytes, which no cgroup value is; ignoring it", path,
                     CG_FILE_MAX);
            close(fd);
            return -2;
        }
        len += (size_t)r;
    }
    close(fd);
    return (long)len;
}

/* For warnings: a bad value as a whole (it is judged whole), its line breaks
 * shown as \n and other bytes that are not printable ASCII as '?', cut short
 * with "..." when it does not fit. */
static const char *shown(const char *s, size_t n, char *out, size_t cap)
{
    size_t j = 0, i = 0;
    while (n > 0 && s[n - 1] == '\n') /* the file's own line ending */
        n--;
    for (; i < n && j + 5 < cap; i++) {
        if (s[i] == '\n') {
            out[j++] = '\\';
            out[j++] = 'n';
        } else {
            out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        }
    }
    if (i < n)
        out[j++] = '.', out[j++] = '.', out[j++] = '.';
    out[j] = '\0';
    return out;
}

static bool memory_from_cgroup(const char *root, struct dyno_resources *r)
{
    static const struct {
        const char *file, *label;
    } sources[] = {
        {"memory.max", "cgroup v2 memory.max"},
        {"memory/memory.limit_in_bytes", "cgroup v1 memory.limit_in_bytes"},
    };
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        char path[4096], buf[CG_FILE_MAX], show[64];
        snprintf(path, sizeof path, "%s/%s", root, sources[i].file);
        long n = read_small(path, buf);
        if (n < 0)
            continue;
        unsigned long long bytes;
        switch (cg_parse_memory(buf, (size_t)n, &bytes)) {
        case CG_OK:
            r->memory_mb = (unsigned)(bytes / (1024 * 1024));
            r->memory_from = sources[i].label;
            return true;
        case CG_UNLIMITED:
            break; /* no limit here: try the next source */
        case CG_BAD:
            msg_note("warning: %s: expected a byte count or 'max', got '%s'; ignoring it", path,
                     shown(buf, (size_t)n, show, sizeof show));
            break;
        }
    }
    return false;
}

static unsigned cpus_from_cgroup(const char *root, const char **from)
{
    char path[4096], buf[CG_FILE_MAX], buf2[CG_FILE_MAX], show[64];
    unsigned cpus;
    snprintf(path, sizeof path, "%s/cpu.max", root);
    long n = read_small(path, buf);
    if (n >= 0) {
        enum cg_value v = cg_parse_cpu_max(buf, (size_t)n, &cpus);
        if (v == CG_OK) {
            *from = "cgroup v2 cpu.max";
            return cpus;
        }
        if (v == CG_BAD)
            msg_note("warning: %s: expected 'QUOTA PERIOD' or 'max PERIOD', got '%s'; ignoring it",
                     path, shown(buf, (size_t)n, show, sizeof show));
        return 0;
    }
    snprintf(path, sizeof path, "%s/cpu/cpu.cfs_quota_us", root);
    n = read_small(path, buf);
    if (n < 0)
        return 0;
    char ppath[4096];
    snprintf(ppath, sizeof ppath, "%s/cpu/cpu.cfs_period_us", root);
    long pn = read_small(ppath, buf2);
    if (pn < 0)
        return 0;
    enum cg_value v = cg_parse_cfs(buf, (size_t)n, buf2, (size_t)pn, &cpus);
    if (v == CG_OK) {
        *from = "cgroup v1 cpu.cfs_quota_us";
        return cpus;
    }
    if (v == CG_BAD)
        msg_note("warning: %s: expected a quota in microseconds or -1; ignoring it", path);
    return 0;
}

void dyno_resources_detect(const char *(*lookup)(const char *), struct dyno_resources *r)
{
    const char *root = lookup("SOLODYNO_CGROUP_ROOT");
    if (!root || !*root)
        root = CGROUP_ROOT_DEFAULT;

    unsigned long long v;
    const char *mem = lookup("SOLODYNO_MEMORY_MB");
    if (mem && *mem) {
        if (parse_whole(mem, 1, MEMORY_MB_MAX, &v)) {
            r->memory_mb = (unsigned)v;
            r->memory_from = "SOLODYNO_MEMORY_MB";
            r->memory_known = true;
            goto cpus;
        }
        msg_note("warning: SOLODYNO_MEMORY_MB: expected whole megabytes from 1 to %u; ignoring it",
                 MEMORY_MB_MAX);
    }
    r->memory_known = memory_from_cgroup(root, r);
    if (!r->memory_known) {
        r->memory_mb = MEMORY_MB_UNKNOWN;
        r->memory_from = "no memory limit found: assuming the smallest dyno";
    }

cpus:;
    const char *cpus = lookup("SOLODYNO_CPUS");
    if (cpus && *cpus) {
        if (parse_whole(cpus, 1, CPUS_MAX, &v)) {
            r->cpus = (unsigned)v;
            r->cpus_from = "SOLODYNO_CPUS";
            return;
        }
        msg_note("warning: SOLODYNO_CPUS: expected a whole number from 1 to %u; ignoring it",
                 CPUS_MAX);
    }
    cpu_set_t set;
    int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    r->cpus = n > 0 ? (unsigned)n : 1;
    r->cpus_from = n > 0 ? "affinity mask" : "unknown: assuming 1";
    const char *from;
    unsigned quota = cpus_from_cgroup(root, &from);
    if (quota && quota < r->cpus) {
        r->cpus = quota;
        r->cpus_from = from;
    }
}

/* ---- the dyno's memory use ------------------------------------------------ */

bool cg_parse_bytes(const char *s, size_t n, unsigned long long *bytes)
{
    s = trim(s, &n);
    unsigned long long v;
    if (!parse_digits(s, n, &v) || v == ~0ULL)
        return false;
    *bytes = v;
    return true;
}

bool cg_stat_line(const char *line, size_t n, const char *key, unsigned long long *v)
{
    size_t k = strlen(key);
    if (n <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
        return false;
    return cg_parse_bytes(line + k + 1, n - k - 1, v);
}

/* A byte count from root/file; false when missing or malformed. */
static bool read_bytes(const char *root, const char *file, unsigned long long *v)
{
    char path[4096], buf[64];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", root, file);
    return proc_read_small(path, buf, sizeof buf, &n) == PROC_READ_OK && cg_parse_bytes(buf, n, v);
}

/* A swap limit (memory.swap.max, memory.memsw.limit_in_bytes): 1 and *v for
 * a number, 0 for no limit ("max", or v1's huge number), -1 when unreadable. */
static int read_limit(const char *root, const char *file, unsigned long long *v)
{
    char path[4096], buf[64];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", root, file);
    if (proc_read_small(path, buf, sizeof buf, &n) != PROC_READ_OK)
        return -1;
    const char *t = trim(buf, &n);
    if (n == 3 && !memcmp(t, "max", 3))
        return 0;
    if (!parse_digits(t, n, v))
        return -1;
    return *v > (unsigned long long)MEMORY_MB_MAX * 1024 * 1024 ? 0 : 1;
}

/* A memory limit, read as solodyno env reads it (cg_parse_memory): true and
 * *v for a real limit. */
static bool read_memory_limit(const char *root, const char *file, unsigned long long *v)
{
    char path[4096], buf[64];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", root, file);
    return proc_read_small(path, buf, sizeof buf, &n) == PROC_READ_OK &&
           cg_parse_memory(buf, n, v) == CG_OK;
}

struct stat_find {
    const char *key;
    unsigned long long *v;
    bool found;
};

static bool stat_find_line(void *ctx, const char *s, size_t n)
{
    struct stat_find *f = ctx;
    f->found = cg_stat_line(s, n, f->key, f->v);
    return !f->found;
}

static void read_stat(const char *root, const char *file, const char *key, unsigned long long *v)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, file);
    struct stat_find f = {key, v, false};
    proc_read_lines(path, stat_find_line, &f);
    if (!f.found)
        *v = 0;
}

void cg_memory_read(const char *root, struct cg_memory *m)
{
    memset(m, 0, sizeof *m);
    m->swap_room = -1;
    unsigned long long v;
    if (read_bytes(root, "memory.current", &m->usage)) {
        m->version = 2;
        if (read_bytes(root, "memory.swap.current", &v)) {
            m->swap = v;
            m->swap_known = true;
        }
        read_stat(root, "memory.stat", "inactive_file", &m->inactive_file);
        m->limited = read_memory_limit(root, "memory.max", &m->limit);
        int swap_max = read_limit(root, "memory.swap.max", &v);
        if (swap_max == 0 || (swap_max == 1 && v > 0))
            m->swap_room = 1;
        else if (swap_max == 1)
            m->swap_room = 0;
        return;
    }
    if (read_bytes(root, "memory/memory.usage_in_bytes", &m->usage)) {
        m->version = 1;
        if (read_bytes(root, "memory/memory.memsw.usage_in_bytes", &v)) {
            m->swap = v > m->usage ? v - m->usage : 0;
            m->swap_known = true;
        }
        read_stat(root, "memory/memory.stat", "total_inactive_file", &m->inactive_file);
        m->limited = read_memory_limit(root, "memory/memory.limit_in_bytes", &m->limit);
        unsigned long long memsw;
        int r = read_limit(root, "memory/memory.memsw.limit_in_bytes", &memsw);
        if (m->limited && r == 1)
            m->swap_room = memsw > m->limit;
        else if (m->limited && r == 0)
            m->swap_room = 1;
    }
}

unsigned long long cg_memory_used(const struct cg_memory *m)
{
    unsigned long long total = m->usage + m->swap;
    if (total < m->usage)
        return ~0ULL;
    return m->inactive_file < total ? total - m->inactive_file : 0;
}
