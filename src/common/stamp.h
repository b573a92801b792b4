/* The source version stamp: which commit the slug was built from.
 *
 * Build: `solodyno stamp APP_DIR [ENV_DIR]` (cmd_stamp) writes
 * APP_DIR/.solodyno/source-version. Dyno start: stamp_runtime_defaults hands
 * `solodyno env` the variables the stamp provides, so they reach the app
 * through the same .profile block as the tuning (only where not set).
 */
#ifndef SOLODYNO_STAMP_H
#define SOLODYNO_STAMP_H

#include <stdbool.h>
#include <stddef.h>

#define STAMP_FILE ".solodyno/source-version"

/* The stamp file is one line: the version, or "unknown". A version is a commit
 * hash of 7 to 64 hex digits (stored lowercase) or a ref-like name of at most
 * STAMP_VALUE_MAX characters from [A-Za-z0-9._/-]. */
#define STAMP_VALUE_MAX 128
#define STAMP_HASH_MIN 7
#define STAMP_HASH_MAX 64
#define STAMP_SHORT_HASH 7 /* MASTODON_VERSION_METADATA: the short hash */
#define STAMP_UNKNOWN "unknown"
#define STAMP_FILE_MAX 4096

/* Checks a version from outside (SOURCE_VERSION, the stamp file, dyno
 * metadata). On success copies the value to store into out (a hash
 * lowercased) and returns true. Otherwise returns false and, when why is not
 * NULL, says what is wrong in words that never quote the raw bytes (they may
 * hold terminal escapes): "a space at character 4", "300 characters long". */
bool stamp_check(const char *value, char out[STAMP_VALUE_MAX + 1], char *why, size_t why_size);

/* True if v is a commit hash (7 to 64 hex digits). */
bool stamp_is_hash(const char *v);

/* Parses the stamp file's content. 1: a version, into out; 0: it says unknown;
 * -1: it is not a stamp (anything else). Outside input at dyno start: fuzzed. */
int stamp_parse(const char *data, size_t len, char out[STAMP_VALUE_MAX + 1]);

/* Reads APP_DIR's stamp: 1, 0 or -1 as stamp_parse; a missing file is 0. */
int stamp_read(const char *app_dir, char out[STAMP_VALUE_MAX + 1]);

/* Called once per variable the stamp would set. origin says where the value
 * came from, for `solodyno env --explain` ("stamp", "dyno metadata", ...). */
typedef void (*env_default_fn)(void *ctx, const char *name, const char *value,
                               const char *origin);

/* Emits SOURCE_VERSION, SOURCE_COMMIT and, for Mastodon, SOURCE_TAG and
 * MASTODON_VERSION_METADATA, from APP_DIR's stamp (or, when the stamp says
 * unknown, from HEROKU_SLUG_COMMIT / HEROKU_BUILD_COMMIT). lookup is getenv in
 * production. It emits every variable it has a value for; the caller skips
 * those the user has set. */
void stamp_runtime_defaults(const char *app_dir, bool mastodon, const char *(*lookup)(const char *),
                            env_default_fn emit, void *ctx);

#endif
