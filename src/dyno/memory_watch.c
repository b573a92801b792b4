#include "dyno/memory_watch.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "dyno/l2met.h"

/* Bytes the dyno uses, by the measure watch_limits chose, after a fresh
 * sample of the members. *swap: of which in swap. */
static unsigned long long measure(struct memory_watch *w, const pid_t *groups, bool exact,
                                  unsigned long long *swap)
{
    struct member_memory others;
    member_memory_sample(&w->walk, groups, w->n, exact, w->mem, &others);
    unsigned long long sum = (others.pss_kb + others.swap_kb) * 1024, sum_swap = others.swap_kb * 1024;
    for (size_t i = 0; i < w->n; i++) {
        w->members[i].bytes = (w->mem[i].pss_kb + w->mem[i].swap_kb) * 1024;
        sum += w->members[i].bytes;
        sum_swap += w->mem[i].swap_kb * 1024;
    }
    if (w->limits.usage_from_cgroup) {
        struct cg_memory cg;
        cg_memory_read(w->cg_root, &cg);
        if (cg.version) {
            /* Without swap accounting the cgroup's usage stops at its limit
             * (past it, pages go to swap, unseen): the processes' own swap
             * counts then, as the kernel tells it per process. */
            if (!cg.swap_known) {
                cg.swap = sum_swap;
                cg.swap_known = true;
            }
            *swap = cg.swap;
            return cg_memory_used(&cg);
        }
    }
    *swap = sum_swap;
    return sum;
}

void memory_watch_init(struct memory_watch *w, const struct watch_settings *s,
                       const char *(*lookup)(const char *), const char *const *names,
                       const char *const *commands, size_t n, long long now, strbuf *notes)
{
    memset(w, 0, sizeof *w);
    w->sample_ms = s->sample_ms;
    w->metrics = s->metrics;
    w->source = lookup("DYNO");
    w->n = n;
    w->members = xrealloc(NULL, (n ? n : 1) * sizeof *w->members);
    w->mem = xrealloc(NULL, (n ? n : 1) * sizeof *w->mem);
    memset(w->members, 0, (n ? n : 1) * sizeof *w->members);
    strbuf allowed = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        w->members[i].name = names[i];
        w->members[i].may_restart = watch_may_restart(s, names[i], commands[i]);
        if (w->members[i].may_restart)
            sb_printf(&allowed, "%s%s", allowed.len ? ", " : "", names[i]);
    }
    if (w->sample_ms == 0) {
        sb_free(&allowed);
        return;
    }
    const char *root = lookup("SOLODYNO_CGROUP_ROOT");
    w->cg_root = xstrdup(root && *root ? root : CGROUP_ROOT_DEFAULT);

    struct dyno_resources res;
    dyno_resources_detect(lookup, &res);
    struct cg_memory cg;
    cg_memory_read(w->cg_root, &cg);
    watch_limits_decide(&res, &cg, w->source, watch_system_swap(), &w->limits);
    w->next_ms = now + (long long)w->sample_ms;

    /* One line at start: what the watch will do on this dyno. Without a
     * quota (a workstation: no cgroup limit) it only samples, and says
     * nothing; `solodyno env --explain` tells. */
    if (w->limits.quota) {
        char every[32];
        sb_printf(notes, "memory: %llu MB (%s); warnings at %u %% and %u %%; ",
                  w->limits.quota / (1024 * 1024), w->limits.quota_from, WATCH_LEVEL_WARN_PCT,
                  WATCH_LEVEL_OVER_PCT);
        if (s->restart_none)
            sb_append(notes, "no restarts (SOLODYNO_MEMORY_RESTART=none)");
        else if (!allowed.len)
            sb_append(notes, "no member to restart");
        else
            sb_printf(notes, "restarts %s at %u %% for %u samples", allowed.data,
                      w->limits.guard_pct, WATCH_OVER_SAMPLES);
        sb_printf(notes, " (sampled every %s)\n",
                  watch_seconds_text(w->sample_ms, every, sizeof every));
    }
    sb_free(&allowed);
}

long long memory_watch_due(const struct memory_watch *w)
{
    return w->sample_ms ? w->next_ms : -1;
}

int memory_watch_sample(struct memory_watch *w, long long now, const pid_t *groups,
                        const bool *restartable, strbuf *metrics, strbuf *notes)
{
    if (!w->sample_ms || now < w->next_ms)
        return -1;
    /* Fixed steps, not "now + period": a slow sample must not drift the
     * rhythm; after a long stall, the next one is one period away. */
    w->next_ms += (long long)w->sample_ms;
    if (w->next_ms <= now)
        w->next_ms = now + (long long)w->sample_ms;

    /* Exact PSS for every process near the quota, where the shares decide
     * what the guard restarts and the warnings name (member_memory.h). */
    bool exact = w->limits.quota &&
                 (unsigned __int128)w->last_used * 100 >= (unsigned __int128)w->limits.quota * WATCH_EXACT_PCT;
    unsigned long long swap;
    unsigned long long used = measure(w, groups, exact, &swap);
    w->last_used = used;
    for (size_t i = 0; i < w->n; i++)
        w->members[i].restartable = restartable[i] && groups[i] > 0;
    if (w->metrics)
        l2met_memory_line(metrics, w->source, used, swap, w->limits.quota, w->members, w->n);

    struct watch_decision d;
    watch_decide(&w->state, now, used, w->limits.quota, w->limits.guard_pct, w->members, w->n, &d);
    if (d.line) {
        strbuf text = STRBUF_INIT;
        watch_format_level(&text, &d, used, w->limits.quota, w->members, w->n);
        sb_printf(notes, "%s\n", text.data);
        sb_free(&text);
    }
    if (d.restart >= 0 || d.held_back >= 0) {
        strbuf text = STRBUF_INIT;
        watch_format_usage(&text, used, w->limits.quota);
        int i = d.restart >= 0 ? d.restart : d.held_back;
        const struct watch_member *m = &w->members[i];
        if (d.restart >= 0) {
            sb_printf(notes, "memory %s, at or over %u %% for %u samples: restarting %s in place (%llu MB, "
                      "the biggest the guard may restart)\n",
                     text.data, w->limits.guard_pct, WATCH_OVER_SAMPLES, m->name,
                     (m->bytes + 512 * 1024) / (1024 * 1024));
            w->members[i].ever_restarted = true;
            w->members[i].restarted_ms = now;
            w->used_before = used;
        } else {
            long long ago = (now - m->restarted_ms) / 1000;
            sb_printf(notes, "memory %s, at or over %u %% for %u samples; %s was restarted %lld %s ago and "
                      "is not restarted again within 10 minutes (a restart loop is worse than R14)\n",
                     text.data, w->limits.guard_pct, WATCH_OVER_SAMPLES, m->name,
                     ago < 120 ? ago : ago / 60, ago < 120 ? "s" : "min");
        }
        sb_free(&text);
    }
    return d.restart;
}

void memory_watch_after_stop(struct memory_watch *w, size_t i, const pid_t *groups, strbuf *notes)
{
    if (!w->sample_ms || i >= w->n)
        return;
    unsigned long long swap;
    unsigned long long used = measure(w, groups, true, &swap);
    strbuf text = STRBUF_INIT;
    watch_format_usage(&text, used, w->limits.quota);
    sb_printf(notes, "%s stopped for its restart: memory now %s, was %llu MB; starting it again\n",
             w->members[i].name, text.data, (w->used_before + 512 * 1024) / (1024 * 1024));
    sb_free(&text);
}

void memory_watch_free(struct memory_watch *w)
{
    free(w->members);
    free(w->mem);
    free(w->cg_root);
    member_walk_free(&w->walk);
    memset(w, 0, sizeof *w);
}
