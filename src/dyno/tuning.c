#include "dyno/tuning.h"

static unsigned clamp(unsigned long long v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : (unsigned)v;
}

/* The counts for a dyno of m MB (the process-wide knobs are tuning_compute's). */
static void plan(unsigned long long m, const struct tuning_input *in, struct tuning *t)
{
    unsigned cpus = in->cpus ? in->cpus : 1;
    *t = (struct tuning){0};

    if (in->puma) {
        /* Threads: 3 on the smallest dyno, 4 from 1 GB, 5 (Mastodon's own
         * default) from 1.5 GB. */
        t->max_threads = clamp(m / 512 + 2, 3, 5);
        /* Workers: one per 384 MB after what the dyno's other needs take
         * (128 MB for the Puma master and the system; 256 MB when Sidekiq
         * runs alongside), at least one, at most one per CPU. */
        unsigned long long reserved = in->sidekiq ? 256 : 128;
        t->web_concurrency = clamp(m > reserved ? (m - reserved) / 384 : 0, 1, cpus);
    }
    if (in->sidekiq) {
        /* Alongside the web process: one thread per 512 MB, 1 to 10. */
        t->sidekiq_threads = clamp(m / 512, 1, 10);
    } else if (in->dedicated_sidekiq) {
        /* A worker dyno has Sidekiq to itself: one thread per 128 MB, 5
         * (Sidekiq's default) to 25. Always more than alongside the web. */
        t->sidekiq_threads = clamp(m / 128, 5, 25);
    }
    if (in->streaming) {
        /* Node cluster workers of the streaming server: one per 160 MB, at
         * most one per CPU, at most 16. */
        t->streaming_cluster = clamp(m / 160, 1, cpus < 16 ? cpus : 16);
    }
}

/* Fir restarts a dyno when it reaches 100 % of its memory, with no swap (Dev
 * Center, "Dyno Memory Behavior": "All dynos for Fir-generation apps get
 * restarted when the memory usage reaches 100% of their quota"), where Cedar
 * swaps first and restarts at 200 % (R15) on the smaller sizes. So on Fir the
 * model plans within TUNING_FIR_PLAN_PCT of the dyno: the counts of the
 * largest dyno whose estimate fits in that much of this one (never below the
 * smallest plan, the 512 MB row, which cannot shrink). The estimate grows
 * with the plan's memory, so a binary search finds it, and every count still
 * only grows as the dyno does. */
static unsigned long long fir_plan_mb(unsigned long long m, const struct tuning_input *in)
{
    unsigned long long budget = m * TUNING_FIR_PLAN_PCT / 100, lo = 0, hi = m;
    struct tuning t;
    while (lo < hi) { /* the largest m' in [0, m] with estimate(plan(m')) <= budget */
        unsigned long long mid = lo + (hi - lo + 1) / 2;
        plan(mid, in, &t);
        if (tuning_estimate_mb(&t) <= budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void tuning_compute(const struct tuning_input *in, struct tuning *t)
{
    unsigned long long m = in->memory_mb;
    plan(in->fir ? fir_plan_mb(m, in) : m, in, t);
    /* Process-wide knobs, on every dyno. ImageMagick may use half the dyno
     * (on Fir half of what the plan keeps) before it spills to disk; one
     * thread per image, since parallelism comes from Puma's and Sidekiq's
     * threads; glibc's malloc gets two arenas instead of eight per CPU, which
     * is most of a Ruby process's bloat. */
    unsigned long long usable = in->fir ? m * TUNING_FIR_PLAN_PCT / 100 : m;
    t->magick_memory_limit = usable * 1024 * 1024 / 2;
    t->magick_thread_limit = 1;
    t->vips_concurrency = 1;
    t->malloc_arena_max = 2;
}

unsigned tuning_db_pool(unsigned puma_threads, unsigned sidekiq_threads)
{
    unsigned most = puma_threads > sidekiq_threads ? puma_threads : sidekiq_threads;
    return most * 2;
}

unsigned tuning_estimate_mb(const struct tuning *t)
{
    unsigned processes = t->web_concurrency + (t->sidekiq_threads ? 1 : 0);
    unsigned threads = t->web_concurrency * t->max_threads + t->sidekiq_threads;
    return processes * TUNING_PROCESS_MB + threads * TUNING_THREAD_MB;
}

/* Heroku's dyno sizes (Dev Center, "Dyno Types"). Shared dynos see the host's
 * CPUs in their affinity mask (8); the model's counts for them are bound by
 * memory, so the figure does not change them. Fir's sizes are named
 * dyno-<vCPUs>c-<GB>gb (heroku/cli src/commands/ps/type.ts lists them); their
 * CPUs come from the cgroup's cpu.max, and their plan keeps headroom. */
static const struct {
    const char *names;
    unsigned memory_mb;
    const char *cpu_share;
    unsigned cpus;
    bool fir;
} dyno_sizes[] = {
    {"Eco, Basic, Standard-1X", 512, "1x (shared; 8 seen)", 8, false},
    {"Standard-2X", 1024, "2x (shared; 8 seen)", 8, false},
    {"Performance-M", 2560, "100% of 2", 2, false},
    {"Performance-L", 14336, "100% of 8", 8, false},
    {"Performance-L-RAM", 30720, "100% of 4", 4, false},
    {"Performance-XL", 63488, "100% of 8", 8, false},
    {"Performance-2XL", 129024, "100% of 16", 16, false},
    {"Fir dyno-1c-0.5gb", 512, "1 vCPU", 1, true},
    {"Fir dyno-2c-1gb", 1024, "2 vCPUs", 2, true},
    {"Fir dyno-1c-4gb", 4096, "1 vCPU", 1, true},
    {"Fir dyno-2c-4gb", 4096, "2 vCPUs", 2, true},
    {"Fir dyno-1c-8gb", 8192, "1 vCPU", 1, true},
    {"Fir dyno-2c-8gb", 8192, "2 vCPUs", 2, true},
    {"Fir dyno-4c-8gb", 8192, "4 vCPUs", 4, true},
    {"Fir dyno-2c-16gb", 16384, "2 vCPUs", 2, true},
    {"Fir dyno-4c-16gb", 16384, "4 vCPUs", 4, true},
    {"Fir dyno-8c-16gb", 16384, "8 vCPUs", 8, true},
    {"Fir dyno-4c-32gb", 32768, "4 vCPUs", 4, true},
    {"Fir dyno-8c-32gb", 32768, "8 vCPUs", 8, true},
    {"Fir dyno-16c-32gb", 32768, "16 vCPUs", 16, true},
    {"Fir dyno-8c-64gb", 65536, "8 vCPUs", 8, true},
    {"Fir dyno-16c-64gb", 65536, "16 vCPUs", 16, true},
    {"Fir dyno-32c-64gb", 65536, "32 vCPUs", 32, true},
    {"Fir dyno-16c-128gb", 131072, "16 vCPUs", 16, true},
};

void tuning_table(strbuf *out)
{
    sb_append(out, "| dyno | memory | CPU share | web + Sidekiq: W / T / S / P (budget) | "
                   "web alone: W / T / P | worker: S / P | streaming: C | MAGICK_MEMORY_LIMIT |\n");
    sb_append(out, "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (unsigned i = 0; i < sizeof dyno_sizes / sizeof dyno_sizes[0]; i++) {
        unsigned m = dyno_sizes[i].memory_mb, c = dyno_sizes[i].cpus;
        bool fir = dyno_sizes[i].fir;
        struct tuning both, web, worker, streaming;
        struct tuning_input in_both = {m, c, true, true, false, false, fir};
        struct tuning_input in_web = {m, c, true, false, false, false, fir};
        struct tuning_input in_worker = {m, c, false, false, true, false, fir};
        struct tuning_input in_streaming = {m, c, false, false, false, true, fir};
        tuning_compute(&in_both, &both);
        tuning_compute(&in_web, &web);
        tuning_compute(&in_worker, &worker);
        tuning_compute(&in_streaming, &streaming);
        sb_printf(out, "| %s | %u MB | %s | %u / %u / %u / %u (%u MB) | %u / %u / %u | %u / %u | %u | %llu |\n",
                  dyno_sizes[i].names, m, dyno_sizes[i].cpu_share, both.web_concurrency,
                  both.max_threads, both.sidekiq_threads,
                  tuning_db_pool(both.max_threads, both.sidekiq_threads),
                  tuning_estimate_mb(&both), web.web_concurrency, web.max_threads,
                  tuning_db_pool(web.max_threads, 0), worker.sidekiq_threads,
                  tuning_db_pool(0, worker.sidekiq_threads), streaming.streaming_cluster,
                  both.magick_memory_limit);
    }
}
