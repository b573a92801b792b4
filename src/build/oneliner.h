/* Recognising the hand-made ways a web dyno runs several processes, so that
 * the one-dyno layout can take its member commands from them.
 *
 * Shapes understood (in a Procfile line, or in a script such as Mastodon's
 * bin/heroku-web):
 *
 * - select: one process chosen by a variable, e.g. Mastodon's bin/heroku-web
 *     if [ "$RUN_STREAMING" != "true" ]; then PUMA; else STREAMING; fi
 * - multi: processes started in the background, then waited for, e.g.
 *     trap '' SIGTERM; if [ "$RUN_STREAMING" != "true" ]; then PUMA & fi;
 *     if [ "$RUN_WORKER" == "true" ]; then sleep 25; SIDEKIQ & fi;
 *     wait -n; kill -SIGTERM -$$; wait
 *
 * Each process becomes a member: its command exactly as written (flags,
 * VAR=value prefixes, wrappers such as jemalloc.sh), the variable test around
 * it as the member's condition (a test nested inside becomes part of the
 * member's command), a `sleep N` before it as a `sleep N; ` prefix. The
 * supervision around them (trap '' SIGTERM, wait -n, kill -SIGTERM -$$, wait)
 * is what `solodyno run` does, so it is dropped. Anything else makes the
 * recognition fail with a reason: we never guess.
 */
#ifndef SOLODYNO_ONELINER_H
#define SOLODYNO_ONELINER_H

#include <stdbool.h>
#include <stddef.h>

#include "build/proc_command.h"
#include "common/strbuf.h"

struct ol_member {
    char *command;
    char *cond_var; /* NULL: always runs */
    bool cond_negated;
    enum proc_kind kind;
};

enum ol_shape {
    OL_SIMPLE, /* one command in the foreground: not a multi-process line */
    OL_SELECT, /* if/else choosing one foreground command */
    OL_MULTI,  /* background processes and a wait */
};

enum ol_status {
    OL_OK,
    OL_OTHER,    /* runs commands in sequence or some other way: not one of the shapes */
    OL_UNMAPPED, /* runs processes together, but in a way we cannot map */
};

struct ol_result {
    enum ol_shape shape;
    struct ol_member *members;
    size_t n;
    strbuf dropped; /* the supervision parts left out, "; "-separated, for the log */
    const char *why; /* OL_OTHER / OL_UNMAPPED: a static reason */
    char why_detail[128]; /* the command the reason is about, if any */
};

/* Reads cmd (a Procfile command, or a whole script when script is true, which
 * may span lines). */
enum ol_status oneliner_parse(const char *cmd, size_t len, struct ol_result *res);

void ol_result_free(struct ol_result *res);

#endif
