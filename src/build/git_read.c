#include "build/git_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define SYMREF_DEPTH_MAX 5

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool git_oid_valid(const char *s, size_t len)
{
    if (len != 40 && len != 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_hex(s[i]))
            return false;
    return true;
}

static void copy_oid(char *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = lower(s[i]);
    out[len] = '\0';
}

static bool has(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(s + i, needle, n))
            return true;
    return false;
}

bool git_refname_valid(const char *name, size_t len)
{
    if (len <= 5 || len > GIT_REF_MAX || memcmp(name, "refs/", 5) != 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || strchr(" ~^:?*[\\", c))
            return false;
    }
    if (has(name, len, "..") || has(name, len, "@{") || has(name, len, "//"))
        return false;
    if (name[len - 1] == '/' || name[len - 1] == '.')
        return false;
    /* Each component: not starting with ".", not ending with ".lock". */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '/')
            continue;
        if (name[start] == '.')
            return false;
        if (i - start >= 5 && !memcmp(name + i - 5, ".lock", 5))
            return false;
        start = i + 1;
    }
    return true;
}

enum git_ref_content git_parse_ref_file(const char *data, size_t len, char *oid, char *ref)
{
    while (len > 0 && is_space(data[len - 1]))
        len--;
    if (len >= 4 && !memcmp(data, "ref:", 4)) {
        size_t i = 4;
        while (i < len && (data[i] == ' ' || data[i] == '\t'))
            i++;
        if (!git_refname_valid(data + i, len - i))
            return GIT_CONTENT_BAD;
        memcpy(ref, data + i, len - i);
        ref[len - i] = '\0';
        return GIT_CONTENT_SYMREF;
    }
    if (!git_oid_valid(data, len))
        return GIT_CONTENT_BAD;
    copy_oid(oid, data, len);
    return GIT_CONTENT_OID;
}

/* The next line of data from *pos (without its "\n" and a trailing "\r"). */
static bool next_line(const char *data, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len)
        return false;
    const char *start = data + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t l = nl ? (size_t)(nl - start) : len - *pos;
    *pos += l + (nl ? 1 : 0);
    if (l > 0 && start[l - 1] == '\r')
        l--;
    *line = start;
    *n = l;
    return true;
}

/* "^<oid>": the commit an annotated tag on the line before points to. */
static bool peeled_line(const char *line, size_t n)
{
    return n > 1 && line[0] == '^' && git_oid_valid(line + 1, n - 1);
}

bool git_packed_refs_find(const char *data, size_t len, const char *refname, char *oid)
{
    size_t want = strlen(refname), pos = 0, n;
    const char *line;
    while (next_line(data, len, &pos, &line, &n)) {
        if (n == 0 || line[0] == '#' || line[0] == '^')
            continue;
        /* "<oid> <refname>" */
        const char *sp = memchr(line, ' ', n);
        if (!sp)
            continue;
        size_t hex = (size_t)(sp - line);
        size_t name_len = n - hex - 1;
        if (!git_oid_valid(line, hex) || name_len != want || memcmp(sp + 1, refname, want) != 0)
            continue;
        copy_oid(oid, line, hex);
        size_t after = pos;
        const char *peel;
        size_t pn;
        if (next_line(data, len, &after, &peel, &pn) && peeled_line(peel, pn))
            copy_oid(oid, peel + 1, pn - 1);
        return true;
    }
    return false;
}

/* One line (trailing whitespace removed), no NUL or line break inside. */
static char *one_line(const char *data, size_t len)
{
    while (len > 0 && is_space(data[len - 1]))
        len--;
    if (len == 0 || memchr(data, '\0', len) || memchr(data, '\n', len) || memchr(data, '\r', len))
        return NULL;
    return strndup(data, len);
}

char *git_parse_gitdir_file(const char *data, size_t len)
{
    if (len < 8 || memcmp(data, "gitdir: ", 8) != 0)
        return NULL;
    return one_line(data + 8, len - 8);
}

char *git_parse_commondir(const char *data, size_t len)
{
    return one_line(data, len);
}

/* ---- reading a repository ---- */

struct repo {
    const char *app_dir;
    char *gitdir;    /* HEAD and per-worktree refs */
    char *commondir; /* shared refs and packed-refs */
    struct git_head *head;
};

/* A path for messages: printable ASCII only (paths can come from a .git file). */
static void sb_append_printable(strbuf *sb, const char *s)
{
    for (; *s; s++)
        sb_append_char(sb, (*s >= 0x20 && *s < 0x7f) ? *s : '?');
}

/* Shows dir-relative paths as ".git/HEAD" rather than the build's temp path. */
static void sb_append_shown(strbuf *sb, const struct repo *r, const char *path)
{
    size_t n = strlen(r->app_dir);
    if (!strncmp(path, r->app_dir, n) && path[n] == '/')
        path += n + 1;
    sb_append_printable(sb, path);
}

static enum git_head_status fail(struct repo *r, enum git_head_status st, const char *path,
                                 const char *fmt, ...) PRINTF_LIKE(4, 5);
static enum git_head_status fail(struct repo *r, enum git_head_status st, const char *path,
                                 const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    if (path) {
        sb_append_shown(&sb, r, path);
        sb_append(&sb, ": ");
    }
    char msg[sizeof r->head->why];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sb_append(&sb, msg);
    snprintf(r->head->why, sizeof r->head->why, "%s", sb.data);
    sb_free(&sb);
    return st;
}

static char *join(const char *dir, const char *rel)
{
    strbuf sb = STRBUF_INIT;
    if (rel[0] == '/')
        sb_append(&sb, rel);
    else
        sb_printf(&sb, "%s/%s", dir, rel);
    return sb_take(&sb);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *read_error(int err, size_t max)
{
    static char buf[64];
    if (err == EFBIG) {
        snprintf(buf, sizeof buf, "larger than %zu bytes, which it never is", max);
        return buf;
    }
    if (err == EINVAL)
        return "not a regular file";
    return strerror(err);
}

/* Finds the gitdir (a .git directory, or where a .git file points) and the
 * common dir (where a worktree's gitdir says the shared refs are). */
static enum git_head_status find_dirs(struct repo *r)
{
    char *dotgit = join(r->app_dir, ".git");
    struct stat st;
    if (stat(dotgit, &st) < 0) {
        int err = errno;
        enum git_head_status s = err == ENOENT ? GIT_HEAD_NO_REPO
                                               : fail(r, GIT_HEAD_ERROR, dotgit, "%s", strerror(err));
        free(dotgit);
        return s;
    }
    if (S_ISDIR(st.st_mode)) {
        r->gitdir = dotgit;
    } else if (S_ISREG(st.st_mode)) {
        char *data;
        size_t len;
        if (read_file(dotgit, GIT_HEAD_MAX * 2, &data, &len) < 0) {
            int err = errno;
            fail(r, GIT_HEAD_ERROR, dotgit, "cannot read it (%s)", read_error(err, GIT_HEAD_MAX * 2));
            free(dotgit);
            return GIT_HEAD_ERROR;
        }
        char *target = git_parse_gitdir_file(data, len);
        free(data);
        if (!target) {
            fail(r, GIT_HEAD_ERROR, dotgit, "expected one line \"gitdir: PATH\"");
            free(dotgit);
            return GIT_HEAD_ERROR;
        }
        /* A relative gitdir is relative to the directory holding the .git file. */
        r->gitdir = join(r->app_dir, target);
        free(target);
        if (!is_dir(r->gitdir)) {
            strbuf shown = STRBUF_INIT;
            sb_append_printable(&shown, r->gitdir);
            fail(r, GIT_HEAD_ERROR, dotgit, "points to %s, which is not a directory", shown.data);
            sb_free(&shown);
            free(dotgit);
            return GIT_HEAD_ERROR;
        }
        free(dotgit);
    } else {
        fail(r, GIT_HEAD_ERROR, dotgit, "neither a directory nor a file");
        free(dotgit);
        return GIT_HEAD_ERROR;
    }

    char *cd_path = join(r->gitdir, "commondir");
    char *data;
    size_t len;
    if (read_file(cd_path, GIT_HEAD_MAX, &data, &len) < 0) {
        int err = errno;
        if (err != ENOENT) {
            fail(r, GIT_HEAD_ERROR, cd_path, "cannot read it (%s)", read_error(err, GIT_HEAD_MAX));
            free(cd_path);
            return GIT_HEAD_ERROR;
        }
        r->commondir = xstrdup(r->gitdir);
    } else {
        /* A relative common dir is relative to the gitdir. */
        char *rel = git_parse_commondir(data, len);
        free(data);
        if (rel)
            r->commondir = join(r->gitdir, rel);
        free(rel);
        if (!r->commondir || !is_dir(r->commondir)) {
            fail(r, GIT_HEAD_ERROR, cd_path, "expected the path of the main repository's .git");
            free(cd_path);
            return GIT_HEAD_ERROR;
        }
    }
    free(cd_path);
    return GIT_HEAD_COMMIT;
}

/* Refs that belong to one worktree live in its gitdir; the rest are shared. */
static bool per_worktree(const char *ref)
{
    return !strncmp(ref, "refs/worktree/", 14) || !strncmp(ref, "refs/bisect/", 12) ||
           !strncmp(ref, "refs/rewritten/", 15);
}

/* Follows ref (a loose file, else packed-refs) to an object id. */
static enum git_head_status resolve(struct repo *r, const char *first_ref)
{
    char ref[GIT_REF_MAX + 1];
    snprintf(ref, sizeof ref, "%s", first_ref);
    for (int depth = 0; depth < SYMREF_DEPTH_MAX; depth++) {
        char *path = join(per_worktree(ref) ? r->gitdir : r->commondir, ref);
        char *data;
        size_t len;
        if (read_file(path, GIT_HEAD_MAX, &data, &len) == 0) {
            char next[GIT_REF_MAX + 1];
            enum git_ref_content c = git_parse_ref_file(data, len, r->head->commit, next);
            free(data);
            if (c == GIT_CONTENT_OID) {
                free(path);
                return GIT_HEAD_COMMIT;
            }
            if (c == GIT_CONTENT_BAD) {
                fail(r, GIT_HEAD_ERROR, path, "expected a 40 or 64 hex-digit object id or \"ref: refs/...\"");
                free(path);
                return GIT_HEAD_ERROR;
            }
            free(path);
            memcpy(ref, next, sizeof ref);
            continue;
        }
        int err = errno;
        /* A directory of that name (refs/heads/a when refs/heads/a/b exists)
         * or a missing parent means no loose ref: look in packed-refs. */
        if (err != ENOENT && err != EISDIR && err != ENOTDIR) {
            fail(r, GIT_HEAD_ERROR, path, "cannot read it (%s)", read_error(err, GIT_HEAD_MAX));
            free(path);
            return GIT_HEAD_ERROR;
        }
        free(path);

        char *packed = join(r->commondir, "packed-refs");
        if (read_file(packed, GIT_PACKED_REFS_MAX, &data, &len) == 0) {
            bool found = git_packed_refs_find(data, len, ref, r->head->commit);
            free(data);
            free(packed);
            if (found)
                return GIT_HEAD_COMMIT;
        } else {
            err = errno;
            if (err != ENOENT) {
                fail(r, GIT_HEAD_ERROR, packed, "cannot read it (%s)", read_error(err, GIT_PACKED_REFS_MAX));
                free(packed);
                return GIT_HEAD_ERROR;
            }
            free(packed);
        }
        strbuf shown = STRBUF_INIT;
        sb_append_printable(&shown, ref);
        fail(r, GIT_HEAD_UNBORN, NULL,
             "HEAD names %s, which has no commit yet (a new repository or an orphan branch: "
             "no loose ref and not in packed-refs)",
             shown.data);
        sb_free(&shown);
        return GIT_HEAD_UNBORN;
    }
    return fail(r, GIT_HEAD_ERROR, NULL, "symbolic refs from HEAD nest deeper than %d levels (a loop?)",
                SYMREF_DEPTH_MAX);
}

enum git_head_status git_read_head(const char *dir, struct git_head *head)
{
    memset(head, 0, sizeof *head);
    struct repo r = {.app_dir = dir, .head = head};
    enum git_head_status st = find_dirs(&r);
    if (st != GIT_HEAD_COMMIT)
        goto out;

    char *head_path = join(r.gitdir, "HEAD");
    char *data;
    size_t len;
    if (read_file(head_path, GIT_HEAD_MAX, &data, &len) < 0) {
        int err = errno;
        st = fail(&r, GIT_HEAD_ERROR, head_path, "cannot read it (%s)", read_error(err, GIT_HEAD_MAX));
        free(head_path);
        goto out;
    }
    enum git_ref_content c = git_parse_ref_file(data, len, head->commit, head->ref);
    bool reftable_marker = len >= 24 && !memcmp(data, "ref: refs/heads/.invalid", 24);
    free(data);
    if (c == GIT_CONTENT_BAD) {
        char *reftable = join(r.commondir, "reftable");
        bool is_reftable = reftable_marker && is_dir(reftable);
        free(reftable);
        st = is_reftable ? fail(&r, GIT_HEAD_ERROR, NULL,
                                "the repository keeps its refs in the reftable format, which is not read here")
                         : fail(&r, GIT_HEAD_ERROR, head_path,
                                "expected a 40 or 64 hex-digit object id or \"ref: refs/...\" (corrupted?)");
        free(head_path);
        goto out;
    }
    free(head_path);
    st = c == GIT_CONTENT_OID ? GIT_HEAD_COMMIT : resolve(&r, head->ref);
out:
    if (st != GIT_HEAD_COMMIT)
        head->commit[0] = '\0';
    free(r.gitdir);
    free(r.commondir);
    return st;
}
