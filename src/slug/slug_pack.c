/* Walking the built app and writing it as a tar with libarchive.
 *
 * The archive is reproducible: entries sorted by name (byte order) depth first,
 * as `tar --sort=name` does; owner and group 0 with no user or group names;
 * mtimes in whole seconds, clamped to SOURCE_DATE_EPOCH when set; no access or
 * change times. The format is pax "restricted": plain ustar headers, plus a pax
 * extended header only for what ustar cannot hold (a path over its limits, a
 * name that is not ASCII, a file over 8 GiB).
 *
 * Symlinks are stored as links and never followed. Hard links are stored as
 * separate files (as Heroku's slug compiler does with --hard-dereference).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/quote.h"
#include "slug/slug.h"
#include "common/xalloc.h"

#define APP_PREFIX "./app/"
#define READ_CHUNK (256 * 1024)

/* ---- walking ------------------------------------------------------------------- */

/* A path for a message: control characters (and every non-ASCII byte of a name
 * that is not UTF-8) shown as \xNN, so a file name with a newline cannot forge
 * lines of the report, nor garble the terminal. */
static const char *shown(strbuf *sb, const char *path)
{
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
    if (!*path) {
        sb_append(sb, ".");
        return sb->data;
    }
    bool utf8 = utf8_valid(path, strlen(path));
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
            sb_printf(sb, "\\x%02x", c);
        else
            sb_append_char(sb, (char)c);
    }
    return sb->data;
}

static size_t add_entry(struct slug_tree *t, char *path, const struct stat *st, time_t clamp,
                        long parent)
{
    t->e = xgrow(t->e, t->n, &t->cap, sizeof *t->e);
    struct slug_entry *e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    e->path = path;
    e->mode = st->st_mode;
    e->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
    e->mtime = clamp >= 0 && st->st_mtime > clamp ? clamp : st->st_mtime;
    if (e->mtime < 0)
        e->mtime = 0;
    e->parent = parent;
    return t->n++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks that a symlink's target exists where the dyno will look: relative
 * targets from the link's directory; absolute targets under /app (where the
 * slug is unpacked) inside the app directory. Other absolute targets name the
 * stack image's files and are not checked. Returns 0 or -1 (dangling). */
static int check_link(int rootfd, int dirfd, const char *target)
{
    struct stat st;
    if (target[0] != '/')
        return fstatat(dirfd, target, &st, 0);
    if (!strcmp(target, "/app") || !strncmp(target, "/app/", 5)) {
        const char *rest = target + 4;
        while (*rest == '/')
            rest++;
        return fstatat(rootfd, *rest ? rest : ".", &st, 0);
    }
    return 0;
}

struct walk {
    struct slug_tree *t;
    time_t clamp;
    int rootfd;
    strbuf *err;
    strbuf tmp;
};

static int walk_dir(struct walk *w, int fd, const char *rel, long self)
{
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        sb_printf(w->err, "cannot read directory %s: %s", shown(&w->tmp, rel), strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, ".."))
            continue;
        if (self == 0 && !strcmp(nm, ".git")) /* the repository, not the app */
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(nm);
    }
    int read_errno = errno;
    closedir(d);
    int rc = 0;
    if (read_errno) {
        sb_printf(w->err, "cannot read directory %s: %s", shown(&w->tmp, rel), strerror(read_errno));
        rc = -1;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_names);

    for (size_t i = 0; i < n && rc == 0; i++) {
        strbuf path = STRBUF_INIT;
        if (*rel)
            sb_printf(&path, "%s/%s", rel, names[i]);
        else
            sb_append(&path, names[i]);
        struct stat st;
        if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            sb_printf(w->err, "%s: %s", shown(&w->tmp, path.data),
                      errno == ENOENT ? "vanished while the app was being listed" : strerror(errno));
            sb_free(&path);
            rc = -1;
            break;
        }
        if (S_ISREG(st.st_mode)) {
            w->t->files++;
            w->t->bytes += (uint64_t)st.st_size;
            add_entry(w->t, sb_take(&path), &st, w->clamp, self);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t len = readlinkat(fd, names[i], target, sizeof target - 1);
            if (len < 0) {
                sb_printf(w->err, "%s: cannot read the symlink: %s", shown(&w->tmp, path.data),
                          strerror(errno));
                sb_free(&path);
                rc = -1;
                break;
            }
            target[len] = '\0';
            if (check_link(w->rootfd, fd, target) < 0) {
                int e = errno;
                strbuf t2 = STRBUF_INIT;
                sb_printf(w->err, "%s: a symlink to %s, which %s; the slug would ship a broken link",
                          shown(&w->tmp, path.data), shown(&t2, target),
                          e == ELOOP ? "loops" : e == ENOENT || e == ENOTDIR ? "does not exist" : strerror(e));
                sb_free(&t2);
                sb_free(&path);
                rc = -1;
                break;
            }
            w->t->symlinks++;
            size_t k = add_entry(w->t, sb_take(&path), &st, w->clamp, self);
            w->t->e[k].link = xstrdup(target);
        } else if (S_ISDIR(st.st_mode)) {
            int child = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                sb_printf(w->err, "cannot read directory %s: %s", shown(&w->tmp, path.data),
                          strerror(errno));
                sb_free(&path);
                rc = -1;
                break;
            }
            w->t->dirs++;
            char *p = sb_take(&path);
            size_t k = add_entry(w->t, p, &st, w->clamp, self);
            rc = walk_dir(w, child, p, (long)k);
            close(child);
        } else {
            const char *what = S_ISSOCK(st.st_mode) ? "a socket"
                               : S_ISFIFO(st.st_mode) ? "a named pipe"
                                                      : "a device";
            sb_printf(&w->t->warnings, "%s: left out (%s has no place in a slug)\n",
                      shown(&w->tmp, path.data), what);
            sb_free(&path);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int slug_walk(const char *app_dir, time_t clamp, struct slug_tree *tree, strbuf *err)
{
    memset(tree, 0, sizeof *tree);
    int fd = open(app_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        sb_printf(err, "%s: %s", app_dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct walk w = {tree, clamp, fd, err, STRBUF_INIT};
    tree->dirs++;
    add_entry(tree, xstrdup(""), &st, clamp, -1);
    int rc = walk_dir(&w, fd, "", 0);
    sb_free(&w.tmp);
    close(fd);
    return rc;
}

void slug_tree_free(struct slug_tree *tree)
{
    for (size_t i = 0; i < tree->n; i++) {
        free(tree->e[i].path);
        free(tree->e[i].link);
    }
    free(tree->e);
    sb_free(&tree->warnings);
    memset(tree, 0, sizeof *tree);
}

/* ---- writing the tar ------------------------------------------------------------- */

struct sink {
    struct gz_writer *gz;
    strbuf *err;       /* our own message for a write error */
    bool failed;
};

static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
    struct sink *s = ctx;
    if (gz_write(s->gz, buf, len, s->err) < 0) {
        s->failed = true;
        archive_set_error(a, EIO, "write failed");
        return -1;
    }
    return (la_ssize_t)len;
}

static int sink_close(struct archive *a, void *ctx)
{
    (void)a, (void)ctx;
    return ARCHIVE_OK;
}

/* Test hook: SOLODYNO_SLUG_TEST_STOP_AT=PATH stops the process (SIGSTOP) just
 * before PATH is opened for reading, so a test can change the file at exactly
 * that moment and check what we make of it. */
static const char *test_stop_at(void)
{
    static const char *v;
    static bool read;
    if (!read) {
        v = getenv("SOLODYNO_SLUG_TEST_STOP_AT");
        read = true;
    }
    return v;
}

/* Copies a regular file's bytes into the archive: exactly e->size of them, as
 * its header said. */
static int copy_file(struct archive *a, int rootfd, const struct slug_entry *e, unsigned char *buf,
                     struct sink *s, strbuf *err, strbuf *tmp)
{
    const char *stop = test_stop_at();
    if (stop && !strcmp(stop, e->path))
        raise(SIGSTOP);
    int fd = openat(rootfd, e->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int oe = errno;
        sb_printf(err, "%s: %s", shown(tmp, e->path),
                  oe == ENOENT ? "vanished before it could be read"
                  : oe == ELOOP ? "was replaced by a symlink while packing"
                                : "cannot be read");
        if (oe != ENOENT && oe != ELOOP)
            sb_printf(err, ": %s", strerror(oe));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sb_printf(err, "%s: is no longer a regular file", shown(tmp, e->path));
        close(fd);
        return -1;
    }
    uint64_t left = e->size;
    while (left > 0) {
        size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
        ssize_t got = read(fd, buf, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int re = errno;
            sb_printf(err, "%s: read error: %s", shown(tmp, e->path), strerror(re));
            close(fd);
            return -1;
        }
        if (got == 0) {
            sb_printf(err, "%s: shrank while being read (%llu of %llu bytes); is something "
                           "still writing to the app?",
                      shown(tmp, e->path), (unsigned long long)(e->size - left),
                      (unsigned long long)e->size);
            close(fd);
            return -1;
        }
        if (archive_write_data(a, buf, (size_t)got) != got) {
            if (!s->failed)
                sb_printf(err, "writing the archive: %s", archive_error_string(a));
            close(fd);
            return -1;
        }
        left -= (uint64_t)got;
    }
    /* One more read: a file that grew would be cut short in the slug. */
    ssize_t extra;
    do
        extra = read(fd, buf, 1);
    while (extra < 0 && errno == EINTR);
    close(fd);
    if (extra > 0) {
        sb_printf(err, "%s: grew while being read (more than %llu bytes); is something still "
                       "writing to the app?",
                  shown(tmp, e->path), (unsigned long long)e->size);
        return -1;
    }
    return 0;
}

int slug_pack(const char *app_dir, const struct slug_tree *tree, struct gz_writer *gz,
              slug_progress_fn progress, void *ctx, strbuf *warnings, strbuf *err)
{
    int rootfd = open(app_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        sb_printf(err, "%s: %s", app_dir, strerror(errno));
        return -1;
    }
    struct sink s = {gz, err, false};
    struct archive *a = archive_write_new();
    struct archive_entry *ae = archive_entry_new();
    unsigned char *buf = malloc(READ_CHUNK);
    strbuf name = STRBUF_INIT, tmp = STRBUF_INIT;
    int rc = -1;
    if (!a || !ae || !buf) {
        sb_printf(err, "out of memory");
        goto out;
    }
    /* hdrcharset=BINARY: names are bytes, stored as they are, whatever the
     * locale (no translation to UTF-8 that would fail on a name that is not). */
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK ||
        archive_write_open2(a, &s, NULL, sink_write, sink_close, NULL) != ARCHIVE_OK) {
        sb_printf(err, "libarchive: %s", archive_error_string(a));
        goto out;
    }
    uint64_t bytes_done = 0;
    size_t binary_names = 0;
    for (size_t i = 0; i < tree->n; i++) {
        const struct slug_entry *e = &tree->e[i];
        name.len = 0;
        sb_append(&name, APP_PREFIX);
        sb_append(&name, e->path);
        if (S_ISDIR(e->mode) && *e->path)
            sb_append_char(&name, '/');
        archive_entry_clear(ae);
        archive_entry_copy_pathname(ae, name.data);
        archive_entry_set_mode(ae, e->mode);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        archive_entry_set_mtime(ae, e->mtime, 0);
        if (S_ISREG(e->mode))
            archive_entry_set_size(ae, (la_int64_t)e->size);
        else
            archive_entry_set_size(ae, 0);
        if (S_ISLNK(e->mode))
            archive_entry_copy_symlink(ae, e->link);
        int hr = archive_write_header(a, ae);
        if (hr == ARCHIVE_WARN && !s.failed) {
            /* A name (or link target) that is not UTF-8: pax stores it as raw
             * bytes with hdrcharset=BINARY, which extracts to the same bytes. */
            if (binary_names++ < 3)
                sb_printf(warnings, "%s: not UTF-8; stored as raw bytes (pax hdrcharset=BINARY; "
                                    "GNU tar extracts it but says 'Ignoring unknown extended "
                                    "header keyword')\n",
                          shown(&tmp, e->path));
            hr = ARCHIVE_OK;
        }
        if (hr != ARCHIVE_OK) {
            if (!s.failed)
                sb_printf(err, "%s: cannot be archived: %s", shown(&tmp, e->path),
                          archive_error_string(a));
            goto out;
        }
        if (S_ISREG(e->mode)) {
            if (copy_file(a, rootfd, e, buf, &s, err, &tmp) < 0)
                goto out;
            bytes_done += e->size;
        }
        if (progress && (i & 255) == 0)
            progress(ctx, i + 1, bytes_done);
    }
    if (archive_write_close(a) != ARCHIVE_OK) {
        if (!s.failed)
            sb_printf(err, "finishing the archive: %s", archive_error_string(a));
        goto out;
    }
    if (progress)
        progress(ctx, tree->n, bytes_done);
    if (binary_names > 3)
        sb_printf(warnings, "... and %zu more names that are not UTF-8, stored as raw bytes\n",
                  binary_names - 3);
    rc = 0;
out:
    if (a)
        archive_write_free(a);
    if (ae)
        archive_entry_free(ae);
    free(buf);
    sb_free(&name);
    sb_free(&tmp);
    close(rootfd);
    return rc;
}
