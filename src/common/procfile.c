/* The Procfile grammar: see procfile.h for the two modes, README.md
 * ("Procfile.web") for the format as users see it. */
#include "common/procfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/quote.h"
#include "common/xalloc.h"

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool is_var_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static bool is_var_char(char c) { return is_var_start(c) || (c >= '0' && c <= '9'); }

/* \s of the loose rule, minus the line breaks a line cannot hold. */
static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

bool procfile_valid_name(const char *name, size_t len)
{
    if (len == 0 || len > PROC_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(name[i]))
            return false;
    return true;
}

/* A short, printable excerpt for messages: control bytes and non-ASCII
 * shown as '?', cut at 60 characters. */
static void sb_excerpt_raw(strbuf *sb, const char *s, size_t n)
{
    size_t shown = n < 60 ? n : 60;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        sb_append_char(sb, c >= 0x20 && c < 0x7F ? (char)c : '?');
    }
    if (shown < n)
        sb_append(sb, "...");
}

/* The same for a line, in single quotes. */
static void sb_excerpt(strbuf *sb, const char *s, size_t n)
{
    sb_append_char(sb, '\'');
    sb_excerpt_raw(sb, s, n);
    sb_append_char(sb, '\'');
}

static struct proc_line *add_line(struct procfile *pf)
{
    pf->lines = xgrow(pf->lines, pf->n, &pf->cap, sizeof *pf->lines);
    struct proc_line *line = &pf->lines[pf->n++];
    memset(line, 0, sizeof *line);
    return line;
}

/* What one line says. On a problem, *problem is a static description and the
 * function returns false; for the loose Heroku reading, *loose is set. */
struct parsed {
    enum proc_line_kind kind;
    const char *name;
    size_t name_len;
    const char *cmd;
    size_t cmd_len;
    struct {
        const char *var;
        size_t len;
        bool negated;
    } conds[PROC_CONDS_MAX];
    size_t n_conds;
    bool loose; /* only Heroku's loose rule matched (no colon) */
};

/* Heroku's loose rule: ^\s*([a-zA-Z0-9_-]+):?\s+(.*) */
static bool match_loose(const char *s, size_t n, struct parsed *p)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    size_t start = i;
    while (i < n && is_name_char(s[i]))
        i++;
    if (i == start)
        return false;
    size_t name_end = i;
    if (i < n && s[i] == ':')
        i++;
    size_t ws = i;
    while (i < n && is_space(s[i]))
        i++;
    if (i == ws)
        return false;
    p->name = s + start;
    p->name_len = name_end - start;
    p->cmd = s + i;
    p->cmd_len = n - i;
    return true;
}

static const char *parse_line(const char *s, size_t n, enum procfile_mode mode, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    if (i == n) {
        p->kind = PROC_BLANK;
        return NULL;
    }
    if (s[i] == '#') {
        p->kind = PROC_COMMENT;
        return NULL;
    }
    p->kind = PROC_UNPARSED;
    if (memchr(s, '\0', n))
        return "contains a NUL byte";
    if (n > PROC_LINE_MAX)
        return "is longer than 64 KiB";
    if (!utf8_valid(s, n))
        return "is not valid UTF-8";

    size_t start = i;
    while (i < n && is_name_char(s[i]))
        i++;
    p->name = s + start;
    p->name_len = i - start;
    if (p->name_len == 0)
        return "expected NAME: COMMAND, where NAME is letters, digits, '_' or '-'";
    if (p->name_len > PROC_NAME_MAX)
        return "the name is longer than 63 characters";

    while (mode == PROCFILE_WEB && i < n && s[i] == '@') {
        i++;
        bool negated = false;
        if (i < n && s[i] == '!') {
            negated = true;
            i++;
        }
        size_t vstart = i;
        if (i == n || !is_var_start(s[i]))
            return "expected a variable name after '@' or '@!' (a letter or '_', then letters, digits or '_')";
        while (i < n && is_var_char(s[i]))
            i++;
        if (i - vstart > PROC_VAR_MAX)
            return "the condition's variable name is longer than 255 characters";
        if (p->n_conds == PROC_CONDS_MAX)
            return "a member has more than 8 conditions";
        /* @A@A says nothing more, @A@!A can never run: both are mistakes. */
        for (size_t k = 0; k < p->n_conds; k++)
            if (p->conds[k].len == i - vstart && !memcmp(p->conds[k].var, s + vstart, i - vstart))
                return "a variable appears in two conditions of one member";
        p->conds[p->n_conds].var = s + vstart;
        p->conds[p->n_conds].len = i - vstart;
        p->conds[p->n_conds].negated = negated;
        p->n_conds++;
    }

    if (i == n || s[i] != ':') {
        if (mode == PROCFILE_APP && match_loose(s, n, p)) {
            p->loose = true;
            p->kind = PROC_ENTRY;
            return NULL;
        }
        if (mode == PROCFILE_WEB)
            return "expected NAME[@VAR|@!VAR]...: COMMAND";
        return "expected NAME: COMMAND";
    }
    i++;
    while (i < n && is_space(s[i]))
        i++;
    size_t end = n;
    while (end > i && is_space(s[end - 1]))
        end--;
    if (end == i)
        return "expected a command after the colon, found nothing";
    p->cmd = s + i;
    p->cmd_len = end - i;
    p->kind = PROC_ENTRY;
    return NULL;
}

/* The entry names seen so far, so that finding a duplicate costs the same for
 * the 100,000th line as for the 2nd (comparing every line with every earlier
 * one took minutes on a 4 MiB Procfile). Open addressing; a slot holds the
 * indexes in pf->lines of the first and the last entry of a name, plus one
 * (first == 0: empty). */
struct name_slot {
    size_t first, last;
};
struct name_set {
    struct name_slot *slots;
    size_t cap, used; /* cap: a power of two, at most half full */
};

static size_t name_hash(const char *s)
{
    size_t h = 14695981039346656037ULL & (size_t)-1; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

static void name_set_free(struct name_set *set)
{
    free(set->slots);
    memset(set, 0, sizeof *set);
}

static void name_set_grow(struct name_set *set, const struct procfile *pf)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    struct name_slot *slots = xrealloc(NULL, cap * sizeof *slots);
    memset(slots, 0, cap * sizeof *slots);
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->slots[i].first)
            continue;
        size_t h = name_hash(pf->lines[set->slots[i].first - 1].name) & (cap - 1);
        while (slots[h].first)
            h = (h + 1) & (cap - 1);
        slots[h] = set->slots[i];
    }
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
}

/* Records entry idx under its name. Returns the first earlier entry of that
 * name, which idx and every entry between supersede, or NULL. */
static const struct proc_line *note_entry(struct name_set *set, struct procfile *pf, size_t idx)
{
    if ((set->used + 1) * 2 > set->cap)
        name_set_grow(set, pf);
    const char *name = pf->lines[idx].name;
    size_t h = name_hash(name) & (set->cap - 1);
    while (set->slots[h].first) {
        struct name_slot *slot = &set->slots[h];
        if (strcmp(pf->lines[slot->first - 1].name, name) == 0) {
            pf->lines[slot->last - 1].superseded = true; /* the last one wins */
            slot->last = idx + 1;
            return &pf->lines[slot->first - 1];
        }
        h = (h + 1) & (set->cap - 1);
    }
    set->slots[h] = (struct name_slot){idx + 1, idx + 1};
    set->used++;
    return NULL;
}

/* One message about a line: "LABEL, line N: 'excerpt' WHAT\n". */
static void PRINTF_LIKE(6, 7) report(strbuf *diag, const char *label, int lineno, const char *s,
                                     size_t n, const char *fmt, ...)
{
    sb_printf(diag, "%s, line %d: ", label, lineno);
    sb_excerpt(diag, s, n);
    sb_append_char(diag, ' ');
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sb_append(diag, msg);
    sb_append_char(diag, '\n');
}

int procfile_parse(const char *data, size_t len, const char *label, enum procfile_mode mode,
                   struct procfile *pf, strbuf *diag)
{
    memset(pf, 0, sizeof *pf);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        pf->bom = true;
        data += 3;
        len -= 3;
    }
    size_t pos = 0;
    int lineno = 0;
    struct name_set seen = {NULL, 0, 0};
    while (pos < len) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        lineno++;
        bool crlf = n > 0 && s[n - 1] == '\r';
        if (crlf) {
            n--;
            if (lineno == 1)
                pf->crlf = true;
        }

        struct parsed p;
        const char *problem = parse_line(s, n, mode, &p);
        if (problem && mode == PROCFILE_WEB) {
            report(diag, label, lineno, s, n, "is not valid: %s", problem);
            name_set_free(&seen);
            procfile_free(pf);
            return -1;
        }

        struct proc_line *line = add_line(pf);
        line->kind = p.kind;
        line->lineno = lineno;
        line->crlf = nl ? crlf : pf->crlf; /* a last line without one gets line 1's */
        line->raw = xstrndup(s, n);
        line->raw_len = n;
        if (problem) {
            report(diag, label, lineno, s, n, "is kept as it is, but not understood: %s", problem);
            /* What Heroku would still read here, so callers never add a second
             * entry of the same name beside a line they did not understand. */
            struct parsed loose;
            if (match_loose(s, n, &loose) && procfile_valid_name(loose.name, loose.name_len))
                line->name = xstrndup(loose.name, loose.name_len);
            continue;
        }
        if (p.kind != PROC_ENTRY)
            continue;
        if (p.loose) {
            report(diag, label, lineno, s, n,
                   "has no colon after the name; read as Heroku does, as process type '%.*s'",
                   (int)p.name_len, p.name);
        }
        line->name = xstrndup(p.name, p.name_len);
        const struct proc_line *other = note_entry(&seen, pf, pf->n - 1);
        if (other) {
            if (mode == PROCFILE_WEB) {
                sb_printf(diag, "%s, line %d: member '%.*s' is already defined on line %d\n", label,
                          lineno, (int)p.name_len, p.name, other->lineno);
                name_set_free(&seen);
                procfile_free(pf);
                return -1;
            }
            sb_printf(diag, "%s, line %d: process type '%.*s' is defined again (first on line %d); the last one wins\n",
                      label, lineno, (int)p.name_len, p.name, other->lineno);
        }
        line->command = xstrndup(p.cmd, p.cmd_len);
        if (p.n_conds) {
            line->conds = xrealloc(NULL, p.n_conds * sizeof *line->conds);
            for (size_t k = 0; k < p.n_conds; k++) {
                line->conds[k].var = xstrndup(p.conds[k].var, p.conds[k].len);
                line->conds[k].negated = p.conds[k].negated;
            }
            line->n_conds = p.n_conds;
            line->cond_var = line->conds[0].var;
            line->cond_negated = line->conds[0].negated;
        }
    }
    name_set_free(&seen);
    return 0;
}

int procfile_load(const char *path, const char *label, enum procfile_mode mode, struct procfile *pf,
                  strbuf *diag)
{
    memset(pf, 0, sizeof *pf);
    char *data;
    size_t len;
    if (read_file(path, PROC_FILE_MAX, &data, &len) < 0) {
        switch (errno) {
        case ENOENT:
            return 1;
        case EISDIR:
            sb_printf(diag, "%s is a directory; expected a file of 'NAME: COMMAND' lines\n", label);
            break;
        case EINVAL:
            sb_printf(diag, "%s is %s, not a regular file\n", label, file_kind(path));
            break;
        case EFBIG:
            sb_printf(diag, "%s is larger than 4 MiB; expected a short list of 'NAME: COMMAND' lines\n", label);
            break;
        default:
            sb_printf(diag, "cannot read %s: %s\n", label, strerror(errno));
        }
        return -1;
    }
    int r = procfile_parse(data, len, label, mode, pf, diag);
    free(data);
    return r;
}

bool procfile_counts(const struct proc_line *line)
{
    return line->kind == PROC_ENTRY && !line->superseded;
}

struct proc_line *procfile_find(struct procfile *pf, const char *name)
{
    for (size_t i = pf->n; i-- > 0;)
        if (pf->lines[i].kind == PROC_ENTRY && strcmp(pf->lines[i].name, name) == 0)
            return &pf->lines[i];
    return NULL;
}

struct proc_line *procfile_find_any(struct procfile *pf, const char *name)
{
    for (size_t i = pf->n; i-- > 0;) {
        const struct proc_line *l = &pf->lines[i];
        if ((l->kind == PROC_ENTRY || l->kind == PROC_UNPARSED) && l->name && strcmp(l->name, name) == 0)
            return &pf->lines[i];
    }
    return NULL;
}

static void free_conds(struct proc_line *l)
{
    for (size_t k = 0; k < l->n_conds; k++)
        free(l->conds[k].var);
    free(l->conds);
    l->conds = NULL;
    l->n_conds = 0;
    l->cond_var = NULL;
    l->cond_negated = false;
}

static void free_line(struct proc_line *l)
{
    free(l->raw);
    free(l->name);
    free(l->command);
    free_conds(l);
}

void procfile_remove(struct procfile *pf, const char *name)
{
    size_t out = 0;
    for (size_t i = 0; i < pf->n; i++) {
        if (pf->lines[i].kind == PROC_ENTRY && strcmp(pf->lines[i].name, name) == 0)
            free_line(&pf->lines[i]);
        else
            pf->lines[out++] = pf->lines[i];
    }
    pf->n = out;
}

void procfile_set(struct procfile *pf, const char *name, const char *command, const char *cond_var,
                  bool cond_negated)
{
    struct proc_line *keep = procfile_find(pf, name);
    if (!keep) {
        keep = add_line(pf);
        keep->kind = PROC_ENTRY;
        keep->name = xstrndup(name, strlen(name));
    } else {
        /* Drop earlier duplicates: after a rewrite, the entry that counted is the only one. */
        size_t idx = (size_t)(keep - pf->lines), out = 0;
        for (size_t i = 0; i < pf->n; i++) {
            if (i < idx && pf->lines[i].kind == PROC_ENTRY && strcmp(pf->lines[i].name, name) == 0) {
                free_line(&pf->lines[i]);
                continue;
            }
            pf->lines[out++] = pf->lines[i];
        }
        pf->n = out;
        keep = procfile_find(pf, name);
        free(keep->raw);
        keep->raw = NULL;
        free(keep->command);
        free_conds(keep);
    }
    keep->command = xstrndup(command, strlen(command));
    keep->raw_len = 0;
    if (cond_var) {
        keep->conds = xrealloc(NULL, sizeof *keep->conds);
        keep->conds[0].var = xstrndup(cond_var, strlen(cond_var));
        keep->conds[0].negated = cond_negated;
        keep->n_conds = 1;
        keep->cond_var = keep->conds[0].var;
        keep->cond_negated = cond_negated;
    }
}

void procfile_render(const struct procfile *pf, strbuf *out)
{
    if (pf->bom)
        sb_append(out, "\xEF\xBB\xBF");
    for (size_t i = 0; i < pf->n; i++) {
        const struct proc_line *l = &pf->lines[i];
        /* A line read from the file keeps its own ending (a file may mix LF
         * and CR LF); a line we add ends as the file's first line does. */
        const char *eol = (l->lineno ? l->crlf : pf->crlf) ? "\r\n" : "\n";
        if (l->raw) {
            sb_append_len(out, l->raw, l->raw_len);
        } else {
            sb_append(out, l->name);
            procfile_format_conditions(l, out);
            sb_printf(out, ": %s", l->command);
        }
        sb_append(out, eol);
    }
}

void procfile_free(struct procfile *pf)
{
    for (size_t i = 0; i < pf->n; i++)
        free_line(&pf->lines[i]);
    free(pf->lines);
    memset(pf, 0, sizeof *pf);
}

static bool cond_holds(const struct proc_cond *c, const char *(*lookup)(const char *))
{
    const char *v = lookup(c->var);
    bool is_true = v && strcmp(v, "true") == 0;
    return c->negated ? !is_true : is_true;
}

bool procfile_member_enabled(const struct proc_line *member, const char *(*lookup)(const char *))
{
    for (size_t k = 0; k < member->n_conds; k++)
        if (!cond_holds(&member->conds[k], lookup))
            return false;
    return true;
}

void procfile_describe_conditions(const struct proc_line *member, const char *(*lookup)(const char *),
                                  strbuf *out)
{
    for (size_t k = 0; k < member->n_conds; k++) {
        const struct proc_cond *c = &member->conds[k];
        const char *v = lookup(c->var);
        sb_printf(out, "%s%s is %s\"true\" (it is ", k ? " and " : "", c->var, c->negated ? "not " : "");
        if (v) {
            sb_append_char(out, '"');
            sb_excerpt_raw(out, v, strlen(v));
            sb_append(out, "\")");
        } else {
            sb_append(out, "unset)");
        }
    }
}

void procfile_format_conditions(const struct proc_line *member, strbuf *out)
{
    for (size_t k = 0; k < member->n_conds; k++)
        sb_printf(out, "@%s%s", member->conds[k].negated ? "!" : "", member->conds[k].var);
}
