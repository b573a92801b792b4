/* What solodyno-slug tells the user: how big the slug is and why, its checksum,
 * Heroku's limits; and the JSON body for creating the slug through the
 * Platform API. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/procfile.h"
#include "common/quote.h"
#include "slug/slug.h"
#include "common/stamp.h"
#include "common/xalloc.h"


void slug_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB"};
    if (bytes < 1024) {
        snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
        return;
    }
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* 1234567 -> "1,234,567" */
static void format_count(size_t n, char *buf, size_t len)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%zu", n);
    size_t o = 0;
    for (int i = 0; i < nd && o + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

void slug_tree_totals(struct slug_tree *tree)
{
    for (size_t i = 0; i < tree->n; i++)
        tree->e[i].total = S_ISREG(tree->e[i].mode) ? tree->e[i].size : 0;
    /* Children come after their directory (depth-first order): going backwards,
     * a directory's total is complete before it is added to its parent's. */
    for (size_t i = tree->n; i-- > 1;)
        if (tree->e[i].parent >= 0)
            tree->e[tree->e[i].parent].total += tree->e[i].total;
}

struct ranked {
    const struct slug_entry *e;
};

static int by_size_then_name(const void *a, const void *b)
{
    const struct slug_entry *x = ((const struct ranked *)a)->e, *y = ((const struct ranked *)b)->e;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* The directories worth naming, largest first. A directory whose largest
 * subdirectory holds 90% or more of its bytes is passed over in favour of
 * that subdirectory: "vendor", "vendor/bundle", "vendor/bundle/ruby" and
 * "vendor/bundle/ruby/3.3.0" would otherwise fill the list with one number,
 * when "vendor/bundle/ruby/3.3.0/gems" is the useful answer. */
static size_t largest_dirs(const struct slug_tree *tree, struct ranked *out, size_t max)
{
    uint64_t *biggest_child = calloc(tree->n ? tree->n : 1, sizeof *biggest_child);
    struct ranked *all = malloc((tree->n ? tree->n : 1) * sizeof *all);
    if (!biggest_child || !all) {
        free(biggest_child);
        free(all);
        return 0;
    }
    for (size_t i = 1; i < tree->n; i++) {
        const struct slug_entry *e = &tree->e[i];
        if (S_ISDIR(e->mode) && e->parent >= 0 && e->total > biggest_child[e->parent])
            biggest_child[e->parent] = e->total;
    }
    size_t n = 0;
    for (size_t i = 1; i < tree->n; i++) {
        const struct slug_entry *e = &tree->e[i];
        if (!S_ISDIR(e->mode) || e->total == 0)
            continue;
        if (biggest_child[i] >= e->total - e->total / 10)
            continue;
        all[n++].e = e;
    }
    qsort(all, n, sizeof *all, by_size_then_name);
    size_t k = n < max ? n : max;
    memcpy(out, all, k * sizeof *out);
    free(all);
    free(biggest_child);
    return k;
}

/* A path for the report: control characters as \xNN (one line per path). */
static void print_path(FILE *to, const char *p)
{
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            fprintf(to, "\\x%02x", c);
        else
            fputc(c, to);
    }
}

void slug_report_largest(FILE *to, const struct slug_tree *tree)
{
    struct ranked top[SLUG_LARGEST_DIRS];
    size_t k = largest_dirs(tree, top, SLUG_LARGEST_DIRS);
    if (k == 0)
        return;
    fprintf(to, "       Largest directories (uncompressed bytes below them, share of the app):\n");
    for (size_t i = 0; i < k; i++) {
        char a[32];
        slug_format_size(top[i].e->total, a, sizeof a);
        fprintf(to, "       %11s %5.1f%%  ", a,
                tree->bytes ? 100.0 * (double)top[i].e->total / (double)tree->bytes : 0.0);
        print_path(to, top[i].e->path);
        fputs("/\n", to);
    }
}

void slug_report(FILE *to, FILE *warn_to, const struct slug_tree *tree, const struct slug_result *res)
{
    char a[32], b[32], c[32], d[32];
    fprintf(to, "-----> Slug written to %s\n", res->output);
    format_count(tree->n, a, sizeof a);
    format_count(tree->files, b, sizeof b);
    format_count(tree->dirs, c, sizeof c);
    format_count(tree->symlinks, d, sizeof d);
    fprintf(to, "       Entries: %s (%s files, %s directories, %s symlinks)\n", a, b, c, d);
    slug_format_size(tree->bytes, a, sizeof a);
    slug_format_size(res->compressed, b, sizeof b);
    fprintf(to, "       Size: %s uncompressed, %s compressed", a, b);
    if (tree->bytes > 0)
        fprintf(to, " (%.0f%%)", 100.0 * (double)res->compressed / (double)tree->bytes);
    fprintf(to, "\n       Checksum: %s\n", res->checksum);

    slug_report_largest(to, tree);
    slug_format_size(SLUG_WARN_BYTES, a, sizeof a);
    slug_format_size(res->max, b, sizeof b);
    fprintf(to, "       Heroku's limits: a warning above %s compressed; at most %s (--max)\n", a, b);
    if (res->compressed > SLUG_WARN_BYTES) {
        slug_format_size(res->compressed, c, sizeof c);
        fprintf(warn_to,
                " !     This slug is %s compressed, over the %s at which Heroku warns: dynos boot\n"
                " !     and scale more slowly. The largest directories above are where to look.\n",
                c, a);
    }
}

/* ---- the Platform API body ------------------------------------------------------- */

/* Appends s as a JSON string. Returns false (and appends nothing) when s is not
 * UTF-8, which JSON cannot hold. */
static bool sb_json_string(strbuf *sb, const char *s)
{
    size_t n = strlen(s);
    if (!utf8_valid(s, n))
        return false;
    sb_append_char(sb, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            sb_append_char(sb, '\\');
            sb_append_char(sb, (char)c);
        } else if (c == '\n') {
            sb_append(sb, "\\n");
        } else if (c == '\t') {
            sb_append(sb, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            sb_printf(sb, "\\u%04x", c);
        } else {
            sb_append_char(sb, (char)c);
        }
    }
    sb_append_char(sb, '"');
    return true;
}

/* The commit recorded by the build (`solodyno stamp`), or NULL when it is
 * unknown, missing or not a valid stamp (with a warning for the last two). */
static char *read_commit(const char *app_dir, strbuf *warnings)
{
    char value[STAMP_VALUE_MAX + 1];
    int st = stamp_read(app_dir, value);
    if (st == 1)
        return xstrdup(value);
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s/%s", app_dir, STAMP_FILE);
    if (st < 0)
        sb_printf(warnings, "%s: not a valid stamp; \"commit\" left out\n", STAMP_FILE);
    else if (!path_exists(path.data))
        sb_printf(warnings, "%s: not found (was the app built with this buildpack?); \"commit\" left out\n",
                  STAMP_FILE);
    sb_free(&path);
    return NULL;
}

int slug_json(strbuf *out, const char *app_dir, const char *stack, const struct slug_result *res,
              strbuf *warnings, strbuf *err)
{
    const char *why = NULL;
    char *procfile = resolve_inside_app(app_dir, "Procfile", &why);
    if (!procfile) {
        sb_printf(err, "Procfile: not read: %s", why);
        return -1;
    }
    struct procfile pf;
    strbuf diag = STRBUF_INIT;
    int loaded = procfile_load(procfile, "Procfile", PROCFILE_APP, &pf, &diag);
    free(procfile);
    if (loaded < 0) {
        sb_printf(err, "%s", diag.data ? diag.data : "Procfile: cannot be read");
        if (err->len && err->data[err->len - 1] == '\n')
            err->data[--err->len] = '\0';
        sb_free(&diag);
        return -1;
    }
    if (diag.len)
        sb_append(warnings, diag.data);
    sb_free(&diag);
    if (loaded == 1)
        sb_append(warnings, "Procfile: none in the app: process_types is empty, the slug runs nothing\n");

    int rc = 0;
    sb_append(out, "{\n  \"process_types\": {");
    size_t count = 0;
    for (size_t i = 0; i < pf.n; i++) {
        struct proc_line *l = &pf.lines[i];
        if (!procfile_counts(l))
            continue; /* the last entry of a name is the one that counts */
        sb_append(out, count++ ? ",\n    " : "\n    ");
        if (!sb_json_string(out, l->name)) {
            sb_printf(err, "Procfile, line %d: the process name is not UTF-8", l->lineno);
            rc = -1;
            break;
        }
        sb_append(out, ": ");
        if (!sb_json_string(out, l->command)) {
            sb_printf(err, "Procfile, line %d: the command of '%s' is not UTF-8 (JSON needs UTF-8)",
                      l->lineno, l->name);
            rc = -1;
            break;
        }
    }
    procfile_free(&pf);
    if (rc < 0)
        return -1;
    sb_append(out, count ? "\n  },\n" : "},\n");

    char *commit = read_commit(app_dir, warnings);
    if (commit) {
        sb_append(out, "  \"commit\": ");
        if (!sb_json_string(out, commit))
            sb_append(out, "null");
        sb_append(out, ",\n");
        free(commit);
    }
    if (stack && *stack) {
        sb_append(out, "  \"stack\": ");
        if (!sb_json_string(out, stack)) {
            sb_printf(err, "the stack name is not UTF-8");
            return -1;
        }
        sb_append(out, ",\n");
    }
    sb_printf(out, "  \"checksum\": \"%s\"\n}\n", res->checksum);
    return 0;
}
