/* The slug's temporary file next to -o: ".BASE.solodyno-tmp.XXXXXX", locked
 * (flock) for as long as the run that made it lives. A run that was killed
 * (SIGKILL, the OOM killer, a power cut) leaves its file behind, unlocked: the
 * next run for the same output removes it. Nothing else is ever removed: the
 * name must be exactly ours, the file a regular file of ours with one link,
 * and its content the start of a gzip stream (or nothing yet), and its lock
 * free. A file system without flock keeps every such file (it cannot tell a
 * live one). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slug/slug.h"

#define TMP_MARK ".solodyno-tmp."
#define TMP_RANDOM 6 /* mkstemp's XXXXXX */

void slug_tmp_template(strbuf *out, const char *out_dir, const char *base)
{
    sb_printf(out, "%s/.%s" TMP_MARK "XXXXXX", out_dir, base);
}

/* True if name is ".BASE.solodyno-tmp." and six of mkstemp's letters or digits. */
static bool our_name(const char *name, const char *base)
{
    size_t bn = strlen(base), mn = strlen(TMP_MARK);
    if (name[0] != '.' || strncmp(name + 1, base, bn) != 0 || strncmp(name + 1 + bn, TMP_MARK, mn) != 0)
        return false;
    const char *r = name + 1 + bn + mn;
    if (strlen(r) != TMP_RANDOM)
        return false;
    for (; *r; r++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z') || (*r >= '0' && *r <= '9')))
            return false;
    return true;
}

/* True if the open file fd looks like one of our temporary slugs. */
static bool our_file(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1)
        return false;
    if (st.st_size == 0)
        return true; /* killed before its first block was written */
    unsigned char magic[2];
    return pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

size_t slug_tmp_remove_stale(const char *out_dir, const char *base, strbuf *removed)
{
    DIR *d = opendir(out_dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!our_name(de->d_name, base))
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            continue;
        /* The lock is free only when the run that made it is gone. */
        if (our_file(fd) && flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0) {
            sb_printf(removed, "%s/%s\n", out_dir, de->d_name);
            n++;
        }
        close(fd);
    }
    closedir(d);
    return n;
}

int slug_tmp_create(char *path, int *lock_fd)
{
    size_t len = strlen(path);
    *lock_fd = -1;
    for (int attempt = 0; attempt < 8; attempt++) {
        memcpy(path + len - TMP_RANDOM, "XXXXXX", TMP_RANDOM);
        int fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0)
            return -1;
        /* A second descriptor holds the lock, so that closing the first (to
         * see its write errors) before the rename does not let it go. */
        int lk = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (lk < 0) {
            int saved = errno;
            unlink(path);
            close(fd);
            errno = saved;
            return -1;
        }
        if (flock(lk, LOCK_EX | LOCK_NB) < 0) {
            if (errno == EWOULDBLOCK) {
                /* Another run, removing stale files, holds it for a moment:
                 * it is about to remove this one. Take another name. */
                close(lk);
                close(fd);
                continue;
            }
            close(lk); /* no flock here: go on unlocked */
            return fd;
        }
        /* Locked; but a run removing stale files may have removed the name
         * between mkostemp and flock: then take another. */
        struct stat by_name, by_fd;
        if (stat(path, &by_name) == 0 && fstat(fd, &by_fd) == 0 && by_name.st_dev == by_fd.st_dev &&
            by_name.st_ino == by_fd.st_ino) {
            *lock_fd = lk;
            return fd;
        }
        close(lk);
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}
