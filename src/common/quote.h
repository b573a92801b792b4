/* Putting outside values into generated shell and TOML: always escaped, never raw. */
#ifndef SOLODYNO_QUOTE_H
#define SOLODYNO_QUOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

/* Appends s as one single-quoted shell word: 'it'\''s'. Safe to eval for any
 * bytes except NUL (which a C string cannot hold). */
void sb_shell_quote(strbuf *sb, const char *s);

/* Appends s as a TOML basic string with its quotes. Returns false (and appends
 * nothing) when s is not valid UTF-8, which TOML cannot hold. */
bool sb_toml_string(strbuf *sb, const char *s);

/* True if the n bytes at s are well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);

#endif
