/* Reading lib/mastodon/version.rb: see version_rb.h. */
#include "build/version_rb.h"

#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"

enum lit_kind { LIT_ABSENT, LIT_NIL, LIT_INT, LIT_STR, LIT_OTHER };

struct lit {
    enum lit_kind kind;
    long n;
    char s[MASTODON_VERSION_MAX + 1];
};

static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The body of `def name`: [*from, *to). Handles `def name\n ... \nend`,
 * `def name; ...; end` and `def name = ...`. Returns 1, 0 when there is no
 * such method, -1 when its body is not one expression closed by `end`. */
static int method_body(const char *s, size_t n, const char *name, size_t *from, size_t *to)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + 4 + nl <= n; i++) {
        if (memcmp(s + i, "def ", 4) != 0 || (i > 0 && is_ident(s[i - 1])))
            continue;
        size_t j = i + 4;
        while (j < n && s[j] == ' ')
            j++;
        if (n - j < nl || memcmp(s + j, name, nl) != 0 || (j + nl < n && (is_ident(s[j + nl]) || s[j + nl] == '?')))
            continue;
        j += nl;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j < n && s[j] == '(') { /* def name() */
            while (j < n && s[j] != ')')
                j++;
            j++;
        }
        if (j < n && s[j] == '=') { /* def name = expr */
            size_t e = j + 1;
            while (e < n && s[e] != '\n')
                e++;
            *from = j + 1;
            *to = e;
            return 1;
        }
        /* up to the `end` that closes it: the first one at a word boundary
         * (these methods hold a single expression); another def first means
         * it is not one of those */
        for (size_t e = j; e + 3 <= n; e++) {
            bool word = !is_ident(s[e - 1]);
            if (word && e + 4 <= n && !memcmp(s + e, "def ", 4))
                return -1;
            if (word && !memcmp(s + e, "end", 3) && (e + 3 == n || !is_ident(s[e + 3]))) {
                *from = j;
                *to = e;
                return 1;
            }
        }
        return -1;
    }
    return 0;
}

/* What the body returns: the last literal that is not the name of an
 * environment variable being read (ENV['X'], ENV.fetch('X' ...)). */
static struct lit body_literal(const char *s, size_t from, size_t to)
{
    struct lit r = {LIT_OTHER, 0, ""};
    for (size_t i = from; i < to; i++) {
        char c = s[i];
        if (c == '#') {
            while (i < to && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '\'' || c == '"') {
            size_t e = i + 1;
            while (e < to && s[e] != c && s[e] != '\n')
                e++;
            if (e >= to || s[e] != c)
                return (struct lit){LIT_OTHER, 0, ""};
            size_t b = i;
            while (b > from && (s[b - 1] == ' ' || s[b - 1] == '\t'))
                b--;
            bool env_name = (b > from && s[b - 1] == '[') || (b >= from + 6 && !memcmp(s + b - 6, "fetch(", 6));
            if (!env_name) {
                if (e - i - 1 > MASTODON_VERSION_MAX)
                    return (struct lit){LIT_OTHER, 0, ""};
                r.kind = LIT_STR;
                memcpy(r.s, s + i + 1, e - i - 1);
                r.s[e - i - 1] = '\0';
            }
            i = e;
            continue;
        }
        if (c >= '0' && c <= '9' && (i == from || !is_ident(s[i - 1]))) {
            long v = 0;
            while (i < to && s[i] >= '0' && s[i] <= '9') {
                v = v * 10 + (s[i] - '0');
                if (v > 99999)
                    return (struct lit){LIT_OTHER, 0, ""};
                i++;
            }
            r.kind = LIT_INT;
            r.n = v;
            i--;
            continue;
        }
        if (c == 'n' && to - i >= 3 && !memcmp(s + i, "nil", 3) && (i == from || !is_ident(s[i - 1])) &&
            (i + 3 == to || !is_ident(s[i + 3]))) {
            r.kind = LIT_NIL;
            i += 2;
        }
    }
    return r;
}

static struct lit method(const char *s, size_t n, const char *name)
{
    size_t from, to;
    int found = method_body(s, n, name, &from, &to);
    if (found <= 0)
        return (struct lit){found == 0 ? LIT_ABSENT : LIT_OTHER, 0, ""};
    return body_literal(s, from, to);
}

/* A part that to_s joins in: an int, a string, or nothing (nil, ''). */
static bool part(const struct lit *l, strbuf *out, const char *before)
{
    switch (l->kind) {
    case LIT_ABSENT:
    case LIT_NIL:
        return true;
    case LIT_INT:
        sb_printf(out, "%s%ld", before, l->n);
        return true;
    case LIT_STR:
        if (l->s[0])
            sb_printf(out, "%s%s", before, l->s);
        return true;
    default:
        return false;
    }
}

static bool valid(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > MASTODON_VERSION_MAX || v[0] < '0' || v[0] > '9')
        return false;
    for (size_t i = 0; i < n; i++)
        if ((!is_ident(v[i]) || v[i] == '_') && v[i] != '.' && v[i] != '+' && v[i] != '-')
            return false;
    return v[strspn(v, "0123456789")] == '.';
}

/* VERSION = '1.2.2' (Mastodon up to 1.2.2). */
static bool version_constant(const char *s, size_t n, char *out)
{
    const char *p = memmem(s, n, "VERSION", 7);
    while (p) {
        size_t i = (size_t)(p - s) + 7;
        if ((p == s || !is_ident(p[-1])) && i < n && !is_ident(s[i])) {
            while (i < n && s[i] == ' ')
                i++;
            if (i < n && s[i] == '=') {
                const char *nl = memchr(s + i, '\n', n - i);
                struct lit l = body_literal(s, i + 1, nl ? (size_t)(nl - s) : n);
                if (l.kind == LIT_STR && valid(l.s)) {
                    strcpy(out, l.s);
                    return true;
                }
            }
        }
        size_t next = (size_t)(p - s) + 1;
        p = next < n ? memmem(s + next, n - next, "VERSION", 7) : NULL;
    }
    return false;
}

bool mastodon_version_parse(const char *src, size_t len, char out[MASTODON_VERSION_MAX + 1])
{
    out[0] = '\0';
    struct lit major = method(src, len, "major"), minor = method(src, len, "minor"), patch = method(src, len, "patch");
    if (major.kind != LIT_INT || minor.kind != LIT_INT)
        return version_constant(src, len, out);
    strbuf v = STRBUF_INIT;
    sb_printf(&v, "%ld.%ld", major.n, minor.n);
    bool ok = patch.kind == LIT_INT || patch.kind == LIT_ABSENT;
    sb_printf(&v, ".%ld", patch.kind == LIT_INT ? patch.n : 0L);
    struct lit prerelease = method(src, len, "default_prerelease");
    if (ok && prerelease.kind != LIT_ABSENT) {
        ok = part(&prerelease, &v, "-"); /* 4.2 on: components << "-#{prerelease}" */
    } else if (ok) {
        /* [major, minor, patch, pre].compact.join('.'), then flags and suffix */
        struct lit pre = method(src, len, "pre"), flags = method(src, len, "flags"), suffix = method(src, len, "suffix");
        ok = part(&pre, &v, ".") && part(&flags, &v, "") && part(&suffix, &v, "");
    }
    ok = ok && valid(v.data);
    if (ok)
        strcpy(out, v.data);
    sb_free(&v);
    return ok;
}
