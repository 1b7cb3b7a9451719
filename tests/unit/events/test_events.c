/* tests/unit/events/test_events.c - the event types table (src/events/types.def, types.c): every
 * type is found by name, alerts are flagged, and an event's data is checked against its
 * type's fields (missing required ones, wrong kinds; extra members are allowed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "events/events.h"

static int check(const char *type, const char *data_json, json_t **problems)
{
    json_t *data = data_json ? json_loads(data_json, 0, NULL) : NULL;
    *problems = json_array();
    int n = events_data_check(events_type_find(type), data, *problems);
    json_decref(data);
    return n;
}

static const char *problem(const json_t *problems, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(problems, i), key));
}

static void test_types_found_and_flagged(void **state)
{
    (void)state;
    size_t n = 0;
    const struct event_type *all = events_types(&n);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(events_type_find(all[i].name), &all[i]);
        assert_non_null(all[i].description);
        assert_non_null(all[i].fields);
    }
    assert_true(events_type_find("destination.paused")->flags & EVENT_ALERT);
    assert_true(events_type_find("destination.disabled")->flags & EVENT_ALERT);
    assert_false(events_type_find("payment.settled")->flags & EVENT_ALERT);
    assert_null(events_type_find("*"));
    assert_false(events_type_known("payment.teleported"));
    assert_true(events_subscription_valid("*"));
    assert_true(events_subscription_valid("destination.paused"));
}

static void test_names_without_alerts(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(events_type_names(&b, EVENT_ALERT), 0);
    assert_non_null(strstr(b.data, "payment.verified, payment.settled"));
    assert_null(strstr(b.data, "destination."));
    buf_free(&b);
}

static void test_missing_data(void **state)
{
    (void)state;
    json_t *p;
    assert_int_equal(check("payment.verified", NULL, &p), 3);
    assert_string_equal(problem(p, 0, "field"), "data.provider");
    assert_string_equal(problem(p, 0, "code"), "required");
    assert_string_equal(problem(p, 1, "field"), "data.amount");
    assert_string_equal(problem(p, 2, "field"), "data.currency");
    assert_non_null(strstr(problem(p, 2, "message"), "ISO 4217"));
    json_decref(p);
}

static void test_kinds(void **state)
{
    (void)state;
    json_t *p;
    /* a valid payment, with a member of its own */
    assert_int_equal(check("payment.settled",
                           "{\"provider\":\"stripe\",\"amount\":\"99.00\",\"currency\":\"EUR\","
                           "\"amountMinor\":9900,\"mine\":[1]}", &p), 0);
    json_decref(p);
    static const char *const bad_amounts[] = {"99", "\"\"", "\"99.\"", "\".5\"", "\"1e3\"",
                                              "\"-\"", "\"9 9\"", "null"};
    for (size_t i = 0; i < sizeof bad_amounts / sizeof bad_amounts[0]; i++) {
        char data[160];
        snprintf(data, sizeof data,
                 "{\"provider\":\"stripe\",\"amount\":%s,\"currency\":\"EUR\"}", bad_amounts[i]);
        assert_int_equal(check("payment.settled", data, &p), 1);
        assert_string_equal(problem(p, 0, "field"), "data.amount");
        assert_string_equal(problem(p, 0, "code"), "wrong_type");
        json_decref(p);
    }
    assert_int_equal(check("payment.failed",
                           "{\"provider\":\"x\",\"amount\":\"-1.5\",\"currency\":\"eur\","
                           "\"amountMinor\":1.5,\"party\":\"p\"}", &p), 3);
    assert_string_equal(problem(p, 0, "field"), "data.currency");
    assert_string_equal(problem(p, 1, "field"), "data.amountMinor");
    assert_string_equal(problem(p, 2, "field"), "data.party");
    json_decref(p);
    /* host application events: nothing required */
    assert_int_equal(check("endpoint.created", "{}", &p), 0);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_found_and_flagged),
        cmocka_unit_test(test_names_without_alerts),
        cmocka_unit_test(test_missing_data),
        cmocka_unit_test(test_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
