#include "dyno/memory_policy.h"

#define MB (1024ULL * 1024)

/* used * 100 >= quota * pct, without overflow for any 64-bit values. */
static bool at_least_pct(unsigned long long used, unsigned long long quota, unsigned pct)
{
    return (unsigned __int128)used * 100 >= (unsigned __int128)quota * pct;
}

int watch_level(unsigned long long used, unsigned long long quota)
{
    if (quota == 0)
        return 0;
    if (at_least_pct(used, quota, WATCH_LEVEL_OVER_PCT))
        return 2;
    return at_least_pct(used, quota, WATCH_LEVEL_WARN_PCT) ? 1 : 0;
}

static bool recent(bool happened, long long at, long long now, long long window)
{
    return happened && now - at < window;
}

void watch_decide(struct watch_state *st, long long now, unsigned long long used,
                  unsigned long long quota, unsigned guard_pct, const struct watch_member *m,
                  size_t n, struct watch_decision *d)
{
    d->line = false;
    d->from = d->to = st->announced;
    d->restart = d->held_back = -1;
    if (quota == 0)
        return;

    int level = watch_level(used, quota);
    if (level != st->announced) {
        /* The line is about the highest level crossed, up or down. */
        int about = level > st->announced ? level : st->announced;
        if (!recent(st->line_written[about], st->line_ms[about], now, WATCH_LINE_EVERY_MS)) {
            d->line = true;
            d->from = st->announced;
            d->to = level;
            st->announced = level;
            st->line_written[about] = true;
            st->line_ms[about] = now;
        }
    }

    if (guard_pct == 0)
        return;
    if (!at_least_pct(used, quota, guard_pct)) {
        st->over = 0;
        return;
    }
    if (st->over < WATCH_OVER_SAMPLES)
        st->over++;
    if (st->over < WATCH_OVER_SAMPLES)
        return;

    int best = -1, biggest = -1;
    for (size_t i = 0; i < n; i++) {
        if (!m[i].may_restart || !m[i].restartable)
            continue;
        if (biggest < 0 || m[i].bytes > m[biggest].bytes)
            biggest = (int)i;
        if (recent(m[i].ever_restarted, m[i].restarted_ms, now, WATCH_RESTART_EVERY_MS))
            continue;
        if (best < 0 || m[i].bytes > m[best].bytes)
            best = (int)i;
    }
    if (best >= 0) {
        d->restart = best;
        st->over = 0; /* the next restart needs two new samples over */
    } else if (biggest >= 0 &&
               !recent(st->refusal_written, st->refusal_ms, now, WATCH_LINE_EVERY_MS)) {
        d->held_back = biggest;
        st->refusal_written = true;
        st->refusal_ms = now;
    }
}

void watch_format_usage(strbuf *out, unsigned long long used, unsigned long long quota)
{
    sb_printf(out, "%llu MB of %llu MB (%llu %%)", (used + MB / 2) / MB, (quota + MB / 2) / MB,
              quota ? (unsigned long long)(((unsigned __int128)used * 100 + quota / 2) / quota) : 0);
}

void watch_format_shares(strbuf *out, unsigned long long used, const struct watch_member *m,
                         size_t n)
{
    /* Biggest first, file order among equals: n is a handful, so pick the
     * biggest not yet written, n times. */
    unsigned long long last = 0;
    size_t last_index = 0;
    for (size_t k = 0; k < n; k++) {
        size_t pick = n;
        for (size_t i = 0; i < n; i++) {
            bool after_last = k == 0 || m[i].bytes < last || (m[i].bytes == last && i > last_index);
            if (after_last && (pick == n || m[i].bytes > m[pick].bytes))
                pick = i;
        }
        last = m[pick].bytes;
        last_index = pick;
        unsigned long long pct =
            used ? (unsigned long long)(((unsigned __int128)m[pick].bytes * 100 + used / 2) / used) : 0;
        sb_printf(out, "%s%s %llu MB (%llu %%)", k ? ", " : "", m[pick].name,
                  (m[pick].bytes + MB / 2) / MB, pct);
    }
}

void watch_format_level(strbuf *out, const struct watch_decision *d, unsigned long long used,
                        unsigned long long quota, const struct watch_member *m, size_t n)
{
    static const unsigned pct[] = {0, WATCH_LEVEL_WARN_PCT, WATCH_LEVEL_OVER_PCT};
    sb_append(out, "memory ");
    watch_format_usage(out, used, quota);
    if (d->to > d->from)
        sb_printf(out, ", over %u %%%s: ", pct[d->to], d->to == 2 ? " (the dyno's quota)" : "");
    else if (d->to > 0)
        sb_printf(out, ", back under %u %%: ", pct[d->to + 1]);
    else
        sb_printf(out, ", back under %u %%: ", pct[1]);
    watch_format_shares(out, used, m, n);
}
