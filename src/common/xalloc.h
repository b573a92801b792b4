/* Allocation that does not fail: out of memory, the program says so and
 * aborts. Every solodyno program runs for moments, at a build or a dyno
 * start; there is nothing better to do, and callers stay readable. */
#ifndef SOLODYNO_XALLOC_H
#define SOLODYNO_XALLOC_H

#include <stddef.h>

void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The n bytes at s (which may hold NUL bytes), plus a terminating NUL. */
char *xstrndup(const char *s, size_t n);
/* Room for element number n of a growing array of size-byte elements:
 * returns items, reallocated with *cap doubled when it is full. */
void *xgrow(void *items, size_t n, size_t *cap, size_t size);

#endif
