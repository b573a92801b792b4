/* Recognising multi-process one-liners and bin/heroku-web: see oneliner.h. */
#include "build/oneliner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/shell_lex.h"
#include "common/xalloc.h"

/* ---- conditions: the variable tests a process depends on ----------------- */

struct cond {
    char *var;
    bool negated;
};

/* Conditions that must all hold (a conjunction), as in Procfile.web. */
struct conds {
    struct cond v[PROC_CONDS_MAX];
    size_t n;
};

static void conds_free(struct conds *c)
{
    for (size_t k = 0; k < c->n; k++)
        free(c->v[k].var);
    c->n = 0;
}

/* Adds one condition. False when it contradicts one already there (the
 * process could never run) or there would be more than Procfile.web holds. */
static bool conds_add(struct conds *c, const char *var, bool negated)
{
    for (size_t k = 0; k < c->n; k++)
        if (!strcmp(c->v[k].var, var))
            return c->v[k].negated == negated;
    if (c->n == PROC_CONDS_MAX)
        return false;
    c->v[c->n].var = xstrdup(var);
    c->v[c->n].negated = negated;
    c->n++;
    return true;
}

/* c = base + more; false (c emptied) when they cannot all hold. */
static bool conds_join(struct conds *c, const struct conds *base, const struct conds *more)
{
    c->n = 0;
    for (size_t k = 0; k < base->n; k++)
        conds_add(c, base->v[k].var, base->v[k].negated);
    for (size_t k = 0; more && k < more->n; k++) {
        if (!conds_add(c, more->v[k].var, more->v[k].negated)) {
            conds_free(c);
            return false;
        }
    }
    return true;
}

/* ---- the structure: a list of commands and if-statements ---------------- */

struct node;

struct nlist {
    struct node *v;
    size_t n, cap;
};

struct node {
    bool is_if, bg;
    size_t from, to; /* command: its tokens [from, to), an and-or list */
    /* if-statement (an elif is an if in the else branch) */
    bool test_is_vars;  /* its test is [ "$VAR" == "true" ]-style tests joined by && */
    struct conds test;  /* ... and these are they */
    size_t test_start, test_end; /* the test's bytes */
    struct nlist then_l, else_l;
    bool has_else;
};

struct parser {
    const char *s;
    struct sh_toks t;
    size_t i;
    const char *why;
    int depth;
};

static void nlist_free(struct nlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        conds_free(&l->v[i].test);
        nlist_free(&l->v[i].then_l);
        nlist_free(&l->v[i].else_l);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static struct node *nlist_push(struct nlist *l)
{
    l->v = xgrow(l->v, l->n, &l->cap, sizeof *l->v);
    struct node *n = &l->v[l->n++];
    memset(n, 0, sizeof *n);
    return n;
}

static bool is_kw(const struct parser *p, const char *kw)
{
    if (p->i >= p->t.n)
        return false;
    const struct sh_tok *t = &p->t.t[p->i];
    return t->kind == SH_WORD && !t->quoted && !strcmp(t->value, kw);
}

static bool at_reserved(const struct parser *p)
{
    static const char *const words[] = {"while", "until", "for", "case", "esac", "do", "done",
                                        "function", "select", "coproc", NULL};
    for (int k = 0; words[k]; k++)
        if (is_kw(p, words[k]))
            return true;
    return false;
}

static void skip_seps(struct parser *p)
{
    while (p->i < p->t.n && (p->t.t[p->i].kind == SH_SEMI || p->t.t[p->i].kind == SH_NEWLINE))
        p->i++;
}

static bool valid_var(const char *s, size_t n)
{
    if (n == 0 || n > 255 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* "$NAME", "${NAME}", or "${NAME:-x}" / "${NAME-x}" with a default other than
 * "true" (so unset still compares as not "true"): the name, or NULL. */
static char *var_ref(const struct sh_tok *t)
{
    const char *v = t->value;
    if (v[0] != '$')
        return NULL;
    size_t n = strlen(v);
    const char *name = v + 1;
    size_t len = n - 1;
    if (v[1] == '{') {
        if (v[n - 1] != '}')
            return NULL;
        name = v + 2;
        len = n - 3;
        const char *dash = memchr(name, '-', len);
        if (dash) {
            size_t at = (size_t)(dash - name);
            size_t name_len = at > 0 && name[at - 1] == ':' ? at - 1 : at;
            const char *def = dash + 1;
            size_t def_len = len - at - 1;
            /* a default that is itself an expansion could be "true" */
            if ((def_len == 4 && !memcmp(def, "true", 4)) || memchr(def, '$', def_len) || memchr(def, '`', def_len))
                return NULL;
            len = name_len;
        }
    }
    if (!valid_var(name, len))
        return NULL;
    return xstrndup(name, len);
}

/* Whether the simple command [from, to) runs [, [[ or test. */
static bool is_test_command(const struct sh_toks *t, size_t from, size_t to)
{
    size_t p = sh_program_word(t, from, to);
    if (p >= to || t->t[p].quoted)
        return false;
    const char *v = t->t[p].value;
    return !strcmp(v, "[") || !strcmp(v, "[[") || !strcmp(v, "test");
}

/* [ "$VAR" == "true" ], [ "$VAR" != "true" ], [[ ... ]], test ...: true with
 * the variable (malloc'd) and whether the test is for "not true". Any other
 * test, or any other command, gives false. */
static bool var_test(const struct sh_toks *t, size_t from, size_t to, char **var_out, bool *negated)
{
    const struct sh_tok *w = t->t + from;
    size_t cnt = to - from;
    for (size_t k = 0; k < cnt; k++)
        if (w[k].kind != SH_WORD || w[k].redir_target)
            return false;
    bool dbl = false;
    size_t a;
    if (cnt == 5 && !w[0].quoted && !strcmp(w[0].value, "[") && !strcmp(w[4].value, "]")) {
        a = 1;
    } else if (cnt == 5 && !w[0].quoted && !strcmp(w[0].value, "[[") && !strcmp(w[4].value, "]]")) {
        a = 1;
        dbl = true;
    } else if (cnt == 4 && !w[0].quoted && !strcmp(w[0].value, "test")) {
        a = 1;
    } else {
        return false;
    }
    const char *op = w[a + 1].value;
    bool eq = !strcmp(op, "=") || !strcmp(op, "==");
    if (w[a + 1].quoted || (!eq && strcmp(op, "!=") != 0))
        return false;
    const struct sh_tok *ref = &w[a], *lit = &w[a + 2];
    char *var = var_ref(ref);
    if (!var) {
        ref = &w[a + 2];
        lit = &w[a];
        var = var_ref(ref);
    }
    /* Unquoted inside [ ], an unset variable leaves the test malformed (and
     * false either way), which @!VAR would not reproduce. */
    if (!var || strcmp(lit->value, "true") != 0 || (!dbl && !ref->quoted)) {
        free(var);
        return false;
    }
    *var_out = var;
    *negated = !eq;
    return true;
}

/* An if's test, tokens [from, to): variable tests joined by && become
 * conditions; anything else (||, another test, a command) leaves
 * test_is_vars false. */
static void read_if_test(struct parser *p, size_t from, size_t to, struct node *n)
{
    n->test_is_vars = true;
    size_t seg = from;
    for (size_t i = from; i <= to; i++) {
        if (i < to && p->t.t[i].kind != SH_AND && p->t.t[i].kind != SH_OR)
            continue;
        char *var;
        bool negated;
        if ((i < to && p->t.t[i].kind == SH_OR) || !var_test(&p->t, seg, i, &var, &negated)) {
            n->test_is_vars = false;
            conds_free(&n->test);
            return;
        }
        bool ok = conds_add(&n->test, var, negated);
        free(var);
        if (!ok) {
            n->test_is_vars = false;
            conds_free(&n->test);
            return;
        }
        seg = i + 1;
    }
}

static int parse_list(struct parser *p, struct nlist *l);

/* if (or elif) TEST; then LIST [elif ...] [else LIST] fi. An elif becomes an
 * if-statement alone in the else branch; only the outermost reads the fi. */
static int parse_if(struct parser *p, struct node *n, bool outermost)
{
    n->is_if = true;
    p->i++; /* if, elif */
    size_t from = p->i;
    while (p->i < p->t.n && p->t.t[p->i].kind != SH_SEMI && p->t.t[p->i].kind != SH_NEWLINE) {
        enum sh_tok_kind k = p->t.t[p->i].kind;
        if (k != SH_WORD && k != SH_REDIR && k != SH_AND && k != SH_OR) {
            p->why = "an if's condition is not a test";
            return -1;
        }
        p->i++;
    }
    if (p->i == from || p->t.t[p->i - 1].kind != SH_WORD) {
        p->why = "an if has no condition";
        return -1;
    }
    n->test_start = p->t.t[from].start;
    n->test_end = p->t.t[p->i - 1].end;
    read_if_test(p, from, p->i, n);
    skip_seps(p);
    if (!is_kw(p, "then")) {
        p->why = "an if has no 'then'";
        return -1;
    }
    p->i++;
    p->depth++;
    if (parse_list(p, &n->then_l) < 0)
        return -1;
    if (is_kw(p, "elif")) {
        n->has_else = true;
        if (parse_if(p, nlist_push(&n->else_l), false) < 0)
            return -1;
    } else if (is_kw(p, "else")) {
        p->i++;
        n->has_else = true;
        if (parse_list(p, &n->else_l) < 0)
            return -1;
    }
    p->depth--;
    if (n->then_l.n == 0 || (n->has_else && n->else_l.n == 0)) {
        p->why = "an if has an empty branch";
        return -1;
    }
    if (!outermost)
        return 0;
    if (!is_kw(p, "fi")) {
        p->why = "an if is not closed by fi";
        return -1;
    }
    p->i++;
    return 0;
}

static int parse_list(struct parser *p, struct nlist *l)
{
    for (;;) {
        skip_seps(p);
        if (p->i >= p->t.n) {
            if (p->depth > 0) {
                p->why = "an if is not closed by fi";
                return -1;
            }
            return 0;
        }
        if (is_kw(p, "then") || is_kw(p, "else") || is_kw(p, "elif") || is_kw(p, "fi")) {
            if (p->depth > 0)
                return 0;
            p->why = "it has a 'then', 'else' or 'fi' without an if";
            return -1;
        }
        if (at_reserved(p)) {
            p->why = "it has a loop or case statement";
            return -1;
        }
        struct node *n = nlist_push(l);
        if (is_kw(p, "if")) {
            if (parse_if(p, n, true) < 0)
                return -1;
            if (p->i < p->t.n && p->t.t[p->i].kind != SH_SEMI && p->t.t[p->i].kind != SH_NEWLINE) {
                p->why = "an if-statement is run in the background or joined with && or ||";
                return -1;
            }
            continue;
        }
        n->from = p->i;
        while (p->i < p->t.n) {
            enum sh_tok_kind k = p->t.t[p->i].kind;
            if (k == SH_SEMI || k == SH_NEWLINE || k == SH_AMP)
                break;
            p->i++;
            if (k == SH_AND || k == SH_OR || k == SH_PIPE) {
                while (p->i < p->t.n && p->t.t[p->i].kind == SH_NEWLINE)
                    p->i++;
                if (is_kw(p, "if") || at_reserved(p)) {
                    p->why = "an if-statement is joined with && or ||";
                    return -1;
                }
            }
        }
        n->to = p->i;
        if (n->to == n->from || p->t.t[n->to - 1].kind != SH_WORD) {
            p->why = "a command is empty or ends with an operator";
            return -1;
        }
        if (p->i < p->t.n && p->t.t[p->i].kind == SH_AMP) {
            n->bg = true;
            p->i++;
        }
    }
}

/* ---- the meaning: members, conditions, supervision ------------------------ */

enum control { CTL_NONE, CTL_SUPERVISE, CTL_SLEEP };

/* What a single command does for the one-liner itself (not a member). */
static enum control control_of(const struct sh_toks *t, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        if (t->t[k].kind != SH_WORD)
            return CTL_NONE; /* pipelines, && and redirections are real commands */
    const char *prog = t->t[from].value;
    size_t nargs = to - from - 1;
    const struct sh_tok *args = t->t + from + 1;
    if (t->t[from].quoted)
        return CTL_NONE;
    if (!strcmp(prog, "trap"))
        return nargs >= 2 && (!strcmp(args[0].value, "") || !strcmp(args[0].value, "-")) ? CTL_SUPERVISE
                                                                                         : CTL_NONE;
    if (!strcmp(prog, "wait") || !strcmp(prog, "exit"))
        return CTL_SUPERVISE;
    if (!strcmp(prog, "kill") && nargs >= 1) {
        const char *target = args[nargs - 1].value;
        if (!strcmp(target, "-$$") || !strcmp(target, "0") || !strcmp(target, "-0"))
            return CTL_SUPERVISE;
    }
    if (!strcmp(prog, "sleep") && nargs == 1)
        return CTL_SLEEP;
    return CTL_NONE;
}

struct member_ex {
    struct ol_member m;
    bool bg;
};

struct walker {
    const char *s;
    const struct sh_toks *t;
    struct member_ex *v;
    size_t n, cap;
    bool saw_wait;
    bool saw_control;
    bool supervising; /* a wait, kill or exit was seen: nothing may start after it */
    strbuf dropped;
    const char *why;
    char detail[128];
};

static void set_detail(struct walker *w, size_t from, size_t to)
{
    size_t n = to - from;
    if (n > sizeof w->detail - 4) {
        snprintf(w->detail, sizeof w->detail, "%.*s...", (int)(sizeof w->detail - 4), w->s + from);
    } else {
        snprintf(w->detail, sizeof w->detail, "%.*s", (int)n, w->s + from);
    }
}

static int fail(struct walker *w, const char *why, size_t from, size_t to)
{
    w->why = why;
    set_detail(w, from, to);
    return -1;
}

static void add_member(struct walker *w, char *command, const struct conds *c, bool bg)
{
    w->v = xgrow(w->v, w->n, &w->cap, sizeof *w->v);
    struct member_ex *m = &w->v[w->n++];
    memset(m, 0, sizeof *m);
    m->m.command = command;
    if (c->n) {
        m->m.conds = xrealloc(NULL, c->n * sizeof *m->m.conds);
        for (size_t k = 0; k < c->n; k++) {
            m->m.conds[k].var = xstrdup(c->v[k].var);
            m->m.conds[k].negated = c->v[k].negated;
        }
        m->m.n_conds = c->n;
    }
    m->m.kind = proc_kind_of(command);
    m->bg = bg;
}

static void member_free(struct ol_member *m)
{
    free(m->command);
    for (size_t k = 0; k < m->n_conds; k++)
        free(m->conds[k].var);
    free(m->conds);
}

static void walker_free_members(struct walker *w)
{
    for (size_t i = 0; i < w->n; i++)
        member_free(&w->v[i].m);
    free(w->v);
    w->v = NULL;
    w->n = w->cap = 0;
}

static int walk(struct walker *w, const struct nlist *l, const struct conds *outer, const char *sleep_prefix);

/* An if-statement whose test is not a variable test: it becomes one member,
 * "if TEST; then A; else B; fi", when each branch runs exactly one process, so
 * the member always runs one of them. Without an else, the member would end
 * at once whenever the test is false: that is not mapped. */
static int collapse_if(struct walker *w, const struct node *n, const struct conds *outer, const char *sleep_prefix)
{
    if (!n->has_else)
        return fail(w,
                    "a condition other than [ \"$VAR\" == \"true\" ] or [ \"$VAR\" != \"true\" ] decides whether a "
                    "process runs",
                    n->test_start, n->test_end);
    struct walker sub = {w->s, w->t, NULL, 0, 0, false, false, false, STRBUF_INIT, NULL, {0}};
    struct conds none = {.n = 0};
    int r = walk(&sub, &n->then_l, &none, "");
    size_t then_n = sub.n;
    if (r == 0)
        r = walk(&sub, &n->else_l, &none, "");
    if (r == 0 && (then_n != 1 || sub.n != 2 || sub.saw_control || sub.v[0].m.n_conds || sub.v[1].m.n_conds)) {
        sub.why = "an if-statement with a test solodyno cannot turn into conditions runs more or less than one "
                  "process in a branch, or tests a variable inside";
        set_detail(&sub, n->test_start, n->test_end);
        r = -1;
    }
    if (r == 0 && sub.v[0].bg != sub.v[1].bg) {
        sub.why = "an if-statement runs one branch in the background and the other not";
        set_detail(&sub, n->test_start, n->test_end);
        r = -1;
    }
    if (r == 0) {
        strbuf cmd = STRBUF_INIT;
        sb_printf(&cmd, "%sif %.*s; then %s; else %s; fi", sleep_prefix, (int)(n->test_end - n->test_start),
                  w->s + n->test_start, sub.v[0].m.command, sub.v[1].m.command);
        add_member(w, sb_take(&cmd), outer, sub.v[0].bg);
    } else {
        w->why = sub.why;
        memcpy(w->detail, sub.detail, sizeof w->detail);
    }
    walker_free_members(&sub);
    sb_free(&sub.dropped);
    return r;
}

/* The end of the segment of an and-or list that starts at i: the next && or ||. */
static size_t segment_end(const struct sh_toks *t, size_t i, size_t to)
{
    while (i < to && t->t[i].kind != SH_AND && t->t[i].kind != SH_OR)
        i++;
    return i;
}

/* A command: [ "$VAR" == "true" ] && CMD (or [ ... ] || CMD, the test
 * negated, and chains of them) puts conditions on CMD. No other test may
 * decide whether a process runs: a member must never end merely because a
 * test of a variable was false. */
static int command_node(struct walker *w, const struct node *n, const struct conds *outer, strbuf *sleep)
{
    const struct sh_toks *t = w->t;
    size_t start = t->t[n->from].start, end = t->t[n->to - 1].end;
    struct conds c;
    conds_join(&c, outer, NULL);
    size_t i = n->from;
    enum sh_tok_kind chain = SH_WORD; /* SH_AND or SH_OR once a test is seen */
    int r = 0;
    for (;;) {
        size_t j = segment_end(t, i, n->to);
        if (j == n->to || !is_test_command(t, i, j))
            break;
        char *var;
        bool negated;
        if (chain != SH_WORD && t->t[j].kind != chain) {
            r = fail(w, "it joins tests with both && and ||", start, end);
            break;
        }
        chain = t->t[j].kind;
        if (!var_test(t, i, j, &var, &negated)) {
            r = fail(w,
                     "a condition other than [ \"$VAR\" == \"true\" ] or [ \"$VAR\" != \"true\" ] decides whether "
                     "a process runs",
                     t->t[i].start, t->t[j - 1].end);
            break;
        }
        bool ok = conds_add(&c, var, chain == SH_OR ? !negated : negated);
        free(var);
        if (!ok) {
            r = fail(w, "its tests contradict each other, or are too many (more than 8)", start, end);
            break;
        }
        i = j + 1;
        while (i < n->to && t->t[i].kind == SH_NEWLINE)
            i++;
    }
    /* What is left is the process: no test may hide in it, and after a test
     * chain only the chain's own operator may join it (T && A || B would run
     * B whenever T is false). */
    for (size_t k = i; r == 0 && k < n->to;) {
        size_t j = segment_end(t, k, n->to);
        if (is_test_command(t, k, j))
            r = fail(w, "a test inside a process's command could end that process", start, end);
        else if (j < n->to && chain != SH_WORD && t->t[j].kind != chain)
            r = fail(w, "after a test, && and || are mixed: the command would run in cases the test excludes",
                     start, end);
        k = j + 1;
    }
    if (r == 0 && i >= n->to)
        r = fail(w, "a test runs nothing", start, end);
    if (r < 0) {
        conds_free(&c);
        return -1;
    }
    size_t cstart = t->t[i].start;
    enum control ctl = control_of(t, i, n->to);
    if (ctl != CTL_NONE && c.n > outer->n) {
        r = fail(w, "a test decides whether the one-liner sleeps, waits or stops", start, end);
    } else if (ctl != CTL_NONE && n->bg) {
        r = fail(w, "it runs a shell built-in in the background", start, end);
    } else if (ctl == CTL_SLEEP) {
        sb_append_len(sleep, w->s + cstart, end - cstart);
        sb_append(sleep, "; ");
    } else if (ctl == CTL_SUPERVISE) {
        const char *prog = t->t[i].value;
        if (!strcmp(prog, "wait"))
            w->saw_wait = true;
        if (strcmp(prog, "trap") != 0)
            w->supervising = true;
        w->saw_control = true;
        if (w->dropped.len)
            sb_append(&w->dropped, "; ");
        sb_append_len(&w->dropped, w->s + cstart, end - cstart);
    } else if (w->supervising) {
        r = fail(w, "it starts a process after its wait, kill or exit", cstart, end);
    } else {
        strbuf cmd = STRBUF_INIT;
        sb_append(&cmd, sleep->data);
        sb_append_len(&cmd, w->s + cstart, end - cstart);
        add_member(w, sb_take(&cmd), &c, n->bg);
    }
    conds_free(&c);
    return r;
}

static int walk(struct walker *w, const struct nlist *l, const struct conds *outer, const char *sleep_prefix)
{
    strbuf sleep = STRBUF_INIT;
    sb_append(&sleep, sleep_prefix);
    int r = 0;
    for (size_t k = 0; k < l->n && r == 0; k++) {
        const struct node *n = &l->v[k];
        if (!n->is_if) {
            r = command_node(w, n, outer, &sleep);
            continue;
        }
        if (!n->test_is_vars) {
            r = collapse_if(w, n, outer, sleep.data);
            continue;
        }
        struct conds c;
        if (!conds_join(&c, outer, &n->test)) {
            r = fail(w, "its tests contradict each other, or are too many (more than 8)", n->test_start,
                     n->test_end);
            continue;
        }
        r = walk(w, &n->then_l, &c, sleep.data);
        conds_free(&c);
        if (r < 0 || !n->has_else)
            continue;
        /* else: the test is false, which for one variable is its opposite;
         * for several it would need an "or", which conditions cannot say. */
        if (n->test.n != 1) {
            r = fail(w, "an else follows a test of several variables (it would need an 'or')", n->test_start,
                     n->test_end);
            continue;
        }
        struct conds opposite = {.n = 0};
        conds_add(&opposite, n->test.v[0].var, !n->test.v[0].negated);
        if (!conds_join(&c, outer, &opposite))
            r = fail(w, "its tests contradict each other, or are too many (more than 8)", n->test_start,
                     n->test_end);
        else
            r = walk(w, &n->else_l, &c, sleep.data);
        conds_free(&c);
        conds_free(&opposite);
    }
    sb_free(&sleep);
    return r;
}

/* ---- putting it together -------------------------------------------------- */

static bool single_fg_command(const struct nlist *l)
{
    return l->n == 1 && !l->v[0].is_if && !l->v[0].bg;
}

/* One foreground command chosen by variable tests: if/elif/else down to
 * single commands (bin/heroku-web's shape). */
static bool select_shape(const struct nlist *l)
{
    if (l->n != 1 || l->v[0].bg)
        return false;
    const struct node *n = &l->v[0];
    if (!n->is_if)
        return true;
    return n->test_is_vars && select_shape(&n->then_l) && (!n->has_else || select_shape(&n->else_l));
}

static bool has_background_amp(const char *cmd, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (cmd[i] != '&')
            continue;
        bool joined = (i > 0 && (cmd[i - 1] == '&' || cmd[i - 1] == '>' || cmd[i - 1] == '<')) ||
                      (i + 1 < len && (cmd[i + 1] == '&' || cmd[i + 1] == '>'));
        if (!joined)
            return true;
    }
    return false;
}

static enum ol_status finish(struct ol_result *res, enum ol_status st, const char *why, const char *detail)
{
    res->why = why;
    snprintf(res->why_detail, sizeof res->why_detail, "%s", detail ? detail : "");
    return st;
}

enum ol_status oneliner_parse(const char *cmd, size_t len, struct ol_result *res)
{
    memset(res, 0, sizeof *res);
    struct parser p = {cmd, {NULL, 0, 0}, 0, NULL, 0};
    const char *why;
    bool multi_hint = has_background_amp(cmd, len) || memmem(cmd, len, "wait", 4) != NULL;
    if (memchr(cmd, '\0', len))
        return finish(res, OL_UNMAPPED, "it contains a NUL byte", NULL);
    if (sh_lex(cmd, len, &p.t, &why) < 0)
        return finish(res, multi_hint ? OL_UNMAPPED : OL_OTHER, why, NULL);
    struct nlist top = {NULL, 0, 0};
    if (parse_list(&p, &top) < 0) {
        nlist_free(&top);
        sh_toks_free(&p.t);
        return finish(res, multi_hint ? OL_UNMAPPED : OL_OTHER, p.why, NULL);
    }

    struct walker w = {cmd, &p.t, NULL, 0, 0, false, false, false, STRBUF_INIT, NULL, {0}};
    struct conds none = {.n = 0};
    enum ol_status st = OL_OK;
    if (walk(&w, &top, &none, "") < 0) {
        st = finish(res, multi_hint ? OL_UNMAPPED : OL_OTHER, w.why, w.detail);
    } else {
        size_t n_bg = 0, n_fg = 0;
        for (size_t i = 0; i < w.n; i++)
            w.v[i].bg ? n_bg++ : n_fg++;
        bool last_is_fg_member = top.n > 0 && !top.v[top.n - 1].is_if && !top.v[top.n - 1].bg && n_fg == 1 &&
                                 !w.v[w.n - 1].bg &&
                                 control_of(&p.t, top.v[top.n - 1].from, top.v[top.n - 1].to) == CTL_NONE;
        if (n_bg > 0) {
            if (n_fg > 0 && !last_is_fg_member)
                st = finish(res, OL_UNMAPPED, "it runs a command in the foreground between background processes",
                            NULL);
            else if (n_fg == 0 && !w.saw_wait)
                st = finish(res, OL_UNMAPPED, "it starts processes in the background but never waits for them",
                            NULL);
            else
                res->shape = OL_MULTI;
        } else if (single_fg_command(&top) && w.n == 1 && w.v[0].m.n_conds == 0) {
            res->shape = OL_SIMPLE;
        } else if (select_shape(&top) && w.n >= 1 && !w.saw_control) {
            res->shape = OL_SELECT;
        } else if (w.saw_wait) {
            st = finish(res, OL_UNMAPPED, "it waits, but starts nothing in the background", NULL);
        } else {
            st = finish(res, OL_OTHER, "it runs commands one after another", NULL);
        }
    }
    if (st == OL_OK) {
        res->members = xrealloc(NULL, (w.n ? w.n : 1) * sizeof *res->members);
        for (size_t i = 0; i < w.n; i++)
            res->members[i] = w.v[i].m;
        res->n = w.n;
        res->dropped = w.dropped;
        free(w.v);
    } else {
        walker_free_members(&w);
        sb_free(&w.dropped);
    }
    nlist_free(&top);
    sh_toks_free(&p.t);
    return st;
}

void ol_result_free(struct ol_result *res)
{
    for (size_t i = 0; i < res->n; i++)
        member_free(&res->members[i]);
    free(res->members);
    sb_free(&res->dropped);
    memset(res, 0, sizeof *res);
}
