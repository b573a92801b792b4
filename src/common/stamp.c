/* The source version stamp's format, and the variables it gives the app (see
 * stamp.h). Shared: the build checks values before writing the stamp
 * (build/cmd_stamp.c), `solodyno env` reads it at every dyno start, and CNB mode
 * turns it into env.launch files at build.
 */
#include "common/stamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/strbuf.h"

#define HASH_MIN STAMP_HASH_MIN
#define HASH_MAX STAMP_HASH_MAX
#define SHORT_HASH STAMP_SHORT_HASH

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
