#include "dyno/env_value.h"

#include <limits.h>
#include <string.h>

bool parse_seconds_ms(const char *text, unsigned long max_ms, unsigned long *ms)
{
    unsigned long whole = 0, frac = 0;
    const char *p = text;

    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        /* Stop before the multiplication below could overflow. */
        if (whole > max_ms / 1000)
            return false;
        whole = whole * 10 + (unsigned long)(*p - '0');
    }
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (digits == 3)
                return false; /* finer than a millisecond: surely a mistake */
            frac = frac * 10 + (unsigned long)(*p - '0');
        }
        if (digits == 0)
            return false;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    /* whole * 1000 cannot overflow here; the subtraction cannot go below 0. */
    if (*p != '\0' || whole > max_ms / 1000 || frac > max_ms - whole * 1000)
        return false;
    *ms = whole * 1000 + frac;
    return true;
}

int parse_switch(const char *text)
{
    static const char *const on[] = {"1", "true", "yes", "on"};
    static const char *const off[] = {"0", "false", "no", "off"};

    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        if (!strcmp(text, on[i]))
            return 1;
        if (!strcmp(text, off[i]))
            return 0;
    }
    return -1;
}

bool parse_whole(const char *s, unsigned long long min, unsigned long long max,
                 unsigned long long *out)
{
    if (!s || *s == '\0')
        return false;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        if (v > (ULLONG_MAX - 9) / 10)
            return false;
        v = v * 10 + (unsigned)(*p - '0');
        if (v > max)
            return false;
    }
    if (v < min)
        return false;
    *out = v;
    return true;
}
