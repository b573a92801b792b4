/* Output helpers, by audience.
 *
 * Build-time messages follow the Heroku build-log style: "-----> " for a step,
 * seven spaces for a detail, " !     " for a warning (on stderr).
 * Dyno-start messages ("solodyno: ...") go to stderr, so they never mix with
 * what the app prints on stdout.
 */
#ifndef SOLODYNO_LOG_H
#define SOLODYNO_LOG_H

#include <stdarg.h>

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Outside text (a config var, a file name, a line of a file) never forges a
 * line of our log: every message is formatted with log_vformat, which keeps
 * the format's own text and escapes, in what its %s and %c arguments bring,
 * control characters (\n, \r, \t, \xNN; C1 controls and U+2028/U+2029 too)
 * and bytes that are not UTF-8. A message with several lines says so in its
 * format. */
char *log_vformat(const char *fmt, va_list ap); /* malloc'd */
/* The same escaping for one string (malloc'd), e.g. a value put into a text
 * that is then printed whole. */
char *log_escape(const char *s);

void log_step(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_detail(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Each line of text (e.g. a parser's "LABEL, line N: ..." messages) as a
 * warning (each line escaped as an argument is). */
void log_warn_lines(const char *text);

/* "solodyno: error: ..." on stderr: for errors at dyno start and usage errors. */
void msg_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* "solodyno: ..." on stderr. */
void msg_note(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
