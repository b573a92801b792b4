/* Unit tests of the .slugignore matcher: parsing (comments, negation warnings,
 * escapes), globs, anchoring, directory-only patterns and "**". */
#include <stdbool.h>
#include <stdlib.h>

#include "build/slugignore.h"
#include "unit.h"

/* Whether the file content `rules` matches path (is_dir says what it is). */
static bool m(const char *rules, const char *path, bool is_dir)
{
    struct slugignore si = SLUGIGNORE_INIT;
    strbuf diag = STRBUF_INIT;
    slugignore_parse(rules, strlen(rules), ".slugignore", &si, &diag);
    bool r = slugignore_match(&si, path, strlen(path), is_dir);
    slugignore_free(&si);
    sb_free(&diag);
    return r;
}

/* The warnings parsing `rules` gives ("" when none), and the rule count. */
static char *warnings(const char *rules, size_t len, size_t *nrules)
{
    struct slugignore si = SLUGIGNORE_INIT;
    strbuf diag = STRBUF_INIT;
    slugignore_parse(rules, len, ".slugignore", &si, &diag);
    *nrules = si.n;
    slugignore_free(&si);
    sb_append(&diag, "");
    return sb_take(&diag);
}

static bool g(const char *pat, const char *name)
{
    return slugignore_glob(pat, strlen(pat), name, strlen(name));
}

int main(void)
{
    /* Globs on one name. */
    CHECK(g("*.psd", "art.psd"));
    CHECK(g("*.psd", ".psd"));
    CHECK(!g("*.psd", "art.psd.bak"));
    CHECK(g("a*b*c", "aXXbYYc"));
    CHECK(!g("a*b*c", "aXXbYY"));
    CHECK(g("?.txt", "a.txt"));
    CHECK(!g("?.txt", "ab.txt"));
    CHECK(g("[abc]x", "bx"));
    CHECK(!g("[abc]x", "dx"));
    CHECK(g("[a-c]x", "cx"));
    CHECK(g("[!a-c]x", "dx"));
    CHECK(!g("[^a-c]x", "bx"));
    CHECK(g("[]]", "]"));
    CHECK(g("[[:digit:]][[:alpha:]]", "7q"));
    CHECK(!g("[[:digit:]]", "x"));
    CHECK(g("[", "["));         /* an unclosed bracket is a literal '[' */
    CHECK(g("a[b", "a[b"));
    CHECK(g("\\*", "*"));
    CHECK(!g("\\*", "x"));
    CHECK(g("\\#notes", "#notes"));
    CHECK(g("***", "anything"));
    CHECK(g("*", ""));
    CHECK(!g("", "x"));
    CHECK(g("caf\xc3\xa9", "caf\xc3\xa9"));
    CHECK(g("*\xff", "name\xff")); /* bytes, not characters */
    /* Many stars on a long name: must finish quickly (no exponential backtracking). */
    CHECK(!g("*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

    /* A name without '/' matches at any depth; files and directories. */
    CHECK(m("spec\n", "spec", true));
    CHECK(m("spec\n", "vendor/bundle/ruby/3.3.0/gems/rack-3.0/spec", true));
    CHECK(m("*.pdf\n", "docs/manual.pdf", false));
    CHECK(!m("*.pdf\n", "docs", true));
    /* Anchored: a leading or inner '/'. */
    CHECK(m("/spec\n", "spec", true));
    CHECK(!m("/spec\n", "lib/spec", true));
    CHECK(m("doc/*.pdf\n", "doc/a.pdf", false));
    CHECK(!m("doc/*.pdf\n", "x/doc/a.pdf", false));
    CHECK(!m("doc/*.pdf\n", "doc/sub/a.pdf", false)); /* '*' does not cross '/' */
    CHECK(m("./spec\n", "spec", true));
    CHECK(m("a//b\n", "a/b", false));
    /* Directory only. */
    CHECK(m("log/\n", "log", true));
    CHECK(m("log/\n", "sub/log", true));
    CHECK(!m("log/\n", "log", false));
    CHECK(m("/tmp/cache/\n", "tmp/cache", true));
    CHECK(!m("/tmp/cache/\n", "tmp/cache", false));
    /* "**". */
    CHECK(m("**/fixtures\n", "fixtures", true));
    CHECK(m("**/fixtures\n", "spec/a/fixtures", true));
    CHECK(m("assets/**\n", "assets/x", false));
    CHECK(m("assets/**\n", "assets/x/y/z.png", false));
    CHECK(!m("assets/**\n", "assets", true)); /* inside, not the directory itself */
    CHECK(m("a/**/b\n", "a/b", false));
    CHECK(m("a/**/b\n", "a/x/y/b", false));
    CHECK(!m("a/**/b\n", "a/x/y/c", false));
    CHECK(!m("a/**/b\n", "x/a/b", false));
    CHECK(m("a/**/**/b\n", "a/b", false));
    CHECK(m("a/x**y/b\n", "a/xZZy/b", false)); /* not a whole segment: a plain '*' */
    CHECK(m("/**\n", "anything", false));

    /* Comments, blanks, white space, CRLF, BOM. */
    CHECK(!m("# spec\n", "spec", true));
    CHECK(!m("# spec\n", "# spec", false));
    CHECK(m("   spec   \n", "spec", true));
    CHECK(m("spec\r\n", "spec", true));
    CHECK(m("\xEF\xBB\xBFspec\n", "spec", true));
    CHECK(m("trailing\\ \n", "trailing ", false));
    CHECK(!m("trailing\\ \n", "trailing", false));
    CHECK(m("\\#hash\n", "#hash", false));
    CHECK(m("\\!bang\n", "!bang", false));
    CHECK(m("a\nb\nc", "c", false)); /* last line without newline */
    CHECK(m("two words\n", "two words", false));

    /* Warnings: negation, the whole app, NUL bytes; each names file and line. */
    size_t n = 0;
    char *w = warnings("spec\n!spec/keep\n", 16, &n);
    CHECK_STR(w, ".slugignore, line 2: negated patterns ('!') are not supported by Heroku's "
                 ".slugignore; line ignored\n");
    CHECK(n == 1);
    free(w);
    CHECK(!m("!spec\n", "spec", true));
    w = warnings("# c\n/\n", 6, &n);
    CHECK_STR(w, ".slugignore, line 2: '/' names the whole app; line ignored\n");
    CHECK(n == 0);
    free(w);
    w = warnings("a\0b\nok\n", 7, &n);
    CHECK_STR(w, ".slugignore, line 1: pattern contains a NUL byte; line ignored\n");
    CHECK(n == 1);
    free(w);
    w = warnings("\n\n# only comments\n   \n", 22, &n);
    CHECK_STR(w, "");
    CHECK(n == 0);
    free(w);

    /* Several rules: any one matching is enough. */
    CHECK(m("*.psd\n*.pdf\nspec\n", "x/y.pdf", false));
    CHECK(!m("*.psd\n*.pdf\nspec\n", "x/y.png", false));
    UNIT_DONE();
}
