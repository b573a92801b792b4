/* Boot order: on a web dyno, the members after the first one that binds
 * $PORT start once something listens on $PORT (net_listen.c), or after
 * SOLODYNO_BOOT_WAIT at most, so the web process gets the CPU to itself
 * while it boots: Heroku fails a web dyno that has not bound $PORT within
 * 60 s of its start (R10), and Puma and Sidekiq loading a Rails app at once
 * share one CPU share. Members before it, and the one itself, start at once.
 */
#ifndef SOLODYNO_BOOT_ORDER_H
#define SOLODYNO_BOOT_ORDER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"
#include "dyno/watch_settings.h"

/* How often to look at /proc/net/tcp while members wait. */
#define BOOT_POLL_MS 100

struct boot_order {
    size_t first_batch;  /* members [0, first_batch) start at once */
    size_t n;
    int binder;          /* the member that binds $PORT, or -1 */
    unsigned port;
    unsigned long wait_ms; /* SOLODYNO_BOOT_WAIT */
    bool waiting;        /* members [first_batch, n) wait */
    long long since_ms, deadline_ms, next_check_ms;
};

/* Decides who waits. port: $PORT (NULL on a dyno without one: nobody waits).
 * What it has to say goes to notes (log lines without "solodyno: "). */
void boot_order_plan(struct boot_order *b, const struct watch_settings *s, const char *port,
                     const char *const *commands, size_t n, strbuf *notes);

/* The first batch has just been started, at now. */
void boot_order_started(struct boot_order *b, long long now);

/* When to call boot_order_check next, or -1 when nobody waits. */
long long boot_order_due(const struct boot_order *b);

/* Whether the rest may start now; then notes, once, which members start and
 * why ("sidekiq: starting; puma listens on 5000 after 12.3 s"). */
bool boot_order_check(struct boot_order *b, long long now, const char *const *names, strbuf *notes);

#endif
