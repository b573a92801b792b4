/* A growable byte buffer, for building files before they are written whole. */
#ifndef SOLODYNO_STRBUF_H
#define SOLODYNO_STRBUF_H

#include <stddef.h>

#include "common/log.h"

typedef struct {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
} strbuf;

#define STRBUF_INIT {NULL, 0, 0}

/* These abort the program on allocation failure (see xalloc.h). */
void sb_append(strbuf *sb, const char *s);
void sb_append_len(strbuf *sb, const char *s, size_t n);
void sb_append_char(strbuf *sb, char c);
void sb_printf(strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
void sb_free(strbuf *sb);
/* Hands the buffer to the caller (never NULL) and resets sb. */
char *sb_take(strbuf *sb);

#endif
