/* libFuzzer target: the one-dyno layout computed from any Procfile.
 *
 * The first byte chooses: bit 0 Mastodon, bit 1 the app has a Procfile.web,
 * bit 2 the scripts the web line names (bin/heroku-web, a foreman Procfile)
 * hold the same bytes as the Procfile (else upstream's bin/heroku-web and
 * nothing else). Invariants:
 * - inject(inject(x)) == inject(x): a second run changes nothing;
 * - every line of the original that Heroku does not read as web, worker or
 *   release survives, in order;
 * - a Procfile.web we write parses strictly; nothing is written otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfile.h"
#include "build/procfile_layout.h"

static const uint8_t *script;
static size_t script_len;

static int read_app_file(void *ctx, const char *rel, char **data, size_t *len, const char **why)
{
    (void)ctx;
    (void)why;
    if (!script)
        return strcmp(rel, "bin/heroku-web") == 0 ? (*data = strdup(MASTODON_HEROKU_WEB), *len = strlen(*data), 0)
                                                  : 1;
    *data = malloc(script_len + 1);
    memcpy(*data, script, script_len);
    (*data)[script_len] = '\0';
    *len = script_len;
    return 0;
}

static bool rewritten_role(const struct proc_line *l)
{
    return l->name && (!strcmp(l->name, "web") || !strcmp(l->name, "worker") || !strcmp(l->name, "release"));
}

static size_t raw_len(const struct proc_line *l)
{
    size_t n = l->raw_len; /* a line's trailing CRs are its line ending, not its content */
    while (n > 0 && l->raw[n - 1] == '\r')
        n--;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    const char *pf = (const char *)data + 1;
    size_t len = size - 1;
    script = flags & 4 ? data + 1 : NULL;
    script_len = len;

    struct layout_in in = {pf, len, (flags & 2) != 0, (flags & 1) != 0, read_app_file, NULL};
    struct layout_out out;
    layout_compute(&in, &out);
    if (out.outcome != LAYOUT_CHANGED) {
        if (out.procfile.len || out.procfile_web.len || out.web_new)
            abort();
        layout_out_free(&out);
        return 0;
    }

    /* The new Procfile.web parses strictly. */
    if (out.web_new) {
        struct procfile w;
        strbuf d = STRBUF_INIT;
        if (procfile_parse(out.procfile_web.data, out.procfile_web.len, "Procfile.web", PROCFILE_WEB, &w, &d) != 0)
            abort();
        procfile_free(&w);
        sb_free(&d);
    }

    /* Every other line survives, in order. */
    struct procfile a, b;
    strbuf d = STRBUF_INIT;
    procfile_parse(pf, len, "Procfile", PROCFILE_APP, &a, &d);
    procfile_parse(out.procfile.data, out.procfile.len, "Procfile", PROCFILE_APP, &b, &d);
    size_t j = 0;
    for (size_t i = 0; i < a.n; i++) {
        const struct proc_line *l = &a.lines[i];
        if (rewritten_role(l))
            continue;
        while (j < b.n && !(raw_len(&b.lines[j]) == raw_len(l) && !memcmp(b.lines[j].raw, l->raw, raw_len(l))))
            j++;
        if (j == b.n)
            abort();
        j++;
    }
    procfile_free(&a);
    procfile_free(&b);
    sb_free(&d);

    /* A second run over the result changes nothing. */
    struct layout_in again = {out.procfile.data, out.procfile.len, in.has_procfile_web || out.web_new, in.mastodon,
                              read_app_file, NULL};
    struct layout_out out2;
    layout_compute(&again, &out2);
    if (out2.outcome != LAYOUT_UNCHANGED)
        abort();
    layout_out_free(&out2);
    layout_out_free(&out);
    return 0;
}
