/* The memory watch of `solodyno run`: every SOLODYNO_MEMORY_SAMPLE seconds,
 * each member's memory over all its processes (member_memory.c) and the
 * dyno's from its cgroup (cgroup.c); then the warnings and the guard's
 * decision (memory_policy.c) and, with SOLODYNO_METRICS=1, an l2met line
 * (l2met.c). The supervisor's loop calls it when it is due and carries out a
 * restart it asks for.
 */
#ifndef SOLODYNO_MEMORY_WATCH_H
#define SOLODYNO_MEMORY_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/strbuf.h"
#include "dyno/member_memory.h"
#include "dyno/memory_policy.h"
#include "dyno/watch_settings.h"

/* From this share of the quota on, every sample reads every PSS exactly. */
#define WATCH_EXACT_PCT 85u

struct memory_watch {
    unsigned long sample_ms;   /* 0: off */
    bool metrics;
    const char *source;        /* DYNO, for the metrics line */
    char *cg_root;
    struct watch_limits limits;
    size_t n;
    struct watch_member *members;
    struct member_memory *mem;
    struct member_walk walk;
    struct watch_state state;
    long long next_ms;
    unsigned long long used_before; /* at the last restart decision */
    unsigned long long last_used;   /* at the last sample */
};

/* Every function that has something to say appends it to notes: lines for
 * solodyno's log, without "solodyno: ", each ending in a newline. */

/* Sets the watch up for members names[0..n) running commands[0..n), with a
 * note saying what it will do. now: the loop's clock. */
void memory_watch_init(struct memory_watch *w, const struct watch_settings *s,
                       const char *(*lookup)(const char *), const char *const *names,
                       const char *const *commands, size_t n, long long now, strbuf *notes);

/* When the next sample is due (the loop's clock), or -1 when sampling is off. */
long long memory_watch_due(const struct memory_watch *w);

/* Takes a sample if it is due. groups[i]: member i's process group, 0 when
 * not running; restartable[i]: it may be restarted now. The metrics line (if
 * on) is appended to metrics, for the caller to write to stdout. Returns the
 * member to restart in place, or -1. */
int memory_watch_sample(struct memory_watch *w, long long now, const pid_t *groups,
                        const bool *restartable, strbuf *metrics, strbuf *notes);

/* Member i's old processes are gone, before it starts again: logs the
 * dyno's memory now and at the decision. */
void memory_watch_after_stop(struct memory_watch *w, size_t i, const pid_t *groups, strbuf *notes);

void memory_watch_free(struct memory_watch *w);

#endif
