/* Helpers for libFuzzer targets that feed a reader through real files: a
 * scratch directory of the process's own, files written plainly (no fsync:
 * this runs thousands of times a second), emptied between inputs, and the
 * input cut into NUL-separated fields. */
#ifndef SOLODYNO_FUZZ_FILES_H
#define SOLODYNO_FUZZ_FILES_H

#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_dir[96];

/* A scratch directory, in memory where /dev/shm exists. */
static inline void fuzz_dir_init(const char *name)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/solodyno-%s.XXXXXX", base, name);
    if (!mkdtemp(fuzz_dir))
        abort();
}

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level > 0)
        remove(path); /* never follows a symlink: nftw's FTW_PHYS */
    return 0;
}

/* Empties the scratch directory (symlinks removed, never followed). */
static inline void fuzz_dir_clear(void)
{
    nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* fuzz_dir/rel with its parent directories (rel holds no ".." and no symlink:
 * the caller's own names). */
static inline void fuzz_put(const char *rel, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, rel);
    for (char *s = path + strlen(fuzz_dir) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd < 0)
        abort();
    if (len && write(fd, data, len) != (ssize_t)len)
        abort();
    close(fd);
}

/* The next NUL-separated field of the input (*pos moves past it). */
static inline const uint8_t *fuzz_field(const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
    const uint8_t *start = data + (*pos < size ? *pos : size);
    size_t left = *pos < size ? size - *pos : 0;
    const uint8_t *nul = memchr(start, 0, left);
    *len = nul ? (size_t)(nul - start) : left;
    *pos += *len + 1;
    return start;
}

#endif
