/* tests/unit/events/test_events.c - the event types table (src/events/types.def, types.c): every
 * type is found by name, alerts are flagged, an event's data is checked against its
 * type's fields (missing required ones, wrong kinds; extra members are allowed); the
 * builders and the reader (types.c) and subscriptions (subscription.c); the envelope's
 * text (publish.c) is the envelope's tree printed, with the stored data as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "store/outbox.h"

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

/* A stored eventTypes list takes the types it names, and "*" every type but the alerts. */
static void test_subscription_matches(void **state)
{
    (void)state;
    assert_true(events_subscription_matches("[\"*\"]", "payment.settled"));
    assert_true(events_subscription_matches("[\"*\"]", "revenue.daily_summary"));
    assert_false(events_subscription_matches("[\"*\"]", "destination.paused"));
    assert_true(events_subscription_matches("[\"*\",\"destination.paused\"]",
                                            "destination.paused"));
    assert_true(events_subscription_matches("[\"payment.failed\",\"payment.settled\"]",
                                            "payment.settled"));
    /* a name that only begins or ends like the type is another type */
    assert_false(events_subscription_matches("[\"payment.settled\"]", "payment.set"));
    assert_false(events_subscription_matches("[\"payment.verified\"]", "payment.settled"));
    assert_false(events_subscription_matches("[\"customer.milestone\"]", "customer.first_payment"));
    assert_false(events_subscription_matches("[]", "payment.settled"));
    assert_false(events_subscription_matches(NULL, "payment.settled"));
    /* an unknown type is never delivered */
    assert_false(events_subscription_matches("[\"*\"]", "payment.teleported"));
}

static char *parse(const char *json, const char *const *accepts, json_t **problem)
{
    json_t *v = json_loads(json, 0, NULL);
    char *text = events_subscription_parse(v, "slack", accepts, problem);
    json_decref(v);
    return text;
}

/* eventTypes as requested, and "*" stored as what a destination accepts. */
static void test_subscription_parse(void **state)
{
    (void)state;
    static const char *const only_settled[] = {"payment.settled", NULL};
    json_t *problem = NULL;
    char *text = parse("[\"*\"]", NULL, &problem);
    assert_string_equal(text, "[\"*\"]");
    free(text);
    text = parse("[\"*\"]", only_settled, &problem);
    assert_string_equal(text, "[\"payment.settled\"]");
    assert_true(events_subscription_matches(text, "payment.settled"));
    assert_false(events_subscription_matches(text, "payment.failed"));
    free(text);
    static const char *const refused[] = {"[]", "{}", "[\"payment.teleported\"]",
                                          "[\"payment.settled\",\"payment.settled\"]", "[1]"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_null(parse(refused[i], NULL, &problem));
        assert_string_equal(json_string_value(json_object_get(problem, "code")),
                            "invalid_event_type");
        json_decref(problem);
    }
    assert_null(parse("[\"payment.failed\"]", only_settled, &problem));
    assert_string_equal(json_string_value(json_object_get(problem, "message")),
                        "slack can use only payment.settled; not payment.failed");
    json_decref(problem);
}

/* A builder writes the type's fields that are set, in types.def's order, and nothing of
 * another type; what it writes passes its type's check and reads back the same. */
static void test_build_and_read(void **state)
{
    (void)state;
    struct error err = {0};
    struct event_data who = {.id = "cus_1", .name = "Ada", .email = "ada@example.com",
                             .role = "customer"};
    json_t *party = events_part_party(&who, &err);
    assert_non_null(party);
    struct event_data d = {.provider = "stripe", .amount = "99.00", .currency = "EUR",
                           .amount_minor = {.set = true, .value = 9900}, .party = party,
                           .threshold = "100.00" /* not a payment's field */};
    char *text = events_build_payment_settled(&d, &err);
    assert_non_null(text);
    assert_string_equal(text, "{\"provider\":\"stripe\",\"amount\":\"99.00\",\"currency\":"
                              "\"EUR\",\"amountMinor\":9900,\"party\":{\"id\":\"cus_1\",\"name\":"
                              "\"Ada\",\"email\":\"ada@example.com\",\"role\":\"customer\"}}");
    json_t *data = json_loads(text, 0, NULL), *problems = json_array();
    assert_int_equal(events_data_check(events_type_find("payment.settled"), data, problems), 0);
    struct event_data back;
    events_read(data, &back);
    assert_string_equal(back.provider, "stripe");
    assert_string_equal(back.amount, "99.00");
    assert_true(back.amount_minor.set);
    assert_int_equal(back.amount_minor.value, 9900);
    struct event_data back_party;
    events_read(back.party, &back_party);
    assert_string_equal(back_party.id, "cus_1");
    assert_string_equal(back_party.role, "customer");
    /* a part without a required member is not made */
    who.role = NULL;
    assert_null(events_part_party(&who, &err));
    assert_non_null(strstr(err.message, "role is required"));
    assert_null(back.threshold);
    assert_null(back.external_id);
    assert_false(back.test.set);
    json_decref(data);
    json_decref(problems);
    free(text);
    /* a required field not set: no data, and the error names it */
    d.currency = NULL;
    assert_null(events_build_payment_settled(&d, &err));
    assert_non_null(strstr(err.message, "currency is required"));
    /* text that is not UTF-8 cannot be JSON */
    d.currency = "EUR";
    d.provider = "\xff";
    assert_null(events_build(events_type_find("payment.failed"), &d, &err));
    json_decref(party);
}

/* Every type's builder writes exactly what jansson's compact dump of the same object (the
 * type's fields in order) is, with text that needs escaping in every string field: quotes,
 * backslashes, control characters, a slash, DEL and characters of two to four bytes. */
static void test_build_is_jansson_dump(void **state)
{
    (void)state;
    static const char tricky[] = "a\"b\\c\n\r\t\b\f\x01\x1f/\x7f "
                                 "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    json_t *all = json_object();
    for (int id = 0; id < EVENT_F_COUNT; id++) {
        json_t *v = NULL;
        switch (events_field_kind(id)) {
        case EVENT_FIELD_STRING: v = json_string(tricky); break;
        case EVENT_FIELD_DECIMAL: v = json_string("-12.50"); break;
        case EVENT_FIELD_CURRENCY: v = json_string("EUR"); break;
        case EVENT_FIELD_INTEGER: v = json_integer(INT64_MIN); break;
        case EVENT_FIELD_BOOLEAN: v = json_false(); break;
        case EVENT_FIELD_OBJECT:
            v = json_pack("{s:s, s:[I, b, n, f]}", "name", tricky, "list", (json_int_t)-7, 1, 0.1);
            break;
        case EVENT_FIELD_ARRAY: v = json_pack("[{s:s}, s]", "x", tricky, "y"); break;
        }
        assert_non_null(v);
        json_object_set_new(all, events_field_name(id), v);
    }
    struct event_data d;
    events_read(all, &d);
    size_t n_types = 0;
    const struct event_type *types = events_types(&n_types);
    for (size_t t = 0; t < n_types; t++) {
        struct error err = {0};
        char *text = events_build(&types[t], &d, &err);
        assert_non_null(text);
        json_t *expected = json_object();
        for (size_t i = 0; i < types[t].n_fields; i++) {
            const char *name = events_field_name(types[t].fields[i].id);
            json_object_set(expected, name, json_object_get(all, name));
        }
        char *dumped = json_dumps(expected, JSON_COMPACT);
        assert_string_equal(text, dumped);
        free(dumped);
        free(text);
        json_decref(expected);
    }
    /* A string field that is not UTF-8 fails the build, as json_string() refused it. */
    d.provider = "ok\xc3";
    struct error err = {0};
    assert_null(events_build(events_type_find("payment.settled"), &d, &err));
    assert_non_null(strstr(err.message, "provider is not UTF-8 text"));
    json_decref(all);
}

/* The reader takes each field whatever the type, and a member of another kind as absent. */
static void test_read_kinds(void **state)
{
    (void)state;
    json_t *data = json_loads("{\"amount\":12,\"amountMinor\":\"9900\",\"name\":\"n\","
                              "\"totals\":[],\"test\":true,\"consecutiveFailures\":3}", 0, NULL);
    struct event_data d;
    events_read(data, &d);
    assert_null(d.amount);
    assert_false(d.amount_minor.set);
    assert_string_equal(d.name, "n");
    assert_true(json_is_array(d.totals));
    assert_true(d.test.set && d.test.value);
    assert_true(d.consecutive_failures.set);
    assert_int_equal(d.consecutive_failures.value, 3);
    events_read(NULL, &d);
    assert_null(d.name);
    json_decref(data);
    assert_string_equal(events_field_name(EVENT_F_amount_minor), "amountMinor");
    assert_int_equal(events_field_kind(EVENT_F_currency), EVENT_FIELD_CURRENCY);
    assert_string_equal(events_type_find("destination.disabled")->title, "Destination turned off");
    assert_string_equal(events_type_find("payment.settled")->test_title, "[Test] Payment settled");
}

/* The text is put together around the stored data: it must be the tree's compact print
 * (the same members, in the same order), with quotes and controls in the ids escaped, and
 * the tenant standing in for a missing project. */
static void test_envelope_text(void **state)
{
    (void)state;
    struct event_record ev = {.data = "{\"amount\":\"1.50\",\"party\":{\"name\":\"Jos\u00e9 \\\"J\\\"\"}}"};
    snprintf(ev.id, sizeof ev.id, "evt_1");
    snprintf(ev.type, sizeof ev.type, "payment.settled");
    snprintf(ev.created_at, sizeof ev.created_at, "2026-01-02T03:04:05.678Z");
    snprintf(ev.tenant_id, sizeof ev.tenant_id, "ten_\"1\"\n");
    char *text = events_envelope(&ev);
    json_t *tree = events_envelope_json(&ev, NULL);
    char *printed = json_dumps(tree, JSON_COMPACT);
    assert_non_null(text);
    assert_string_equal(text, printed);
    assert_non_null(strstr(text, "\"projectId\":\"ten_\\\"1\\\"\\n\""));
    free(printed);
    json_decref(tree);
    free(text);

    snprintf(ev.project_id, sizeof ev.project_id, "prj_2");
    text = events_envelope(&ev);
    assert_non_null(strstr(text, "\"projectId\":\"prj_2\",\"data\":{\"amount\""));
    free(text);
    ev.data = NULL;
    assert_null(events_envelope(&ev));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_found_and_flagged),
        cmocka_unit_test(test_names_without_alerts),
        cmocka_unit_test(test_missing_data),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_subscription_matches),
        cmocka_unit_test(test_subscription_parse),
        cmocka_unit_test(test_build_and_read),
        cmocka_unit_test(test_build_is_jansson_dump),
        cmocka_unit_test(test_read_kinds),
        cmocka_unit_test(test_envelope_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
