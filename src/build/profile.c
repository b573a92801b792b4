#include "build/profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/fileio.h"
#include "common/log.h"

/* Kept tiny: it runs at every dyno start. Builtins only, plus one fork and
 * exec of solodyno, which prints only what the user has not set. */
const char profile_block[] =
    PROFILE_BEGIN "\n"
    "if [ -x \"$HOME/.solodyno/bin/solodyno\" ]; then\n"
    "  case \":$PATH:\" in *\":$HOME/.solodyno/bin:\"*) ;; *) export PATH=\"$HOME/.solodyno/bin:$PATH\" ;; esac\n"
    "  eval \"$(\"$HOME/.solodyno/bin/solodyno\" env --shell)\"\n"
    "fi\n"
    PROFILE_END "\n";

#define PROFILE_MAX (1024 * 1024)

/* The line's text without its line ending (LF, or CR LF) and trailing blanks. */
static size_t content_len(const char *s, size_t n)
{
    if (n && s[n - 1] == '\n')
        n--;
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

int profile_rewrite(const char *old, size_t n, strbuf *out, const char **why, size_t *line)
{
    size_t begin = 0, end = 0; /* byte offsets: start of the begin line, end of the end line */
    size_t begin_line = 0, lineno = 0;
    bool in_block = false, have_block = false;
    const char *eol = NULL; /* the file's first line ending, for a missing last one */

    for (size_t pos = 0; pos < n;) {
        const char *nl = memchr(old + pos, '\n', n - pos);
        size_t next = nl ? (size_t)(nl - old) + 1 : n;
        const char *s = old + pos;
        size_t len = content_len(s, next - pos);
        lineno++;
        if (nl && !eol)
            eol = (nl > old && nl[-1] == '\r') ? "\r\n" : "\n";
        bool is_begin = len >= sizeof PROFILE_BEGIN_PREFIX - 1 &&
                        !memcmp(s, PROFILE_BEGIN_PREFIX, sizeof PROFILE_BEGIN_PREFIX - 1);
        bool is_end = len == sizeof PROFILE_END - 1 && !memcmp(s, PROFILE_END, len);
        if (is_begin) {
            if (in_block) {
                *why = "a solodyno block starts again before the previous one ends ('" PROFILE_END "')";
                *line = lineno;
                return -1;
            }
            if (have_block) {
                *why = "a second solodyno block; keep one (delete this one, marker lines included)";
                *line = lineno;
                return -1;
            }
            in_block = true;
            begin = pos;
            begin_line = lineno;
        } else if (is_end) {
            if (!in_block) {
                *why = "the solodyno block's end line without its start line ('" PROFILE_BEGIN_PREFIX
                       " ...'); delete it";
                *line = lineno;
                return -1;
            }
            in_block = false;
            have_block = true;
            end = next;
        }
        pos = next;
    }
    if (in_block) {
        *why = "the solodyno block starts here but has no end line ('" PROFILE_END "')";
        *line = begin_line;
        return -1;
    }

    if (have_block) {
        sb_append_len(out, old, begin);
        sb_append(out, profile_block);
        sb_append_len(out, old + end, n - end);
    } else {
        sb_append_len(out, old, n);
        if (n && old[n - 1] != '\n')
            sb_append(out, eol ? eol : "\n");
        sb_append(out, profile_block);
    }
    return 0;
}

int cmd_profile(int argc, char **argv)
{
    if (argc != 2) {
        msg_error("usage: solodyno profile APP_DIR");
        return 2;
    }
    const char *app = argv[1];
    log_step("solodyno: runtime defaults at dyno start (.profile)");
    const char *why;
    char *path = resolve_inside_app(app, ".profile", &why);
    if (!path) {
        log_warn("%s/.profile: refusing to write it: %s", app, why);
        return 1;
    }
    char *old = NULL;
    size_t len = 0;
    if (read_file(path, PROFILE_MAX, &old, &len) != 0) {
        if (errno != ENOENT) {
            log_warn("%s/.profile: cannot read it (%s)", app,
                      errno == EFBIG    ? "larger than 1 MiB"
                      : errno == EINVAL ? "not a regular file"
                                        : strerror(errno));
            free(path);
            return 1;
        }
        old = NULL;
        len = 0;
    }
    strbuf out = STRBUF_INIT;
    size_t line = 0;
    int rc = 0;
    if (profile_rewrite(old ? old : "", len, &out, &why, &line) != 0) {
        log_warn("%s/.profile line %zu: %s", app, line, why);
        rc = 1;
    } else if (old && out.len == len && !memcmp(out.data, old, len)) {
        log_detail(".profile: the solodyno block is up to date");
    } else if (write_file_atomic(path, out.data, out.len, -1) != 0) {
        log_warn("%s/.profile: cannot write it (%s)", app, strerror(errno));
        rc = 1;
    } else {
        log_detail(".profile: %s the solodyno block (PATH, then `solodyno env --shell` at dyno start)",
                   old && memmem(old, len, PROFILE_BEGIN_PREFIX, sizeof PROFILE_BEGIN_PREFIX - 1) ? "updated" : "added");
    }
    sb_free(&out);
    free(old);
    free(path);
    return rc;
}
