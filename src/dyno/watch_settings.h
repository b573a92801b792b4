/* The config vars of `solodyno run`'s memory watch and boot order, and what
 * they mean on this dyno (for the run itself and for `solodyno env --explain`).
 *
 *   SOLODYNO_MEMORY_SAMPLE   seconds between samples (default 20, the period
 *                            of Heroku's log-runtime-metrics); 0: no sampling
 *   SOLODYNO_METRICS         1: an l2met metrics line per sample (default 0)
 *   SOLODYNO_MEMORY_RESTART  the members the guard may restart in place, by
 *                            name (commas or blanks between); "none": no
 *                            guard; default: the members that run Sidekiq,
 *                            whose restart puts unfinished jobs back in Redis
 *   SOLODYNO_BOOT_WAIT       the longest a member waits for $PORT (default
 *                            45 s, under the 60 s after which Heroku fails a
 *                            web dyno that has not bound it: R10)
 *   SOLODYNO_BOOT            "order" (default) or "together"
 *
 * A bad value is a warning and the default: a tuning variable must never
 * keep the dyno from starting.
 */
#ifndef SOLODYNO_WATCH_SETTINGS_H
#define SOLODYNO_WATCH_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/procfile.h"
#include "common/strbuf.h"
#include "dyno/cgroup.h"

#define WATCH_SAMPLE_DEFAULT_MS 20000UL
#define WATCH_SAMPLE_MIN_MS 100UL
#define WATCH_SAMPLE_MAX_MS 3600000UL
#define BOOT_WAIT_DEFAULT_MS 45000UL
#define BOOT_WAIT_MAX_MS 3600000UL

struct watch_settings {
    unsigned long sample_ms;  /* 0: off */
    bool metrics;
    bool restart_default;     /* SOLODYNO_MEMORY_RESTART unset: the Sidekiq members */
    bool restart_none;
    char *restart_names;      /* the list as given, names separated by NUL, ending in "" */
    unsigned long boot_wait_ms;
    bool boot_together;
};

/* Reads the five variables. Warnings (one line each, no "solodyno: ") are
 * appended to warnings. pf (may be NULL) is the whole Procfile.web: a name in
 * SOLODYNO_MEMORY_RESTART that is none of its entries is warned about. */
void watch_settings_read(const char *(*lookup)(const char *), const struct procfile *pf,
                         struct watch_settings *s, strbuf *warnings);
void watch_settings_free(struct watch_settings *s);

/* Whether the guard may restart the member called name running command. */
bool watch_may_restart(const struct watch_settings *s, const char *name, const char *command);

/* Whether the member's command binds $PORT: it runs a web server (Puma,
 * Rails' server, Unicorn, Mastodon's streaming server: each reads PORT
 * itself, as Mastodon's config/puma.rb does) or names $PORT. */
bool member_binds_port(const char *command);

/* What the dyno's memory is measured against, and when the guard acts. */
struct watch_limits {
    unsigned long long quota;  /* bytes; 0: unknown (no warnings, no guard) */
    const char *quota_from;
    bool usage_from_cgroup;    /* else the sum of the members' processes */
    unsigned guard_pct;        /* 100, or WATCH_GUARD_FATAL_PCT where going over is fatal */
    const char *guard_why;
};

/* From the dyno's resources (dyno_resources_detect), its cgroup and DYNO. */
void watch_limits_decide(const struct dyno_resources *res, const struct cg_memory *cg,
                         const char *dyno, bool system_swap, struct watch_limits *l);

/* "20 s", "2.5 s", "0.1 s" */
const char *watch_seconds_text(unsigned long ms, char *space, size_t size);

/* True when this kernel has swap at all (sysinfo). */
bool watch_system_swap(void);

/* The lines `solodyno env --explain` shows about the watch and the boot
 * order, for the Procfile.web in app_dir (if it has one). */
void watch_explain(const char *(*lookup)(const char *), const char *app_dir,
                   const struct dyno_resources *res, strbuf *out);

#endif
