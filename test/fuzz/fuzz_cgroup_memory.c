/* libFuzzer target: the cgroup memory files the watch reads every sample.
 * Input: NUL-separated contents for memory.current, memory.swap.current,
 * memory.max, memory.swap.max, memory.stat (v2), then the v1 files; they are
 * written to a scratch cgroup tree and read back as at a sample. Invariants:
 * the used figure never exceeds usage + swap; a limit read is within 1 TiB;
 * the guard level is one of the two. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dyno/cgroup.h"
#include "dyno/watch_settings.h"

static char root[64];

static void put(const char *file, const char *text, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, file);
    if (!text) {
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fwrite(text, 1, n, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[] = {
        "memory.current", "memory.swap.current", "memory.max", "memory.swap.max", "memory.stat",
        "memory/memory.usage_in_bytes", "memory/memory.memsw.usage_in_bytes",
        "memory/memory.limit_in_bytes", "memory/memory.memsw.limit_in_bytes", "memory/memory.stat",
    };
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/fuzz-cgroup-%d", (int)getpid());
        mkdir(root, 0700);
        char sub[96];
        snprintf(sub, sizeof sub, "%s/memory", root);
        mkdir(sub, 0700);
    }
    const char *p = (const char *)data;
    size_t left = size;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        const char *nul = left ? memchr(p, '\0', left) : NULL;
        size_t len = nul ? (size_t)(nul - p) : left;
        /* A field of one byte 0xff means "no such file". */
        bool absent = (len == 1 && (unsigned char)p[0] == 0xff) || (!left && f > 0);
        put(files[f], absent ? NULL : p, len);
        p += len + (nul ? 1 : 0);
        left -= len + (nul ? 1 : 0);
    }
    struct cg_memory m;
    cg_memory_read(root, &m);
    unsigned long long used = cg_memory_used(&m);
    if (m.usage + m.swap >= m.usage && used > m.usage + m.swap)
        abort();
    if (m.limited && (m.limit == 0 || m.limit > (1ULL << 40)))
        abort();
    if (m.version < 0 || m.version > 2 || m.swap_room < -1 || m.swap_room > 1)
        abort();
    struct dyno_resources res = {512, "fuzz", true, 1, "fuzz"};
    struct watch_limits l;
    watch_limits_decide(&res, &m, "web.1", (size & 1) != 0, &l);
    if (l.guard_pct != 100 && l.guard_pct != 90)
        abort();
    unsigned long long b;
    if (cg_parse_bytes((const char *)data, size, &b) && b == ~0ULL)
        abort();
    cg_stat_line((const char *)data, size, "inactive_file", &b);
    return 0;
}
