/* Unit tests of the escaping that keeps outside values out of generated code. */
#include <stdlib.h>

#include "common/quote.h"
#include "unit.h"

static char *shell(const char *s)
{
    strbuf sb = STRBUF_INIT;
    sb_shell_quote(&sb, s);
    return sb_take(&sb);
}

static char *toml(const char *s)
{
    strbuf sb = STRBUF_INIT;
    if (!sb_toml_string(&sb, s)) {
        sb_free(&sb);
        return NULL;
    }
    return sb_take(&sb);
}

int main(void)
{
    char *p;
    p = shell("plain");
    CHECK_STR(p, "'plain'");
    free(p);
    p = shell("it's");
    CHECK_STR(p, "'it'\\''s'");
    free(p);
    p = shell("");
    CHECK_STR(p, "''");
    free(p);
    p = shell("$(rm -rf /)`x`\n");
    CHECK_STR(p, "'$(rm -rf /)`x`\n'");
    free(p);

    p = toml("plain");
    CHECK_STR(p, "\"plain\"");
    free(p);
    p = toml("a\"b\\c\n\t\x01");
    CHECK_STR(p, "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    free(p);
    p = toml("caf\xc3\xa9");
    CHECK_STR(p, "\"caf\xc3\xa9\"");
    free(p);
    CHECK(toml("\xff") == NULL);

    CHECK(utf8_valid("", 0));
    CHECK(utf8_valid("\xe2\x82\xac", 3));      /* euro sign */
    CHECK(!utf8_valid("\xe2\x82", 2));         /* truncated */
    CHECK(!utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    CHECK(utf8_valid("\xf0\x9f\x98\x80", 4));  /* emoji */
    UNIT_DONE();
}
