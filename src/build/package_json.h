/* What the build needs from an app's package.json: its "name", its "type",
 * and its "scripts" (what `npm start` or `yarn run NAME` runs).
 *
 * A strict JSON reader (RFC 8259; a UTF-8 byte order mark is tolerated, as
 * npm tolerates it): anything that is not valid JSON, or whose top level is
 * not an object, is not read at all, and the caller treats the app as having
 * no scripts. As with JSON.parse, which npm and yarn use, the last of
 * duplicate keys wins.
 */
#ifndef SOLODYNO_PACKAGE_JSON_H
#define SOLODYNO_PACKAGE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define PKG_SCRIPTS_MAX 128 /* scripts kept; more are ignored */

struct pkg_script {
    char *name;
    char *command;
};

struct package_json {
    char *name; /* "name" when a string, else NULL */
    char *type; /* "type" when a string ("module", "commonjs"), else NULL */
    struct pkg_script scripts[PKG_SCRIPTS_MAX];
    size_t n_scripts;
};

/* Parses data. Returns 0, or -1 (pj then empty) when it is not a JSON object. */
int package_json_parse(const char *data, size_t len, struct package_json *pj);

/* The command of script name, or NULL. */
const char *package_json_script(const struct package_json *pj, const char *name);

void package_json_free(struct package_json *pj);

#endif
