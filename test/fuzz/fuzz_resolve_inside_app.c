/* libFuzzer target: resolve_inside_app, the check every file the build reads
 * or writes in the app goes through (a symlink must never lead out of it).
 *
 * Input: NUL-separated fields. The first is the path to resolve; each other
 * builds the app's tree: "dNAME" a directory, "fNAME" a file, "lNAME\x01TARGET"
 * a symlink to any target (absolute, "..", loops, dangling: the checker only
 * reads). Beside the app, "outside/" holds a directory and a file a symlink
 * may point at. Checks that an answer is canonical and inside the app: the
 * path exists and is its own realpath, or it does not exist yet and its
 * directory is a real directory inside the app. */
#include <errno.h>
#include <limits.h>

#include "fuzz_files.h"

#include "common/fileio.h"

#define MAX_OPS 24

static char app[160], root[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_dir_init("fuzz-resolve");
    snprintf(app, sizeof app, "%s/app", fuzz_dir);
    return 0;
}

/* Opens the directory that will hold rel's last component, walking from the
 * app without following any symlink (so nothing is ever created outside).
 * Returns its fd (base set to the last component), or -1. */
static int parent_of(const char *rel, char *buf, const char **base)
{
    snprintf(buf, PATH_MAX, "%s", rel);
    int fd = open(app, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char *s = buf;
    for (char *slash; fd >= 0 && (slash = strchr(s, '/'));) {
        *slash = '\0';
        int next = -1;
        if (*s && strcmp(s, ".") && strcmp(s, ".."))
            next = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
        s = slash + 1;
    }
    if (fd >= 0 && (!*s || !strcmp(s, ".") || !strcmp(s, ".."))) {
        close(fd);
        fd = -1;
    }
    *base = s;
    return fd;
}

static void build_op(const char *op)
{
    char buf[PATH_MAX];
    const char *base;
    char kind = op[0];
    if (!kind)
        return;
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s", op + 1);
    char *target = NULL;
    if (kind == 'l') {
        target = strchr(name, '\x01');
        if (!target)
            return;
        *target++ = '\0';
    }
    int dfd = parent_of(name, buf, &base);
    if (dfd < 0)
        return;
    if (kind == 'd')
        mkdirat(dfd, base, 0755);
    else if (kind == 'f') {
        int f = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f >= 0)
            close(f);
    } else if (kind == 'l')
        symlinkat(target, dfd, base);
    close(dfd);
}

static bool inside(const char *path)
{
    size_t n = strlen(root);
    return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, len;
    const uint8_t *f = fuzz_field(data, size, &pos, &len);
    if (len >= PATH_MAX)
        return 0;
    char *rel = strndup((const char *)f, len);
    fuzz_dir_clear();
    mkdir(app, 0755);
    fuzz_put("outside/secret", "x", 1);
    fuzz_put("outside/dir/file", "y", 1);
    for (int i = 0; i < MAX_OPS && pos < size; i++) {
        f = fuzz_field(data, size, &pos, &len);
        if (len >= PATH_MAX)
            continue;
        char *op = strndup((const char *)f, len);
        build_op(op);
        free(op);
    }
    if (!realpath(app, root))
        abort();

    const char *why = NULL;
    char *r = resolve_inside_app(app, rel, &why);
    if (!r) {
        if (!why || !*why)
            abort();
    } else {
        if (!inside(r))
            abort();
        char again[PATH_MAX];
        struct stat st;
        if (lstat(r, &st) == 0) {
            /* It exists: the answer is its own canonical path. */
            if (!realpath(r, again) || strcmp(again, r) != 0)
                abort();
        } else {
            /* Not there yet: its directory is canonical, real and inside. */
            char *dir = strdup(r);
            char *slash = strrchr(dir, '/');
            if (!slash)
                abort();
            *slash = '\0';
            if (!realpath(*dir ? dir : "/", again) || strcmp(again, *dir ? dir : "/") != 0 || !inside(again))
                abort();
            if (strchr(slash + 1, '/'))
                abort();
            free(dir);
        }
        free(r);
    }
    free(rel);
    return 0;
}
