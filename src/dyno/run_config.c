/* What solodyno run runs: its settings (SOLODYNO_GRACE, SOLODYNO_PREFIX) and
 * the members of FILE enabled on this dyno. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "dyno/env_value.h"
#include "dyno/run.h"

static const char *env_lookup(const char *name) { return getenv(name); }

/* SOLODYNO_GRACE and SOLODYNO_PREFIX. An empty value counts as unset. */
int read_settings(struct supervisor *sv, int *prefix_setting)
{
    const char *grace = getenv("SOLODYNO_GRACE");
    const char *prefix = getenv("SOLODYNO_PREFIX");

    sv->grace_ms = DEFAULT_GRACE_MS;
    if (grace && *grace && !parse_seconds_ms(grace, MAX_GRACE_MS, &sv->grace_ms)) {
        msg_error("SOLODYNO_GRACE must be a number of seconds from 0 to %lu, like 28 or 2.5; "
                  "it is '%s'", MAX_GRACE_MS / 1000, grace);
        return -1;
    }
    *prefix_setting = -1; /* decided by the number of members */
    if (prefix && *prefix && (*prefix_setting = parse_switch(prefix)) < 0) {
        msg_error("SOLODYNO_PREFIX must be 0 or 1 (or false/true); it is '%s'", prefix);
        return -1;
    }
    return 0;
}

/* Explains, for each member, the variable that decides whether it runs. */
static void explain_conditions(const struct procfile *pf, strbuf *why)
{
    for (size_t i = 0; i < pf->n; i++) {
        const struct proc_line *l = &pf->lines[i];
        if (l->kind != PROC_ENTRY || !l->cond_var)
            continue;
        const char *value = getenv(l->cond_var);
        sb_printf(why, "\n  %s runs when %s is %s\"true\" (it is ", l->name, l->cond_var,
                  l->cond_negated ? "not " : "");
        if (value)
            sb_printf(why, "\"%s\")", value);
        else
            sb_append(why, "unset)");
    }
}

/* Reads FILE strictly and keeps the members enabled on this dyno, in file order. */
int load_members(struct supervisor *sv, const char *file, struct procfile *pf)
{
    strbuf diag = STRBUF_INIT;
    int rc = procfile_load(file, file, PROCFILE_WEB, pf, &diag);
    if (rc != 0) {
        size_t len = diag.len;
        while (len > 0 && diag.data[len - 1] == '\n') /* msg_error ends the line */
            len--;
        if (rc > 0)
            msg_error("%s: no such file (it lists the processes to run together)", file);
        else
            msg_error("%.*s", (int)len, len ? diag.data : "");
        sb_free(&diag);
        return -1;
    }
    sb_free(&diag);

    size_t entries = 0;
    sv->members = calloc(pf->n ? pf->n : 1, sizeof *sv->members);
    if (!sv->members) {
        msg_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < pf->n; i++) {
        const struct proc_line *l = &pf->lines[i];
        if (l->kind != PROC_ENTRY)
            continue;
        entries++;
        if (!procfile_member_enabled(l, env_lookup))
            continue;
        struct member *m = &sv->members[sv->n++];
        m->name = l->name;
        m->command = l->command;
        m->state = MEMBER_NOT_STARTED;
        m->out.fd = -1;
    }
    if (entries == 0) {
        msg_error("%s lists no processes (expected lines like \"puma: bundle exec puma\")", file);
        return -1;
    }
    if (sv->n == 0) {
        strbuf why = STRBUF_INIT;
        explain_conditions(pf, &why);
        msg_error("no process of %s is enabled on this dyno:%s\n"
                  "Set those config vars to choose what runs here.", file, why.data ? why.data : "");
        sb_free(&why);
        return -1;
    }
    return 0;
}

/* "name    | " for every member, padded to the longest name. */
void make_prefixes(struct supervisor *sv)
{
    size_t width = 0;
    for (size_t i = 0; i < sv->n; i++)
        if (strlen(sv->members[i].name) > width)
            width = strlen(sv->members[i].name);
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        size_t len = strlen(m->name);
        strbuf sb = STRBUF_INIT;
        sb_append_len(&sb, m->name, len);
        while (len++ < width)
            sb_append_char(&sb, ' ');
        sb_append(&sb, " | ");
        m->prefix_len = sb.len;
        m->prefix = sb_take(&sb);
        m->out.prefix = m->prefix;
        m->out.prefix_len = m->prefix_len;
    }
}
