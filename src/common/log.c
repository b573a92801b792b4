#include "common/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/strbuf.h"

/* ---- outside text, shown safely ------------------------------------------------ */

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if
 * there is none (a stray byte, an overlong form, a surrogate). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* Appends the n bytes at s with every byte that could break or forge a line
 * escaped: control characters (C0, DEL; C1 and the Unicode line and paragraph
 * separators in their UTF-8 forms) and bytes that are not UTF-8, as \n, \r,
 * \t or \xNN. Printable text, UTF-8 included, is kept. */
static void append_shown(strbuf *sb, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        size_t len = c < 0x80 ? 1 : utf8_seq(u + i, n - i);
        bool control = c < 0x20 || c == 0x7F || (len == 2 && c == 0xC2 && u[i + 1] < 0xA0) ||
                       (len == 3 && c == 0xE2 && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9));
        if (len && !control) {
            sb_append_len(sb, s + i, len);
            i += len;
            continue;
        }
        if (len == 0)
            len = 1; /* not UTF-8: this byte alone */
        for (size_t k = 0; k < len; k++, i++) {
            if (u[i] == '\n')
                sb_append(sb, "\\n");
            else if (u[i] == '\r')
                sb_append(sb, "\\r");
            else if (u[i] == '\t')
                sb_append(sb, "\\t");
            else
                sb_printf(sb, "\\x%02x", u[i]);
        }
    }
}

char *log_escape(const char *s)
{
    strbuf sb = STRBUF_INIT;
    sb_append(&sb, "");
    append_shown(&sb, s, strlen(s));
    return sb_take(&sb);
}

/* Formats one conversion (spec is "%...X", with its '*' width and precision
 * already read) of a value into tmp. */
#define FORMAT_ONE(tmp, spec, star_w, w, star_p, p, value)                \
    do {                                                                  \
        if (star_w && star_p)                                             \
            sb_printf(tmp, spec, w, p, value);                            \
        else if (star_w)                                                  \
            sb_printf(tmp, spec, w, value);                               \
        else if (star_p)                                                  \
            sb_printf(tmp, spec, p, value);                               \
        else                                                              \
            sb_printf(tmp, spec, value);                                  \
    } while (0)

/* printf's grammar, one conversion at a time, so that what comes from a %s or
 * %c argument can be shown escaped while the format's own text (its line
 * breaks included) is kept. The formats are ours and checked by the compiler
 * (PRINTF_LIKE); the arguments are where outside text comes in. */
char *log_vformat(const char *fmt, va_list ap)
{
    strbuf out = STRBUF_INIT, tmp = STRBUF_INIT;
    sb_append(&out, "");
    const char *p = fmt;
    while (*p) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            sb_append(&out, p);
            break;
        }
        sb_append_len(&out, p, (size_t)(pct - p));
        const char *q = pct + 1;
        if (*q == '%') {
            sb_append_char(&out, '%');
            p = q + 1;
            continue;
        }
        char spec[32];
        size_t k = 0;
        spec[k++] = '%';
        bool star_w = false, star_p = false;
        while (*q && strchr("-+ #0", *q) && k < 8)
            spec[k++] = *q++;
        if (*q == '*') {
            star_w = true;
            spec[k++] = *q++;
        }
        while (*q >= '0' && *q <= '9' && k < 16)
            spec[k++] = *q++;
        if (*q == '.') {
            spec[k++] = *q++;
            if (*q == '*') {
                star_p = true;
                spec[k++] = *q++;
            }
            while (*q >= '0' && *q <= '9' && k < 24)
                spec[k++] = *q++;
        }
        char len1 = 0, len2 = 0; /* length modifier: h, hh, l, ll, z, j, t, L */
        if (*q && strchr("hlzjtL", *q)) {
            len1 = spec[k++] = *q++;
            if ((len1 == 'h' || len1 == 'l') && *q == len1)
                len2 = spec[k++] = *q++;
        }
        char conv = *q;
        if (!conv) { /* a lone '%' at the end: kept as text */
            sb_append(&out, pct);
            break;
        }
        spec[k++] = conv;
        spec[k] = '\0';
        p = q + 1;
        int w = star_w ? va_arg(ap, int) : 0;
        int pr = star_p ? va_arg(ap, int) : 0;
        tmp.len = 0;
        if (tmp.data)
            tmp.data[0] = '\0';
        switch (conv) {
        case 's':
            FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, const char *));
            append_shown(&out, tmp.data ? tmp.data : "", tmp.len);
            continue;
        case 'c':
            FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, int));
            append_shown(&out, tmp.data ? tmp.data : "", tmp.len);
            continue;
        case 'd':
        case 'i':
            if (len1 == 'l' && len2)
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, long long));
            else if (len1 == 'l')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, long));
            else if (len1 == 'z')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, ssize_t));
            else if (len1 == 'j')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, intmax_t));
            else if (len1 == 't')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, ptrdiff_t));
            else
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, int));
            break;
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            if (len1 == 'l' && len2)
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, unsigned long long));
            else if (len1 == 'l')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, unsigned long));
            else if (len1 == 'z' || len1 == 't')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, size_t));
            else if (len1 == 'j')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, uintmax_t));
            else
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, unsigned));
            break;
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
            if (len1 == 'L')
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, long double));
            else
                FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, double));
            break;
        case 'p':
            FORMAT_ONE(&tmp, spec, star_w, w, star_p, pr, va_arg(ap, void *));
            break;
        default: /* not a conversion our formats use: kept as text */
            sb_append(&out, spec);
            continue;
        }
        sb_append_len(&out, tmp.data ? tmp.data : "", tmp.len);
    }
    sb_free(&tmp);
    return sb_take(&out);
}

/* ---- the messages ----------------------------------------------------------------- */

static void emit(FILE *to, const char *prefix, const char *fmt, va_list ap)
{
    char *msg = log_vformat(fmt, ap);
    fputs(prefix, to);
    fputs(msg, to);
    fputc('\n', to);
    fflush(to);
    free(msg);
}

#define EMIT(to, prefix)              \
    do {                              \
        va_list ap;                   \
        va_start(ap, fmt);            \
        emit(to, prefix, fmt, ap);    \
        va_end(ap);                   \
    } while (0)

void log_step(const char *fmt, ...) { EMIT(stdout, "-----> "); }
void log_detail(const char *fmt, ...) { EMIT(stdout, "       "); }
void log_warn(const char *fmt, ...) { EMIT(stderr, " !     "); }
void msg_error(const char *fmt, ...) { EMIT(stderr, "solodyno: error: "); }
void msg_note(const char *fmt, ...) { EMIT(stderr, "solodyno: "); }

void log_warn_lines(const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        log_warn("%.*s", (int)n, text);
        text += n + (nl ? 1 : 0);
    }
}
