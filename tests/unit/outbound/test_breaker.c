/* tests/unit/outbound/test_breaker.c - the circuit breaker's transitions (src/outbound/breaker.c):
 * closed to open after N failures in a row (the pause alert), one half-open probe at a
 * time, closed again by a success, and disabled after failing long enough (the disable
 * alert, once). Times are the test's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>

#include "outbound/breaker.h"

#define T0 1767225600000LL
#define HOUR 3600000LL

static const struct breaker_policy policy = {.failures = 3, .open_ms = 30000,
                                             .disable_after_ms = 72 * HOUR};

static void test_opens_after_n_failures(void **state)
{
    struct breaker b = {0};
    struct breaker_change c;
    for (int i = 1; i <= 2; i++) {
        c = breaker_failure(&b, &policy, T0 + i);
        assert_false(c.opened);
        assert_int_equal(b.failures, i);
        assert_int_equal(b.open_until_ms, 0);
        assert_true(breaker_allows(&b, T0 + i));
    }
    c = breaker_failure(&b, &policy, T0 + 3);
    assert_true(c.opened); /* the alert: paused */
    assert_false(c.disabled);
    assert_int_equal(b.open_until_ms, T0 + 3 + 30000);
    assert_false(breaker_allows(&b, T0 + 4));
    assert_int_equal(breaker_hold_until(&b, T0 + 4), T0 + 3 + 30000);
    assert_int_equal(b.failing_since_ms, T0 + 1);
    assert_int_equal(b.last_failure_ms, T0 + 3);
}

static void test_success_resets_the_count(void **state)
{
    struct breaker b = {0};
    breaker_failure(&b, &policy, T0);
    breaker_failure(&b, &policy, T0 + 1);
    struct breaker_change c = breaker_success(&b, T0 + 2);
    assert_false(c.closed); /* it was never open */
    assert_int_equal(b.failures, 0);
    assert_int_equal(b.failing_since_ms, 0);
    assert_int_equal(b.last_success_ms, T0 + 2);
    assert_false(breaker_failure(&b, &policy, T0 + 3).opened);
}

static void test_half_open_probe(void **state)
{
    struct breaker b = {0};
    for (int i = 0; i < 3; i++)
        breaker_failure(&b, &policy, T0);
    int64_t reopen = T0 + 30000;
    assert_false(breaker_allows(&b, reopen - 1));
    /* the open time is over: one request probes, the others wait a second */
    assert_true(breaker_allows(&b, reopen));
    assert_true(b.probing);
    assert_false(breaker_allows(&b, reopen + 1));
    assert_int_equal(breaker_hold_until(&b, reopen + 1), reopen + 1 + BREAKER_PROBE_WAIT_MS);
    /* a probe that could not be sent frees the slot */
    breaker_release_probe(&b);
    assert_true(breaker_allows(&b, reopen + 2));
    /* the probe fails: open again for the open time, with no second pause alert */
    struct breaker_change c = breaker_failure(&b, &policy, reopen + 10);
    assert_false(c.opened);
    assert_false(b.probing);
    assert_int_equal(b.open_until_ms, reopen + 10 + 30000);
    assert_int_equal(b.failures, 4);
    /* the next probe is delivered: closed */
    assert_true(breaker_allows(&b, reopen + 10 + 30000));
    c = breaker_success(&b, reopen + 10 + 30001);
    assert_true(c.closed);
    assert_int_equal(b.open_until_ms, 0);
    assert_false(b.probing);
    assert_true(breaker_allows(&b, reopen + 10 + 30002));
    assert_true(breaker_allows(&b, reopen + 10 + 30002)); /* closed: no probe limit */
}

static void test_disabled_after_failing_long_enough(void **state)
{
    struct breaker b = {0};
    struct breaker_change c = breaker_failure(&b, &policy, T0);
    for (int64_t t = T0 + HOUR; t < T0 + 72 * HOUR; t += HOUR) {
        c = breaker_failure(&b, &policy, t);
        assert_false(c.disabled);
    }
    c = breaker_failure(&b, &policy, T0 + 72 * HOUR);
    assert_true(c.disabled); /* the alert: disabled */
    assert_int_equal(c.failing_since_ms, T0);
    /* not again while the remaining deliveries drain */
    c = breaker_failure(&b, &policy, T0 + 72 * HOUR + 1);
    assert_false(c.disabled);
    assert_int_equal(b.failing_since_ms, T0 + 72 * HOUR);
}

static void test_pause_and_disable_together(void **state)
{
    /* a policy that disables at once: the failure that opens also disables */
    const struct breaker_policy quick = {.failures = 1, .open_ms = 1000, .disable_after_ms = 0};
    struct breaker b = {0};
    struct breaker_change c = breaker_failure(&b, &quick, T0);
    assert_true(c.opened);
    assert_true(c.disabled);
}

static void test_reset_and_registry(void **state)
{
    struct breakers bs = {0};
    struct breaker *a = breaker_for(&bs, "con_a");
    assert_non_null(a);
    for (int i = 0; i < 3; i++)
        breaker_failure(a, &policy, T0);
    assert_true(breaker_for(&bs, "con_a") == a);
    /* many destinations: the registry grows, each keeps its own state */
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "con_%d", i);
        assert_non_null(breaker_for(&bs, id));
    }
    a = breaker_for(&bs, "con_a");
    assert_int_equal(a->failures, 3);
    assert_int_equal(breaker_for(&bs, "con_7")->failures, 0);
    breaker_reset(a);
    assert_string_equal(a->connector_id, "con_a");
    assert_int_equal(a->failures, 0);
    assert_int_equal(a->open_until_ms, 0);
    assert_true(breaker_allows(a, T0));
    assert_true(breaker_allows(NULL, T0)); /* no breaker (out of memory): never holds back */
    breaker_reset(NULL);
    breaker_release_probe(NULL);
    breakers_free(&bs);
    assert_int_equal(bs.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_after_n_failures),
        cmocka_unit_test(test_success_resets_the_count),
        cmocka_unit_test(test_half_open_probe),
        cmocka_unit_test(test_disabled_after_failing_long_enough),
        cmocka_unit_test(test_pause_and_disable_together),
        cmocka_unit_test(test_reset_and_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
