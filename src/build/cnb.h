/* Cloud Native Buildpack output files (Buildpack API 0.10), written by bin/build
 * through `solodyno cnb`. Every value from the app or the build environment is
 * escaped as a TOML string here, never pasted into TOML by the shell.
 *
 * - launch.toml: one [[processes]] table per process type of the app's
 *   Procfile, as heroku/procfile writes them: command = ["bash", "-c"],
 *   args = [COMMAND] (API 0.9+ has no `direct` and no implicit shell; a user's
 *   `docker run IMAGE CMD` replaces args); `web` is the default process, or
 *   the only one.
 * - <layer>.toml: the layer's [types] (launch, build, cache) and [metadata].
 */
#ifndef SOLODYNO_CNB_H
#define SOLODYNO_CNB_H

#include <stdbool.h>
#include <stddef.h>

#include "common/procfile.h"
#include "common/strbuf.h"

/* CNB process types: letters, digits, '.', '_' and '-' (Procfile names are a
 * subset, but the lenient reading is not ours to trust). */
bool cnb_valid_process_type(const char *type);

/* True if line is the entry that counts for its process type (the last one of
 * that name) and can be declared in launch.toml: a valid type and a command
 * that is valid UTF-8. Otherwise false, with the reason in *why (static) when
 * the entry counts but cannot be declared. */
bool cnb_declarable(struct procfile *pf, const struct proc_line *line, const char **why);

/* Renders launch.toml for the declarable entries of the app's Procfile, in
 * file order. Skipped entries get one "Procfile, line N: ..." line in diag.
 * Returns the number of processes written; at most one is the default (web,
 * else the only process). */
size_t cnb_render_launch(struct procfile *pf, strbuf *out, strbuf *diag);

/* A metadata entry of a layer: key must be a TOML bare key ([A-Za-z0-9_-]+). */
struct cnb_meta {
    const char *key;
    const char *value;
};

/* Renders <layer>.toml: [types] with all three booleans spelled out, then
 * [metadata] with the entries as strings. Returns false (out unchanged, the
 * reason in diag) for a bad or repeated key or a value that is not UTF-8. */
bool cnb_render_layer(bool launch, bool build, bool cache, const struct cnb_meta *meta, size_t n,
                      strbuf *out, strbuf *diag);

#endif
