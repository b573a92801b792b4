#include "dyno/proc_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static enum proc_read open_failure(void)
{
    /* ESRCH: /proc/PID of a process that just ended */
    return errno == ENOENT || errno == ENOTDIR || errno == ESRCH ? PROC_READ_GONE
                                                                 : PROC_READ_FAILED;
}

static ssize_t read_some(int fd, char *buf, size_t n)
{
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

enum proc_read proc_read_lines(const char *path, bool (*line)(void *ctx, const char *s, size_t n),
                               void *ctx)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return open_failure();
    /* One page: the kernel fills /proc reads a page at a time anyway. */
    char buf[4096];
    size_t have = 0;        /* bytes in buf not yet handed out */
    bool skipping = false;  /* inside the tail of an over-long line */
    enum proc_read rc = PROC_READ_OK;
    for (;;) {
        ssize_t r = read_some(fd, buf + have, sizeof buf - have);
        if (r < 0) {
            rc = errno == ESRCH ? PROC_READ_GONE : PROC_READ_FAILED;
            break;
        }
        if (r == 0) {
            if (have && !skipping)
                line(ctx, buf, have);
            break;
        }
        have += (size_t)r;
        size_t start = 0;
        bool stop = false;
        for (;;) {
            char *nl = memchr(buf + start, '\n', have - start);
            if (!nl)
                break;
            size_t end = (size_t)(nl - buf);
            if (!skipping && !line(ctx, buf + start, end - start)) {
                stop = true;
                break;
            }
            skipping = false;
            start = end + 1;
        }
        if (stop)
            break;
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have > PROC_LINE_MAX) {
            /* An over-long line: hand out its start, skip to its end. */
            if (!skipping && !line(ctx, buf, PROC_LINE_MAX))
                break;
            skipping = true;
            have = 0;
        }
    }
    close(fd);
    return rc;
}

enum proc_read proc_read_small(const char *path, char *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return open_failure();
    size_t n = 0;
    enum proc_read rc = PROC_READ_OK;
    while (n < cap) {
        ssize_t r = read_some(fd, buf + n, cap - n);
        if (r < 0) {
            rc = errno == ESRCH ? PROC_READ_GONE : PROC_READ_FAILED;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return rc;
}
