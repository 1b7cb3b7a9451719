/* tests/unit/inbound/test_provider_mollie.c - src/inbound/providers/mollie.c.
 *
 * Verification fetches from a local stand-in for Mollie's API on a plain
 * http://127.0.0.1:PORT base, as the install's apiBaseUrl would point it: the payment named
 * by the posted id is fetched with the API key as Bearer token, refunds are fetched when
 * the payment reports some, and a 404, a wrong key or an answer about another payment is
 * not genuine. Ids of the wrong shape are refused without a request. Parse is checked on
 * hand-made payments shaped like Mollie's answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fakewebhook.h"
#include "httpc/httpc.h"
#include "inbound/provider.h"
#include "mockhttp.h"

#define KEY "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
#define BEARER "Bearer " KEY

static struct mock_http server;
static const struct provider *mollie;

static const char paid_payment[] =
    "{\"resource\":\"payment\",\"id\":\"tr_WDqYK6vllg\",\"mode\":\"test\",\"status\":\"paid\","
    "\"amount\":{\"value\":\"99.00\",\"currency\":\"EUR\"},\"amountRefunded\":{\"value\":"
    "\"0.00\",\"currency\":\"EUR\"},\"description\":\"Order #12345\",\"method\":\"ideal\","
    "\"createdAt\":\"2026-03-21T23:59:00+00:00\",\"paidAt\":\"2026-03-22T14:30:00+00:00\","
    "\"profileId\":\"pfl_QkEhN94Ba\",\"customerId\":\"cst_8wmqcHMN4U\","
    "\"billingAddress\":{\"email\":\"jane@example.com\",\"givenName\":\"Jane\","
    "\"familyName\":\"Doe\"},\"details\":{\"consumerName\":\"J. Doe\"}}";

/* amountRefunded above zero and no embedded refunds: verify must fetch them */
static const char refunded_payment[] =
    "{\"resource\":\"payment\",\"id\":\"tr_Refunded01\",\"status\":\"paid\","
    "\"amount\":{\"value\":\"99.00\",\"currency\":\"EUR\"},\"amountRefunded\":{\"value\":"
    "\"15.50\",\"currency\":\"EUR\"},\"paidAt\":\"2026-03-22T14:30:00+00:00\","
    "\"profileId\":\"pfl_QkEhN94Ba\"}";

static const char refund_list[] =
    "{\"count\":3,\"_embedded\":{\"refunds\":["
    "{\"resource\":\"refund\",\"id\":\"re_4qqhO89gsT\",\"amount\":{\"currency\":\"EUR\","
    "\"value\":\"10.00\"},\"status\":\"refunded\",\"paymentId\":\"tr_Refunded01\","
    "\"createdAt\":\"2026-03-23T09:13:37+00:00\"},"
    "{\"resource\":\"refund\",\"id\":\"re_5B8cwPMGnU\",\"amount\":{\"currency\":\"EUR\","
    "\"value\":\"5.50\"},\"status\":\"pending\",\"paymentId\":\"tr_Refunded01\","
    "\"createdAt\":\"2026-03-24T08:00:00+00:00\"},"
    "{\"resource\":\"refund\",\"id\":\"re_Canceled01\",\"amount\":{\"currency\":\"EUR\","
    "\"value\":\"1.00\"},\"status\":\"canceled\",\"paymentId\":\"tr_Refunded01\","
    "\"createdAt\":\"2026-03-24T09:00:00+00:00\"}]}}";

static int setup(void **state)
{
    (void)state;
    mollie = provider_find("mollie");
    if (!mollie || httpc_global_init() < 0 || mock_start(&server) < 0)
        return -1;
    mock_route(&server, "/v2/payments/tr_WDqYK6vllg", 200, paid_payment, BEARER);
    mock_route(&server, "/v2/payments/tr_Refunded01", 200, refunded_payment, BEARER);
    mock_route(&server, "/v2/payments/tr_Refunded01/refunds", 200, refund_list, BEARER);
    mock_route(&server, "/v2/payments/tr_Other00001", 200, paid_payment, BEARER);
    mock_route(&server, "/v2/payments/tr_Broken0001", 500, "{}", BEARER);
    mock_route(&server, "/v2/payments/tr_NotJson001", 200, "<html>", BEARER);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mock_stop(&server);
    httpc_global_cleanup();
    return 0;
}

static enum verify_result verify_body(const char *body, const char *key, json_t **st,
                                      struct error *err)
{
    struct fake_request req;
    struct fake_install inst;
    fake_request_init(&req, body, 0);
    fake_install_init(&inst, "{}", server.base);
    if (key)
        fake_set(inst.secrets, "apiKey", key);
    enum verify_result r = provider_verify(mollie, &req.req, &inst.inst, st, err);
    fake_install_free(&inst);
    return r;
}

static int parse_state(const json_t *st, struct payment_list *list, struct error *err)
{
    struct fake_request req;
    fake_request_init(&req, "id=tr_ignored", 0); /* parse must not read it */
    return provider_parse(mollie, &req.req, st, list, err);
}

static void test_form_body_fetches_payment(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    struct payment_list list = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify_body("id=tr_WDqYK6vllg", KEY, &st, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 1);
    assert_string_equal(server.last_path, "/v2/payments/tr_WDqYK6vllg");
    assert_string_equal(server.last_auth, BEARER);

    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 1);
    const struct payment *p = &list.items[0];
    assert_int_equal(p->kind, PAYMENT_SETTLED);
    assert_string_equal(p->event, "payment.paid");
    assert_string_equal(p->external_id, "tr_WDqYK6vllg");
    assert_string_equal(p->date, "2026-03-22"); /* paidAt, not createdAt */
    assert_int_equal(p->amount.minor, 9900);
    assert_string_equal(p->amount.currency, "EUR");
    assert_string_equal(p->merchant_id, "pfl_QkEhN94Ba");
    assert_string_equal(p->customer_id, "cst_8wmqcHMN4U");
    assert_string_equal(p->customer_email, "jane@example.com");
    assert_string_equal(p->customer_name, "J. Doe");
    payment_list_free(&list);
    json_decref(st);
}

static void test_json_and_escaped_bodies(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    assert_int_equal(verify_body("{\"id\": \"tr_WDqYK6vllg\"}", KEY, &st, &err), VERIFY_OK);
    json_decref(st);
    assert_int_equal(verify_body("foo=1&id=tr%5FWDqYK6vllg&bar=2", KEY, &st, &err), VERIFY_OK);
    json_decref(st);
}

static void test_refunds_are_fetched_and_booked(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    struct payment_list list = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify_body("id=tr_Refunded01", KEY, &st, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 2);
    assert_string_equal(server.last_path, "/v2/payments/tr_Refunded01/refunds");
    assert_true(json_is_array(json_object_get(json_object_get(st, "_embedded"), "refunds")));

    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 3); /* the payment, two refunds; the canceled one moved nothing */
    assert_int_equal(list.items[0].kind, PAYMENT_SETTLED);
    assert_string_equal(list.items[0].external_id, "tr_Refunded01");
    const struct payment *r = &list.items[1];
    assert_int_equal(r->kind, PAYMENT_REFUNDED);
    assert_string_equal(r->event, "refund.created");
    assert_string_equal(r->external_id, "re_4qqhO89gsT");
    assert_string_equal(r->refunded_external_id, "tr_Refunded01");
    assert_int_equal(r->amount.minor, 1000);
    assert_string_equal(r->date, "2026-03-23");
    assert_string_equal(r->merchant_id, "pfl_QkEhN94Ba");
    assert_string_equal(list.items[2].external_id, "re_5B8cwPMGnU");
    assert_int_equal(list.items[2].amount.minor, 550);
    payment_list_free(&list);
    json_decref(st);
}

static void test_embedded_refunds_need_no_second_request(void **state)
{
    (void)state;
    static const char embedded[] =
        "{\"id\":\"tr_Embedded01\",\"status\":\"paid\",\"amount\":{\"value\":\"20.00\","
        "\"currency\":\"EUR\"},\"amountRefunded\":{\"value\":\"20.00\",\"currency\":\"EUR\"},"
        "\"paidAt\":\"2026-03-22T14:30:00+00:00\",\"_embedded\":{\"refunds\":[{\"id\":"
        "\"re_Embedded1\",\"status\":\"queued\",\"amount\":{\"value\":\"20.00\",\"currency\":"
        "\"EUR\"},\"createdAt\":\"2026-03-25T10:00:00+00:00\"}]}}";
    json_t *st = NULL;
    struct error err = {0};
    struct payment_list list = {0};
    mock_route(&server, "/v2/payments/tr_Embedded01", 200, embedded, BEARER);
    int before = mock_hits(&server);
    assert_int_equal(verify_body("id=tr_Embedded01", KEY, &st, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 1);
    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 2);
    assert_string_equal(list.items[1].external_id, "re_Embedded1");
    assert_int_equal(list.items[1].amount.minor, 2000);
    payment_list_free(&list);
    json_decref(st);
}

static void test_refund_list_failure_is_retryable(void **state)
{
    (void)state;
    static const char payment[] =
        "{\"id\":\"tr_NoRefunds1\",\"status\":\"paid\",\"amount\":{\"value\":\"20.00\","
        "\"currency\":\"EUR\"},\"amountRefunded\":{\"value\":\"1.00\",\"currency\":\"EUR\"},"
        "\"paidAt\":\"2026-03-22T14:30:00+00:00\"}";
    json_t *st = NULL;
    struct error err = {0};
    mock_route(&server, "/v2/payments/tr_NoRefunds1", 200, payment, BEARER);
    /* no route for its refunds: the mock answers 404 */
    assert_int_equal(verify_body("id=tr_NoRefunds1", KEY, &st, &err), VERIFY_ERROR);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_null(st);
}

static void test_not_genuine(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    /* unknown to Mollie (404), the wrong key (401), an answer about another payment */
    assert_int_equal(verify_body("id=tr_Unknown0001", KEY, &st, &err), VERIFY_INVALID);
    assert_int_equal(verify_body("id=tr_WDqYK6vllg", "test_wrong", &st, &err), VERIFY_INVALID);
    assert_int_equal(verify_body("id=tr_Other00001", KEY, &st, &err), VERIFY_INVALID);
    assert_non_null(strstr(err.message, "another payment"));
    assert_null(st);
}

static void test_bad_ids_are_not_fetched(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "",
        "id=",
        "foo=tr_WDqYK6vllg",
        "id=re_4qqhO89gsT", /* Mollie notifies refunds with the payment's id */
        "id=tr_",
        "id=tr_..%2F..%2Fv2%2Fpayments",
        "id=tr_WDqYK6vllg%00",
        "id=tr_abc%2",
        "id=tr_a b",
        "id=TR_WDqYK6vllg",
        "id=tr_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "{\"id\": 12}",
        "{\"id\": \"tr_x\", \"id\": \"tr_y\"}",
        "{\"payment\": \"tr_WDqYK6vllg\"}",
    };
    int before = mock_hits(&server);
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        json_t *st = NULL;
        struct error err = {0};
        assert_int_equal(verify_body(bodies[i], KEY, &st, &err), VERIFY_INVALID);
        assert_null(st);
    }
    assert_int_equal(mock_hits(&server), before);
}

static void test_unreachable_or_broken_api(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    struct fake_request req;
    struct fake_install inst;
    assert_int_equal(verify_body("id=tr_Broken0001", KEY, &st, &err), VERIFY_ERROR);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_int_equal(verify_body("id=tr_NotJson001", KEY, &st, &err), VERIFY_ERROR);
    assert_int_equal(err.code, ERR_UNAVAILABLE);

    fake_request_init(&req, "id=tr_WDqYK6vllg", 0);
    fake_install_init(&inst, "{}", "http://127.0.0.1:1"); /* nothing listens there */
    fake_set(inst.secrets, "apiKey", KEY);
    assert_int_equal(provider_verify(mollie, &req.req, &inst.inst, &st, &err), VERIFY_ERROR);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    fake_install_free(&inst);
    assert_null(st);
}

static void test_missing_api_key_is_an_error(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify_body("id=tr_WDqYK6vllg", NULL, &st, &err), VERIFY_ERROR);
    assert_int_equal(mock_hits(&server), before);
}

static void test_default_api_base(void **state)
{
    (void)state;
    assert_string_equal(mollie->default_api_base, "https://api.mollie.com");
    assert_true(mollie->caps & PROVIDER_CAP_FETCHBACK);
}

/* ---- parse of other statuses ------------------------------------------------------- */

static void expect_status(const char *status, enum payment_kind kind, const char *event)
{
    char text[512];
    struct payment_list list = {0};
    struct error err = {0};
    snprintf(text, sizeof text,
             "{\"id\":\"tr_WDqYK6vllg\",\"status\":\"%s\",\"amount\":{\"value\":\"1500\","
             "\"currency\":\"JPY\"},\"createdAt\":\"2026-03-20T10:00:00+00:00\","
             "\"expiredAt\":\"2026-03-21T10:00:00+00:00\"}",
             status);
    json_t *st = json_loads(text, 0, NULL);
    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].kind, kind);
    assert_string_equal(list.items[0].event, event);
    if (kind == PAYMENT_FAILED) {
        assert_int_equal(list.items[0].amount.minor, 1500);
        assert_string_equal(list.items[0].amount.currency, "JPY");
    }
    payment_list_free(&list);
    json_decref(st);
}

static void test_parse_statuses(void **state)
{
    (void)state;
    expect_status("expired", PAYMENT_FAILED, "payment.expired");
    expect_status("failed", PAYMENT_FAILED, "payment.failed");
    expect_status("canceled", PAYMENT_FAILED, "payment.failed");
    expect_status("open", PAYMENT_IGNORED, "payment.open");
    expect_status("pending", PAYMENT_IGNORED, "payment.pending");
    expect_status("authorized", PAYMENT_IGNORED, "payment.authorized");
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const states[] = {
        "{\"status\":\"paid\"}",
        "{\"id\":\"tr_WDqYK6vllg\"}",
        "{\"id\":\"tr_WDqYK6vllg\",\"status\":\"paid\",\"paidAt\":\"2026-03-22T14:30:00Z\","
        "\"amount\":{\"value\":\"99.001\",\"currency\":\"EUR\"}}",
        "{\"id\":\"tr_WDqYK6vllg\",\"status\":\"paid\",\"paidAt\":\"2026-03-22T14:30:00Z\","
        "\"amount\":{\"value\":\"99.00\",\"currency\":\"XXY\"}}",
        "{\"id\":\"tr_WDqYK6vllg\",\"status\":\"paid\","
        "\"amount\":{\"value\":\"99.00\",\"currency\":\"EUR\"}}",
        "{\"id\":\"tr_WDqYK6vllg\",\"status\":\"paid\",\"paidAt\":\"2026-03-22T14:30:00Z\","
        "\"amount\":{\"value\":\"99.00\",\"currency\":\"EUR\"},\"_embedded\":{\"refunds\":"
        "[{\"id\":\"bogus\",\"status\":\"refunded\"}]}}",
    };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        struct payment_list list = {0};
        struct error err = {0};
        json_t *st = json_loads(states[i], 0, NULL);
        assert_non_null(st);
        assert_int_equal(parse_state(st, &list, &err), -1);
        payment_list_free(&list);
        json_decref(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_body_fetches_payment),
        cmocka_unit_test(test_json_and_escaped_bodies),
        cmocka_unit_test(test_refunds_are_fetched_and_booked),
        cmocka_unit_test(test_embedded_refunds_need_no_second_request),
        cmocka_unit_test(test_refund_list_failure_is_retryable),
        cmocka_unit_test(test_not_genuine),
        cmocka_unit_test(test_bad_ids_are_not_fetched),
        cmocka_unit_test(test_unreachable_or_broken_api),
        cmocka_unit_test(test_missing_api_key_is_an_error),
        cmocka_unit_test(test_default_api_base),
        cmocka_unit_test(test_parse_statuses),
        cmocka_unit_test(test_parse_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
