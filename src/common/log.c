#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void emit(FILE *to, const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, to);
    vfprintf(to, fmt, ap);
    fputc('\n', to);
    fflush(to);
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
