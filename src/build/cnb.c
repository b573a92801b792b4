/* `solodyno cnb`: the Cloud Native Buildpack files bin/build writes (see cnb.h).
 *
 *   solodyno cnb launch APP_DIR LAYERS_DIR LAYER
 *       LAYERS_DIR/launch.toml from APP_DIR/Procfile, and for each declared
 *       process type (and web, whoever declares it)
 *       LAYERS_DIR/LAYER/env.launch/TYPE/DYNO.default = "TYPE.1", so
 *       `solodyno env` (exec.d) knows each process's role as on Heroku.
 *   solodyno cnb layer FILE TYPES [KEY=VALUE ...]
 *       A layer content metadata file; TYPES is a comma-separated list of
 *       launch, build and cache, or "none".
 *   solodyno cnb stamp APP_DIR LAYER_DIR
 *       The source version stamp of APP_DIR as LAYER_DIR/env.launch/NAME.default
 *       files (SOURCE_VERSION, SOURCE_COMMIT, for Mastodon SOURCE_TAG): values
 *       for every process that the platform's own variables override.
 */
#include "build/cnb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/quote.h"
#include "build/app_scan.h"
#include "common/app_facts.h"
#include "common/stamp.h"
#include "common/xalloc.h"

bool cnb_valid_process_type(const char *type)
{
    if (!*type)
        return false;
    for (const char *p = type; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool cnb_declarable(struct procfile *pf, const struct proc_line *line, const char **why)
{
    *why = NULL;
    (void)pf; /* the line itself knows whether a later one of its name supersedes it */
    if (!procfile_counts(line))
        return false;
    if (!cnb_valid_process_type(line->name)) {
        *why = "the process type is not valid in launch.toml (letters, digits, '.', '_', '-')";
        return false;
    }
    if (!line->command || !*line->command) {
        *why = "the command is empty";
        return false;
    }
    if (!utf8_valid(line->command, strlen(line->command))) {
        *why = "the command is not valid UTF-8, which TOML cannot hold";
        return false;
    }
    return true;
}

size_t cnb_render_launch(struct procfile *pf, strbuf *out, strbuf *diag)
{
    const char *why;
    size_t declarable = 0;
    bool has_web = false;
    for (size_t i = 0; i < pf->n; i++) {
        if (cnb_declarable(pf, &pf->lines[i], &why)) {
            declarable++;
            has_web |= strcmp(pf->lines[i].name, "web") == 0;
        }
    }
    size_t n = 0;
    sb_append(out, "# Written by solodyno's bin/build from the app's Procfile (Buildpack API 0.10).\n");
    for (size_t i = 0; i < pf->n; i++) {
        const struct proc_line *line = &pf->lines[i];
        if (line->kind == PROC_UNPARSED && line->name) {
            /* Heroku would read a process type here; we cannot declare it. */
            sb_printf(diag, "Procfile, line %d: process type '%s' is left out of launch.toml: "
                            "the line is not a valid 'name: command' entry in UTF-8\n",
                      line->lineno, line->name);
            continue;
        }
        if (!cnb_declarable(pf, line, &why)) {
            if (why)
                sb_printf(diag, "Procfile, line %d: process type '%s' is left out of launch.toml: %s\n",
                          line->lineno, line->name, why);
            continue;
        }
        /* heroku/procfile's shape (buildpacks-procfile src/launch.rs:15-30):
         * the command in args, which the launcher replaces with the user's
         * (`docker run IMAGE CMD`, lifecycle launch/process.go:49-57); web is
         * the default, or the only process when there is one. bash execs a
         * lone simple command, so `solodyno run Procfile.web` is still the
         * container's main process. */
        bool dflt = has_web ? strcmp(line->name, "web") == 0 : declarable == 1;
        sb_append(out, "\n[[processes]]\ntype = ");
        sb_toml_string(out, line->name);
        sb_append(out, "\ncommand = [\"bash\", \"-c\"]\nargs = [");
        sb_toml_string(out, line->command);
        sb_printf(out, "]\ndefault = %s\n", dflt ? "true" : "false");
        n++;
    }
    return n;
}

static bool valid_bare_key(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++) {
        char c = *k;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

bool cnb_render_layer(bool launch, bool build, bool cache, const struct cnb_meta *meta, size_t n,
                      strbuf *out, strbuf *diag)
{
    strbuf body = STRBUF_INIT;
    sb_printf(&body, "[types]\nlaunch = %s\nbuild = %s\ncache = %s\n", launch ? "true" : "false",
              build ? "true" : "false", cache ? "true" : "false");
    sb_append(&body, "\n[metadata]\n");
    for (size_t i = 0; i < n; i++) {
        if (!valid_bare_key(meta[i].key)) {
            sb_printf(diag, "metadata key '%s' is not a TOML bare key (letters, digits, '_', '-')\n",
                      meta[i].key);
            goto fail;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(meta[k].key, meta[i].key) == 0) {
                sb_printf(diag, "metadata key '%s' is given twice\n", meta[i].key);
                goto fail;
            }
        }
        sb_printf(&body, "%s = ", meta[i].key);
        if (!sb_toml_string(&body, meta[i].value)) {
            sb_printf(diag, "metadata value of '%s' is not valid UTF-8\n", meta[i].key);
            goto fail;
        }
        sb_append_char(&body, '\n');
    }
    sb_append_len(out, body.data, body.len);
    sb_free(&body);
    return true;
fail:
    sb_free(&body);
    return false;
}

/* ---- the command ---------------------------------------------------------- */

static int mkdir_p(const char *path)
{
    strbuf p = STRBUF_INIT;
    sb_append(&p, path);
    for (char *s = p.data + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p.data, 0755) < 0 && errno != EEXIST)
            goto fail;
        *s = '/';
    }
    if (mkdir(p.data, 0755) < 0 && errno != EEXIST)
        goto fail;
    sb_free(&p);
    return 0;
fail:;
    int saved = errno;
    sb_free(&p);
    errno = saved;
    return -1;
}

static int write_text(const char *path, const char *text)
{
    if (write_file_atomic(path, text, strlen(text), 0644) < 0) {
        msg_error("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* LAYERS_DIR/LAYER/env.launch/TYPE/DYNO.default = "TYPE.1": the role of each
 * process for `solodyno env` at launch, a default only, so a platform that
 * sets DYNO (Heroku Fir) wins. The launcher applies env.launch/TYPE/ for the
 * process type it starts, whichever buildpack declared it (lifecycle v0.21.12
 * launch/launcher.go:145-158); `launcher CMD` starts none, so there DYNO stays
 * unset and exec.d makes it a one-off (env.c, CNB_ONE_OFF_DYNO). */
static int write_role_default(const char *layers_dir, const char *layer, const char *type)
{
    strbuf path = STRBUF_INIT, dyno = STRBUF_INIT;
    int status = 0;
    sb_printf(&path, "%s/%s/env.launch/%s", layers_dir, layer, type);
    if (mkdir_p(path.data) < 0) {
        msg_error("cannot create %s: %s", path.data, strerror(errno));
        status = 1;
    } else {
        sb_append(&path, "/DYNO.default");
        sb_printf(&dyno, "%s.1", type);
        if (write_text(path.data, dyno.data) < 0)
            status = 1;
    }
    sb_free(&path);
    sb_free(&dyno);
    return status;
}

/* The app's Procfile, for launch.toml. Returns 0, 1 when there is none, or
 * -1 after an error saying why it cannot be read: the image's processes are
 * declared from it, so the build stops, as heroku/procfile's does
 * (heroku/buildpacks-procfile src/main.rs: CannotReadProcfileContents). */
static int load_app_procfile(const char *app_dir, struct procfile *pf)
{
    const char *why;
    char *path = resolve_inside_app(app_dir, "Procfile", &why);
    if (!path) {
        msg_error("refusing to read %s/Procfile: %s. A Cloud Native Buildpack build declares the "
                  "image's processes from the Procfile, so it stops here.", app_dir, why);
        return -1;
    }
    strbuf diag = STRBUF_INIT;
    /* The Procfile step warns about odd lines; only a file that cannot be read
     * at all is worth a line here. */
    int r = procfile_load(path, "Procfile", PROCFILE_APP, pf, &diag);
    free(path);
    if (r < 0) {
        size_t n = strcspn(diag.data ? diag.data : "", "\n");
        msg_error("%.*s. A Cloud Native Buildpack build declares the image's processes from the "
                  "Procfile, so it stops here.", (int)n, diag.data ? diag.data : "the Procfile cannot be read");
    }
    sb_free(&diag);
    return r;
}

/* `solodyno cnb check APP_DIR`: bin/build's first step, so that a Procfile
 * that cannot be read stops the build with one message, before the layout
 * step would skip it and go on. */
static int cnb_check(const char *app_dir)
{
    struct procfile pf;
    int r = load_app_procfile(app_dir, &pf);
    if (r < 0)
        return 1;
    procfile_free(&pf);
    return 0;
}

static int cnb_launch(const char *app_dir, const char *layers_dir, const char *layer)
{
    const char *why;
    struct procfile pf;
    int r = load_app_procfile(app_dir, &pf);
    if (r < 0)
        return 1;
    if (r == 1) {
        log_detail("No Procfile: this buildpack declares no process types (earlier buildpacks' stand)");
        /* Another buildpack's web (heroku/ruby's, heroku/nodejs's) is still a web dyno. */
        return write_role_default(layers_dir, layer, "web");
    }

    strbuf toml = STRBUF_INIT, skipped = STRBUF_INIT, names = STRBUF_INIT, path = STRBUF_INIT;
    size_t n = cnb_render_launch(&pf, &toml, &skipped);
    int status = 0;
    for (char *s = skipped.data; s && *s;) {
        char *nl = strchr(s, '\n');
        *nl = '\0';
        log_warn("%s", s);
        s = nl + 1;
    }

    /* The role of each declared process (and web's, whoever declares it). */
    bool web_declared = false;
    for (size_t i = 0; i < pf.n; i++)
        web_declared |= cnb_declarable(&pf, &pf.lines[i], &why) && strcmp(pf.lines[i].name, "web") == 0;
    for (size_t i = 0; i < pf.n && status == 0; i++) {
        const struct proc_line *line = &pf.lines[i];
        if (!cnb_declarable(&pf, line, &why))
            continue;
        status = write_role_default(layers_dir, layer, line->name);
        bool dflt = web_declared ? strcmp(line->name, "web") == 0 : n == 1;
        sb_printf(&names, "%s%s%s", names.len ? ", " : "", line->name, dflt ? " (default)" : "");
    }
    if (status == 0 && !web_declared)
        status = write_role_default(layers_dir, layer, "web");
    if (status == 0) {
        sb_free(&path);
        sb_printf(&path, "%s/launch.toml", layers_dir);
        if (write_text(path.data, toml.data) < 0)
            status = 1;
        else if (n == 0)
            log_detail("launch.toml: no process type could be declared");
        else
            log_detail("launch.toml: %s", names.data);
    }
    sb_free(&toml);
    sb_free(&skipped);
    sb_free(&names);
    sb_free(&path);
    procfile_free(&pf);
    return status;
}

static int cnb_layer(int argc, char **argv)
{
    const char *file = argv[0];
    bool launch = false, build = false, cache = false;
    char *types = xstrdup(argv[1]);
    int status = 0;
    if (strcmp(types, "none") != 0) {
        for (char *save = NULL, *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (strcmp(t, "launch") == 0)
                launch = true;
            else if (strcmp(t, "build") == 0)
                build = true;
            else if (strcmp(t, "cache") == 0)
                cache = true;
            else {
                msg_error("cnb layer: unknown layer type '%s' (expected launch, build, cache or none)", t);
                status = 2;
            }
        }
    }
    free(types);
    if (status)
        return status;

    size_t n = (size_t)argc - 2;
    struct cnb_meta *meta = calloc(n ? n : 1, sizeof *meta);
    char **copies = calloc(n ? n : 1, sizeof *copies);
    if (!meta || !copies)
        abort();
    for (size_t i = 0; i < n; i++) {
        copies[i] = xstrdup(argv[2 + i]);
        char *eq = strchr(copies[i], '=');
        if (!eq) {
            msg_error("cnb layer: expected KEY=VALUE, got '%s'", argv[2 + i]);
            status = 2;
            continue;
        }
        *eq = '\0';
        meta[i].key = copies[i];
        meta[i].value = eq + 1;
    }
    strbuf out = STRBUF_INIT, diag = STRBUF_INIT;
    if (status == 0) {
        if (!cnb_render_layer(launch, build, cache, meta, n, &out, &diag)) {
            msg_error("cnb layer: %.*s", diag.len ? (int)diag.len - 1 : 0, diag.data ? diag.data : "");
            status = 1;
        } else if (write_text(file, out.data) < 0) {
            status = 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(copies[i]);
    free(copies);
    free(meta);
    sb_free(&out);
    sb_free(&diag);
    return status;
}

/* Build time knows nothing of the dyno metadata stamp_runtime_defaults falls
 * back on; those are read by exec.d at launch. */
static const char *no_runtime_env(const char *name)
{
    (void)name;
    return NULL;
}

struct stamp_ctx {
    const char *dir;
    int status;
    strbuf names;
    strbuf ours; /* the same, comma-separated, for SOLODYNO_DEFAULTS */
};

static void write_default(void *ctx_, const char *name, const char *value, const char *origin)
{
    struct stamp_ctx *ctx = ctx_;
    (void)origin;
    /* SOLODYNO_VERSION_METADATA=0, read at run time, turns this one off: it
     * stays with exec.d (solodyno env), which reads the stamp at launch. */
    if (ctx->status || strcmp(name, "MASTODON_VERSION_METADATA") == 0)
        return;
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s/%s.default", ctx->dir, name);
    if (write_text(path.data, value) < 0) {
        ctx->status = 1;
    } else {
        sb_printf(&ctx->names, "%s%s", ctx->names.len ? ", " : "", name);
        sb_printf(&ctx->ours, "%s%s", ctx->ours.len ? "," : "", name);
    }
    sb_free(&path);
}

static int cnb_stamp(const char *app_dir, const char *layer_dir)
{
    struct app_facts facts;
    if (app_facts_read(app_dir, &facts) < 0) /* not recorded by a build step: look */
        app_facts_detect(app_dir, &facts);
    struct stamp_ctx ctx = {NULL, 0, STRBUF_INIT, STRBUF_INIT};
    strbuf dir = STRBUF_INIT;
    sb_printf(&dir, "%s/env.launch", layer_dir);
    if (mkdir_p(dir.data) < 0) {
        msg_error("cannot create %s: %s", dir.data, strerror(errno));
        sb_free(&dir);
        return 1;
    }
    ctx.dir = dir.data;
    stamp_runtime_defaults(app_dir, facts.mastodon, no_runtime_env, write_default, &ctx);
    /* These are ours, not another buildpack's: the exec.d program, which
     * sees them set after the launcher started, reads this list as it reads
     * an earlier eval's (solodyno env: SOLODYNO_DEFAULTS). */
    if (ctx.status == 0 && ctx.ours.len) {
        strbuf path = STRBUF_INIT;
        sb_printf(&path, "%s/SOLODYNO_DEFAULTS.default", dir.data);
        if (write_text(path.data, ctx.ours.data) < 0)
            ctx.status = 1;
        sb_free(&path);
    }
    if (ctx.status == 0)
        log_detail("env.launch defaults from the stamp: %s", ctx.names.len ? ctx.names.data : "none (version unknown)");
    sb_free(&ctx.names);
    sb_free(&ctx.ours);
    sb_free(&dir);
    return ctx.status;
}

int cmd_cnb(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "launch") == 0)
        return cnb_launch(argv[2], argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[1], "layer") == 0)
        return cnb_layer(argc - 2, argv + 2);
    if (argc == 4 && strcmp(argv[1], "stamp") == 0)
        return cnb_stamp(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return cnb_check(argv[2]);
    msg_error("usage: solodyno cnb check APP_DIR\n"
              "       solodyno cnb launch APP_DIR LAYERS_DIR LAYER\n"
              "       solodyno cnb layer FILE TYPES [KEY=VALUE ...]\n"
              "       solodyno cnb stamp APP_DIR LAYER_DIR");
    return 2;
}
