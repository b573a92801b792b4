/* The stamp: validation of versions, the stamp file parser, and what
 * stamp_runtime_defaults hands `solodyno env` at dyno start.
 * Usage: test_stamp TMPDIR */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/stamp.h"
#include "common/strbuf.h"
#include "unit.h"

static const char *const HASH = "0123456789abcdef0123456789abcdef01234567";

static void test_check(void)
{
    char out[STAMP_VALUE_MAX + 1], why[160];
    static const char *const good[][2] = {
        {"abcdef0", "abcdef0"},
        {"ABCDEF0123", "abcdef0123"},
        {"0123456789ABCDEF0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"},
        {"v4.3.2", "v4.3.2"},
        {"main", "main"},
        {"release/2024-06_1", "release/2024-06_1"},
        {"abc", "abc"}, /* too short for a hash: a ref name */
        {"2024", "2024"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK(stamp_check(good[i][0], out, why, sizeof why));
        CHECK_STR(out, good[i][1]);
    }
    char hash64[65], hex65[66], ref128[129], ref129[130];
    memset(hash64, 'a', 64), hash64[64] = 0;
    memset(hex65, 'a', 65), hex65[65] = 0;
    memset(ref128, 'r', 128), ref128[128] = 0;
    memset(ref129, 'r', 129), ref129[129] = 0;
    CHECK(stamp_check(hash64, out, NULL, 0));
    CHECK(stamp_is_hash(out));
    CHECK(stamp_check(ref128, out, NULL, 0));
    CHECK(!stamp_is_hash(out));

    static const char *const bad[][2] = {
        {"", "an empty value"},
        {"two words", "a space at character 4"},
        {"it's", "''' at character 3"},
        {"$(id)", "'$' at character 1"},
        {"a\nb", "a control byte (0x0a) at character 2"},
        {"\x1b[31m", "a control byte (0x1b) at character 1"},
        {"caf\xc3\xa9", "a non-ASCII byte (0xc3) at character 4"},
        {"-rf", "'-' as the first character (a name starts with a letter or digit)"},
        {".hidden", "'.' as the first character (a name starts with a letter or digit)"},
        {"a..b", "a name with \"..\", \"//\" or a trailing '/' or '.', which no git ref has"},
        {"a//b", "a name with \"..\", \"//\" or a trailing '/' or '.', which no git ref has"},
        {"a/", "a name with \"..\", \"//\" or a trailing '/' or '.', which no git ref has"},
        {"unknown", "\"unknown\", which is not a version"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        CHECK(!stamp_check(bad[i][0], out, why, sizeof why));
        CHECK_STR(why, bad[i][1]);
    }
    CHECK(!stamp_check(ref129, out, why, sizeof why));
    CHECK_STR(why, "a value 129 characters long (at most 128)");
    CHECK(!stamp_check(hex65, out, why, sizeof why));
    CHECK_STR(why, "65 hex digits (a commit hash has 7 to 64)");
    CHECK(!stamp_check("a b", out, NULL, 0)); /* no reason wanted: no crash */

    CHECK(stamp_is_hash("abcdef0"));
    CHECK(!stamp_is_hash("abcdef"));
    CHECK(!stamp_is_hash("abcdefg"));
}

static void test_parse(void)
{
    char out[STAMP_VALUE_MAX + 1];
#define P(s) stamp_parse(s, sizeof s - 1, out)
    CHECK(P("abcdef0\n") == 1);
    CHECK_STR(out, "abcdef0");
    CHECK(P("ABCDEF0\r\n") == 1);
    CHECK_STR(out, "abcdef0");
    CHECK(P("v4.3.2") == 1);
    CHECK_STR(out, "v4.3.2");
    CHECK(P("unknown\n") == 0);
    CHECK(P("") == -1);
    CHECK(P("\n") == -1);
    CHECK(P("abcdef0\n\n") == -1);
    CHECK(P("abcdef0\nabcdef1\n") == -1);
    CHECK(P("abc\0def\n") == -1);
    CHECK(P("a b\n") == -1);
    CHECK(P("$(reboot)\n") == -1);
    CHECK(P("export X=1\n") == -1);
#undef P
    char big[300];
    memset(big, 'a', sizeof big);
    CHECK(stamp_parse(big, sizeof big, out) == -1);
}

/* ---- stamp_runtime_defaults ---- */

static const char *env_table[8][2];

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < 8 && env_table[i][0]; i++)
        if (!strcmp(env_table[i][0], name))
            return env_table[i][1];
    return NULL;
}

static void set_env(const char *a, const char *av, const char *b, const char *bv)
{
    memset(env_table, 0, sizeof env_table);
    env_table[0][0] = a, env_table[0][1] = av;
    env_table[1][0] = b, env_table[1][1] = bv;
}

/* What was emitted, as "NAME=value (origin)" lines. */
static void collect(void *ctx, const char *name, const char *value, const char *origin)
{
    sb_printf(ctx, "%s=%s (%s)\n", name, value, origin);
}

static strbuf emitted;

static const char *run(const char *app, bool mastodon)
{
    sb_free(&emitted);
    sb_append(&emitted, "");
    stamp_runtime_defaults(app, mastodon, fake_getenv, collect, &emitted);
    return emitted.data;
}

static void write_stamp(const char *app, const char *content)
{
    strbuf p = STRBUF_INIT;
    sb_printf(&p, "%s/.solodyno", app);
    mkdir(p.data, 0755);
    sb_append(&p, "/source-version");
    unlink(p.data);
    CHECK(write_file_atomic(p.data, content, strlen(content), 0644) == 0);
    sb_free(&p);
}

static void test_runtime(const char *tmp)
{
    strbuf app = STRBUF_INIT;
    sb_printf(&app, "%s/app.XXXXXX", tmp);
    CHECK(mkdtemp(app.data) != NULL);
    const char *a = app.data;
    strbuf want = STRBUF_INIT;

    /* No stamp at all, no metadata: nothing. */
    set_env(NULL, NULL, NULL, NULL);
    CHECK_STR(run(a, true), "");

    /* A hash: everything, for Mastodon; the short hash is 7 characters. */
    write_stamp(a, "0123456789abcdef0123456789abcdef01234567\n");
    sb_printf(&want,
              "SOURCE_VERSION=%s (stamp)\nSOURCE_COMMIT=%s (stamp)\nSOURCE_TAG=%s (stamp)\n"
              "MASTODON_VERSION_METADATA=0123456 (stamp)\n",
              HASH, HASH, HASH);
    CHECK_STR(run(a, true), want.data);

    /* A generic app: no Mastodon variables. */
    sb_free(&want);
    sb_printf(&want, "SOURCE_VERSION=%s (stamp)\nSOURCE_COMMIT=%s (stamp)\n", HASH, HASH);
    CHECK_STR(run(a, false), want.data);

    /* The stamp wins over dyno metadata (it is what was built). */
    set_env("HEROKU_SLUG_COMMIT", "ffffffffffffffffffffffffffffffffffffffff", NULL, NULL);
    CHECK_STR(run(a, false), want.data);

    /* The opt-out, at dyno start. */
    static const char *const off[] = {"0", "false", "FALSE", "no", "off"};
    sb_free(&want);
    sb_printf(&want, "SOURCE_VERSION=%s (stamp)\nSOURCE_COMMIT=%s (stamp)\nSOURCE_TAG=%s (stamp)\n",
              HASH, HASH, HASH);
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        set_env("SOLODYNO_VERSION_METADATA", off[i], NULL, NULL);
        CHECK_STR(run(a, true), want.data);
    }
    set_env("SOLODYNO_VERSION_METADATA", "1", NULL, NULL);
    CHECK(strstr(run(a, true), "MASTODON_VERSION_METADATA=0123456 (stamp)\n") != NULL);

    /* A short hash: its 7 characters are the metadata. */
    write_stamp(a, "abcdef0\n");
    set_env(NULL, NULL, NULL, NULL);
    CHECK_STR(run(a, true), "SOURCE_VERSION=abcdef0 (stamp)\nSOURCE_COMMIT=abcdef0 (stamp)\n"
                            "SOURCE_TAG=abcdef0 (stamp)\nMASTODON_VERSION_METADATA=abcdef0 (stamp)\n");

    /* A ref name: not a commit, and not semver build metadata. */
    write_stamp(a, "v4.3.2\n");
    CHECK_STR(run(a, true), "SOURCE_VERSION=v4.3.2 (stamp)\nSOURCE_TAG=v4.3.2 (stamp)\n");

    /* Unknown: dyno metadata stands in, validated the same way. */
    write_stamp(a, "unknown\n");
    CHECK_STR(run(a, false), "");
    set_env("HEROKU_SLUG_COMMIT", "ABCDEF0123", NULL, NULL);
    CHECK_STR(run(a, false), "SOURCE_VERSION=abcdef0123 (dyno metadata (HEROKU_SLUG_COMMIT))\n"
                             "SOURCE_COMMIT=abcdef0123 (dyno metadata (HEROKU_SLUG_COMMIT))\n");
    set_env("HEROKU_SLUG_COMMIT", "$(reboot)", "HEROKU_BUILD_COMMIT", "1234567");
    CHECK_STR(run(a, false), "SOURCE_VERSION=1234567 (dyno metadata (HEROKU_BUILD_COMMIT))\n"
                             "SOURCE_COMMIT=1234567 (dyno metadata (HEROKU_BUILD_COMMIT))\n");
    set_env("HEROKU_SLUG_COMMIT", "", "HEROKU_BUILD_COMMIT", "a b");
    CHECK_STR(run(a, true), "");
    set_env("HEROKU_SLUG_COMMIT", "unknown", NULL, NULL);
    CHECK_STR(run(a, true), "");

    /* A stamp file that is not one: ignored; metadata still stands in. */
    static const char *const junk[] = {"", "\n", "a b\n", "abcdef0\nabcdef1\n",
                                       "export SOURCE_TAG='x'\n", "\x1b[2J\n"};
    set_env("HEROKU_SLUG_COMMIT", "1234567", NULL, NULL);
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        write_stamp(a, junk[i]);
        CHECK_STR(run(a, false), "SOURCE_VERSION=1234567 (dyno metadata (HEROKU_SLUG_COMMIT))\n"
                                 "SOURCE_COMMIT=1234567 (dyno metadata (HEROKU_SLUG_COMMIT))\n");
    }

    /* Too big, a FIFO (must not hang), a directory: not read. */
    strbuf p = STRBUF_INIT;
    sb_printf(&p, "%s/.solodyno/source-version", a);
    char *big = malloc(1 << 20);
    memset(big, 'a', 1 << 20);
    unlink(p.data);
    CHECK(write_file_atomic(p.data, big, 1 << 20, 0644) == 0);
    free(big);
    CHECK(strstr(run(a, false), "HEROKU_SLUG_COMMIT") != NULL);
    unlink(p.data);
    CHECK(mkfifo(p.data, 0644) == 0);
    CHECK(strstr(run(a, false), "HEROKU_SLUG_COMMIT") != NULL);
    unlink(p.data);
    CHECK(mkdir(p.data, 0755) == 0);
    CHECK(strstr(run(a, false), "HEROKU_SLUG_COMMIT") != NULL);
    rmdir(p.data);

    /* stamp_read itself. */
    char out[STAMP_VALUE_MAX + 1];
    CHECK(stamp_read(a, out) == 0); /* missing */
    write_stamp(a, "abcdef0\n");
    CHECK(stamp_read(a, out) == 1);
    CHECK_STR(out, "abcdef0");

    sb_free(&p);
    sb_free(&want);
    sb_free(&app);
    sb_free(&emitted);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_stamp TMPDIR\n");
        return 2;
    }
    test_check();
    test_parse();
    test_runtime(argv[1]);
    UNIT_DONE();
}
