/* libFuzzer target: solodyno-slug's command line (slug_parse_args) and its
 * sizes (slug_parse_size).
 *
 * Input: NUL-separated arguments. Checks that a command line that is
 * accepted has an app, an output, 1 to 64 jobs and a limit of at least one
 * byte, and that a size is accepted exactly when it is digits then an
 * optional K, M or G (and B), with the value that says. */
#include "fuzz_files.h"

#include "slug/slug.h"

#define MAX_ARGS 16

/* The size the string means, by the README's rule; false if none. */
static bool expected_size(const char *s, uint64_t *v)
{
    const char *p = s;
    uint64_t x = 0;
    while (*p >= '0' && *p <= '9') {
        if (p - s >= 19)
            return false;
        x = x * 10 + (uint64_t)(*p++ - '0');
    }
    if (p == s || x == 0)
        return false;
    uint64_t mult = 1;
    if (*p && strchr("kK", *p))
        mult = 1024, p++;
    else if (*p && strchr("mM", *p))
        mult = 1024 * 1024, p++;
    else if (*p && strchr("gG", *p))
        mult = 1024 * 1024 * 1024, p++;
    if (mult > 1 && (*p == 'b' || *p == 'B'))
        p++;
    if (*p || x > UINT64_MAX / mult)
        return false;
    *v = x * mult;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = strdup("solodyno-slug");
    size_t pos = 0, len;
    while (pos < size && argc <= MAX_ARGS) {
        const uint8_t *f = fuzz_field(data, size, &pos, &len);
        argv[argc++] = strndup((const char *)f, len);
    }
    argv[argc] = NULL;

    for (int i = 1; i < argc; i++) {
        uint64_t got = 0, want = 0;
        bool ok = slug_parse_size(argv[i], &got) == 0;
        if (ok != expected_size(argv[i], &want) || (ok && got != want))
            abort();
    }

    struct slug_options o;
    int rc = slug_parse_args(argc, argv, &o);
    if (rc != -1 && rc != 0 && rc != 2)
        abort();
    if (rc == -1) {
        if (!o.app || !o.output || !*o.output || o.jobs < 1 || o.jobs > 64 || o.max < 1)
            abort();
        bool app_is_arg = false;
        for (int i = 1; i < argc; i++)
            app_is_arg |= argv[i] == o.app;
        if (!app_is_arg)
            abort();
    }
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return 0;
}
