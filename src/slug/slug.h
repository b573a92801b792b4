/* solodyno-slug: packs a built app into a Heroku slug (a gzip'd tar with the
 * app under ./app/). Shared between its parts:
 *
 *   slug_main.c    the output file (temporary, renamed at the end), the run
 *   slug_options.c the command line
 *   slug_tmp.c     the temporary file: locked while its run lives, removed when stale
 *   slug_pack.c    walking the tree, writing the tar with libarchive
 *   slug_gzip.c    gzip with zlib, on one or more threads, as one standard stream
 *   slug_report.c  what the user reads: sizes, checksum, largest directories
 *
 * Only this program links libarchive and zlib; src/sha256.c and the rest of
 * the libc-only library are shared with solodyno.
 */
#ifndef SOLODYNO_SLUG_H
#define SOLODYNO_SLUG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "slug/sha256.h"
#include "common/strbuf.h"

/* ---- the command line (slug_options.c) ------------------------------------------ */

struct slug_options {
    const char *output; /* -o: the slug file */
    const char *app;    /* APP_DIR */
    const char *stack;  /* --stack, else $STACK; NULL when unknown */
    bool json;          /* --json */
    int jobs;           /* -j: 1 to 64 */
    uint64_t max;       /* --max: bytes */
};

/* Parses argv into o. Returns -1 to go on, or the exit status to end with
 * (0 after --help, 2 after a usage error, told on stderr). */
int slug_parse_args(int argc, char **argv, struct slug_options *o);

/* "1G", "500M", "500MB", "1048576": bytes (K/M/G are powers of 1024). Digits
 * first: no sign, no blank. Returns 0, or -1 for anything else (or zero). */
int slug_parse_size(const char *s, uint64_t *out);

/* "solodyno-slug: error: ..." on stderr; control characters in the
 * arguments (a file name holding a line break) are escaped. */
void slug_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* " !     ..." on stderr, escaped the same way. */
void slug_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* ---- the temporary output (slug_tmp.c) ------------------------------------------ */

/* "OUT_DIR/.BASE.solodyno-tmp.XXXXXX" into out. */
void slug_tmp_template(strbuf *out, const char *out_dir, const char *base);

/* Creates the temporary file named by the template path (filled in), locked
 * for as long as *lock_fd stays open (-1 where the file system has no
 * flock). Returns its descriptor, or -1 with errno. */
int slug_tmp_create(char *path, int *lock_fd);

/* Removes the temporary files of output BASE in out_dir that runs which were
 * killed left behind (never one whose run still lives, never a file that is
 * not one of ours). Appends each path removed, one a line, to removed;
 * returns how many. */
size_t slug_tmp_remove_stale(const char *out_dir, const char *base, strbuf *removed);

/* ---- the tree (slug_pack.c) ---------------------------------------------------- */

struct slug_entry {
    char *path;        /* relative to the app ("" for the app directory itself) */
    char *link;        /* symlink target, as stored in the link */
    mode_t mode;       /* type and permission bits */
    uint64_t size;     /* regular files: bytes */
    time_t mtime;      /* already clamped to SOURCE_DATE_EPOCH */
    long parent;       /* index of the directory holding it; -1 for the root */
    uint64_t total;    /* directories: bytes of every file below (filled by the report) */
};

struct slug_tree {
    struct slug_entry *e; /* in archive order: sorted by name, depth first */
    size_t n, cap;
    size_t files, dirs, symlinks;
    uint64_t bytes;       /* sum of the regular files' sizes */
    strbuf warnings;      /* one line each: what was left out and why */
};

/* Lists the tree under app_dir (no symlink followed; the top-level .git left
 * out; sockets, FIFOs and devices left out with a warning). clamp >= 0: mtimes
 * later than it are set to it (SOURCE_DATE_EPOCH). A dangling symlink is an
 * error. Returns 0, or -1 with the reason in err. */
int slug_walk(const char *app_dir, time_t clamp, struct slug_tree *tree, strbuf *err);
void slug_tree_free(struct slug_tree *tree);

struct gz_writer;

/* Called now and then while packing (for the progress line). */
typedef void (*slug_progress_fn)(void *ctx, size_t entries_done, uint64_t bytes_done);

/* Writes the tar of the tree into gz. Every file is read again and must still
 * be what the walk saw (same type; exactly as many bytes). Lines for the user
 * go to warnings. Returns 0, or -1 with the reason in err. */
int slug_pack(const char *app_dir, const struct slug_tree *tree, struct gz_writer *gz,
              slug_progress_fn progress, void *ctx, strbuf *warnings, strbuf *err);

/* ---- gzip (slug_gzip.c) ---------------------------------------------------------- */

/* A gzip stream written to fd. The input is cut into fixed blocks, each
 * deflated on one of `threads` worker threads with the 32 KiB before it as
 * dictionary (the way pigz does it), so the output is one standard gzip
 * member, and the same input gives the same bytes whatever the thread count.
 * The header has no name and no timestamp. The compressed bytes are hashed
 * (SHA-256) as they are written. max_out > 0: writing stops with an error once
 * the output would be larger. label names the output in messages. */
struct gz_writer *gz_open(int fd, const char *label, int threads, int level, uint64_t max_out,
                          strbuf *err);
/* Returns 0, or -1 with the reason in err (write error, limit exceeded). */
int gz_write(struct gz_writer *gz, const void *data, size_t len, strbuf *err);
/* Ends the stream. Returns 0 or -1 with err. */
int gz_finish(struct gz_writer *gz, strbuf *err);
/* Stops the threads and frees everything (after gz_finish, or to abandon). */
void gz_free(struct gz_writer *gz);
uint64_t gz_bytes_in(const struct gz_writer *gz);
uint64_t gz_bytes_out(const struct gz_writer *gz);
/* Valid after a successful gz_finish. */
void gz_digest(const struct gz_writer *gz, unsigned char digest[SHA256_DIGEST_LEN]);
/* True when the last error was max_out being exceeded. */
bool gz_over_limit(const struct gz_writer *gz);

/* ---- report (slug_report.c) -------------------------------------------------------- */

#define SLUG_WARN_BYTES (300ULL * 1024 * 1024)   /* Heroku's soft limit */
#define SLUG_MAX_DEFAULT (1024ULL * 1024 * 1024) /* Heroku's hard limit (500 MB for older accounts) */
#define SLUG_LARGEST_DIRS 10

struct slug_result {
    const char *app_dir;
    const char *output;
    uint64_t compressed;
    uint64_t max;
    char checksum[8 + SHA256_HEX_LEN]; /* "SHA256:" + hex + NUL */
};

/* Fills every directory's total (bytes below it). */
void slug_tree_totals(struct slug_tree *tree);

/* The human report: entries, sizes, checksum, largest directories, limits (the
 * warning above SLUG_WARN_BYTES goes to warn_to). Totals must be filled. */
void slug_report(FILE *to, FILE *warn_to, const struct slug_tree *tree, const struct slug_result *res);
/* Only the largest directories. */
void slug_report_largest(FILE *to, const struct slug_tree *tree);

/* "12.3 MB" (powers of 1024, as Heroku's build log counts). */
void slug_format_size(uint64_t bytes, char *buf, size_t len);

/* Appends the body of POST /apps/{app}/slugs. Returns 0, or -1 with err (an
 * unreadable Procfile, text that is not UTF-8). */
int slug_json(strbuf *out, const char *app_dir, const char *stack, const struct slug_result *res,
              strbuf *warnings, strbuf *err);

#endif
