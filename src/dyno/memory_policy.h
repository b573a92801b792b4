/* What `solodyno run` does about the dyno's memory, decided from one sample
 * at a time: pure functions over the samples (no clock, no I/O), so each rule
 * is tested on a sequence of made-up samples.
 *
 * Warnings: levels 90 % and 100 % of the quota. A line when the dyno crosses
 * a level up or down, naming every member's share, biggest first; at most one
 * line about a level per 5 minutes (one that is held back comes later if the
 * state holds: the log always catches up with the truth).
 *
 * The guard: when the dyno is at or over its guard level for two samples in
 * a row, restart the biggest member it may restart that was not restarted in
 * the last 10 minutes (a restart loop is worse than R14); if there is none,
 * say so instead, at most once per 5 minutes. The guard level is the quota
 * where going over it only swaps (Heroku's Cedar: R14 and swap past 100 %,
 * R15 at 200 %), and 90 % where going over it is fatal (Fir restarts a dyno
 * at 100 % of its quota; a cgroup with no room to swap meets the kernel's OOM
 * killer there). Sources: Heroku Dev Center, "Dyno Memory Behavior" (updated
 * 2025-03-28) and "Heroku Error Codes" (R14, R15).
 */
#ifndef SOLODYNO_MEMORY_POLICY_H
#define SOLODYNO_MEMORY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

#define WATCH_LEVEL_WARN_PCT 90u
#define WATCH_LEVEL_OVER_PCT 100u
#define WATCH_GUARD_FATAL_PCT 90u     /* the guard level where going over is fatal */
#define WATCH_LINE_EVERY_MS (5LL * 60 * 1000)
#define WATCH_RESTART_EVERY_MS (10LL * 60 * 1000)
#define WATCH_OVER_SAMPLES 2u

/* 0: under 90 %; 1: at or over 90 %; 2: at or over 100 %. */
int watch_level(unsigned long long used, unsigned long long quota);

struct watch_member {
    const char *name;
    unsigned long long bytes; /* PSS + swap over all its processes */
    bool may_restart;         /* SOLODYNO_MEMORY_RESTART allows it */
    bool restartable;         /* running now, not already being restarted */
    bool ever_restarted;      /* by the guard; then restarted_ms holds when */
    long long restarted_ms;
};

struct watch_state {
    int announced;             /* the level the log last stated */
    bool line_written[3];      /* per level: a line about it was written... */
    long long line_ms[3];      /* ...at this time */
    unsigned over;             /* samples in a row at or over the guard level */
    bool refusal_written;
    long long refusal_ms;
};

struct watch_decision {
    bool line;       /* write a level line: the dyno went from level `from` to `to` */
    int from, to;
    int restart;     /* the member to restart in place, or -1 */
    int held_back;   /* the member the 10-minute rule keeps from a restart, or -1 */
};

/* One sample: used and quota in bytes (quota 0: unknown, nothing to decide),
 * guard_pct the guard level (0: guard off), now in milliseconds on any
 * monotonic clock. Updates st; the caller sets the member's restarted_ms when
 * it acts on d->restart. */
void watch_decide(struct watch_state *st, long long now, unsigned long long used,
                  unsigned long long quota, unsigned guard_pct, const struct watch_member *m,
                  size_t n, struct watch_decision *d);

/* "memory 468 MB of 512 MB (91 %), over 90 %: sidekiq 250 MB (53 %), puma
 * 200 MB (43 %)": the level line (no "solodyno: " and no newline). */
void watch_format_level(strbuf *out, const struct watch_decision *d, unsigned long long used,
                        unsigned long long quota, const struct watch_member *m, size_t n);

/* "sidekiq 250 MB (53 %), puma 200 MB (43 %)": every member, biggest first,
 * its share of used. */
void watch_format_shares(strbuf *out, unsigned long long used, const struct watch_member *m,
                         size_t n);

/* "468 MB of 512 MB (91 %)" */
void watch_format_usage(strbuf *out, unsigned long long used, unsigned long long quota);

#endif
