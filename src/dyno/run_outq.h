/* solodyno run's output queue: everything it writes (members' prefixed lines,
 * its own notes) waits here in the order it was produced, and is written to
 * our fd 1 or 2 without ever blocking the loop.
 *
 * Why a queue: a stalled reader of our stdout (Docker's blocking log mode, a
 * paused pager, a full log pipe) must not stop the loop, or no signal is read
 * and the grace period never ends. The queue holds a bounded amount; past it
 * the loop stops reading the members' pipes (backpressure: a member then waits
 * on its own write, as it would with a direct stdout), while signals and the
 * grace deadline are still served.
 *
 * Why one queue for both fds: they usually lead to the same place (Heroku's
 * log router, a terminal), and a note saying that a member ended must come
 * after that member's last lines. When they lead to different places, a
 * stalled one does not hold back the other.
 */
#ifndef SOLODYNO_RUN_OUTQ_H
#define SOLODYNO_RUN_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

#include "common/log.h"

/* Past this many bytes waiting, members' pipes are no longer read. */
#define OUTQ_BACKLOG_MAX (256 * 1024)

/* Bytes per block of the queue: a read's lines fill about two. A whole
 * output line (LOG_LINE_MAX plus its line end) always fits in one. */
#define OUTQ_BLOCK (64 * 1024)

/* At most this many blocks of one fd go in one write (writev). */
#define OUTQ_GATHER 8

/* Blocks kept for reuse once written, while output flows: what one read's
 * lines fill. */
#define OUTQ_SPARE_BLOCKS 4

struct outq_block;

/* Where fd 1 or 2 is written: a descriptor of its own, non-blocking. */
struct sink {
    int fd;           /* -1: not opened (nothing is written) */
    bool own;         /* fd is ours to close (a reopened pipe or terminal) */
    bool socket;      /* write with send(MSG_DONTWAIT) */
    bool guarded;     /* blocking descriptor: write only what poll() says fits */
    bool broken;      /* failed (EPIPE...): what goes there is dropped */
    bool want_out;    /* it said EAGAIN: poll it for POLLOUT */
};

struct outq {
    struct outq_block *head, *tail, *spare;
    size_t n_spare;
    size_t queued;               /* bytes waiting */
    unsigned long long dropped;  /* bytes dropped on a broken sink */
    struct sink sinks[3];        /* [1] and [2] */
    bool same_place;             /* fd 1 and 2 lead to the same file: one order */
};

/* Sets up sinks for our fd 1 and 2 (see run_outq.c for how each kind of file
 * is made non-blocking without touching the descriptor others share). */
void outq_open_sinks(struct outq *q);

/* Appends a, b and c (any may be empty) to what goes to fd, as one piece:
 * the three never land in different writes' interleavings with other text. */
void outq_append3(struct outq *q, int fd, const char *a, size_t alen, const char *b, size_t blen,
                  const char *c, size_t clen);

/* "solodyno: ...\n" on fd 2, after everything queued before it. */
void outq_note(struct outq *q, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Writes what the sinks take now, without blocking. Returns true if the
 * queue is now empty. */
bool outq_flush(struct outq *q);

/* At exit: writes what is left, waiting for a slow reader as long as it takes
 * something at least every limit_ms. */
void outq_drain(struct outq *q, int limit_ms);

/* Calls fn for each queued piece of bytes, in order (for tests and fuzzing). */
void outq_each(const struct outq *q, void (*fn)(void *ctx, int fd, const char *data, size_t len),
               void *ctx);

/* Frees the blocks kept for reuse. */
void outq_release_spares(struct outq *q);

void outq_free(struct outq *q);

#endif
