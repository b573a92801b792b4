/* solodyno run's output: splits what a member writes into lines and queues
 * each line whole with the member's prefix. See run_output.h. */
#include "dyno/run_output.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

/* Prefixed lines go to our stdout: a member's stdout and stderr come through
 * one pipe, and on Heroku both streams reach the same log anyway. */
#define LINES_TO 1

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

/* Queues data as prefixed lines. A line longer than max bytes is split into
 * pieces of at most max; a piece without a line end (a split, or the last
 * bytes of a stream) gets one. Each line is copied once, into the queue, so
 * there is no per-line bookkeeping to overflow, whatever the input. */
static void queue_lines(struct output *out, const struct stream *s, const char *data, size_t len,
                        size_t max)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t content = (size_t)((nl ? nl : end) - p);
        size_t take = content > max ? split_point(p, max) : nl ? content + 1 : content;
        bool ended = p[take - 1] == '\n';
        outq_append3(&out->q, LINES_TO, s->prefix, s->prefix_len, p, take, "\n", ended ? 0 : 1);
        p += take;
    }
}

static void keep_partial(struct stream *s, const char *data, size_t len)
{
    s->partial_len = 0;
    if (len == 0)
        return;
    if (len > s->partial_cap) {
        s->partial = xrealloc(s->partial, len);
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
    queue_lines(out, s, buf, whole, max);
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
    if (!out->buf)
        out->buf = xrealloc(NULL, READ_SIZE);
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
        queue_lines(out, s, s->partial, s->partial_len, LOG_LINE_MAX - s->prefix_len);
    close_stream(s);
}

void output_release(struct output *out)
{
    free(out->buf);
    out->buf = NULL;
    outq_release_spares(&out->q);
#ifdef __GLIBC__
    /* Freed heap pages stay resident until given back: glibc returns only
     * the top of the heap by itself. */
    malloc_trim(0);
#endif
}
