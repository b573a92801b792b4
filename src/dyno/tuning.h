/* The memory-budget model behind `solodyno env`: process and thread counts for
 * a dyno of a given memory and CPU count. Pure arithmetic, documented in the
 * README ("Runtime defaults"), whose per-dyno-size table `solodyno env
 * --table` prints.
 *
 * A booted Mastodon Ruby process (a Puma worker, Sidekiq) is budgeted at
 * TUNING_PROCESS_MB, each of its threads at TUNING_THREAD_MB. Calibrated on
 * the 512 MB web dyno that also runs Sidekiq: 1 Puma worker of 3 threads and
 * Sidekiq with 1 thread, (1 + 1) x 200 + (3 + 1) x 25 = 500 MB. Every count
 * is a clamped step function of memory, so none ever decreases as memory
 * grows; process counts (Puma workers, streaming cluster workers) are capped
 * by CPUs, thread counts are not (threads wait on I/O).
 */
#ifndef SOLODYNO_TUNING_H
#define SOLODYNO_TUNING_H

#include <stdbool.h>

#include "common/strbuf.h"

#define TUNING_PROCESS_MB 200u
#define TUNING_THREAD_MB 25u
/* On Fir (restarted at 100 % of its memory, no swap) the model plans within
 * this share of the dyno, keeping the rest as headroom (tuning.c). */
#define TUNING_FIR_PLAN_PCT 85u

struct tuning_input {
    unsigned memory_mb;
    unsigned cpus;
    bool puma;              /* Puma (the web command) runs here */
    bool sidekiq;           /* Sidekiq runs alongside it (RUN_WORKER) */
    bool dedicated_sidekiq; /* Sidekiq is the dyno's only process (worker dyno) */
    bool streaming;         /* the streaming server runs here */
    bool fir;               /* a Fir dyno: plan within TUNING_FIR_PLAN_PCT */
};

/* 0 means "not set on this dyno". */
struct tuning {
    unsigned web_concurrency;  /* Puma workers */
    unsigned max_threads;      /* Puma threads per worker */
    unsigned sidekiq_threads;  /* SIDEKIQ_THREADS = SIDEKIQ_CONCURRENCY */
    unsigned streaming_cluster; /* STREAMING_CLUSTER_NUM (Mastodon 1.2.1 to 4.1.2: clustered) */
    unsigned long long magick_memory_limit; /* bytes: half the dyno */
    unsigned magick_thread_limit;
    unsigned vips_concurrency;
    unsigned malloc_arena_max;
};

void tuning_compute(const struct tuning_input *in, struct tuning *out);

/* DB_POOL: twice the largest thread count of any Ruby process on the dyno (a
 * spare connection for each thread), so it is always larger than it. 0 when no
 * Ruby process runs here. */
unsigned tuning_db_pool(unsigned puma_threads, unsigned sidekiq_threads);

/* The memory the model expects the dyno's Ruby processes to use. */
unsigned tuning_estimate_mb(const struct tuning *t);

/* The README's table: every Heroku dyno size, its memory and CPU share, and
 * what the model gives for each kind of dyno (Markdown). */
void tuning_table(strbuf *out);

#endif
