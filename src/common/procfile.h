/* The Procfile grammar, shared by the app's Procfile and our Procfile.web.
 *
 * A file is a list of lines kept in order, so that a rewrite keeps every line
 * it did not change byte for byte (comments, blank lines, other process types,
 * lines we do not understand).
 *
 * Two modes (see the format description in README.md, "Procfile.web"):
 * - PROCFILE_APP reads the app's Procfile as leniently as Heroku does. Heroku's
 *   loose rule is ^\s*([a-zA-Z0-9_-]+):?\s+(.*) ; a line that matches only that
 *   rule is an entry with a warning, a line that matches nothing is kept
 *   verbatim with a warning. It never fails on content.
 * - PROCFILE_WEB reads Procfile.web strictly: NAME[@VAR|@!VAR]...: COMMAND (every
 *   condition must hold), and the first bad line is an error naming the file
 *   and line.
 * Both accept CRLF line endings, a UTF-8 byte order mark, blank lines and
 * '#' comments.
 */
#ifndef SOLODYNO_PROCFILE_H
#define SOLODYNO_PROCFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

#define PROC_NAME_MAX 63          /* process type / member names */
#define PROC_VAR_MAX 255          /* condition variable names */
#define PROC_LINE_MAX (64 * 1024) /* longer lines: kept (app) or refused (web) */
#define PROC_FILE_MAX (4 * 1024 * 1024)
#define PROC_CONDS_MAX 8          /* conditions of one Procfile.web member */

enum procfile_mode { PROCFILE_APP, PROCFILE_WEB };

enum proc_line_kind {
    PROC_BLANK,    /* empty or only white space */
    PROC_COMMENT,  /* first non-blank character is '#' */
    PROC_ENTRY,    /* name: command */
    PROC_UNPARSED, /* PROCFILE_APP only: kept verbatim, never interpreted */
};

/* One condition of a Procfile.web member: @VAR (VAR is "true") or @!VAR (it
 * is not). */
struct proc_cond {
    char *var;
    bool negated;
};

struct proc_line {
    enum proc_line_kind kind;
    int lineno;   /* 1-based; 0 for a line added by us */
    char *raw;    /* the line as read, without line ending (or BOM); NULL once changed */
    size_t raw_len; /* raw may hold NUL bytes in an unparsed line */
    char *name;   /* PROC_ENTRY: the process type or member name */
    char *command;
    /* PROCFILE_WEB: the member's conditions, all of which must hold (none:
     * it always runs), in the order written. */
    struct proc_cond *conds;
    size_t n_conds;
    /* The first condition (conds[0]), for callers that name one variable;
     * NULL without conditions. Points into conds: not to be freed. */
    const char *cond_var;
    bool cond_negated;
    bool superseded; /* PROC_ENTRY: a later entry has the same name (the last one wins) */
    bool crlf;       /* it ended in CR LF when read (kept on render) */
};

struct procfile {
    struct proc_line *lines;
    size_t n, cap;
    bool bom;           /* started with a UTF-8 byte order mark (kept on render) */
    bool crlf;          /* its first line ended in CRLF (new lines end so too) */
};

/* Parses data. label names the file in messages ("Procfile", "Procfile.web").
 * PROCFILE_APP: always returns 0; one warning per odd line is appended to diag
 * as "LABEL, line N: ...\n" (also for duplicate names: the last one wins).
 * PROCFILE_WEB: returns -1 at the first bad line with the error in diag. */
int procfile_parse(const char *data, size_t len, const char *label, enum procfile_mode mode,
                   struct procfile *pf, strbuf *diag);

/* Reads and parses the file at path (a regular file of at most PROC_FILE_MAX
 * bytes). Returns 0, 1 if it does not exist (pf is then empty), or -1 with an
 * error in diag (a directory, unreadable, too large, or a strict parse error). */
int procfile_load(const char *path, const char *label, enum procfile_mode mode,
                  struct procfile *pf, strbuf *diag);

/* True if line is an entry and the one that counts for its name (no later
 * entry of that name). Constant time: use it to walk the entries that count. */
bool procfile_counts(const struct proc_line *line);

/* The entry that counts for name: the last one, as the last one wins. */
struct proc_line *procfile_find(struct procfile *pf, const char *name);

/* The line Heroku runs for name: the last entry, or the last line we did not
 * understand that Heroku's loose rule would still read as name (kind
 * PROC_UNPARSED). A caller must not move or rewrite a command it cannot read. */
struct proc_line *procfile_find_any(struct procfile *pf, const char *name);

/* Sets name's command: replaces the entry that counts (and drops earlier
 * duplicates), or appends a new entry. cond_var may be NULL; otherwise it is
 * the entry's one condition. */
void procfile_set(struct procfile *pf, const char *name, const char *command,
                  const char *cond_var, bool cond_negated);

/* Removes every entry called name. */
void procfile_remove(struct procfile *pf, const char *name);

/* The file's bytes: unchanged lines as read, changed or new ones as
 * "name: command" (with "@VAR"/"@!VAR" for each condition), each line read
 * from the file ended as it was (LF or CR LF), each new line as the file's
 * first line, and the byte order mark kept. */
void procfile_render(const struct procfile *pf, strbuf *out);

void procfile_free(struct procfile *pf);

/* [A-Za-z0-9_-]{1,63} */
bool procfile_valid_name(const char *name, size_t len);

/* Whether a Procfile.web member runs on this dyno: every condition holds.
 * @VAR needs VAR to be exactly "true", @!VAR needs it not to be; no condition
 * always runs. lookup is getenv in production, a fake in tests. */
bool procfile_member_enabled(const struct proc_line *member, const char *(*lookup)(const char *));

/* Appends, for a person, what the member's conditions need and what each
 * variable is now, e.g. `RUN_WORKER is "true" (it is unset) and RUN_SCHEDULE
 * is not "true" (it is "true")`; nothing for a member without conditions. */
void procfile_describe_conditions(const struct proc_line *member, const char *(*lookup)(const char *),
                                  strbuf *out);

/* Appends the member's conditions as written: "@RUN_WORKER@!RUN_SCHEDULE". */
void procfile_format_conditions(const struct proc_line *member, strbuf *out);

#endif
