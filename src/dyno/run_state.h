/* The state file of a running `solodyno run`, read by `solodyno signal`.
 *
 * solodyno signal runs in another session on the dyno (`heroku ps:exec`), so
 * it needs to find the supervisor and its members. Each solodyno run writes
 * one small file, replaced atomically (temporary file, then rename) whenever a
 * member starts, and removed at exit:
 *     DIR/run-PID      (DIR: $SOLODYNO_RUN_DIR, else /tmp/solodyno-UID)
 * holding lines
 *     solodyno-run 1
 *     pid PID START          START: its start time (/proc/PID/stat field 22),
 *     file FILE                     which tells it from a later process that
 *     member NAME PID               got the same pid
 * Names are Procfile names ([A-Za-z0-9_-]), so the format needs no quoting.
 * The directory is created 0700 and used only if it is ours and not a
 * symbolic link (/tmp is shared).
 */
#ifndef SOLODYNO_RUN_STATE_H
#define SOLODYNO_RUN_STATE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/procfile.h"

struct run_state_member {
    char name[PROC_NAME_MAX + 1];
    pid_t pid;
};

struct run_state {
    pid_t pid;                  /* the supervisor */
    unsigned long long start;
    char file[4096];
    struct run_state_member *members;
    size_t n;
};

/* The state directory (static storage). */
const char *run_state_dir(void);

/* Every state file of a live supervisor in the state directory. A file whose
 * supervisor is gone (killed without cleaning up) is removed. Returns -1 if
 * the directory cannot be used (then *n is 0). */
int run_state_read_all(struct run_state **states, size_t *n);
void run_state_free_all(struct run_state *states, size_t n);

#endif
