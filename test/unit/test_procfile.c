/* Unit tests of the Procfile grammar (both modes) and of rewriting a file. */
#include <stdlib.h>

#include "common/procfile.h"
#include "unit.h"

static struct procfile pf;
static strbuf diag = STRBUF_INIT;

static int parse(const char *text, enum procfile_mode mode)
{
    procfile_free(&pf);
    sb_free(&diag);
    return procfile_parse(text, strlen(text), "Procfile", mode, &pf, &diag);
}

static char *render(void)
{
    strbuf out = STRBUF_INIT;
    procfile_render(&pf, &out);
    return sb_take(&out);
}

static const char *env_true(const char *name) { return strcmp(name, "ON") == 0 ? "true" : "yes"; }
static const char *env_both(const char *name) { return strncmp(name, "RUN_", 4) == 0 ? "true" : NULL; }
static const char *env_worker(const char *name) { return strcmp(name, "RUN_WORKER") == 0 ? "true" : NULL; }

int main(void)
{
    char *r;
    /* The app's Procfile: entries, comments, blanks, odd lines kept verbatim. */
    const char *app = "# comment\n\nweb: bundle exec puma -C config/puma.rb  \n"
                      "worker:bundle exec sidekiq\n  release: rake db:migrate\nthis is odd\n";
    CHECK(parse(app, PROCFILE_APP) == 0);
    CHECK(pf.n == 6);
    CHECK(pf.lines[0].kind == PROC_COMMENT && pf.lines[1].kind == PROC_BLANK);
    CHECK_STR(procfile_find(&pf, "web")->command, "bundle exec puma -C config/puma.rb");
    CHECK_STR(procfile_find(&pf, "worker")->command, "bundle exec sidekiq");
    CHECK_STR(procfile_find(&pf, "release")->command, "rake db:migrate");
    /* "this is odd" matches Heroku's loose rule: process type "this". */
    CHECK(procfile_find(&pf, "this") != NULL);
    CHECK(strstr(diag.data, "Procfile, line 6:") && strstr(diag.data, "no colon"));
    r = render();
    CHECK_STR(r, app);
    free(r);

    /* Lines Heroku could not read: kept, warned about, never entries. */
    CHECK(parse("web: a\n:nothing\n***\nweb.1: x\nx:\n", PROCFILE_APP) == 0);
    CHECK(pf.lines[1].kind == PROC_UNPARSED && pf.lines[2].kind == PROC_UNPARSED);
    CHECK(pf.lines[3].kind == PROC_UNPARSED && pf.lines[4].kind == PROC_UNPARSED);
    CHECK(strstr(diag.data, "line 2:") && strstr(diag.data, "line 3:") && strstr(diag.data, "line 5:"));
    CHECK(strstr(diag.data, "expected a command after the colon"));

    /* Duplicates: the last wins, with a warning; set() leaves one entry. */
    CHECK(parse("web: one\nworker: w\nweb: two\n", PROCFILE_APP) == 0);
    CHECK_STR(procfile_find(&pf, "web")->command, "two");
    CHECK(strstr(diag.data, "defined again (first on line 1); the last one wins"));
    procfile_set(&pf, "web", "three", NULL, false);
    r = render();
    CHECK_STR(r, "worker: w\nweb: three\n");
    free(r);

    /* CRLF and BOM survive a rewrite; a last line without newline is read. */
    CHECK(parse("\xEF\xBB\xBFweb: a\r\nworker: b", PROCFILE_APP) == 0);
    CHECK(pf.bom && pf.crlf);
    CHECK_STR(procfile_find(&pf, "worker")->command, "b");
    procfile_set(&pf, "release", "migrate", NULL, false);
    r = render();
    CHECK_STR(r, "\xEF\xBB\xBFweb: a\r\nworker: b\r\nrelease: migrate\r\n");
    free(r);

    /* NUL bytes and invalid UTF-8 in the app's Procfile: kept byte for byte. */
    const char nul[] = "web: a\nbad: x\0y\nodd: \xff\n";
    procfile_free(&pf);
    sb_free(&diag);
    CHECK(procfile_parse(nul, sizeof nul - 1, "Procfile", PROCFILE_APP, &pf, &diag) == 0);
    CHECK(pf.lines[1].kind == PROC_UNPARSED && pf.lines[2].kind == PROC_UNPARSED);
    CHECK_STR(pf.lines[1].name, "bad"); /* what Heroku would still see */
    strbuf out = STRBUF_INIT;
    procfile_render(&pf, &out);
    CHECK(out.len == sizeof nul - 1 && memcmp(out.data, nul, out.len) == 0);
    sb_free(&out);

    /* Procfile.web: conditions, and strict errors naming the line. */
    CHECK(parse("puma@!RUN_STREAMING: a\nsidekiq@RUN_WORKER: b\nplain:\tc\n", PROCFILE_WEB) == 0);
    CHECK_STR(pf.lines[0].cond_var, "RUN_STREAMING");
    CHECK(pf.lines[0].cond_negated && !pf.lines[1].cond_negated && !pf.lines[2].cond_var);
    CHECK(!procfile_member_enabled(&pf.lines[1], env_true));
    CHECK(procfile_member_enabled(&pf.lines[0], env_true));
    CHECK(procfile_member_enabled(&pf.lines[2], env_true));
    r = render();
    CHECK_STR(r, "puma@!RUN_STREAMING: a\nsidekiq@RUN_WORKER: b\nplain:\tc\n");
    free(r);
    procfile_set(&pf, "x", "y", "ON", true);
    r = render();
    CHECK(strstr(r, "x@!ON: y\n") != NULL);
    free(r);

    const char *bad_web[] = {
        "a: b\nno colon here\n", "a: b\n: empty name\n", "a@: x\n", "a@!: x\n", "a@1VAR: x\n",
        "a: b\nb:\n", "we b: x\n", "a: x\na: y\n", "n\xff: x\n",
    };
    for (size_t i = 0; i < sizeof bad_web / sizeof *bad_web; i++) {
        CHECK(parse(bad_web[i], PROCFILE_WEB) == -1);
        CHECK(diag.data && strstr(diag.data, "Procfile, line "));
    }
    CHECK(parse("a: b\nno colon here\n", PROCFILE_WEB) == -1);
    CHECK(strstr(diag.data, "line 2:") && strstr(diag.data, "expected NAME[@VAR|@!VAR]...: COMMAND"));
    char longname[80];
    memset(longname, 'n', 64);
    strcpy(longname + 64, ": x\n");
    CHECK(parse(longname, PROCFILE_WEB) == -1);
    CHECK(strstr(diag.data, "longer than 63"));
    longname[1] = '\0';
    CHECK(procfile_valid_name("web", 3) && !procfile_valid_name("", 0) && !procfile_valid_name("a.b", 3));

    /* Several conditions: all must hold, in any order; written back as read. */
    CHECK(parse("scheduler@RUN_WORKER@RUN_SCHEDULE: a\nsidekiq@RUN_WORKER@!RUN_SCHEDULE: b\n", PROCFILE_WEB) == 0);
    CHECK(pf.lines[0].n_conds == 2 && pf.lines[1].n_conds == 2);
    CHECK_STR(pf.lines[0].conds[1].var, "RUN_SCHEDULE");
    CHECK(!pf.lines[0].conds[1].negated && pf.lines[1].conds[1].negated);
    CHECK_STR(pf.lines[0].cond_var, "RUN_WORKER"); /* the first, for callers naming one */
    CHECK(procfile_member_enabled(&pf.lines[0], env_both) && !procfile_member_enabled(&pf.lines[1], env_both));
    CHECK(!procfile_member_enabled(&pf.lines[0], env_worker) && procfile_member_enabled(&pf.lines[1], env_worker));
    CHECK(!procfile_member_enabled(&pf.lines[0], env_true) && !procfile_member_enabled(&pf.lines[1], env_true));
    strbuf said = STRBUF_INIT;
    procfile_describe_conditions(&pf.lines[1], env_worker, &said);
    CHECK_STR(said.data, "RUN_WORKER is \"true\" (it is \"true\") and RUN_SCHEDULE is not \"true\" (it is unset)");
    sb_free(&said);
    procfile_format_conditions(&pf.lines[1], &said);
    CHECK_STR(said.data, "@RUN_WORKER@!RUN_SCHEDULE");
    sb_free(&said);
    r = render();
    CHECK_STR(r, "scheduler@RUN_WORKER@RUN_SCHEDULE: a\nsidekiq@RUN_WORKER@!RUN_SCHEDULE: b\n");
    free(r);
    procfile_set(&pf, "sidekiq", "c", NULL, false); /* a rewrite drops the old conditions */
    r = render();
    CHECK(strstr(r, "\nsidekiq: c\n") != NULL);
    free(r);
    CHECK(parse("a@A@B@C@D@E@F@G@H: x\n", PROCFILE_WEB) == 0);
    const char *bad_conds[] = {"a@A@A: x\n", "a@A@!A: x\n", "a@A@B@C@D@E@F@G@H@I: x\n", "a@A@: x\n",
                               "a@A!B: x\n", "a@A @B: x\n", "a@@A: x\n", "a@A@!: x\n"};
    for (size_t i = 0; i < sizeof bad_conds / sizeof *bad_conds; i++) {
        CHECK(parse(bad_conds[i], PROCFILE_WEB) == -1);
        CHECK(diag.data && strstr(diag.data, "Procfile, line 1: "));
    }
    CHECK(parse("a@A@!A: x\n", PROCFILE_WEB) == -1 && strstr(diag.data, "two conditions of one member"));
    CHECK(parse("a@A@B@C@D@E@F@G@H@I: x\n", PROCFILE_WEB) == -1 && strstr(diag.data, "more than 8 conditions"));
    /* The app's Procfile has no conditions: '@' there is a line Heroku's rule does not read. */
    CHECK(parse("web@X: a\n", PROCFILE_APP) == 0 && pf.lines[0].kind == PROC_UNPARSED && !pf.lines[0].conds);

    /* remove */
    CHECK(parse("web: a\nworker: b\nweb: c\n", PROCFILE_APP) == 0);
    procfile_remove(&pf, "web");
    r = render();
    CHECK_STR(r, "worker: b\n");
    free(r);

    procfile_free(&pf);
    sb_free(&diag);
    UNIT_DONE();
}
