#include "dyno/magick_policy.h"

#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"

bool magick_parse_size(const char *s, size_t n, unsigned long long *bytes)
{
    size_t i = 0;
    unsigned long long whole = 0;
    unsigned long long frac = 0, frac_div = 1;
    if (n == 0 || s[0] < '0' || s[0] > '9')
        return false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (whole > 1000000000000ULL)
            return false;
        whole = whole * 10 + (unsigned)(s[i] - '0');
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (frac_div < 1000000)
                frac = frac * 10 + (unsigned)(s[i] - '0'), frac_div *= 10;
    }
    unsigned power = 0;
    static const char prefixes[] = "KMGTPE";
    if (i < n) {
        const char *p = memchr(prefixes, s[i] == 'k' ? 'K' : s[i], sizeof prefixes - 1);
        if (p) {
            power = (unsigned)(p - prefixes) + 1;
            i++;
        }
    }
    unsigned long long base = 1000;
    if (power && i < n && s[i] == 'i') {
        base = 1024;
        i++;
    }
    if (i < n && s[i] == 'B')
        i++;
    if (i != n)
        return false;
    /* whole and frac times base^power, refusing what does not fit 64 bits */
    unsigned long long mult = 1;
    for (unsigned k = 0; k < power; k++)
        mult *= base; /* at most 1024^6 = 2^60 */
    if (whole >= ~0ULL / mult - 1)
        return false;
    *bytes = whole * mult + (mult / frac_div) * frac;
    return true;
}

/* The value of attribute name="..." within tag[0..n), or NULL. */
static const char *attr(const char *tag, size_t n, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 2 <= n; i++) {
        if (memcmp(tag + i, name, nl) != 0 || tag[i + nl] != '=' ||
            (i > 0 && tag[i - 1] != ' ' && tag[i - 1] != '\t' && tag[i - 1] != '\n'))
            continue;
        char q = tag[i + nl + 1];
        if (q != '"' && q != '\'')
            continue;
        const char *v = tag + i + nl + 2;
        const char *end = memchr(v, q, n - (size_t)(v - tag));
        if (!end)
            return NULL;
        *len = (size_t)(end - v);
        return v;
    }
    return NULL;
}

bool magick_policy_memory(const char *data, size_t n, unsigned long long *bytes)
{
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(data + i, '<', n - i);
        if (!lt)
            break;
        i = (size_t)(lt - data);
        if (n - i >= 4 && !memcmp(lt, "<!--", 4)) {
            const char *end = memmem(lt + 4, n - i - 4, "-->", 3);
            if (!end)
                break;
            i = (size_t)(end - data) + 3;
            continue;
        }
        const char *gt = memchr(lt, '>', n - i);
        if (!gt)
            break;
        size_t tn = (size_t)(gt - lt);
        i = (size_t)(gt - data) + 1;
        if (tn < 7 || memcmp(lt, "<policy", 7) != 0)
            continue;
        size_t dl, nl, vl;
        const char *d = attr(lt, tn, "domain", &dl), *nm = attr(lt, tn, "name", &nl),
                   *v = attr(lt, tn, "value", &vl);
        if (d && nm && v && dl == 8 && !memcmp(d, "resource", 8) && nl == 6 &&
            !memcmp(nm, "memory", 6))
            return magick_parse_size(v, vl, bytes);
    }
    return false;
}

bool magick_policy_memory_cap(const char *(*lookup)(const char *), unsigned long long *bytes,
                              const char **path)
{
    static const char *const defaults[] = {
        "/etc/ImageMagick-6/policy.xml",
        "/etc/ImageMagick-7/policy.xml",
        "/etc/ImageMagick/policy.xml",
    };
    const char *given = lookup("SOLODYNO_MAGICK_POLICY");
    size_t count = given && *given ? 1 : sizeof defaults / sizeof defaults[0];
    for (size_t i = 0; i < count; i++) {
        const char *p = given && *given ? given : defaults[i];
        char *data;
        size_t len;
        if (read_file(p, 1024 * 1024, &data, &len) != 0)
            continue;
        bool found = magick_policy_memory(data, len, bytes);
        free(data);
        *path = p;
        return found;
    }
    return false;
}
