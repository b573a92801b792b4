/* libFuzzer target: launch.toml from any Procfile. Checks that the output has
 * only the lines we mean to write (command = ["bash", "-c"], the Procfile's
 * command as args), that every string in it is a well-formed TOML basic string
 * (no raw control bytes, only valid escapes, closed on its line), that
 * decoding each command gives back the Procfile's command byte for byte, and
 * that the default is web when declared, else the only process, else none. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toml_decode.h"

#include "build/cnb.h"
#include "common/quote.h"

static void expect(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        abort();
    *p += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct procfile pf;
    strbuf diag = STRBUF_INIT, out = STRBUF_INIT;
    procfile_parse((const char *)data, size, "Procfile", PROCFILE_APP, &pf, &diag);
    sb_free(&diag);
    size_t n = cnb_render_launch(&pf, &out, &diag);
    if (!utf8_valid(out.data, out.len) || strlen(out.data) != out.len)
        abort();

    /* The commands we expect, in order. */
    size_t k = 0, defaults = 0, seen = 0;
    char *default_type = NULL;
    const char *p = out.data;
    expect(&p, "# Written by solodyno's bin/build from the app's Procfile (Buildpack API 0.10).\n");
    while (*p) {
        expect(&p, "\n[[processes]]\ntype = ");
        strbuf type = STRBUF_INIT, cmd = STRBUF_INIT;
        toml_decode_string(&p, &type);
        if (!cnb_valid_process_type(type.data ? type.data : ""))
            abort();
        /* heroku/procfile's shape: the command is the one overridable argument. */
        expect(&p, "\ncommand = [\"bash\", \"-c\"]\nargs = [");
        toml_decode_string(&p, &cmd);
        expect(&p, "]");
        expect(&p, "\ndefault = ");
        if (strncmp(p, "true\n", 5) == 0) {
            defaults++;
            default_type = strdup(type.data);
            p += 5;
        } else {
            expect(&p, "false\n");
        }
        /* The next declarable entry of the Procfile is this one. */
        const char *why;
        while (k < pf.n && !cnb_declarable(&pf, &pf.lines[k], &why))
            k++;
        if (k == pf.n || strcmp(pf.lines[k].name, type.data) != 0 ||
            strcmp(pf.lines[k].command, cmd.data ? cmd.data : "") != 0)
            abort();
        k++;
        seen++;
        sb_free(&type);
        sb_free(&cmd);
    }
    /* The default: web when it is declared, else the only process, else none. */
    const char *why_not;
    bool has_web = false;
    for (size_t i = 0; i < pf.n; i++)
        has_web |= cnb_declarable(&pf, &pf.lines[i], &why_not) && strcmp(pf.lines[i].name, "web") == 0;
    if (seen != n || defaults > 1 || (has_web && (!default_type || strcmp(default_type, "web") != 0)) ||
        (!has_web && ((n == 1) != (defaults == 1))))
        abort();
    free(default_type);
    procfile_free(&pf);
    sb_free(&out);
    sb_free(&diag);
    return 0;
}
