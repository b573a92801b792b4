/* Unit tests of the app facts: detection on fixture-like trees, the file's
 * round trip, and parsing hostile content. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/app_scan.h"
#include "common/app_facts.h"
#include "common/fileio.h"
#include "unit.h"

static void put(const char *dir, const char *rel, const char *text)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    CHECK(write_file_atomic(path, text, strlen(text), 0644) == 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_app_facts MASTODON_FIXTURE SCRATCH_DIR\n");
        return 2;
    }
    struct app_facts f;
    app_facts_detect(argv[1], &f);
    CHECK(f.mastodon);
    CHECK(f.version[0] == 4 && f.version[1] == 3 && f.version[2] == 2);
    CHECK_STR(f.version_text, "4.3.2");
    CHECK(app_facts_reads(&f, "MAX_THREADS"));
    CHECK(app_facts_reads(&f, "WEB_CONCURRENCY"));
    CHECK_STR(app_facts_where(&f, "SIDEKIQ_CONCURRENCY"), "config/sidekiq.yml:2");
    CHECK_STR(app_facts_where(&f, "DB_POOL"), "config/database.yml:3");
    /* named in a constant, a comment and a string: not read */
    CHECK(!app_facts_reads(&f, "SERVICE_TIMEOUT") && !app_facts_reads(&f, "WAIT_TIMEOUT"));
    CHECK(!app_facts_reads(&f, "STREAMING_CLUSTER_NUM"));
    CHECK(!app_facts_mastodon_before(&f, 4, 2));
    CHECK(app_facts_mastodon_before(&f, 4, 4));

    /* An older Mastodon with a rack-timeout initializer, in a scratch app. */
    const char *app = argv[2];
    const char *why = NULL;
    CHECK(make_app_dir(app, "lib/mastodon", &why) == 0);
    CHECK(make_app_dir(app, "config/initializers", &why) == 0);
    put(app, "lib/mastodon/version.rb",
        "module Mastodon\n  module Version\n    def major; 3; end\n    def minor\n      5\n    end\n"
        "    def patch\n      17\n    end\n  end\nend\n");
    put(app, "config/initializers/timeout.rb",
        "Rack::Timeout.service_timeout = ENV.fetch('SERVICE_TIMEOUT', 90).to_i\n"
        "Rack::Timeout.wait_timeout = ENV.fetch('WAIT_TIMEOUT', 90).to_i\n"
        "# NOT_SERVICE_TIMEOUT is another word\n");
    app_facts_detect(app, &f);
    CHECK(f.mastodon && f.version[0] == 3 && f.version[1] == 5 && f.version[2] == 17);
    CHECK(app_facts_reads(&f, "SERVICE_TIMEOUT") && app_facts_reads(&f, "WAIT_TIMEOUT"));
    CHECK_STR(app_facts_where(&f, "WAIT_TIMEOUT"), "config/initializers/timeout.rb:2");
    CHECK(app_facts_mastodon_before(&f, 4, 2));

    /* Written, then read back the same. */
    CHECK(app_facts_write(app, &f, &why) == 0);
    struct app_facts back;
    CHECK(app_facts_read(app, &back) == 0);
    CHECK(back.mastodon && back.version[0] == 3 && back.version[1] == 5 && back.version[2] == 17);
    CHECK(back.reads == f.reads);
    CHECK_STR(app_facts_where(&back, "SERVICE_TIMEOUT"), "config/initializers/timeout.rb:1");

    /* A prerelease is recorded as written, and read back so. */
    put(app, "lib/mastodon/version.rb",
        "module Mastodon\n  module Version\n    def major\n      4\n    end\n    def minor\n      8\n    end\n"
        "    def patch\n      0\n    end\n    def default_prerelease\n      'alpha.1'\n    end\n  end\nend\n");
    app_facts_detect(app, &f);
    CHECK_STR(f.version_text, "4.8.0-alpha.1");
    CHECK(f.version[0] == 4 && f.version[1] == 8 && f.version[2] == 0);
    CHECK(app_facts_write(app, &f, &why) == 0 && app_facts_read(app, &back) == 0);
    CHECK_STR(back.version_text, "4.8.0-alpha.1");

    /* Mastodon before 1.2.2 had no version.rb: its config/application.rb says so. */
    char gone[4096];
    snprintf(gone, sizeof gone, "%s/lib/mastodon/version.rb", app);
    CHECK(unlink(gone) == 0);
    put(app, "config/application.rb", "require_relative 'boot'\n\nmodule Mastodon\n  class Application < Rails::Application\n");
    app_facts_detect(app, &f);
    CHECK(f.mastodon && f.version[0] == -1 && f.version_text[0] == '\0');
    put(app, "config/application.rb", "module MastodonLike\nend\n");
    app_facts_detect(app, &f);
    CHECK(!f.mastodon);

    /* Nothing outside the app is read: a root that is a symlink leading out
     * (app -> an outside directory, config -> /), a symlinked file or
     * directory below a root, a version.rb behind a symlinked lib. */
    char outside[4096], link[4096];
    snprintf(outside, sizeof outside, "%s-outside", app);
    CHECK(mkdir(outside, 0755) == 0 && make_app_dir(outside, "lib/mastodon", &why) == 0);
    put(outside, "reads.rb", "x = ENV['SERVICE_TIMEOUT']\n");
    put(outside, "lib/mastodon/version.rb", "module Mastodon\n  VERSION = '9.9.9'\nend\n");
    const char *strays[][2] = {{"app", outside}, {"config/initializers/out", outside}, {"streaming", "/"}};
    put(app, "config/initializers/timeout.rb", "# nothing read here\n");
    for (size_t i = 0; i < sizeof strays / sizeof *strays; i++) {
        snprintf(link, sizeof link, "%s/%s", app, strays[i][0]);
        CHECK(symlink(strays[i][1], link) == 0);
    }
    snprintf(link, sizeof link, "%s/config/initializers/reads.rb", app);
    snprintf(outside + strlen(outside), sizeof outside - strlen(outside), "/reads.rb");
    CHECK(symlink(outside, link) == 0);
    app_facts_detect(app, &f);
    CHECK(f.reads == 0);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/lib' && ln -s '%s-outside/lib' '%s/lib'", app, app, app);
    CHECK(system(cmd) == 0);
    app_facts_detect(app, &f);
    CHECK(!f.mastodon && f.reads == 0);
    /* a root that is a symlink inside the app is read */
    snprintf(cmd, sizeof cmd, "rm -f '%s/lib' && mkdir -p '%s/src/lib' && ln -s src/lib '%s/lib' && "
                              "printf \"x = ENV.fetch('WAIT_TIMEOUT', 5)\\n\" >'%s/src/lib/pool.rb'",
             app, app, app, app);
    CHECK(system(cmd) == 0);
    app_facts_detect(app, &f);
    CHECK_STR(app_facts_where(&f, "WAIT_TIMEOUT"), "lib/pool.rb:1");
    CHECK(!app_facts_reads(&f, "SERVICE_TIMEOUT"));

    /* Missing file: a generic app. */
    CHECK(app_facts_read("/nonexistent-solodyno-app", &back) == -1);
    CHECK(!back.mastodon && back.version[0] == -1 && back.reads == 0);

    /* Hostile or odd content: skipped, never trusted. */
    const char *odd = "mastodon=true\nmastodon_version=99999.1.1\nreads=SERVICE_TIMEOUT,,BOGUS,\n=\n";
    app_facts_parse(odd, strlen(odd), &back);
    CHECK(back.mastodon && back.version[0] == -1);
    CHECK(app_facts_reads(&back, "SERVICE_TIMEOUT") && !app_facts_reads(&back, "WAIT_TIMEOUT"));
    const char *v2 = "mastodon=true\nmastodon_version=4.1\n";
    app_facts_parse(v2, strlen(v2), &back);
    CHECK(back.version[0] == 4 && back.version[1] == 1 && back.version[2] == 0);
    CHECK(app_facts_mastodon_before(&back, 4, 2));
    const char *notm = "mastodon=yes\nmastodon_version=4.1.0\n";
    app_facts_parse(notm, strlen(notm), &back);
    CHECK(!back.mastodon && !app_facts_mastodon_before(&back, 4, 2));
    const char *pre = "mastodon=true\nmastodon_version=4.8.0-alpha.1\nreads=DB_POOL,WAIT_TIMEOUT\n"
                      "read.DB_POOL=config/database.yml:3\nread.WAIT_TIMEOUT=a\x01\x7f\xff.rb:1\n"
                      "read.SERVICE_TIMEOUT=not/read.rb:1\nread.BOGUS=x:1\n";
    app_facts_parse(pre, strlen(pre), &back);
    CHECK_STR(back.version_text, "4.8.0-alpha.1");
    CHECK(back.version[0] == 4 && back.version[1] == 8 && back.version[2] == 0);
    CHECK_STR(app_facts_where(&back, "DB_POOL"), "config/database.yml:3");
    CHECK_STR(app_facts_where(&back, "WAIT_TIMEOUT"), "a???.rb:1"); /* printable only */
    CHECK(app_facts_where(&back, "SERVICE_TIMEOUT") == NULL);   /* a place only for what is read */
    const char *badv[] = {"mastodon=true\nmastodon_version=4.2.0 beta\n", "mastodon=true\nmastodon_version=v4.2\n",
                          "mastodon=true\nmastodon_version=4\n",
                          "mastodon=true\nmastodon_version=4.2.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"};
    for (size_t i = 0; i < sizeof badv / sizeof *badv; i++) {
        app_facts_parse(badv[i], strlen(badv[i]), &back);
        CHECK(back.version[0] == -1 && back.version_text[0] == '\0');
    }

    /* A generic app: nothing Mastodon about it. */
    app_facts_detect("/nonexistent-solodyno-app", &f);
    CHECK(!f.mastodon && f.reads == 0);
    UNIT_DONE();
}
