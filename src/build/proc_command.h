/* What a Procfile command runs, and the small rewrites we make to one.
 *
 * All of these read the command with shell_lex and leave alone whatever it
 * cannot read with confidence.
 */
#ifndef SOLODYNO_PROC_COMMAND_H
#define SOLODYNO_PROC_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "build/package_json.h"
#include "common/strbuf.h"

enum proc_kind {
    KIND_UNKNOWN,   /* something else, several kinds, or not readable */
    KIND_WEB,       /* puma, rails server, unicorn */
    KIND_SIDEKIQ,   /* sidekiq */
    KIND_STREAMING, /* node ./streaming (Mastodon's streaming server) */
};

/* What the command runs. Helpers around the program (sleep, echo, true) do not
 * count; two different kinds, or any other program, give KIND_UNKNOWN. */
enum proc_kind proc_kind_of(const char *cmd);

/* The app's package scripts, for reading `npm start` and the like: the root
 * package.json and the streaming server's own (streaming/package.json, a
 * workspace from Mastodon 4.3 on). Either may be empty. */
struct app_scripts {
    struct package_json root;
    struct package_json streaming;
};

/* proc_kind_of, knowing too what npm and yarn run: `npm start`, `npm run
 * NAME`, `npm run-script NAME`, `yarn start`, `yarn run NAME`, `yarn NAME`,
 * and in the streaming workspace `yarn workspace @mastodon/streaming start`
 * or `npm start -w streaming`, are the kind of what that script runs (for
 * Mastodon's "start": node ./streaming/index.js, or babel-node on it, the
 * streaming server). scripts may be NULL. */
enum proc_kind proc_kind_in_app(const char *cmd, const struct app_scripts *scripts);

/* Whether the root package.json's script name runs the streaming server;
 * *plain is set when it runs just `node ./streaming` (or streaming/index.js)
 * with nothing around it. */
bool package_script_runs_streaming(const struct app_scripts *scripts, const char *name, bool *plain);

/* What Sidekiq's concurrency becomes when a command does not set it: the
 * thread count solodyno env tunes, Sidekiq's own default otherwise. Quoted, so
 * the value is one argument whatever it holds (spaces, '*', '-r file'). */
#define SIDEKIQ_CONCURRENCY_ARGS "-c \"${SIDEKIQ_THREADS:-5}\""

/* Appends ' -c "${SIDEKIQ_THREADS:-5}"' to every sidekiq invocation in cmd that
 * sets neither -c nor --concurrency (at the end of that invocation, before any
 * ';', '&&', '|' that follows it). Returns true and the new command in out if
 * anything changed; false (out untouched) otherwise, also when cmd cannot be
 * read. */
bool sidekiq_add_concurrency(const char *cmd, strbuf *out);

/* Builds in out a command that runs cmd only when RUN_STREAMING is not "true"
 * (the release phase of the streaming app of a pipeline must not migrate).
 * cmd is embedded as it is when it reads as a complete command list, else
 * passed to bash -c as one quoted word; either way it does the same thing.
 * Returns false (out untouched) when cmd already looks at RUN_STREAMING. */
bool release_guard(const char *cmd, strbuf *out);

/* The message the guarded release prints on a streaming app. */
#define RELEASE_SKIP_MESSAGE "Not migrating on this app (RUN_STREAMING=true)"

#endif
