/* Unit tests of log_vformat: printf's conversions as printf gives them, and
 * outside text (what %s and %c bring) escaped so it cannot break or forge a
 * log line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdlib.h>

#include "common/log.h"
#include "unit.h"

static char *fmt(const char *f, ...) PRINTF_LIKE(1, 2);
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = log_vformat(f, ap);
    va_end(ap);
    return s;
}

/* The same as snprintf for text without control characters. */
#define SAME(...)                                                   \
    do {                                                            \
        char want_[256];                                            \
        snprintf(want_, sizeof want_, __VA_ARGS__);                 \
        char *got_ = fmt(__VA_ARGS__);                              \
        CHECK_STR(got_, want_);                                     \
        free(got_);                                                 \
    } while (0)

#define IS(want, ...)                                               \
    do {                                                            \
        char *got_ = fmt(__VA_ARGS__);                              \
        CHECK_STR(got_, want);                                      \
        free(got_);                                                 \
    } while (0)

int main(void)
{
    SAME("plain text, no conversion");
    SAME("%d %i %5d|%-5d|%05d %+d", 42, -7, 3, 4, 5, 6);
    SAME("%u %x %X %o %#x", 4000000000u, 255u, 255u, 8u, 16u);
    SAME("%ld %lu %lld %llu", -1L, 2UL, -3LL, 18446744073709551615ULL);
    SAME("%zu %zd %jd %ju %td", (size_t)7, (ssize_t)-8, (intmax_t)-9, (uintmax_t)10, (ptrdiff_t)-11);
    SAME("%hd %hhu", (short)-12, (unsigned char)200);
    SAME("%.1f %5.2f %g %e %Lg", 2.25, 3.14159, 0.0001, 1e10, (long double)1.5);
    SAME("%s|%10s|%-10s|%.3s|%*s|%.*s|%*.*s", "ab", "right", "left", "cut here", 6, "star", 2, "prec", 6, 3, "both");
    SAME("%c%c %% 100%%", 'o', 'k');
    SAME("%p", (void *)0x1234);
    SAME("%s, line %d: '%s' is not valid: %s", "Procfile.web", 2, "worker@1VAR: x", "expected a name");

    /* The format's own line breaks are kept; an argument's are escaped. */
    IS("first\nsecond", "first\n%s", "second");
    IS("SOLODYNO_PREFIX is 'x\\nsolodyno: puma exited'", "SOLODYNO_PREFIX is '%s'", "x\nsolodyno: puma exited");
    IS("a\\r\\tb\\x1b[31mred\\x7f", "%s", "a\r\tb\x1b[31mred\x7f");
    IS("%.*s: \\x00? no, cut", "%%.*s: %s", "\\x00? no, cut");
    IS("[\\n] [\\x01]", "[%c] [%c]", 0x0a, 0x01);
    IS("ab\\n", "%.3s", "ab\ncd");
    /* UTF-8 is kept; a stray byte, C1 controls and U+2028/2029 are escaped. */
    IS("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "%s", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    IS("\\xff\\xc3(", "%s", "\xff\xc3(");
    IS("csi \\xc2\\x9b2J", "%s", "csi \xc2\x9b" "2J");
    IS("ls \\xe2\\x80\\xa8 ps \\xe2\\x80\\xa9", "%s", "ls \xe2\x80\xa8 ps \xe2\x80\xa9");
    IS("overlong \\xc0\\xaf, surrogate \\xed\\xa0\\x80", "%s", "overlong \xc0\xaf, surrogate \xed\xa0\x80");

    char *e = log_escape("tab\there\nand \x1b[2J");
    CHECK_STR(e, "tab\\there\\nand \\x1b[2J");
    free(e);
    UNIT_DONE();
}
