/* libFuzzer target: reading one Procfile command (the shell lexer, the
 * one-liner shapes, a command's kind) and the rewrites made to one: adding
 * Sidekiq's -c and the release guard are each done once (applied again they
 * change nothing), and the members recognised are never empty and carry
 * conditions a Procfile.web line holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/oneliner.h"
#include "build/proc_command.h"
#include "build/shell_lex.h"
#include "common/procfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ol_result res;
    if (oneliner_parse((const char *)data, size, &res) == OL_OK) {
        if (res.n == 0)
            abort();
        if (res.shape == OL_SIMPLE && (res.n != 1 || res.members[0].n_conds))
            abort();
        for (size_t i = 0; i < res.n; i++) {
            const struct ol_member *m = &res.members[i];
            if (!m->command[0] || m->n_conds > PROC_CONDS_MAX)
                abort();
            /* Conditions Procfile.web can hold: each variable once. */
            for (size_t k = 0; k < m->n_conds; k++)
                for (size_t j = k + 1; j < m->n_conds; j++)
                    if (!strcmp(m->conds[k].var, m->conds[j].var))
                        abort();
            /* A member's line reads back strictly with the same conditions
             * (when its command fits on one line). */
            if (strchr(m->command, '\n') || strchr(m->command, '\r'))
                continue;
            strbuf line = STRBUF_INIT;
            sb_append(&line, "m");
            for (size_t k = 0; k < m->n_conds; k++)
                sb_printf(&line, "@%s%s", m->conds[k].negated ? "!" : "", m->conds[k].var);
            sb_printf(&line, ": %s\n", m->command);
            struct procfile pf;
            strbuf diag = STRBUF_INIT;
            if (procfile_parse(line.data, line.len, "Procfile.web", PROCFILE_WEB, &pf, &diag) == 0) {
                if (pf.n != 1 || pf.lines[0].n_conds != m->n_conds)
                    abort();
                procfile_free(&pf);
            } else if (m->n_conds && !strstr(diag.data, "UTF-8") && !strstr(diag.data, "64 KiB")) {
                abort(); /* only the command itself may be what Procfile.web refuses */
            }
            sb_free(&line);
            sb_free(&diag);
        }
        ol_result_free(&res);
    }

    char *cmd = strndup((const char *)data, size);
    if (!cmd)
        return 0;
    (void)proc_kind_of(cmd);

    strbuf once = STRBUF_INIT, twice = STRBUF_INIT;
    if (sidekiq_add_concurrency(cmd, &once) && sidekiq_add_concurrency(once.data, &twice))
        abort();
    sb_free(&once);
    sb_free(&twice);

    strbuf g = STRBUF_INIT, g2 = STRBUF_INIT;
    if (release_guard(cmd, &g) && release_guard(g.data, &g2))
        abort();
    sb_free(&g);
    sb_free(&g2);
    free(cmd);
    return 0;
}
