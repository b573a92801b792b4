/* solodyno-slug's command line: options, sizes, usage (outside input: fuzzed
 * by test/fuzz/fuzz_slug_options.c). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "slug/slug.h"

#define DEFAULT_OUTPUT "slug.tgz"
#define MAX_JOBS 64

static void usage(FILE *to)
{
    fputs("usage: solodyno-slug [-o FILE] [--json] [-j N] [--max SIZE] [--stack NAME] APP_DIR\n"
          "\n"
          "Packs the built app in APP_DIR into a Heroku slug (gzip'd tar, everything under\n"
          "./app/, .git left out) and reports its size, checksum and largest directories.\n"
          "\n"
          "  -o, --output FILE  where to write the slug (default: " DEFAULT_OUTPUT "; not inside APP_DIR)\n"
          "  --json             print the body of the Platform API's POST /apps/{app}/slugs\n"
          "                     on stdout (the report then goes to stderr)\n"
          "  -j, --jobs N       compress on N threads (default 1; the bytes are the same)\n"
          "  --max SIZE         refuse a slug larger than SIZE compressed (default 1G;\n"
          "                     K, M, G are powers of 1024; older accounts: 500M)\n"
          "  --stack NAME       the stack for --json (default: $STACK, else left out)\n"
          "\n"
          "SOURCE_DATE_EPOCH, when set, caps every file's modification time.\n",
          to);
}

void slug_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = log_vformat(fmt, ap);
    va_end(ap);
    fprintf(stderr, "solodyno-slug: error: %s\n", msg);
    free(msg);
}

void slug_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = log_vformat(fmt, ap);
    va_end(ap);
    fprintf(stderr, " !     %s\n", msg);
    free(msg);
}

/* Digits only, at most 19 of them (no sign, no blank, no 0x): *v. */
static bool parse_digits(const char *s, const char **end, uint64_t *v)
{
    uint64_t x = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9' && p - s < 19)
        x = x * 10 + (uint64_t)(*p++ - '0');
    if (p == s || (*p >= '0' && *p <= '9'))
        return false;
    *end = p;
    *v = x;
    return true;
}

int slug_parse_size(const char *s, uint64_t *out)
{
    const char *end;
    uint64_t v;
    if (!parse_digits(s, &end, &v))
        return -1;
    uint64_t mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024ULL; end++; break;
    case 'm': case 'M': mult = 1024ULL * 1024; end++; break;
    case 'g': case 'G': mult = 1024ULL * 1024 * 1024; end++; break;
    default: break;
    }
    if (mult > 1 && (*end == 'B' || *end == 'b'))
        end++;
    if (*end || v == 0 || v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

int slug_parse_args(int argc, char **argv, struct slug_options *o)
{
    o->output = DEFAULT_OUTPUT;
    o->app = NULL;
    o->stack = getenv("STACK");
    o->json = false;
    o->jobs = 1;
    o->max = SLUG_MAX_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        bool takes = !strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "-j") ||
                     !strcmp(a, "--jobs") || !strcmp(a, "--max") || !strcmp(a, "--stack");
        if (takes) {
            if (i + 1 >= argc) {
                slug_fail("%s needs a value", a);
                return 2;
            }
            val = argv[++i];
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            o->output = val;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            const char *end;
            uint64_t n;
            if (!parse_digits(val, &end, &n) || *end || n < 1 || n > MAX_JOBS) {
                slug_fail("-j takes a number of threads from 1 to %d, not '%s'", MAX_JOBS, val);
                return 2;
            }
            o->jobs = (int)n;
        } else if (!strcmp(a, "--max")) {
            if (slug_parse_size(val, &o->max) < 0) {
                slug_fail("--max takes a size such as 500M or 1G, not '%s'", val);
                return 2;
            }
        } else if (!strcmp(a, "--stack")) {
            o->stack = val;
        } else if (a[0] == '-' && a[1]) {
            slug_fail("unknown option '%s' (see --help)", a);
            return 2;
        } else if (!o->app) {
            o->app = a;
        } else {
            slug_fail("one APP_DIR only; '%s' is one too many", a);
            return 2;
        }
    }
    if (!o->app) {
        usage(stderr);
        return 2;
    }
    if (!*o->output) {
        slug_fail("-o needs a file name");
        return 2;
    }
    return -1; /* go on */
}
