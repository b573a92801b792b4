/* Recognising multi-process one-liners and bin/heroku-web: see oneliner.h. */
#include "build/oneliner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/shell_lex.h"
#include "common/xalloc.h"

/* ---- the structure: a list of commands and if-statements ---------------- */

struct node;

struct nlist {
    struct node *v;
    size_t n, cap;
};

struct node {
    bool is_if, bg;
    size_t from, to; /* command: its tokens [from, to) */
    /* if-statement */
    char *var; /* the variable of a [ "$VAR" == "true" ] test, NULL for another test */
    bool negated;
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
        free(l->v[i].var);
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

/* "$NAME" or "${NAME}": the name, or NULL. */
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
    }
    if (!valid_var(name, len))
        return NULL;
    char *r = malloc(len + 1);
    if (!r)
        abort();
    memcpy(r, name, len);
    r[len] = '\0';
    return r;
}

/* [ "$VAR" == "true" ], [ "$VAR" != "true" ], [[ ... ]], test ...: sets the
 * node's var and negated. Any other test leaves var NULL. */
static void read_test(struct parser *p, size_t from, size_t to, struct node *n)
{
    const struct sh_tok *w = p->t.t + from;
    size_t cnt = to - from;
    for (size_t k = 0; k < cnt; k++)
        if (w[k].kind != SH_WORD || w[k].redir_target)
            return;
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
        return;
    }
    const char *op = w[a + 1].value;
    bool eq = !strcmp(op, "=") || !strcmp(op, "==");
    if (!eq && strcmp(op, "!=") != 0)
        return;
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
        return;
    }
    n->var = var;
    n->negated = !eq;
}

static int parse_list(struct parser *p, struct nlist *l);

static int parse_if(struct parser *p, struct node *n)
{
    n->is_if = true;
    p->i++; /* if */
    size_t from = p->i;
    while (p->i < p->t.n && p->t.t[p->i].kind != SH_SEMI && p->t.t[p->i].kind != SH_NEWLINE) {
        if (p->t.t[p->i].kind != SH_WORD && p->t.t[p->i].kind != SH_REDIR) {
            p->why = "an if's condition is not a single test";
            return -1;
        }
        p->i++;
    }
    if (p->i == from) {
        p->why = "an if has no condition";
        return -1;
    }
    n->test_start = p->t.t[from].start;
    n->test_end = p->t.t[p->i - 1].end;
    read_test(p, from, p->i, n);
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
        p->why = "it has an elif";
        return -1;
    }
    if (is_kw(p, "else")) {
        p->i++;
        n->has_else = true;
        if (parse_list(p, &n->else_l) < 0)
            return -1;
    }
    p->depth--;
    if (!is_kw(p, "fi")) {
        p->why = "an if is not closed by fi";
        return -1;
    }
    p->i++;
    if (n->then_l.n == 0 || (n->has_else && n->else_l.n == 0)) {
        p->why = "an if has an empty branch";
        return -1;
    }
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
            if (parse_if(p, n) < 0)
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

static void add_member(struct walker *w, char *command, const char *var, bool negated, bool bg)
{
    w->v = xgrow(w->v, w->n, &w->cap, sizeof *w->v);
    struct member_ex *m = &w->v[w->n++];
    m->m.command = command;
    m->m.cond_var = var ? xstrdup(var) : NULL;
    m->m.cond_negated = negated;
    m->m.kind = proc_kind_of(command);
    m->bg = bg;
}

static int walk(struct walker *w, const struct nlist *l, const char *var, bool negated, bool nested,
                const char *sleep_prefix);

/* An if-statement inside a member's condition: it becomes part of the member's
 * command, "if TEST; then A; else B; fi", each branch one command. */
static int collapse_if(struct walker *w, const struct node *n, const char *var, bool negated,
                       const char *sleep_prefix)
{
    struct walker sub = {w->s, w->t, NULL, 0, 0, false, false, false, STRBUF_INIT, NULL, {0}};
    int r = walk(&sub, &n->then_l, NULL, false, true, "");
    size_t then_n = sub.n;
    if (r == 0)
        r = walk(&sub, &n->else_l, NULL, false, true, "");
    if (r == 0 && (then_n != 1 || sub.n - then_n > 1 || sub.saw_control)) {
        sub.why = "an inner if-statement runs more than one process in a branch, or supervises them";
        set_detail(&sub, n->test_start, n->test_end);
        r = -1;
    }
    if (r == 0 && sub.n == 2 && sub.v[0].bg != sub.v[1].bg) {
        sub.why = "an inner if-statement runs one branch in the background and the other not";
        set_detail(&sub, n->test_start, n->test_end);
        r = -1;
    }
    if (r == 0) {
        strbuf cmd = STRBUF_INIT;
        sb_printf(&cmd, "%sif %.*s; then %s;", sleep_prefix, (int)(n->test_end - n->test_start),
                  w->s + n->test_start, sub.v[0].m.command);
        if (sub.n == 2)
            sb_printf(&cmd, " else %s;", sub.v[1].m.command);
        sb_append(&cmd, " fi");
        add_member(w, sb_take(&cmd), var, negated, sub.v[0].bg);
    } else {
        w->why = sub.why;
        memcpy(w->detail, sub.detail, sizeof w->detail);
    }
    for (size_t i = 0; i < sub.n; i++) {
        free(sub.v[i].m.command);
        free(sub.v[i].m.cond_var);
    }
    free(sub.v);
    sb_free(&sub.dropped);
    return r;
}

static int walk(struct walker *w, const struct nlist *l, const char *var, bool negated, bool nested,
                const char *sleep_prefix)
{
    strbuf sleep = STRBUF_INIT;
    sb_append(&sleep, sleep_prefix);
    int r = 0;
    for (size_t k = 0; k < l->n && r == 0; k++) {
        const struct node *n = &l->v[k];
        if (n->is_if) {
            if (var || nested) {
                r = collapse_if(w, n, var, negated, sleep.data);
            } else if (!n->var) {
                w->why = "a condition is not of the form [ \"$VAR\" == \"true\" ] or [ \"$VAR\" != \"true\" ]";
                set_detail(w, n->test_start, n->test_end);
                r = -1;
            } else {
                r = walk(w, &n->then_l, n->var, n->negated, false, sleep.data);
                if (r == 0)
                    r = walk(w, &n->else_l, n->var, !n->negated, false, sleep.data);
            }
            continue;
        }
        size_t start = w->t->t[n->from].start, end = w->t->t[n->to - 1].end;
        enum control c = control_of(w->t, n->from, n->to);
        if (c != CTL_NONE && n->bg) {
            w->why = "it runs a shell built-in in the background";
            set_detail(w, start, end);
            r = -1;
        } else if (c == CTL_SLEEP) {
            sb_append_len(&sleep, w->s + start, end - start);
            sb_append(&sleep, "; ");
        } else if (c == CTL_SUPERVISE) {
            const char *prog = w->t->t[n->from].value;
            if (!strcmp(prog, "wait"))
                w->saw_wait = true;
            if (strcmp(prog, "trap") != 0)
                w->supervising = true;
            w->saw_control = true;
            if (w->dropped.len)
                sb_append(&w->dropped, "; ");
            sb_append_len(&w->dropped, w->s + start, end - start);
        } else if (w->supervising) {
            w->why = "it starts a process after its wait, kill or exit";
            set_detail(w, start, end);
            r = -1;
        } else {
            strbuf cmd = STRBUF_INIT;
            sb_append(&cmd, sleep.data);
            sb_append_len(&cmd, w->s + start, end - start);
            add_member(w, sb_take(&cmd), var, negated, n->bg);
        }
    }
    sb_free(&sleep);
    return r;
}

/* ---- putting it together -------------------------------------------------- */

static bool single_fg_command(const struct nlist *l)
{
    return l->n == 1 && !l->v[0].is_if && !l->v[0].bg;
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
    enum ol_status st = OL_OK;
    if (walk(&w, &top, NULL, false, false, "") < 0) {
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
        } else if (single_fg_command(&top) && w.n == 1) {
            res->shape = OL_SIMPLE;
        } else if (top.n == 1 && top.v[0].is_if && top.v[0].var && single_fg_command(&top.v[0].then_l) &&
                   (!top.v[0].has_else || single_fg_command(&top.v[0].else_l)) && w.n >= 1 &&
                   !w.saw_control) {
            res->shape = OL_SELECT;
        } else if (w.saw_wait) {
            st = finish(res, OL_UNMAPPED, "it waits, but starts nothing in the background", NULL);
        } else {
            st = finish(res, OL_OTHER, "it runs commands one after another", NULL);
        }
    }
    if (st == OL_OK) {
        res->members = malloc((w.n ? w.n : 1) * sizeof *res->members);
        if (!res->members)
            abort();
        for (size_t i = 0; i < w.n; i++)
            res->members[i] = w.v[i].m;
        res->n = w.n;
        res->dropped = w.dropped;
    } else {
        for (size_t i = 0; i < w.n; i++) {
            free(w.v[i].m.command);
            free(w.v[i].m.cond_var);
        }
        sb_free(&w.dropped);
    }
    free(w.v);
    nlist_free(&top);
    sh_toks_free(&p.t);
    return st;
}

void ol_result_free(struct ol_result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        free(res->members[i].command);
        free(res->members[i].cond_var);
    }
    free(res->members);
    sb_free(&res->dropped);
    memset(res, 0, sizeof *res);
}
