/* What the build learnt about the app, for `solodyno env` at dyno start.
 *
 * The app's files are the same in every app of a pipeline, so deciding these
 * at build is safe (unlike config vars, which differ between staging and
 * production). Recorded in APP_DIR/.solodyno/app-facts as "key=value" lines:
 *
 *   mastodon=true|false
 *   mastodon_version=4.3.2        (absent when unknown or not Mastodon)
 *   reads=SERVICE_TIMEOUT,WAIT_TIMEOUT   (tunable variables the app's code reads)
 */
#ifndef SOLODYNO_APP_FACTS_H
#define SOLODYNO_APP_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#define APP_FACTS_FILE ".solodyno/app-facts"

/* The variables whose use in the app's code we look for: knobs that only some
 * apps (or some Mastodon versions) read, so they are set only where read. */
extern const char *const app_facts_tunables[];

struct app_facts {
    bool mastodon;
    int version[3]; /* major, minor, patch; -1 when unknown */
    unsigned reads; /* bit i set: the code reads app_facts_tunables[i] */
};

/* The facts of a generic app: not Mastodon, version unknown, nothing read. */
void app_facts_init(struct app_facts *facts);

/* Writes APP_DIR/.solodyno/app-facts (atomically). Returns 0, or -1 with *why. */
int app_facts_write(const char *app_dir, const struct app_facts *facts, const char **why);

/* Dyno start: reads the recorded facts. A missing or unreadable file gives the
 * defaults of a generic app (not Mastodon, nothing read) and returns -1. */
int app_facts_read(const char *app_dir, struct app_facts *facts);

/* Parses the file's content (outside input: fuzzed). Unknown keys and bad
 * lines are skipped. */
void app_facts_parse(const char *data, size_t len, struct app_facts *facts);

/* True if the code reads the variable called name. */
bool app_facts_reads(const struct app_facts *facts, const char *name);

/* True if Mastodon's version is known and older than major.minor. */
bool app_facts_mastodon_before(const struct app_facts *facts, int major, int minor);

#endif
