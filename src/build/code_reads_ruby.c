/* The environment variables Ruby and ERB code reads: see code_reads.h. */
#include "build/code_reads.h"

#include <string.h>

#define NEST_MAX 32     /* "#{...}" inside strings inside "#{...}" ... */
#define HEREDOCS_MAX 8  /* heredocs started on one line */
#define HEREDOC_ID_MAX 64

struct heredoc {
    char id[HEREDOC_ID_MAX];
    size_t len;
    bool indented; /* <<~ or <<-: the terminator may be indented */
    bool interp;   /* not <<~'ID': "#{...}" is code */
};

struct rb {
    const char *s;
    size_t n, i;
    int line;
    env_read_fn found;
    void *ctx;
    bool value_expected; /* where an operand may start (so / and % begin literals) */
    int nest;
    struct heredoc pending[HEREDOCS_MAX];
    size_t n_pending;
};

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
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

static void scan_code(struct rb *r, char close);

/* Moves on k bytes, never past the end. */
static void skip(struct rb *r, size_t k) { r->i = r->n - r->i > k ? r->i + k : r->n; }

/* ---- reading ENV ---------------------------------------------------------- */

static size_t skip_blank(const struct rb *r, size_t j)
{
    while (j < r->n && (r->s[j] == ' ' || r->s[j] == '\t'))
        j++;
    return j;
}

/* A plain 'NAME' or "NAME" at j: sets [*from, *to) and returns the index after it. */
static size_t plain_literal(const struct rb *r, size_t j, size_t *from, size_t *to)
{
    if (j >= r->n || (r->s[j] != '\'' && r->s[j] != '"'))
        return 0;
    char q = r->s[j];
    size_t k = j + 1;
    while (k < r->n && r->s[k] != q && r->s[k] != '\n' && r->s[k] != '\\' && r->s[k] != '#')
        k++;
    if (k >= r->n || r->s[k] != q || !is_var_name(r->s + j + 1, k - j - 1))
        return 0;
    *from = j + 1;
    *to = k;
    return k + 1;
}

/* At the end of an ENV constant (r->i just after it): ENV['X'], ENV.fetch('X'
 * ...), ENV.key?('X') and the like are reads of X. Only looks ahead. */
static void env_access(const struct rb *r, size_t start)
{
    /* ENV itself, not Foo::ENV or x.ENV */
    if (start > 0) {
        char p = r->s[start - 1];
        if (p == '.' || p == '@' || p == '$' || is_ident(p))
            return;
        if (p == ':' && start >= 2 && r->s[start - 2] == ':' && start >= 3 &&
            (is_ident(r->s[start - 3]) || r->s[start - 3] == ')'))
            return;
    }
    size_t j = skip_blank(r, r->i), from, to;
    if (j < r->n && r->s[j] == '[') {
        size_t k = plain_literal(r, skip_blank(r, j + 1), &from, &to);
        if (k && (k = skip_blank(r, k)) < r->n && r->s[k] == ']')
            r->found(r->ctx, r->s + from, to - from, r->line);
        return;
    }
    if (j + 1 < r->n && r->s[j] == '&' && r->s[j + 1] == '.')
        j++;
    if (j >= r->n || r->s[j] != '.')
        return;
    size_t m = j + 1, m_end = m;
    while (m_end < r->n && is_ident(r->s[m_end]))
        m_end++;
    if (m_end < r->n && r->s[m_end] == '?')
        m_end++;
    static const char *const readers[] = {"fetch", "key?", "has_key?", "include?", "member?", NULL};
    bool reader = false;
    for (int k = 0; readers[k]; k++)
        if (strlen(readers[k]) == m_end - m && !memcmp(r->s + m, readers[k], m_end - m))
            reader = true;
    if (!reader)
        return;
    size_t k = skip_blank(r, m_end);
    if (k < r->n && r->s[k] == '(')
        k = skip_blank(r, k + 1);
    if (plain_literal(r, k, &from, &to))
        r->found(r->ctx, r->s + from, to - from, r->line);
}

/* ---- literals ------------------------------------------------------------- */

static void newline(struct rb *r) { r->line++; }

/* From just after an opening delimiter to just after the closing one. open
 * differs from close for bracket pairs, which nest. interp: "#{...}" is code. */
static void skip_quoted(struct rb *r, char open, char close, bool interp)
{
    int depth = 0;
    while (r->i < r->n) {
        char c = r->s[r->i];
        if (c == '\\') {
            if (r->i + 1 < r->n && r->s[r->i + 1] == '\n')
                newline(r);
            skip(r, 2);
            continue;
        }
        if (c == '\n')
            newline(r);
        if (interp && c == '#' && r->i + 1 < r->n && r->s[r->i + 1] == '{') {
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
        if (c == close && open != close && depth > 0) {
            depth--;
        } else if (c == close) {
            return;
        } else if (c == open && open != close) {
            depth++;
        }
    }
}

static char closing(char open)
{
    switch (open) {
    case '(':
        return ')';
    case '[':
        return ']';
    case '{':
        return '}';
    case '<':
        return '>';
    default:
        return open;
    }
}

/* % literals: %q( ) %Q[ ] %w{ } %i< > %r| | %x( ) %( ) ... at r->i (on the
 * '%'). Returns false when it is the % operator. */
static bool percent_literal(struct rb *r)
{
    size_t j = r->i + 1;
    if (j >= r->n)
        return false;
    char kind = r->s[j];
    bool letter = strchr("qQwWiIrsx", kind) != NULL && kind != '\0';
    if (letter)
        j++;
    if (j >= r->n)
        return false;
    char d = r->s[j];
    if (is_ident(d) || d == ' ' || d == '\t' || d == '\n' || d == '\r' || d == '=' || d == '\0')
        return false;
    r->i = j + 1;
    bool interp = !letter || kind == 'Q' || kind == 'W' || kind == 'I' || kind == 'r' || kind == 'x';
    skip_quoted(r, d, closing(d), interp);
    if (kind == 'r')
        while (r->i < r->n && is_ident(r->s[r->i]))
            r->i++; /* flags */
    return true;
}

/* A regexp /.../ from just after its opening slash: a '/' inside [...] does
 * not close it. */
static void skip_regexp(struct rb *r)
{
    bool in_class = false;
    while (r->i < r->n) {
        char c = r->s[r->i];
        if (c == '\\') {
            skip(r, 2);
            continue;
        }
        if (c == '\n') {
            newline(r);
            if (!in_class) { /* not a regexp after all: a division spanning nothing */
                r->i++;
                return;
            }
        }
        if (c == '#' && r->i + 1 < r->n && r->s[r->i + 1] == '{' && r->nest < NEST_MAX) {
            skip(r, 2);
            r->nest++;
            scan_code(r, '}');
            r->nest--;
            continue;
        }
        r->i++;
        if (c == '[')
            in_class = true;
        else if (c == ']')
            in_class = false;
        else if (c == '/' && !in_class)
            break;
    }
    while (r->i < r->n && is_ident(r->s[r->i]))
        r->i++; /* flags */
}

/* <<~ID, <<-ID, <<ID, with ID bare or quoted, at r->i (on "<<"). Returns
 * false when it is the << operator. */
static bool heredoc_start(struct rb *r, bool after_space)
{
    size_t j = r->i + 2;
    bool indented = false;
    if (j < r->n && (r->s[j] == '~' || r->s[j] == '-')) {
        indented = true;
        j++;
    } else if (!r->value_expected && !after_space) {
        return false; /* x<<y */
    }
    char q = j < r->n ? r->s[j] : 0;
    bool quoted = q == '\'' || q == '"' || q == '`';
    size_t from = quoted ? j + 1 : j, to = from;
    if (quoted) {
        while (to < r->n && r->s[to] != q && r->s[to] != '\n')
            to++;
        if (to >= r->n || r->s[to] != q)
            return false;
    } else {
        /* bare: an identifier, upper case unless <<~ / <<- (x << y is a shift) */
        if (from >= r->n || !is_ident_start(r->s[from]) || (!indented && !(r->s[from] >= 'A' && r->s[from] <= 'Z')))
            return false;
        while (to < r->n && is_ident(r->s[to]))
            to++;
    }
    if (to - from == 0 || to - from >= HEREDOC_ID_MAX)
        return false;
    if (r->n_pending < HEREDOCS_MAX) {
        struct heredoc *h = &r->pending[r->n_pending++];
        memcpy(h->id, r->s + from, to - from);
        h->len = to - from;
        h->indented = indented;
        h->interp = q != '\'';
    }
    r->i = quoted ? to + 1 : to;
    return true;
}

/* At the start of the line after heredocs began: their bodies, in order. */
static void heredoc_bodies(struct rb *r)
{
    for (size_t h = 0; h < r->n_pending; h++) {
        const struct heredoc *d = &r->pending[h];
        while (r->i < r->n) {
            /* the terminator line? */
            size_t j = r->i;
            if (d->indented)
                while (j < r->n && (r->s[j] == ' ' || r->s[j] == '\t'))
                    j++;
            size_t e = j + d->len;
            if (e <= r->n && !memcmp(r->s + j, d->id, d->len) &&
                (e == r->n || r->s[e] == '\n' || (r->s[e] == '\r' && (e + 1 == r->n || r->s[e + 1] == '\n')))) {
                r->i = e;
                while (r->i < r->n && r->s[r->i] != '\n')
                    r->i++;
                if (r->i < r->n) {
                    r->i++;
                    newline(r);
                }
                break;
            }
            /* a body line */
            while (r->i < r->n && r->s[r->i] != '\n') {
                if (d->interp && r->s[r->i] == '\\') {
                    skip(r, 2);
                } else if (d->interp && r->s[r->i] == '#' && r->i + 1 < r->n && r->s[r->i + 1] == '{' &&
                           r->nest < NEST_MAX) {
                    skip(r, 2);
                    r->nest++;
                    scan_code(r, '}');
                    r->nest--;
                } else {
                    r->i++;
                }
            }
            if (r->i < r->n) {
                r->i++;
                newline(r);
            }
        }
    }
    r->n_pending = 0;
}

static bool at_line_start(const struct rb *r) { return r->i == 0 || r->s[r->i - 1] == '\n'; }

static bool starts(const struct rb *r, const char *w)
{
    size_t n = strlen(w);
    return r->n - r->i >= n && !memcmp(r->s + r->i, w, n);
}

/* Keywords after which an operand comes (so "/" or "%" there start a literal). */
static bool expects_value(const char *w, size_t n)
{
    static const char *const kw[] = {"if", "unless", "while", "until", "and", "or", "not", "return", "when",
                                     "in", "then", "else", "elsif", "do", "case", "puts", "print", "p", NULL};
    for (int k = 0; kw[k]; k++)
        if (strlen(kw[k]) == n && !memcmp(kw[k], w, n))
            return true;
    return false;
}

/* Code up to close ('}' of "#{...}", or 0 for the end), at brace depth 0. */
static void scan_code(struct rb *r, char close)
{
    int braces = 0;
    while (r->i < r->n) {
        char c = r->s[r->i];
        bool after_space = r->i > 0 && (r->s[r->i - 1] == ' ' || r->s[r->i - 1] == '\t');
        if (c == '\n') {
            r->i++;
            newline(r);
            if (r->n_pending)
                heredoc_bodies(r);
            r->value_expected = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            r->i++;
            continue;
        }
        if (at_line_start(r) && starts(r, "=begin")) {
            while (r->i < r->n && !(at_line_start(r) && starts(r, "=end"))) {
                if (r->s[r->i] == '\n')
                    newline(r);
                r->i++;
            }
            while (r->i < r->n && r->s[r->i] != '\n')
                r->i++;
            continue;
        }
        if (at_line_start(r) && starts(r, "__END__") &&
            (r->i + 7 == r->n || r->s[r->i + 7] == '\n' || r->s[r->i + 7] == '\r')) {
            r->i = r->n; /* the rest is data */
            return;
        }
        if (c == '#') {
            while (r->i < r->n && r->s[r->i] != '\n')
                r->i++;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') {
            r->i++;
            skip_quoted(r, c, c, c != '\'');
            r->value_expected = false;
            continue;
        }
        if (c == ':' && r->i + 1 < r->n && (r->s[r->i + 1] == '"' || r->s[r->i + 1] == '\'')) {
            char q = r->s[r->i + 1];
            skip(r, 2);
            skip_quoted(r, q, q, q == '"');
            r->value_expected = false;
            continue;
        }
        if (c == '%' && (r->value_expected || after_space) && percent_literal(r)) {
            r->value_expected = false;
            continue;
        }
        if (c == '/' && (r->value_expected ||
                         (after_space && r->i + 1 < r->n && r->s[r->i + 1] != ' ' && r->s[r->i + 1] != '='))) {
            r->i++;
            skip_regexp(r);
            r->value_expected = false;
            continue;
        }
        if (c == '?' && r->value_expected && r->i + 1 < r->n && r->s[r->i + 1] != ' ' && r->s[r->i + 1] != '\n') {
            /* a character literal: ?a, ?', ?\n */
            size_t len = r->s[r->i + 1] == '\\' ? 3 : 2;
            if (r->i + len >= r->n || !is_ident(r->s[r->i + len])) {
                skip(r, len);
                r->value_expected = false;
                continue;
            }
        }
        if (c == '<' && r->i + 1 < r->n && r->s[r->i + 1] == '<' && heredoc_start(r, after_space)) {
            r->value_expected = false;
            continue;
        }
        if (c == '$' && r->i + 1 < r->n && !is_ident_start(r->s[r->i + 1])) {
            skip(r, 2); /* $', $", $1 ...: special globals, not quotes */
            r->value_expected = false;
            continue;
        }
        if (is_ident_start(c) || c == '@' || c == '$') {
            size_t start = r->i;
            r->i++;
            while (r->i < r->n && is_ident(r->s[r->i]))
                r->i++;
            if (r->i < r->n && (r->s[r->i] == '?' || r->s[r->i] == '!') &&
                !(r->i + 1 < r->n && r->s[r->i + 1] == '='))
                r->i++;
            size_t n = r->i - start;
            if (n == 3 && !memcmp(r->s + start, "ENV", 3))
                env_access(r, start);
            /* a label (key: value) or a keyword expects a value next */
            r->value_expected = expects_value(r->s + start, n) || (r->i < r->n && r->s[r->i] == ':' &&
                                                                    !(r->i + 1 < r->n && r->s[r->i + 1] == ':'));
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

static void scan(const char *src, size_t len, int first_line, env_read_fn found, void *ctx)
{
    struct rb r;
    memset(&r, 0, sizeof r);
    r.s = src;
    r.n = len;
    r.line = first_line;
    r.found = found;
    r.ctx = ctx;
    r.value_expected = true;
    scan_code(&r, 0);
}

void ruby_env_reads(const char *src, size_t len, env_read_fn found, void *ctx) { scan(src, len, 1, found, ctx); }

/* A YAML comment line: its first non-blank character is '#'. */
static bool yaml_comment_line(const char *src, size_t at)
{
    size_t b = at;
    while (b > 0 && src[b - 1] != '\n')
        b--;
    while (b < at && (src[b] == ' ' || src[b] == '\t'))
        b++;
    return b < at && src[b] == '#';
}

void erb_env_reads(const char *src, size_t len, bool yaml, env_read_fn found, void *ctx)
{
    int line = 1;
    size_t i = 0;
    while (i + 1 < len) {
        if (src[i] == '\n') {
            line++;
            i++;
            continue;
        }
        if (src[i] != '<' || src[i + 1] != '%') {
            i++;
            continue;
        }
        size_t tag = i;
        i += 2;
        if (i < len && src[i] == '%') { /* <%% is a literal <% */
            i++;
            continue;
        }
        bool comment = i < len && src[i] == '#';
        if (i < len && (src[i] == '=' || src[i] == '-'))
            i++;
        size_t body = i;
        while (i + 1 < len && !(src[i] == '%' && src[i + 1] == '>'))
            i++;
        size_t end = i + 1 < len ? i : len;
        if (!comment && !(yaml && yaml_comment_line(src, tag)))
            scan(src + body, end - body, line, found, ctx);
        for (size_t k = body; k < end; k++)
            line += src[k] == '\n';
        i = end + 2;
    }
}
