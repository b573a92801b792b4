/* Unit tests of the one-dyno layout computed from a Procfile (no files: the
 * scripts the web line names come from a table). */
#include <stdlib.h>

#include "build/procfile_layout.h"
#include "unit.h"

/* The app's files a web line may name. */
static const char *heroku_web = MASTODON_HEROKU_WEB;
static const char *foreman_file = NULL;
static int refuse = 0;
static int no_streaming = 0; /* a Mastodon tree from before streaming/ existed */

static int read_app_file(void *ctx, const char *rel, char **data, size_t *len, const char **why)
{
    (void)ctx;
    if (refuse) {
        *why = "it is a symlink leading outside the app directory";
        return -1;
    }
    if (!strcmp(rel, "streaming")) {
        if (no_streaming)
            return 1;
        *why = "it is a directory";
        return -1;
    }
    const char *content = !strcmp(rel, "bin/heroku-web") ? heroku_web : foreman_file;
    if (!content)
        return 1;
    *data = strdup(content);
    *len = strlen(content);
    return 0;
}

static struct layout_out out;

static enum layout_outcome layout(const char *procfile, bool mastodon, bool has_web)
{
    layout_out_free(&out);
    struct layout_in in = {procfile, procfile ? strlen(procfile) : 0, has_web, mastodon, read_app_file, NULL};
    layout_compute(&in, &out);
    return out.outcome;
}

/* The members of the Procfile.web written, without the comment header. */
static const char *members(void)
{
    const char *p = out.procfile_web.data;
    if (!p)
        return "(none)";
    while (*p == '#')
        p = strchr(p, '\n') + 1;
    return p;
}

/* Running the layout again on its own output changes nothing. */
static void check_idempotent(bool mastodon)
{
    char *again = strdup(out.procfile.data);
    struct layout_out first = out;
    memset(&out, 0, sizeof out);
    CHECK(layout(again, mastodon, true) == LAYOUT_UNCHANGED);
    layout_out_free(&out);
    out = first;
    free(again);
}

/* Members read BIND from the dyno (a user's, or solodyno env's), 0.0.0.0 when unset. */
#define PUMA "BIND=${BIND:-0.0.0.0} bundle exec puma -C config/puma.rb"
#define GUARD(cmd) \
    "if [ \"$RUN_STREAMING\" != \"true\" ]; then " cmd "; else echo \"Not migrating on this app (RUN_STREAMING=true)\"; fi"

int main(void)
{
    /* Upstream Mastodon: bin/heroku-web split, worker kept with -c, release added. */
    CHECK(layout("web: bin/heroku-web\nworker: bundle exec sidekiq\n", true, false) == LAYOUT_CHANGED);
    CHECK_STR(out.procfile.data, "web: solodyno run Procfile.web\nworker: bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\"\n"
                                 "release: " GUARD("bundle exec rails db:migrate") "\n");
    CHECK(out.web_new);
    CHECK_STR(members(), "puma@!RUN_STREAMING: " PUMA "\nsidekiq@RUN_WORKER: bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\"\n"
                         "streaming@RUN_STREAMING: BIND=${BIND:-0.0.0.0} node ./streaming\n");
    check_idempotent(true);

    /* No Procfile: Mastodon's default layout, the same members. */
    CHECK(layout(NULL, true, false) == LAYOUT_CHANGED);
    CHECK_STR(out.procfile.data, "web: solodyno run Procfile.web\nworker: bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\"\n"
                                 "release: " GUARD("bundle exec rails db:migrate") "\n");
    CHECK(strstr(out.procfile_web.data, "from Mastodon's defaults"));
    check_idempotent(true);

    /* A plain Puma web line: the puma member, streaming from the defaults; an
     * existing release is guarded; other types, comments and order survive. */
    CHECK(layout("# mine\r\nclock: bin/clock\r\nweb: bundle exec puma -C config/puma.rb\r\nrelease: rake db:migrate "
                 "&& rake cache:clear\r\nworker: bundle exec sidekiq -c 2\r\nconsole: bin/rails c",
                 true, false) == LAYOUT_CHANGED);
    CHECK_STR(out.procfile.data, "# mine\r\nclock: bin/clock\r\nweb: solodyno run Procfile.web\r\nrelease: "
                                 GUARD("rake db:migrate && rake cache:clear") "\r\nworker: bundle exec sidekiq -c 2\r\n"
                                 "console: bin/rails c\r\n");
    CHECK_STR(members(), "puma@!RUN_STREAMING: bundle exec puma -C config/puma.rb\n"
                         "sidekiq@RUN_WORKER: bundle exec sidekiq -c 2\nstreaming@RUN_STREAMING: BIND=${BIND:-0.0.0.0} node ./streaming\n");
    check_idempotent(true);

    /* A Mastodon tree older than its streaming server (no streaming/, no
     * start script): Puma runs on every dyno, as the plain web line did, and
     * no streaming member is added that could only fail. */
    no_streaming = 1;
    CHECK(layout("web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -q default\n", true, false) ==
          LAYOUT_CHANGED);
    CHECK_STR(members(), "puma: bundle exec puma -C config/puma.rb\n"
                         "sidekiq@RUN_WORKER: bundle exec sidekiq -q default -c \"${SIDEKIQ_THREADS:-5}\"\n");
    CHECK(strstr(out.log.data, "no streaming server"));
    check_idempotent(true);
    CHECK(layout(NULL, true, false) == LAYOUT_CHANGED);
    CHECK_STR(members(), "puma: " PUMA "\nsidekiq@RUN_WORKER: bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\"\n");
    no_streaming = 0;

    /* Generic app: app + worker@RUN_WORKER, no release added, no guard. */
    CHECK(layout("\xEF\xBB\xBFweb: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq\nrelease: bin/rails "
                 "db:migrate\n",
                 false, false) == LAYOUT_CHANGED);
    CHECK_STR(out.procfile.data, "\xEF\xBB\xBFweb: solodyno run Procfile.web\nworker: bundle exec sidekiq -c "
                                 "\"${SIDEKIQ_THREADS:-5}\"\nrelease: bin/rails db:migrate\n");
    CHECK_STR(members(), "app: bundle exec puma -C config/puma.rb\nworker@RUN_WORKER: bundle exec sidekiq -c "
                         "\"${SIDEKIQ_THREADS:-5}\"\n");
    check_idempotent(false);
    /* A generic web command is its app member as it is, whatever it is. */
    CHECK(layout("web: bin/setup; bin/heroku-web\n", false, false) == LAYOUT_CHANGED);
    CHECK_STR(members(), "app: bin/setup; bin/heroku-web\n");
    CHECK(layout("web: node server.js\n", false, false) == LAYOUT_CHANGED);
    CHECK_STR(members(), "app: node server.js\n");
    /* ...but a one-liner it cannot map is kept. */
    CHECK(layout("web: node a.js & node b.js & wait -n\n", false, false) == LAYOUT_KEPT);
    CHECK(strstr(out.log.data, "cannot tell which process"));
    CHECK(layout("web: puma & sidekiq & wait -n\nworker: sidekiq\n", false, false) == LAYOUT_CHANGED);
    CHECK_STR(members(), "app: puma\nworker: sidekiq -c \"${SIDEKIQ_THREADS:-5}\"\n");

    /* Generic without a Procfile or without web: a warning, no layout. */
    CHECK(layout(NULL, false, false) == LAYOUT_NONE);
    CHECK(strstr(out.log.data, "! No Procfile"));
    CHECK(layout("worker: sidekiq\n", false, false) == LAYOUT_NONE);

    /* Duplicates: the last one wins; the rewrite leaves one line. */
    CHECK(layout("web: bundle exec puma\nweb: BIND=0.0.0.0 bundle exec puma -C x.rb\nworker: a\nworker: bundle exec "
                 "sidekiq -c 1\n",
                 true, false) == LAYOUT_CHANGED);
    CHECK(strstr(out.log.data, "defined again (first on line 1); the last one wins"));
    CHECK_STR(out.procfile.data, "web: solodyno run Procfile.web\nworker: a\nworker: bundle exec sidekiq -c 1\n"
                                 "release: " GUARD("bundle exec rails db:migrate") "\n");
    CHECK(strstr(members(), "puma@!RUN_STREAMING: BIND=${BIND:-0.0.0.0} bundle exec puma -C x.rb\n"));
    CHECK(strstr(members(), "sidekiq@RUN_WORKER: bundle exec sidekiq -c 1\n"));

    /* A web or release line we cannot read: everything kept. */
    CHECK(layout("web: bundle exec puma\nweb: \xff\n", true, false) == LAYOUT_KEPT);
    CHECK(strstr(out.log.data, "line 2: the web line is not one solodyno can read"));
    CHECK(out.procfile.len == 0 && out.procfile_web.len == 0);
    /* A worker line we cannot read: that line kept byte for byte (an earlier
     * readable one is not the one Heroku runs, so it is not touched either),
     * the web dyno's Sidekiq from Mastodon's defaults. */
    static const char nul[] = "web: bundle exec puma\nworker: sidekiq -q a\nworker: side\0kiq\n";
    layout_out_free(&out);
    struct layout_in in = {nul, sizeof nul - 1, false, true, read_app_file, NULL};
    layout_compute(&in, &out);
    CHECK(out.outcome == LAYOUT_CHANGED);
    static const char nul_after[] = "web: solodyno run Procfile.web\nworker: sidekiq -q a\nworker: side\0kiq\nrelease: ";
    CHECK(out.procfile.len > sizeof nul_after && !memcmp(out.procfile.data, nul_after, sizeof nul_after - 1));
    CHECK(strstr(out.log.data, "line 3: the worker line is not one solodyno can read"));
    CHECK(strstr(members(), "sidekiq@RUN_WORKER: " MASTODON_SIDEKIQ "\n"));
    layout_out_free(&out);
    in.mastodon = false;
    layout_compute(&in, &out);
    CHECK(out.outcome == LAYOUT_CHANGED && !strstr(members(), "worker@"));
    CHECK(strstr(out.log.data, "the web dyno runs no worker"));
    CHECK(layout("web: bundle exec puma\nrelease:  \n", true, false) == LAYOUT_KEPT);

    /* Odd lines elsewhere are kept verbatim and the layout goes on. */
    CHECK(layout("web: bin/heroku-web\nthis.is: odd\n: nothing\n", true, false) == LAYOUT_CHANGED);
    CHECK(strstr(out.procfile.data, "web: solodyno run Procfile.web\nthis.is: odd\n: nothing\n"));

    /* The app's own Procfile.web: the web line points to it; nothing else written. */
    CHECK(layout("web: bin/anything\nworker: bundle exec sidekiq -c 1\n", true, true) == LAYOUT_CHANGED);
    CHECK(!out.web_new && out.procfile_web.len == 0);
    CHECK(strstr(out.procfile.data, "web: solodyno run Procfile.web\n"));
    CHECK(layout("web: solodyno run Procfile.web\n", true, false) == LAYOUT_ERROR);
    CHECK(strstr(out.log.data, "E Procfile, line 1: web runs 'solodyno run Procfile.web', but the app has no "
                               "Procfile.web"));

    /* bin/heroku-web: missing (upstream's used), unreadable (kept), unknown
     * content (kept), invalid UTF-8 (cannot go into Procfile.web: kept), with
     * variables set before it (given to each process). */
    heroku_web = NULL;
    CHECK(layout("web: bin/heroku-web\nworker: bundle exec sidekiq\n", true, false) == LAYOUT_CHANGED);
    CHECK(strstr(out.log.data, "which the app does not have; using upstream Mastodon's"));
    CHECK(strstr(members(), "puma@!RUN_STREAMING: " PUMA "\n"));
    refuse = 1;
    CHECK(layout("web: bin/heroku-web\n", true, false) == LAYOUT_KEPT);
    CHECK(strstr(out.log.data, "symlink leading outside"));
    refuse = 0;
    heroku_web = "#!/bin/sh\ncd /srv && exec ./run-everything\n";
    CHECK(layout("web: bin/heroku-web\n", true, false) == LAYOUT_KEPT);
    heroku_web = "if [ \"$RUN_STREAMING\" != \"true\" ]; then puma -C \xff; else node ./streaming; fi";
    CHECK(layout("web: bin/heroku-web\n", true, false) == LAYOUT_KEPT);
    CHECK(strstr(out.log.data, "cannot go into Procfile.web"));
    heroku_web = MASTODON_HEROKU_WEB;
    CHECK(layout("web: exec bash ./bin/heroku-web\n", true, false) == LAYOUT_CHANGED);
    CHECK(strstr(members(), "puma@!RUN_STREAMING: " PUMA "\n"));
    CHECK(layout("web: MALLOC_ARENA_MAX=2 bin/heroku-web\n", true, false) == LAYOUT_CHANGED);
    CHECK(strstr(members(), "puma@!RUN_STREAMING: MALLOC_ARENA_MAX=2 " PUMA "\n"));
    CHECK(strstr(members(), "streaming@RUN_STREAMING: MALLOC_ARENA_MAX=2 BIND=${BIND:-0.0.0.0} node ./streaming\n"));

    /* BIND=0.0.0.0 yields to a BIND set on the dyno; any other address, or a
     * value with quotes or expansions, is the app's and stays. */
    static const struct {
        const char *web, *member;
    } binds[] = {
        {"web: FOO=1 BIND=0.0.0.0 bundle exec puma\n", "FOO=1 BIND=${BIND:-0.0.0.0} bundle exec puma"},
        {"web: BIND=[::]  bundle exec puma\n", "BIND=${BIND:-[::]}  bundle exec puma"},
        {"web: BIND=127.0.0.1 bundle exec puma\n", "BIND=127.0.0.1 bundle exec puma"},
        {"web: BIND=\"0.0.0.0\" bundle exec puma\n", "BIND=\"0.0.0.0\" bundle exec puma"},
        {"web: BIND=$HOST bundle exec puma\n", "BIND=$HOST bundle exec puma"},
        {"web: bundle exec puma BIND=0.0.0.0\n", "bundle exec puma BIND=0.0.0.0"},
        {"web: BINDX=0.0.0.0 bundle exec puma\n", "BINDX=0.0.0.0 bundle exec puma"},
    };
    for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++) {
        CHECK(layout(binds[i].web, true, false) == LAYOUT_CHANGED);
        char want[160];
        snprintf(want, sizeof want, "puma@!RUN_STREAMING: %s\n", binds[i].member);
        CHECK(strstr(members(), want));
        check_idempotent(true);
    }

    /* foreman start -f Procfile.heroku: its processes, always, plus Sidekiq. */
    foreman_file = "nginx: bin/start-nginx-solo\nrails: env PORT=3000 bundle exec puma -C config/puma.rb\n"
                   "streaming: env PORT=4000 node ./streaming\n";
    CHECK(layout("web: bundle exec foreman start -f Procfile.heroku\nworker: bundle exec sidekiq\n", true, false) ==
          LAYOUT_CHANGED);
    CHECK_STR(members(), "nginx: bin/start-nginx-solo\nrails: env PORT=3000 bundle exec puma -C config/puma.rb\n"
                         "streaming: env PORT=4000 node ./streaming\nsidekiq@RUN_WORKER: bundle exec sidekiq -c "
                         "\"${SIDEKIQ_THREADS:-5}\"\n");
    CHECK(layout("web: foreman start -f Procfile.heroku -m rails=2\n", true, false) == LAYOUT_KEPT);
    CHECK(layout("web: foreman start\n", true, false) == LAYOUT_KEPT);
    foreman_file = NULL;
    CHECK(layout("web: foreman start -f Procfile.missing\n", true, false) == LAYOUT_KEPT);

    /* Mastodon with a web command that is not Puma: kept, with a warning. */
    CHECK(layout("web: bin/start-everything\n", true, false) == LAYOUT_KEPT);
    CHECK(strstr(out.log.data, "not recognise as Puma"));

    /* A one-liner with two Sidekiqs: both kept, the second named sidekiq-2. */
    CHECK(layout("web: puma & sidekiq -q a & sidekiq -q b & wait -n\n", true, false) == LAYOUT_CHANGED);
    CHECK_STR(members(), "puma: puma\nsidekiq: sidekiq -q a -c \"${SIDEKIQ_THREADS:-5}\"\nsidekiq-2: sidekiq -q b -c "
                         "\"${SIDEKIQ_THREADS:-5}\"\n");
    check_idempotent(true);

    layout_out_free(&out);
    UNIT_DONE();
}
