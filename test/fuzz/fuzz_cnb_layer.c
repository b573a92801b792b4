/* libFuzzer target: cnb_render_layer, the <layer>.toml bin/build writes from
 * values of the build environment (compiler path, flags, the target).
 *
 * Input: a byte of [types] flags, then NUL-separated KEY, VALUE pairs. Checks
 * that a rendered file holds exactly the lines we mean, every value decoding
 * back to itself, and that a refusal has a real reason (a key that is not a
 * TOML bare key, a key given twice, a value that is not UTF-8) and leaves the
 * output untouched. */
#include "fuzz_files.h"
#include "toml_decode.h"

#include "build/cnb.h"
#include "common/quote.h"

#define MAX_META 16

static bool bare_key(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_' ||
              *k == '-'))
            return false;
    return true;
}

static void expect(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        abort();
    *p += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool launch = data[0] & 1, build = data[0] & 2, cache = data[0] & 4;
    char *keys[MAX_META], *values[MAX_META];
    struct cnb_meta meta[MAX_META];
    size_t n = 0, pos = 1, len;
    while (pos < size && n < MAX_META) {
        const uint8_t *k = fuzz_field(data, size, &pos, &len);
        keys[n] = strndup((const char *)k, len);
        const uint8_t *v = fuzz_field(data, size, &pos, &len);
        values[n] = strndup((const char *)v, len);
        meta[n] = (struct cnb_meta){keys[n], values[n]};
        n++;
    }

    /* Whether it must be refused. */
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        if (!bare_key(keys[i]) || !utf8_valid(values[i], strlen(values[i])))
            bad = true;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(keys[i], keys[j]))
                bad = true;
    }

    strbuf out = STRBUF_INIT, diag = STRBUF_INIT;
    bool ok = cnb_render_layer(launch, build, cache, meta, n, &out, &diag);
    if (ok == bad)
        abort();
    if (!ok) {
        if (out.len || !diag.len)
            abort();
    } else {
        const char *p = out.data;
        expect(&p, "[types]\nlaunch = ");
        expect(&p, launch ? "true" : "false");
        expect(&p, "\nbuild = ");
        expect(&p, build ? "true" : "false");
        expect(&p, "\ncache = ");
        expect(&p, cache ? "true" : "false");
        expect(&p, "\n\n[metadata]\n");
        for (size_t i = 0; i < n; i++) {
            expect(&p, keys[i]);
            expect(&p, " = ");
            strbuf v = STRBUF_INIT;
            toml_decode_string(&p, &v);
            if (strcmp(v.data ? v.data : "", values[i]) != 0)
                abort();
            sb_free(&v);
            expect(&p, "\n");
        }
        if (*p)
            abort();
    }
    sb_free(&out);
    sb_free(&diag);
    for (size_t i = 0; i < n; i++) {
        free(keys[i]);
        free(values[i]);
    }
    return 0;
}
