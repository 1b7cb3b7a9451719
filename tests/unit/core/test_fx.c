/* tests/unit/core/test_fx.c - exchange rates and conversion (src/core/fx.c).
 *
 * The arithmetic a booking's EUR amount rests on: rates as millionths, conversion rounded
 * half up (away from zero) to the cent, currencies with 0, 2 and 3 decimals, the bound
 * MONEY_MAX_MINOR, a provider's multiplicative rate with up to 12 decimals, and the ECB
 * file reader's formats and refusals. Expected values are worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/fx.h"

static int64_t rate_of(const char *text)
{
    int64_t r = 0;
    struct error err;
    if (fx_rate_parse(text, strlen(text), &r, &err) != 0)
        fail_msg("rate '%s' refused: %s", text, err.message);
    return r;
}

static void assert_rate_refused(const char *text)
{
    int64_t r = 0;
    struct error err;
    assert_int_equal(fx_rate_parse(text, strlen(text), &r, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
}

static void test_rate_parse(void **state)
{
    (void)state;
    assert_true(rate_of("1.0823") == 1082300);
    assert_true(rate_of("162.25") == 162250000);
    assert_true(rate_of("0.9338") == 933800);
    assert_true(rate_of("17123.45") == INT64_C(17123450000));
    assert_true(rate_of("1") == 1000000);
    assert_true(rate_of("1.123456") == 1123456);
    assert_true(rate_of("1.12345600") == 1123456); /* zeros past six decimals */
    assert_true(rate_of("10000000") == FX_RATE_MAX);
    assert_rate_refused("1.1234567");
    assert_rate_refused("0");
    assert_rate_refused("0.0000001");
    assert_rate_refused("10000000.000001");
    assert_rate_refused("99999999999999999999");
    assert_rate_refused("-1.08");
    assert_rate_refused("1,08");
    assert_rate_refused("1.");
    assert_rate_refused(".5");
    assert_rate_refused("N/A");
    assert_rate_refused("");
}

static void test_rate_format(void **state)
{
    (void)state;
    char out[FX_RATE_TEXT_MAX];
    fx_rate_format(1082300, ',', out);
    assert_string_equal(out, "1,082300");
    fx_rate_format(160000000, '.', out);
    assert_string_equal(out, "160.000000");
    fx_rate_format(933800, ',', out);
    assert_string_equal(out, "0,933800");
}

static int64_t to_eur(int64_t minor, const char *currency, const char *rate)
{
    struct money m = {.minor = minor}, out;
    struct error err;
    memcpy(m.currency, currency, 4);
    if (fx_to_book(&m, rate_of(rate), &out, &err) != 0)
        fail_msg("%lld %s at %s refused: %s", (long long)minor, currency, rate, err.message);
    assert_string_equal(out.currency, "EUR");
    return out.minor;
}

static void test_to_book_rounds_half_up(void **state)
{
    (void)state;
    assert_true(to_eur(10000, "USD", "1.08") == 9259);    /* 92.5925.. */
    assert_true(to_eur(5000, "CHF", "0.95") == 5263);     /* 52.6315.. */
    assert_true(to_eur(1000, "USD", "1.25") == 800);      /* exact */
    assert_true(to_eur(1, "USD", "2") == 1);              /* 0.005 rounds up */
    assert_true(to_eur(1, "USD", "2.000001") == 0);       /* just below half */
    assert_true(to_eur(-1, "USD", "2") == -1);            /* half away from zero */
    assert_true(to_eur(-10000, "USD", "1.08") == -9259);
    assert_true(to_eur(0, "USD", "1.08") == 0);
}

static void test_to_book_currency_decimals(void **state)
{
    (void)state;
    assert_true(to_eur(1500, "JPY", "160") == 938);      /* 9.375 -> 9.38 */
    assert_true(to_eur(1, "JPY", "162.25") == 1);        /* 0.00616 -> 0.01 */
    assert_true(to_eur(12345, "KWD", "0.3571") == 3457); /* 12.345 / 0.3571 = 34.5701.. */
    assert_true(to_eur(11900, "EUR", "1") == 11900);
}

static void test_to_book_bounds(void **state)
{
    (void)state;
    struct money out, big = {.minor = MONEY_MAX_MINOR, .currency = "USD"};
    struct error err;
    /* 10^13 minor units at the smallest rate is far beyond the bound */
    assert_int_equal(fx_to_book(&big, 1, &out, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
    /* a whole int64 of minor units stays inside 128 bits and is refused, not wrapped */
    struct money huge = {.minor = INT64_MAX, .currency = "JPY"};
    assert_int_equal(fx_to_book(&huge, FX_RATE_SCALE, &out, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
    struct money min = {.minor = INT64_MIN, .currency = "USD"};
    assert_int_equal(fx_to_book(&min, FX_RATE_MAX, &out, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
    /* at the largest rate the bound itself converts */
    assert_int_equal(fx_to_book(&big, FX_RATE_MAX, &out, &err), 0);
    assert_true(out.minor == 1000000);
    assert_int_equal(fx_to_book(&big, 0, &out, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    struct money unknown = {.minor = 1, .currency = "XYZ"};
    assert_int_equal(fx_to_book(&unknown, FX_RATE_SCALE, &out, &err), -1);
}

static void test_rate_implied(void **state)
{
    (void)state;
    struct money usd = {.minor = 10000, .currency = "USD"}, eur = {.minor = 9000, .currency = "EUR"};
    struct money jpy = {.minor = 1500, .currency = "JPY"}, eur2 = {.minor = 938, .currency = "EUR"};
    struct error err;
    int64_t rate;
    assert_int_equal(fx_rate_implied(&usd, &eur, &rate, &err), 0);
    assert_true(rate == 1111111); /* 1.1111111.. */
    assert_int_equal(fx_rate_implied(&jpy, &eur2, &rate, &err), 0);
    assert_true(rate == 159914712); /* 1500 / 9.38 = 159.9147121.. */
    struct money zero = {.minor = 0, .currency = "EUR"}, neg = {.minor = -5, .currency = "EUR"};
    assert_int_equal(fx_rate_implied(&usd, &zero, &rate, &err), -1);
    assert_int_equal(fx_rate_implied(&usd, &neg, &rate, &err), -1);
}

static void test_multiply(void **state)
{
    (void)state;
    struct money usd = {.minor = 10000, .currency = "USD"}, out;
    struct error err;
    assert_int_equal(fx_multiply(&usd, "0.918273645", 11, "EUR", &out, &err), 0);
    assert_true(out.minor == 9183); /* 91.8273645 */
    assert_string_equal(out.currency, "EUR");
    struct money jpy = {.minor = 1500, .currency = "JPY"};
    assert_int_equal(fx_multiply(&jpy, "0.00625", 7, "EUR", &out, &err), 0);
    assert_true(out.minor == 938); /* 9.375 */
    assert_int_equal(fx_multiply(&usd, "0.9x", 4, "EUR", &out, &err), -1);
    assert_int_equal(fx_multiply(&usd, "0", 1, "EUR", &out, &err), -1);
    assert_int_equal(fx_multiply(&usd, "1.0000000000001", 15, "EUR", &out, &err), -1);
    struct money big = {.minor = MONEY_MAX_MINOR, .currency = "USD"};
    assert_int_equal(fx_multiply(&big, "999999", 6, "EUR", &out, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
    struct money huge = {.minor = INT64_MAX, .currency = "USD"};
    assert_int_equal(fx_multiply(&huge, "1", 1, "EUR", &out, &err), -1);
}

/* ---- files ---------------------------------------------------------------------------- */

struct rows {
    struct fx_rate_row row[8];
    size_t n;
};

static int keep(void *ctx, const struct fx_rate_row *row, struct error *err)
{
    (void)err;
    struct rows *r = ctx;
    if (r->n < 8)
        r->row[r->n] = *row;
    r->n++;
    return 0;
}

static size_t parse_ok(const char *text, struct rows *r, struct fx_file_stats *st)
{
    struct error err;
    memset(r, 0, sizeof *r);
    if (fx_file_parse(text, strlen(text), keep, r, st, &err) != 0)
        fail_msg("refused: %s", err.message);
    return r->n;
}

static void assert_file_refused(const char *text, const char *message)
{
    struct rows r = {0};
    struct fx_file_stats st;
    struct error err;
    assert_int_equal(fx_file_parse(text, strlen(text), keep, &r, &st, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    if (!strstr(err.message, message))
        fail_msg("'%s' does not say '%s'", err.message, message);
}

static void test_file_daily_csv(void **state)
{
    (void)state;
    struct rows r;
    struct fx_file_stats st;
    assert_int_equal(parse_ok("Date, USD, JPY, \r\n20 March 2026, 1.0800, 160.00, \r\n", &r, &st),
                     2);
    assert_string_equal(r.row[0].date, "2026-03-20");
    assert_string_equal(r.row[0].currency, "USD");
    assert_true(r.row[0].rate == 1080000);
    assert_string_equal(r.row[1].currency, "JPY");
    assert_true(r.row[1].rate == 160000000);
    assert_int_equal(st.rates, 2);
    assert_int_equal(parse_ok("Date, USD, \n5 December 2025, 1.1645, \n", &r, &st), 1);
    assert_string_equal(r.row[0].date, "2025-12-05");
}

static void test_file_history_csv(void **state)
{
    (void)state;
    struct rows r;
    struct fx_file_stats st;
    assert_int_equal(parse_ok("\xEF\xBB\xBF" "Date,USD,CYP,\n2026-03-20,1.08,N/A,\n"
                              "2026-03-19,1.07,N/A,\n2007-12-31,1.4721,0.585274,\n", &r, &st),
                     3);
    assert_int_equal(st.skipped, 3);
    assert_string_equal(r.row[2].date, "2007-12-31");
}

static void test_file_xml(void **state)
{
    (void)state;
    struct rows r;
    struct fx_file_stats st;
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\">"
        "<Cube><Cube time='2026-03-20'><Cube currency='USD' rate='1.0800'/>"
        "<Cube currency=\"CHF\" rate=\"0.95\"/></Cube>"
        "<Cube time='2026-03-19'><Cube currency='USD' rate='1.07'/></Cube></Cube>"
        "</gesmes:Envelope>";
    assert_int_equal(parse_ok(xml, &r, &st), 3);
    assert_string_equal(r.row[1].currency, "CHF");
    assert_string_equal(r.row[1].date, "2026-03-20");
    assert_true(r.row[1].rate == 950000);
    assert_string_equal(r.row[2].date, "2026-03-19");
}

static void test_file_refusals(void **state)
{
    (void)state;
    assert_file_refused("", "empty");
    assert_file_refused("hello", "not an ECB rates file");
    assert_file_refused("Date,\n2026-03-20,\n", "no currency columns");
    assert_file_refused("Date,USD,\n20 Mar 2026,1.08,\n", "is not a date");
    assert_file_refused("Date,USD,\n2026-13-01,1.08,\n", "line 2");
    assert_file_refused("Date,USD,\n2026-03-20,1.08,2,\n", "more values than currencies");
    assert_file_refused("Date,EUR,\n2026-03-20,1,\n", "EUR against itself");
    assert_file_refused("Date,USDX,\n2026-03-20,1,\n", "not a currency code");
    assert_file_refused("Date,USD,\n", "no exchange rate");
    assert_file_refused("<x/>", "no gesmes:Envelope");
    assert_file_refused("<gesmes:Envelope><Cube currency='USD' rate='1'/>", "outside a <Cube");
    assert_file_refused("<gesmes:Envelope><Cube time='2026-03-20'><Cube currency='USD'/>",
                        "without a rate");
    assert_file_refused("<gesmes:Envelope><Cube time='2026-03-20'", "not closed");
    const char nul[] = "Date,USD,\n2026-03-20,1\0.08,\n";
    struct rows r = {0};
    struct error err;
    assert_int_equal(fx_file_parse(nul, sizeof nul - 1, keep, &r, NULL, &err), -1);
    assert_non_null(strstr(err.message, "NUL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_parse),
        cmocka_unit_test(test_rate_format),
        cmocka_unit_test(test_to_book_rounds_half_up),
        cmocka_unit_test(test_to_book_currency_decimals),
        cmocka_unit_test(test_to_book_bounds),
        cmocka_unit_test(test_rate_implied),
        cmocka_unit_test(test_multiply),
        cmocka_unit_test(test_file_daily_csv),
        cmocka_unit_test(test_file_history_csv),
        cmocka_unit_test(test_file_xml),
        cmocka_unit_test(test_file_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
