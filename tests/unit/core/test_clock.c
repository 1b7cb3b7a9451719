/* tests/unit/core/test_clock.c - RFC 3339 timestamps (src/core/clock.c).
 *
 * Every stored `_at` column is written by clock_format_rfc3339, digit by digit: the text must
 * be what "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" over gmtime gives, at the epoch, before it
 * (negative milliseconds borrow a second), on a leap day and at the end of a year, and it
 * must read back to the same instant. Expected values are written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/clock.h"

static void expect(int64_t ms, const char *want)
{
    char out[CLOCK_RFC3339_LEN];
    memset(out, 'x', sizeof out);
    clock_format_rfc3339(ms, out);
    assert_string_equal(out, want);
    int64_t back = 0;
    assert_int_equal(clock_parse_rfc3339(out, &back), 0);
    assert_int_equal(back, ms);
}

static void test_format(void **state)
{
    (void)state;
    expect(0, "1970-01-01T00:00:00.000Z");
    expect(-1, "1969-12-31T23:59:59.999Z");
    expect(951782400123, "2000-02-29T00:00:00.123Z");
    expect(1798761599999, "2026-12-31T23:59:59.999Z");
    expect(1765078271005, "2025-12-07T03:31:11.005Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_format)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
