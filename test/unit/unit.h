/* A tiny unit-test harness: CHECK records a failure and goes on; main returns
 * the number of failures. test/unit.bats runs every test/unit/test_* binary. */
#ifndef SOLODYNO_UNIT_H
#define SOLODYNO_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            unit_failures++;                                                     \
        }                                                                        \
    } while (0)

#define CHECK_STR(got, want)                                                     \
    do {                                                                         \
        const char *g_ = (got), *w_ = (want);                                    \
        if (!g_ || strcmp(g_, w_) != 0) {                                        \
            fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                    g_ ? g_ : "(null)", w_);                                     \
            unit_failures++;                                                     \
        }                                                                        \
    } while (0)

#define UNIT_DONE()                                                              \
    do {                                                                         \
        if (unit_failures)                                                       \
            fprintf(stderr, "%d check(s) failed\n", unit_failures);              \
        return unit_failures ? 1 : 0;                                            \
    } while (0)

#endif
