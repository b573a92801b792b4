/* Unit tests of the app facts: detection on fixture-like trees, the file's
 * round trip, and parsing hostile content. */
#include <stdlib.h>
#include <sys/stat.h>

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
    CHECK(app_facts_reads(&f, "MAX_THREADS"));
    CHECK(app_facts_reads(&f, "WEB_CONCURRENCY"));
    CHECK(!app_facts_reads(&f, "SERVICE_TIMEOUT"));
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
    CHECK(app_facts_mastodon_before(&f, 4, 2));

    /* Written, then read back the same. */
    CHECK(app_facts_write(app, &f, &why) == 0);
    struct app_facts back;
    CHECK(app_facts_read(app, &back) == 0);
    CHECK(back.mastodon && back.version[0] == 3 && back.version[1] == 5 && back.version[2] == 17);
    CHECK(back.reads == f.reads);

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

    /* A generic app: nothing Mastodon about it. */
    app_facts_detect("/nonexistent-solodyno-app", &f);
    CHECK(!f.mastodon && f.reads == 0);
    UNIT_DONE();
}
