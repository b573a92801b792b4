/* Unit tests of reading Procfile commands: the shell lexer, recognising
 * multi-process one-liners and bin/heroku-web, Sidekiq's -c, the release guard. */
#include <stdlib.h>

#include "build/oneliner.h"
#include "build/proc_command.h"
#include "build/shell_lex.h"
#include "unit.h"

static struct ol_result res;

static enum ol_status parse(const char *cmd)
{
    ol_result_free(&res);
    return oneliner_parse(cmd, strlen(cmd), &res);
}

static const char *member(size_t i, const char *want_cond)
{
    static char buf[256];
    if (i >= res.n)
        return "(none)";
    const struct ol_member *m = &res.members[i];
    /* "-" for none, else "A@!B": the conditions in order, '@'-separated */
    snprintf(buf, sizeof buf, "%s", m->n_conds ? "" : "-");
    for (size_t k = 0; k < m->n_conds; k++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s%s", k ? "@" : "", m->conds[k].negated ? "!" : "",
                 m->conds[k].var);
    if (strcmp(buf, want_cond) != 0) {
        fprintf(stderr, "member %zu: condition %s, want %s\n", i, buf, want_cond);
        unit_failures++;
    }
    return m->command;
}

static char *added(const char *cmd)
{
    strbuf sb = STRBUF_INIT;
    if (!sidekiq_add_concurrency(cmd, &sb))
        return NULL;
    return sb_take(&sb);
}

int main(void)
{
    /* ---- lexer */
    struct sh_toks t;
    const char *why = NULL;
    const char *cmd = "A=1 \"b c\" 'd'e\\ f ${X:-5} $(echo \")\") 2>&1 >>log & x && y || z | w; # c ; gone";
    CHECK(sh_lex(cmd, strlen(cmd), &t, &why) == 0);
    CHECK(t.n == 18 && t.t[17].kind == SH_SEMI);
    CHECK_STR(t.t[0].value, "A=1");
    CHECK_STR(t.t[1].value, "b c");
    CHECK_STR(t.t[2].value, "de f");
    CHECK_STR(t.t[3].value, "${X:-5}");
    CHECK_STR(t.t[4].value, "$(echo \")\")");
    CHECK(t.t[5].kind == SH_REDIR && t.t[6].redir_target && t.t[7].kind == SH_REDIR);
    CHECK(t.t[9].kind == SH_AMP && t.t[11].kind == SH_AND && t.t[13].kind == SH_OR && t.t[15].kind == SH_PIPE);
    CHECK_STR(t.t[16].value, "w");
    sh_toks_free(&t);
    static const char *const bad[] = {"echo 'open", "echo \"open", "cat <<EOF", "(cd x)", "a;; b", "echo $(x",
                                      "echo `x", "echo ${x", "{ a; }", "echo >", "x\\"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        CHECK(sh_lex(bad[i], strlen(bad[i]), &t, &why) == -1);
        CHECK(why != NULL);
    }
    CHECK(sh_lex("cat <<<word", 11, &t, &why) == 0);
    sh_toks_free(&t);
    CHECK(sh_is_assignment("BIND=0.0.0.0") && !sh_is_assignment("-c=1") && !sh_is_assignment("=x"));

    /* ---- what a command runs */
    CHECK(proc_kind_of("BIND=0.0.0.0 bundle exec puma -C config/puma.rb") == KIND_WEB);
    CHECK(proc_kind_of("BIND=0.0.0.0 jemalloc.sh puma -C config/puma.rb") == KIND_WEB);
    CHECK(proc_kind_of("bin/rails server -p $PORT") == KIND_WEB);
    CHECK(proc_kind_of("sleep 25; exec env DB_POOL=5 bundle exec sidekiq -q default") == KIND_SIDEKIQ);
    CHECK(proc_kind_of("BIND=0.0.0.0 node ./streaming") == KIND_STREAMING);
    CHECK(proc_kind_of("node streaming/index.js") == KIND_STREAMING);
    CHECK(proc_kind_of("node server.js") == KIND_UNKNOWN);
    CHECK(proc_kind_of("bin/heroku-web") == KIND_UNKNOWN);
    CHECK(proc_kind_of("puma & sidekiq") == KIND_UNKNOWN); /* two kinds */
    CHECK(proc_kind_of("if [ \"$X\" == \"true\" ]; then sidekiq; else sidekiq -q a; fi") == KIND_SIDEKIQ);

    /* ---- Sidekiq's concurrency */
    char *r;
    CHECK_STR(r = added("bundle exec sidekiq"), "bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\"");
    free(r);
    CHECK_STR(r = added("bundle exec sidekiq -q default,2 2>&1 | tee log; echo done"),
              "bundle exec sidekiq -q default,2 2>&1 -c \"${SIDEKIQ_THREADS:-5}\" | tee log; echo done");
    free(r);
    CHECK_STR(r = added("sidekiq -q a # a comment"), "sidekiq -q a -c \"${SIDEKIQ_THREADS:-5}\" # a comment");
    free(r);
    CHECK_STR(r = added("bundle exec sidekiq -C config/sidekiq.yml"),
              "bundle exec sidekiq -C config/sidekiq.yml -c \"${SIDEKIQ_THREADS:-5}\"");
    free(r);
    CHECK(added("bundle exec sidekiq -c 5") == NULL);
    CHECK(added("bundle exec sidekiq -c5") == NULL);
    CHECK(added("bundle exec sidekiq --concurrency=3") == NULL);
    CHECK(added("bundle exec sidekiq --concurrency 3") == NULL);
    CHECK(added("bundle exec rake jobs:work") == NULL);
    CHECK(added("echo sidekiq") == NULL);
    CHECK(added("sidekiq 'unclosed") == NULL); /* unreadable: left alone */

    /* ---- the release guard */
    strbuf g = STRBUF_INIT;
    CHECK(release_guard("bundle exec rails db:migrate && rails runner Rails.cache.clear", &g));
    CHECK_STR(g.data, "if [ \"$RUN_STREAMING\" != \"true\" ]; then bundle exec rails db:migrate && rails runner "
                      "Rails.cache.clear; else echo \"Not migrating on this app (RUN_STREAMING=true)\"; fi");
    sb_free(&g);
    CHECK(release_guard("rake db:migrate # it's done", &g));
    CHECK_STR(g.data, "if [ \"$RUN_STREAMING\" != \"true\" ]; then bash -c 'rake db:migrate # it'\\''s done'; "
                      "else echo \"Not migrating on this app (RUN_STREAMING=true)\"; fi");
    sb_free(&g);
    CHECK(release_guard("if [ -n \"$X\" ]; then a; fi", &g));
    CHECK(strstr(g.data, "then bash -c 'if [") != NULL);
    sb_free(&g);
    CHECK(release_guard("migrate &", &g));
    CHECK(strstr(g.data, "bash -c 'migrate &'") != NULL);
    sb_free(&g);
    CHECK(!release_guard("if [ \"$RUN_STREAMING\" != \"true\" ]; then rake db:migrate; fi", &g));
    CHECK(g.len == 0);

    /* ---- shapes: bin/heroku-web (select), on one line and as a script */
    CHECK(parse("if [ \"$RUN_STREAMING\" != \"true\" ]; then BIND=0.0.0.0 bundle exec puma -C config/puma.rb; "
                "else BIND=0.0.0.0 node ./streaming; fi") == OL_OK);
    CHECK(res.shape == OL_SELECT && res.n == 2);
    CHECK_STR(member(0, "!RUN_STREAMING"), "BIND=0.0.0.0 bundle exec puma -C config/puma.rb");
    CHECK_STR(member(1, "RUN_STREAMING"), "BIND=0.0.0.0 node ./streaming");
    CHECK(res.members[0].kind == KIND_WEB && res.members[1].kind == KIND_STREAMING);
    CHECK(parse("#!/bin/bash\r\n\r\nif [[ $RUN_STREAMING == true ]]\r\nthen\r\n  exec bundle exec puma\r\nelse\r\n"
                "  exec node ./streaming\r\nfi\r\n") == OL_OK);
    CHECK(res.shape == OL_SELECT);
    CHECK_STR(member(0, "RUN_STREAMING"), "exec bundle exec puma");
    CHECK_STR(member(1, "!RUN_STREAMING"), "exec node ./streaming");

    /* ---- shapes: multi-process one-liners */
    CHECK(parse("trap '' SIGTERM; if [ \"$RUN_STREAMING\" != \"true\" ]; then BIND=0.0.0.0 jemalloc.sh puma -C "
                "config/puma.rb & fi; if [ \"$RUN_WORKER\" == \"true\" ]; then sleep 25; jemalloc.sh sidekiq -c "
                "${SIDEKIQ_THREADS:-5} & fi; if [ \"$RUN_STREAMING\" == \"true\" ]; then BIND=0.0.0.0 node "
                "./streaming & fi; wait -n; kill -SIGTERM -$$; wait") == OL_OK);
    CHECK(res.shape == OL_MULTI && res.n == 3);
    CHECK_STR(member(0, "!RUN_STREAMING"), "BIND=0.0.0.0 jemalloc.sh puma -C config/puma.rb");
    CHECK_STR(member(1, "RUN_WORKER"), "sleep 25; jemalloc.sh sidekiq -c ${SIDEKIQ_THREADS:-5}");
    CHECK_STR(member(2, "RUN_STREAMING"), "BIND=0.0.0.0 node ./streaming");
    CHECK_STR(res.dropped.data, "trap '' SIGTERM; wait -n; kill -SIGTERM -$$; wait");

    CHECK(parse("if [ \"$RUN_STREAMING\" != \"true\" ]; then BIND=0.0.0.0 puma -C config/puma.rb & else BIND=0.0.0.0 "
                "node ./streaming & fi; if [ \"$RUN_WORKER\" == \"true\" ]; then sleep 25; if [ \"$RUN_SCHEDULE\" "
                "== \"true\" ]; then sidekiq -c 5 & else sidekiq -c 5 -q default -q push & fi; fi; wait -n") == OL_OK);
    /* a variable test nested in another adds a condition: each Sidekiq runs
     * alone, and none ends because RUN_SCHEDULE is what it is */
    CHECK(res.shape == OL_MULTI && res.n == 4);
    CHECK_STR(member(0, "!RUN_STREAMING"), "BIND=0.0.0.0 puma -C config/puma.rb");
    CHECK_STR(member(1, "RUN_STREAMING"), "BIND=0.0.0.0 node ./streaming");
    CHECK_STR(member(2, "RUN_WORKER@RUN_SCHEDULE"), "sleep 25; sidekiq -c 5");
    CHECK_STR(member(3, "RUN_WORKER@!RUN_SCHEDULE"), "sleep 25; sidekiq -c 5 -q default -q push");
    CHECK(res.members[2].kind == KIND_SIDEKIQ && res.members[3].kind == KIND_SIDEKIQ);

    /* the same without an else: the scheduler only where RUN_SCHEDULE is true */
    CHECK(parse("if [ \"$RUN_WORKER\" == \"true\" ]; then sleep 25; sidekiq -q default & if [ \"$RUN_SCHEDULE\" == "
                "\"true\" ]; then sidekiq -q scheduler & fi; fi; BIND=0.0.0.0 puma -C config/puma.rb & wait -n") == OL_OK);
    CHECK(res.n == 3);
    CHECK_STR(member(0, "RUN_WORKER"), "sleep 25; sidekiq -q default");
    CHECK_STR(member(1, "RUN_WORKER@RUN_SCHEDULE"), "sleep 25; sidekiq -q scheduler");
    CHECK_STR(member(2, "-"), "BIND=0.0.0.0 puma -C config/puma.rb");

    /* && lists: [ ... ] && CMD, [[ ]], test, || with the opposite, chains */
    CHECK(parse("trap '' SIGTERM; [ \"$RUN_STREAMING\" != \"true\" ] && BIND=0.0.0.0 puma -C config/puma.rb & "
                "[[ $RUN_WORKER == true ]] && test \"${RUN_SCHEDULE:-false}\" = true && sidekiq -q scheduler & "
                "[ \"$RUN_WORKER\" = \"true\" ] && sleep 25 && sidekiq & [ \"$RUN_STREAMING\" == \"true\" ] || "
                "[ \"$X\" == \"true\" ] || exec node ./streaming & wait -n; kill -SIGTERM -$$; wait") == OL_OK);
    CHECK(res.shape == OL_MULTI && res.n == 4);
    CHECK_STR(member(0, "!RUN_STREAMING"), "BIND=0.0.0.0 puma -C config/puma.rb");
    CHECK_STR(member(1, "RUN_WORKER@RUN_SCHEDULE"), "sidekiq -q scheduler");
    CHECK_STR(member(2, "RUN_WORKER"), "sleep 25 && sidekiq");
    CHECK_STR(member(3, "!RUN_STREAMING@!X"), "exec node ./streaming");
    CHECK(res.members[2].kind == KIND_SIDEKIQ);
    /* one && line alone is a choice, like bin/heroku-web */
    CHECK(parse("[ \"$RUN_STREAMING\" != \"true\" ] && BIND=0.0.0.0 bundle exec puma -C config/puma.rb") == OL_OK);
    CHECK(res.shape == OL_SELECT && res.n == 1);
    CHECK_STR(member(0, "!RUN_STREAMING"), "BIND=0.0.0.0 bundle exec puma -C config/puma.rb");

    /* elif chains and && in an if's test */
    CHECK(parse("if [ \"$RUN_STREAMING\" == \"true\" ]; then node ./streaming; elif [ \"$RUN_WORKER\" == \"true\" "
                "]; then sidekiq; else puma; fi") == OL_OK);
    CHECK(res.shape == OL_SELECT && res.n == 3);
    CHECK_STR(member(0, "RUN_STREAMING"), "node ./streaming");
    CHECK_STR(member(1, "!RUN_STREAMING@RUN_WORKER"), "sidekiq");
    CHECK_STR(member(2, "!RUN_STREAMING@!RUN_WORKER"), "puma");
    CHECK(parse("if [ \"$RUN_WORKER\" == \"true\" ] && [ \"$RUN_SCHEDULE\" == \"true\" ]; then sidekiq -q scheduler "
                "& fi; puma & wait -n") == OL_OK);
    CHECK_STR(member(0, "RUN_WORKER@RUN_SCHEDULE"), "sidekiq -q scheduler");
    /* the else of a test of two variables would need an "or" */
    CHECK(parse("if [ \"$A\" == \"true\" ] && [ \"$B\" == \"true\" ]; then puma & else sidekiq & fi; wait") ==
          OL_UNMAPPED);
    CHECK(strstr(res.why, "'or'"));

    /* another test may decide what runs only as an if/else with one process
     * in each branch (something always runs) */
    CHECK(parse("if [ -f config/local.rb ]; then puma -C config/local.rb & else puma -C config/puma.rb & fi; "
                "[ \"$RUN_WORKER\" == \"true\" ] && sidekiq & wait -n") == OL_OK);
    CHECK_STR(member(0, "-"), "if [ -f config/local.rb ]; then puma -C config/local.rb; else puma -C config/puma.rb; fi");
    CHECK(res.members[0].kind == KIND_WEB);
    static const char *const ends_on_a_test[] = {
        /* no else: nothing would run when the test is false */
        "puma & if [ -f x ]; then sidekiq & fi; wait -n",
        "puma & if [ \"$RUN_WORKER\" == \"1\" ]; then sidekiq & fi; wait -n",
        "puma & [ -n \"$RUN_WORKER\" ] && sidekiq & wait -n",
        "puma & [ $RUN_WORKER == true ] && sidekiq & wait -n", /* unquoted in [ ] */
        "puma & [ \"${RUN_WORKER:-true}\" == \"true\" ] && sidekiq & wait -n", /* unset counts as true */
        /* a test inside the process's command, or && and || mixed after one */
        "puma & sleep 1 && [ \"$RUN_WORKER\" == \"true\" ] && sidekiq & wait -n",
        "[ \"$RUN_STREAMING\" != \"true\" ] && puma & [ \"$RUN_WORKER\" == \"true\" ] && sidekiq || true & wait -n",
        "[ \"$A\" == \"true\" ] && [ \"$B\" == \"true\" ] || puma & wait -n",
        /* a test deciding the supervision, or a test alone */
        "puma & sidekiq & [ \"$X\" == \"true\" ] && wait -n; wait",
        "puma & [ \"$X\" == \"true\" ] & wait -n",
        /* contradictions */
        "if [ \"$A\" == \"true\" ]; then if [ \"$A\" != \"true\" ]; then puma & fi; fi; wait",
        /* a variable test inside an if/else of another test */
        "if [ -f x ]; then [ \"$A\" == \"true\" ] && puma & else puma -q & fi; wait",
    };
    for (size_t i = 0; i < sizeof ends_on_a_test / sizeof *ends_on_a_test; i++) {
        if (parse(ends_on_a_test[i]) != OL_UNMAPPED) {
            fprintf(stderr, "not refused: %s\n", ends_on_a_test[i]);
            unit_failures++;
        }
    }
    /* Without a & or wait it is not a one-liner at all: the command as it is. */
    CHECK(parse("[ -f x ] && puma") == OL_OTHER);

    /* A top-level sleep delays every process after it. */
    CHECK(parse("puma & sleep 5; sidekiq & wait") == OL_OK);
    CHECK_STR(member(0, "-"), "puma");
    CHECK_STR(member(1, "-"), "sleep 5; sidekiq");
    /* The last process in the foreground, no wait. */
    CHECK(parse("bundle exec puma & exec bundle exec sidekiq") == OL_OK);
    CHECK(res.shape == OL_MULTI && res.n == 2);

    /* ---- not one of the shapes, or not mappable */
    CHECK(parse("bundle exec puma -C config/puma.rb") == OL_OK && res.shape == OL_SIMPLE && res.n == 1);
    CHECK(parse("bin/setup && bundle exec puma") == OL_OK && res.shape == OL_SIMPLE);
    CHECK(parse("bin/setup; bundle exec puma") == OL_OTHER);
    CHECK(parse("puma & sidekiq &") == OL_UNMAPPED); /* never waits */
    CHECK(strstr(res.why, "never waits"));
    CHECK(parse("puma & export X=1; sidekiq & wait -n") == OL_UNMAPPED); /* a foreground command between */
    CHECK(parse("if [ \"$RUN_WORKER\" = \"1\" ]; then sidekiq & fi; puma & wait -n") == OL_UNMAPPED);
    CHECK(strstr(res.why, "condition") && strstr(res.why_detail, "RUN_WORKER"));
    CHECK(parse("if [ $RUN_WORKER != true ]; then sidekiq & fi; wait") == OL_UNMAPPED); /* unquoted in [ ] */
    CHECK(parse("trap 'kill 0' EXIT; puma & sidekiq & wait -n") == OL_UNMAPPED);
    CHECK(parse("puma & exit; sidekiq & wait") == OL_UNMAPPED); /* sidekiq never ran */
    CHECK(strstr(res.why, "after its wait") && !strcmp(res.why_detail, "sidekiq"));
    CHECK(parse("puma & (sidekiq) & wait -n") == OL_UNMAPPED);
    CHECK(parse("for i in 1 2; do sidekiq & done; wait") == OL_UNMAPPED);
    CHECK(parse("puma & sidekiq & wait -n; kill -SIGTERM -$$; wait 'unclosed") == OL_UNMAPPED);
    CHECK(parse("if [ \"$A\" == \"true\" ]; then puma & fi; if [ \"$B\" == \"true\" ]; then if [ \"$C\" == \"true\" ]; "
                "then sidekiq & sidekiq -q x & fi; fi; wait") == OL_OK);
    CHECK_STR(member(1, "B@C"), "sidekiq");
    CHECK_STR(member(2, "B@C"), "sidekiq -q x");

    ol_result_free(&res);
    UNIT_DONE();
}
