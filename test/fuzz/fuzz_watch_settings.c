/* libFuzzer target: the config vars of the memory watch and boot order
 * (SOLODYNO_MEMORY_SAMPLE, _METRICS, _MEMORY_RESTART, _BOOT_WAIT, _BOOT) and
 * the $PORT reading of a member's command. Input: NUL-separated values, in
 * that order, then a command. Invariants: values within their bounds; every
 * name kept from SOLODYNO_MEMORY_RESTART is a valid member name; a warning is
 * whole lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dyno/watch_settings.h"

static const char *names[] = {"SOLODYNO_MEMORY_SAMPLE", "SOLODYNO_METRICS",
                              "SOLODYNO_MEMORY_RESTART", "SOLODYNO_BOOT_WAIT", "SOLODYNO_BOOT"};
static char *values[5];

static const char *fake(const char *name)
{
    for (size_t i = 0; i < 5; i++)
        if (!strcmp(names[i], name))
            return values[i];
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *p = copy, *end = copy + size;
    for (size_t i = 0; i < 5; i++) {
        values[i] = p < end ? p : NULL;
        if (p < end)
            p += strlen(p) + 1;
    }
    const char *command = p < end ? p : "";

    struct watch_settings s;
    strbuf w = STRBUF_INIT;
    watch_settings_read(fake, NULL, &s, &w);
    if (s.sample_ms != 0 && (s.sample_ms < WATCH_SAMPLE_MIN_MS || s.sample_ms > WATCH_SAMPLE_MAX_MS))
        abort();
    if (s.boot_wait_ms > BOOT_WAIT_MAX_MS)
        abort();
    if (s.restart_default + s.restart_none + (s.restart_names != NULL) != 1)
        abort();
    for (const char *n = s.restart_names; n && *n; n += strlen(n) + 1)
        if (!procfile_valid_name(n, strlen(n)))
            abort();
    if (w.len && w.data[w.len - 1] != '\n')
        abort();
    watch_may_restart(&s, command, command);
    member_binds_port(command);
    watch_settings_free(&s);
    sb_free(&w);
    free(copy);
    return 0;
}
