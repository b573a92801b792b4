/* libFuzzer target for the .slugignore matcher (outside input: the app's file).
 *
 * Input: the .slugignore content, then "\0\0", then paths to match, one per
 * line. Besides crashes, leaks and hangs (a glob must never backtrack
 * exponentially), it checks two properties:
 * - for patterns made only of literal characters, '*' and '?', the glob agrees
 *   with fnmatch(3) (the POSIX reference for those);
 * - a path matches a rule file exactly when it matches one of its lines alone.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/slugignore.h"

static int simple_glob(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '[' || p[i] == '\\' || p[i] == '/' || p[i] == '\0' || (unsigned char)p[i] >= 0x80)
            return 0;
    return 1;
}

static void check_against_fnmatch(const char *pat, size_t plen, const char *name, size_t nlen)
{
    if (!simple_glob(pat, plen) || memchr(name, '/', nlen))
        return;
    for (size_t i = 0; i < nlen; i++)
        if (name[i] == '\0' || (unsigned char)name[i] >= 0x80)
            return; /* fnmatch reads bytes by the locale; compare on ASCII only */
    char *p = strndup(pat, plen), *s = strndup(name, nlen);
    if (!p || !s)
        abort();
    int ours = slugignore_glob(pat, plen, name, nlen);
    int ref = fnmatch(p, s, 0) == 0;
    if (ours != ref)
        abort();
    free(p);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t rules_len = size;
    for (size_t i = 0; i + 1 < size; i++)
        if (in[i] == '\0' && in[i + 1] == '\0') {
            rules_len = i;
            break;
        }
    const char *paths = in + rules_len + 2;
    size_t paths_len = rules_len + 2 <= size ? size - rules_len - 2 : 0;
    if (paths_len > 4096)
        paths_len = 4096;

    struct slugignore si = SLUGIGNORE_INIT;
    strbuf diag = STRBUF_INIT;
    slugignore_parse(in, rules_len, ".slugignore", &si, &diag);

    /* Each line of the rules, alone, for the "one of its lines" property. A
     * byte order mark is dropped only at the start of the file, so a later line
     * starting with one would read differently alone: skip the check then. */
    size_t lines = 0;
    int checkable = 1;
    for (size_t i = 0; i < rules_len && lines < 64; i++)
        if (in[i] == '\n') {
            lines++;
            if (rules_len - i > 3 && !memcmp(in + i + 1, "\xEF\xBB\xBF", 3))
                checkable = 0;
        }
    if (lines >= 64)
        checkable = 0;

    size_t pos = 0;
    while (pos < paths_len) {
        const char *nl = memchr(paths + pos, '\n', paths_len - pos);
        size_t end = nl ? (size_t)(nl - paths) : paths_len;
        const char *path = paths + pos;
        size_t n = end - pos;
        pos = end + 1;
        if (n == 0 || memchr(path, '\0', n))
            continue;
        for (int is_dir = 0; is_dir < 2; is_dir++) {
            int all = slugignore_match(&si, path, n, is_dir);
            int any = 0;
            if (checkable) {
                size_t lpos = 0;
                while (lpos < rules_len) {
                    const char *lnl = memchr(in + lpos, '\n', rules_len - lpos);
                    size_t lend = lnl ? (size_t)(lnl - in) : rules_len;
                    struct slugignore one = SLUGIGNORE_INIT;
                    slugignore_parse(in + lpos, lend - lpos, "x", &one, &diag);
                    any |= slugignore_match(&one, path, n, is_dir);
                    slugignore_free(&one);
                    lpos = lend + 1;
                }
                if (all != any)
                    abort();
            }
        }
        for (size_t r = 0; r < si.n; r++)
            for (size_t k = 0; k < si.rules[r].nsegs; k++)
                check_against_fnmatch(si.rules[r].segs[k], strlen(si.rules[r].segs[k]), path, n);
    }
    slugignore_free(&si);
    sb_free(&diag);
    return 0;
}
