/* libFuzzer target: the strict parsers of solodyno's runtime variables
 * (SOLODYNO_GRACE, SOLODYNO_PREFIX), with the invariant that an accepted
 * duration is within its maximum and reads back the same once printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_value.h"

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
    free(text);
    return 0;
}
