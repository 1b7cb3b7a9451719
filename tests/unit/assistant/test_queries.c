/* tests/unit/assistant/test_queries.c - the assistant's read queries (src/assistant/queries.c):
 * every query runs on a migrated store of the run's backend (SQLite, or PostgreSQL with
 * CONNECTORD_TEST_DB) and answers in its documented shape; arguments are checked; periods
 * parse to their first and last day. The figures themselves are proven end to end
 * (tests/e2e/chat-answers.test.js). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "assistant/queries.h"
#include "store/store.h"
#include "teststore.h"

static int setup(void **state)
{
    struct teststore *ts = calloc(1, sizeof *ts);
    struct error err = {0};
    if (!ts || teststore_open(ts, "assistant", 2, &err) < 0 ||
        store_migrate(ts->store, NULL, &err) < 0) {
        free(ts);
        return -1;
    }
    *state = ts;
    return 0;
}

static int teardown(void **state)
{
    struct teststore *ts = *state;
    teststore_close(ts);
    free(ts);
    return 0;
}

static json_t *run(struct store *s, const char *name, const char *args_text, int expect_rc,
                   enum err_code expect_code)
{
    struct error err = {0};
    json_t *args = args_text ? json_loads(args_text, 0, NULL) : NULL;
    json_t *out = NULL;
    int rc = assistant_query_run(s, "ten_none", name, args, &out, &err);
    json_decref(args);
    if (rc != expect_rc)
        fail_msg("%s: rc %d, %s", name, rc, err.message);
    if (rc < 0)
        assert_int_equal(err.code, expect_code);
    return out;
}

static void every_query_runs(void **state)
{
    struct teststore *ts = *state;
    size_t n;
    const struct assistant_query *q = assistant_queries(&n);
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++) {
        const char *args = strcmp(q[i].name, "find_invoice") == 0
                               ? "{\"number\":\"RE-1\",\"amount\":\"12.50\",\"party\":\"a%b\"}"
                               : NULL;
        json_t *out = run(ts->store, q[i].name, args, 0, ERR_OK);
        assert_string_equal(json_string_value(json_object_get(out, "query")), q[i].name);
        json_t *schema = json_loads(q[i].input_schema, 0, NULL);
        assert_non_null(schema);
        json_decref(schema);
        json_decref(out);
    }
    json_t *vat = run(ts->store, "vat_due", "{\"period\":\"2026-Q1\"}", 0, ERR_OK);
    assert_string_equal(json_string_value(json_object_get(vat, "from")), "2026-01-01");
    assert_string_equal(json_string_value(json_object_get(vat, "to")), "2026-03-31");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(vat, "due"), "value")), "0.00");
    json_decref(vat);
}

static void arguments_are_checked(void **state)
{
    struct teststore *ts = *state;
    run(ts->store, "nope", NULL, -1, ERR_NOT_FOUND);
    run(ts->store, "revenue", "{\"limit\":3}", -1, ERR_VALIDATION);
    run(ts->store, "revenue", "{\"period\":\"2026-13\"}", -1, ERR_VALIDATION);
    run(ts->store, "revenue", "{\"from\":\"2026-02-30\"}", -1, ERR_VALIDATION);
    run(ts->store, "revenue", "{\"from\":\"2026-03-01\",\"to\":\"2026-02-01\"}", -1,
        ERR_VALIDATION);
    run(ts->store, "open_invoices", "{\"limit\":0}", -1, ERR_VALIDATION);
    run(ts->store, "find_invoice", "{}", -1, ERR_VALIDATION);
    run(ts->store, "find_invoice", "{\"amount\":\"1.234\"}", -1, ERR_VALIDATION);
    run(ts->store, "find_invoice", "{\"amount\":\"1\",\"currency\":\"XXQ\"}", -1, ERR_VALIDATION);
}

static void periods_parse(void **state)
{
    (void)state;
    char from[11], to[11];
    assert_true(assistant_period_parse("2024-02", from, to));
    assert_string_equal(to, "2024-02-29");
    assert_true(assistant_period_parse("2026-Q4", from, to));
    assert_string_equal(from, "2026-10-01");
    assert_string_equal(to, "2026-12-31");
    assert_true(assistant_period_parse("2025", from, to));
    assert_string_equal(to, "2025-12-31");
    assert_false(assistant_period_parse("2025-Q5", from, to));
    assert_false(assistant_period_parse("20x5", from, to));
    assert_false(assistant_period_parse("2025-00", from, to));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_query_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(arguments_are_checked, setup, teardown),
        cmocka_unit_test(periods_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
