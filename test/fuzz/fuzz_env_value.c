/* libFuzzer target: the strict parsers of runtime variables (SOLODYNO_GRACE,
 * SOLODYNO_PREFIX, whole numbers such as SOLODYNO_MEMORY_MB), with the
 * invariant that an accepted value is within its maximum and reads back the
 * same once printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dyno/env_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    static const unsigned long maxima[] = {0, 500, 3600UL * 1000, (unsigned long)-1};
    for (size_t i = 0; i < sizeof maxima / sizeof maxima[0]; i++) {
        unsigned long ms;
        if (!parse_seconds_ms(text, maxima[i], &ms))
            continue;
        if (ms > maxima[i])
            abort();
        char again[64];
        unsigned long back;
        snprintf(again, sizeof again, "%lu.%03lu", ms / 1000, ms % 1000);
        if (!parse_seconds_ms(again, maxima[i], &back) || back != ms)
            abort();
    }
    int sw = parse_switch(text);
    if (sw < -1 || sw > 1)
        abort();
    /* A whole number accepted is in range and prints back as the same text,
     * but for leading zeros. */
    const char *digits = text;
    while (digits[0] == '0' && digits[1] != '\0')
        digits++;
    static const unsigned long long whole_max[] = {1, 1048576, ~0ULL};
    for (size_t i = 0; i < sizeof whole_max / sizeof whole_max[0]; i++) {
        unsigned long long v;
        if (!parse_whole(text, 1, whole_max[i], &v))
            continue;
        char again[32];
        snprintf(again, sizeof again, "%llu", v);
        if (v < 1 || v > whole_max[i] || strcmp(again, digits) != 0)
            abort();
    }
    free(text);
    return 0;
}
