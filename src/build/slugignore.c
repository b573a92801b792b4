/* .slugignore: parsing, matching, and removing the matches (see slugignore.h). */
#include "build/slugignore.h"
#include "common/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- parsing --------------------------------------------------------------- */

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Adds the rule written in line (already trimmed, not a comment). */
static void add_rule(struct slugignore *si, const char *line, size_t len, int lineno,
                     const char *label, strbuf *diag)
{
    struct slugignore_rule r = {NULL, 0, false, false, lineno};
    size_t orig_len = len;
    while (len > 0 && line[len - 1] == '/') {
        r.dir_only = true;
        len--;
    }
    r.anchored = memchr(line, '/', len) != NULL;
    size_t start = 0;
    while (start <= len) {
        const char *slash = memchr(line + start, '/', len - start);
        size_t end = slash ? (size_t)(slash - line) : len;
        size_t n = end - start;
        /* "a//b" and "./a" name the same paths as "a/b" and "a". */
        if (n > 0 && !(n == 1 && line[start] == '.')) {
            r.segs = xrealloc(r.segs, (r.nsegs + 1) * sizeof *r.segs);
            r.segs[r.nsegs++] = xstrndup(line + start, n);
        }
        start = end + 1;
    }
    if (r.nsegs == 0) {
        /* Heroku's own slug compiler would remove the whole app for "/": surely
         * not what anyone meant. */
        sb_printf(diag, "%s, line %d: '%.*s' names the whole app; line ignored\n", label, lineno,
                  (int)(orig_len < 80 ? orig_len : 80), line);
        free(r.segs);
        return;
    }
    si->rules = xgrow(si->rules, si->n, &si->cap, sizeof *si->rules);
    si->rules[si->n++] = r;
}

void slugignore_parse(const char *data, size_t len, const char *label, struct slugignore *si,
                      strbuf *diag)
{
    size_t pos = 0;
    int lineno = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        const char *line = data + pos;
        size_t n = end - pos;
        pos = end + 1;
        lineno++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        while (n > 0 && is_blank(line[0]))
            line++, n--;
        /* Trailing blanks go, unless escaped with a backslash ("\ "). */
        while (n > 0 && is_blank(line[n - 1])) {
            size_t backslashes = 0;
            while (backslashes < n - 1 && line[n - 2 - backslashes] == '\\')
                backslashes++;
            if (backslashes % 2 == 1)
                break;
            n--;
        }
        if (n == 0 || line[0] == '#')
            continue;
        if (n > SLUGIGNORE_LINE_MAX) {
            sb_printf(diag, "%s, line %d: pattern longer than %d bytes; line ignored\n", label,
                      lineno, SLUGIGNORE_LINE_MAX);
            continue;
        }
        if (memchr(line, '\0', n)) {
            sb_printf(diag, "%s, line %d: pattern contains a NUL byte; line ignored\n", label,
                      lineno);
            continue;
        }
        if (line[0] == '!') {
            sb_printf(diag,
                      "%s, line %d: negated patterns ('!') are not supported by Heroku's "
                      ".slugignore; line ignored\n",
                      label, lineno);
            continue;
        }
        add_rule(si, line, n, lineno, label, diag);
    }
}

void slugignore_free(struct slugignore *si)
{
    for (size_t i = 0; i < si->n; i++) {
        for (size_t j = 0; j < si->rules[i].nsegs; j++)
            free(si->rules[i].segs[j]);
        free(si->rules[i].segs);
    }
    free(si->rules);
    si->rules = NULL;
    si->n = si->cap = 0;
}

/* ---- matching ---------------------------------------------------------------- */

static bool in_class(const char *cls, size_t n, unsigned char c)
{
    /* ASCII-only, locale-independent versions of the <ctype.h> classes. */
    bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
    bool digit = c >= '0' && c <= '9';
    if (n == 5 && !memcmp(cls, "alnum", 5))
        return lower || upper || digit;
    if (n == 5 && !memcmp(cls, "alpha", 5))
        return lower || upper;
    if (n == 5 && !memcmp(cls, "digit", 5))
        return digit;
    if (n == 5 && !memcmp(cls, "lower", 5))
        return lower;
    if (n == 5 && !memcmp(cls, "upper", 5))
        return upper;
    if (n == 5 && !memcmp(cls, "space", 5))
        return c == ' ' || (c >= '\t' && c <= '\r');
    if (n == 5 && !memcmp(cls, "blank", 5))
        return c == ' ' || c == '\t';
    if (n == 6 && !memcmp(cls, "xdigit", 6))
        return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (n == 5 && !memcmp(cls, "punct", 5))
        return c > ' ' && c < 0x7f && !lower && !upper && !digit;
    return false; /* unknown class names match nothing */
}

/* Matches "[...]" starting at pat[*p] == '[' against c. Returns 1 (match), 0
 * (no match) and advances *p past the ']', or -1 when the bracket is not
 * closed (then '[' is an ordinary character). */
static int match_bracket(const char *pat, size_t plen, size_t *p, unsigned char c)
{
    size_t i = *p + 1;
    bool negate = false, found = false;
    if (i < plen && (pat[i] == '!' || pat[i] == '^')) {
        negate = true;
        i++;
    }
    bool first = true;
    for (;;) {
        if (i >= plen)
            return -1;
        if (pat[i] == ']' && !first)
            break;
        first = false;
        if (pat[i] == '[' && i + 1 < plen && pat[i + 1] == ':') {
            const char *close = NULL;
            for (size_t k = i + 2; k + 1 < plen; k++)
                if (pat[k] == ':' && pat[k + 1] == ']') {
                    close = pat + k;
                    break;
                }
            if (close) {
                if (in_class(pat + i + 2, (size_t)(close - (pat + i + 2)), c))
                    found = true;
                i = (size_t)(close - pat) + 2;
                continue;
            }
        }
        unsigned char lo = (unsigned char)pat[i];
        if (lo == '\\' && i + 1 < plen)
            lo = (unsigned char)pat[++i];
        i++;
        unsigned char hi = lo;
        if (i + 1 < plen && pat[i] == '-' && pat[i + 1] != ']') {
            hi = (unsigned char)pat[i + 1];
            i += 2;
            if (hi == '\\' && i < plen)
                hi = (unsigned char)pat[i++];
        }
        if (c >= lo && c <= hi)
            found = true;
    }
    *p = i + 1;
    return found != negate;
}

/* Iterative glob with one backtracking point per '*': O(plen * nlen) at worst,
 * never exponential (the fuzzer checks). */
bool slugignore_glob(const char *pat, size_t plen, const char *name, size_t nlen)
{
    size_t p = 0, s = 0;
    size_t star_p = SIZE_MAX, star_s = 0;
    while (s < nlen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            star_p = p;
            star_s = s;
            continue;
        }
        if (p < plen) {
            unsigned char c = (unsigned char)name[s];
            size_t next = p + 1;
            bool ok;
            if (pat[p] == '?') {
                ok = true;
            } else if (pat[p] == '[') {
                next = p;
                int m = match_bracket(pat, plen, &next, c);
                ok = m < 0 ? c == '[' : m == 1;
                if (m < 0)
                    next = p + 1;
            } else if (pat[p] == '\\' && p + 1 < plen) {
                ok = (unsigned char)pat[p + 1] == c;
                next = p + 2;
            } else {
                ok = (unsigned char)pat[p] == c;
            }
            if (ok) {
                p = next;
                s++;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return false;
        p = star_p;
        s = ++star_s;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

struct span {
    const char *s;
    size_t n;
};

static bool is_globstar(const char *seg) { return seg[0] == '*' && seg[1] == '*' && !seg[2]; }

/* Anchored rule against the path's segments. "**" matches zero or more
 * segments, except at the end, where it matches one or more (everything inside
 * a directory, not the directory itself). */
static bool match_segments(const struct slugignore_rule *r, const struct span *segs, size_t S)
{
    size_t P = r->nsegs;
    bool has_globstar = false;
    for (size_t i = 0; i < P; i++)
        has_globstar |= is_globstar(r->segs[i]);
    if (!has_globstar) {
        if (P != S)
            return false;
        for (size_t i = 0; i < P; i++)
            if (!slugignore_glob(r->segs[i], strlen(r->segs[i]), segs[i].s, segs[i].n))
                return false;
        return true;
    }
    /* next[j]: pattern segments i+1.. match path segments j..; computed from
     * the end of the pattern backwards, one row at a time. */
    bool *next = xrealloc(NULL, (S + 1) * sizeof *next);
    bool *cur = xrealloc(NULL, (S + 1) * sizeof *cur);
    for (size_t j = 0; j <= S; j++)
        next[j] = j == S;
    for (size_t i = P; i-- > 0;) {
        if (is_globstar(r->segs[i])) {
            size_t min = i == P - 1 ? 1 : 0;
            bool any = false; /* next[k] for some k >= j + min */
            for (size_t j = S + 1; j-- > 0;) {
                if (j + min <= S)
                    any |= next[j + min];
                cur[j] = j + min <= S && any;
            }
        } else {
            size_t plen = strlen(r->segs[i]);
            for (size_t j = 0; j <= S; j++)
                cur[j] = j < S && next[j + 1] &&
                         slugignore_glob(r->segs[i], plen, segs[j].s, segs[j].n);
        }
        bool *t = next;
        next = cur;
        cur = t;
    }
    bool result = next[0];
    free(next);
    free(cur);
    return result;
}

bool slugignore_match(const struct slugignore *si, const char *path, size_t path_len, bool is_dir)
{
    if (si->n == 0 || path_len == 0)
        return false;
    /* The path's segments, and its last one (the name). */
    size_t S = 1;
    for (size_t i = 0; i < path_len; i++)
        S += path[i] == '/';
    struct span small[32];
    struct span *segs = S <= 32 ? small : xrealloc(NULL, S * sizeof *segs);
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= path_len; i++)
        if (i == path_len || path[i] == '/') {
            segs[k].s = path + start;
            segs[k].n = i - start;
            k++;
            start = i + 1;
        }
    bool matched = false;
    for (size_t i = 0; i < si->n && !matched; i++) {
        const struct slugignore_rule *r = &si->rules[i];
        if (r->dir_only && !is_dir)
            continue;
        if (!r->anchored)
            matched = slugignore_glob(r->segs[0], strlen(r->segs[0]), segs[S - 1].s, segs[S - 1].n);
        else
            matched = match_segments(r, segs, S);
    }
    if (segs != small)
        free(segs);
    return matched;
}

/* ---- removing the matches ---------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory open at fd, sorted (so the log is stable). */
static char **list_dir(int fd, size_t *count)
{
    int dup_fd = dup(fd);
    if (dup_fd < 0)
        return NULL;
    DIR *d = fdopendir(dup_fd);
    if (!d) {
        close(dup_fd);
        return NULL;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrndup(de->d_name, strlen(de->d_name));
    }
    int saved = errno;
    closedir(d);
    if (saved) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        errno = saved;
        return NULL;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    *count = n;
    return names ? names : xrealloc(NULL, sizeof *names);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* rm -rf of name in dirfd, without following symlinks, except for what keep
 * matches inside it (a matched "vendor/" still leaves "vendor/bundle/": the
 * directories holding something kept stay). Counts what it removes. */
static int remove_tree(int dirfd, const char *name, const char *rel, const struct slugignore *keep,
                       size_t *removed, bool *kept, strbuf *diag)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        sb_printf(diag, "%s: %s", rel, strerror(errno));
        return -1;
    }
    bool kept_inside = false;
    if (S_ISDIR(st.st_mode)) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            sb_printf(diag, "%s: cannot open: %s", rel, strerror(errno));
            return -1;
        }
        size_t n = 0;
        char **names = list_dir(fd, &n);
        if (!names) {
            sb_printf(diag, "%s: cannot list: %s", rel, strerror(errno));
            close(fd);
            return -1;
        }
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            strbuf child = STRBUF_INIT;
            sb_printf(&child, "%s/%s", rel, names[i]);
            struct stat cst;
            if (keep && fstatat(fd, names[i], &cst, AT_SYMLINK_NOFOLLOW) == 0 &&
                slugignore_match(keep, child.data, child.len, S_ISDIR(cst.st_mode)))
                kept_inside = true;
            else
                rc = remove_tree(fd, names[i], child.data, keep, removed, &kept_inside, diag);
            sb_free(&child);
        }
        free_names(names, n);
        close(fd);
        if (rc < 0)
            return -1;
    }
    if (kept_inside) {
        *kept = true;
        return 0;
    }
    if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
        sb_printf(diag, "%s: cannot remove: %s", rel, strerror(errno));
        return -1;
    }
    (*removed)++;
    return 0;
}

#define SHOWN_MAX 5

/* A path for the log: control characters (a newline in a file name) shown as
 * \xNN, so one path stays on one line. */
static void append_printable(strbuf *sb, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            sb_printf(sb, "\\x%02x", c);
        else
            sb_append_char(sb, (char)c);
    }
}

static int apply_dir(int fd, strbuf *rel, const struct slugignore *si, const struct slugignore *keep,
                     struct slugignore_result *res, strbuf *diag)
{
    size_t n = 0;
    char **names = list_dir(fd, &n);
    if (!names) {
        sb_printf(diag, "%s: cannot list: %s", rel->len ? rel->data : ".", strerror(errno));
        return -1;
    }
    int rc = 0;
    size_t base = rel->len;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rel->len = base;
        if (rel->data)
            rel->data[base] = '\0';
        if (base)
            sb_append_char(rel, '/');
        sb_append(rel, names[i]);
        struct stat st;
        if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            sb_printf(diag, "%s: %s", rel->data, strerror(errno));
            rc = -1;
            break;
        }
        bool is_dir = S_ISDIR(st.st_mode);
        if (keep && slugignore_match(keep, rel->data, rel->len, is_dir))
            continue;
        if (slugignore_match(si, rel->data, rel->len, is_dir)) {
            if (res->matched < SHOWN_MAX) {
                if (res->matched)
                    sb_append(&res->shown, ", ");
                append_printable(&res->shown, rel->data);
                if (is_dir)
                    sb_append_char(&res->shown, '/');
            } else if (res->matched == SHOWN_MAX)
                sb_append(&res->shown, ", ...");
            res->matched++;
            bool kept = false;
            rc = remove_tree(fd, names[i], rel->data, keep, &res->removed, &kept, diag);
        } else if (is_dir) {
            int child = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                sb_printf(diag, "%s: cannot open: %s", rel->data, strerror(errno));
                rc = -1;
                break;
            }
            rc = apply_dir(child, rel, si, keep, res, diag);
            close(child);
        }
    }
    rel->len = base;
    if (rel->data)
        rel->data[base] = '\0';
    free_names(names, n);
    return rc;
}

int slugignore_apply(const char *root, const struct slugignore *si, const struct slugignore *keep,
                     struct slugignore_result *res, strbuf *diag)
{
    res->matched = res->removed = 0;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        sb_printf(diag, "%s: %s", root, strerror(errno));
        return -1;
    }
    strbuf rel = STRBUF_INIT;
    int rc = apply_dir(fd, &rel, si, keep, res, diag);
    sb_free(&rel);
    close(fd);
    return rc;
}
