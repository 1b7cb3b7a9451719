/* tests/unit/outbound/test_retry.c - the retry schedule (src/outbound/retry.c): parsing, the
 * schedule's waits with their jitter bounds, a service's own wait and its clamp to
 * [1 s, 1 h], and the end of the schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "outbound/retry.h"

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */

static void test_parse_schedule(void **state)
{
    int64_t w[4];
    int n = 0;
    struct error err = {0};
    assert_int_equal(retry_parse_schedule("5s,30s,2m,1h", w, 4, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(w[0], 5000);
    assert_int_equal(w[1], 30000);
    assert_int_equal(w[2], 120000);
    assert_int_equal(w[3], 3600000);
    assert_int_equal(retry_parse_schedule("7", w, 4, &n, &err), 0); /* bare seconds */
    assert_int_equal(n, 1);
    assert_int_equal(w[0], 7000);
    assert_int_equal(retry_parse_schedule("8760h", w, 4, &n, &err), 0); /* a year at most */
    assert_int_equal(w[0], INT64_C(8760) * 3600 * 1000);
}

static void test_parse_schedule_refuses(void **state)
{
    int64_t w[2];
    int n = 99;
    struct error err = {0};
    /* the last two: beyond a year, and beyond 64 bits once in ms (found by fuzz_config) */
    const char *bad[] = {"", "0s", "-5s", "5x", "5s,,", "s", "5s;30s", "8761h",
                         "9223372036854775807h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(retry_parse_schedule(bad[i], w, 2, &n, &err), -1);
        assert_int_equal(err.code, ERR_CONFIG);
    }
    assert_int_equal(retry_parse_schedule("1s,2s,3s", w, 2, &n, &err), -1);
    assert_string_equal(err.message, "retry schedule has more than 2 steps");
    assert_int_equal(n, 99); /* untouched on failure */
}

static void test_jitter_bounds(void **state)
{
    /* every 16-bit value lands within +-20 %, and both ends are reached */
    int64_t lo = INT64_MAX, hi = 0;
    for (int32_t r = 0; r <= 0xffff; r++) {
        int64_t v = retry_jitter(30000, r);
        assert_true(v >= 24000 && v <= 36000);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    assert_int_equal(lo, 24000);
    assert_int_equal(hi, 36000);
    assert_int_equal(retry_jitter(30000, RETRY_NO_RANDOM), 30000);
    assert_int_equal(retry_jitter(4, 12345), 4); /* too short to spread */
}

static void test_next_follows_schedule(void **state)
{
    const int64_t waits[] = {5000, 30000, 120000};
    for (int attempt = 1; attempt <= 3; attempt++) {
        int64_t at = retry_next_at(waits, 3, attempt, -1, NOW, 0x4321);
        int64_t wait = waits[attempt - 1];
        assert_true(at >= NOW + wait - wait / 5 && at <= NOW + wait + wait / 5);
    }
    /* after the last wait the delivery is dead */
    assert_int_equal(retry_next_at(waits, 3, 4, -1, NOW, 0), -1);
    assert_int_equal(retry_next_at(waits, 3, 4, NOW + 5000, NOW, 0), -1);
    assert_int_equal(retry_next_at(waits, 3, 0, -1, NOW, 0), -1);
}

static void test_service_wait_wins(void **state)
{
    const int64_t waits[] = {5000, 30000};
    assert_int_equal(retry_next_at(waits, 2, 1, NOW + 90000, NOW, 0), NOW + 90000);
    /* a time already past falls back to the schedule */
    int64_t at = retry_next_at(waits, 2, 1, NOW - 1, NOW, RETRY_NO_RANDOM);
    assert_int_equal(at, NOW + 5000);
}

static void test_retry_after_header(void **state)
{
    assert_int_equal(retry_after_header_at("120", NOW), NOW + 120000);
    assert_int_equal(retry_after_header_at("0", NOW), NOW);
    assert_int_equal(retry_after_header_at("99999999", NOW), NOW + 3600000); /* no overflow */
    assert_int_equal(retry_after_header_at("Thu, 01 Jan 2026 00:02:00 GMT", NOW), NOW + 120000);
    assert_int_equal(retry_after_header_at(NULL, NOW), -1);
    assert_int_equal(retry_after_header_at("", NOW), -1);
    assert_int_equal(retry_after_header_at("-5", NOW), -1);
    assert_int_equal(retry_after_header_at("soon", NOW), -1);
    assert_int_equal(retry_after_header_at("12s", NOW), -1);
}

static void test_retry_after_seconds(void **state)
{
    assert_int_equal(retry_after_seconds_at(1.5, NOW), NOW + 1500);
    assert_int_equal(retry_after_seconds_at(1e12, NOW), NOW + 3600000);
    assert_int_equal(retry_after_seconds_at(-1, NOW), -1);
    assert_int_equal(retry_after_seconds_at(0.0 / 0.0, NOW), -1); /* NaN */
}

static void test_clamp(void **state)
{
    assert_int_equal(retry_after_clamp(-1, NOW), -1);
    assert_int_equal(retry_after_clamp(NOW, NOW), NOW + 1000);
    assert_int_equal(retry_after_clamp(NOW + 999, NOW), NOW + 1000);
    assert_int_equal(retry_after_clamp(NOW + 1000, NOW), NOW + 1000);
    assert_int_equal(retry_after_clamp(NOW + 60000, NOW), NOW + 60000);
    assert_int_equal(retry_after_clamp(NOW + 3600000, NOW), NOW + 3600000);
    assert_int_equal(retry_after_clamp(NOW + 3600001, NOW), NOW + 3600000);
    /* an HTTP date a day ahead is held to the hour */
    assert_int_equal(retry_after_clamp(retry_after_header_at("Fri, 02 Jan 2026 00:00:00 GMT", NOW),
                                       NOW),
                     NOW + 3600000);
    /* one in the past to the second */
    assert_int_equal(retry_after_clamp(retry_after_header_at("Wed, 31 Dec 2025 00:00:00 GMT", NOW),
                                       NOW),
                     NOW + 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_schedule),
        cmocka_unit_test(test_parse_schedule_refuses),
        cmocka_unit_test(test_jitter_bounds),
        cmocka_unit_test(test_next_follows_schedule),
        cmocka_unit_test(test_service_wait_wins),
        cmocka_unit_test(test_retry_after_header),
        cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_clamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
