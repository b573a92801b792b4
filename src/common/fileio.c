#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

int read_file(const char *path, size_t max, char **out, size_t *len)
{
    /* O_NONBLOCK: opening a FIFO must not hang the build; we refuse it below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        goto fail;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    strbuf sb = STRBUF_INIT;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            sb_free(&sb);
            goto fail;
        }
        if (n == 0)
            break;
        if (sb.len + (size_t)n > max) {
            sb_free(&sb);
            errno = EFBIG;
            goto fail;
        }
        sb_append_len(&sb, chunk, (size_t)n);
    }
    close(fd);
    *len = sb.len;
    *out = sb_take(&sb);
    return 0;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

const char *file_kind(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return "a file that cannot be examined";
    if (S_ISFIFO(st.st_mode))
        return "a named pipe (FIFO)";
    if (S_ISSOCK(st.st_mode))
        return "a socket";
    if (S_ISCHR(st.st_mode))
        return "a character device";
    if (S_ISBLK(st.st_mode))
        return "a block device";
    if (S_ISDIR(st.st_mode))
        return "a directory";
    return S_ISREG(st.st_mode) ? "a regular file" : "not a regular file";
}

int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
    strbuf tmp = STRBUF_INIT;
    sb_printf(&tmp, "%s.solodyno-tmp.XXXXXX", path);
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        int saved = errno;
        sb_free(&tmp);
        errno = saved;
        return -1;
    }
    if (mode < 0) {
        struct stat st;
        mode = stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : 0644;
    }
    if (write_all(fd, data, len) < 0 || fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp.data, path) < 0)
        goto fail;
    sb_free(&tmp);
    return 0;
fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp.data);
    sb_free(&tmp);
    errno = saved;
    return -1;
}

int path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* True if path is root or lies below it. Both are canonical (realpath). */
static int is_below(const char *root, const char *path)
{
    size_t n = strlen(root);
    if (strncmp(root, path, n) != 0)
        return 0;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && root[0] == '/');
}

char *resolve_inside_app(const char *app_dir, const char *rel, const char **why)
{
    char root[PATH_MAX];
    if (!realpath(app_dir, root)) {
        *why = "the app directory cannot be resolved";
        return NULL;
    }
    strbuf full = STRBUF_INIT;
    sb_printf(&full, "%s/%s", root, rel);

    char resolved[PATH_MAX];
    if (realpath(full.data, resolved)) {
        sb_free(&full);
        if (!is_below(root, resolved)) {
            *why = "it is a symlink leading outside the app directory";
            return NULL;
        }
        return xstrdup(resolved);
    }
    int err = errno;
    if (err != ENOENT || path_exists(full.data)) {
        /* Exists but cannot be resolved: a dangling or looping symlink. We cannot
         * tell where a write through it would land, so we refuse it. */
        *why = err == ENOENT         ? "it is a symlink to nothing"
               : err == ELOOP        ? "it is a symlink loop (or a chain of more than 40 symlinks)"
               : err == ENAMETOOLONG ? "its path, with its symlinks followed, is too long"
               : err == EACCES       ? "a directory on its path cannot be searched (permission denied)"
               : err == ENOTDIR      ? "a part of its path is not a directory"
                                     : strerror(err);
        sb_free(&full);
        return NULL;
    }
    /* Does not exist yet: its directory must resolve inside the app. */
    char *slash = strrchr(full.data, '/');
    *slash = '\0';
    const char *base = slash + 1;
    if (!realpath(full.data, resolved) || !is_below(root, resolved)) {
        *why = "its directory is missing or leads outside the app directory";
        sb_free(&full);
        return NULL;
    }
    strbuf out = STRBUF_INIT;
    sb_printf(&out, "%s/%s", resolved, base);
    sb_free(&full);
    return sb_take(&out);
}

int make_app_dir(const char *app_dir, const char *rel, const char **why)
{
    /* Walk rel one component at a time, so every step is checked before the
     * next is created inside it. */
    strbuf part = STRBUF_INIT;
    const char *p = rel;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (part.len)
            sb_append_char(&part, '/');
        sb_append_len(&part, p, n);
        char *abs = resolve_inside_app(app_dir, part.data, why);
        if (!abs) {
            sb_free(&part);
            return -1;
        }
        if (mkdir(abs, 0755) < 0 && errno != EEXIST) {
            *why = strerror(errno);
            free(abs);
            sb_free(&part);
            return -1;
        }
        struct stat st;
        if (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
            *why = "a file of that name is in the way";
            free(abs);
            sb_free(&part);
            return -1;
        }
        free(abs);
        p = end ? end + 1 : p + n;
    }
    sb_free(&part);
    return 0;
}
