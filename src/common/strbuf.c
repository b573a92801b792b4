#include "common/strbuf.h"
#include "common/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_reserve(strbuf *sb, size_t extra)
{
    if (sb->data && sb->len + extra < sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap <= sb->len + extra) {
        if (cap > ((size_t)-1) / 2) {
            fputs("solodyno: out of memory\n", stderr);
            abort();
        }
        cap *= 2;
    }
    sb->data = xrealloc(sb->data, cap);
    sb->cap = cap;
}

void sb_append_len(strbuf *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    if (n)
        memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void sb_append(strbuf *sb, const char *s) { sb_append_len(sb, s, strlen(s)); }

void sb_append_char(strbuf *sb, char c) { sb_append_len(sb, &c, 1); }

void sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_reserve(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void sb_free(strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

char *sb_take(strbuf *sb)
{
    if (!sb->data)
        sb_reserve(sb, 0), sb->data[0] = '\0';
    char *p = sb->data;
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return p;
}
