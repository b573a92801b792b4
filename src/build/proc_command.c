/* What a Procfile command runs: see proc_command.h. */
#include "build/proc_command.h"

#include <string.h>

#include "common/quote.h"
#include "build/shell_lex.h"

/* The simple command that starts at token *i: sets [*from, *to) and moves *i
 * past its separator. */
static bool next_simple(const struct sh_toks *t, size_t *i, size_t *from, size_t *to)
{
    while (*i < t->n && sh_is_separator(t->t[*i].kind))
        (*i)++;
    if (*i >= t->n)
        return false;
    *from = *i;
    while (*i < t->n && !sh_is_separator(t->t[*i].kind))
        (*i)++;
    *to = *i;
    return true;
}

static bool is_streaming_path(const char *w)
{
    if (!strncmp(w, "./", 2))
        w += 2;
    if (strncmp(w, "streaming", 9) != 0)
        return false;
    return w[9] == '\0' || w[9] == '/';
}

/* The kind of one simple command; -1 for a neutral helper (sleep, echo). */
static int simple_kind(const struct sh_toks *t, size_t from, size_t to)
{
    size_t p = sh_program_word(t, from, to);
    if (p >= to)
        return -1; /* only assignments or redirections */
    const char *prog = sh_basename(t->t[p].value);
    if (!strcmp(prog, "sleep") || !strcmp(prog, "echo") || !strcmp(prog, "true") || !strcmp(prog, ":") ||
        !strcmp(prog, "[") || !strcmp(prog, "[[") || !strcmp(prog, "test"))
        return -1;
    if (!strcmp(prog, "puma") || !strcmp(prog, "unicorn") || !strcmp(prog, "unicorn_rails"))
        return KIND_WEB;
    if (!strcmp(prog, "rails") && p + 1 < to && t->t[p + 1].kind == SH_WORD &&
        (!strcmp(t->t[p + 1].value, "server") || !strcmp(t->t[p + 1].value, "s")))
        return KIND_WEB;
    if (!strcmp(prog, "sidekiq"))
        return KIND_SIDEKIQ;
    if (!strcmp(prog, "node")) {
        for (size_t k = p + 1; k < to; k++)
            if (t->t[k].kind == SH_WORD && !t->t[k].redir_target && t->t[k].value[0] != '-')
                return is_streaming_path(t->t[k].value) ? KIND_STREAMING : KIND_UNKNOWN;
    }
    return KIND_UNKNOWN;
}

enum proc_kind proc_kind_of(const char *cmd)
{
    struct sh_toks t;
    const char *why;
    if (sh_lex(cmd, strlen(cmd), &t, &why) < 0)
        return KIND_UNKNOWN;
    int kind = -1;
    size_t i = 0, from, to;
    while (next_simple(&t, &i, &from, &to)) {
        int k = simple_kind(&t, from, to);
        if (k < 0)
            continue;
        if (k == KIND_UNKNOWN || (kind >= 0 && kind != k)) {
            kind = KIND_UNKNOWN;
            break;
        }
        kind = k;
    }
    sh_toks_free(&t);
    return kind < 0 ? KIND_UNKNOWN : (enum proc_kind)kind;
}

static bool sets_concurrency(const struct sh_toks *t, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        const struct sh_tok *w = &t->t[k];
        if (w->kind != SH_WORD || w->redir_target)
            continue;
        const char *v = w->value;
        if (!strcmp(v, "--concurrency") || !strncmp(v, "--concurrency=", 14))
            return true;
        if (v[0] == '-' && v[1] == 'c') /* -c N, -cN */
            return true;
    }
    return false;
}

bool sidekiq_add_concurrency(const char *cmd, strbuf *out)
{
    struct sh_toks t;
    const char *why;
    if (sh_lex(cmd, strlen(cmd), &t, &why) < 0)
        return false;
    strbuf sb = STRBUF_INIT;
    size_t copied = 0, i = 0, from, to;
    bool changed = false;
    while (next_simple(&t, &i, &from, &to)) {
        size_t p = sh_program_word(&t, from, to);
        if (p >= to || strcmp(sh_basename(t.t[p].value), "sidekiq") != 0 || sets_concurrency(&t, p + 1, to))
            continue;
        size_t at = t.t[to - 1].end;
        sb_append_len(&sb, cmd + copied, at - copied);
        sb_append(&sb, " " SIDEKIQ_CONCURRENCY_ARGS);
        copied = at;
        changed = true;
    }
    if (changed) {
        sb_append(&sb, cmd + copied);
        sb_append_len(out, sb.data, sb.len);
    }
    sb_free(&sb);
    sh_toks_free(&t);
    return changed;
}

/* True if cmd can be pasted between "then " and "; else" unchanged in
 * meaning: it reads as a whole list (quotes closed, no comment that would
 * swallow the rest, no here-document) and does not end with an operator. */
static bool embeddable(const char *cmd)
{
    if (strchr(cmd, '#') || strchr(cmd, '\n'))
        return false; /* a comment would swallow "; else ...; fi" */
    struct sh_toks t;
    const char *why;
    if (sh_lex(cmd, strlen(cmd), &t, &why) < 0)
        return false;
    bool ok = t.n > 0 && t.t[t.n - 1].kind == SH_WORD;
    /* A compound command (if, while, ...) is fine only if the command closes
     * it, which bash knows and we do not check: those go through bash -c. */
    bool cmd_start = true;
    for (size_t i = 0; ok && i < t.n; i++) {
        if (sh_is_separator(t.t[i].kind)) {
            cmd_start = true;
            continue;
        }
        if (t.t[i].kind != SH_WORD || t.t[i].redir_target || !cmd_start)
            continue;
        const char *v = t.t[i].quoted ? "" : t.t[i].value;
        if (!strcmp(v, "if") || !strcmp(v, "then") || !strcmp(v, "else") || !strcmp(v, "fi") ||
            !strcmp(v, "elif") || !strcmp(v, "while") || !strcmp(v, "until") || !strcmp(v, "for") ||
            !strcmp(v, "do") || !strcmp(v, "done") || !strcmp(v, "case") || !strcmp(v, "esac") ||
            !strcmp(v, "function") || !strcmp(v, "select") || !strcmp(v, "{") || !strcmp(v, "}") ||
            !strcmp(v, "[[") || !strcmp(v, "coproc"))
            ok = false;
        if (!sh_is_assignment(t.t[i].value))
            cmd_start = false;
    }
    sh_toks_free(&t);
    return ok;
}

bool release_guard(const char *cmd, strbuf *out)
{
    if (strstr(cmd, "RUN_STREAMING"))
        return false;
    sb_append(out, "if [ \"$RUN_STREAMING\" != \"true\" ]; then ");
    if (embeddable(cmd)) {
        sb_append(out, cmd);
    } else {
        sb_append(out, "bash -c ");
        sb_shell_quote(out, cmd);
    }
    sb_append(out, "; else echo \"" RELEASE_SKIP_MESSAGE "\"; fi");
    return true;
}
