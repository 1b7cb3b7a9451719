/* core/money.h - the one money type: an int64 count of minor units and an ISO 4217 code.
 *
 * No double ever holds an amount. Providers send amounts as integer minor units (Stripe,
 * Adyen), decimal strings (PayPal, Mollie) or JSON numbers in major units (Revolut,
 * SumUp); money_parse_decimal() takes the decimal text exactly as written, and the
 * currency's own number of decimals (JPY 0, EUR 2, KWD 3) decides how it scales. */
#ifndef CONNECTORD_CORE_MONEY_H
#define CONNECTORD_CORE_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct money {
    int64_t minor;
    char currency[4]; /* upper case, NUL-terminated */
};

/* The largest amount connectord accepts, in minor units of any currency: 10^13, i.e.
 * 100,000,000,000.00 EUR or 10,000,000,000.000 KWD, far above any real payment. Every
 * amount from outside (a provider's payload, an API request) is checked against it when it
 * becomes a struct money, so a sum of up to ~920,000 of them still fits 64 bits; sums are
 * checked arithmetic anyway (money_add, and the split sums of store/). */
#define MONEY_MAX_MINOR INT64_C(10000000000000)

#define MONEY_TEXT_MAX 32 /* "-92233720368547758.07" and NUL fit */

/* Decimal places of an ISO 4217 code (any case), or -1 when the code is not known. */
int money_currency_decimals(const char *code);

/* Sets out->currency from `code` (any case); ERR_VALIDATION when unknown. */
int money_currency_set(struct money *out, const char *code, struct error *err);

/* "99", "99.5", "99.00", "-3.10": at most the currency's decimals, no exponent, no
 * thousands separators, no leading '+'. len is the text's length (need not be NUL-ended).
 * ERR_VALIDATION beyond +-MONEY_MAX_MINOR. */
int money_parse_decimal(const char *text, size_t len, const char *currency, struct money *out,
                        struct error *err);
/* Minor units as sent by Stripe or Adyen; ERR_VALIDATION beyond +-MONEY_MAX_MINOR. */
int money_from_minor(int64_t minor, const char *currency, struct money *out, struct error *err);

/* "99.00", "-3.10", "1500" (JPY): always the currency's decimals, '.' as separator. */
void money_format(const struct money *m, char out[MONEY_TEXT_MAX]);

/* Checked arithmetic: ERR_VALIDATION on a currency mismatch, ERR_AMOUNT_OVERFLOW when the
 * result does not fit 64 bits (sums may exceed MONEY_MAX_MINOR; single amounts may not). */
int money_add(const struct money *a, const struct money *b, struct money *out, struct error *err);
int money_negate(const struct money *a, struct money *out, struct error *err);

#endif
