/* The build's look at the app's files (see app_scan.h).
 *
 * Nothing outside the app is ever read: each root (app/, config/, lib/,
 * streaming/) is resolved and must lie inside the app (a root that is a
 * symlink to / or to ../elsewhere is skipped), and below a root no symlink
 * is followed, to a file or a directory (every entry is opened relative to
 * its directory with O_NOFOLLOW). Entries are read in name order, so the
 * facts, and the first place each knob is read, are the same on every build.
 */
#include "build/app_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/code_reads.h"
#include "build/version_rb.h"
#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define SOURCE_FILE_MAX (1024 * 1024) /* larger files are data, not code */
#define SCAN_FILES_MAX 50000          /* bound the build's time on huge trees */
#define SCAN_DEPTH_MAX 16

static void detect_mastodon(const char *app_dir, struct app_facts *f)
{
    const char *why;
    char *path = resolve_inside_app(app_dir, "lib/mastodon/version.rb", &why);
    char *src;
    size_t len;
    if (path && read_file(path, SOURCE_FILE_MAX, &src, &len) == 0) {
        if (memmem(src, len, "module Mastodon", 15)) {
            f->mastodon = true;
            char version[MASTODON_VERSION_MAX + 1];
            if (mastodon_version_parse(src, len, version))
                app_facts_set_version(f, version, strlen(version));
        }
        free(src);
    }
    free(path);
    if (f->mastodon)
        return;
    /* Mastodon before 1.2.2 had no version.rb; its Rails application is
     * module Mastodon all the same. */
    path = resolve_inside_app(app_dir, "config/application.rb", &why);
    if (path && read_file(path, SOURCE_FILE_MAX, &src, &len) == 0) {
        for (const char *p = src; (p = memmem(p, len - (size_t)(p - src), "module Mastodon", 15)) != NULL; p++) {
            if ((p == src || p[-1] == '\n') && (p[15] == '\n' || p[15] == '\r' || p[15] == ' ' || p[15] == '\0')) {
                f->mastodon = true;
                break;
            }
        }
        free(src);
    }
    free(path);
}

enum code_kind { CODE_NONE, CODE_RUBY, CODE_ERB, CODE_YAML, CODE_JS };

static enum code_kind code_kind(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return CODE_NONE;
    static const struct {
        const char *ext;
        enum code_kind kind;
    } kinds[] = {{".rb", CODE_RUBY},  {".rake", CODE_RUBY}, {".ru", CODE_RUBY},  {".erb", CODE_ERB},
                 {".yml", CODE_YAML}, {".yaml", CODE_YAML}, {".js", CODE_JS},    {".mjs", CODE_JS},
                 {".cjs", CODE_JS},   {".ts", CODE_JS},     {".mts", CODE_JS},   {".cts", CODE_JS}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        if (!strcmp(dot, kinds[k].ext))
            return kinds[k].kind;
    return CODE_NONE;
}

/* Directories that hold no code the server runs. app/javascript is the
 * browser's code, bundled at build: what it reads from process.env is the
 * bundler's, not the dyno's. */
static bool skip_dir(const char *rel, const char *name)
{
    return name[0] == '.' || !strcmp(name, "node_modules") || !strcmp(name, "vendor") || !strcmp(name, "tmp") ||
           !strcmp(name, "log") || !strcmp(name, "public") || !strcmp(rel, "app/javascript");
}

struct scan {
    struct app_facts *facts;
    int budget;
    const char *file; /* the file being read, relative to the app */
};

static void found(void *ctx, const char *name, size_t len, int line)
{
    struct scan *sc = ctx;
    char where[APP_FACTS_WHERE_MAX + 16];
    snprintf(where, sizeof where, "%s:%d", sc->file, line);
    app_facts_record_read(sc->facts, name, len, where);
}

/* The whole of a regular file open on fd, if at most max bytes. */
static int read_fd(int fd, size_t max, char **out, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max)
        return -1;
    char *buf = xrealloc(NULL, (size_t)st.st_size + 1);
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static void scan_file(struct scan *sc, int dirfd, const char *name, const char *rel, enum code_kind kind)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    char *src;
    size_t len;
    if (read_fd(fd, SOURCE_FILE_MAX, &src, &len) == 0) {
        sc->file = rel;
        switch (kind) {
        case CODE_RUBY:
            ruby_env_reads(src, len, found, sc);
            break;
        case CODE_ERB:
        case CODE_YAML:
            if (memmem(src, len, "<%", 2))
                erb_env_reads(src, len, kind == CODE_YAML, found, sc);
            break;
        case CODE_JS:
            if (memmem(src, len, "env", 3))
                js_env_reads(src, len, found, sc);
            break;
        case CODE_NONE:
            break;
        }
        free(src);
    }
    close(fd);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The directory open on dirfd (closed here), which is rel in the app. */
static void scan_dir(struct scan *sc, int dirfd, const char *rel, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        names = xgrow(names, n, &cap, sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    if (n > 1)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        struct stat st;
        if (sc->budget > 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            strbuf path = STRBUF_INIT;
            sb_printf(&path, "%s/%s", rel, name);
            if (S_ISDIR(st.st_mode) && depth < SCAN_DEPTH_MAX && !skip_dir(path.data, name)) {
                int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                    scan_dir(sc, sub, path.data, depth + 1);
            } else if (S_ISREG(st.st_mode) && code_kind(name) != CODE_NONE) {
                sc->budget--;
                scan_file(sc, dirfd, name, path.data, code_kind(name));
            }
            sb_free(&path);
        }
        free(names[i]);
    }
    free(names);
    closedir(d);
}

void app_facts_detect(const char *app_dir, struct app_facts *f)
{
    app_facts_init(f);
    detect_mastodon(app_dir, f);
    static const char *const roots[] = {"app", "config", "lib", "streaming"};
    struct scan sc = {f, SCAN_FILES_MAX, ""};
    for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
        /* A root that is a symlink leading out of the app is not read. */
        const char *why;
        char *path = resolve_inside_app(app_dir, roots[i], &why);
        if (!path)
            continue;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        free(path);
        if (fd >= 0)
            scan_dir(&sc, fd, roots[i], 0);
    }
}
