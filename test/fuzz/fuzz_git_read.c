/* libFuzzer target: the readers of an app's .git (HEAD and ref files,
 * packed-refs, gitdir and commondir files, whole hand-made repositories) and
 * the stamp file read at every dyno start.
 *
 * The first byte picks the reader; the rest is its input. Each mode also
 * checks what the reader promises (an object id is 40 or 64 lowercase hex,
 * a stamp holds only [A-Za-z0-9._/-], messages hold no control bytes). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/git_read.h"
#include "common/stamp.h"

static char dir[64];

static void check_oid(const char *oid)
{
    size_t n = strlen(oid);
    if (n != 40 && n != 64)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!((oid[i] >= '0' && oid[i] <= '9') || (oid[i] >= 'a' && oid[i] <= 'f')))
            abort();
}

static void check_stamp_value(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > STAMP_VALUE_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-", v[i]))
            abort();
}

static void check_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            abort();
}

/* Plain writes: no fsync, this runs thousands of times a second. */
static void put(const char *rel, const char *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        abort();
    if (len && write(fd, data, len) != (ssize_t)len)
        abort();
    close(fd);
}

static void cleanup(void)
{
    static const char *const files[] = {"g/.git/HEAD", "g/.git/refs/heads/main", "g/.git/refs/heads/x",
                                        "g/.git/packed-refs", "w/.git", "m/HEAD", "m/commondir",
                                        "a/.solodyno/source-version"};
    static const char *const dirs[] = {"g/.git/refs/heads", "g/.git/refs", "g/.git", "g", "w",
                                       "m", "a/.solodyno", "a", ""};
    char path[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
        rmdir(path);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(dir, sizeof dir, "/tmp/fuzz_git_read.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    static const char *const dirs[] = {"g", "g/.git", "g/.git/refs", "g/.git/refs/heads", "w", "m",
                                       "a", "a/.solodyno"};
    char path[256];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
        mkdir(path, 0755);
    }
    atexit(cleanup);
    return 0;
}

/* Splits data at the next "\n--\n": *part and *plen get the piece. */
static void next_part(const uint8_t **data, size_t *size, const char **part, size_t *plen)
{
    const char *s = (const char *)*data;
    const char *sep = memmem(s, *size, "\n--\n", 4);
    *part = s;
    *plen = sep ? (size_t)(sep - s) : *size;
    size_t used = sep ? *plen + 4 : *size;
    *data += used;
    *size -= used;
}

static const char *fake_getenv(const char *name)
{
    if (!strcmp(name, "HEROKU_SLUG_COMMIT"))
        return "0123456789abcdef0123456789abcdef01234567";
    return NULL;
}

static void emitted(void *ctx, const char *name, const char *value, const char *origin)
{
    (void)ctx, (void)origin;
    check_printable(name);
    check_stamp_value(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 8;
    data++, size--;
    const char *s = (const char *)data;
    char oid[GIT_OID_MAX + 1], ref[GIT_REF_MAX + 1], value[STAMP_VALUE_MAX + 1];

    switch (mode) {
    case 0: { /* a HEAD or loose ref file */
        enum git_ref_content c = git_parse_ref_file(s, size, oid, ref);
        if (c == GIT_CONTENT_OID)
            check_oid(oid);
        if (c == GIT_CONTENT_SYMREF && (!git_refname_valid(ref, strlen(ref)) || strstr(ref, "..")))
            abort();
        break;
    }
    case 1: { /* a ref name (becomes a path: must never climb out) */
        if (git_refname_valid(s, size) &&
            (memchr(s, '\0', size) || memmem(s, size, "..", 2) || memmem(s, size, "/.", 2) || s[0] != 'r'))
            abort();
        break;
    }
    case 2: { /* packed-refs: the first line is the ref looked for */
        const char *nl = memchr(s, '\n', size);
        if (!nl)
            break;
        char *name = strndup(s, (size_t)(nl - s));
        if (git_packed_refs_find(nl + 1, size - (size_t)(nl - s) - 1, name, oid))
            check_oid(oid);
        free(name);
        break;
    }
    case 3: { /* gitdir and commondir files */
        char *p = git_parse_gitdir_file(s, size);
        if (p && (strchr(p, '\n') || !*p))
            abort();
        free(p);
        p = git_parse_commondir(s, size);
        if (p && (strchr(p, '\n') || !*p))
            abort();
        free(p);
        break;
    }
    case 4: { /* the stamp file, as read at dyno start */
        int r = stamp_parse(s, size, value);
        if (r == 1)
            check_stamp_value(value);
        break;
    }
    case 5: { /* a version from the environment */
        char *v = strndup(s, size);
        char why[160];
        if (stamp_check(v, value, why, sizeof why))
            check_stamp_value(value);
        else
            check_printable(why);
        free(v);
        break;
    }
    case 6: { /* a repository: HEAD, two loose refs, packed-refs */
        static const char *const files[] = {"g/.git/HEAD", "g/.git/refs/heads/main", "g/.git/refs/heads/x",
                                            "g/.git/packed-refs"};
        for (size_t i = 0; i < 4; i++) {
            const char *part;
            size_t plen;
            next_part(&data, &size, &part, &plen);
            put(files[i], part, plen);
        }
        char app[128];
        snprintf(app, sizeof app, "%s/g", dir);
        struct git_head head;
        enum git_head_status st = git_read_head(app, &head);
        if (st == GIT_HEAD_COMMIT)
            check_oid(head.commit);
        else if (head.commit[0])
            abort();
        if (st == GIT_HEAD_ERROR || st == GIT_HEAD_UNBORN)
            check_printable(head.why);
        break;
    }
    case 7: { /* a worktree's .git file, its gitdir's HEAD and commondir; then the stamp */
        static const char *const files[] = {"w/.git", "m/HEAD", "m/commondir"};
        for (size_t i = 0; i < 3; i++) {
            const char *part;
            size_t plen;
            next_part(&data, &size, &part, &plen);
            put(files[i], part, plen);
        }
        char app[128];
        snprintf(app, sizeof app, "%s/w", dir);
        struct git_head head;
        enum git_head_status st = git_read_head(app, &head);
        if (st == GIT_HEAD_COMMIT)
            check_oid(head.commit);
        if (st == GIT_HEAD_ERROR || st == GIT_HEAD_UNBORN)
            check_printable(head.why);
        /* The rest is a stamp file; only valid ones reach the runtime (an
         * invalid one prints a note, already covered by mode 4). */
        if (stamp_parse((const char *)data, size, value) >= 0) {
            put("a/.solodyno/source-version", (const char *)data, size);
            snprintf(app, sizeof app, "%s/a", dir);
            stamp_runtime_defaults(app, true, fake_getenv, emitted, NULL);
        }
        break;
    }
    }
    return 0;
}
