#include "build/profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "common/fileio.h"
#include "common/log.h"

/* Kept tiny: it runs at every dyno start. Builtins only, plus one fork and
 * exec of solodyno, which prints only what the user has not set. $$ is the
 * shell sourcing .profile (in a subshell too): the one Heroku started with the
 * config vars, before any .profile.d script exported anything, so its start
 * environment tells the user's values from other buildpacks' (start_env.h). */
const char profile_block[] =
    PROFILE_BEGIN "\n"
    "if [ -x \"$HOME/.solodyno/bin/solodyno\" ]; then\n"
    "  case \":$PATH:\" in *\":$HOME/.solodyno/bin:\"*) ;; *) export PATH=\"$HOME/.solodyno/bin:$PATH\" ;; esac\n"
    "  eval \"$(\"$HOME/.solodyno/bin/solodyno\" env --shell --start-env \"$$\")\"\n"
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

/* Characters that end a shell word (roughly: enough to find `. FILE`). */
static bool word_end(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == '&' || c == '|' ||
           c == '(' || c == ')' || c == '`';
}

static bool names_profile(const char *w, size_t n)
{
    static const char tail[] = "/.profile";
    return (n == sizeof tail - 2 && !memcmp(w, tail + 1, n)) ||
           (n >= sizeof tail - 1 && !memcmp(w + n - (sizeof tail - 1), tail, sizeof tail - 1));
}

/* Words after which the next word is a command again. */
static bool leads_command(const char *w)
{
    static const char *const words[] = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "time"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(w, words[i]))
            return true;
    return false;
}

bool profile_sourced_by(const char *text, size_t n)
{
    char word[256];
    bool command = true;     /* the next word is in command position */
    bool sourcing = false;   /* the previous word was a `.` or `source` command */
    size_t pos = 0;
    while (pos < n) {
        while (pos < n && word_end(text[pos])) {
            if (text[pos] == '\n' || text[pos] == ';' || text[pos] == '&' || text[pos] == '|' ||
                text[pos] == '(' || text[pos] == '`') {
                command = true; /* a new command starts */
                sourcing = false;
            }
            pos++;
        }
        if (pos >= n)
            break;
        if (text[pos] == '#') { /* a comment, to the end of the line */
            while (pos < n && text[pos] != '\n')
                pos++;
            continue;
        }
        size_t len = 0;
        bool too_long = false;
        for (; pos < n && !word_end(text[pos]); pos++) {
            if (text[pos] == '\'' || text[pos] == '"')
                continue;
            if (len < sizeof word - 1)
                word[len++] = text[pos];
            else
                too_long = true;
        }
        word[len] = '\0';
        if (sourcing && !too_long && names_profile(word, len))
            return true;
        sourcing = command && !too_long && (!strcmp(word, ".") || !strcmp(word, "source"));
        command = !too_long && leads_command(word);
    }
    return false;
}

/* Heroku starts a dyno's command as `bash -l -c COMMAND` (a Heroku engineer
 * in heroku/cli#930, 2018: "In the non-container case, we use /bin/bash -l
 * -c"; the runtime's 2012 change to `bash --login -c` is how .profile came to
 * be read). A login bash reads only the first of ~/.bash_profile,
 * ~/.bash_login and ~/.profile that exists and is readable (bash(1),
 * INVOCATION), and HOME is the app: a .bash_profile or .bash_login in the app
 * keeps .profile, and the block, from running unless it sources .profile. */
static void check_login_files(const char *app)
{
    static const char *const names[] = {".bash_profile", ".bash_login"};
    char path[4096], profile[4096];
    snprintf(profile, sizeof profile, "%s/.profile", app);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", app, names[i]);
        struct stat st, pst;
        if (stat(path, &st) != 0 || access(path, R_OK) != 0)
            continue;
        /* the file bash reads instead of .profile */
        if (stat(profile, &pst) == 0 && st.st_dev == pst.st_dev && st.st_ino == pst.st_ino)
            return; /* a link to .profile itself */
        char *text = NULL;
        size_t len = 0;
        if (read_file(path, PROFILE_MAX, &text, &len) == 0 && profile_sourced_by(text, len)) {
            log_detail("%s sources .profile, so the block runs (a login bash reads %s instead)",
                       names[i], names[i]);
            free(text);
            return;
        }
        free(text);
        log_warn("%s/%s: Heroku starts every dyno with a login bash, which reads %s and then "
                 "skips .profile: the solodyno block will not run, and the dyno gets none of its "
                 "runtime defaults. Add this line to %s:  [ -f \"$HOME/.profile\" ] && . "
                 "\"$HOME/.profile\"  (or move its lines into .profile and delete it)",
                 app, names[i], names[i], names[i]);
        return;
    }
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
    if (rc == 0)
        check_login_files(app);
    sb_free(&out);
    free(old);
    free(path);
    return rc;
}
