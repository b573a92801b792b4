/* `solodyno procfile APP_DIR [ENV_DIR]`: the build step that records the app's
 * facts and injects the one-dyno process layout (procfile_layout.c decides,
 * this file reads and writes).
 *
 * `solodyno procfile --summary APP_DIR [ENV_DIR]` prints one line saying what
 * the layout of a built app is, for the end of the build log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/app_scan.h"
#include "common/app_facts.h"
#include "commands.h"
#include "build/config_vars.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/procfile.h"
#include "build/procfile_layout.h"
#include "common/strbuf.h"

#define SCRIPT_MAX (1024 * 1024)

/* A config var's value as it may appear in the log: printable ASCII only. */
static void printable(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    for (; s[i] && i + 4 < size; i++)
        buf[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7F ? s[i] : '?';
    if (s[i])
        memcpy(buf + i, "...", 4);
    else
        buf[i] = '\0';
}

/* SOLODYNO_PROCFILE=keep: leave the Procfile alone. */
static bool keep_requested(const char *env_dir)
{
    char *v = NULL;
    bool keep = false;
    if (config_var_get(env_dir, "SOLODYNO_PROCFILE", &v) == CONFIG_SET) {
        if (!strcmp(v, "keep")) {
            keep = true;
        } else if (*v) {
            char shown[64];
            printable(v, shown, sizeof shown);
            log_warn("SOLODYNO_PROCFILE='%s' is not understood (the only value is 'keep'); ignoring it", shown);
        }
    }
    free(v);
    return keep;
}

static void log_facts(const struct app_facts *f)
{
    if (f->mastodon && f->version[0] >= 0)
        log_detail("App: Mastodon %s (from lib/mastodon/version.rb)", f->version_text);
    else if (f->mastodon)
        log_detail("App: Mastodon, version unknown (lib/mastodon/version.rb is missing, as before 1.2.2, or says "
                   "none solodyno can read)");
    else
        log_detail("App: not Mastodon (no lib/mastodon/version.rb, no module Mastodon in config/application.rb): a "
                   "generic app with web and worker lines");
    strbuf reads = STRBUF_INIT;
    for (int i = 0; app_facts_tunables[i]; i++) {
        if (!(f->reads & (1u << i)))
            continue;
        const char *where = app_facts_where(f, app_facts_tunables[i]);
        sb_printf(&reads, "%s%s", reads.len ? ", " : "", app_facts_tunables[i]);
        if (where)
            sb_printf(&reads, " (%s)", where);
    }
    if (reads.len)
        log_detail("Its code reads: %s", reads.data);
    else
        log_detail("Its code reads none of the tuning knobs solodyno looks for");
    sb_free(&reads);
}

/* Loads and strictly checks Procfile.web if the app has one. Returns 1 when
 * it exists and is good, 0 when it does not exist, -1 on an error (logged). */
static int check_procfile_web(const char *app_dir, struct procfile *pw)
{
    const char *why;
    memset(pw, 0, sizeof *pw);
    char *path = resolve_inside_app(app_dir, "Procfile.web", &why);
    if (!path) {
        log_warn("Procfile.web: refusing to read it: %s. It must be a file inside the app "
                 "(solodyno run reads it at every dyno start).", why);
        return -1;
    }
    strbuf diag = STRBUF_INIT;
    int r = procfile_load(path, "Procfile.web", PROCFILE_WEB, pw, &diag);
    free(path);
    if (r < 0) {
        log_warn_lines(diag.data ? diag.data : "Procfile.web cannot be read");
        /* A bad line (not a file that cannot be read) gets the format's pointer. */
        if (diag.data && !strncmp(diag.data, "Procfile.web, line ", 19))
            log_warn("Procfile.web is solodyno's strict format (see the README, \"Procfile.web format\"): fix "
                     "the line above.");
        sb_free(&diag);
        return -1;
    }
    sb_free(&diag);
    if (r == 1)
        return 0;
    size_t members = 0;
    for (size_t i = 0; i < pw->n; i++)
        members += pw->lines[i].kind == PROC_ENTRY;
    if (members == 0) {
        log_warn("Procfile.web has no members: expected at least one 'NAME[@VAR|@!VAR]...: COMMAND' line");
        procfile_free(pw);
        return -1;
    }
    return 1;
}

struct app_ctx {
    const char *app_dir;
};

static int read_app_file(void *ctx, const char *rel, char **data, size_t *len, const char **why)
{
    const struct app_ctx *a = ctx;
    char *path = resolve_inside_app(a->app_dir, rel, why);
    if (!path)
        return -1;
    int r = read_file(path, SCRIPT_MAX, data, len);
    int err = errno;
    free(path);
    if (r == 0)
        return 0;
    if (err == ENOENT)
        return 1;
    *why = err == EISDIR ? "it is a directory" : err == EFBIG ? "it is larger than 1 MiB" : strerror(err);
    return -1;
}

static void print_log(const strbuf *log)
{
    if (!log->data)
        return;
    const char *p = log->data;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n >= 2) {
            if (p[0] == ' ')
                log_detail("%.*s", (int)(n - 2), p + 2);
            else
                log_warn("%.*s", (int)(n - 2), p + 2);
        }
        p += n + (nl ? 1 : 0);
    }
}

static int write_layout(const char *app_dir, const char *orig, size_t orig_len, const struct layout_out *out)
{
    const char *why;
    char *pf_path = resolve_inside_app(app_dir, "Procfile", &why);
    char *orig_path = pf_path ? resolve_inside_app(app_dir, "Procfile.orig", &why) : NULL;
    char *web_path = orig_path ? resolve_inside_app(app_dir, "Procfile.web", &why) : NULL;
    int status = 0;
    bool wrote_orig = false, wrote_web = false;
    if (!web_path) {
        log_warn("Cannot write the layout (%s); the Procfile is left as it is.", why);
        goto done;
    }
    /* The laid-out Procfile must stay one that can be read back (launch.toml,
     * solodyno-slug --json, the next build all read at most 4 MiB). */
    if (out->procfile.len > PROC_FILE_MAX) {
        log_warn("The laid-out Procfile would be larger than 4 MiB, more than solodyno reads back; the "
                 "Procfile is left as it is.");
        goto done;
    }
    if (orig) {
        if (path_exists(orig_path)) {
            log_detail("Procfile.orig exists (kept from before): not overwritten");
        } else {
            struct stat st;
            int mode = stat(pf_path, &st) == 0 ? (int)(st.st_mode & 07777) : 0644;
            if (write_file_atomic(orig_path, orig, orig_len, mode) < 0) {
                log_warn("Cannot write Procfile.orig (%s); the Procfile is left as it is.", strerror(errno));
                goto done;
            }
            wrote_orig = true;
        }
    }
    if (out->web_new) {
        if (write_file_atomic(web_path, out->procfile_web.data, out->procfile_web.len, 0644) < 0) {
            log_warn("Cannot write Procfile.web: %s", strerror(errno));
            status = 1;
            goto undo;
        }
        wrote_web = true;
    }
    if (write_file_atomic(pf_path, out->procfile.data, out->procfile.len, -1) < 0) {
        log_warn("Cannot write the Procfile: %s", strerror(errno));
        status = 1;
        goto undo;
    }
    if (wrote_orig)
        log_detail("The original is kept as Procfile.orig");
    goto done;
undo:
    /* Nothing half-done: the Procfile is as it was, so drop what pointed at it. */
    if (wrote_web)
        unlink(web_path);
    if (wrote_orig)
        unlink(orig_path);
done:
    free(pf_path);
    free(orig_path);
    free(web_path);
    return status;
}

static int summary(const char *app_dir, const char *env_dir)
{
    char *v = NULL;
    if (config_var_get(env_dir, "SOLODYNO_PROCFILE", &v) == CONFIG_SET && !strcmp(v, "keep")) {
        puts("Process layout: none, the Procfile is left as it is (SOLODYNO_PROCFILE=keep)");
        free(v);
        return 0;
    }
    free(v);
    const char *why;
    char *path = resolve_inside_app(app_dir, "Procfile", &why);
    struct procfile pf;
    strbuf diag = STRBUF_INIT;
    int r = path ? procfile_load(path, "Procfile", PROCFILE_APP, &pf, &diag) : -1;
    free(path);
    sb_free(&diag);
    if (r != 0) {
        puts(r == 1 ? "Process layout: none (no Procfile)" : "Process layout: none (the Procfile cannot be read)");
        return 0;
    }
    struct proc_line *web = procfile_find_any(&pf, "web");
    bool ours = web && web->kind == PROC_ENTRY && !strcmp(web->command, LAYOUT_WEB_COMMAND);
    procfile_free(&pf);
    struct procfile pw;
    if (!ours || !(path = resolve_inside_app(app_dir, "Procfile.web", &why))) {
        puts("Process layout: none; web runs the app's own command (see the warnings above)");
        return 0;
    }
    r = procfile_load(path, "Procfile.web", PROCFILE_WEB, &pw, &diag);
    free(path);
    sb_free(&diag);
    if (r != 0) {
        puts("Process layout: broken, Procfile.web cannot be read");
        return 0;
    }
    strbuf line = STRBUF_INIT;
    sb_append(&line, "Process layout: web runs");
    const char *sep = " ";
    for (size_t i = 0; i < pw.n; i++) {
        const struct proc_line *l = &pw.lines[i];
        if (l->kind != PROC_ENTRY)
            continue;
        sb_printf(&line, "%s%s", sep, l->name);
        procfile_format_conditions(l, &line);
        sep = ", ";
    }
    sb_append(&line, " (Procfile.web)");
    puts(line.data);
    sb_free(&line);
    procfile_free(&pw);
    return 0;
}

int cmd_procfile(int argc, char **argv)
{
    bool want_summary = argc >= 2 && !strcmp(argv[1], "--summary");
    int a = want_summary ? 2 : 1;
    if (argc - a < 1 || argc - a > 2) {
        msg_error("usage: solodyno procfile [--summary] APP_DIR [ENV_DIR]");
        return 2;
    }
    const char *app_dir = argv[a];
    const char *env_dir = argc - a == 2 ? argv[a + 1] : NULL;
    struct stat st;
    if (stat(app_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        msg_error("procfile: %s is not a directory", app_dir);
        return 2;
    }
    if (want_summary)
        return summary(app_dir, env_dir);

    log_step("solodyno: the one-dyno process layout");
    struct app_facts facts;
    app_facts_detect(app_dir, &facts);
    log_facts(&facts);
    const char *why;
    if (app_facts_write(app_dir, &facts, &why) < 0)
        log_warn("Cannot record the app's facts in %s (%s): dyno start will tune it as a generic app",
                 APP_FACTS_FILE, why);

    struct procfile pw;
    int web_state = check_procfile_web(app_dir, &pw);
    if (web_state < 0)
        return 1; /* said why */
    procfile_free(&pw);

    if (keep_requested(env_dir)) {
        log_detail("SOLODYNO_PROCFILE=keep: the Procfile is left as it is");
        return 0;
    }

    char *pf_path = resolve_inside_app(app_dir, "Procfile", &why);
    if (!pf_path) {
        log_warn("Procfile: refusing to read or write it: %s. No one-dyno layout; the build goes on.", why);
        return 0;
    }
    char *data = NULL;
    size_t len = 0;
    bool has_procfile = true;
    if (read_file(pf_path, PROC_FILE_MAX, &data, &len) < 0) {
        int err = errno;
        free(pf_path);
        if (err != ENOENT) {
            log_warn("Procfile: %s. No one-dyno layout; the build goes on.",
                     err == EISDIR   ? "it is a directory, not a file"
                     : err == EINVAL ? "it is not a regular file"
                     : err == EFBIG  ? "it is larger than 4 MiB"
                                     : strerror(err));
            return 0;
        }
        has_procfile = false;
    } else {
        free(pf_path);
    }

    struct app_ctx ctx = {app_dir};
    struct layout_in in = {has_procfile ? data : NULL, len, web_state == 1, facts.mastodon, read_app_file, &ctx};
    struct layout_out out;
    layout_compute(&in, &out);
    print_log(&out.log);
    int status = 0;
    switch (out.outcome) {
    case LAYOUT_CHANGED:
        status = write_layout(app_dir, has_procfile ? data : NULL, len, &out);
        break;
    case LAYOUT_UNCHANGED:
        log_detail("The Procfile already has the one-dyno layout: unchanged");
        break;
    case LAYOUT_ERROR:
        status = 1;
        break;
    case LAYOUT_KEPT:
    case LAYOUT_NONE:
        break;
    }
    layout_out_free(&out);
    free(data);
    return status;
}
