/* solodyno run's output: splits what members write into lines and writes each
 * line whole with its member's prefix, so lines of different members never
 * mix. See run_output.h. */
#include "dyno/run_output.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"

/* Lines passed to one writev(): two iovecs each (prefix, line). */
#define LINES_PER_WRITE 256

/* Writes every byte of iov to fd, or marks fd broken and drops the rest. */
static void write_all_iov(struct output *out, int fd, struct iovec *iov, int cnt)
{
    while (cnt > 0 && !out->broken[fd]) {
        ssize_t w = writev(fd, iov, cnt);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) { /* someone made the shared stdout non-blocking */
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                poll(&p, 1, -1);
                continue;
            }
            /* Typically EPIPE: the log reader is gone. Keep supervising and
             * keep draining the members' pipes, so they never block. */
            out->broken[fd] = true;
            if (fd == 1)
                msg_note("writing to stdout failed (%s): members' output is dropped from now on",
                         strerror(errno));
            return;
        }
        /* Skip what was written; a short write resumes mid-iovec. */
        size_t done = (size_t)w;
        while (cnt > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++, cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
}

/* Where to split a line that is too long: at most max bytes, and not inside
 * a UTF-8 character when the bytes before the cut look like one. */
static size_t split_point(const char *s, size_t max)
{
    size_t cut = max;
    for (size_t back = 1; back <= 3 && back <= max; back++) {
        unsigned char c = (unsigned char)s[max - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        if (c >= 0xC0) {
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (back < need)
                cut = max - back; /* the character would be cut: keep it whole */
        }
        break;
    }
    return cut > 0 ? cut : max;
}

/* Writes data as prefixed lines, each in the same writev() as its prefix. A
 * line longer than max bytes is split into pieces of at most max; a piece
 * without a line end (a split, or the last bytes of a stream) gets one. */
static void write_lines(struct output *out, struct stream *s, const char *data, size_t len,
                        size_t max)
{
    struct iovec iov[2 * LINES_PER_WRITE + 1];
    int cnt = 0;
    const char *p = data, *end = data + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t content = (size_t)((nl ? nl : end) - p);
        size_t take = content > max ? split_point(p, max) : nl ? content + 1 : content;
        iov[cnt++] = (struct iovec){.iov_base = (void *)s->prefix, .iov_len = s->prefix_len};
        iov[cnt++] = (struct iovec){.iov_base = (void *)p, .iov_len = take};
        if (p[take - 1] != '\n')
            iov[cnt++] = (struct iovec){.iov_base = "\n", .iov_len = 1};
        p += take;
        if (cnt >= 2 * LINES_PER_WRITE) {
            write_all_iov(out, s->to, iov, cnt);
            cnt = 0;
        }
    }
    if (cnt)
        write_all_iov(out, s->to, iov, cnt);
}

static void keep_partial(struct stream *s, const char *data, size_t len)
{
    s->partial_len = 0;
    if (len == 0)
        return;
    if (len > s->partial_cap) {
        char *grown = realloc(s->partial, len);
        if (!grown) {
            msg_error("out of memory");
            exit(1);
        }
        s->partial = grown;
        s->partial_cap = len;
    }
    memcpy(s->partial, data, len);
    s->partial_len = len;
}

static void close_stream(struct stream *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    free(s->partial);
    s->partial = NULL;
    s->partial_len = s->partial_cap = 0;
}

/* The bytes in out->buf (s->partial_len held back, then n new ones): every
 * complete line goes now; the start of an unfinished line waits in s->partial
 * for the next read, unless it is already longer than a log line: then its
 * full-size pieces go now. */
static void pass_on(struct output *out, struct stream *s, size_t n)
{
    size_t max = LOG_LINE_MAX - s->prefix_len; /* content of one output line */
    char *buf = out->buf;
    size_t len = s->partial_len + n;
    const char *last_nl = memrchr(buf, '\n', len);
    size_t whole = last_nl ? (size_t)(last_nl - buf) + 1 : 0;
    while (len - whole > max)
        whole += split_point(buf + whole, max);
    write_lines(out, s, buf, whole, max);
    keep_partial(s, buf + whole, len - whole);
}

void stream_feed(struct output *out, struct stream *s, const char *chunk, size_t n)
{
    if (s->partial_len)
        memcpy(out->buf, s->partial, s->partial_len);
    memcpy(out->buf + s->partial_len, chunk, n);
    pass_on(out, s, n);
}

bool stream_pump(struct output *out, struct stream *s)
{
    if (s->partial_len)
        memcpy(out->buf, s->partial, s->partial_len);
    ssize_t n = read(s->fd, out->buf + s->partial_len, READ_SIZE - s->partial_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return false;
    if (n <= 0) { /* the end: every process holding the write end is gone */
        stream_finish(out, s);
        return false;
    }
    pass_on(out, s, (size_t)n);
    return true;
}

void stream_finish(struct output *out, struct stream *s)
{
    if (s->partial_len) /* (partial may be NULL: no arithmetic on it then) */
        write_lines(out, s, s->partial, s->partial_len, LOG_LINE_MAX - s->prefix_len);
    close_stream(s);
}

void output_write(struct output *out, int fd, const char *data, size_t n)
{
    struct iovec iov = {.iov_base = (void *)data, .iov_len = n};
    write_all_iov(out, fd, &iov, 1);
}
