/* `solodyno env`: the tuned defaults for this dyno, for each variable the user
 * has not set.
 *
 * Every default goes through env_offer (name, value, origin), which applies
 * the one rule of who set a variable (README: "Your values win"):
 *
 * - With the start environment known (--start-env PID: the shell Heroku
 *   started with the config vars, or the CNB launcher; see start_env.h), a
 *   variable is the user's exactly when it is set, not empty, in that start
 *   environment. Anything exported after the start (a .profile.d script, an
 *   env.launch file, an exec.d program) is another buildpack's default,
 *   whatever marker it carries; a user's value another buildpack changed is
 *   put back, and a NAME_SET_BY marker left beside a user's value is cleared.
 * - Without it, a variable counts as another buildpack's default when
 *   NAME_SET_BY is set (e.g. WEB_CONCURRENCY_SET_BY=heroku/nodejs), and as the
 *   user's otherwise.
 * - Either way, a variable listed in SOLODYNO_DEFAULTS is ours from an earlier
 *   eval, and a variable set to the empty string counts as not set: an empty
 *   WEB_CONCURRENCY or MAX_THREADS reads as 0 in Ruby and would stop the app,
 *   and `heroku config:set X=` is how people clear a value.
 *
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
#include "dyno/start_env.h"
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
    ENV_RESTORED,  /* printed: the user's value, which another buildpack changed */
    ENV_CLEARED,   /* printed as unset (shell) or empty (TOML): another
                      buildpack's NAME_SET_BY marker beside the user's value */
};

struct env_entry {
    char *name;
    char *value;   /* ours, or the user's for ENV_USER and ENV_RESTORED */
    char *origin;  /* why this value */
    enum env_status status;
    /* ENV_REPLACED: the other buildpack's value; ENV_RESTORED: what the
     * user's had become (NULL: unset); ENV_CLEARED: the marker's value */
    char *other;
    char *other_by; /* who set other, from its NAME_SET_BY marker; NULL: unnamed */
};

struct env_result {
    const char *(*lookup)(const char *);
    /* The environment the dyno started with, or NULL when not asked for
     * (then NAME_SET_BY markers decide); start->data is NULL when it could
     * not be read (start->why_unknown says why). */
    const struct start_env *start;
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
 * is getenv in production; start may be NULL (see struct env_result). */
void env_collect(const char *app_dir, const char *(*lookup)(const char *),
                 const struct start_env *start, struct env_result *r);

/* `export NAME='value'` lines (only what is printed; `unset NAME` for
 * ENV_CLEARED), safe to eval. */
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
