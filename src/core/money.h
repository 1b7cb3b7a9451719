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

#define MONEY_TEXT_MAX 32 /* "-92233720368547758.07" and NUL fit */

/* Decimal places of an ISO 4217 code (any case), or -1 when the code is not known. */
int money_currency_decimals(const char *code);

/* Sets out->currency from `code` (any case); ERR_VALIDATION when unknown. */
int money_currency_set(struct money *out, const char *code, struct error *err);

/* "99", "99.5", "99.00", "-3.10": at most the currency's decimals, no exponent, no
 * thousands separators, no leading '+'. len is the text's length (need not be NUL-ended). */
int money_parse_decimal(const char *text, size_t len, const char *currency, struct money *out,
                        struct error *err);
/* Minor units as sent by Stripe or Adyen. */
int money_from_minor(int64_t minor, const char *currency, struct money *out, struct error *err);

/* "99.00", "-3.10", "1500" (JPY): always the currency's decimals, '.' as separator. */
void money_format(const struct money *m, char out[MONEY_TEXT_MAX]);

/* Checked arithmetic: ERR_VALIDATION on a currency mismatch or overflow. */
int money_add(const struct money *a, const struct money *b, struct money *out, struct error *err);
int money_negate(const struct money *a, struct money *out, struct error *err);

#endif
