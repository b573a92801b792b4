/* solodyno run's output queue and its non-blocking sinks. See run_outq.h. */
#include "dyno/run_outq.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/xalloc.h"

struct outq_block {
    struct outq_block *next;
    int fd;              /* 1 or 2 */
    size_t start, len;   /* data[start, len) still to be written */
    char data[OUTQ_BLOCK];
};

/* How fd becomes a sink that never blocks us. O_NONBLOCK on fd itself would
 * change the open file description we share with our parent and with any
 * member writing straight to it (one member, or SOLODYNO_PREFIX=0), which
 * would then see EAGAIN it does not expect. So:
 *   pipes, FIFOs, terminals   reopened through /proc/self/fd: a description of
 *                             our own, non-blocking, on the same pipe or tty;
 *   sockets                   send(MSG_DONTWAIT), non-blocking per call;
 *   files, block devices      as they are: writing them never waits for a
 *                             reader;
 *   a pipe we cannot reopen   poll() first, then at most PIPE_BUF bytes,
 *                             which a pipe with room takes without blocking. */
static void open_sink(struct sink *s, int fd)
{
    struct stat st;
    *s = (struct sink){.fd = -1};
    if (fstat(fd, &st) != 0) {
        s->broken = true; /* closed: what goes there is dropped */
        return;
    }
    int flags = fcntl(fd, F_GETFL);
    s->fd = fd;
    if (S_ISSOCK(st.st_mode)) {
        s->socket = true;
        return;
    }
    if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
        return;
    if (flags >= 0 && (flags & O_NONBLOCK))
        return; /* already non-blocking: EAGAIN is handled */
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int own = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                             (flags >= 0 ? (flags & O_APPEND) : 0));
    if (own >= 0) {
        s->fd = own;
        s->own = true;
    } else {
        s->guarded = true;
    }
}

void outq_open_sinks(struct outq *q)
{
    struct stat out, err;
    open_sink(&q->sinks[1], 1);
    open_sink(&q->sinks[2], 2);
    /* The same pipe, terminal or file (2>&1, or Heroku's log): one order. */
    q->same_place = fstat(1, &out) == 0 && fstat(2, &err) == 0 && out.st_dev == err.st_dev &&
                    out.st_ino == err.st_ino;
}

/* Writes iov[0..cnt) without waiting; like writev(). */
static ssize_t sink_write(struct sink *s, struct iovec *iov, int cnt)
{
    if (s->socket) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
        return sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    if (s->guarded) {
        struct pollfd pf = {.fd = s->fd, .events = POLLOUT};
        if (poll(&pf, 1, 0) <= 0) {
            errno = EAGAIN;
            return -1;
        }
        return write(s->fd, iov[0].iov_base, iov[0].iov_len < PIPE_BUF ? iov[0].iov_len : PIPE_BUF);
    }
    return writev(s->fd, iov, cnt);
}

static struct outq_block *new_block(struct outq *q, int fd)
{
    struct outq_block *b = q->spare;
    if (b) {
        q->spare = b->next;
        q->n_spare--;
    } else {
        b = xrealloc(NULL, sizeof *b);
    }
    b->next = NULL;
    b->fd = fd;
    b->start = b->len = 0;
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    return b;
}

static void append(struct outq *q, int fd, const char *data, size_t len)
{
    while (len > 0) {
        struct outq_block *b = q->tail;
        if (!b || b->fd != fd || b->len == OUTQ_BLOCK)
            b = new_block(q, fd);
        size_t room = OUTQ_BLOCK - b->len;
        size_t take = len < room ? len : room;
        memcpy(b->data + b->len, data, take);
        b->len += take;
        q->queued += take;
        data += take;
        len -= take;
    }
}

void outq_append3(struct outq *q, int fd, const char *a, size_t alen, const char *b, size_t blen,
                  const char *c, size_t clen)
{
    size_t total = alen + blen + clen;
    struct outq_block *t = q->tail;
    if (total <= OUTQ_BLOCK && (!t || t->fd != fd || OUTQ_BLOCK - t->len < total))
        t = new_block(q, fd); /* whole in one block: the common case, below */
    if (total <= OUTQ_BLOCK) {
        char *dst = t->data + t->len;
        memcpy(dst, a, alen);
        memcpy(dst + alen, b, blen);
        memcpy(dst + alen + blen, c, clen);
        t->len += total;
        q->queued += total;
        return;
    }
    append(q, fd, a, alen);
    append(q, fd, b, blen);
    append(q, fd, c, clen);
}

void outq_note(struct outq *q, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *text = small;
    if ((size_t)n >= sizeof small) {
        text = xrealloc(NULL, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    outq_append3(q, 2, "solodyno: ", 10, text, (size_t)n, "\n", 1);
    if (text != small)
        free(text);
}

/* Takes b = *link out of the queue (prev is the block before it, or NULL). */
static void remove_block(struct outq *q, struct outq_block **link, struct outq_block *prev)
{
    struct outq_block *b = *link;
    *link = b->next;
    if (q->tail == b)
        q->tail = prev;
    q->queued -= b->len - b->start;
    if (q->n_spare < OUTQ_SPARE_BLOCKS) {
        /* Kept: under load blocks are needed again at once, and freeing
         * them would make the heap shrink and grow at every read. */
        b->next = q->spare;
        q->spare = b;
        q->n_spare++;
    } else {
        free(b);
    }
}

/* A sink failed for good: say so once (on the other one, if stdout broke)
 * and drop what goes there from now on, so members are never held up. */
static void sink_broke(struct outq *q, int fd, int err)
{
    q->sinks[fd].broken = true;
    if (fd == 1)
        outq_note(q, "writing to stdout failed (%s): members' output is dropped from now on",
                  strerror(err));
}

/* Marks n bytes written from *link on (blocks of one fd), removing the
 * blocks written whole. */
static void consume(struct outq *q, struct outq_block **link, struct outq_block *prev, size_t n)
{
    int fd = (*link)->fd;
    while (*link && (*link)->fd == fd) {
        struct outq_block *b = *link;
        size_t take = b->len - b->start < n ? b->len - b->start : n;
        b->start += take;
        q->queued -= take;
        n -= take;
        if (b->start < b->len)
            return;
        remove_block(q, link, prev);
        if (n == 0)
            return;
    }
}

bool outq_flush(struct outq *q)
{
    /* In order; but if fd 1 and 2 lead to different places, one that would
     * block does not hold back the other (our notes still reach stderr while
     * stdout's reader is stalled). Each fd's own order is kept. */
    bool blocked[3] = {false, false, false};
    q->sinks[1].want_out = q->sinks[2].want_out = false;
    struct outq_block **link = &q->head, *prev = NULL;
    while (*link) {
        struct outq_block *b = *link;
        struct sink *s = &q->sinks[b->fd];
        if (blocked[b->fd]) {
            prev = b;
            link = &b->next;
            continue;
        }
        if (b->start == b->len || s->fd < 0 || s->broken) {
            q->dropped += b->len - b->start;
            remove_block(q, link, prev);
            continue;
        }
        /* The blocks that follow for the same fd go in the same call. */
        struct iovec iov[OUTQ_GATHER];
        int cnt = 0;
        for (struct outq_block *c = b; c && c->fd == b->fd && cnt < OUTQ_GATHER; c = c->next)
            if (c->start < c->len)
                iov[cnt++] = (struct iovec){.iov_base = c->data + c->start,
                                            .iov_len = c->len - c->start};
        ssize_t w = sink_write(s, iov, cnt);
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0)
            errno = EAGAIN, w = -1; /* took nothing: as if full */
        if (w < 0 && errno == EAGAIN) {
            s->want_out = true;
            if (q->same_place)
                return false;
            blocked[b->fd] = true;
            continue;
        }
        if (w < 0) {
            sink_broke(q, b->fd, errno);
            continue;
        }
        /* A short write leaves the rest at the head: the next call takes it,
         * or says EAGAIN. */
        consume(q, link, prev, (size_t)w);
    }
    return q->head == NULL;
}

void outq_drain(struct outq *q, int limit_ms)
{
    while (!outq_flush(q)) {
        struct pollfd pf[2];
        int k = 0;
        for (int fd = 1; fd <= 2; fd++)
            if (q->sinks[fd].want_out)
                pf[k++] = (struct pollfd){.fd = q->sinks[fd].fd, .events = POLLOUT};
        if (k == 0 || poll(pf, (nfds_t)k, limit_ms) <= 0)
            break; /* the reader took nothing for limit_ms: give up */
    }
}

void outq_each(const struct outq *q, void (*fn)(void *ctx, int fd, const char *data, size_t len),
               void *ctx)
{
    for (const struct outq_block *b = q->head; b; b = b->next)
        if (b->start < b->len)
            fn(ctx, b->fd, b->data + b->start, b->len - b->start);
}

void outq_release_spares(struct outq *q)
{
    while (q->spare) {
        struct outq_block *b = q->spare;
        q->spare = b->next;
        free(b);
    }
    q->n_spare = 0;
}

void outq_free(struct outq *q)
{
    while (q->head) {
        struct outq_block *b = q->head;
        q->head = b->next;
        free(b);
    }
    q->tail = NULL;
    outq_release_spares(q);
    q->queued = 0;
    for (int fd = 1; fd <= 2; fd++)
        if (q->sinks[fd].own)
            close(q->sinks[fd].fd);
}
