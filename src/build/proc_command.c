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

static int kind_of(const char *cmd, const struct app_scripts *s, const struct package_json *pkg, int depth);
static int script_call_kind(const struct sh_toks *t, size_t p, size_t to, const struct app_scripts *s, int depth);

/* Build steps a package script may run before the server (Mastodon 1.4.0 to
 * 1.4.6: "rimraf ./tmp/streaming && babel ./streaming/index.js --out-dir
 * ./tmp && node ./tmp/streaming/index.js"). */
static bool is_build_step(const char *prog)
{
    static const char *const steps[] = {"rimraf", "babel", "tsc", "mkdir", "rm", "cp", "cd", NULL};
    for (int k = 0; steps[k]; k++)
        if (!strcmp(prog, steps[k]))
            return true;
    return false;
}

/* In a package script, the script the node program runs: the streaming
 * server when it is streaming/ or its index.js, under any directory
 * (tmp/streaming/index.js is Babel's output); in the streaming package
 * itself, its own index.js. */
static bool is_script_streaming_path(const char *w, bool in_streaming_pkg)
{
    if (!strncmp(w, "./", 2))
        w += 2;
    if (in_streaming_pkg && (!strcmp(w, "") || !strcmp(w, ".") || !strcmp(w, "index.js") || !strcmp(w, "index.mjs")))
        return true;
    for (const char *c = w; c;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 9 && !strncmp(c, "streaming", 9)) {
            const char *rest = slash ? slash + 1 : "";
            return !strcmp(rest, "") || !strcmp(rest, "index.js") || !strcmp(rest, "index.mjs");
        }
        c = slash ? slash + 1 : NULL;
    }
    return false;
}

/* The script a node (or babel-node) command runs: the first word that is not
 * an option (the options that take a value skip it too). */
static const char *node_script(const struct sh_toks *t, size_t p, size_t to)
{
    for (size_t k = p + 1; k < to; k++) {
        const struct sh_tok *w = &t->t[k];
        if (w->kind != SH_WORD || w->redir_target)
            continue;
        if (w->value[0] != '-')
            return w->value;
        static const char *const with_value[] = {"-r", "--require", "--import", "--loader", "--experimental-loader",
                                                 "--presets", NULL};
        for (int i = 0; with_value[i]; i++)
            if (!strcmp(w->value, with_value[i]))
                k++;
    }
    return NULL;
}

/* The kind of one simple command; -1 for a neutral helper (sleep, echo).
 * pkg is the package whose script this is (NULL in a Procfile), s the app's
 * scripts for npm and yarn (NULL: not known). */
static int simple_kind_in(const struct sh_toks *t, size_t from, size_t to, const struct app_scripts *s,
                          const struct package_json *pkg, int depth)
{
    size_t p = sh_program_word(t, from, to);
    if (p >= to)
        return -1; /* only assignments or redirections */
    const char *prog = sh_basename(t->t[p].value);
    if (pkg && !strcmp(prog, "cross-env")) { /* cross-env NAME=value ... CMD */
        p = sh_program_word(t, p + 1, to);
        if (p >= to)
            return -1;
        prog = sh_basename(t->t[p].value);
    }
    if ((!strcmp(prog, "npm") || !strcmp(prog, "yarn")) && s)
        return script_call_kind(t, p, to, s, depth);
    if (pkg) {
        if (is_build_step(prog))
            return -1;
        if (!strcmp(prog, "node") || !strcmp(prog, "babel-node") || !strcmp(prog, "nodemon")) {
            const char *script = node_script(t, p, to);
            return script && is_script_streaming_path(script, pkg == &s->streaming) ? KIND_STREAMING : KIND_UNKNOWN;
        }
    }
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

/* The kind of a command (-1: only neutral helpers). */
static int kind_of(const char *cmd, const struct app_scripts *s, const struct package_json *pkg, int depth)
{
    struct sh_toks t;
    const char *why;
    if (depth > 4 || sh_lex(cmd, strlen(cmd), &t, &why) < 0)
        return KIND_UNKNOWN;
    int kind = -1;
    size_t i = 0, from, to;
    while (next_simple(&t, &i, &from, &to)) {
        int k = simple_kind_in(&t, from, to, s, pkg, depth);
        if (k < 0)
            continue;
        if (k == KIND_UNKNOWN || (kind >= 0 && kind != k)) {
            kind = KIND_UNKNOWN;
            break;
        }
        kind = k;
    }
    sh_toks_free(&t);
    return kind;
}

enum proc_kind proc_kind_of(const char *cmd) { return proc_kind_in_app(cmd, NULL); }

enum proc_kind proc_kind_in_app(const char *cmd, const struct app_scripts *scripts)
{
    int kind = kind_of(cmd, scripts, NULL, 0);
    return kind < 0 ? KIND_UNKNOWN : (enum proc_kind)kind;
}

/* A token's word, "" for an operator or redirection. */
static const char *word(const struct sh_tok *t) { return t->kind == SH_WORD && t->value ? t->value : ""; }

/* Which package a workspace name or path means: only the streaming one. */
static const struct package_json *workspace(const struct app_scripts *s, const char *w)
{
    if (!strncmp(w, "./", 2))
        w += 2;
    if (!strcmp(w, "streaming") || !strcmp(w, "streaming/") || (s->streaming.name && !strcmp(w, s->streaming.name)))
        return &s->streaming;
    return NULL;
}

/* The script an npm or yarn command line names once its words so far are
 * words[0..n): NULL while not yet known (or never). */
static const char *script_named(bool npm, const char *const *words, size_t n, size_t *skip)
{
    size_t i = !npm && n >= 1 && !strcmp(words[0], "workspace") ? 2 : 0; /* yarn workspace NAME ... */
    *skip = i;
    if (n <= i)
        return NULL;
    const char *verb = words[i];
    if (!strcmp(verb, "run") || (npm && (!strcmp(verb, "run-script") || !strcmp(verb, "rum") || !strcmp(verb, "urn"))))
        return n > i + 1 ? words[i + 1] : NULL;
    return !strcmp(verb, "start") || !npm ? verb : ""; /* npm start; yarn start; yarn NAME */
}

/* npm or yarn at token p running a package script: the kind of what that
 * script runs, KIND_UNKNOWN for anything else npm and yarn do. Whatever
 * follows the script's name is its arguments. */
static int script_call_kind(const struct sh_toks *t, size_t p, size_t to, const struct app_scripts *s, int depth)
{
    bool npm = !strcmp(sh_basename(t->t[p].value), "npm");
    const struct package_json *pkg = &s->root;
    const char *words[4];
    size_t n = 0, skip = 0, k = p + 1;
    const char *name = NULL;
    for (; k < to && !name; k++) {
        const struct sh_tok *w = &t->t[k];
        if (w->kind != SH_WORD || w->redir_target)
            continue;
        const char *v = w->value;
        if (npm && (!strcmp(v, "-w") || !strcmp(v, "--workspace"))) {
            if (k + 1 >= to || !(pkg = workspace(s, word(&t->t[++k]))))
                return KIND_UNKNOWN;
        } else if (npm && !strncmp(v, "--workspace=", 12)) {
            if (!(pkg = workspace(s, v + 12)))
                return KIND_UNKNOWN;
        } else if (!strcmp(v, "-s") || !strcmp(v, "--silent") ||
                   (npm && (!strcmp(v, "-q") || !strcmp(v, "--quiet") || !strncmp(v, "--loglevel=", 11)))) {
            continue;
        } else if (v[0] == '-' || n == sizeof words / sizeof *words) {
            return KIND_UNKNOWN;
        } else {
            words[n++] = v;
            name = script_named(npm, words, n, &skip);
        }
    }
    if (skip && !(pkg = workspace(s, words[1])))
        return KIND_UNKNOWN;
    /* npm reads its own options after the script's name too, up to "--" */
    for (; npm && k < to; k++) {
        const char *v = t->t[k].kind == SH_WORD ? t->t[k].value : "";
        if (!strcmp(v, "--"))
            break;
        if ((!strcmp(v, "-w") || !strcmp(v, "--workspace")) && (k + 1 >= to || !(pkg = workspace(s, word(&t->t[++k])))))
            return KIND_UNKNOWN;
        if (!strncmp(v, "--workspace=", 12) && !(pkg = workspace(s, v + 12)))
            return KIND_UNKNOWN;
    }
    const char *script = name && *name ? package_json_script(pkg, name) : NULL;
    if (!script)
        return KIND_UNKNOWN;
    int kind = kind_of(script, s, pkg, depth + 1);
    return kind < 0 ? KIND_UNKNOWN : kind;
}

bool package_script_runs_streaming(const struct app_scripts *s, const char *name, bool *plain)
{
    *plain = false;
    const char *script = s ? package_json_script(&s->root, name) : NULL;
    if (!script || kind_of(script, s, &s->root, 1) != KIND_STREAMING)
        return false;
    struct sh_toks t;
    const char *why;
    if (sh_lex(script, strlen(script), &t, &why) == 0) {
        /* exactly: node ./streaming[/index.js] */
        *plain = t.n == 2 && t.t[0].kind == SH_WORD && t.t[1].kind == SH_WORD && !strcmp(t.t[0].value, "node") &&
                 is_script_streaming_path(t.t[1].value, false) && strncmp(t.t[1].value, "./tmp/", 6) != 0 &&
                 (!strncmp(t.t[1].value, "./streaming", 11) || !strncmp(t.t[1].value, "streaming", 9));
        sh_toks_free(&t);
    }
    return true;
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
