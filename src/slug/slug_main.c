/* solodyno-slug: packs a built app into a Heroku slug and says what is in it.
 *
 *   solodyno-slug [-o FILE] [--json] [-j N] [--max SIZE] [--stack NAME] APP_DIR
 *
 * The slug is written to a temporary file next to FILE and renamed at the end,
 * so FILE is either the complete slug or untouched; on an error (or SIGINT,
 * SIGTERM, SIGHUP) the temporary file is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "slug/slug.h"
#include "common/xalloc.h"

#define LEVEL 6     /* gzip's default: the size Heroku's own tar | gzip gives */

/* ---- the temporary output, removed on errors and fatal signals ---------------- */

static char *tmp_path;               /* set while the temporary file exists */
static volatile sig_atomic_t tmp_live;

static void on_fatal_signal(int sig)
{
    if (tmp_live)
        unlink(tmp_path); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void remove_tmp(void)
{
    if (tmp_live) {
        tmp_live = 0;
        unlink(tmp_path);
    }
}

/* SOURCE_DATE_EPOCH: unset or empty means no clamp (-1); otherwise it must be
 * a plain number of seconds. */
static int source_date_epoch(time_t *clamp)
{
    const char *v = getenv("SOURCE_DATE_EPOCH");
    *clamp = -1;
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long long t = strtoll(v, &end, 10);
    if (errno || *end || t < 0 || v[0] == '-' || v[0] == '+' || v[0] == ' ')
        return -1;
    *clamp = (time_t)t;
    return 0;
}

/* True if path is root or below it (both canonical). */
static bool is_below(const char *root, const char *path)
{
    size_t n = strlen(root);
    if (strncmp(root, path, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && root[0] == '/');
}

/* The output's directory, canonical; refuses an output inside the app (the
 * slug would pack itself, or a half-written copy of itself). */
static char *check_output(const char *app_real, const char *output)
{
    char *copy = xstrdup(output);
    char *dir_real = realpath(dirname(copy), NULL);
    free(copy);
    if (!dir_real) {
        slug_fail("the directory of %s: %s", output, strerror(errno));
        return NULL;
    }
    if (is_below(app_real, dir_real)) {
        slug_fail("%s is inside the app directory %s: the slug would contain itself. Write it "
                  "elsewhere (-o).",
                  output, app_real);
        free(dir_real);
        return NULL;
    }
    struct stat st;
    if (stat(output, &st) == 0 && S_ISDIR(st.st_mode)) {
        slug_fail("%s is a directory; -o takes a file name", output);
        free(dir_real);
        return NULL;
    }
    return dir_real;
}

/* ---- progress (on a terminal only) --------------------------------------------- */

struct progress {
    const struct slug_tree *tree;
    struct timespec last;
    bool shown;
};

static void show_progress(void *ctx, size_t done, uint64_t bytes)
{
    struct progress *p = ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000;
    if (ms < 100 && done < p->tree->n)
        return;
    p->last = now;
    char a[32], b[32];
    slug_format_size(bytes, a, sizeof a);
    slug_format_size(p->tree->bytes, b, sizeof b);
    fprintf(stderr, "\r       Packing: %zu of %zu entries, %s of %s\033[K", done, p->tree->n, a, b);
    fflush(stderr);
    p->shown = true;
}

static void end_progress(struct progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->shown = false;
    }
}

/* Each line of a warnings buffer, Heroku style, on stderr. */
static void print_warnings(const strbuf *w)
{
    if (!w->len)
        return;
    const char *p = w->data;
    while (*p) {
        size_t n = strcspn(p, "\n");
        slug_warn("%.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

#include <locale.h>
int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    struct slug_options o;
    int rc = slug_parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;

    time_t clamp;
    if (source_date_epoch(&clamp) < 0) {
        slug_fail("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not '%s'",
                  getenv("SOURCE_DATE_EPOCH"));
        return 1;
    }
    struct stat st;
    if (stat(o.app, &st) < 0 || !S_ISDIR(st.st_mode)) {
        slug_fail("%s is not a directory (APP_DIR is the built app)", o.app);
        return 1;
    }
    char *app_real = realpath(o.app, NULL);
    char *out_dir = app_real ? check_output(app_real, o.output) : NULL;
    if (!out_dir) {
        free(app_real);
        return 1;
    }

    FILE *report = o.json ? stderr : stdout;
    strbuf err = STRBUF_INIT;
    struct slug_tree tree;
    if (slug_walk(o.app, clamp, &tree, &err) < 0) {
        slug_fail("%s", err.data);
        slug_tree_free(&tree);
        sb_free(&err);
        free(app_real);
        free(out_dir);
        return 1;
    }
    print_warnings(&tree.warnings);
    slug_tree_totals(&tree);
    if (o.json) {
        /* Check now what --json needs from the app, so that a bad Procfile
         * stops us before anything is written. */
        strbuf json = STRBUF_INIT, ignored = STRBUF_INIT;
        struct slug_result probe = {o.app, o.output, 0, o.max, "SHA256:"};
        int jr = slug_json(&json, o.app, o.stack, &probe, &ignored, &err);
        sb_free(&json);
        sb_free(&ignored);
        if (jr < 0) {
            slug_fail("--json: %s", err.data);
            slug_tree_free(&tree);
            sb_free(&err);
            free(app_real);
            free(out_dir);
            return 1;
        }
    }

    /* The temporary file: same directory as the output, so the rename is atomic.
     * What killed runs left there first goes. */
    char *base_copy = xstrdup(o.output);
    const char *base = basename(base_copy);
    strbuf tmp = STRBUF_INIT, stale = STRBUF_INIT;
    slug_tmp_template(&tmp, out_dir, base);
    if (slug_tmp_remove_stale(out_dir, base, &stale) > 0) {
        for (const char *p = stale.data; *p;) {
            size_t n = strcspn(p, "\n");
            slug_warn("removed %.*s, the temporary slug of an earlier run that was killed", (int)n, p);
            p += n + (p[n] == '\n');
        }
    }
    sb_free(&stale);
    free(base_copy);
    tmp_path = tmp.data;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* Over a file size limit (ulimit -f), write fails with EFBIG instead of the
     * process being killed with the temporary file left behind. */
    signal(SIGXFSZ, SIG_IGN);

    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old); /* tmp_live must be set before a signal sees it */
    int lock_fd;
    int fd = slug_tmp_create(tmp.data, &lock_fd);
    if (fd >= 0)
        tmp_live = 1;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        slug_fail("cannot create a file in %s: %s", out_dir, strerror(errno));
        rc = 1;
        goto done;
    }

    struct progress prog = {&tree, {0, 0}, false};
    strbuf pack_warnings = STRBUF_INIT;
    bool tty = isatty(STDERR_FILENO);
    struct gz_writer *gz = gz_open(fd, o.output, o.jobs, LEVEL, o.max, &err);
    rc = 1;
    if (!gz) {
        slug_fail("writing %s: %s", o.output, err.data);
    } else if (slug_pack(o.app, &tree, gz, tty ? show_progress : NULL, &prog, &pack_warnings, &err) < 0 ||
               gz_finish(gz, &err) < 0) {
        end_progress(&prog);
        if (gz_over_limit(gz)) {
            char lim[32];
            slug_format_size(o.max, lim, sizeof lim);
            slug_fail("the compressed slug is larger than %s (--max), Heroku's limit for this app; "
                      "nothing written to %s.\n"
                      "Heroku's limit is 1 GB (500 MB for older accounts). What takes the room:",
                      lim, o.output);
            slug_report_largest(stderr, &tree);
        } else {
            if (strstr(err.data, o.output))
                slug_fail("%s", err.data);
            else
                slug_fail("%s; nothing written to %s", err.data, o.output);
        }
    } else {
        rc = 0;
    }
    end_progress(&prog);
    print_warnings(&pack_warnings);
    sb_free(&pack_warnings);

    struct slug_result res = {o.app, o.output, 0, o.max, ""};
    if (rc == 0) {
        unsigned char digest[SHA256_DIGEST_LEN];
        char hex[SHA256_HEX_LEN + 1];
        gz_digest(gz, digest);
        sha256_hex(digest, hex);
        snprintf(res.checksum, sizeof res.checksum, "SHA256:%s", hex);
        res.compressed = gz_bytes_out(gz);
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) < 0 || close(fd) < 0) {
            fd = -1;
            slug_fail("writing %s: %s", o.output, strerror(errno));
            rc = 1;
        } else {
            fd = -1;
            if (rename(tmp.data, o.output) < 0) {
                slug_fail("renaming the slug to %s: %s", o.output, strerror(errno));
                rc = 1;
            } else {
                tmp_live = 0;
            }
        }
    }
    gz_free(gz);
    if (fd >= 0)
        close(fd);
    if (lock_fd >= 0)
        close(lock_fd); /* renamed by now, or about to be removed below */

    if (rc == 0) {
        strbuf json = STRBUF_INIT, warnings = STRBUF_INIT;
        err.len = 0;
        if (o.json && slug_json(&json, o.app, o.stack, &res, &warnings, &err) < 0) {
            slug_fail("--json: %s", err.data);
            rc = 1;
        }
        slug_report(report, stderr, &tree, &res);
        print_warnings(&warnings);
        if (rc == 0 && o.json) {
            fputs(json.data, stdout);
            if (fflush(stdout) != 0)
                rc = 1;
        }
        sb_free(&json);
        sb_free(&warnings);
    }
done:
    remove_tmp();
    tmp_path = NULL;
    sb_free(&tmp);
    sb_free(&err);
    slug_tree_free(&tree);
    free(app_real);
    free(out_dir);
    return rc;
}
