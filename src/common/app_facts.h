/* What the build learnt about the app, for `solodyno env` at dyno start.
 *
 * The app's files are the same in every app of a pipeline, so deciding these
 * at build is safe (unlike config vars, which differ between staging and
 * production). Recorded in APP_DIR/.solodyno/app-facts as "key=value" lines:
 *
 *   mastodon=true|false
 *   mastodon_version=4.8.0-alpha.1   (as version.rb writes it; absent when
 *                                     unknown or not Mastodon)
 *   reads=SERVICE_TIMEOUT,WAIT_TIMEOUT   (tunable variables the app's code reads)
 *   read.SERVICE_TIMEOUT=config/initializers/timeout.rb:4   (where, for each:
 *                                     the first read the scan found)
 */
#ifndef SOLODYNO_APP_FACTS_H
#define SOLODYNO_APP_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

#define APP_FACTS_FILE ".solodyno/app-facts"
#define APP_FACTS_TUNABLES 8        /* entries of app_facts_tunables */
#define APP_FACTS_VERSION_MAX 40    /* "4.8.0-alpha.1" */
#define APP_FACTS_WHERE_MAX 160     /* "config/database.yml:3" */

/* The variables whose use in the app's code we look for: knobs that only some
 * apps (or some Mastodon versions) read, so they are set only where read. */
extern const char *const app_facts_tunables[];

struct app_facts {
    bool mastodon;
    int version[3]; /* major, minor, patch; -1 when unknown */
    /* the version as written, prerelease and all ("4.8.0-alpha.1"); "" when unknown */
    char version_text[APP_FACTS_VERSION_MAX + 1];
    unsigned reads; /* bit i set: the code reads app_facts_tunables[i] */
    /* for each bit of reads: the file and line of a read ("config/database.yml:3");
     * printable ASCII only, "" when not known */
    char where[APP_FACTS_TUNABLES][APP_FACTS_WHERE_MAX];
};

/* The facts of a generic app: not Mastodon, version unknown, nothing read. */
void app_facts_init(struct app_facts *facts);

/* Writes APP_DIR/.solodyno/app-facts (atomically). Returns 0, or -1 with *why. */
int app_facts_write(const char *app_dir, const struct app_facts *facts, const char **why);

/* The file's content for facts (what app_facts_write writes). */
void app_facts_format(const struct app_facts *facts, strbuf *out);

/* Dyno start: reads the recorded facts. A missing or unreadable file gives the
 * defaults of a generic app (not Mastodon, nothing read) and returns -1. */
int app_facts_read(const char *app_dir, struct app_facts *facts);

/* Parses the file's content (outside input: fuzzed). Unknown keys and bad
 * lines are skipped. */
void app_facts_parse(const char *data, size_t len, struct app_facts *facts);

/* True if the code reads the variable called name. */
bool app_facts_reads(const struct app_facts *facts, const char *name);

/* Where the code reads name ("config/database.yml:3"), or NULL when it does
 * not (or the place is not known). */
const char *app_facts_where(const struct app_facts *facts, const char *name);

/* Records that the code reads name at where (a file and line; cut and made
 * printable); the first place recorded stays. False for a name that is not
 * a tunable. */
bool app_facts_record_read(struct app_facts *facts, const char *name, size_t len, const char *where);

/* Sets the version from its text ("4.3.2", "4.8.0-alpha.1", "2.4.0rc1"):
 * version[] from its leading numbers. False (version unknown) for text that
 * does not start with MAJOR.MINOR or holds other characters than
 * [0-9A-Za-z.+-]. */
bool app_facts_set_version(struct app_facts *facts, const char *text, size_t len);

/* True if Mastodon's version is known and older than major.minor. */
bool app_facts_mastodon_before(const struct app_facts *facts, int major, int minor);

#endif
