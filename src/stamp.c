/* `solodyno stamp APP_DIR [ENV_DIR]`: records which commit the slug was built
 * from, and, at dyno start, the variables that tell the app (see stamp.h).
 *
 * Where the version comes from, first found wins: SOURCE_VERSION in the build
 * environment (Heroku sets it), the config var SOURCE_VERSION, the app's .git
 * read directly, else "unknown" with a warning. A value that is not a commit
 * hash or a plain ref name is refused with a warning naming its source, and
 * the next source is tried: it would end up in the app's environment and in
 * Mastodon's version string, so nothing else is ever written.
 */
#include "stamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "app_facts.h"
#include "commands.h"
#include "config_vars.h"
#include "fileio.h"
#include "git_read.h"
#include "log.h"
#include "strbuf.h"

#define HASH_MIN 7
#define HASH_MAX 64
#define SHORT_HASH 7

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_hex(s[i]))
            return false;
    return true;
}

bool stamp_is_hash(const char *v)
{
    size_t n = strlen(v);
    return n >= HASH_MIN && n <= HASH_MAX && all_hex(v, n);
}

/* Describes byte c at 1-based position pos without printing it raw. */
static void describe_byte(char *why, size_t size, unsigned char c, size_t pos)
{
    if (c < 0x20 || c == 0x7f)
        snprintf(why, size, "a control byte (0x%02x) at character %zu", c, pos);
    else if (c >= 0x80)
        snprintf(why, size, "a non-ASCII byte (0x%02x) at character %zu", c, pos);
    else if (c == ' ')
        snprintf(why, size, "a space at character %zu", pos);
    else
        snprintf(why, size, "'%c' at character %zu", c, pos);
}

#define WHY(...)                                   \
    do {                                           \
        if (why)                                   \
            snprintf(why, why_size, __VA_ARGS__);  \
    } while (0)

bool stamp_check(const char *value, char out[STAMP_VALUE_MAX + 1], char *why, size_t why_size)
{
    size_t n = strlen(value);
    if (n == 0) {
        WHY("an empty value");
        return false;
    }
    if (n > STAMP_VALUE_MAX) {
        WHY("a value %zu characters long (at most %d)", n, STAMP_VALUE_MAX);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = value[i];
        if (!is_alnum(c) && c != '.' && c != '_' && c != '/' && c != '-') {
            if (why)
                describe_byte(why, why_size, (unsigned char)c, i + 1);
            return false;
        }
    }
    if (all_hex(value, n) && n > HASH_MAX) {
        WHY("%zu hex digits (a commit hash has %d to %d)", n, HASH_MIN, HASH_MAX);
        return false;
    }
    if (all_hex(value, n) && n >= HASH_MIN) {
        for (size_t i = 0; i <= n; i++)
            out[i] = (value[i] >= 'A' && value[i] <= 'F') ? (char)(value[i] - 'A' + 'a') : value[i];
        return true;
    }
    /* A ref name: the shapes git itself refuses are refused here too, and a
     * leading "-" could pass for an option wherever the value is used. */
    if (!is_alnum(value[0])) {
        WHY("'%c' as the first character (a name starts with a letter or digit)", value[0]);
        return false;
    }
    if (strstr(value, "..") || strstr(value, "//") || value[n - 1] == '/' || value[n - 1] == '.') {
        WHY("a name with \"..\", \"//\" or a trailing '/' or '.', which no git ref has");
        return false;
    }
    if (!strcmp(value, STAMP_UNKNOWN)) {
        WHY("\"%s\", which is not a version", STAMP_UNKNOWN);
        return false;
    }
    memcpy(out, value, n + 1);
    return true;
}

int stamp_parse(const char *data, size_t len, char out[STAMP_VALUE_MAX + 1])
{
    if (len > 0 && data[len - 1] == '\n')
        len--;
    if (len > 0 && data[len - 1] == '\r')
        len--;
    if (len == 0 || len > STAMP_VALUE_MAX || memchr(data, '\0', len))
        return -1;
    char value[STAMP_VALUE_MAX + 1];
    memcpy(value, data, len);
    value[len] = '\0';
    if (!strcmp(value, STAMP_UNKNOWN))
        return 0;
    return stamp_check(value, out, NULL, 0) ? 1 : -1;
}

int stamp_read(const char *app_dir, char out[STAMP_VALUE_MAX + 1])
{
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s/%s", app_dir, STAMP_FILE);
    char *data;
    size_t len;
    int rc;
    if (read_file(path.data, STAMP_FILE_MAX, &data, &len) < 0) {
        rc = errno == ENOENT ? 0 : -1;
    } else {
        rc = stamp_parse(data, len, out);
        free(data);
    }
    sb_free(&path);
    return rc;
}

/* ---- dyno start ---- */

static bool turned_off(const char *v)
{
    return v && (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
                 !strcasecmp(v, "off"));
}

void stamp_runtime_defaults(const char *app_dir, bool mastodon, const char *(*lookup)(const char *),
                            env_default_fn emit, void *ctx)
{
    char version[STAMP_VALUE_MAX + 1];
    const char *origin = "stamp";
    int st = stamp_read(app_dir, version);
    if (st < 0)
        msg_note("%s is not a valid stamp (expected one line: a commit hash, a ref name or "
                 "\"unknown\"); ignoring it",
                 STAMP_FILE);
    if (st != 1) {
        /* Unknown at build: Heroku's dyno metadata (labs:runtime-dyno-metadata)
         * knows the slug's commit. */
        static const char *const metadata[][2] = {
            {"HEROKU_SLUG_COMMIT", "dyno metadata (HEROKU_SLUG_COMMIT)"},
            {"HEROKU_BUILD_COMMIT", "dyno metadata (HEROKU_BUILD_COMMIT)"},
        };
        origin = NULL;
        for (size_t i = 0; i < sizeof metadata / sizeof metadata[0] && !origin; i++) {
            const char *v = lookup(metadata[i][0]);
            if (!v || !*v)
                continue;
            char why[128];
            if (stamp_check(v, version, why, sizeof why))
                origin = metadata[i][1];
            else
                msg_note("%s: expected a commit hash or ref name, found %s; ignoring it", metadata[i][0], why);
        }
        if (!origin)
            return;
    }
    bool hash = stamp_is_hash(version);
    emit(ctx, "SOURCE_VERSION", version, origin);
    if (hash)
        emit(ctx, "SOURCE_COMMIT", version, origin);
    if (!mastodon)
        return;
    /* Mastodon links to SOURCE_BASE_URL/tree/SOURCE_TAG: a commit or a ref both work. */
    emit(ctx, "SOURCE_TAG", version, origin);
    /* Shown as 4.3.2+abc1234: semver build metadata, so a hash only. */
    if (hash && !turned_off(lookup("SOLODYNO_VERSION_METADATA"))) {
        char short_hash[SHORT_HASH + 1];
        memcpy(short_hash, version, SHORT_HASH);
        short_hash[SHORT_HASH] = '\0';
        emit(ctx, "MASTODON_VERSION_METADATA", short_hash, origin);
    }
}

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
