/* tests/unit/core/test_hostile.c - the pieces that keep hostile input from breaking anything:
 * cuts on UTF-8 boundaries (src/core/utf8.c) and error messages that stay UTF-8
 * (src/core/error.c) and a JSON answer that cannot be built said as such
 * (src/http/response.c), the bound on amounts (src/core/money.c), dates held to 1970..9999
 * (src/inbound/sig.c), and control bytes in paths (src/http/router.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/money.h"
#include "core/utf8.h"
#include "http/http.h"
#include "inbound/sig.h"

#define EURO "\xe2\x82\xac"         /* 3 bytes */
#define GRIN "\xf0\x9f\x98\x80"     /* 4 bytes */
#define FULL_WIDTH_EUR "\xef\xbc\xa5\xef\xbc\xb5\xef\xbc\xb2" /* 9 bytes, 3 characters */

static bool valid_utf8(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

/* ---- cuts ------------------------------------------------------------------------------ */

static void test_cut_never_splits(void **state)
{
    (void)state;
    const char *s = "ab" EURO GRIN "c";
    assert_int_equal(utf8_cut(s, 100), strlen(s));
    assert_int_equal(utf8_cut(s, 2), 2);
    assert_int_equal(utf8_cut(s, 3), 2);
    assert_int_equal(utf8_cut(s, 4), 2);
    assert_int_equal(utf8_cut(s, 5), 5);
    for (size_t max = 6; max < 9; max++)
        assert_int_equal(utf8_cut(s, max), 5);
    assert_int_equal(utf8_cut(s, 9), 9);
    assert_int_equal(utf8_cut(NULL, 9), 0);
    assert_int_equal(utf8_cut(GRIN, 3), 0);
}

static void test_copy_of_300_emoji(void **state)
{
    (void)state;
    char src[300 * 4 + 1] = "", dst[128];
    for (int i = 0; i < 300; i++)
        strcat(src, GRIN);
    utf8_copy(dst, sizeof dst, src);
    assert_int_equal(strlen(dst), 124);
    assert_true(valid_utf8(dst));
    char full_width[16];
    snprintf(full_width, sizeof full_width, "%.*s", UTF8_CUT(7, FULL_WIDTH_EUR));
    assert_string_equal(full_width, "\xef\xbc\xa5\xef\xbc\xb5");
}

static void test_tail_and_repair(void **state)
{
    (void)state;
    assert_string_equal(utf8_tail("whsec_" EURO EURO EURO EURO EURO, 4), EURO EURO EURO EURO);
    assert_string_equal(utf8_tail("ab", 4), "ab");
    char cut[] = "abc\xe2\x82"; /* a euro sign cut after two of its bytes */
    utf8_repair(cut);
    assert_string_equal(cut, "abc");
    char bad[] = "a\xff" "b" EURO "\x80";
    utf8_repair(bad);
    assert_string_equal(bad, "a?b" EURO "?");
}

static void test_error_message_stays_utf8(void **state)
{
    (void)state;
    struct error err;
    char long_text[100 * 4 + 1] = "";
    for (int i = 0; i < 100; i++)
        strcat(long_text, GRIN);
    error_set(&err, ERR_VALIDATION, "x%s", long_text); /* cut at 255 bytes, inside a grin */
    assert_true(valid_utf8(err.message));
    error_set(&err, ERR_VALIDATION, "unknown currency '%.8s'", FULL_WIDTH_EUR);
    assert_true(valid_utf8(err.message));
}

static void test_json_failure_said(void **state)
{
    (void)state;
    struct http_response res = {0};
    struct error err = {0};
    buf_init(&res.body, 1024);
    /* json_string() refuses bytes that are not UTF-8: the body is NULL */
    assert_int_equal(http_respond_json(&res, 200, json_string("cut \xe2\x82"), &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    assert_non_null(strstr(err.message, "UTF-8"));
    assert_null(strstr(err.message, "out of memory"));
    buf_free(&res.body);
}

/* A PayPal event with a 50-emoji resource id (200 bytes, cut to 128): the refund's error
 * message and a capture's external id are whole characters. */
static void test_paypal_emoji_resource_id(void **state)
{
    (void)state;
    char id[50 * 4 + 1] = "", body[1024];
    for (int i = 0; i < 50; i++)
        strcat(id, GRIN);
    static const char *const types[] = {"PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.COMPLETED"};
    for (size_t t = 0; t < 2; t++) {
        snprintf(body, sizeof body,
                 "{\"id\":\"WH-1\",\"event_type\":\"%s\",\"create_time\":\"2026-03-22T14:30:00Z\","
                 "\"resource\":{\"id\":\"%s\",\"amount\":{\"value\":\"99.00\","
                 "\"currency_code\":\"EUR\"}}}",
                 types[t], id);
        struct webhook_request req = {.body = body, .body_len = strlen(body)};
        struct payment_list list = {0};
        struct error err = {0};
        int rc = provider_parse(provider_find("paypal"), &req, NULL, &list, &err);
        if (t == 0) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err.message, "no link to its capture"));
            assert_true(valid_utf8(err.message));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(strlen(list.items[0].external_id), 31 * 4);
            assert_true(valid_utf8(list.items[0].external_id));
        }
        payment_list_free(&list);
    }
}

/* ---- amounts --------------------------------------------------------------------------- */

static void test_amount_bound(void **state)
{
    (void)state;
    struct money m;
    struct error err;
    assert_int_equal(money_from_minor(MONEY_MAX_MINOR, "EUR", &m, &err), 0);
    assert_int_equal(money_from_minor(-MONEY_MAX_MINOR, "EUR", &m, &err), 0);
    assert_int_equal(money_from_minor(MONEY_MAX_MINOR + 1, "EUR", &m, &err), -1);
    assert_int_equal(money_from_minor(INT64_MAX, "EUR", &m, &err), -1);
    assert_int_equal(money_from_minor(INT64_MIN, "EUR", &m, &err), -1);
    assert_int_equal(money_parse_decimal("100000000000.00", 15, "EUR", &m, &err), 0);
    assert_int_equal(m.minor, MONEY_MAX_MINOR);
    assert_int_equal(money_parse_decimal("100000000000.01", 15, "EUR", &m, &err), -1);
    assert_int_equal(money_parse_decimal("92233720368547758.07", 20, "EUR", &m, &err), -1);
    assert_int_equal(money_parse_decimal("10000000000000", 14, "JPY", &m, &err), 0);
    assert_int_equal(money_parse_decimal("10000000000001", 14, "JPY", &m, &err), -1);
    struct money a = {.minor = INT64_MAX, .currency = "EUR"}, b = {.minor = 1, .currency = "EUR"};
    assert_int_equal(money_add(&a, &b, &m, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
}

/* ---- dates ----------------------------------------------------------------------------- */

static void test_unix_dates(void **state)
{
    (void)state;
    char d[11];
    assert_int_equal(sig_date_from_unix(0, d), 0);
    assert_string_equal(d, "1970-01-01");
    assert_int_equal(sig_date_from_unix(SIG_UNIX_MAX, d), 0);
    assert_string_equal(d, "9999-12-31");
    assert_int_equal(sig_date_from_unix(SIG_UNIX_MAX + 1, d), -1);
    assert_string_equal(d, "9999-12-31"); /* left as it was */
    assert_int_equal(sig_date_from_unix(-1, d), -1);
    assert_int_equal(sig_date_from_unix(INT64_MAX, d), -1);
    assert_int_equal(sig_date_from_unix(INT64_MIN, d), -1);
}

static void test_rfc3339_dates(void **state)
{
    (void)state;
    char d[11];
    assert_int_equal(sig_date_from_rfc3339("2026-03-22T14:30:00Z", d), 0);
    assert_string_equal(d, "2026-03-22");
    assert_int_equal(sig_date_from_rfc3339("2024-02-29", d), 0);
    static const char *const bad[] = {
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10", "2026-04-31",
        "1969-12-31T23:59:59Z", "0000-01-01", "10000-01-01T00:00:00Z", "2026-03-220",
        "2026-3-22", "", "2100-02-29",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sig_date_from_rfc3339(bad[i], d), -1);
        assert_string_equal(d, "2024-02-29"); /* left as it was */
    }
    assert_int_equal(sig_date_from_rfc3339(NULL, d), -1);
}

/* ---- paths ----------------------------------------------------------------------------- */

static int ok_handler(struct http_request *req, struct http_response *res, struct error *err)
{
    (void)req;
    (void)res;
    (void)err;
    return 0;
}

static void test_unescape_keeps_nul_visible(void **state)
{
    (void)state;
    char a[] = "/connectors/app.js%00.png";
    assert_int_equal(http_unescape(a), strlen("/connectors/app.js\x7f.png"));
    assert_string_equal(a, "/connectors/app.js\x7f.png");
    char b[] = "/a%41%2f%zz%4";
    http_unescape(b);
    assert_string_equal(b, "/aA/%zz%4");
}

static void test_router_refuses_control_bytes(void **state)
{
    (void)state;
    static const struct route routes[] = {{"GET", "/connectors/:file", ok_handler, 0, 0, NULL}};
    static const char *const paths[] = {"/connectors/app.js\x7f.png", "/connectors/a\x01",
                                        "/connectors/a\n", "/connectors/\t"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char copy[64], allow[32];
        struct http_param params[HTTP_MAX_PARAMS];
        size_t index, n;
        snprintf(copy, sizeof copy, "%s", paths[i]);
        assert_int_equal(router_match(routes, 1, "GET", copy, &index, params, &n, allow,
                                      sizeof allow),
                         ROUTE_BAD_PATH);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_never_splits),
        cmocka_unit_test(test_copy_of_300_emoji),
        cmocka_unit_test(test_tail_and_repair),
        cmocka_unit_test(test_error_message_stays_utf8),
        cmocka_unit_test(test_json_failure_said),
        cmocka_unit_test(test_paypal_emoji_resource_id),
        cmocka_unit_test(test_amount_bound),
        cmocka_unit_test(test_unix_dates),
        cmocka_unit_test(test_rfc3339_dates),
        cmocka_unit_test(test_unescape_keeps_nul_visible),
        cmocka_unit_test(test_router_refuses_control_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
