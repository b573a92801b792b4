/* .slugignore: the paths Heroku removes from an app's source before the
 * buildpacks run.
 *
 * Heroku documents the format as "roughly the same as .gitignore, except that
 * negated (!) patterns are not supported". What this matcher implements:
 *
 * - One pattern per line. Blank lines match nothing; a line whose first
 *   non-blank character is '#' is a comment. Leading and trailing white space
 *   is dropped (a trailing space can be kept as "\ "). CRLF line ends and a
 *   UTF-8 byte order mark are tolerated.
 * - "!pattern" (negation) is not supported by Heroku: the line is skipped with
 *   a warning naming the file and line. "\!" and "\#" start a pattern with a
 *   literal '!' or '#'.
 * - A trailing '/' matches directories only ("log/").
 * - A pattern with no other '/' matches a name at any depth ("spec", "*.psd");
 *   one with a '/' at the start or in the middle is relative to the app's root
 *   ("/spec", "doc/ *.pdf" without the space). "." and empty segments are dropped ("./spec").
 * - Globs: '*' any run of characters but '/', '?' one character but '/',
 *   "[a-z]", "[!0-9]" / "[^0-9]" and "[[:alpha:]]" classes, '\' escapes the next
 *   character. "**" as a whole segment matches zero or more directories
 *   (leading, as in "** /spec", or between two names); at the end ("assets/ **")
 *   it matches everything inside, one level or more (spaces added here only to
 *   keep this comment a comment). Elsewhere "**" is a plain '*'. A '*' matches a
 *   leading dot as well (as in .gitignore).
 * - A directory that matches is removed with everything in it.
 *
 * Names are compared as bytes: names that are not UTF-8 work too.
 */
#ifndef SOLODYNO_SLUGIGNORE_H
#define SOLODYNO_SLUGIGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

#define SLUGIGNORE_FILE ".slugignore"
#define SLUGIGNORE_LINE_MAX 4096              /* longer lines are skipped, with a warning */
#define SLUGIGNORE_FILE_MAX (1024 * 1024)

struct slugignore_rule {
    char **segs;    /* the pattern split at '/', each a glob for one name */
    size_t nsegs;
    bool anchored;  /* relative to the root (had a '/' before its end) */
    bool dir_only;  /* had a trailing '/' */
    int lineno;
};

struct slugignore {
    struct slugignore_rule *rules;
    size_t n, cap;
};

#define SLUGIGNORE_INIT {NULL, 0, 0}

/* Parses the file's content (outside input: fuzzed). Never fails on content:
 * a line that cannot be used is skipped with a warning appended to diag as
 * "LABEL, line N: ...\n". */
void slugignore_parse(const char *data, size_t len, const char *label, struct slugignore *si,
                      strbuf *diag);

/* True if path (relative to the root, '/'-separated, no leading "./" or
 * trailing '/') matches a rule. is_dir: path is a directory (not a symlink to
 * one). */
bool slugignore_match(const struct slugignore *si, const char *path, size_t path_len, bool is_dir);

void slugignore_free(struct slugignore *si);

/* One glob against one name (no '/' in either). Exposed for the unit tests. */
bool slugignore_glob(const char *pat, size_t plen, const char *name, size_t nlen);

struct slugignore_result {
    size_t matched;      /* paths that matched (a directory counts once) */
    size_t removed;      /* entries removed, including what was inside matched directories */
    strbuf shown;        /* the first few matched paths, ", "-separated, for the log */
};

/* Removes from root every path that matches si, never following symlinks.
 * Paths that match keep (may be NULL) are left alone and not looked into, also
 * inside a matched directory (which then stays, holding only what is kept).
 * Returns 0, or -1 with the reason (naming the path) in diag; what was removed
 * before the error stays removed. */
int slugignore_apply(const char *root, const struct slugignore *si, const struct slugignore *keep,
                     struct slugignore_result *res, strbuf *diag);

#endif
