/* Unit tests of the file helpers: atomic writes and the inside-the-app check. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "unit.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_fileio SCRATCH_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char app[4096], outside[4096], path[8192];
    snprintf(app, sizeof app, "%s/app", dir);
    snprintf(outside, sizeof outside, "%s/outside", dir);
    mkdir(app, 0755);
    mkdir(outside, 0755);

    /* atomic write, then read back */
    snprintf(path, sizeof path, "%s/file", app);
    CHECK(write_file_atomic(path, "hello\n", 6, 0600) == 0);
    char *buf;
    size_t len;
    CHECK(read_file(path, 100, &buf, &len) == 0 && len == 6 && !strcmp(buf, "hello\n"));
    free(buf);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    /* mode -1 keeps the old mode */
    CHECK(write_file_atomic(path, "x", 1, -1) == 0);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    /* too large, and a directory */
    CHECK(read_file(path, 0, &buf, &len) == -1 && errno == EFBIG);
    CHECK(read_file(app, 100, &buf, &len) == -1 && errno == EISDIR);

    const char *why = NULL;
    char *r;
    /* inside: existing and new files, a symlink within the app */
    r = resolve_inside_app(app, "file", &why);
    CHECK(r != NULL);
    free(r);
    r = resolve_inside_app(app, "new-file", &why);
    CHECK(r != NULL);
    free(r);
    snprintf(path, sizeof path, "%s/link-in", app);
    CHECK(symlink("file", path) == 0);
    r = resolve_inside_app(app, "link-in", &why);
    CHECK(r != NULL);
    free(r);
    /* outside: a symlink out, a dangling symlink, a directory symlink out, .. */
    snprintf(path, sizeof path, "%s/link-out", app);
    CHECK(symlink(outside, path) == 0);
    CHECK(resolve_inside_app(app, "link-out", &why) == NULL);
    CHECK(resolve_inside_app(app, "link-out/new", &why) == NULL);
    snprintf(path, sizeof path, "%s/dangling", app);
    CHECK(symlink("/nonexistent/solodyno", path) == 0);
    CHECK(resolve_inside_app(app, "dangling", &why) == NULL);
    CHECK(resolve_inside_app(app, "../outside/x", &why) == NULL);
    /* make_app_dir refuses to create through a symlink out */
    CHECK(make_app_dir(app, "a/b/c", &why) == 0);
    CHECK(make_app_dir(app, "link-out/d", &why) == -1);
    snprintf(path, sizeof path, "%s/d", outside);
    CHECK(access(path, F_OK) == -1);
    UNIT_DONE();
}
