/* tests/unit/invoicing/test_compute.c - the arithmetic of invoices from time entries
 * (src/invoicing/compute.c): rounding of minutes, a line's net, the tax, lines per project
 * and rate or per entry, rate precedence and the entries without a rate, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "invoicing/invoicing.h"

static struct store_billable_entry entry(const char *id, const char *project, int64_t minutes)
{
    struct store_billable_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.id, sizeof e.id, "%s", id);
    snprintf(e.started_at, sizeof e.started_at, "2026-03-02T08:00:00.000Z");
    snprintf(e.project, sizeof e.project, "%s", project);
    snprintf(e.description, sizeof e.description, "work on %s", project);
    e.minutes = minutes;
    return e;
}

static void test_round_minutes(void **state)
{
    (void)state;
    assert_int_equal(invoicing_round_minutes(7, 0), 7);
    assert_int_equal(invoicing_round_minutes(7, 6), 12);
    assert_int_equal(invoicing_round_minutes(12, 6), 12);
    assert_int_equal(invoicing_round_minutes(1, 15), 15);
    assert_int_equal(invoicing_round_minutes(15, 15), 15);
    assert_int_equal(invoicing_round_minutes(16, 15), 30);
    assert_int_equal(invoicing_round_minutes(0, 15), 0);
}

static void test_line_net_half_up(void **state)
{
    (void)state;
    int64_t net = 0;
    assert_int_equal(invoicing_line_net(520, 8000, &net, NULL), 0);
    assert_int_equal(net, 69333); /* 69333.33 */
    assert_int_equal(invoicing_line_net(335, 8000, &net, NULL), 0);
    assert_int_equal(net, 44667); /* 44666.67 */
    assert_int_equal(invoicing_line_net(3, 10, &net, NULL), 0);
    assert_int_equal(net, 1); /* 0.5 rounds up */
    assert_int_equal(invoicing_line_net(1, 29, &net, NULL), 0);
    assert_int_equal(net, 0); /* 0.483 */
    struct error err = {0};
    assert_int_equal(invoicing_line_net(INVOICING_MAX_MINUTES, MONEY_MAX_MINOR, &net, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
}

static void test_tax(void **state)
{
    (void)state;
    assert_int_equal(invoicing_tax(114000, 2000), 22800);
    assert_int_equal(invoicing_tax(117600, 1900), 22344);
    assert_int_equal(invoicing_tax(5, 1000), 1);  /* 0.5 up */
    assert_int_equal(invoicing_tax(4, 1000), 0);  /* 0.4 down */
    assert_int_equal(invoicing_tax(114000, 0), 0);
}

static void test_lines_per_project_and_rate(void **state)
{
    (void)state;
    struct store_billable_entry es[] = {
        entry("a", "Website", 7), entry("b", "Support", 45), entry("c", "Website", 13),
        entry("d", "Website", 30),
    };
    es[3].has_rate = true;
    es[3].rate_minor = 12000;
    snprintf(es[3].currency, sizeof es[3].currency, "EUR");
    struct invoicing_rates r = {.currency = "EUR", .has_request = true, .request_minor = 8000};
    struct invoicing_built b;
    assert_int_equal(invoicing_build(es, 4, 6, false, &r, &b, NULL), 0);
    assert_int_equal(b.n_lines, 3);
    assert_string_equal(b.lines[0].description, "Website");
    assert_int_equal(b.lines[0].minutes, 12 + 18); /* 7 -> 12, 13 -> 18 */
    assert_int_equal(b.lines[0].entries, 2);
    assert_int_equal(b.lines[0].net_minor, 4000);
    assert_string_equal(b.lines[1].description, "Support");
    assert_int_equal(b.lines[1].minutes, 48);
    assert_int_equal(b.lines[1].net_minor, 6400);
    assert_int_equal(b.lines[2].rate_minor, 12000); /* the entry's own rate: a line of its own */
    assert_int_equal(b.lines[2].net_minor, 6000);
    assert_int_equal(b.net_minor, 16400);
    assert_int_equal(b.n_res, 4);
    assert_string_equal(b.res[2].time_entry_id, "c");
    assert_int_equal(b.res[2].line_no, 1);
    assert_int_equal(b.res[2].billed_minutes, 18);
    invoicing_built_free(&b);
}

static void test_lines_per_entry(void **state)
{
    (void)state;
    struct store_billable_entry es[] = {entry("a", "Website", 90), entry("b", "Website", 45)};
    snprintf(es[1].description, sizeof es[1].description, "two\nlines\tand a tab");
    struct invoicing_rates r = {.currency = "EUR", .has_default = true, .default_minor = 10000};
    struct invoicing_built b;
    assert_int_equal(invoicing_build(es, 2, 0, true, &r, &b, NULL), 0);
    assert_int_equal(b.n_lines, 2);
    assert_string_equal(b.lines[0].description, "2026-03-02 Website: work on Website");
    assert_int_equal(b.lines[0].net_minor, 15000);
    assert_int_equal(b.lines[1].net_minor, 7500);
    assert_string_equal(b.lines[1].description, "2026-03-02 Website: two lines and a tab");
    invoicing_built_free(&b);
}

static void test_missing_rates(void **state)
{
    (void)state;
    struct store_billable_entry es[] = {entry("a", "X", 60), entry("b", "X", 60),
                                        entry("c", "X", 60)};
    es[1].has_rate = true;
    es[1].rate_minor = 5000;
    es[2].has_rate = true;
    es[2].rate_minor = 5000;
    snprintf(es[2].currency, sizeof es[2].currency, "USD");
    struct invoicing_rates r = {.currency = "EUR"};
    struct invoicing_built b;
    assert_int_equal(invoicing_build(es, 3, 0, false, &r, &b, NULL), 0);
    assert_int_equal(b.n_missing, 2);
    assert_string_equal(b.missing[0].entry_id, "a");
    assert_string_equal(b.missing[1].entry_id, "c");
    assert_non_null(strstr(b.missing[1].reason, "currency"));
    invoicing_built_free(&b);
}

static void test_minutes_out_of_range(void **state)
{
    (void)state;
    struct store_billable_entry es[] = {entry("a", "X", INVOICING_MAX_MINUTES + 1)};
    struct invoicing_rates r = {.currency = "EUR", .has_request = true, .request_minor = 1};
    struct invoicing_built b;
    struct error err = {0};
    assert_int_equal(invoicing_build(es, 1, 0, false, &r, &b, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_minutes),
        cmocka_unit_test(test_line_net_half_up),
        cmocka_unit_test(test_tax),
        cmocka_unit_test(test_lines_per_project_and_rate),
        cmocka_unit_test(test_lines_per_entry),
        cmocka_unit_test(test_missing_rates),
        cmocka_unit_test(test_minutes_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
