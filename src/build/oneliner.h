/* Recognising the hand-made ways a web dyno runs several processes, so that
 * the one-dyno layout can take its member commands from them.
 *
 * Shapes understood (in a Procfile line, or in a script such as Mastodon's
 * bin/heroku-web):
 *
 * - select: one process chosen by variables, e.g. Mastodon's bin/heroku-web
 *     if [ "$RUN_STREAMING" != "true" ]; then PUMA; else STREAMING; fi
 *   (or elif chains of such tests, or [ "$VAR" == "true" ] && CMD alone)
 * - multi: processes started in the background, then waited for, e.g.
 *     trap '' SIGTERM; if [ "$RUN_STREAMING" != "true" ]; then PUMA & fi;
 *     if [ "$RUN_WORKER" == "true" ]; then sleep 25; SIDEKIQ & fi;
 *     wait -n; kill -SIGTERM -$$; wait
 *
 * Each process becomes a member: its command exactly as written (flags,
 * VAR=value prefixes, wrappers such as jemalloc.sh), a `sleep N` before it as
 * a `sleep N; ` prefix, and every variable test that decides whether it runs
 * as one of the member's conditions (all must hold, as in Procfile.web):
 *   if [ "$VAR" == "true" ]; then ... fi      (!= for @!VAR; [[ ]], test, =)
 *   if [ A ] && [ B ]; then ... elif ...; else ... fi   (nested ones add up)
 *   [ "$VAR" == "true" ] && CMD               ([ ... ] || CMD: the opposite)
 * No member may end merely because such a test was false, so any other test
 * that decides whether a process runs (say [ -f x ], or a test inside the
 * command) makes the recognition fail, except an if/else of such a test with
 * one process in each branch, which always runs one of them and is kept
 * whole as the member's command. The supervision around the processes
 * (trap '' SIGTERM, wait -n, kill -SIGTERM -$$, wait) is what `solodyno run`
 * does, so it is dropped. Anything else makes the recognition fail with a
 * reason: we never guess.
 */
#ifndef SOLODYNO_ONELINER_H
#define SOLODYNO_ONELINER_H

#include <stdbool.h>
#include <stddef.h>

#include "build/proc_command.h"
#include "common/procfile.h"
#include "common/strbuf.h"

struct ol_member {
    char *command;
    struct proc_cond *conds; /* all must hold; none: always runs */
    size_t n_conds;
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
