/* Unit tests of the Cloud Native Buildpack files: launch.toml from a Procfile,
 * and layer content metadata. (test/cnb.bats parses real output with tomllib.) */
#include <stdlib.h>

#include "build/cnb.h"
#include "unit.h"

static char *launch_of(const char *procfile, char **diag_out)
{
    struct procfile pf;
    strbuf diag = STRBUF_INIT, out = STRBUF_INIT;
    procfile_parse(procfile, strlen(procfile), "Procfile", PROCFILE_APP, &pf, &diag);
    sb_free(&diag);
    cnb_render_launch(&pf, &out, &diag);
    procfile_free(&pf);
    *diag_out = diag.data ? sb_take(&diag) : strdup("");
    return sb_take(&out);
}

int main(void)
{
    char *r, *d;

    CHECK(cnb_valid_process_type("web"));
    CHECK(cnb_valid_process_type("web.2_a-b"));
    CHECK(!cnb_valid_process_type(""));
    CHECK(!cnb_valid_process_type("we b"));
    CHECK(!cnb_valid_process_type("web/1"));

    /* heroku/procfile's shape: ["bash", "-c"] with the command as the one
     * argument a user's `docker run IMAGE CMD` replaces, ours included; web is
     * the default; the order of the file is kept. */
    r = launch_of("worker: bundle exec sidekiq\nweb: solodyno run Procfile.web\n", &d);
    CHECK(strstr(r, "[[processes]]\ntype = \"worker\"\ncommand = [\"bash\", \"-c\"]\n"
                    "args = [\"bundle exec sidekiq\"]\ndefault = false\n"));
    CHECK(strstr(r, "[[processes]]\ntype = \"web\"\ncommand = [\"bash\", \"-c\"]\n"
                    "args = [\"solodyno run Procfile.web\"]\ndefault = true\n"));
    CHECK(strstr(r, "worker") < strstr(r, "\"web\""));
    CHECK(!strstr(r, "direct"));
    CHECK_STR(d, "");
    free(r), free(d);

    /* No web: the only process is the default (buildpacks-procfile
     * src/launch.rs:26-30); of several, none is. */
    r = launch_of("worker: bundle exec sidekiq\n", &d);
    CHECK(strstr(r, "type = \"worker\"") && strstr(r, "default = true\n"));
    free(r), free(d);
    r = launch_of("worker: a\nclock: b\n", &d);
    CHECK(!strstr(r, "default = true"));
    free(r), free(d);
    /* A web line left out (not UTF-8) leaves the only declared one the default. */
    r = launch_of("web: \xff\nworker: a\n", &d);
    CHECK(strstr(r, "type = \"worker\"") && strstr(r, "default = true\n"));
    free(r), free(d);

    /* Escaping: quotes, backslashes, tabs and control bytes. */
    r = launch_of("x: echo \"a\\b\"\tc\x01\n", &d);
    CHECK(strstr(r, "args = [\"echo \\\"a\\\\b\\\"\\tc\\u0001\"]"));
    free(r), free(d);

    /* Duplicates: only the last one is declared. */
    r = launch_of("web: one\nweb: two\n", &d);
    CHECK(!strstr(r, "\"one\""));
    CHECK(strstr(r, "\"two\""));
    CHECK(strstr(r, "[[processes]]") && !strstr(strstr(r, "[[processes]]") + 1, "[[processes]]"));
    free(r), free(d);

    /* A line the parser keeps verbatim (here: invalid UTF-8) is left out, with
     * the line named. Comments are ignored; a loose line is read as Heroku does. */
    r = launch_of("# c\nweb: ok\nbad: \xff\nthis is odd\n", &d);
    CHECK(!strstr(r, "bad"));
    CHECK(strstr(d, "Procfile, line 3: process type 'bad' is left out of launch.toml"));
    CHECK(strstr(r, "type = \"this\"")); /* Heroku reads it as type "this" too */
    free(r), free(d);

    /* A command set by a build step that TOML cannot hold: left out, named. */
    {
        struct procfile pf;
        strbuf diag = STRBUF_INIT, out = STRBUF_INIT;
        procfile_parse("web: ok\n", 8, "Procfile", PROCFILE_APP, &pf, &diag);
        procfile_set(&pf, "worker", "echo \xc3\x28", NULL, false);
        const char *why;
        CHECK(!cnb_declarable(&pf, &pf.lines[1], &why) && why && strstr(why, "UTF-8"));
        CHECK(cnb_render_launch(&pf, &out, &diag) == 1);
        CHECK(!strstr(out.data, "worker") && strstr(diag.data, "'worker' is left out"));
        procfile_free(&pf);
        sb_free(&diag);
        sb_free(&out);
    }

    /* No entries: a valid file with no processes. */
    r = launch_of("# nothing\n", &d);
    CHECK(!strstr(r, "[[processes]]"));
    free(r), free(d);

    /* Layer metadata. */
    strbuf out = STRBUF_INIT, diag = STRBUF_INIT;
    struct cnb_meta meta[] = {{"key", "v\"1\""}, {"other_key-2", ""}};
    CHECK(cnb_render_layer(false, false, true, meta, 2, &out, &diag));
    CHECK_STR(out.data, "[types]\nlaunch = false\nbuild = false\ncache = true\n\n[metadata]\n"
                        "key = \"v\\\"1\\\"\"\nother_key-2 = \"\"\n");
    sb_free(&out);
    struct cnb_meta bad_key[] = {{"a.b", "x"}};
    CHECK(!cnb_render_layer(true, false, false, bad_key, 1, &out, &diag));
    CHECK(out.len == 0 && strstr(diag.data, "bare key"));
    sb_free(&diag);
    struct cnb_meta twice[] = {{"a", "x"}, {"a", "y"}};
    CHECK(!cnb_render_layer(true, false, false, twice, 2, &out, &diag));
    CHECK(out.len == 0 && strstr(diag.data, "twice"));
    sb_free(&diag);
    struct cnb_meta not_utf8[] = {{"a", "\xc3\x28"}};
    CHECK(!cnb_render_layer(true, false, false, not_utf8, 1, &out, &diag));
    CHECK(out.len == 0 && strstr(diag.data, "UTF-8"));
    sb_free(&diag);
    sb_free(&out);

    UNIT_DONE();
}
