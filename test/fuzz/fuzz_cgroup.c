/* libFuzzer target: the cgroup files as `solodyno env` reads them at every
 * dyno start (dyno_resources_detect: the reader and the parsers together),
 * and the SOLODYNO_MEMORY_MB / SOLODYNO_CPUS overrides.
 *
 * Input: a byte saying which files and overrides exist, then NUL-separated
 * contents: memory.max, memory/memory.limit_in_bytes, cpu.max,
 * cpu/cpu.cfs_quota_us, cpu/cpu.cfs_period_us, SOLODYNO_MEMORY_MB,
 * SOLODYNO_CPUS. Checks that the figures stay in range and that a file is
 * judged whole: memory.max is used exactly when all of it (up to 4 KiB) is a
 * valid value. */
#include "fuzz_files.h"

#include "dyno/cgroup.h"

static const char *const files[] = {"memory.max", "memory/memory.limit_in_bytes", "cpu.max",
                                    "cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us"};
static char mem_override[64], cpus_override[64];
static bool have_mem, have_cpus;

static const char *lookup(const char *name)
{
    if (!strcmp(name, "SOLODYNO_CGROUP_ROOT"))
        return fuzz_dir;
    if (!strcmp(name, "SOLODYNO_MEMORY_MB"))
        return have_mem ? mem_override : NULL;
    if (!strcmp(name, "SOLODYNO_CPUS"))
        return have_cpus ? cpus_override : NULL;
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_dir_init("fuzz-cgroup");
    return 0;
}

static void copy_field(char *to, size_t cap, const uint8_t *s, size_t n)
{
    n = n < cap - 1 ? n : cap - 1;
    memcpy(to, s, n);
    to[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned present = data[0];
    size_t pos = 1, len;
    const uint8_t *mem = NULL;
    size_t mem_len = 0;
    fuzz_dir_clear();
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const uint8_t *f = fuzz_field(data, size, &pos, &len);
        if (present & (1u << i)) {
            fuzz_put(files[i], f, len);
            if (i == 0)
                mem = f, mem_len = len;
        }
    }
    const uint8_t *f = fuzz_field(data, size, &pos, &len);
    have_mem = present & 0x20;
    copy_field(mem_override, sizeof mem_override, f, len);
    f = fuzz_field(data, size, &pos, &len);
    have_cpus = present & 0x40;
    copy_field(cpus_override, sizeof cpus_override, f, len);

    struct dyno_resources r;
    memset(&r, 0, sizeof r);
    dyno_resources_detect(lookup, &r);
    if (r.memory_mb < 1 || r.memory_mb > MEMORY_MB_MAX || r.cpus < 1 || r.cpus > CPUS_MAX)
        abort();
    if (!r.memory_from || !r.cpus_from)
        abort();

    bool from_v2 = !strcmp(r.memory_from, "cgroup v2 memory.max");
    bool overridden = !strcmp(r.memory_from, "SOLODYNO_MEMORY_MB");
    if (!overridden && mem) {
        unsigned long long bytes;
        enum cg_value v = mem_len <= 4096 ? cg_parse_memory((const char *)mem, mem_len, &bytes) : CG_BAD;
        if (from_v2 != (v == CG_OK))
            abort(); /* used exactly when the whole file is a good value */
        if (from_v2 && r.memory_mb != (unsigned)(bytes / (1024 * 1024)))
            abort();
    } else if (!mem && from_v2) {
        abort();
    }
    return 0;
}
