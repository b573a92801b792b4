/* libFuzzer target: the Procfile grammar in both modes, and the invariant that
 * rendering an unchanged app Procfile gives back its bytes (minus a missing
 * final newline). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfile.h"

static const char *all_true(const char *name)
{
    (void)name;
    return "true";
}

static const char *all_unset(const char *name)
{
    (void)name;
    return NULL;
}

/* With every variable unset, a member runs when all its conditions are @!. */
static bool all_negated(const struct proc_line *l)
{
    for (size_t k = 0; k < l->n_conds; k++)
        if (!l->conds[k].negated)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct procfile pf;
    strbuf diag = STRBUF_INIT;
    procfile_parse((const char *)data, size, "Procfile", PROCFILE_APP, &pf, &diag);
    strbuf out = STRBUF_INIT;
    procfile_render(&pf, &out);
    /* Same bytes back, except line endings may be normalised to the first line's. */
    size_t body = size - (pf.bom ? 3 : 0); /* the bytes after a byte order mark */
    if (!pf.crlf && (size == 0 || memchr(data, '\r', size) == NULL)) {
        size_t expect = size + (body > 0 && data[size - 1] != '\n' ? 1 : 0);
        if (out.len != expect || (size > 0 && memcmp(out.data, data, size) != 0))
            abort();
    }
    /* Rewriting keeps the file parseable and the entry findable. */
    procfile_set(&pf, "web", "solodyno run Procfile.web", NULL, false);
    if (!procfile_find(&pf, "web"))
        abort();
    procfile_free(&pf);
    sb_free(&out);
    sb_free(&diag);

    if (procfile_parse((const char *)data, size, "Procfile.web", PROCFILE_WEB, &pf, &diag) == 0) {
        /* Each member written back from what was parsed (name, conditions,
         * command) reads again as the same member: the grammar round-trips. */
        for (size_t i = 0; i < pf.n; i++) {
            const struct proc_line *l = &pf.lines[i];
            if (l->kind != PROC_ENTRY)
                continue;
            if ((l->n_conds == 0) != (l->cond_var == NULL) || l->n_conds > PROC_CONDS_MAX)
                abort();
            strbuf one = STRBUF_INIT;
            sb_append(&one, l->name);
            procfile_format_conditions(l, &one);
            sb_printf(&one, ": %s\n", l->command);
            struct procfile m;
            strbuf d1 = STRBUF_INIT;
            if (procfile_parse(one.data, one.len, "member", PROCFILE_WEB, &m, &d1) != 0 || m.n != 1 ||
                strcmp(m.lines[0].name, l->name) != 0 || strcmp(m.lines[0].command, l->command) != 0 ||
                m.lines[0].n_conds != l->n_conds)
                abort();
            for (size_t k = 0; k < l->n_conds; k++)
                if (strcmp(m.lines[0].conds[k].var, l->conds[k].var) != 0 ||
                    m.lines[0].conds[k].negated != l->conds[k].negated)
                    abort();
            /* Enabled exactly when every condition holds: here, with every
             * variable "true", when none is negated. */
            bool none_negated = true;
            for (size_t k = 0; k < l->n_conds; k++)
                none_negated = none_negated && !l->conds[k].negated;
            if (procfile_member_enabled(l, all_true) != none_negated)
                abort();
            if (procfile_member_enabled(l, all_unset) != all_negated(l))
                abort();
            sb_free(&one);
            procfile_describe_conditions(l, all_true, &one);
            if ((one.len == 0) != (l->n_conds == 0))
                abort();
            procfile_free(&m);
            sb_free(&one);
            sb_free(&d1);
        }
        /* A strict file renders to something that parses to the same members. */
        procfile_set(&pf, "x", "y", "V", true);
        procfile_render(&pf, &out);
        struct procfile again;
        strbuf d2 = STRBUF_INIT;
        if (procfile_parse(out.data, out.len, "again", PROCFILE_WEB, &again, &d2) != 0)
            abort();
        if (again.n != pf.n)
            abort();
        procfile_free(&again);
        sb_free(&d2);
        procfile_free(&pf);
    }
    sb_free(&out);
    sb_free(&diag);
    return 0;
}
