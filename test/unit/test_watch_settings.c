/* Unit tests of the watch's config vars, which members bind $PORT or may be
 * restarted, the cgroup memory figures (a fake cgroup tree under argv[1]),
 * and when the guard acts. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dyno/cgroup.h"
#include "dyno/watch_settings.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1
#define MB (1024ULL * 1024)

static const char *vars[32][2];
static size_t n_vars;

static const char *fake(const char *name)
{
    for (size_t i = 0; i < n_vars; i++)
        if (!strcmp(vars[i][0], name))
            return vars[i][1];
    return NULL;
}

static void set(const char *name, const char *value)
{
    for (size_t i = 0; i < n_vars; i++)
        if (!strcmp(vars[i][0], name)) {
            vars[i][1] = value;
            return;
        }
    vars[n_vars][0] = name;
    vars[n_vars++][1] = value;
}

static void put(const char *dir, const char *file, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_settings(void)
{
    struct watch_settings s;
    strbuf w = STRBUF_INIT;
    watch_settings_read(fake, NULL, &s, &w);
    CHECK(s.sample_ms == 20000 && !s.metrics && s.restart_default && !s.restart_none);
    CHECK(s.boot_wait_ms == 45000 && !s.boot_together && w.len == 0);
    watch_settings_free(&s);

    set("SOLODYNO_MEMORY_SAMPLE", "2.5");
    set("SOLODYNO_METRICS", "1");
    set("SOLODYNO_MEMORY_RESTART", "sidekiq, worker");
    set("SOLODYNO_BOOT_WAIT", "10");
    set("SOLODYNO_BOOT", "together");
    watch_settings_read(fake, NULL, &s, &w);
    CHECK(s.sample_ms == 2500 && s.metrics && !s.restart_default && s.boot_wait_ms == 10000);
    CHECK(s.boot_together && w.len == 0);
    CHECK(watch_may_restart(&s, "sidekiq", "anything"));
    CHECK(watch_may_restart(&s, "worker", "anything"));
    CHECK(!watch_may_restart(&s, "puma", "bundle exec sidekiq"));
    watch_settings_free(&s);

    /* Bad values: a warning each, and the default. */
    set("SOLODYNO_MEMORY_SAMPLE", "20s");
    set("SOLODYNO_METRICS", "maybe");
    set("SOLODYNO_MEMORY_RESTART", "sidekiq;rm");
    set("SOLODYNO_BOOT_WAIT", "-1");
    set("SOLODYNO_BOOT", "first");
    watch_settings_read(fake, NULL, &s, &w);
    CHECK(s.sample_ms == 20000 && !s.metrics && s.restart_default && s.boot_wait_ms == 45000 &&
          !s.boot_together);
    CHECK(strstr(w.data, "warning: SOLODYNO_MEMORY_SAMPLE: expected seconds") != NULL);
    CHECK(strstr(w.data, "it is '20s'; using 20\n") != NULL);
    CHECK(strstr(w.data, "warning: SOLODYNO_METRICS:") != NULL);
    CHECK(strstr(w.data, "warning: SOLODYNO_MEMORY_RESTART:") != NULL);
    CHECK(strstr(w.data, "warning: SOLODYNO_BOOT_WAIT:") != NULL);
    CHECK(strstr(w.data, "warning: SOLODYNO_BOOT: expected 'order' or 'together'") != NULL);
    watch_settings_free(&s);
    sb_free(&w);

    set("SOLODYNO_MEMORY_SAMPLE", "0.05"); /* under 0.1 s: refused */
    set("SOLODYNO_MEMORY_RESTART", "none");
    set("SOLODYNO_BOOT", "order");
    watch_settings_read(fake, NULL, &s, &w);
    CHECK(s.sample_ms == 20000 && s.restart_none && !watch_may_restart(&s, "sidekiq", "sidekiq"));
    CHECK(w.len && strstr(w.data, "SOLODYNO_MEMORY_SAMPLE") && !strstr(w.data, "SOLODYNO_BOOT:"));
    watch_settings_free(&s);
    sb_free(&w);

    set("SOLODYNO_MEMORY_SAMPLE", "0");
    set("SOLODYNO_MEMORY_RESTART", ""); /* empty: unset */
    set("SOLODYNO_BOOT_WAIT", "0");
    set("SOLODYNO_METRICS", "off");
    watch_settings_read(fake, NULL, &s, &w);
    CHECK(s.sample_ms == 0 && s.restart_default && s.boot_wait_ms == 0 && w.len == 0);
    /* The default: the members that run Sidekiq, however they are written. */
    CHECK(watch_may_restart(&s, "sidekiq", "bundle exec sidekiq -c ${SIDEKIQ_THREADS:-5}"));
    CHECK(watch_may_restart(&s, "worker", "exec bin/sidekiq"));
    CHECK(!watch_may_restart(&s, "sidekiq", "BIND=0.0.0.0 bundle exec puma -C config/puma.rb"));
    CHECK(!watch_may_restart(&s, "job", "ruby sidekiq_like.rb"));
    watch_settings_free(&s);

    /* A name the Procfile.web does not list is warned about. */
    struct procfile pf = {0};
    strbuf diag = STRBUF_INIT;
    const char web[] = "puma: bundle exec puma\nsidekiq@RUN_WORKER: bundle exec sidekiq\n";
    CHECK(procfile_parse(web, sizeof web - 1, "Procfile.web", PROCFILE_WEB, &pf, &diag) == 0);
    set("SOLODYNO_MEMORY_RESTART", "sidekiq,sidekik");
    watch_settings_read(fake, &pf, &s, &w);
    CHECK(w.len && strstr(w.data, "names 'sidekik', which Procfile.web does not list") != NULL);
    CHECK(!strstr(w.data, "'sidekiq'"));
    watch_settings_free(&s);
    procfile_free(&pf);
    sb_free(&diag);
    sb_free(&w);
    n_vars = 0;
}

static void test_binds_port(void)
{
    CHECK(member_binds_port("BIND=0.0.0.0 bundle exec puma -C config/puma.rb"));
    CHECK(member_binds_port("BIND=0.0.0.0 node ./streaming"));
    CHECK(member_binds_port("bundle exec rails server -p $PORT"));
    CHECK(member_binds_port("bundle exec rackup -p ${PORT:-9292}"));
    CHECK(member_binds_port("bin/web --port=$PORT"));
    CHECK(!member_binds_port("bundle exec sidekiq -c 5"));
    CHECK(!member_binds_port("echo $PORTS"));
    CHECK(!member_binds_port("echo $REPORT"));
    CHECK(!member_binds_port(""));
}

static void test_cgroup(const char *tmp)
{
    char v2[1024], v1[1024], path[4096];
    CHECK(cg_parse_bytes(S("123456789\n"), &(unsigned long long){0}));
    unsigned long long b;
    CHECK(cg_parse_bytes(S(" 42 "), &b) && b == 42);
    CHECK(!cg_parse_bytes(S("max"), &b));
    CHECK(!cg_parse_bytes(S(""), &b));
    CHECK(!cg_parse_bytes(S("-1"), &b));
    CHECK(!cg_parse_bytes(S("99999999999999999999999"), &b));
    CHECK(cg_stat_line(S("inactive_file 4096"), "inactive_file", &b) && b == 4096);
    CHECK(!cg_stat_line(S("total_inactive_file 4096"), "inactive_file", &b));
    CHECK(!cg_stat_line(S("inactive_file"), "inactive_file", &b));
    CHECK(!cg_stat_line(S("inactive_filex 4096"), "inactive_file", &b));

    /* cgroup v2, as a container sees its own: 512 MB, some swap allowed. */
    snprintf(v2, sizeof v2, "%s/v2", tmp);
    mkdir(v2, 0755);
    put(v2, "memory.current", "524288000\n");
    put(v2, "memory.swap.current", "10485760\n");
    put(v2, "memory.max", "536870912\n");
    put(v2, "memory.swap.max", "max\n");
    put(v2, "memory.stat", "anon 400000000\nfile 120000000\nactive_file 20000000\n"
                           "inactive_file 100000000\nshmem 0\n");
    struct cg_memory m;
    cg_memory_read(v2, &m);
    CHECK(m.version == 2 && m.limited && m.limit == 536870912ULL && m.usage == 524288000ULL);
    CHECK(m.swap == 10485760ULL && m.swap_known && m.inactive_file == 100000000ULL && m.swap_room == 1);
    CHECK(cg_memory_used(&m) == 524288000ULL + 10485760ULL - 100000000ULL);
    put(v2, "memory.swap.max", "0\n");
    cg_memory_read(v2, &m);
    CHECK(m.swap_room == 0);
    put(v2, "memory.max", "max\n");
    cg_memory_read(v2, &m);
    CHECK(!m.limited);

    /* cgroup v1, as Heroku's Cedar dynos show it. */
    snprintf(v1, sizeof v1, "%s/v1", tmp);
    mkdir(v1, 0755);
    snprintf(path, sizeof path, "%s/memory", v1);
    mkdir(path, 0755);
    put(v1, "memory/memory.usage_in_bytes", "500000000\n");
    put(v1, "memory/memory.memsw.usage_in_bytes", "600000000\n");
    put(v1, "memory/memory.limit_in_bytes", "536870912\n");
    put(v1, "memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
    put(v1, "memory/memory.stat", "cache 50000000\nrss 450000000\ninactive_file 1\n"
                                  "total_cache 50000000\ntotal_inactive_file 30000000\n");
    cg_memory_read(v1, &m);
    CHECK(m.version == 1 && m.limited && m.usage == 500000000ULL && m.swap == 100000000ULL && m.swap_known);
    CHECK(m.inactive_file == 30000000ULL && m.swap_room == 1);
    CHECK(cg_memory_used(&m) == 570000000ULL);
    put(v1, "memory/memory.memsw.limit_in_bytes", "536870912\n");
    cg_memory_read(v1, &m);
    CHECK(m.swap_room == 0);
    /* The cache the kernel can drop never makes usage negative. */
    put(v1, "memory/memory.stat", "total_inactive_file 900000000\n");
    cg_memory_read(v1, &m);
    CHECK(cg_memory_used(&m) == 0);
    /* Without swap accounting (no memsw files) swap is unknown, not 0. */
    snprintf(path, sizeof path, "%s/memory/memory.memsw.usage_in_bytes", v1);
    unlink(path);
    cg_memory_read(v1, &m);
    CHECK(m.version == 1 && !m.swap_known && m.swap == 0);
    /* Nothing there at all. */
    snprintf(path, sizeof path, "%s/none", tmp);
    cg_memory_read(path, &m);
    CHECK(m.version == 0 && !m.limited && m.swap_room == -1);

    /* When the guard acts. */
    struct dyno_resources res = {512, "cgroup v1 memory.limit_in_bytes", true, 1, "x"};
    struct watch_limits l;
    put(v1, "memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
    cg_memory_read(v1, &m);
    watch_limits_decide(&res, &m, "web.1", true, &l);
    CHECK(l.quota == 512 * MB && l.usage_from_cgroup && l.guard_pct == 100);
    watch_limits_decide(&res, &m, "web-12a34b56d-e78f9", true, &l); /* Fir */
    CHECK(l.guard_pct == 90 && strstr(l.guard_why, "Fir") != NULL);
    watch_limits_decide(&res, &m, "web.1", false, &l); /* no swap on the machine */
    CHECK(l.guard_pct == 90 && strstr(l.guard_why, "OOM") != NULL);
    res.memory_mb = 256; /* SOLODYNO_MEMORY_MB under the cgroup's limit: room above it */
    watch_limits_decide(&res, &m, "web.1", false, &l);
    CHECK(l.guard_pct == 100 && l.quota == 256 * MB);
    res.memory_known = false; /* the 512 MB guess is no quota to act on */
    watch_limits_decide(&res, &m, "web.1", true, &l);
    CHECK(l.quota == 0);
    snprintf(path, sizeof path, "%s/none", tmp);
    cg_memory_read(path, &m);
    res.memory_known = true;
    watch_limits_decide(&res, &m, "web.1", true, &l);
    CHECK(!l.usage_from_cgroup && l.guard_pct == 100);
}

int main(int argc, char **argv)
{
    test_settings();
    test_binds_port();
    if (argc > 1)
        test_cgroup(argv[1]);
    else
        CHECK(!"give a scratch directory");
    UNIT_DONE();
}
