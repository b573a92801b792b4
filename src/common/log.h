/* Output helpers, by audience.
 *
 * Build-time messages follow the Heroku build-log style: "-----> " for a step,
 * seven spaces for a detail, " !     " for a warning (on stderr).
 * Dyno-start messages ("solodyno: ...") go to stderr, so they never mix with
 * what the app prints on stdout.
 */
#ifndef SOLODYNO_LOG_H
#define SOLODYNO_LOG_H

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

void log_step(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_detail(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Each line of text (e.g. a parser's "LABEL, line N: ..." messages) as a warning. */
void log_warn_lines(const char *text);

/* "solodyno: error: ..." on stderr: for errors at dyno start and usage errors. */
void msg_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* "solodyno: ..." on stderr. */
void msg_note(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
