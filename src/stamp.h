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

#define STAMP_FILE ".solodyno/source-version"

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
