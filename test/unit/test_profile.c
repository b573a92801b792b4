/* Unit tests of the .profile block rewrite. */
#include <stdlib.h>

#include "build/profile.h"
#include "unit.h"

/* Rewrites in, returns the new content (malloc'd) or NULL on error. */
static char *rewrite(const char *in, size_t n, size_t *out_len, size_t *line)
{
    strbuf sb = STRBUF_INIT;
    const char *why = NULL;
    size_t l = 0;
    if (profile_rewrite(in, n, &sb, &why, &l) != 0) {
        CHECK(why != NULL && l > 0);
        if (line)
            *line = l;
        sb_free(&sb);
        return NULL;
    }
    *out_len = sb.len;
    return sb_take(&sb);
}

static char *joined(const char *a, const char *b, const char *c)
{
    strbuf sb = STRBUF_INIT;
    sb_append(&sb, a);
    sb_append(&sb, b);
    sb_append(&sb, c);
    return sb_take(&sb);
}

/* The rewrite of in must be want, and a second rewrite must change nothing. */
static void expect(const char *in, const char *want)
{
    size_t n, n2;
    char *once = rewrite(in, strlen(in), &n, NULL);
    CHECK(once != NULL);
    if (!once)
        return;
    CHECK(n == strlen(want) && !memcmp(once, want, n));
    if (n != strlen(want) || memcmp(once, want, n))
        fprintf(stderr, "got:\n%s\nwant:\n%s\n", once, want);
    char *twice = rewrite(once, n, &n2, NULL);
    CHECK(twice && n2 == n && !memcmp(once, twice, n));
    free(once);
    free(twice);
}

int main(void)
{
    const char *B = profile_block;
    char *want;

    /* no .profile yet, or an empty one */
    expect("", B);

    /* user lines are kept before the block; a last line without its newline
     * gets one */
    want = joined("export A=1\n", B, "");
    expect("export A=1\n", want);
    expect("export A=1", want);
    free(want);

    /* CRLF user lines stay CRLF, byte for byte; the block is LF */
    want = joined("export A=1\r\n# note\r\n", B, "");
    expect("export A=1\r\n# note\r\n", want);
    free(want);
    want = joined("export A=1\r\nexport B=2\r\n", B, "");
    expect("export A=1\r\nexport B=2", want);
    free(want);

    /* an existing block is replaced in place, lines before and after kept */
    const char *old_block = "# >>> solodyno: an older version >>>\necho old\n# <<< solodyno <<<\n";
    char *in = joined("before\n", old_block, "after\r\n  tail without newline");
    want = joined("before\n", B, "after\r\n  tail without newline");
    expect(in, want);
    free(in);
    free(want);

    /* a block whose lines a Windows editor turned to CRLF is recognised and
     * written back with LF */
    in = joined("x=1\r\n", "# >>> solodyno: old >>>\r\necho old\r\n# <<< solodyno <<<\r\n", "y=2\r\n");
    want = joined("x=1\r\n", B, "y=2\r\n");
    expect(in, want);
    free(in);
    free(want);

    /* an end marker at the very end without newline */
    want = joined("a\n", B, "");
    expect("a\n# >>> solodyno >>>\nold\n# <<< solodyno <<<", want);
    free(want);

    /* bytes the shell would not like are still the user's bytes */
    const char bin[] = "export X='\x01\xff'\n\0 nul\n";
    size_t n;
    char *out = rewrite(bin, sizeof bin - 1, &n, NULL);
    CHECK(out && n == sizeof bin - 1 + strlen(B) && !memcmp(out, bin, sizeof bin - 1));
    free(out);

    /* markers that do not form one block: an error naming the line */
    size_t line = 0;
    CHECK(rewrite("a\n# >>> solodyno >>>\nb\n", 23, &n, &line) == NULL && line == 2);
    CHECK(rewrite("a\nb\n# <<< solodyno <<<\n", 23, &n, &line) == NULL && line == 3);
    const char *two = "# >>> solodyno >>>\n# <<< solodyno <<<\n# >>> solodyno >>>\n# <<< solodyno <<<\n";
    CHECK(rewrite(two, strlen(two), &n, &line) == NULL && line == 3);
    const char *nested = "# >>> solodyno >>>\n# >>> solodyno >>>\n# <<< solodyno <<<\n";
    CHECK(rewrite(nested, strlen(nested), &n, &line) == NULL && line == 2);

    /* the block never sets a trap */
    CHECK(strstr(B, "trap") == NULL);
    /* it gives solodyno the pid of the shell sourcing .profile */
    CHECK(strstr(B, "env --shell --start-env \"$$\"") != NULL);

    /* does a .bash_profile source .profile? */
#define SOURCES(text) profile_sourced_by(text, strlen(text))
    CHECK(SOURCES(". ~/.profile\n"));
    CHECK(SOURCES("source \"$HOME/.profile\""));
    CHECK(SOURCES("[ -f ~/.profile ] && . ~/.profile"));
    CHECK(SOURCES("if [ -r \"${HOME}/.profile\" ]; then . \"${HOME}/.profile\"; fi"));
    CHECK(SOURCES("export A=1\r\n. ./.profile\r\n"));
    CHECK(SOURCES(". .profile"));
    CHECK(SOURCES("  source /app/.profile # the app's"));
    CHECK(!SOURCES(""));
    CHECK(!SOURCES("# . ~/.profile\n"));
    CHECK(!SOURCES("echo . ~/.profile"));
    CHECK(!SOURCES(". ~/.profile.d/x.sh"));
    CHECK(!SOURCES(". ~/.bashrc\nexport PROFILE=~/.profile"));
    CHECK(!SOURCES("cat ~/.profile"));
    CHECK(!SOURCES(". ~/my.profile"));
    UNIT_DONE();
}
