/* libFuzzer target: parsing .solodyno/app-facts, read at every dyno start. */
#include <stdint.h>
#include <stdlib.h>

#include "common/app_facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_facts f;
    app_facts_parse((const char *)data, size, &f);
    /* A version is either fully known or fully unknown, and only for Mastodon. */
    if ((f.version[0] < 0) != (f.version[1] < 0))
        abort();
    if (!f.mastodon && f.version[0] >= 0)
        abort();
    (void)app_facts_mastodon_before(&f, 4, 2);
    (void)app_facts_reads(&f, "SERVICE_TIMEOUT");
    return 0;
}
