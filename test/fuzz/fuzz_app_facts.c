/* libFuzzer target: the app facts, both ends.
 * - Parsing .solodyno/app-facts (read at every dyno start): a version is
 *   fully known or fully unknown, and only for Mastodon; a place is kept only
 *   for what is read, printable; what is parsed, written again, parses the
 *   same.
 * - The build's scan of code (Ruby, ERB in templates and YAML, JavaScript):
 *   every read reported is a variable name on a line of the input, and the
 *   lexers end on any input.
 * - version.rb: a version read from it is one the facts file accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/code_reads.h"
#include "build/version_rb.h"
#include "common/app_facts.h"

static int lines;

static void found(void *ctx, const char *name, size_t len, int line)
{
    (void)ctx;
    if (len == 0 || len > 255 || line < 1 || line > lines)
        abort();
    if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
        abort();
    for (size_t k = 0; k < len; k++)
        if (!((name[k] >= 'A' && name[k] <= 'Z') || (name[k] >= 'a' && name[k] <= 'z') ||
              (name[k] >= '0' && name[k] <= '9') || name[k] == '_'))
            abort();
}

static void check_facts(const struct app_facts *f)
{
    if ((f->version[0] < 0) != (f->version[1] < 0) || (f->version[0] < 0) != (f->version_text[0] == '\0'))
        abort();
    if (!f->mastodon && f->version[0] >= 0)
        abort();
    for (int t = 0; t < APP_FACTS_TUNABLES; t++) {
        if (f->where[t][0] && !(f->reads & (1u << t)))
            abort();
        for (const char *p = f->where[t]; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F)
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct app_facts f;
    app_facts_parse(s, size, &f);
    check_facts(&f);
    (void)app_facts_mastodon_before(&f, 4, 2);
    (void)app_facts_reads(&f, "SERVICE_TIMEOUT");
    strbuf out = STRBUF_INIT;
    app_facts_format(&f, &out);
    struct app_facts again;
    app_facts_parse(out.data, out.len, &again);
    if (again.mastodon != f.mastodon || again.reads != f.reads || strcmp(again.version_text, f.version_text) != 0 ||
        memcmp(again.version, f.version, sizeof f.version) != 0)
        abort();
    for (int t = 0; t < APP_FACTS_TUNABLES; t++)
        if (strcmp(again.where[t], f.where[t]) != 0)
            abort();
    sb_free(&out);

    lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    ruby_env_reads(s, size, found, NULL);
    erb_env_reads(s, size, true, found, NULL);
    erb_env_reads(s, size, false, found, NULL);
    js_env_reads(s, size, found, NULL);

    char v[MASTODON_VERSION_MAX + 1];
    if (mastodon_version_parse(s, size, v)) {
        struct app_facts m;
        app_facts_init(&m);
        m.mastodon = true;
        if (!app_facts_set_version(&m, v, strlen(v)))
            abort();
    }
    return 0;
}
