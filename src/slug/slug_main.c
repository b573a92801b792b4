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

#define DEFAULT_OUTPUT "slug.tgz"
#define LEVEL 6     /* gzip's default: the size Heroku's own tar | gzip gives */
#define MAX_JOBS 64

static void usage(FILE *to)
{
    fputs("usage: solodyno-slug [-o FILE] [--json] [-j N] [--max SIZE] [--stack NAME] APP_DIR\n"
          "\n"
          "Packs the built app in APP_DIR into a Heroku slug (gzip'd tar, everything under\n"
          "./app/, .git left out) and reports its size, checksum and largest directories.\n"
          "\n"
          "  -o, --output FILE  where to write the slug (default: " DEFAULT_OUTPUT "; not inside APP_DIR)\n"
          "  --json             print the body of the Platform API's POST /apps/{app}/slugs\n"
          "                     on stdout (the report then goes to stderr)\n"
          "  -j, --jobs N       compress on N threads (default 1; the bytes are the same)\n"
          "  --max SIZE         refuse a slug larger than SIZE compressed (default 1G;\n"
          "                     K, M, G are powers of 1024; older accounts: 500M)\n"
          "  --stack NAME       the stack for --json (default: $STACK, else left out)\n"
          "\n"
          "SOURCE_DATE_EPOCH, when set, caps every file's modification time.\n",
          to);
}

static void fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "solodyno-slug: error: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
}

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

/* ---- options -------------------------------------------------------------------- */

/* "1G", "500M", "500MB", "1048576": bytes; K/M/G are powers of 1024. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    uint64_t mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024ULL; end++; break;
    case 'm': case 'M': mult = 1024ULL * 1024; end++; break;
    case 'g': case 'G': mult = 1024ULL * 1024 * 1024; end++; break;
    default: break;
    }
    if (mult > 1 && (*end == 'B' || *end == 'b'))
        end++;
    if (*end || v == 0 || v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
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

struct options {
    const char *output;
    const char *app;
    const char *stack;
    bool json;
    int jobs;
    uint64_t max;
};

static int parse_args(int argc, char **argv, struct options *o)
{
    o->output = DEFAULT_OUTPUT;
    o->app = NULL;
    o->stack = getenv("STACK");
    o->json = false;
    o->jobs = 1;
    o->max = SLUG_MAX_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        bool takes = !strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "-j") ||
                     !strcmp(a, "--jobs") || !strcmp(a, "--max") || !strcmp(a, "--stack");
        if (takes) {
            if (i + 1 >= argc) {
                fail("%s needs a value", a);
                return 2;
            }
            val = argv[++i];
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            o->output = val;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || end == val || n < 1 || n > MAX_JOBS) {
                fail("-j takes a number of threads from 1 to 64, not '%s'", val);
                return 2;
            }
            o->jobs = (int)n;
        } else if (!strcmp(a, "--max")) {
            if (parse_size(val, &o->max) < 0) {
                fail("--max takes a size such as 500M or 1G, not '%s'", val);
                return 2;
            }
        } else if (!strcmp(a, "--stack")) {
            o->stack = val;
        } else if (a[0] == '-' && a[1]) {
            fail("unknown option '%s' (see --help)", a);
            return 2;
        } else if (!o->app) {
            o->app = a;
        } else {
            fail("one APP_DIR only; '%s' is one too many", a);
            return 2;
        }
    }
    if (!o->app) {
        usage(stderr);
        return 2;
    }
    if (!*o->output) {
        fail("%s", "-o needs a file name");
        return 2;
    }
    return -1; /* go on */
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
        fprintf(stderr, "solodyno-slug: error: the directory of %s: %s\n", output, strerror(errno));
        return NULL;
    }
    if (is_below(app_real, dir_real)) {
        fprintf(stderr,
                "solodyno-slug: error: %s is inside the app directory %s: the slug would contain "
                "itself. Write it elsewhere (-o).\n",
                output, app_real);
        free(dir_real);
        return NULL;
    }
    struct stat st;
    if (stat(output, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "solodyno-slug: error: %s is a directory; -o takes a file name\n", output);
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
        fprintf(stderr, " !     %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

#include <locale.h>
int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    struct options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;

    time_t clamp;
    if (source_date_epoch(&clamp) < 0) {
        fail("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not '%s'",
             getenv("SOURCE_DATE_EPOCH"));
        return 1;
    }
    struct stat st;
    if (stat(o.app, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fail("%s is not a directory (APP_DIR is the built app)", o.app);
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
        fail("%s", err.data);
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
            fprintf(stderr, "solodyno-slug: error: --json: %s\n", err.data);
            slug_tree_free(&tree);
            sb_free(&err);
            free(app_real);
            free(out_dir);
            return 1;
        }
    }

    /* The temporary file: same directory as the output, so the rename is atomic. */
    char *base_copy = xstrdup(o.output);
    strbuf tmp = STRBUF_INIT;
    sb_printf(&tmp, "%s/.%s.solodyno-tmp.XXXXXX", out_dir, basename(base_copy));
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
    int fd = mkostemp(tmp.data, O_CLOEXEC);
    if (fd >= 0)
        tmp_live = 1;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        fprintf(stderr, "solodyno-slug: error: cannot create a file in %s: %s\n", out_dir,
                strerror(errno));
        rc = 1;
        goto done;
    }

    struct progress prog = {&tree, {0, 0}, false};
    strbuf pack_warnings = STRBUF_INIT;
    bool tty = isatty(STDERR_FILENO);
    struct gz_writer *gz = gz_open(fd, o.output, o.jobs, LEVEL, o.max, &err);
    rc = 1;
    if (!gz) {
        fprintf(stderr, "solodyno-slug: error: writing %s: %s\n", o.output, err.data);
    } else if (slug_pack(o.app, &tree, gz, tty ? show_progress : NULL, &prog, &pack_warnings, &err) < 0 ||
               gz_finish(gz, &err) < 0) {
        end_progress(&prog);
        if (gz_over_limit(gz)) {
            char lim[32];
            slug_format_size(o.max, lim, sizeof lim);
            fprintf(stderr,
                    "solodyno-slug: error: the compressed slug is larger than %s (--max), "
                    "Heroku's limit for this app; nothing written to %s.\n"
                    "Heroku's limit is 1 GB (500 MB for older accounts). What takes the room:\n",
                    lim, o.output);
            slug_report_largest(stderr, &tree);
        } else {
            if (strstr(err.data, o.output))
                fprintf(stderr, "solodyno-slug: error: %s\n", err.data);
            else
                fprintf(stderr, "solodyno-slug: error: %s; nothing written to %s\n", err.data, o.output);
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
            fprintf(stderr, "solodyno-slug: error: writing %s: %s\n", o.output, strerror(errno));
            rc = 1;
        } else {
            fd = -1;
            if (rename(tmp.data, o.output) < 0) {
                fprintf(stderr, "solodyno-slug: error: renaming the slug to %s: %s\n", o.output,
                        strerror(errno));
                rc = 1;
            } else {
                tmp_live = 0;
            }
        }
    }
    gz_free(gz);
    if (fd >= 0)
        close(fd);

    if (rc == 0) {
        strbuf json = STRBUF_INIT, warnings = STRBUF_INIT;
        err.len = 0;
        if (o.json && slug_json(&json, o.app, o.stack, &res, &warnings, &err) < 0) {
            fprintf(stderr, "solodyno-slug: error: --json: %s\n", err.data);
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
