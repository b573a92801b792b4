/* Which environment variables a piece of the app's code really reads.
 *
 * The scan of the app (app_scan.c) asks this for each code file, to know
 * which tuning knobs the app reads. A name counts only where the code reads
 * it; a comment, a string, or a constant that merely bears the name does not
 * (Mastodon's `WAIT_TIMEOUT = 5` in app/lib/request_pool.rb is a constant).
 *
 * - Ruby: ENV['X'], ENV["X"], ENV.fetch('X' ...), ENV.key?('X') (also
 *   has_key?, include?, member?), in code and inside "#{...}"; comments,
 *   =begin/=end, strings, %-literals, regexps, heredocs and __END__ are
 *   skipped.
 * - ERB (.erb templates, and YAML such as config/database.yml and
 *   config/sidekiq.yml): the Ruby inside <% %> and <%= %>; <%# %> is a
 *   comment, and in YAML a tag on a comment line reads nothing that matters.
 * - JavaScript and TypeScript: process.env.X, process.env?.X,
 *   process.env['X'], destructuring (const { X, Y: y } = process.env), and
 *   a name given to process.env itself (const env = process.env; env.X);
 *   comments, strings, regexps and template text are skipped, "${...}"
 *   is code.
 *
 * These are small, conservative lexers, not parsers: they never fail, and
 * what they cannot follow they skip.
 */
#ifndef SOLODYNO_CODE_READS_H
#define SOLODYNO_CODE_READS_H

#include <stdbool.h>
#include <stddef.h>

/* Called for each read: the variable's name (len bytes, not terminated) and
 * the 1-based line it is read on. */
typedef void (*env_read_fn)(void *ctx, const char *name, size_t len, int line);

void ruby_env_reads(const char *src, size_t len, env_read_fn found, void *ctx);

/* yaml: a YAML file (comment lines count as comments). */
void erb_env_reads(const char *src, size_t len, bool yaml, env_read_fn found, void *ctx);

void js_env_reads(const char *src, size_t len, env_read_fn found, void *ctx);

#endif
