/* The metrics line of `solodyno run` (SOLODYNO_METRICS=1), in the l2met form
 * Heroku's log-runtime-metrics writes every 20 s (Heroku Dev Center, "Heroku
 * Labs: log-runtime-metrics", updated 2023-05-24):
 *
 *   source=web.1 dyno=heroku.2808254.d97d... sample#memory_total=21.00MB
 *   sample#memory_rss=21.22MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB
 *   sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages
 *   sample#memory_quota=512.00MB
 *
 * Ours has the dyno's total, swap and quota under the same names, and one
 * sample#memory.<member> per member (its PSS plus swap), which log add-ons
 * that read l2met (Librato) turn into one graph per member. MB there is
 * 2^20 bytes (a 512 MB dyno's quota reads 512.00MB), with two decimals.
 */
#ifndef SOLODYNO_L2MET_H
#define SOLODYNO_L2MET_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"
#include "dyno/memory_policy.h"

/* Whether text can be an l2met source or metric name part: [A-Za-z0-9._-],
 * 1 to 200 bytes (DYNO comes from outside; anything else is left out). */
bool l2met_name_ok(const char *text);

/* The whole line, with a newline. source (DYNO) is left out when NULL or
 * not l2met_name_ok; quota 0 (unknown) leaves out memory_quota. */
void l2met_memory_line(strbuf *out, const char *source, unsigned long long total,
                       unsigned long long swap, unsigned long long quota,
                       const struct watch_member *m, size_t n);

#endif
