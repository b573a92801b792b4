/* The managed block of the app's .profile (`solodyno profile APP_DIR`).
 *
 * Heroku sources .profile after every .profile.d script, so the block has the
 * last word (unless a .bash_profile or .bash_login keeps bash from reading
 * .profile: the build warns, see cmd_profile): it puts $HOME/.solodyno/bin on PATH and evals `solodyno env
 * --shell`. It sits between two marker lines; the user's lines before and
 * after it are kept byte for byte (CRLF ones too: the markers are recognised
 * with or without CR, and the block itself is always written with LF, since
 * bash cannot run `then\r`). A second run changes nothing. The block sets no
 * trap: an ignored signal would be inherited by every process of the dyno.
 */
#ifndef SOLODYNO_PROFILE_H
#define SOLODYNO_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

#define PROFILE_BEGIN "# >>> solodyno: runtime defaults (written by the solodyno buildpack at every build; edits inside are lost) >>>"
#define PROFILE_BEGIN_PREFIX "# >>> solodyno"
#define PROFILE_END "# <<< solodyno <<<"

/* The block, marker lines included, each line ending in LF. */
extern const char profile_block[];

/* Puts the block into the .profile content old[0..n): in place of the
 * existing block, else at the end (after adding a line ending to a last line
 * that has none). Returns 0 with the new content appended to out, or -1 with
 * *why and *line (1-based) set when the markers do not form one block. */
int profile_rewrite(const char *old, size_t n, strbuf *out, const char **why, size_t *line);

/* True when the bash code text[0..n) sources .profile: a `.` or `source`
 * command whose argument, quotes removed, is `.profile` or ends in
 * `/.profile` (`. ~/.profile`, `source "$HOME/.profile"`, ...). Comments are
 * skipped; anything subtler counts as not sourcing it. */
bool profile_sourced_by(const char *text, size_t n);

#endif
