/* tests/unit/inbound/test_provider_sumup.c - src/inbound/providers/sumup.c.
 *
 * Verification fetches the checkout from a local stand-in for SumUp's API on a plain
 * http://127.0.0.1:PORT base with the API key as Bearer token; a checkout of another
 * merchant than the install's is refused; other event types are acknowledged without a
 * request. Parse is checked on hand-made checkouts: amounts are JSON numbers in major
 * units, read exactly. */
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

#define KEY "sk_test_8bKhMGdW4vTe2w"
#define BEARER "Bearer " KEY
#define CHECKOUT_ID "4e425463-3e1b-431d-83fa-1e51c2925e99"
#define NOTIFICATION "{\"event_type\":\"CHECKOUT_STATUS_CHANGED\",\"id\":\"" CHECKOUT_ID "\"}"

static struct mock_http server;
static const struct provider *sumup;

static const char paid_checkout[] =
    "{\"id\":\"" CHECKOUT_ID "\",\"checkout_reference\":\"INV-2026-0042\",\"amount\":10.1,"
    "\"currency\":\"EUR\",\"merchant_code\":\"MH4H92C7\",\"merchant_name\":\"Cafe Blau\","
    "\"description\":\"Espresso\",\"status\":\"PAID\",\"date\":\"2026-03-21T23:50:00+00:00\","
    "\"customer_id\":\"cus_1\",\"transactions\":[{\"id\":"
    "\"410fc44a-5956-44e1-b5cc-19c6f8d727a4\",\"transaction_code\":\"TEENSK4W2K\","
    "\"amount\":10.1,\"currency\":\"EUR\",\"timestamp\":\"2026-03-22T00:05:00+00:00\","
    "\"status\":\"SUCCESSFUL\"},{\"id\":\"5b2a3c4d-0000-4000-8000-00000000beef\","
    "\"transaction_code\":\"TRF00001\",\"amount\":4,\"currency\":\"EUR\","
    "\"timestamp\":\"2026-03-25T10:00:00+00:00\",\"status\":\"REFUNDED\"}]}";

static int setup(void **state)
{
    (void)state;
    sumup = provider_find("sumup");
    if (!sumup || httpc_global_init() < 0 || mock_start(&server) < 0)
        return -1;
    mock_route(&server, "/v0.1/checkouts/" CHECKOUT_ID, 200, paid_checkout, BEARER);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mock_stop(&server);
    httpc_global_cleanup();
    return 0;
}

static enum verify_result verify(const char *body, const char *config, const char *key,
                                 json_t **st, struct error *err)
{
    struct fake_request req;
    struct fake_install inst;
    fake_request_init(&req, body, 0);
    fake_install_init(&inst, config, server.base);
    if (key)
        fake_set(inst.secrets, "apiKey", key);
    enum verify_result r = provider_verify(sumup, &req.req, &inst.inst, st, err);
    fake_install_free(&inst);
    return r;
}

static const char config[] = "{\"merchantCode\": \"MH4H92C7\"}";

static int parse_state(const json_t *st, struct payment_list *list, struct error *err)
{
    struct fake_request req;
    fake_request_init(&req, NOTIFICATION, 0);
    return provider_parse(sumup, &req.req, st, list, err);
}

static void test_notification_fetches_checkout(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    struct payment_list list = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify(NOTIFICATION, config, KEY, &st, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 1);
    assert_string_equal(server.last_path, "/v0.1/checkouts/" CHECKOUT_ID);
    assert_string_equal(server.last_auth, BEARER);

    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 2);
    const struct payment *p = &list.items[0];
    assert_int_equal(p->kind, PAYMENT_SETTLED);
    assert_string_equal(p->event, "payment.paid");
    assert_string_equal(p->external_id, CHECKOUT_ID);
    assert_string_equal(p->invoice_number, "INV-2026-0042");
    assert_string_equal(p->date, "2026-03-22"); /* the successful transaction's day */
    assert_int_equal(p->amount.minor, 1010);
    assert_string_equal(p->amount.currency, "EUR");
    assert_string_equal(p->merchant_id, "MH4H92C7");
    assert_string_equal(p->merchant_name, "Cafe Blau");
    assert_string_equal(p->customer_id, "cus_1");
    const struct payment *r = &list.items[1];
    assert_int_equal(r->kind, PAYMENT_REFUNDED);
    assert_string_equal(r->event, "refund.created");
    assert_string_equal(r->external_id, "5b2a3c4d-0000-4000-8000-00000000beef");
    assert_string_equal(r->refunded_external_id, CHECKOUT_ID);
    assert_int_equal(r->amount.minor, 400);
    assert_string_equal(r->date, "2026-03-25");
    payment_list_free(&list);
    json_decref(st);
}

static void test_without_merchant_code_setting(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    assert_int_equal(verify(NOTIFICATION, "{}", KEY, &st, &err), VERIFY_OK);
    json_decref(st);
}

static void test_not_genuine(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    assert_int_equal(verify(NOTIFICATION, config, "sk_test_wrong", &st, &err), VERIFY_INVALID);
    assert_int_equal(verify("{\"event_type\":\"CHECKOUT_STATUS_CHANGED\",\"id\":"
                            "\"00000000-0000-4000-8000-000000000000\"}",
                            config, KEY, &st, &err),
                     VERIFY_INVALID);
    assert_int_equal(verify(NOTIFICATION, "{\"merchantCode\": \"OTHER123\"}", KEY, &st, &err),
                     VERIFY_INVALID);
    assert_non_null(strstr(err.message, "MH4H92C7"));
    assert_null(st);
}

static void test_bad_ids_are_not_fetched(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"event_type\":\"CHECKOUT_STATUS_CHANGED\"}",
        "{\"event_type\":\"CHECKOUT_STATUS_CHANGED\",\"id\":\"\"}",
        "{\"event_type\":\"CHECKOUT_STATUS_CHANGED\",\"id\":\"../me\"}",
        "{\"event_type\":\"CHECKOUT_STATUS_CHANGED\",\"id\":7}",
        "not json",
        "",
    };
    int before = mock_hits(&server);
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        json_t *st = NULL;
        struct error err = {0};
        assert_int_equal(verify(bodies[i], config, KEY, &st, &err), VERIFY_INVALID);
    }
    assert_int_equal(mock_hits(&server), before);
}

static void test_other_event_types_are_acknowledged(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    struct payment_list list = {0};
    int before = mock_hits(&server);
    assert_int_equal(verify("{\"event_type\":\"SOMETHING_NEW\",\"id\":\"x\"}", config, KEY, &st,
                            &err),
                     VERIFY_OK);
    assert_int_equal(mock_hits(&server), before);
    assert_null(st);
    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].kind, PAYMENT_IGNORED);
    payment_list_free(&list);
}

static void test_missing_api_key_is_an_error(void **state)
{
    (void)state;
    json_t *st = NULL;
    struct error err = {0};
    assert_int_equal(verify(NOTIFICATION, config, NULL, &st, &err), VERIFY_ERROR);
}

static void test_default_api_base(void **state)
{
    (void)state;
    assert_string_equal(sumup->default_api_base, "https://api.sumup.com");
    assert_true(sumup->caps & PROVIDER_CAP_FETCHBACK);
}

/* ---- parse of other states ---------------------------------------------------------- */

static void expect_checkout(const char *status, const char *amount, enum payment_kind kind,
                            const char *event, int64_t minor)
{
    char text[512];
    struct payment_list list = {0};
    struct error err = {0};
    snprintf(text, sizeof text,
             "{\"id\":\"" CHECKOUT_ID "\",\"status\":\"%s\",\"amount\":%s,\"currency\":\"EUR\","
             "\"date\":\"2026-03-22T14:30:00+00:00\"}",
             status, amount);
    json_t *st = json_loads(text, 0, NULL);
    assert_non_null(st);
    assert_int_equal(parse_state(st, &list, &err), 0);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].kind, kind);
    assert_string_equal(list.items[0].event, event);
    if (kind != PAYMENT_IGNORED) {
        assert_int_equal(list.items[0].amount.minor, minor);
        assert_string_equal(list.items[0].date, "2026-03-22");
    }
    payment_list_free(&list);
    json_decref(st);
}

static void test_parse_states(void **state)
{
    (void)state;
    expect_checkout("PAID", "25", PAYMENT_SETTLED, "payment.paid", 2500);
    expect_checkout("PAID", "0.1", PAYMENT_SETTLED, "payment.paid", 10);
    expect_checkout("PAID", "1234567.89", PAYMENT_SETTLED, "payment.paid", 123456789);
    expect_checkout("FAILED", "10.00", PAYMENT_FAILED, "payment.failed", 1000);
    expect_checkout("EXPIRED", "10.5", PAYMENT_FAILED, "payment.expired", 1050);
    expect_checkout("PENDING", "10.5", PAYMENT_IGNORED, "checkout.PENDING", 0);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const states[] = {
        "{\"status\":\"PAID\"}",
        "{\"id\":\"" CHECKOUT_ID "\",\"status\":\"PAID\",\"amount\":10.001,\"currency\":\"EUR\","
        "\"date\":\"2026-03-22T14:30:00+00:00\"}",
        "{\"id\":\"" CHECKOUT_ID "\",\"status\":\"PAID\",\"amount\":\"10.00\",\"currency\":\"EUR\","
        "\"date\":\"2026-03-22T14:30:00+00:00\"}",
        "{\"id\":\"" CHECKOUT_ID "\",\"status\":\"PAID\",\"amount\":10,\"currency\":\"EUR\"}",
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
        cmocka_unit_test(test_notification_fetches_checkout),
        cmocka_unit_test(test_without_merchant_code_setting),
        cmocka_unit_test(test_not_genuine),
        cmocka_unit_test(test_bad_ids_are_not_fetched),
        cmocka_unit_test(test_other_event_types_are_acknowledged),
        cmocka_unit_test(test_missing_api_key_is_an_error),
        cmocka_unit_test(test_default_api_base),
        cmocka_unit_test(test_parse_states),
        cmocka_unit_test(test_parse_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
