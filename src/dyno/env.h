/* `solodyno env`: the tuned defaults for this dyno, for each variable the user
 * has not set.
 *
 * Every default goes through env_offer (name, value, origin), which applies
 * the one rule: a variable the user set wins; a variable another buildpack
 * defaulted (NAME_SET_BY is set, e.g. WEB_CONCURRENCY_SET_BY=heroku/nodejs)
 * counts as not set. A variable set to the empty string counts as not set
 * either: an empty WEB_CONCURRENCY or MAX_THREADS reads as 0 in Ruby and would
 * stop the app, and `heroku config:set X=` is how people clear a value.
 * env_offer has the stamp's env_default_fn signature, so other providers of
 * runtime defaults (the source-version stamp) plug in with one call.
 */
#ifndef SOLODYNO_ENV_H
#define SOLODYNO_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "common/app_facts.h"
#include "dyno/cgroup.h"
#include "dyno/dyno_role.h"
#include "common/strbuf.h"
#include "dyno/tuning.h"

#define ENV_MAX_ENTRIES 64
/* Set by --shell and --exec-d: the names of the variables they set. */
#define ENV_DEFAULTS_VAR "SOLODYNO_DEFAULTS"
#define ENV_MAX_NOTES 16

enum env_status {
    ENV_SET,       /* printed: ours */
    ENV_REPLACED,  /* printed: ours, replacing another buildpack's default */
    ENV_USER,      /* not printed: the user's value stands */
};

struct env_entry {
    char *name;
    char *value;   /* ours, or the user's for ENV_USER */
    char *origin;  /* why this value */
    enum env_status status;
    char *other;   /* ENV_REPLACED: "heroku/nodejs's 2" */
};

struct env_result {
    const char *(*lookup)(const char *);
    const char *app_dir;
    struct dyno_resources res;
    struct app_facts facts;
    bool facts_recorded;
    struct dyno_role role;
    struct tuning tuning;
    struct env_entry entries[ENV_MAX_ENTRIES];
    size_t n;
    char *notes[ENV_MAX_NOTES]; /* knobs left alone, and why (for --explain) */
    size_t n_notes;
};

/* Offers one default (an env_default_fn). The first offer of a name wins. */
void env_offer(void *result, const char *name, const char *value, const char *origin);

/* Detects memory, CPUs, role and app facts, and offers every default. lookup
 * is getenv in production. */
void env_collect(const char *app_dir, const char *(*lookup)(const char *), struct env_result *r);

/* `export NAME='value'` lines (only what is printed), safe to eval. */
void env_format_shell(const struct env_result *r, strbuf *out);
/* `NAME = "value"` lines for a CNB exec.d program. Values that are not valid
 * UTF-8 (TOML cannot hold them) are left out, with a warning. */
void env_format_toml(const struct env_result *r, strbuf *out);
/* The table for a person. */
void env_format_explain(const struct env_result *r, strbuf *out);
/* The one-line boot log (LOG_CONCURRENCY=true or SOLODYNO_LOG=1). */
void env_format_log(const struct env_result *r, strbuf *out);

void env_result_free(struct env_result *r);

#endif
