#include "dyno/l2met.h"

#include <string.h>

bool l2met_name_ok(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* bytes as "123.45MB" (2^20 bytes, rounded to the nearest hundredth). */
static void megabytes(strbuf *out, unsigned long long bytes)
{
    unsigned long long hundredths =
        (unsigned long long)(((unsigned __int128)bytes * 100 + (1u << 19)) >> 20);
    sb_printf(out, "%llu.%02lluMB", hundredths / 100, hundredths % 100);
}

void l2met_memory_line(strbuf *out, const char *source, unsigned long long total,
                       unsigned long long swap, unsigned long long quota,
                       const struct watch_member *m, size_t n)
{
    if (l2met_name_ok(source))
        sb_printf(out, "source=%s ", source);
    sb_append(out, "sample#memory_total=");
    megabytes(out, total);
    sb_append(out, " sample#memory_swap=");
    megabytes(out, swap);
    if (quota) {
        sb_append(out, " sample#memory_quota=");
        megabytes(out, quota);
    }
    for (size_t i = 0; i < n; i++) {
        if (!l2met_name_ok(m[i].name))
            continue;
        sb_printf(out, " sample#memory.%s=", m[i].name);
        megabytes(out, m[i].bytes);
    }
    sb_append_char(out, '\n');
}
