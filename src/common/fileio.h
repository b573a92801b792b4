/* Reading and writing the app's files safely.
 *
 * Everything the build writes goes through write_file_atomic (temporary file
 * in the same directory, then rename), so a failed build never leaves a
 * half-written Procfile or .profile. Paths taken from the app are resolved with
 * resolve_inside_app first, so a symlink leading out of the app directory is
 * refused instead of followed.
 */
#ifndef SOLODYNO_FILEIO_H
#define SOLODYNO_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Reads a whole regular file of at most max bytes into a malloc'd,
 * NUL-terminated buffer. Returns 0, or -1 with errno set: EISDIR for a
 * directory, EINVAL for another non-regular file (a FIFO would block), EFBIG
 * when larger than max, or whatever open/read said. */
int read_file(const char *path, size_t max, char **out, size_t *len);

/* What path is, for a message when read_file refused it with EINVAL or
 * EISDIR: "a named pipe (FIFO)", "a socket", "a character device", "a block
 * device", "a directory", ... (symlinks followed, as open follows them). */
const char *file_kind(const char *path);

/* Writes all n bytes, retrying short writes and EINTR. 0, or -1 with errno. */
int write_all(int fd, const void *data, size_t n);

/* Replaces path with data in one rename. mode < 0 keeps the mode of the file
 * being replaced (0644 when new). Returns 0, or -1 with errno set; on failure
 * the old file is untouched and no temporary file is left. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* Resolves rel (a path relative to app_dir, which need not exist yet) to a
 * malloc'd absolute path with every symlink followed, and checks that it is
 * still inside app_dir. Returns NULL with *why set to a static reason when it
 * leads out (or is a dangling symlink, or its directory cannot be resolved). */
char *resolve_inside_app(const char *app_dir, const char *rel, const char **why);

/* mkdir -p for a directory inside the app (checked with resolve_inside_app).
 * Returns 0 or -1 with *why set. */
int make_app_dir(const char *app_dir, const char *rel, const char **why);

/* 1 if path exists (any type, symlinks not followed), else 0. */
int path_exists(const char *path);

#endif
