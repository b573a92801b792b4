/* `solodyno stamp APP_DIR [ENV_DIR]`: records which commit the slug was built
 * from (see common/stamp.h for the format and what it gives the app).
 *
 * Where the version comes from, first found wins: SOURCE_VERSION in the build
 * environment (Heroku sets it), the config var SOURCE_VERSION, the app's .git
 * read directly, else "unknown" with a warning. A value that is not a commit
 * hash or a plain ref name is refused with a warning naming its source, and
 * the next source is tried: it would end up in the app's environment and in
 * Mastodon's version string, so nothing else is ever written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build/app_scan.h"
#include "build/config_vars.h"
#include "build/git_read.h"
#include "commands.h"
#include "common/app_facts.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/stamp.h"
#include "common/strbuf.h"

#define HASH_MIN STAMP_HASH_MIN
#define HASH_MAX STAMP_HASH_MAX
#define SHORT_HASH STAMP_SHORT_HASH

/* ---- build: solodyno stamp ---- */

/* Takes value from source if it is acceptable, else warns naming the source. */
static bool accept(const char *value, const char *source, char out[STAMP_VALUE_MAX + 1])
{
    char why[160];
    if (stamp_check(value, out, why, sizeof why))
        return true;
    log_warn("%s: expected a commit hash (%d to %d hex digits) or a ref name (letters, digits, "
             "'.', '_', '/', '-'; at most %d characters), found %s; ignoring it",
             source, HASH_MIN, HASH_MAX, STAMP_VALUE_MAX, why);
    return false;
}

/* The app's .git, for a build without SOURCE_VERSION (local or other platforms). */
static bool from_git(const char *app_dir, char out[STAMP_VALUE_MAX + 1], strbuf *from)
{
    struct git_head head;
    switch (git_read_head(app_dir, &head)) {
    case GIT_HEAD_COMMIT:
        snprintf(out, STAMP_VALUE_MAX + 1, "%s", head.commit);
        if (!head.ref[0]) {
            sb_append(from, "the app's .git, detached HEAD");
        } else {
            bool branch = !strncmp(head.ref, "refs/heads/", 11);
            char name[STAMP_VALUE_MAX + 1];
            /* Only names that are safe to print go to the log. */
            if (stamp_check(branch ? head.ref + 11 : head.ref, name, NULL, 0))
                sb_printf(from, "the app's .git, %s %s", branch ? "branch" : "ref", name);
            else
                sb_append(from, "the app's .git");
        }
        return true;
    case GIT_HEAD_NO_REPO:
        return false;
    case GIT_HEAD_UNBORN:
    case GIT_HEAD_ERROR:
        log_warn("the app's .git: %s; not using it", head.why);
        return false;
    }
    return false;
}

/* Mastodon builds its source link from GITHUB_REPOSITORY (default
 * mastodon/mastodon) or SOURCE_BASE_URL, plus SOURCE_TAG: for a fork, the
 * stamp's commit under the upstream repository is a dead link. */
static void warn_source_link(const char *app_dir, const char *env_dir, const char *version)
{
    struct app_facts facts;
    app_facts_detect(app_dir, &facts);
    if (!facts.mastodon)
        return;
    static const char *const names[] = {"GITHUB_REPOSITORY", "SOURCE_BASE_URL"};
    for (size_t i = 0; i < 2; i++) {
        char *v = NULL;
        bool set = config_var_get(env_dir, names[i], &v) == CONFIG_SET && *v;
        free(v);
        if (set)
            return;
    }
    log_warn("This Mastodon app's config vars set neither GITHUB_REPOSITORY nor SOURCE_BASE_URL.");
    if (stamp_is_hash(version))
        log_warn("Its source link would name commit %.*s under https://github.com/mastodon/mastodon,",
                 SHORT_HASH, version);
    else if (strcmp(version, STAMP_UNKNOWN) != 0)
        log_warn("Its source link would name %s under https://github.com/mastodon/mastodon,", version);
    else
        log_warn("Its source link would point at https://github.com/mastodon/mastodon,");
    log_warn("where the commits of a fork do not exist. If you run a fork, set");
    log_warn("  heroku config:set GITHUB_REPOSITORY=OWNER/REPO   (or SOURCE_BASE_URL=https://...)");
    log_warn("If you run upstream Mastodon unchanged, GITHUB_REPOSITORY=mastodon/mastodon silences this.");
}

static int write_stamp(const char *app_dir, const char *version)
{
    const char *why;
    if (make_app_dir(app_dir, ".solodyno", &why) < 0) {
        log_warn("cannot create .solodyno in the app: %s", why);
        return -1;
    }
    char *path = resolve_inside_app(app_dir, STAMP_FILE, &why);
    if (!path) {
        log_warn("refusing to write %s: %s", STAMP_FILE, why);
        return -1;
    }
    strbuf content = STRBUF_INIT;
    sb_printf(&content, "%s\n", version);
    int rc = write_file_atomic(path, content.data, content.len, 0644);
    if (rc < 0)
        log_warn("cannot write %s: %s", STAMP_FILE, strerror(errno));
    sb_free(&content);
    free(path);
    return rc;
}

int cmd_stamp(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        msg_error("usage: solodyno stamp APP_DIR [ENV_DIR]");
        return 2;
    }
    const char *app_dir = argv[1];
    const char *env_dir = argc == 3 ? argv[2] : NULL;
    struct stat st;
    if (stat(app_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        msg_error("stamp: APP_DIR %s is not a directory", app_dir);
        return 2;
    }

    log_step("solodyno: source version");
    char version[STAMP_VALUE_MAX + 1];
    strbuf from = STRBUF_INIT;
    const char *env = getenv("SOURCE_VERSION");
    char *config = NULL;
    if (env && *env && accept(env, "SOURCE_VERSION in the build environment", version)) {
        sb_append(&from, "SOURCE_VERSION, set by the platform for this build");
    } else if (config_var_get(env_dir, "SOURCE_VERSION", &config) == CONFIG_SET && *config &&
               accept(config, "the config var SOURCE_VERSION (ENV_DIR/SOURCE_VERSION)", version)) {
        sb_append(&from, "the config var SOURCE_VERSION");
    } else if (!from_git(app_dir, version, &from)) {
        snprintf(version, sizeof version, "%s", STAMP_UNKNOWN);
        log_warn("The source version is unknown: no usable SOURCE_VERSION and no readable .git in the app.");
        log_warn("Recording \"unknown\"; at dyno start HEROKU_SLUG_COMMIT stands in when dyno");
        log_warn("metadata is on (heroku labs:enable runtime-dyno-metadata).");
        sb_append(&from, "no source had it");
    }
    free(config);

    int rc = write_stamp(app_dir, version);
    if (rc == 0)
        log_detail("%s (from %s) -> %s", version, from.data, STAMP_FILE);
    sb_free(&from);
    if (rc < 0)
        return 1;
    warn_source_link(app_dir, env_dir, version);
    return 0;
}
