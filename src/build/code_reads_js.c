/* The environment variables JavaScript (and TypeScript) reads: see
 * code_reads.h. */
#include "build/code_reads.h"

#include <string.h>

#define NEST_MAX 32
#define ALIASES_MAX 8
#define ALIAS_LEN_MAX 64

struct js {
    const char *s;
    size_t n, i;
    int line;
    env_read_fn found;
    void *ctx;
    bool value_expected; /* where an operand may start (so / begins a regexp) */
    int nest;
    /* names given to process.env itself: const env = process.env */
    char aliases[ALIASES_MAX][ALIAS_LEN_MAX];
    size_t n_aliases;
};

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

static bool is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

static bool is_var_name(const char *s, size_t n)
{
    if (n == 0 || n > 255 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (size_t k = 1; k < n; k++)
        if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9') ||
              s[k] == '_'))
            return false;
    return true;
}

static void skip(struct js *r, size_t k) { r->i = r->n - r->i > k ? r->i + k : r->n; }

static size_t skip_ws(const struct js *r, size_t j)
{
    while (j < r->n && (r->s[j] == ' ' || r->s[j] == '\t' || r->s[j] == '\n' || r->s[j] == '\r'))
        j++;
    return j;
}

static size_t skip_ws_back(const struct js *r, size_t j)
{
    while (j > 0 && (r->s[j - 1] == ' ' || r->s[j - 1] == '\t' || r->s[j - 1] == '\n' || r->s[j - 1] == '\r'))
        j--;
    return j;
}

static void scan_code(struct js *r, char close);

/* ---- reading process.env -------------------------------------------------- */

/* At j (after an object that is process.env): .X, ?.X, ['X'], ["X"]. */
static void member_read(const struct js *r, size_t j, int line)
{
    j = skip_ws(r, j);
    if (j + 1 < r->n && r->s[j] == '?' && r->s[j + 1] == '.')
        j++;
    if (j < r->n && r->s[j] == '.') {
        size_t from = skip_ws(r, j + 1), to = from;
        while (to < r->n && is_ident(r->s[to]))
            to++;
        if (is_var_name(r->s + from, to - from))
            r->found(r->ctx, r->s + from, to - from, line);
        return;
    }
    if (j < r->n && r->s[j] == '[') {
        size_t q = skip_ws(r, j + 1);
        if (q >= r->n || (r->s[q] != '\'' && r->s[q] != '"' && r->s[q] != '`'))
            return;
        size_t from = q + 1, to = from;
        while (to < r->n && r->s[to] != r->s[q] && r->s[to] != '\\' && r->s[to] != '\n' && r->s[to] != '$')
            to++;
        if (to < r->n && r->s[to] == r->s[q] && is_var_name(r->s + from, to - from) &&
            skip_ws(r, to + 1) < r->n && r->s[skip_ws(r, to + 1)] == ']')
            r->found(r->ctx, r->s + from, to - from, line);
    }
}

/* { A, B: b, C = 1, 'D': d, ...rest } = process.env, with the pattern ending
 * at close (its '}'): each key is read. */
static void destructured(const struct js *r, size_t close, int line)
{
    int depth = 0;
    size_t open = close;
    for (size_t k = close + 1; k-- > 0;) {
        char c = r->s[k];
        if (c == '}' || c == ']' || c == ')')
            depth++;
        else if ((c == '{' || c == '[' || c == '(') && --depth == 0) {
            open = k;
            break;
        }
    }
    if (open == close || r->s[open] != '{')
        return;
    size_t k = open + 1;
    while (k < close) {
        k = skip_ws(r, k);
        size_t from = k, to;
        if (k < close && (r->s[k] == '\'' || r->s[k] == '"')) {
            char q = r->s[k];
            from = k + 1;
            to = from;
            while (to < close && r->s[to] != q)
                to++;
            k = to + 1;
        } else {
            to = k;
            while (to < close && is_ident(r->s[to]))
                to++;
            k = to;
        }
        if (is_var_name(r->s + from, to - from) && !(from >= 3 && !memcmp(r->s + from - 3, "...", 3)))
            r->found(r->ctx, r->s + from, to - from, line);
        /* on to the next entry at this depth */
        int d = 0;
        while (k < close && !(d == 0 && r->s[k] == ',')) {
            char c = r->s[k];
            if (c == '{' || c == '[' || c == '(')
                d++;
            else if (c == '}' || c == ']' || c == ')')
                d--;
            k++;
        }
        k++;
    }
}

static void add_alias(struct js *r, size_t from, size_t to)
{
    if (r->n_aliases == ALIASES_MAX || to - from >= ALIAS_LEN_MAX)
        return;
    memcpy(r->aliases[r->n_aliases], r->s + from, to - from);
    r->aliases[r->n_aliases][to - from] = '\0';
    r->n_aliases++;
}

/* process.env at [start, end): a member read, or a destructuring or a name
 * given to it on the left of '='. */
static void process_env(struct js *r, size_t start, size_t end)
{
    size_t after = skip_ws(r, end);
    char next = after < r->n ? r->s[after] : ';';
    if (next == '.' || next == '[' || next == '?') {
        member_read(r, end, r->line);
        return;
    }
    size_t eq = skip_ws_back(r, start);
    if (eq == 0 || r->s[eq - 1] != '=')
        return;
    if (eq >= 2 && strchr("=!<>+-*/%&|^?", r->s[eq - 2]))
        return; /* ==, !=, <=, +=, ... */
    size_t lhs = skip_ws_back(r, eq - 1);
    if (lhs > 0 && r->s[lhs - 1] == '}') {
        destructured(r, lhs - 1, r->line);
        return;
    }
    size_t to = lhs, from = to;
    while (from > 0 && is_ident(r->s[from - 1]))
        from--;
    if (from < to && (from == 0 || r->s[from - 1] != '.'))
        add_alias(r, from, to);
}

static bool is_alias(const struct js *r, size_t from, size_t to)
{
    for (size_t a = 0; a < r->n_aliases; a++)
        if (strlen(r->aliases[a]) == to - from && !memcmp(r->aliases[a], r->s + from, to - from))
            return true;
    return false;
}

/* ---- literals ------------------------------------------------------------- */

static void skip_string(struct js *r, char q)
{
    while (r->i < r->n) {
        char c = r->s[r->i];
        if (c == '\\') {
            skip(r, 2);
            continue;
        }
        if (c == '\n') {
            r->line++;
            if (q != '`') { /* an unclosed string ends at the line */
                r->i++;
                return;
            }
        }
        if (q == '`' && c == '$' && r->i + 1 < r->n && r->s[r->i + 1] == '{') {
            skip(r, 2);
            if (r->nest < NEST_MAX) {
                r->nest++;
                bool ve = r->value_expected;
                r->value_expected = true;
                scan_code(r, '}');
                r->value_expected = ve;
                r->nest--;
            }
            continue;
        }
        r->i++;
        if (c == q)
            return;
    }
}

static void skip_regexp(struct js *r)
{
    bool in_class = false;
    while (r->i < r->n) {
        char c = r->s[r->i];
        if (c == '\\') {
            skip(r, 2);
            continue;
        }
        if (c == '\n')
            return; /* not a regexp: a regexp never spans lines */
        r->i++;
        if (c == '[')
            in_class = true;
        else if (c == ']')
            in_class = false;
        else if (c == '/' && !in_class)
            break;
    }
    while (r->i < r->n && is_ident(r->s[r->i]))
        r->i++;
}

static bool expects_value(const char *w, size_t n)
{
    static const char *const kw[] = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete",
                                     "void", "throw", "yield", "await", "instanceof", NULL};
    for (int k = 0; kw[k]; k++)
        if (strlen(kw[k]) == n && !memcmp(kw[k], w, n))
            return true;
    return false;
}

static void scan_code(struct js *r, char close)
{
    int braces = 0;
    while (r->i < r->n) {
        char c = r->s[r->i];
        if (c == '\n') {
            r->line++;
            r->i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            r->i++;
            continue;
        }
        if (c == '/' && r->i + 1 < r->n && r->s[r->i + 1] == '/') {
            while (r->i < r->n && r->s[r->i] != '\n')
                r->i++;
            continue;
        }
        if (c == '/' && r->i + 1 < r->n && r->s[r->i + 1] == '*') {
            skip(r, 2);
            while (r->i < r->n && !(r->s[r->i] == '*' && r->i + 1 < r->n && r->s[r->i + 1] == '/')) {
                if (r->s[r->i] == '\n')
                    r->line++;
                r->i++;
            }
            skip(r, 2);
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') {
            r->i++;
            skip_string(r, c);
            r->value_expected = false;
            continue;
        }
        if (c == '/' && r->value_expected) {
            r->i++;
            skip_regexp(r);
            r->value_expected = false;
            continue;
        }
        if (is_ident_start(c)) {
            size_t start = r->i;
            while (r->i < r->n && is_ident(r->s[r->i]))
                r->i++;
            size_t n = r->i - start;
            size_t before = skip_ws_back(r, start);
            bool member = before > 0 && r->s[before - 1] == '.'; /* x.process is not process */
            if (!member && n == 7 && !memcmp(r->s + start, "process", 7)) {
                size_t dot = skip_ws(r, r->i);
                if (dot + 1 < r->n && r->s[dot] == '?' && r->s[dot + 1] == '.')
                    dot++;
                size_t e = skip_ws(r, dot + 1);
                if (dot < r->n && r->s[dot] == '.' && r->n - e >= 3 && !memcmp(r->s + e, "env", 3) &&
                    (e + 3 == r->n || !is_ident(r->s[e + 3]))) {
                    process_env(r, start, e + 3);
                    r->i = e + 3;
                }
            } else if (!member && is_alias(r, start, r->i)) {
                member_read(r, r->i, r->line);
            }
            r->value_expected = expects_value(r->s + start, n);
            continue;
        }
        if (c >= '0' && c <= '9') {
            while (r->i < r->n && (is_ident(r->s[r->i]) || r->s[r->i] == '.'))
                r->i++;
            r->value_expected = false;
            continue;
        }
        r->i++;
        if (c == '{') {
            braces++;
        } else if (c == '}') {
            if (braces == 0 && close == '}')
                return;
            braces--;
        }
        r->value_expected = !(c == ')' || c == ']' || c == '}');
    }
}

void js_env_reads(const char *src, size_t len, env_read_fn found, void *ctx)
{
    struct js r;
    memset(&r, 0, sizeof r);
    r.s = src;
    r.n = len;
    r.line = 1;
    r.found = found;
    r.ctx = ctx;
    r.value_expected = true;
    scan_code(&r, 0);
}
