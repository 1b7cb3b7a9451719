/* tests/unit/inbound/test_provider_klarna.c - src/inbound/providers/klarna.c.
 *
 * Verification fetches the order from a local stand-in for Klarna's order management API
 * on a plain http://127.0.0.1:PORT base, with HTTP Basic (the apiKey setting and the
 * apiSecret secret); the order id comes from a Checkout push's query string or a Payments
 * notification's JSON. Parse is checked on hand-made orders shaped like Klarna's
 * MerchantOrderDto: amounts in minor units, refunds as credit notes. */
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

#define USER "PK12345_0a1b2c3d4e5f"
#define PASSWORD "klarna-secret-1"
/* base64("PK12345_0a1b2c3d4e5f:klarna-secret-1") */
#define BASIC "Basic UEsxMjM0NV8wYTFiMmMzZDRlNWY6a2xhcm5hLXNlY3JldC0x"
#define ORDER_ID "f3392f8b-6116-4073-ab96-e330819e2c07"
#define ORDER_PATH "/ordermanagement/v1/orders/" ORDER_ID

static struct mock_http server;
static const struct provider *klarna;

static const char captured_order[] =
    "{\"order_id\":\"" ORDER_ID "\",\"status\":\"CAPTURED\",\"fraud_status\":\"ACCEPTED\","
    "\"order_amount\":50000,\"original_order_amount\":50000,\"captured_amount\":50000,"
    "\"refunded_amount\":2500,\"purchase_currency\":\"EUR\",\"purchase_country\":\"DE\","
    "\"created_at\":\"2026-03-22T14:30:00.000Z\",\"merchant_reference1\":\"ORDER-4711\","
    "\"klarna_reference\":\"2b4d6f8a\",\"billing_address\":{\"given_name\":\"Erika\","
    "\"family_name\":\"Mustermann\",\"email\":\"erika@example.com\"},"
    "\"captures\":[{\"capture_id\":\"4ba29b50-be7b-44f5-a492-113e6a865e22\","
    "\"captured_amount\":50000,\"captured_at\":\"2026-03-22T15:00:00.000Z\"}],"
    "\"refunds\":[{\"refund_id\":\"b2cb1a8a-5ab5-4a0f-9cb1-6b6a9e6bbd8b\","
    "\"refunded_amount\":2500,\"refunded_at\":\"2026-03-24T09:00:00.000Z\"}]}";

static int setup(void **state)
{
    (void)state;
    klarna = provider_find("klarna");
    if (!klarna || httpc_global_init() < 0 || mock_start(&server) < 0)
        return -1;
    mock_route(&server, ORDER_PATH, 200, captured_order, BASIC);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mock_stop(&server);
    httpc_global_cleanup();
    return 0;
}

/* A notification with `body` and, when set, ?klarna_order_id=query_id. */
static enum verify_result verify(const char *body, const char *query_id, const char *config,
                                 const char *password, json_t **st, struct error *err)
{
    struct fake_request req;
    struct fake_install inst;
    fake_request_init(&req, body, 0);
    if (query_id)
        fake_set(req.query, "klarna_order_id", query_id);
    fake_install_init(&inst, config, server.base);
    if (password)
        fake_set(inst.secrets, "apiSecret", password);
    enum verify_result r = provider_verify(klarna, &req.req, &inst.inst, st, err);
    fake_install_free(&inst);
    return r;
}

static const char config[] = "{\"apiKey\": \"" USER "\"}";

static int parse_state(const json_t *st, struct payment_list *list, struct error *err)
{
    struct fake_request req;
    fake_request_init(&req, "", 0);
    return provider_parse(klarna, &req.req, st, list, err);
}

static void test_checkout_push_fetches_order(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    struct payment_list list = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify("", ORDER_ID, config, PASSWORD, &st, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 1);
    assert_string_equal(server.last_path, ORDER_PATH);
    assert_string_equal(server.last_auth, BASIC);

    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 2);
    const struct payment *p = &list.items[0];
    assert_int_equal(p->kind, PAYMENT_SETTLED);
    assert_string_equal(p->event, "payment.paid");
    assert_string_equal(p->external_id, ORDER_ID);
    assert_string_equal(p->invoice_number, "ORDER-4711");
    assert_string_equal(p->date, "2026-03-22");
    assert_int_equal(p->amount.minor, 50000);
    assert_string_equal(p->amount.currency, "EUR");
    assert_string_equal(p->customer_email, "erika@example.com");
    assert_string_equal(p->customer_name, "Erika Mustermann");
    const struct payment *r = &list.items[1];
    assert_int_equal(r->kind, PAYMENT_REFUNDED);
    assert_string_equal(r->event, "refund.created");
    assert_string_equal(r->external_id, "b2cb1a8a-5ab5-4a0f-9cb1-6b6a9e6bbd8b");
    assert_string_equal(r->refunded_external_id, ORDER_ID);
    assert_int_equal(r->amount.minor, 2500);
    assert_string_equal(r->date, "2026-03-24");
    /* a credit note has no merchant reference of its own: the wrapper uses its id */
    assert_string_equal(r->invoice_number, r->external_id);
    payment_list_free(&list);
    json_decref(st);
}

static void test_payments_notification_json(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    assert_int_equal(verify("{\"order_id\":\"" ORDER_ID "\",\"event_type\":\"FRAUD_RISK_ACCEPTED\"}",
                            NULL, config, PASSWORD, &st, &err),
                     VERIFY_OK);
    json_decref(st);
}

static void test_not_genuine(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    static const char other[] = "{\"order_id\":\"00000000-0000-0000-0000-000000000000\","
                                "\"status\":\"CAPTURED\"}";
    assert_int_equal(verify("", ORDER_ID, config, "wrong", &st, &err), VERIFY_INVALID);
    assert_int_equal(verify("", "8a1b7c6d-0000-4000-8000-000000000000", config, PASSWORD, &st,
                            &err),
                     VERIFY_INVALID);
    mock_route(&server, "/ordermanagement/v1/orders/answers-other", 200, other, BASIC);
    assert_int_equal(verify("", "answers-other", config, PASSWORD, &st, &err), VERIFY_INVALID);
    assert_null(st);
}

static void test_bad_or_missing_ids_are_not_fetched(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify("", NULL, config, PASSWORD, &st, &err), VERIFY_INVALID);
    assert_int_equal(verify("", "", config, PASSWORD, &st, &err), VERIFY_INVALID);
    assert_int_equal(verify("", "../acknowledge", config, PASSWORD, &st, &err), VERIFY_INVALID);
    assert_int_equal(verify("", "a/b", config, PASSWORD, &st, &err), VERIFY_INVALID);
    assert_int_equal(verify("", "f3392f8b-6116-4073-ab96-e330819e2c07-f3392f8b-6116-4073-ab96-"
                                "e330819e2c07",
                            config, PASSWORD, &st, &err),
                     VERIFY_INVALID);
    assert_int_equal(verify("{\"order_id\": 5}", NULL, config, PASSWORD, &st, &err),
                     VERIFY_INVALID);
    assert_int_equal(mock_hits(&server), before);
}

static void test_missing_credentials_are_an_error(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify("", ORDER_ID, "{}", PASSWORD, &st, &err), VERIFY_ERROR);
    assert_int_equal(err.code, ERR_CONFIG);
    assert_int_equal(verify("", ORDER_ID, config, NULL, &st, &err), VERIFY_ERROR);
    assert_int_equal(mock_hits(&server), before);
}

static void test_default_api_base(void **state)
{
    (void)state;
    assert_string_equal(klarna->default_api_base, "https://api.klarna.com");
    assert_true(klarna->caps & PROVIDER_CAP_FETCHBACK);
}

/* ---- parse of other states ---------------------------------------------------------- */

static void expect_order(const char *status, const char *fraud, int64_t captured,
                         enum payment_kind kind, const char *event, int64_t amount)
{
    char text[512];
    struct payment_list list = {0};
    struct error err = {0};
    snprintf(text, sizeof text,
             "{\"order_id\":\"" ORDER_ID "\",\"status\":\"%s\",\"fraud_status\":\"%s\","
             "\"order_amount\":12000,\"captured_amount\":%lld,\"purchase_currency\":\"SEK\","
             "\"created_at\":\"2026-03-22T14:30:00Z\"}",
             status, fraud, (long long)captured);
    json_t *st = json_loads(text, 0, NULL);
    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].kind, kind);
    assert_string_equal(list.items[0].event, event);
    if (kind != PAYMENT_IGNORED) {
        assert_int_equal(list.items[0].amount.minor, amount);
        assert_string_equal(list.items[0].amount.currency, "SEK");
    }
    payment_list_free(&list);
    json_decref(st);
}

static void test_parse_states(void **state)
{
    (void)state;
    expect_order("AUTHORIZED", "ACCEPTED", 0, PAYMENT_SETTLED, "payment.paid", 12000);
    expect_order("PART_CAPTURED", "ACCEPTED", 5000, PAYMENT_SETTLED, "payment.paid", 12000);
    expect_order("CLOSED", "ACCEPTED", 5000, PAYMENT_SETTLED, "payment.paid", 5000);
    expect_order("CLOSED", "ACCEPTED", 0, PAYMENT_IGNORED, "order.CLOSED", 0);
    expect_order("AUTHORIZED", "PENDING", 0, PAYMENT_IGNORED, "order.AUTHORIZED", 0);
    expect_order("AUTHORIZED", "REJECTED", 0, PAYMENT_FAILED, "payment.failed", 12000);
    expect_order("CANCELLED", "ACCEPTED", 0, PAYMENT_FAILED, "payment.failed", 12000);
    expect_order("EXPIRED", "ACCEPTED", 0, PAYMENT_FAILED, "payment.expired", 12000);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const states[] = {
        "{\"status\":\"CAPTURED\"}",
        "{\"order_id\":\"" ORDER_ID "\",\"status\":\"CAPTURED\",\"fraud_status\":\"ACCEPTED\","
        "\"order_amount\":\"500.00\",\"purchase_currency\":\"EUR\","
        "\"created_at\":\"2026-03-22T14:30:00Z\"}",
        "{\"order_id\":\"" ORDER_ID "\",\"status\":\"CAPTURED\",\"fraud_status\":\"ACCEPTED\","
        "\"order_amount\":50000,\"purchase_currency\":\"EUR\"}",
        "{\"order_id\":\"" ORDER_ID "\",\"status\":\"CAPTURED\",\"fraud_status\":\"ACCEPTED\","
        "\"order_amount\":50000,\"purchase_currency\":\"EUR\","
        "\"created_at\":\"2026-03-22T14:30:00Z\",\"refunds\":[{\"refunded_amount\":100}]}",
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
        cmocka_unit_test(test_checkout_push_fetches_order),
        cmocka_unit_test(test_payments_notification_json),
        cmocka_unit_test(test_not_genuine),
        cmocka_unit_test(test_bad_or_missing_ids_are_not_fetched),
        cmocka_unit_test(test_missing_credentials_are_an_error),
        cmocka_unit_test(test_default_api_base),
        cmocka_unit_test(test_parse_states),
        cmocka_unit_test(test_parse_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
