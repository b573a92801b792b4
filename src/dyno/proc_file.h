/* Reading the kernel's text files (/proc, cgroupfs) line by line with a small
 * fixed buffer: what `solodyno run` samples every few seconds must cost little
 * CPU and no memory that stays. */
#ifndef SOLODYNO_PROC_FILE_H
#define SOLODYNO_PROC_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* The longest line handed to a callback; the rest of a longer line is
 * skipped (no file we read has such lines: smaps names a path at most). */
#define PROC_LINE_MAX 512

enum proc_read {
    PROC_READ_OK,
    PROC_READ_GONE,   /* no such file: the process ended, or the kernel lacks it */
    PROC_READ_FAILED, /* it exists but cannot be read (permissions, I/O) */
};

/* Calls line(ctx, text, length) for each line of path (without its newline;
 * a last line without one counts). line returns false to stop early. */
enum proc_read proc_read_lines(const char *path, bool (*line)(void *ctx, const char *s, size_t n),
                               void *ctx);

/* Reads a whole small file (at most cap bytes) into buf; *len is its size. */
enum proc_read proc_read_small(const char *path, char *buf, size_t cap, size_t *len);

#endif
