/* The one-dyno process layout: see procfile_layout.h. */
#include "build/procfile_layout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/oneliner.h"
#include "build/package_json.h"
#include "build/proc_command.h"
#include "common/procfile.h"
#include "build/shell_lex.h"
#include "common/xalloc.h"

struct lmember {
    char *name;
    char *command;
    struct proc_cond conds[PROC_CONDS_MAX]; /* all must hold */
    size_t n_conds;
    enum proc_kind kind;
};

struct lmembers {
    struct lmember *v;
    size_t n, cap;
    /* What the members are read against: the app's package scripts (for
     * `npm start` and the like), and how this Mastodon starts its streaming
     * server when the app does not say. */
    const struct app_scripts *scripts;
    const char *streaming;
    /* false for a Mastodon tree older than its streaming server (January
     * 2017, before streaming/ existed): there Puma is the only web process,
     * RUN_STREAMING means nothing, and no streaming member is added. */
    bool has_streaming;
};

static void members_free(struct lmembers *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].command);
        for (size_t k = 0; k < m->v[i].n_conds; k++)
            free(m->v[i].conds[k].var);
    }
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

static bool name_taken(const struct lmembers *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].name, name))
            return true;
    return false;
}

/* A member's leading BIND=0.0.0.0 (upstream Mastodon's bin/heroku-web says
 * so) is written BIND=${BIND:-0.0.0.0}, so a BIND the user set wins and so
 * does the one `solodyno env` decides when the dyno starts ([::] for Puma, ::
 * for Node on Fir, whose router reaches only IPv6 listeners); 0.0.0.0 stays
 * the default where nothing set one. Only "every interface" yields (0.0.0.0,
 * ::, [::]): a loopback or other address is deliberate, and anything with
 * quotes or expansions is the app's. Returns NULL to keep the command. */
static char *bind_yields_to_env(const char *command)
{
    const char *p = command;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, " \t");
        const char *eq = memchr(p, '=', len);
        if (!eq || !p[len] || eq == p)
            return NULL; /* not a leading assignment (or nothing after it) */
        for (const char *c = p; c < eq; c++)
            if (!(*c == '_' || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                  (c > p && *c >= '0' && *c <= '9')))
                return NULL;
        if (eq - p == 4 && !memcmp(p, "BIND", 4)) {
            const char *v = eq + 1;
            size_t vlen = len - 5;
            if (!((vlen == 7 && !memcmp(v, "0.0.0.0", 7)) || (vlen == 2 && !memcmp(v, "::", 2)) ||
                  (vlen == 4 && !memcmp(v, "[::]", 4))))
                return NULL;
            strbuf sb = STRBUF_INIT;
            sb_printf(&sb, "%.*sBIND=${BIND:-%.*s}%s", (int)(p - command), command, (int)vlen, v, p + len);
            return sb_take(&sb);
        }
        p += len;
    }
}

/* Adds a member with its conditions (n of them); a name already used gets
 * "-2", "-3", ... */
static void add(struct lmembers *m, const char *name, const char *command, const struct proc_cond *conds,
                size_t n)
{
    m->v = xgrow(m->v, m->n, &m->cap, sizeof *m->v);
    char unique[PROC_NAME_MAX + 16];
    snprintf(unique, sizeof unique, "%s", name);
    for (int k = 2; name_taken(m, unique); k++)
        snprintf(unique, sizeof unique, "%.*s-%d", PROC_NAME_MAX - 8, name, k);
    struct lmember *x = &m->v[m->n++];
    memset(x, 0, sizeof *x);
    x->name = xstrdup(unique);
    x->command = bind_yields_to_env(command);
    if (!x->command)
        x->command = xstrdup(command);
    for (size_t k = 0; k < n && k < PROC_CONDS_MAX; k++) {
        x->conds[k].var = xstrdup(conds[k].var);
        x->conds[k].negated = conds[k].negated;
    }
    x->n_conds = n < PROC_CONDS_MAX ? n : PROC_CONDS_MAX;
    x->kind = proc_kind_in_app(command, m->scripts);
}

/* A member with one condition (var may be NULL: none). */
static void add1(struct lmembers *m, const char *name, const char *command, const char *var, bool negated)
{
    struct proc_cond c = {(char *)var, negated};
    add(m, name, command, &c, var ? 1 : 0);
}

/* "@VAR@!OTHER", the member's conditions as Procfile.web writes them. */
static void sb_conds(strbuf *sb, const struct lmember *x)
{
    for (size_t k = 0; k < x->n_conds; k++)
        sb_printf(sb, "@%s%s", x->conds[k].negated ? "!" : "", x->conds[k].var);
}

static bool has_kind(const struct lmembers *m, enum proc_kind kind)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].kind == kind)
            return true;
    return false;
}

static const char *name_for(enum proc_kind kind, bool mastodon)
{
    switch (kind) {
    case KIND_WEB:
        return mastodon ? "puma" : "app";
    case KIND_SIDEKIQ:
        return mastodon ? "sidekiq" : "worker";
    case KIND_STREAMING:
        return "streaming";
    default:
        return NULL;
    }
}

static void PRINTF_LIKE(3, 4) say(struct layout_out *out, char level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sb_append_char(&out->log, level);
    sb_append_char(&out->log, ' ');
    /* one message, one line: no byte of a command may break the log's shape */
    for (char *p = msg; *p; p++)
        sb_append_char(&out->log, *p == '\n' || *p == '\r' ? ' ' : *p);
    sb_append_char(&out->log, '\n');
}

#define DETAIL(...) say(out, ' ', __VA_ARGS__)
#define WARN(...) say(out, '!', __VA_ARGS__)

/* A short excerpt of a command for messages. */
static const char *cut(const char *s, char *buf, size_t size)
{
    size_t n = strlen(s);
    if (n < size) {
        memcpy(buf, s, n + 1);
    } else {
        memcpy(buf, s, size - 4);
        memcpy(buf + size - 4, "...", 4);
    }
    return buf;
}

/* ---- what the web line points to ------------------------------------------ */

/* A lone simple command: its tokens, or false. */
static bool lone_command(const char *cmd, struct sh_toks *t)
{
    const char *why;
    if (sh_lex(cmd, strlen(cmd), t, &why) < 0)
        return false;
    for (size_t i = 0; i < t->n; i++) {
        if (t->t[i].kind != SH_WORD) {
            sh_toks_free(t);
            return false;
        }
    }
    if (t->n == 0) {
        sh_toks_free(t);
        return false;
    }
    return true;
}

/* web: [VAR=value ...] [exec] [bash|sh] bin/heroku-web — returns true and the
 * assignments' text in prefix. */
static bool names_heroku_web(const char *cmd, strbuf *prefix)
{
    struct sh_toks t;
    if (!lone_command(cmd, &t))
        return false;
    size_t i = 0;
    while (i < t.n && sh_is_assignment(t.t[i].value))
        i++;
    size_t assign_end = i ? t.t[i - 1].end : 0;
    if (i < t.n && !strcmp(t.t[i].value, "exec"))
        i++;
    if (i < t.n && (!strcmp(t.t[i].value, "bash") || !strcmp(t.t[i].value, "sh")))
        i++;
    bool yes = i + 1 == t.n && (!strcmp(t.t[i].value, "bin/heroku-web") || !strcmp(t.t[i].value, "./bin/heroku-web"));
    if (yes)
        sb_append_len(prefix, cmd, assign_end);
    sh_toks_free(&t);
    return yes;
}

/* web: [bundle exec] foreman start -f FILE. Returns 1 with the file, 0 when
 * not foreman, -1 when foreman is run in a way we cannot map (*why). */
static int names_foreman(const char *cmd, char **file, const char **why)
{
    struct sh_toks t;
    if (!lone_command(cmd, &t))
        return 0;
    size_t p = sh_program_word(&t, 0, t.n);
    int r = 0;
    if (p < t.n && !strcmp(sh_basename(t.t[p].value), "foreman")) {
        r = -1;
        *why = "foreman is run with options solodyno cannot map (only 'foreman start -f FILE' is understood)";
        if (p + 1 < t.n && !strcmp(t.t[p + 1].value, "start")) {
            const char *f = NULL;
            bool other = false;
            for (size_t k = p + 2; k < t.n; k++) {
                const char *w = t.t[k].value;
                if ((!strcmp(w, "-f") || !strcmp(w, "--procfile")) && k + 1 < t.n)
                    f = t.t[++k].value;
                else if (!strncmp(w, "--procfile=", 11))
                    f = w + 11;
                else if (!strncmp(w, "-f", 2) && w[2])
                    f = w + 2;
                else
                    other = true;
            }
            if (f && !other) {
                const char *base = f[0] == '.' && f[1] == '/' ? f + 2 : f;
                if (!strcmp(base, "Procfile")) {
                    *why = "foreman is run on the Procfile itself";
                } else if (base[0] == '/' || strstr(base, "..") || !base[0]) {
                    *why = "foreman's Procfile is outside the app";
                } else {
                    *file = xstrdup(base);
                    r = 1;
                }
            }
        }
    }
    sh_toks_free(&t);
    return r;
}

/* Members from a web command or script (shapes of oneliner.h). prefix is put
 * before each member (VAR=value words that stood before bin/heroku-web).
 * *plain_web is set when it was a lone web server command. */
static int members_from_command(struct layout_out *out, const char *what, const char *cmd, size_t len,
                                const char *prefix, bool mastodon, struct lmembers *m, bool *plain_web)
{
    char ex[100];
    struct ol_result ol;
    enum ol_status st = oneliner_parse(cmd, len, &ol);
    *plain_web = false;
    if (st != OL_OK) {
        if (st == OL_UNMAPPED || mastodon)
            WARN("%s cannot be mapped onto the one-dyno layout: %s%s%s%s. The Procfile is left as it is; "
                 "write a Procfile.web yourself (see the README), or set SOLODYNO_PROCFILE=keep to silence this.",
                 what, ol.why, ol.why_detail[0] ? " (" : "", ol.why_detail, ol.why_detail[0] ? ")" : "");
        ol_result_free(&ol);
        return st == OL_UNMAPPED || mastodon ? -1 : 1;
    }
    if (!mastodon && ol.shape != OL_MULTI) {
        ol_result_free(&ol);
        return 1; /* a generic app's web command is its app member as it is */
    }
    for (size_t i = 0; i < ol.n; i++)
        ol.members[i].kind = proc_kind_in_app(ol.members[i].command, m->scripts);
    if (ol.shape == OL_SIMPLE && ol.members[0].kind == KIND_STREAMING) {
        /* web runs only the streaming server (`web: npm start`): so it does
         * on every dyno, as before */
    } else if (ol.shape == OL_SIMPLE) {
        if (ol.members[0].kind != KIND_WEB) {
            WARN("%s runs '%s', which solodyno does not recognise as Puma or a one-dyno one-liner. The Procfile is "
                 "left as it is; write a Procfile.web yourself (see the README), or set SOLODYNO_PROCFILE=keep.",
                 what, cut(ol.members[0].command, ex, sizeof ex));
            ol_result_free(&ol);
            return -1;
        }
        *plain_web = true;
        if (m->has_streaming) {
            ol.members[0].conds = xrealloc(NULL, sizeof *ol.members[0].conds);
            ol.members[0].conds[0].var = xstrdup("RUN_STREAMING");
            ol.members[0].conds[0].negated = true;
            ol.members[0].n_conds = 1;
        }
    }
    for (size_t i = 0; i < ol.n; i++) {
        const struct ol_member *x = &ol.members[i];
        const char *name = name_for(x->kind, mastodon);
        if (!name) {
            WARN("%s runs '%s', and solodyno cannot tell which process that is (Puma, Sidekiq or the streaming "
                 "server). The Procfile is left as it is; write a Procfile.web yourself (see the README), or set "
                 "SOLODYNO_PROCFILE=keep.",
                 what, cut(x->command, ex, sizeof ex));
            ol_result_free(&ol);
            return -1;
        }
        strbuf c = STRBUF_INIT;
        if (prefix && *prefix) {
            struct sh_toks t;
            if (!lone_command(x->command, &t)) {
                WARN("%s sets variables before a script whose processes are not single commands; the Procfile is "
                     "left as it is.",
                     what);
                sb_free(&c);
                ol_result_free(&ol);
                return -1;
            }
            sh_toks_free(&t);
            sb_printf(&c, "%s ", prefix);
        }
        sb_append(&c, x->command);
        add(m, name, c.data, x->conds, x->n_conds);
        sb_free(&c);
    }
    if (ol.shape == OL_MULTI)
        DETAIL("%s was a multi-process one-liner: its processes become the members below%s%s%s", what,
               ol.dropped.len ? "; left out, as solodyno run does it: '" : "", ol.dropped.len ? ol.dropped.data : "",
               ol.dropped.len ? "'" : "");
    else if (ol.shape == OL_SELECT)
        DETAIL("%s chooses its process by %s: each choice becomes a member with its conditions", what,
               ol.members[0].n_conds ? ol.members[0].conds[0].var : "a variable");
    ol_result_free(&ol);
    return 0;
}

/* Members from `foreman start -f FILE`: every process of FILE, as foreman ran
 * them, all together. */
static int members_from_foreman(const struct layout_in *in, struct layout_out *out, const char *file,
                                struct lmembers *m)
{
    char *data;
    size_t len;
    const char *why = NULL;
    int rc = in->read_app_file ? in->read_app_file(in->ctx, file, &data, &len, &why) : 1;
    if (rc != 0) {
        WARN("The web line runs foreman on %s, which %s. The Procfile is left as it is.", file,
             rc > 0 ? "the app does not have" : why ? why : "cannot be read");
        return -1;
    }
    struct procfile pf;
    strbuf diag = STRBUF_INIT;
    procfile_parse(data, len, file, PROCFILE_APP, &pf, &diag);
    free(data);
    int r = 0;
    for (size_t i = 0; i < pf.n && r == 0; i++) {
        if (pf.lines[i].kind == PROC_UNPARSED) {
            WARN("%s, line %d is not a line solodyno can read, so foreman's processes cannot be mapped; the "
                 "Procfile is left as it is.",
                 file, pf.lines[i].lineno);
            r = -1;
        } else if (pf.lines[i].kind == PROC_ENTRY) {
            if (!procfile_counts(&pf.lines[i]))
                continue; /* foreman, like Heroku, runs the last of a name */
            add(m, pf.lines[i].name, pf.lines[i].command, NULL, 0);
        }
    }
    if (r == 0 && m->n == 0) {
        WARN("%s has no processes; the Procfile is left as it is.", file);
        r = -1;
    }
    if (r == 0)
        DETAIL("web ran foreman on %s: its processes become members that always run, as under foreman", file);
    procfile_free(&pf);
    sb_free(&diag);
    return r;
}

/* Mastodon's members in the order of its own docs: Puma, Sidekiq, streaming
 * (they all start together; the order only shows in the file). */
static void sort_by_kind(struct lmembers *m)
{
    static const int rank[] = {[KIND_WEB] = 0, [KIND_SIDEKIQ] = 1, [KIND_STREAMING] = 2, [KIND_UNKNOWN] = 3};
    for (size_t i = 1; i < m->n; i++) {
        struct lmember x = m->v[i];
        size_t j = i;
        for (; j > 0 && rank[m->v[j - 1].kind] > rank[x.kind]; j--)
            m->v[j] = m->v[j - 1];
        m->v[j] = x;
    }
}

/* A member that runs only where RUN_STREAMING is not "true": on the
 * streaming app of a pipeline that member steps aside for the streaming
 * server, which the one-liner then must have meant to run there. */
static bool steps_aside_for_streaming(const struct lmembers *m)
{
    for (size_t i = 0; i < m->n; i++)
        for (size_t k = 0; k < m->v[i].n_conds; k++)
            if (m->v[i].conds[k].negated && !strcmp(m->v[i].conds[k].var, "RUN_STREAMING"))
                return true;
    return false;
}

static int derive_mastodon(const struct layout_in *in, struct layout_out *out, const char *web, int web_line,
                           const char *worker, struct lmembers *m)
{
    bool plain_web = false, foreman = false;
    if (!web) {
        add1(m, "puma", MASTODON_PUMA, m->has_streaming ? "RUN_STREAMING" : NULL, true);
        plain_web = true;
        DETAIL(m->has_streaming ? "no web process type: Mastodon's Puma and streaming server"
                                : "no web process type: Mastodon's Puma");
    } else {
        strbuf prefix = STRBUF_INIT;
        char *file = NULL;
        const char *why = NULL;
        int fm;
        char what[64];
        snprintf(what, sizeof what, "Procfile, line %d (web)", web_line);
        if (names_heroku_web(web, &prefix)) {
            char *data = NULL;
            size_t len = 0;
            int rc = in->read_app_file ? in->read_app_file(in->ctx, "bin/heroku-web", &data, &len, &why) : 1;
            if (rc < 0) {
                WARN("%s runs bin/heroku-web, which cannot be read (%s); the Procfile is left as it is.", what,
                     why ? why : "unknown reason");
                sb_free(&prefix);
                return -1;
            }
            if (rc > 0) {
                WARN("%s runs bin/heroku-web, which the app does not have; using upstream Mastodon's.", what);
                strbuf script = STRBUF_INIT;
                sb_printf(&script, MASTODON_HEROKU_WEB_FMT, m->streaming);
                data = sb_take(&script);
                len = strlen(data);
            }
            int r = members_from_command(out, "bin/heroku-web", data, len, prefix.data, true, m, &plain_web);
            free(data);
            sb_free(&prefix);
            if (r < 0)
                return -1;
        } else if ((fm = names_foreman(web, &file, &why)) != 0) {
            sb_free(&prefix);
            foreman = true;
            if (fm < 0) {
                WARN("%s: %s. The Procfile is left as it is.", what, why);
                return -1;
            }
            int r = members_from_foreman(in, out, file, m);
            free(file);
            if (r < 0)
                return -1;
        } else {
            sb_free(&prefix);
            if (members_from_command(out, what, web, strlen(web), NULL, true, m, &plain_web) < 0)
                return -1;
        }
    }
    if (!has_kind(m, KIND_SIDEKIQ)) {
        const char *cmd = worker ? worker : MASTODON_SIDEKIQ;
        add1(m, proc_kind_of(cmd) == KIND_SIDEKIQ ? "sidekiq" : "worker", cmd, "RUN_WORKER", false);
    }
    if (!m->has_streaming && !has_kind(m, KIND_STREAMING)) {
        if (plain_web || steps_aside_for_streaming(m))
            DETAIL("this Mastodon has no streaming server (no streaming/ directory, and no package.json "
                   "script that starts one): Puma runs on every web dyno, as before, and RUN_STREAMING changes nothing");
    } else if (!has_kind(m, KIND_STREAMING) && (plain_web || steps_aside_for_streaming(m))) {
        if (!plain_web)
            DETAIL("the web line runs no streaming server, but steps aside where RUN_STREAMING is \"true\": "
                   "Mastodon's streaming server runs there");
        add1(m, "streaming", m->streaming, "RUN_STREAMING", false);
    }
    if (!foreman)
        sort_by_kind(m);
    return 0;
}

static int derive_generic(struct layout_out *out, const char *web, int web_line, const char *worker,
                          struct lmembers *m)
{
    char what[64];
    snprintf(what, sizeof what, "Procfile, line %d (web)", web_line);
    bool plain_web;
    int r = members_from_command(out, what, web, strlen(web), NULL, false, m, &plain_web);
    if (r < 0)
        return -1;
    if (r > 0)
        add(m, "app", web, NULL, 0);
    if (worker && !has_kind(m, KIND_SIDEKIQ) && !name_taken(m, "worker"))
        add1(m, "worker", worker, "RUN_WORKER", false);
    return 0;
}

/* ---- the app's package scripts, and how its streaming server starts ------- */

static void load_package(const struct layout_in *in, const char *rel, struct package_json *pj)
{
    char *data;
    size_t len;
    const char *why = NULL;
    memset(pj, 0, sizeof *pj);
    if (in->read_app_file && in->read_app_file(in->ctx, rel, &data, &len, &why) == 0) {
        package_json_parse(data, len, pj); /* not JSON: no scripts, as for npm */
        free(data);
    }
}

static void load_scripts(const struct layout_in *in, struct app_scripts *s)
{
    load_package(in, "package.json", &s->root);
    load_package(in, "streaming/package.json", &s->streaming);
}

/* How this Mastodon starts its streaming server, read from its package.json:
 * from 1.4.7 on, the "start" script is `node ./streaming/index.js`, and
 * `node ./streaming` does the same without an npm process beside it;
 * 1.0 to 1.4.6 run the server through Babel (their streaming/index.js uses
 * import, a SyntaxError for plain node), so there, as wherever "start" runs
 * the server some other way, `npm start` is what that version runs. */
static const char *streaming_command(const struct app_scripts *s, struct layout_out *out)
{
    bool plain;
    if (!package_script_runs_streaming(s, "start", &plain) || plain)
        return MASTODON_STREAMING;
    char ex[100];
    DETAIL("where the Procfile does not say how to start the streaming server, it is '" MASTODON_STREAMING_NPM
           "': this version's package.json starts it with '%s', not plain node",
           cut(package_json_script(&s->root, "start"), ex, sizeof ex));
    return MASTODON_STREAMING_NPM;
}

/* Whether this Mastodon tree has a streaming server: a streaming/ directory
 * (every version from February 2017 on, 4.x's workspace included) or a
 * "start" script that runs one. A tree from before (upstream's of January
 * 2017) has neither, and a streaming member there could only fail. Anything
 * at streaming/ that is not plainly missing (a directory, a file, a symlink)
 * counts, and so does a caller that gives no way to read the app's files:
 * only a tree known to have none is laid out without one. */
static bool has_streaming_server(const struct layout_in *in, const struct app_scripts *s)
{
    bool plain;
    if (!in->read_app_file || package_script_runs_streaming(s, "start", &plain))
        return true;
    char *data = NULL;
    size_t len = 0;
    const char *why = NULL;
    int rc = in->read_app_file(in->ctx, "streaming", &data, &len, &why);
    free(data);
    return rc <= 0; /* 1: it does not exist */
}

/* ---- the whole layout ------------------------------------------------------ */

static void render_web(const struct lmembers *m, bool from_procfile, strbuf *sb)
{
    sb_append(sb, "# What one web dyno runs together (web: " LAYOUT_WEB_COMMAND "), written by the solodyno\n");
    if (from_procfile)
        sb_append(sb, "# buildpack from the app's Procfile (the original is kept as Procfile.orig).\n");
    else
        sb_append(sb, "# buildpack from Mastodon's defaults (the app has no Procfile).\n");
    sb_append(sb, "# NAME[@VAR|@!VAR]...: COMMAND   @VAR: only when $VAR is \"true\"; @!VAR: only when it is "
                  "not; several: all must hold.\n");
    for (size_t i = 0; i < m->n; i++) {
        sb_append(sb, m->v[i].name);
        sb_conds(sb, &m->v[i]);
        sb_printf(sb, ": %s\n", m->v[i].command);
    }
}

/* The line number of a comment that is a NAME line commented out
 * ("# release: bundle exec rails db:migrate"), or 0: a person turned that
 * process type off, which is a choice to keep. */
static int commented_out(const struct procfile *pf, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = pf->n; i-- > 0;) {
        const struct proc_line *l = &pf->lines[i];
        if (l->kind != PROC_COMMENT || !l->raw)
            continue;
        const char *p = l->raw, *end = l->raw + l->raw_len;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (p < end && *p == '#')
            p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if ((size_t)(end - p) <= n || memcmp(p, name, n) != 0 || p[n] != ':')
            continue;
        for (p += n + 1; p < end; p++)
            if (*p != ' ' && *p != '\t' && *p != '\r')
                return l->lineno;
    }
    return 0;
}

/* The entry's command, copied (the procfile's lines move when it changes). */
static char *entry_command(const struct proc_line *l) { return l && l->command ? xstrdup(l->command) : NULL; }

static void log_diag(struct layout_out *out, const strbuf *diag)
{
    if (!diag->data)
        return;
    const char *p = diag->data;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        say(out, '!', "%.*s", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

void layout_compute(const struct layout_in *in, struct layout_out *out)
{
    memset(out, 0, sizeof *out);
    struct procfile pf;
    memset(&pf, 0, sizeof pf);
    strbuf diag = STRBUF_INIT;
    struct lmembers m = {NULL, 0, 0, NULL, MASTODON_STREAMING, true};
    struct app_scripts scripts;
    load_scripts(in, &scripts);
    m.scripts = &scripts;
    if (in->mastodon) {
        m.has_streaming = has_streaming_server(in, &scripts);
        if (m.has_streaming)
            m.streaming = streaming_command(&scripts, out);
    }
    char *web = NULL, *worker = NULL, *release = NULL;
    char ex[100];
    bool changed = false;

    if (!in->procfile) {
        if (!in->mastodon) {
            WARN("No Procfile: a generic app needs one with a web line (and a worker line) for the one-dyno "
                 "layout. No layout; the build goes on.");
            out->outcome = LAYOUT_NONE;
            return;
        }
        DETAIL("No Procfile: Mastodon's default layout");
    } else {
        procfile_parse(in->procfile, in->procfile_len, "Procfile", PROCFILE_APP, &pf, &diag);
        log_diag(out, &diag);
    }

    static const char *const roles[] = {"web", "release"};
    for (int r = 0; r < 2; r++) {
        struct proc_line *l = procfile_find_any(&pf, roles[r]);
        if (l && l->kind == PROC_UNPARSED) {
            WARN("Procfile, line %d: the %s line is not one solodyno can read (see above), so the Procfile is "
                 "left as it is.",
                 l->lineno, roles[r]);
            out->outcome = LAYOUT_KEPT;
            goto done;
        }
    }
    /* A worker line we cannot read is the worker dyno's business: it stays as
     * it is, and the web dyno's Sidekiq (for a Mastodon) is Mastodon's own. */
    struct proc_line *wl = procfile_find_any(&pf, "worker");
    bool worker_unreadable = wl && wl->kind == PROC_UNPARSED;
    if (worker_unreadable)
        WARN("Procfile, line %d: the worker line is not one solodyno can read (see above): it is kept as it is%s.",
             wl->lineno,
             in->mastodon ? ", and Sidekiq on the web dyno (RUN_WORKER=true) runs Mastodon's default '" MASTODON_SIDEKIQ
                            "' instead"
                          : ", and the web dyno runs no worker");
    int worker_line = wl ? wl->lineno : 0;
    struct proc_line *l = procfile_find(&pf, "web");
    int web_line = l ? l->lineno : 0;
    web = entry_command(l);
    worker = worker_unreadable ? NULL : entry_command(procfile_find(&pf, "worker"));
    release = entry_command(procfile_find(&pf, "release"));

    if (!web && !in->mastodon) {
        WARN("The Procfile has no web process type: no one-dyno layout; the build goes on.");
        out->outcome = LAYOUT_NONE;
        goto done;
    }

    if (web && !strncmp(web, "solodyno run ", 13)) {
        if (!strcmp(web, LAYOUT_WEB_COMMAND) && !in->has_procfile_web) {
            say(out, 'E',
                "Procfile, line %d: web runs '%s', but the app has no Procfile.web. Add one (see the README), or "
                "restore the web line from Procfile.orig.",
                web_line, LAYOUT_WEB_COMMAND);
            out->outcome = LAYOUT_ERROR;
            goto done;
        }
        DETAIL("web already runs '%s'", cut(web, ex, sizeof ex));
    } else if (in->has_procfile_web) {
        procfile_set(&pf, "web", LAYOUT_WEB_COMMAND, NULL, false);
        changed = true;
        if (web)
            DETAIL("web: '%s' -> '%s' (the app's own Procfile.web, kept as it is)", cut(web, ex, sizeof ex),
                   LAYOUT_WEB_COMMAND);
        else
            DETAIL("web: '%s' (added; the app's own Procfile.web, kept as it is)", LAYOUT_WEB_COMMAND);
    } else {
        int r = in->mastodon ? derive_mastodon(in, out, web, web_line, worker, &m)
                             : derive_generic(out, web, web_line, worker, &m);
        if (r < 0) {
            out->outcome = LAYOUT_KEPT;
            goto done;
        }
        for (size_t i = 0; i < m.n; i++) {
            strbuf c = STRBUF_INIT;
            if (sidekiq_add_concurrency(m.v[i].command, &c)) {
                free(m.v[i].command);
                m.v[i].command = sb_take(&c);
            }
        }
        render_web(&m, in->procfile != NULL, &out->procfile_web);
        /* What we write must itself read back, strictly, as these members. */
        struct procfile check;
        strbuf cdiag = STRBUF_INIT;
        if (procfile_parse(out->procfile_web.data, out->procfile_web.len, "Procfile.web", PROCFILE_WEB, &check,
                           &cdiag) < 0) {
            WARN("A command of the web line cannot go into Procfile.web: %s. The Procfile is left as it is.",
                 cdiag.data ? cdiag.data : "");
            sb_free(&cdiag);
            out->outcome = LAYOUT_KEPT;
            goto done;
        }
        procfile_free(&check);
        sb_free(&cdiag);
        out->web_new = true;
        procfile_set(&pf, "web", LAYOUT_WEB_COMMAND, NULL, false);
        changed = true;
        if (web)
            DETAIL("web: '%s' -> '%s'", cut(web, ex, sizeof ex), LAYOUT_WEB_COMMAND);
        else
            DETAIL("web: '%s' (added)", LAYOUT_WEB_COMMAND);
        DETAIL("Procfile.web:");
        for (size_t i = 0; i < m.n; i++) {
            strbuf c = STRBUF_INIT;
            sb_conds(&c, &m.v[i]);
            DETAIL("  %s%s: %s", m.v[i].name, c.data ? c.data : "", m.v[i].command);
            sb_free(&c);
        }
    }

    if (worker) {
        strbuf c = STRBUF_INIT;
        struct sh_toks t;
        const char *why;
        if (sh_lex(worker, strlen(worker), &t, &why) < 0)
            WARN("Procfile, line %d (worker): solodyno cannot read this command (%s); it is kept as it is, and "
                 "no '" SIDEKIQ_CONCURRENCY_ARGS "' is added to it.",
                 worker_line, why);
        else
            sh_toks_free(&t);
        if (sidekiq_add_concurrency(worker, &c)) {
            procfile_set(&pf, "worker", c.data, NULL, false);
            changed = true;
            DETAIL("worker: added '" SIDEKIQ_CONCURRENCY_ARGS "' (Sidekiq's threads follow the dyno's size)");
        }
        sb_free(&c);
    } else if (!in->procfile) {
        procfile_set(&pf, "worker", MASTODON_SIDEKIQ, NULL, false);
        changed = true;
        DETAIL("worker: '%s' (added; scale it up to move Sidekiq to its own dyno)", MASTODON_SIDEKIQ);
    }

    int release_commented = release ? 0 : commented_out(&pf, "release");
    if (in->mastodon && release_commented) {
        DETAIL("release: none added: the Procfile comments the release line out (line %d), so the release phase "
               "stays off, as you chose",
               release_commented);
    } else if (in->mastodon) {
        strbuf c = STRBUF_INIT;
        if (release_guard(release ? release : MASTODON_RELEASE, &c)) {
            procfile_set(&pf, "release", c.data, NULL, false);
            changed = true;
            if (release)
                DETAIL("release: runs only where RUN_STREAMING is not \"true\" (a streaming app does not migrate)");
            else
                DETAIL("release: '%s' (added), only where RUN_STREAMING is not \"true\"", MASTODON_RELEASE);
        }
        sb_free(&c);
    }

    if (changed) {
        procfile_render(&pf, &out->procfile);
        out->outcome = LAYOUT_CHANGED;
        if (!pf.bom && out->procfile.len >= 3 && !memcmp(out->procfile.data, "\xEF\xBB\xBF", 3)) {
            /* Dropping an earlier duplicate put first a line that starts with
             * a byte order mark, which would then read as the file's. */
            WARN("Procfile: rewriting it would put a line starting with a byte order mark first, which changes "
                 "how it reads. The Procfile is left as it is.");
            out->outcome = LAYOUT_KEPT;
        }
    } else {
        out->outcome = LAYOUT_UNCHANGED;
        sb_free(&out->procfile_web);
        out->web_new = false;
    }
done:
    if (out->outcome != LAYOUT_CHANGED) {
        sb_free(&out->procfile);
        sb_free(&out->procfile_web);
        out->web_new = false;
    }
    members_free(&m);
    package_json_free(&scripts.root);
    package_json_free(&scripts.streaming);
    procfile_free(&pf);
    sb_free(&diag);
    free(web);
    free(worker);
    free(release);
}

void layout_out_free(struct layout_out *out)
{
    sb_free(&out->procfile);
    sb_free(&out->procfile_web);
    sb_free(&out->log);
    memset(out, 0, sizeof *out);
}
