/* What this dyno has: memory and CPUs, read at every dyno start.
 *
 * Memory: cgroup v2 memory.max, else cgroup v1 memory/memory.limit_in_bytes,
 * under SOLODYNO_CGROUP_ROOT (default /sys/fs/cgroup). "max" or a value over
 * 1 TiB means no limit (v1 reports about 8 EiB then); no limit, a missing file,
 * or a bad value (garbage, zero, negative: warned about) mean unknown, and
 * unknown means 512 MB, the smallest Heroku dyno. SOLODYNO_MEMORY_MB overrides.
 *
 * CPUs: the affinity mask, lowered by the cgroup's CPU quota (v2 cpu.max, v1
 * cpu/cpu.cfs_quota_us) where there is one. A shared dyno's mask shows the
 * host's CPUs, not its share: SOLODYNO_CPUS overrides.
 */
#ifndef SOLODYNO_CGROUP_H
#define SOLODYNO_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#define CGROUP_ROOT_DEFAULT "/sys/fs/cgroup"
#define MEMORY_MB_UNKNOWN 512u
#define MEMORY_MB_MAX (1024u * 1024u) /* 1 TiB: more is "no limit" */
#define CPUS_MAX 4096u

enum cg_value { CG_OK, CG_UNLIMITED, CG_BAD };

/* The content of memory.max or memory.limit_in_bytes (a trailing newline and
 * surrounding blanks are fine). CG_OK sets *bytes (at least 1 MiB, at most
 * 1 TiB); CG_UNLIMITED for "max" or more than 1 TiB; CG_BAD otherwise
 * (garbage, zero, negative, under 1 MiB). */
enum cg_value cg_parse_memory(const char *s, size_t n, unsigned long long *bytes);

/* cgroup v2 cpu.max: "QUOTA PERIOD" or "max PERIOD". CG_OK sets *cpus to
 * QUOTA/PERIOD rounded up (at least 1). */
enum cg_value cg_parse_cpu_max(const char *s, size_t n, unsigned *cpus);

/* cgroup v1 cpu.cfs_quota_us (-1: no limit) and cpu.cfs_period_us. */
enum cg_value cg_parse_cfs(const char *quota, size_t qn, const char *period, size_t pn,
                           unsigned *cpus);

struct dyno_resources {
    unsigned memory_mb;
    const char *memory_from; /* for --explain: where the figure came from */
    bool memory_known;       /* from SOLODYNO_MEMORY_MB or a cgroup limit, not assumed */
    unsigned cpus;
    const char *cpus_from;
};

/* Reads memory and CPUs as described above. lookup is getenv in production.
 * Warns on stderr (and goes on) about bad override values and unreadable or
 * malformed cgroup files; a missing file is normal and silent. */
void dyno_resources_detect(const char *(*lookup)(const char *), struct dyno_resources *r);

/* ---- the dyno's memory use, sampled by solodyno run ----------------------
 *
 * Under the same root: cgroup v2 memory.current (RAM charged, page cache
 * included), memory.swap.current, memory.stat's inactive_file, memory.max and
 * memory.swap.max; else cgroup v1 memory/memory.usage_in_bytes,
 * memory.memsw.usage_in_bytes (RAM + swap, where swap is accounted),
 * memory.stat's total_inactive_file, memory.limit_in_bytes and
 * memory.memsw.limit_in_bytes. Read quietly: this runs every sample, and a
 * file that cannot be read leaves its figure at 0.
 */
struct cg_memory {
    int version;                      /* 2 or 1; 0: no usage file found */
    bool limited;                     /* the cgroup has a memory limit */
    unsigned long long limit;         /* bytes, when limited */
    unsigned long long usage;         /* RAM charged to the cgroup, page cache included */
    unsigned long long swap;          /* in swap (0 where not accounted) */
    bool swap_known;                  /* swap is accounted (v2 memory.swap.current, v1 memsw) */
    unsigned long long inactive_file; /* page cache the kernel reclaims before anything else */
    int swap_room;                    /* 1: it may swap past its limit; 0: it may not; -1: unknown */
};

/* A byte count (memory.current, usage_in_bytes: digits, blanks around).
 * false for anything else. */
bool cg_parse_bytes(const char *s, size_t n, unsigned long long *bytes);

/* One "key value" line of memory.stat: true and *v when it is key's line. */
bool cg_stat_line(const char *line, size_t n, const char *key, unsigned long long *v);

void cg_memory_read(const char *root, struct cg_memory *m);

/* What counts against the quota, as Heroku counts it for R14 (RAM and swap,
 * not the page cache it can drop): usage + swap - inactive_file. */
unsigned long long cg_memory_used(const struct cg_memory *m);

#endif
