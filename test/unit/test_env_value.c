/* Unit tests of the strict parsers for solodyno's runtime variables. */
#include "dyno/env_value.h"
#include "unit.h"

static unsigned long secs(const char *text, unsigned long max_ms)
{
    unsigned long ms = 12345678;
    return parse_seconds_ms(text, max_ms, &ms) ? ms : (unsigned long)-1;
}

#define REFUSED ((unsigned long)-1)

int main(void)
{
    const unsigned long hour = 3600UL * 1000;

    CHECK(secs("28", hour) == 28000);
    CHECK(secs("0", hour) == 0);
    CHECK(secs("0.5", hour) == 500);
    CHECK(secs("2.25", hour) == 2250);
    CHECK(secs("2.125", hour) == 2125);
    CHECK(secs("007", hour) == 7000);
    CHECK(secs("3600", hour) == hour);
    CHECK(secs("3600.0", hour) == hour);
    CHECK(secs("3600.001", hour) == REFUSED);
    CHECK(secs("3601", hour) == REFUSED);
    CHECK(secs("99999999999999999999999", hour) == REFUSED);
    CHECK(secs("", hour) == REFUSED);
    CHECK(secs(".5", hour) == REFUSED);
    CHECK(secs("5.", hour) == REFUSED);
    CHECK(secs("0.0001", hour) == REFUSED);
    CHECK(secs("-1", hour) == REFUSED);
    CHECK(secs("+1", hour) == REFUSED);
    CHECK(secs(" 5", hour) == REFUSED);
    CHECK(secs("5 ", hour) == REFUSED);
    CHECK(secs("5s", hour) == REFUSED);
    CHECK(secs("1e3", hour) == REFUSED);
    CHECK(secs("1.2.3", hour) == REFUSED);
    /* A small maximum, below one second: the fraction alone must fit. */
    CHECK(secs("0.5", 500) == 500);
    CHECK(secs("0.501", 500) == REFUSED);
    CHECK(secs("1", 500) == REFUSED);
    /* The largest maximum does not overflow. */
    CHECK(secs("18446744073709551", (unsigned long)-1) == 18446744073709551000UL);
    CHECK(secs("18446744073709551.615", (unsigned long)-1) == (unsigned long)-1);
    CHECK(secs("18446744073709552", (unsigned long)-1) == REFUSED);

    CHECK(parse_switch("1") == 1);
    CHECK(parse_switch("true") == 1);
    CHECK(parse_switch("yes") == 1);
    CHECK(parse_switch("on") == 1);
    CHECK(parse_switch("0") == 0);
    CHECK(parse_switch("false") == 0);
    CHECK(parse_switch("no") == 0);
    CHECK(parse_switch("off") == 0);
    CHECK(parse_switch("") == -1);
    CHECK(parse_switch("TRUE") == -1);
    CHECK(parse_switch("2") == -1);
    CHECK(parse_switch("true ") == -1);
    /* whole numbers (SOLODYNO_MEMORY_MB, SOLODYNO_CPUS, a user's MAX_THREADS) */
    unsigned long long v;
    CHECK(parse_whole("512", 1, 100, &v) == false);
    CHECK(parse_whole("512", 1, 1000, &v) && v == 512);
    CHECK(!parse_whole("", 1, 1000, &v));
    CHECK(!parse_whole("0", 1, 1000, &v));
    CHECK(!parse_whole("-3", 1, 1000, &v));
    CHECK(!parse_whole(" 3", 1, 1000, &v));
    CHECK(!parse_whole("3 ", 1, 1000, &v));
    CHECK(!parse_whole("3e2", 1, 1000, &v));
    CHECK(!parse_whole("99999999999999999999999", 1, ~0ULL, &v));
    CHECK(!parse_whole(NULL, 1, 1000, &v));
    CHECK(parse_whole("18446744073709551614", 1, ~0ULL, &v) == false); /* refused near the top */
    CHECK(parse_whole("1844674407370955160", 1, ~0ULL, &v) && v == 1844674407370955160ULL);
    UNIT_DONE();
}
