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

    /* Our web line runs solodyno directly; the others through bash -c; web is
     * the default; the order of the file is kept. */
    r = launch_of("worker: bundle exec sidekiq\nweb: solodyno run Procfile.web\n", &d);
    CHECK(strstr(r, "[[processes]]\ntype = \"worker\"\ncommand = [\"bash\", \"-c\", \"bundle exec sidekiq\"]\n"
                    "default = false\n"));
    CHECK(strstr(r, "[[processes]]\ntype = \"web\"\ncommand = [\"solodyno\", \"run\", \"Procfile.web\"]\n"
                    "default = true\n"));
    CHECK(strstr(r, "worker") < strstr(r, "\"web\""));
    CHECK(!strstr(r, "direct"));
    CHECK_STR(d, "");
    free(r), free(d);

    /* Only an exact match is ours: anything else is the app's command. */
    r = launch_of("web: solodyno run Procfile.web --x\n", &d);
    CHECK(strstr(r, "command = [\"bash\", \"-c\", \"solodyno run Procfile.web --x\"]"));
    free(r), free(d);

    /* Escaping: quotes, backslashes, tabs and control bytes. */
    r = launch_of("x: echo \"a\\b\"\tc\x01\n", &d);
    CHECK(strstr(r, "command = [\"bash\", \"-c\", \"echo \\\"a\\\\b\\\"\\tc\\u0001\"]"));
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
