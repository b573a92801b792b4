/* The build's look at the app's files (see app_scan.h). */
#include "build/app_scan.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/strbuf.h"

#define SOURCE_FILE_MAX (1024 * 1024) /* larger files are data, not code */
#define SCAN_FILES_MAX 50000          /* bound the build's time on huge trees */

static bool is_ident(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The integer after "def NAME" in version.rb (Mastodon writes each part as a
 * method returning a literal), or -1. */
static int version_part(const char *src, const char *name)
{
    strbuf needle = STRBUF_INIT;
    sb_printf(&needle, "def %s", name);
    const char *p = src;
    int value = -1;
    while ((p = strstr(p, needle.data)) != NULL) {
        p += needle.len;
        if (is_ident(*p))
            continue; /* "def major_version" is another method */
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ';')
            p++;
        if (*p >= '0' && *p <= '9') {
            long v = strtol(p, NULL, 10);
            value = v > 9999 ? -1 : (int)v;
        }
        break;
    }
    sb_free(&needle);
    return value;
}

static void detect_mastodon(const char *app_dir, struct app_facts *f)
{
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s/lib/mastodon/version.rb", app_dir);
    char *src;
    size_t len;
    if (read_file(path.data, SOURCE_FILE_MAX, &src, &len) == 0) {
        if (strstr(src, "module Mastodon")) {
            f->mastodon = true;
            f->version[0] = version_part(src, "major");
            f->version[1] = version_part(src, "minor");
            f->version[2] = version_part(src, "patch");
            if (f->version[0] < 0 || f->version[1] < 0)
                f->version[0] = f->version[1] = f->version[2] = -1;
            else if (f->version[2] < 0)
                f->version[2] = 0;
        }
        free(src);
    }
    sb_free(&path);
}

/* True if the code in src names the variable as a whole word, in a file that
 * reads the environment at all (ENV[...], ENV.fetch, process.env). */
static bool code_reads(const char *src, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = src; (p = strstr(p, name)) != NULL; p += n) {
        bool starts = p == src || !is_ident(p[-1]);
        bool ends = !is_ident(p[n]);
        if (starts && ends)
            return true;
    }
    return false;
}

static bool is_code_file(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    return !strcmp(dot, ".rb") || !strcmp(dot, ".js") || !strcmp(dot, ".mjs") ||
           !strcmp(dot, ".cjs") || !strcmp(dot, ".ts") || !strcmp(dot, ".erb");
}

static bool skip_dir(const char *name)
{
    return name[0] == '.' || !strcmp(name, "node_modules") || !strcmp(name, "vendor") ||
           !strcmp(name, "tmp") || !strcmp(name, "log") || !strcmp(name, "public");
}

static void scan_tree(const char *dir, struct app_facts *f, int *budget, int depth)
{
    if (depth > 12 || *budget <= 0)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && *budget > 0) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        strbuf path = STRBUF_INIT;
        sb_printf(&path, "%s/%s", dir, e->d_name);
        struct stat st;
        /* lstat: never follow a symlink out of the app (or into a loop). */
        if (lstat(path.data, &st) == 0) {
            if (S_ISDIR(st.st_mode) && !skip_dir(e->d_name)) {
                scan_tree(path.data, f, budget, depth + 1);
            } else if (S_ISREG(st.st_mode) && is_code_file(e->d_name)) {
                (*budget)--;
                char *src;
                size_t len;
                if (read_file(path.data, SOURCE_FILE_MAX, &src, &len) == 0) {
                    if (strstr(src, "ENV") || strstr(src, "process.env")) {
                        for (int i = 0; app_facts_tunables[i]; i++)
                            if (code_reads(src, app_facts_tunables[i]))
                                f->reads |= 1u << i;
                    }
                    free(src);
                }
            }
        }
        sb_free(&path);
    }
    closedir(d);
}

void app_facts_detect(const char *app_dir, struct app_facts *f)
{
    app_facts_init(f);
    detect_mastodon(app_dir, f);
    static const char *const roots[] = {"app", "config", "lib", "streaming"};
    int budget = SCAN_FILES_MAX;
    for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
        strbuf path = STRBUF_INIT;
        sb_printf(&path, "%s/%s", app_dir, roots[i]);
        scan_tree(path.data, f, &budget, 0);
        sb_free(&path);
    }
}
