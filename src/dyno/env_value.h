/* Strict parsers for the values of runtime variables (SOLODYNO_GRACE,
 * SOLODYNO_PREFIX, SOLODYNO_MEMORY_MB, SOLODYNO_CPUS, a user's MAX_THREADS...). A typo in a config var must be an error
 * the user sees at dyno start, never a silent fallback to the default. Kept
 * apart from their callers so one fuzz target covers them all. */
#ifndef SOLODYNO_ENV_VALUE_H
#define SOLODYNO_ENV_VALUE_H

#include <stdbool.h>

/* A duration in seconds, written "28", "0.5" or "2.125": digits, then
 * optionally a dot and one to three digits (milliseconds). No sign, spaces,
 * exponent or unit. Returns true and sets *ms when text is such a duration of
 * at most max_ms milliseconds. */
bool parse_seconds_ms(const char *text, unsigned long max_ms, unsigned long *ms);

/* A whole decimal number in [min, max], nothing else (no sign, no blanks, no
 * unit). Returns true and sets *out when s is one. */
bool parse_whole(const char *s, unsigned long long min, unsigned long long max,
                 unsigned long long *out);

/* An on/off switch: "1", "true", "yes", "on" give 1; "0", "false", "no",
 * "off" give 0 (lower case only, as Heroku config vars are usually written);
 * anything else gives -1. */
int parse_switch(const char *text);

#endif
