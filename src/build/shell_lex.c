/* Splitting Procfile commands into bash tokens: see shell_lex.h. */
#include "build/shell_lex.h"

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool ends_word(const char *s, size_t len, size_t i)
{
    char c = s[i];
    if (c == '\r')
        return i + 1 == len || s[i + 1] == '\n';
    return is_blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
           c == '(' || c == ')';
}

static struct sh_tok *push(struct sh_toks *toks, enum sh_tok_kind kind, size_t start, size_t end)
{
    toks->t = xgrow(toks->t, toks->n, &toks->cap, sizeof *toks->t);
    struct sh_tok *t = &toks->t[toks->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->start = start;
    t->end = end;
    return t;
}

static size_t skip_nested(const char *s, size_t len, size_t i, char open, char close);

/* From just after an opening double quote to just after the closing one;
 * 0 if it is not closed. */
static size_t skip_dquote(const char *s, size_t len, size_t i)
{
    while (i < len) {
        char c = s[i];
        if (c == '"')
            return i + 1;
        if (c == '\\') {
            i += 2;
        } else if (c == '$' && i + 1 < len && (s[i + 1] == '(' || s[i + 1] == '{')) {
            i = skip_nested(s, len, i + 2, s[i + 1], s[i + 1] == '(' ? ')' : '}');
            if (i == 0)
                return 0;
        } else if (c == '`') {
            const char *end = memchr(s + i + 1, '`', len - i - 1);
            if (!end)
                return 0;
            i = (size_t)(end - s) + 1;
        } else {
            i++;
        }
    }
    return 0;
}

/* From just after "$(" or "${" to just after the matching close; 0 if none.
 * Quotes inside are honoured, so a ')' in a string does not close it. */
static size_t skip_nested(const char *s, size_t len, size_t i, char open, char close)
{
    int depth = 1;
    while (i < len) {
        char c = s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '\'') {
            const char *end = memchr(s + i + 1, '\'', len - i - 1);
            if (!end)
                return 0;
            i = (size_t)(end - s) + 1;
            continue;
        }
        if (c == '"') {
            i = skip_dquote(s, len, i + 1);
            if (i == 0)
                return 0;
            continue;
        }
        if (c == open)
            depth++;
        else if (c == close && --depth == 0)
            return i + 1;
        i++;
    }
    return 0;
}

/* Reads one word starting at *pos into tok's value. Returns NULL or a reason. */
static const char *read_word(const char *s, size_t len, size_t *pos, struct sh_tok *tok)
{
    strbuf v = STRBUF_INIT;
    size_t i = *pos;
    sb_append(&v, ""); /* never NULL, even for '' */
    while (i < len && !ends_word(s, len, i)) {
        char c = s[i];
        if (c == '\\') {
            if (i + 1 >= len) {
                sb_free(&v);
                return "it ends with a backslash";
            }
            if (s[i + 1] != '\n')
                sb_append_char(&v, s[i + 1]);
            tok->quoted = true;
            i += 2;
        } else if (c == '\'') {
            const char *end = memchr(s + i + 1, '\'', len - i - 1);
            if (!end) {
                sb_free(&v);
                return "a single quote is not closed";
            }
            sb_append_len(&v, s + i + 1, (size_t)(end - s) - i - 1);
            tok->quoted = true;
            i = (size_t)(end - s) + 1;
        } else if (c == '"') {
            size_t end = skip_dquote(s, len, i + 1);
            if (end == 0) {
                sb_free(&v);
                return "a double quote is not closed";
            }
            /* The value without the quotes; escapes inside are kept as written
             * except \" and \\, which is all the matching below needs. */
            for (size_t k = i + 1; k < end - 1; k++) {
                if (s[k] == '\\' && k + 1 < end - 1 && (s[k + 1] == '"' || s[k + 1] == '\\'))
                    k++;
                sb_append_char(&v, s[k]);
            }
            tok->quoted = true;
            i = end;
        } else if (c == '$' && i + 1 < len && (s[i + 1] == '(' || s[i + 1] == '{')) {
            size_t end = skip_nested(s, len, i + 2, s[i + 1], s[i + 1] == '(' ? ')' : '}');
            if (end == 0) {
                sb_free(&v);
                return s[i + 1] == '(' ? "a $( is not closed" : "a ${ is not closed";
            }
            sb_append_len(&v, s + i, end - i);
            i = end;
        } else if (c == '$' && i + 1 < len && s[i + 1] == '\'') {
            /* $'...' with backslash escapes */
            size_t k = i + 2;
            while (k < len && s[k] != '\'')
                k += s[k] == '\\' ? 2 : 1;
            if (k >= len) {
                sb_free(&v);
                return "a $' quote is not closed";
            }
            sb_append_len(&v, s + i, k + 1 - i);
            tok->quoted = true;
            i = k + 1;
        } else if (c == '`') {
            const char *end = memchr(s + i + 1, '`', len - i - 1);
            if (!end) {
                sb_free(&v);
                return "a backquote is not closed";
            }
            sb_append_len(&v, s + i, (size_t)(end - s) + 1 - i);
            i = (size_t)(end - s) + 1;
        } else if (c == '\0') {
            sb_free(&v);
            return "it contains a NUL byte";
        } else {
            sb_append_char(&v, c);
            i++;
        }
    }
    tok->end = i;
    tok->value = sb_take(&v);
    *pos = i;
    return NULL;
}

/* Reads a redirection operator at *pos (after any fd digits). */
static const char *read_redir(const char *s, size_t len, size_t *pos)
{
    size_t i = *pos;
    if (s[i] == '<') {
        if (i + 1 < len && s[i + 1] == '<') {
            if (i + 2 < len && s[i + 2] == '<') {
                *pos = i + 3;
                return NULL;
            }
            return "it has a here-document";
        }
        i++;
        if (i < len && (s[i] == '&' || s[i] == '>'))
            i++;
    } else { /* '>' */
        i++;
        if (i < len && (s[i] == '>' || s[i] == '&' || s[i] == '|'))
            i++;
    }
    if (i < len && s[i] == '(')
        return "it has a process substitution";
    *pos = i;
    return NULL;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool sh_is_separator(enum sh_tok_kind kind)
{
    return kind == SH_SEMI || kind == SH_AMP || kind == SH_AND || kind == SH_OR || kind == SH_PIPE ||
           kind == SH_NEWLINE;
}

int sh_lex(const char *s, size_t len, struct sh_toks *out, const char **why)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    bool cmd_start = true; /* the next word would be a command name */
    bool want_target = false;
    while (i < len) {
        char c = s[i];
        const char *problem = NULL;
        if (is_blank(c) || (c == '\r' && (i + 1 == len || s[i + 1] == '\n'))) {
            /* A CR before a line break (a CRLF script) reads as blank; any
             * other CR is a word character, as it is to bash. */
            i++;
            continue;
        }
        if (c == '#') {
            while (i < len && s[i] != '\n')
                i++;
            continue;
        }
        size_t start = i;
        if (want_target && (c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>')) {
            problem = "a redirection has no target";
        } else if (c == '\n') {
            push(out, SH_NEWLINE, i, i + 1);
            i++;
            cmd_start = true;
            continue;
        } else if (c == ';') {
            if (i + 1 < len && (s[i + 1] == ';' || s[i + 1] == '&'))
                problem = "it has ';;' (a case statement)";
            else {
                push(out, SH_SEMI, i, i + 1);
                i++;
                cmd_start = true;
                continue;
            }
        } else if (c == '&') {
            if (i + 1 < len && s[i + 1] == '&') {
                push(out, SH_AND, i, i + 2);
                i += 2;
                cmd_start = true;
                continue;
            }
            if (i + 1 < len && s[i + 1] == '>') {
                i += 2;
                if (i < len && s[i] == '>')
                    i++;
                push(out, SH_REDIR, start, i);
                want_target = true;
                continue;
            }
            push(out, SH_AMP, i, i + 1);
            i++;
            cmd_start = true;
            continue;
        } else if (c == '|') {
            if (i + 1 < len && s[i + 1] == '|') {
                push(out, SH_OR, i, i + 2);
                i += 2;
            } else {
                size_t n = i + 1 < len && s[i + 1] == '&' ? 2 : 1;
                push(out, SH_PIPE, i, i + n);
                i += n;
            }
            cmd_start = true;
            continue;
        } else if (c == '(' || c == ')') {
            problem = "it has a sub-shell or function";
        } else if (c == '<' || c == '>') {
            problem = read_redir(s, len, &i);
            if (!problem) {
                push(out, SH_REDIR, start, i);
                want_target = true;
                continue;
            }
        } else {
            struct sh_tok tok = {SH_WORD, start, start, NULL, false, false};
            problem = read_word(s, len, &i, &tok);
            if (!problem) {
                /* "2>file": digits glued to a redirection are its fd number. */
                if (!tok.quoted && i < len && (s[i] == '<' || s[i] == '>') &&
                    all_digits(s + start, i - start)) {
                    free(tok.value);
                    problem = read_redir(s, len, &i);
                    if (!problem) {
                        push(out, SH_REDIR, start, i);
                        want_target = true;
                        continue;
                    }
                } else if (cmd_start && !tok.quoted &&
                           (!strcmp(tok.value, "{") || !strcmp(tok.value, "}") ||
                            !strcmp(tok.value, "!"))) {
                    free(tok.value);
                    problem = "it has a command group or negation";
                } else {
                    tok.redir_target = want_target;
                    struct sh_tok *t = push(out, SH_WORD, start, i);
                    *t = tok;
                    if (!want_target && !sh_is_assignment(tok.value))
                        cmd_start = false;
                    want_target = false;
                    continue;
                }
            }
        }
        *why = problem;
        sh_toks_free(out);
        return -1;
    }
    if (want_target) {
        *why = "a redirection has no target";
        sh_toks_free(out);
        return -1;
    }
    return 0;
}

void sh_toks_free(struct sh_toks *toks)
{
    for (size_t i = 0; i < toks->n; i++)
        free(toks->t[i].value);
    free(toks->t);
    memset(toks, 0, sizeof *toks);
}

bool sh_is_assignment(const char *w)
{
    if (!((*w >= 'A' && *w <= 'Z') || (*w >= 'a' && *w <= 'z') || *w == '_'))
        return false;
    while ((*w >= 'A' && *w <= 'Z') || (*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9') || *w == '_')
        w++;
    return *w == '=' || (w[0] == '+' && w[1] == '=');
}

const char *sh_basename(const char *word)
{
    const char *slash = strrchr(word, '/');
    return slash ? slash + 1 : word;
}

static bool is_keyword(const struct sh_tok *t)
{
    static const char *const kw[] = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", NULL};
    if (t->kind != SH_WORD || t->quoted)
        return false;
    for (int k = 0; kw[k]; k++)
        if (!strcmp(t->value, kw[k]))
            return true;
    return false;
}

size_t sh_program_word(const struct sh_toks *toks, size_t from, size_t to)
{
    bool after_env = false;
    while (from < to && is_keyword(&toks->t[from]))
        from++;
    for (size_t i = from; i < to; i++) {
        const struct sh_tok *t = &toks->t[i];
        if (t->kind != SH_WORD || t->redir_target)
            continue;
        const char *w = t->value;
        if (sh_is_assignment(w))
            continue;
        if (after_env && w[0] == '-') {
            /* env's options; -u and -C take an argument */
            if ((!strcmp(w, "-u") || !strcmp(w, "-C")) && i + 1 < to)
                i++;
            continue;
        }
        after_env = false;
        if (!strcmp(w, "exec") || !strcmp(w, "nohup") || !strcmp(w, "time") || !strcmp(w, "command") ||
            !strcmp(sh_basename(w), "jemalloc.sh"))
            continue;
        if (!strcmp(w, "env")) {
            after_env = true;
            continue;
        }
        if (!strcmp(w, "nice")) {
            if (i + 2 < to && !strcmp(toks->t[i + 1].value ? toks->t[i + 1].value : "", "-n"))
                i += 2;
            continue;
        }
        if (!strcmp(sh_basename(w), "bundle") && i + 1 < to && toks->t[i + 1].kind == SH_WORD &&
            !strcmp(toks->t[i + 1].value, "exec")) {
            i++;
            continue;
        }
        return i;
    }
    return to;
}
