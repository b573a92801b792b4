/* Unit tests of what `solodyno env` reads and computes: cgroup values, DYNO
 * names, the memory-budget model, ImageMagick's policy sizes. */
#include <stdlib.h>

#include "dyno/cgroup.h"
#include "dyno/dyno_role.h"
#include "dyno/magick_policy.h"
#include "dyno/tuning.h"
#include "unit.h"

#define S(lit) lit, sizeof lit - 1

static void test_cgroup_values(void)
{
    unsigned long long b = 0;
    CHECK(cg_parse_memory(S("536870912\n"), &b) == CG_OK && b == 536870912ULL);
    CHECK(cg_parse_memory(S("  1073741824  \n"), &b) == CG_OK && b == 1073741824ULL);
    CHECK(cg_parse_memory(S("max\n"), &b) == CG_UNLIMITED);
    /* cgroup v1's "no limit": 2^63 rounded down to a page */
    CHECK(cg_parse_memory(S("9223372036854771712\n"), &b) == CG_UNLIMITED);
    CHECK(cg_parse_memory(S("99999999999999999999999999\n"), &b) == CG_UNLIMITED);
    CHECK(cg_parse_memory(S("1099511627777"), &b) == CG_UNLIMITED); /* 1 TiB + 1 */
    CHECK(cg_parse_memory(S("1099511627776"), &b) == CG_OK);       /* 1 TiB */
    CHECK(cg_parse_memory(S("0\n"), &b) == CG_BAD);
    CHECK(cg_parse_memory(S("-1\n"), &b) == CG_BAD);
    CHECK(cg_parse_memory(S("-536870912\n"), &b) == CG_BAD);
    CHECK(cg_parse_memory(S("512M\n"), &b) == CG_BAD);
    CHECK(cg_parse_memory(S("garbage"), &b) == CG_BAD);
    CHECK(cg_parse_memory(S(""), &b) == CG_BAD);
    CHECK(cg_parse_memory(S("12 34"), &b) == CG_BAD);
    CHECK(cg_parse_memory(S("4096"), &b) == CG_BAD); /* under 1 MiB: not a real limit */
    CHECK(cg_parse_memory(S("maximum"), &b) == CG_BAD);

    unsigned c = 0;
    CHECK(cg_parse_cpu_max(S("200000 100000\n"), &c) == CG_OK && c == 2);
    CHECK(cg_parse_cpu_max(S("150000 100000\n"), &c) == CG_OK && c == 2); /* rounded up */
    CHECK(cg_parse_cpu_max(S("1000 100000\n"), &c) == CG_OK && c == 1);
    CHECK(cg_parse_cpu_max(S("max 100000\n"), &c) == CG_UNLIMITED);
    CHECK(cg_parse_cpu_max(S("max\n"), &c) == CG_BAD);
    CHECK(cg_parse_cpu_max(S("0 100000"), &c) == CG_BAD);
    CHECK(cg_parse_cpu_max(S("100000 0"), &c) == CG_BAD);
    CHECK(cg_parse_cpu_max(S("-5 100000"), &c) == CG_BAD);
    CHECK(cg_parse_cpu_max(S("99999999999999999999 1"), &c) == CG_BAD);
    CHECK(cg_parse_cpu_max(S("9999999999999 1"), &c) == CG_OK && c == CPUS_MAX);
    CHECK(cg_parse_cfs(S("-1\n"), S("100000\n"), &c) == CG_UNLIMITED);
    CHECK(cg_parse_cfs(S("400000\n"), S("100000\n"), &c) == CG_OK && c == 4);
    CHECK(cg_parse_cfs(S("x"), S("100000"), &c) == CG_BAD);
    CHECK(cg_parse_cfs(S("100000"), S("0"), &c) == CG_BAD);
}

static void test_dyno_names(void)
{
    char t[64];
    CHECK(dyno_type_from_name("web.1", t, sizeof t));
    CHECK_STR(t, "web");
    CHECK(dyno_type_from_name("worker.12", t, sizeof t));
    CHECK_STR(t, "worker");
    CHECK(dyno_type_from_name("run.1234", t, sizeof t));
    CHECK_STR(t, "run");
    CHECK(dyno_type_from_name("release.1", t, sizeof t));
    CHECK_STR(t, "release");
    CHECK(dyno_type_from_name("web-12a34b56d-e78f9", t, sizeof t));
    CHECK_STR(t, "web");
    CHECK(dyno_type_from_name("sidekiq-push-5d8f7c9b4-x2x9z", t, sizeof t));
    CHECK_STR(t, "sidekiq-push");
    CHECK(dyno_type_from_name("sidekiq_push.3", t, sizeof t));
    CHECK_STR(t, "sidekiq_push");
    CHECK(!dyno_type_from_name("", t, sizeof t) && t[0] == '\0');
    CHECK(!dyno_type_from_name(NULL, t, sizeof t));
    CHECK(!dyno_type_from_name("web", t, sizeof t));
    CHECK(!dyno_type_from_name("web.", t, sizeof t));
    CHECK(!dyno_type_from_name(".1", t, sizeof t));
    CHECK(!dyno_type_from_name("web.1.2", t, sizeof t));
    CHECK(!dyno_type_from_name("web.x", t, sizeof t));
    CHECK(!dyno_type_from_name("web-UPPER1234-e78f9", t, sizeof t));
    CHECK(!dyno_type_from_name("web-12a34b56d-e78f9zz", t, sizeof t));
    CHECK(!dyno_type_from_name("-12a34b56d-e78f9", t, sizeof t));
    CHECK(!dyno_type_from_name("web.1; rm -rf /", t, sizeof t));
    CHECK(!dyno_type_from_name("$(reboot).1", t, sizeof t));
    /* Fir's names (Dev Center, "Dyno Startup Behavior"), not Cedar's. */
    CHECK(dyno_is_fir("web-12a34b56d-e78f9") && dyno_is_fir("worker-23z34x56y-w78k9"));
    CHECK(dyno_is_fir("run-nss86zptrv-7fpx8"));
    CHECK(!dyno_is_fir("web.1") && !dyno_is_fir("run.1234") && !dyno_is_fir(NULL) && !dyno_is_fir(""));
    CHECK(!dyno_is_fir("web") && !dyno_is_fir("web-12a34b56d") && !dyno_is_fir("web-1.2-e78f9"));

    struct dyno_role r;
    dyno_role_detect("web.1", "true", NULL, true, &r);
    CHECK(r.kind == DYNO_WEB && r.puma && r.sidekiq && !r.streaming && !r.dedicated_sidekiq);
    dyno_role_detect("web.1", "TRUE", "false", true, &r);
    CHECK(r.kind == DYNO_WEB && r.puma && !r.sidekiq && !r.streaming);
    dyno_role_detect("web-12a34b56d-e78f9", "true", "true", true, &r);
    CHECK(r.kind == DYNO_WEB && !r.puma && r.sidekiq && r.streaming);
    /* a generic app has no streaming server: its web command always runs */
    dyno_role_detect("web.1", NULL, "true", false, &r);
    CHECK(r.kind == DYNO_WEB && r.puma && !r.streaming);
    dyno_role_detect(NULL, NULL, NULL, true, &r);
    CHECK(r.kind == DYNO_WEB && r.puma);
    dyno_role_detect("worker.2", "true", "true", true, &r);
    CHECK(r.kind == DYNO_WORKER && r.dedicated_sidekiq && !r.puma && !r.sidekiq && !r.streaming);
    dyno_role_detect("run.1234", "true", NULL, true, &r);
    CHECK(r.kind == DYNO_ONE_OFF && !r.puma && !r.sidekiq && !r.dedicated_sidekiq);
    dyno_role_detect("release.1", NULL, NULL, true, &r);
    CHECK(r.kind == DYNO_ONE_OFF);
    dyno_role_detect("garbage!", NULL, NULL, true, &r);
    CHECK(r.kind == DYNO_ONE_OFF);
    dyno_role_detect("clock.1", "true", NULL, true, &r);
    CHECK(r.kind == DYNO_OTHER && !r.puma && !r.sidekiq);
}

static const unsigned heroku_sizes[] = {512, 1024, 2560, 14336, 30720, 63488, 129024};

static void test_model(void)
{
    struct tuning t;
    /* The calibration row: a 512 MB web dyno that also runs Sidekiq, on any
     * CPU count a 512 MB dyno may show. */
    for (unsigned cpus = 1; cpus <= 64; cpus *= 2) {
        struct tuning_input in = {512, cpus, true, true, false, false, false};
        tuning_compute(&in, &t);
        CHECK(t.web_concurrency == 1);
        CHECK(t.max_threads == 3);
        CHECK(t.sidekiq_threads == 1);
        CHECK(tuning_db_pool(t.max_threads, t.sidekiq_threads) == 6);
        CHECK(t.magick_memory_limit == 268435456ULL);
        CHECK(t.magick_thread_limit == 1 && t.vips_concurrency == 1 && t.malloc_arena_max == 2);
        CHECK(t.streaming_cluster == 0);
    }
    struct tuning_input st = {512, 8, false, false, false, true, false};
    tuning_compute(&st, &t);
    CHECK(t.streaming_cluster == 3 && t.web_concurrency == 0 && t.max_threads == 0);

    /* Never decreasing as memory grows, for every kind of dyno and CPU count;
     * within the budget on every Heroku size; worker dynos get more Sidekiq
     * threads than a web dyno's Sidekiq; DB_POOL above every thread count;
     * process counts within the CPUs. */
    for (int kind = 0; kind < 4; kind++) {
        for (unsigned cpus = 1; cpus <= 32; cpus++) {
            struct tuning prev = {0};
            for (unsigned long long m = 64; m <= 1024ULL * 1024; m += (m < 8192 ? 1 : 997)) {
                struct tuning_input in = {(unsigned)m, cpus, kind == 0 || kind == 1, kind == 0,
                                          kind == 2, kind == 3, false};
                tuning_compute(&in, &t);
                CHECK(t.web_concurrency >= prev.web_concurrency);
                CHECK(t.max_threads >= prev.max_threads);
                CHECK(t.sidekiq_threads >= prev.sidekiq_threads);
                CHECK(t.streaming_cluster >= prev.streaming_cluster);
                CHECK(t.magick_memory_limit >= prev.magick_memory_limit);
                CHECK(t.web_concurrency <= cpus);
                CHECK(t.streaming_cluster <= cpus);
                unsigned pool = tuning_db_pool(t.max_threads, t.sidekiq_threads);
                if (t.max_threads || t.sidekiq_threads)
                    CHECK(pool > t.max_threads && pool > t.sidekiq_threads);
                if (m >= 512 && (kind == 0 || kind == 1 || kind == 2))
                    CHECK(tuning_estimate_mb(&t) <= m);
                if (kind == 0) {
                    struct tuning w;
                    struct tuning_input win = {(unsigned)m, cpus, false, false, true, false, false};
                    tuning_compute(&win, &w);
                    CHECK(w.sidekiq_threads > t.sidekiq_threads);
                }
                if (unit_failures > 20)
                    return;
                prev = t;
            }
        }
    }
    for (size_t i = 0; i < sizeof heroku_sizes / sizeof heroku_sizes[0]; i++) {
        struct tuning_input in = {heroku_sizes[i], 8, true, true, false, false, false};
        tuning_compute(&in, &t);
        CHECK(tuning_estimate_mb(&t) <= heroku_sizes[i]);
    }

    /* Fir (restarted at 100 %, no swap): never more than on Cedar, within 85 %
     * of the dyno wherever the smallest plan fits there, the smallest plan
     * where it does not, still never decreasing; ImageMagick gets half of the
     * 85 %. */
    for (int kind = 0; kind < 4; kind++) {
        for (unsigned cpus = 1; cpus <= 16; cpus *= 2) {
            struct tuning prev = {0}, smallest, cedar;
            struct tuning_input in0 = {0, cpus, kind == 0 || kind == 1, kind == 0, kind == 2, kind == 3, true};
            tuning_compute(&in0, &smallest);
            for (unsigned long long m = 64; m <= 256ULL * 1024; m += (m < 4096 ? 1 : 499)) {
                struct tuning_input in = in0, cin = in0;
                in.memory_mb = cin.memory_mb = (unsigned)m;
                cin.fir = false;
                tuning_compute(&in, &t);
                tuning_compute(&cin, &cedar);
                CHECK(t.web_concurrency >= prev.web_concurrency && t.max_threads >= prev.max_threads);
                CHECK(t.sidekiq_threads >= prev.sidekiq_threads && t.streaming_cluster >= prev.streaming_cluster);
                CHECK(t.magick_memory_limit >= prev.magick_memory_limit);
                CHECK(t.web_concurrency <= cedar.web_concurrency && t.max_threads <= cedar.max_threads);
                CHECK(t.sidekiq_threads <= cedar.sidekiq_threads);
                unsigned keep = (unsigned)(m * TUNING_FIR_PLAN_PCT / 100);
                if (tuning_estimate_mb(&smallest) <= keep)
                    CHECK(tuning_estimate_mb(&t) <= keep);
                else
                    CHECK(tuning_estimate_mb(&t) == tuning_estimate_mb(&smallest));
                CHECK(t.magick_memory_limit == (unsigned long long)keep * 1024 * 1024 / 2);
                if (unit_failures > 20)
                    return;
                prev = t;
            }
        }
    }
    /* The calibration row on Fir: the same counts (nothing smaller exists),
     * ImageMagick within the 85 %. */
    struct tuning_input fir512 = {512, 1, true, true, false, false, true};
    tuning_compute(&fir512, &t);
    CHECK(t.web_concurrency == 1 && t.max_threads == 3 && t.sidekiq_threads == 1);
    CHECK(t.magick_memory_limit == 435ULL * 1024 * 1024 / 2);

    strbuf table = STRBUF_INIT;
    tuning_table(&table);
    CHECK(strstr(table.data, "| 512 MB |") && strstr(table.data, "| 1 / 3 / 1 / 6 (500 MB) |"));
    for (size_t i = 0; i < sizeof heroku_sizes / sizeof heroku_sizes[0]; i++) {
        char cell[32];
        snprintf(cell, sizeof cell, "| %u MB |", heroku_sizes[i]);
        CHECK(strstr(table.data, cell) != NULL);
    }
    sb_free(&table);
}

static void test_magick(void)
{
    unsigned long long b = 0;
    CHECK(magick_parse_size(S("256MiB"), &b) && b == 268435456ULL);
    CHECK(magick_parse_size(S("256MB"), &b) && b == 256000000ULL);
    CHECK(magick_parse_size(S("1GiB"), &b) && b == 1073741824ULL);
    CHECK(magick_parse_size(S("2.5GiB"), &b) && b > 2684354000ULL && b <= 2684354560ULL);
    CHECK(magick_parse_size(S("100kB"), &b) && b == 100000ULL);
    CHECK(magick_parse_size(S("4096"), &b) && b == 4096ULL);
    CHECK(magick_parse_size(S("512B"), &b) && b == 512ULL);
    CHECK(!magick_parse_size(S(""), &b));
    CHECK(!magick_parse_size(S("MiB"), &b));
    CHECK(!magick_parse_size(S("12XB"), &b));
    CHECK(!magick_parse_size(S("99999999999999EiB"), &b));
    CHECK(!magick_parse_size(S("1 GiB"), &b));

    const char *policy =
        "<policymap>\n"
        "  <!-- <policy domain=\"resource\" name=\"memory\" value=\"2GiB\"/> -->\n"
        "  <policy domain=\"resource\" name=\"map\" value=\"512MiB\"/>\n"
        "  <policy domain=\"resource\" name=\"memory\" value=\"256MiB\"/>\n"
        "</policymap>\n";
    CHECK(magick_policy_memory(policy, strlen(policy), &b) && b == 268435456ULL);
    const char *none = "<policymap><!-- <policy domain=\"resource\" name=\"memory\" value=\"1\"/> --></policymap>";
    CHECK(!magick_policy_memory(none, strlen(none), &b));
    const char *open_comment = "<policymap><!-- <policy domain=\"resource\" name=\"memory\" value=\"1MiB\"/>";
    CHECK(!magick_policy_memory(open_comment, strlen(open_comment), &b));
}

int main(void)
{
    test_cgroup_values();
    test_dyno_names();
    test_model();
    test_magick();
    UNIT_DONE();
}
