/* core/money.c - amounts as integer minor units with their currency. */
#include "core/money.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

/* ISO 4217 active codes whose minor unit is not 2 (the rest of the list below is 2). */
static const struct {
    const char code[4];
    int decimals;
} currencies[] = {
    /* zero decimals */
    {"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"ISK", 0}, {"JPY", 0}, {"KMF", 0},
    {"KRW", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"UYI", 0}, {"VND", 0}, {"VUV", 0},
    {"XAF", 0}, {"XOF", 0}, {"XPF", 0},
    /* three decimals */
    {"BHD", 3}, {"IQD", 3}, {"JOD", 3}, {"KWD", 3}, {"LYD", 3}, {"OMR", 3}, {"TND", 3},
    /* four decimals */
    {"CLF", 4}, {"UYW", 4},
    /* two decimals */
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
    {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2}, {"CNY", 2}, {"COP", 2},
    {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2},
    {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2},
    {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
    {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IRR", 2},
    {"JMD", 2}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KPW", 2}, {"KYD", 2}, {"KZT", 2},
    {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"MAD", 2}, {"MDL", 2},
    {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2},
    {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2},
    {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
    {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2},
    {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2},
    {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2},
    {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"USD", 2}, {"UZS", 2}, {"VES", 2}, {"WST", 2},
    {"XCD", 2}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWL", 2},
};

int money_currency_decimals(const char *code)
{
    if (!code || strlen(code) != 3)
        return -1;
    char up[4] = {(char)toupper((unsigned char)code[0]), (char)toupper((unsigned char)code[1]),
                  (char)toupper((unsigned char)code[2]), '\0'};
    for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++)
        if (memcmp(currencies[i].code, up, 4) == 0)
            return currencies[i].decimals;
    return -1;
}

int money_currency_set(struct money *out, const char *code, struct error *err)
{
    if (money_currency_decimals(code) < 0)
        return error_set(err, ERR_VALIDATION, "unknown currency '%.*s'", UTF8_CUT(8, code));
    for (int i = 0; i < 3; i++)
        out->currency[i] = (char)toupper((unsigned char)code[i]);
    out->currency[3] = '\0';
    return 0;
}

static int out_of_range(struct error *err)
{
    return error_set(err, ERR_VALIDATION, "amount is beyond the maximum of 10^13 minor units");
}

static int64_t pow10_i64(int n)
{
    int64_t v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

int money_parse_decimal(const char *text, size_t len, const char *currency, struct money *out,
                        struct error *err)
{
    struct money m = {0};
    if (money_currency_set(&m, currency, err) < 0)
        return -1;
    int decimals = money_currency_decimals(m.currency);
    size_t i = 0;
    bool negative = false;
    if (i < len && text[i] == '-') {
        negative = true;
        i++;
    }
    if (i >= len || !isdigit((unsigned char)text[i]))
        return error_set(err, ERR_VALIDATION, "amount '%.*s' is not a decimal number",
                         (int)(len > 32 ? 32 : len), text);
    int64_t whole = 0;
    for (; i < len && isdigit((unsigned char)text[i]); i++) {
        if (whole > MONEY_MAX_MINOR)
            return out_of_range(err);
        whole = whole * 10 + (text[i] - '0');
    }
    int64_t frac = 0;
    int frac_digits = 0;
    if (i < len && text[i] == '.') {
        i++;
        if (i >= len || !isdigit((unsigned char)text[i]))
            return error_set(err, ERR_VALIDATION, "amount has a '.' without digits after it");
        for (; i < len && isdigit((unsigned char)text[i]); i++) {
            if (frac_digits == decimals) {
                /* trailing zeros past the currency's precision carry no value */
                if (text[i] != '0')
                    return error_set(err, ERR_VALIDATION, "amount has more than %d decimals for %s",
                                     decimals, m.currency);
                continue;
            }
            frac = frac * 10 + (text[i] - '0');
            frac_digits++;
        }
    }
    if (i != len)
        return error_set(err, ERR_VALIDATION, "amount '%.*s' is not a decimal number",
                         (int)(len > 32 ? 32 : len), text);
    int64_t scale = pow10_i64(decimals);
    frac *= pow10_i64(decimals - frac_digits);
    if (whole > (MONEY_MAX_MINOR - frac) / scale)
        return out_of_range(err);
    m.minor = whole * scale + frac;
    if (negative)
        m.minor = -m.minor;
    *out = m;
    return 0;
}

int money_from_minor(int64_t minor, const char *currency, struct money *out, struct error *err)
{
    struct money m = {.minor = minor};
    if (money_currency_set(&m, currency, err) < 0)
        return -1;
    if (minor > MONEY_MAX_MINOR || minor < -MONEY_MAX_MINOR)
        return out_of_range(err);
    *out = m;
    return 0;
}

void money_format(const struct money *m, char out[MONEY_TEXT_MAX])
{
    int decimals = money_currency_decimals(m->currency);
    if (decimals < 0)
        decimals = 2;
    uint64_t abs = m->minor < 0 ? (uint64_t)0 - (uint64_t)m->minor : (uint64_t)m->minor;
    uint64_t scale = (uint64_t)pow10_i64(decimals);
    char frac[8] = "";
    if (decimals > 0) {
        /* digits of the fraction, zero-padded to the currency's decimals (at most 4) */
        uint64_t f = abs % scale;
        for (int i = decimals; i > 0; i--) {
            frac[i] = (char)('0' + f % 10);
            f /= 10;
        }
        frac[0] = '.';
        frac[decimals + 1] = '\0';
    }
    snprintf(out, MONEY_TEXT_MAX, "%s%llu%s", m->minor < 0 ? "-" : "",
             (unsigned long long)(abs / scale), frac);
}

int money_add(const struct money *a, const struct money *b, struct money *out, struct error *err)
{
    if (strcmp(a->currency, b->currency) != 0)
        return error_set(err, ERR_VALIDATION, "cannot add %s to %s", b->currency, a->currency);
    int64_t sum;
    if (__builtin_add_overflow(a->minor, b->minor, &sum))
        return error_set(err, ERR_AMOUNT_OVERFLOW, "a sum in %s exceeds 64-bit minor units",
                         a->currency);
    *out = *a;
    out->minor = sum;
    return 0;
}

int money_negate(const struct money *a, struct money *out, struct error *err)
{
    if (a->minor == INT64_MIN)
        return error_set(err, ERR_AMOUNT_OVERFLOW, "an amount in %s has no negation in 64 bits",
                         a->currency);
    *out = *a;
    out->minor = -a->minor;
    return 0;
}
