/* A small, conservative reader of the bash commands found in Procfiles.
 *
 * It splits a command line into words, operators and redirections, the way
 * bash would, so that we can recognise shapes ("puma ... & sidekiq ... & wait
 * -n"), find a program's flags, or tell whether a command can be embedded in
 * another one. It never expands anything. Whatever it is not sure about (a
 * here-document, a sub-shell, an unterminated quote) makes it fail, and the
 * callers then leave the command alone: guessing would change what runs.
 */
#ifndef SOLODYNO_SHELL_LEX_H
#define SOLODYNO_SHELL_LEX_H

#include <stdbool.h>
#include <stddef.h>

enum sh_tok_kind {
    SH_WORD,    /* a word; value holds it with quotes and backslashes removed */
    SH_REDIR,   /* >, >>, 2>&1's "2>&", <, &>, ... (the target is the next word) */
    SH_SEMI,    /* ; */
    SH_AMP,     /* & (run in the background) */
    SH_AND,     /* && */
    SH_OR,      /* || */
    SH_PIPE,    /* | or |& */
    SH_NEWLINE, /* a line break (in scripts) */
};

struct sh_tok {
    enum sh_tok_kind kind;
    size_t start, end; /* the token's bytes in the input: [start, end) */
    char *value;       /* SH_WORD: the word without its quoting (malloc'd) */
    bool quoted;       /* SH_WORD: some part of it was quoted or escaped */
    bool redir_target; /* SH_WORD: the target of the redirection before it */
};

struct sh_toks {
    struct sh_tok *t;
    size_t n, cap;
};

/* Splits s[0..len) into tokens. Comments ('#' starting a word) are skipped up
 * to the end of their line. Returns 0, or -1 with *why set to a static reason
 * (unterminated quote or substitution, here-document, sub-shell or group,
 * ";;", a NUL byte). */
int sh_lex(const char *s, size_t len, struct sh_toks *out, const char **why);

void sh_toks_free(struct sh_toks *toks);

/* True for tokens that end a simple command (; & && || | newline). */
bool sh_is_separator(enum sh_tok_kind kind);

/* True if word looks like NAME=value (an assignment before a command). */
bool sh_is_assignment(const char *word);

/* The index of the program word of the simple command made of tokens
 * [from, to): keywords before it (if, then, else, fi, do, !), assignments,
 * redirections and wrappers that run the rest of the line (exec, env, nice,
 * nohup, time, bundle exec, jemalloc.sh) are skipped.
 * Returns `to` when the simple command runs no program. */
size_t sh_program_word(const struct sh_toks *toks, size_t from, size_t to);

/* The last path component of a word ("bin/rails" -> "rails"). */
const char *sh_basename(const char *word);

#endif
