/* tests/unit/core/test_money.c - the one money type (src/core/money.c).
 *
 * Amounts from outside become minor units here, so the tests pin the edges: the currency's
 * own decimals (JPY 0, EUR 2, KWD 3, CLF 4), the bound MONEY_MAX_MINOR on both sides of it,
 * text that is not a plain decimal, and checked sums that refuse to wrap or to mix
 * currencies. Expected values are written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/money.h"

/* money_parse_decimal over a C string, with out and err cleared first. */
static int parse(const char *text, const char *currency, struct money *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    error_clear(err);
    return money_parse_decimal(text, strlen(text), currency, out, err);
}

static void assert_parses(const char *text, const char *currency, int64_t minor,
                          const char *code)
{
    struct money m;
    struct error err;
    if (parse(text, currency, &m, &err) != 0)
        fail_msg("'%s' %s refused: %s", text, currency, err.message);
    assert_true(m.minor == minor);
    assert_string_equal(m.currency, code);
}

static void assert_refused(const char *text, const char *currency, enum err_code code)
{
    struct money m;
    struct error err;
    if (parse(text, currency, &m, &err) != -1)
        fail_msg("'%s' %s accepted as %lld", text, currency, (long long)m.minor);
    assert_int_equal(err.code, code);
    assert_true(err.message[0] != '\0');
}

static void assert_formats(int64_t minor, const char *currency, const char *text)
{
    struct money m = {.minor = minor};
    char out[MONEY_TEXT_MAX];
    memcpy(m.currency, currency, sizeof m.currency);
    money_format(&m, out);
    assert_string_equal(out, text);
}

static void test_currency_decimals(void **state)
{
    assert_int_equal(money_currency_decimals("EUR"), 2);
    assert_int_equal(money_currency_decimals("eur"), 2);
    assert_int_equal(money_currency_decimals("JPY"), 0);
    assert_int_equal(money_currency_decimals("KWD"), 3);
    assert_int_equal(money_currency_decimals("CLF"), 4);
    assert_int_equal(money_currency_decimals("XYZ"), -1);
    assert_int_equal(money_currency_decimals("EU"), -1);
    assert_int_equal(money_currency_decimals("EURO"), -1);
    assert_int_equal(money_currency_decimals(""), -1);
    assert_int_equal(money_currency_decimals(NULL), -1);
}

static void test_currency_set_upper_cases(void **state)
{
    struct money m = {0};
    struct error err;
    assert_int_equal(money_currency_set(&m, "chf", &err), 0);
    assert_string_equal(m.currency, "CHF");
    assert_int_equal(money_currency_set(&m, "ABC", &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_non_null(strstr(err.message, "ABC"));
    assert_string_equal(m.currency, "CHF"); /* unchanged on failure */
}

static void test_parse_two_decimals(void **state)
{
    assert_parses("99", "EUR", 9900, "EUR");
    assert_parses("99.5", "EUR", 9950, "EUR");
    assert_parses("99.00", "eur", 9900, "EUR");
    assert_parses("0.01", "EUR", 1, "EUR");
    assert_parses("-3.10", "EUR", -310, "EUR");
    assert_parses("0", "EUR", 0, "EUR");
    assert_parses("-0", "EUR", 0, "EUR");
    assert_parses("007.5", "EUR", 750, "EUR");
    /* zeros past the currency's precision carry no value */
    assert_parses("1.000000", "EUR", 100, "EUR");
}

static void test_parse_currency_decimals(void **state)
{
    assert_parses("1500", "JPY", 1500, "JPY");
    assert_parses("1500.0", "JPY", 1500, "JPY");
    assert_refused("1500.5", "JPY", ERR_VALIDATION);
    assert_parses("1.234", "KWD", 1234, "KWD");
    assert_parses("1.2", "KWD", 1200, "KWD");
    assert_parses("-0.001", "KWD", -1, "KWD");
    assert_refused("1.2345", "KWD", ERR_VALIDATION);
    assert_parses("1.2345", "CLF", 12345, "CLF");
    assert_refused("99.001", "EUR", ERR_VALIDATION);
}

static void test_parse_refuses_what_is_not_a_plain_decimal(void **state)
{
    static const char *const bad[] = {"", "-", ".", ".5", "1.", "1..2", "+1", "1e3", "1E3",
                                      "1,000", "1,5", " 1", "1 ", "0x10", "--1", "1-",
                                      "١٢", "NaN", "inf", "1.2.3", "12a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refused(bad[i], "EUR", ERR_VALIDATION);
    assert_refused("1", "XYZ", ERR_VALIDATION); /* the currency is checked too */
}

static void test_parse_takes_length_not_nul(void **state)
{
    struct money m;
    struct error err;
    /* the bytes after len are not read: a body's value need not end with NUL */
    assert_int_equal(money_parse_decimal("12.34xyz", 5, "EUR", &m, &err), 0);
    assert_true(m.minor == 1234);
    /* a NUL inside the length is not the end of the text */
    assert_int_equal(money_parse_decimal("12\0" "34", 5, "EUR", &m, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
}

static void test_parse_bound(void **state)
{
    /* MONEY_MAX_MINOR itself, in each kind of currency, on both sides of zero */
    assert_parses("100000000000.00", "EUR", MONEY_MAX_MINOR, "EUR");
    assert_parses("-100000000000", "EUR", -MONEY_MAX_MINOR, "EUR");
    assert_parses("10000000000000", "JPY", MONEY_MAX_MINOR, "JPY");
    assert_parses("10000000000.000", "KWD", MONEY_MAX_MINOR, "KWD");
    /* one minor unit beyond it */
    assert_refused("100000000000.01", "EUR", ERR_VALIDATION);
    assert_refused("-100000000000.01", "EUR", ERR_VALIDATION);
    assert_refused("10000000000001", "JPY", ERR_VALIDATION);
    assert_refused("10000000000.001", "KWD", ERR_VALIDATION);
    /* far beyond it, where a careless parser would wrap 64 bits */
    assert_refused("92233720368547758.07", "EUR", ERR_VALIDATION);
    assert_refused("18446744073709551617", "JPY", ERR_VALIDATION);
    assert_refused("99999999999999999999999999999999999999", "EUR", ERR_VALIDATION);
    /* many leading zeros are still a small number */
    assert_parses("000000000000000000000000000001.00", "EUR", 100, "EUR");

    struct money m;
    struct error err;
    assert_int_equal(parse("100000000000.01", "EUR", &m, &err), -1);
    assert_non_null(strstr(err.message, "10^13"));
}

static void test_from_minor(void **state)
{
    struct money m;
    struct error err;
    assert_int_equal(money_from_minor(9900, "usd", &m, &err), 0);
    assert_true(m.minor == 9900);
    assert_string_equal(m.currency, "USD");
    assert_int_equal(money_from_minor(MONEY_MAX_MINOR, "EUR", &m, &err), 0);
    assert_int_equal(money_from_minor(-MONEY_MAX_MINOR, "EUR", &m, &err), 0);
    assert_int_equal(money_from_minor(MONEY_MAX_MINOR + 1, "EUR", &m, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(money_from_minor(-MONEY_MAX_MINOR - 1, "EUR", &m, &err), -1);
    assert_int_equal(money_from_minor(INT64_MIN, "EUR", &m, &err), -1);
    assert_int_equal(money_from_minor(INT64_MAX, "EUR", &m, &err), -1);
    assert_int_equal(money_from_minor(1, "QQQ", &m, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
}

static void test_format(void **state)
{
    assert_formats(9900, "EUR", "99.00");
    assert_formats(-310, "EUR", "-3.10");
    assert_formats(5, "EUR", "0.05");
    assert_formats(-5, "EUR", "-0.05");
    assert_formats(0, "EUR", "0.00");
    assert_formats(1500, "JPY", "1500");
    assert_formats(-1, "JPY", "-1");
    assert_formats(1234, "KWD", "1.234");
    assert_formats(1, "KWD", "0.001");
    assert_formats(12345, "CLF", "1.2345");
    assert_formats(MONEY_MAX_MINOR, "EUR", "100000000000.00");
    assert_formats(MONEY_MAX_MINOR, "KWD", "10000000000.000");
    /* sums may pass the bound; the whole 64-bit range still formats, INT64_MIN included */
    assert_formats(INT64_MAX, "EUR", "92233720368547758.07");
    assert_formats(INT64_MIN, "EUR", "-92233720368547758.08");
    assert_formats(INT64_MIN, "JPY", "-9223372036854775808");
    assert_true(strlen("-92233720368547758.08") < MONEY_TEXT_MAX);
}

static void test_format_then_parse_round_trips(void **state)
{
    static const char *const codes[] = {"EUR", "JPY", "KWD", "CLF"};
    static const int64_t amounts[] = {0, 1, -1, 99, 100, 12345, -987654321, MONEY_MAX_MINOR,
                                      -MONEY_MAX_MINOR};
    for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++) {
        for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
            struct money m = {.minor = amounts[i]}, back;
            struct error err;
            char text[MONEY_TEXT_MAX];
            memcpy(m.currency, codes[c], sizeof m.currency);
            money_format(&m, text);
            if (parse(text, codes[c], &back, &err) != 0)
                fail_msg("%s %s does not parse back: %s", text, codes[c], err.message);
            assert_true(back.minor == m.minor);
        }
    }
}

static void test_add(void **state)
{
    struct money a = {.minor = 9900, .currency = "EUR"}, b = {.minor = -310, .currency = "EUR"};
    struct money sum;
    struct error err;
    assert_int_equal(money_add(&a, &b, &sum, &err), 0);
    assert_true(sum.minor == 9590);
    assert_string_equal(sum.currency, "EUR");
    /* the result may be one of the operands, as running totals are kept */
    assert_int_equal(money_add(&a, &a, &a, &err), 0);
    assert_true(a.minor == 19800);
    /* sums may pass MONEY_MAX_MINOR: only single amounts are bounded */
    struct money max = {.minor = MONEY_MAX_MINOR, .currency = "EUR"};
    assert_int_equal(money_add(&max, &max, &sum, &err), 0);
    assert_true(sum.minor == 2 * MONEY_MAX_MINOR);
}

static void test_add_refuses_mixed_currencies(void **state)
{
    struct money eur = {.minor = 1, .currency = "EUR"}, usd = {.minor = 1, .currency = "USD"};
    struct money sum = {.minor = 42, .currency = "CHF"};
    struct error err;
    assert_int_equal(money_add(&eur, &usd, &sum, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_non_null(strstr(err.message, "USD"));
    assert_non_null(strstr(err.message, "EUR"));
    assert_true(sum.minor == 42); /* out is untouched */
    assert_string_equal(sum.currency, "CHF");
}

static void test_add_overflow(void **state)
{
    struct money top = {.minor = INT64_MAX, .currency = "EUR"};
    struct money bottom = {.minor = INT64_MIN, .currency = "EUR"};
    struct money one = {.minor = 1, .currency = "EUR"};
    struct money minus_one = {.minor = -1, .currency = "EUR"};
    struct money sum = {.minor = 42, .currency = "EUR"};
    struct error err;
    assert_int_equal(money_add(&top, &one, &sum, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
    assert_true(sum.minor == 42);
    assert_int_equal(money_add(&bottom, &minus_one, &sum, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
    assert_int_equal(money_add(&top, &bottom, &sum, &err), 0);
    assert_true(sum.minor == -1);
    /* ~920,000 amounts at the bound still fit: the reason for MONEY_MAX_MINOR */
    struct money total = {.minor = 0, .currency = "EUR"};
    struct money max = {.minor = MONEY_MAX_MINOR, .currency = "EUR"};
    for (int i = 0; i < 920000; i++)
        assert_int_equal(money_add(&total, &max, &total, &err), 0);
}

static void test_negate(void **state)
{
    struct money a = {.minor = 310, .currency = "EUR"}, out;
    struct error err;
    assert_int_equal(money_negate(&a, &out, &err), 0);
    assert_true(out.minor == -310);
    assert_string_equal(out.currency, "EUR");
    struct money max = {.minor = INT64_MAX, .currency = "EUR"};
    assert_int_equal(money_negate(&max, &out, &err), 0);
    assert_true(out.minor == -INT64_MAX);
    struct money min = {.minor = INT64_MIN, .currency = "EUR"};
    assert_int_equal(money_negate(&min, &out, &err), -1);
    assert_int_equal(err.code, ERR_AMOUNT_OVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_currency_decimals),
        cmocka_unit_test(test_currency_set_upper_cases),
        cmocka_unit_test(test_parse_two_decimals),
        cmocka_unit_test(test_parse_currency_decimals),
        cmocka_unit_test(test_parse_refuses_what_is_not_a_plain_decimal),
        cmocka_unit_test(test_parse_takes_length_not_nul),
        cmocka_unit_test(test_parse_bound),
        cmocka_unit_test(test_from_minor),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_then_parse_round_trips),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_add_refuses_mixed_currencies),
        cmocka_unit_test(test_add_overflow),
        cmocka_unit_test(test_negate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
