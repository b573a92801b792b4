/* The output side of solodyno run: members' bytes in, whole prefixed lines
 * out (into the output queue, run_outq.h).
 *
 * Kept apart from the supervisor (no signals, no processes) so that a libFuzzer
 * target (test/fuzz/fuzz_run_output.c) can feed it arbitrary read chunks: a
 * member's output is outside input (request logs carry what clients send).
 */
#ifndef SOLODYNO_RUN_OUTPUT_H
#define SOLODYNO_RUN_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "dyno/run_outq.h"

/* Heroku's log router splits lines longer than 10,000 bytes. Splitting them
 * ourselves at that size, prefix included, keeps every piece prefixed. */
#define LOG_LINE_MAX 10000

/* One read() from a member takes up to this much: half its pipe, so a busy
 * member costs few system calls (the buffer exists only during a burst of
 * output: output_release() frees it). It must exceed LOG_LINE_MAX, so an
 * unfinished line always fits with room to spare. */
#define READ_SIZE (128 * 1024)

/* Where prefixed lines go. */
struct output {
    char *buf;          /* read buffer shared by every stream: READ_SIZE bytes,
                           allocated at the first read after a release */
    struct outq q;
};

/* A member's output: its stdout and stderr share one pipe (as foreman and
 * honcho do), so its lines stay in the order it wrote them. */
struct stream {
    int fd;             /* read end of the member's pipe; -1 when closed */
    const char *prefix; /* "name    | ", owned by the member */
    size_t prefix_len;
    char *partial;      /* the start of a line whose end has not come yet */
    size_t partial_len, partial_cap;
};

/* Reads once from s->fd and passes on every complete line. Returns false at
 * the end of the stream (then closed) or when there was nothing to read. */
bool stream_pump(struct output *out, struct stream *s);

/* Passes on the n bytes of chunk as if read from s (n at most READ_SIZE minus
 * s->partial_len): complete lines now, the start of an unfinished one kept. */
void stream_feed(struct output *out, struct stream *s, const char *chunk, size_t n);

/* The end of a stream: its unfinished line is passed on with a line end, and
 * its pipe (if open) closed. */
void stream_finish(struct output *out, struct stream *s);

/* Gives back the memory a burst of output used (the read buffer, the queue's
 * spare blocks, free heap pages), once the queue is empty and output quiet:
 * a dyno's supervisor should stay small between bursts. */
void output_release(struct output *out);

#endif
