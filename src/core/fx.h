/* core/fx.h - exchange rates as scaled integers, the conversion of an amount into the book
 * currency, and the reader of the ECB's reference-rate files.
 *
 * A rate is quoted as the ECB quotes it: units of the foreign currency for one euro
 * ("USD 1.0823"), kept as an integer count of millionths (FX_RATE_SCALE), because DATEV's
 * Kurs has at most six decimals and no double may touch money. Conversion divides the
 * amount by the rate in 128-bit integers and rounds half up (away from zero) to the
 * book currency's minor unit; a result beyond MONEY_MAX_MINOR is ERR_AMOUNT_OVERFLOW.
 *
 * fx_file_parse() reads what the ECB publishes (eurofxref.csv: "Date, USD, JPY, ..." and
 * one row "20 March 2026, 1.0823, ..."; eurofxref-hist.csv: the same columns with one row
 * per day "2026-03-20,1.0823,...,N/A"; eurofxref-daily.xml / -hist.xml: a gesmes:Envelope
 * of <Cube time='...'> holding <Cube currency='USD' rate='1.0823'/>). It is pure: it
 * hands each rate to a callback and never touches the store. */
#ifndef CONNECTORD_CORE_FX_H
#define CONNECTORD_CORE_FX_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/money.h"

#define FX_BOOK_CURRENCY "EUR"
#define FX_RATE_DECIMALS 6
#define FX_RATE_SCALE INT64_C(1000000)
/* The largest rate taken: 10^7 units for one euro (far above IDR, VND or IRR today). */
#define FX_RATE_MAX (INT64_C(10000000) * FX_RATE_SCALE)
#define FX_RATE_TEXT_MAX 24
/* The largest rates file read: the full ECB history is a few MiB. */
#define FX_FILE_MAX (64u * 1024u * 1024u)

/* "1.0823", "162.25", "0.9338": digits with at most FX_RATE_DECIMALS significant decimals
 * (trailing zeros beyond are fine), > 0 and <= FX_RATE_MAX. ERR_VALIDATION otherwise. */
int fx_rate_parse(const char *text, size_t len, int64_t *rate, struct error *err);
/* The rate with FX_RATE_DECIMALS decimals and `sep` as the decimal separator:
 * "1.082300" ('.') for the API, "1,082300" (',') for DATEV's Kurs. */
void fx_rate_format(int64_t rate, char sep, char out[FX_RATE_TEXT_MAX]);

/* amount / rate in the book currency, rounded half up to its minor unit. ERR_VALIDATION for
 * a rate <= 0 or an unknown currency, ERR_AMOUNT_OVERFLOW for an amount or a result beyond
 * MONEY_MAX_MINOR. */
int fx_to_book(const struct money *amount, int64_t rate, struct money *out, struct error *err);
/* The rate two amounts imply (foreign per book unit), rounded half up to the scale: the
 * Kurs of a provider's settlement. Both amounts must be non-zero and of one sign. */
int fx_rate_implied(const struct money *foreign, const struct money *book, int64_t *rate,
                    struct error *err);

/* amount times a provider's rate (`rate_text`: units of `to` for one unit of the amount's
 * currency, as Stripe and PayPal quote it, up to 12 decimals), rounded half up to `to`'s
 * minor unit. ERR_VALIDATION for a rate that is not a positive decimal, ERR_AMOUNT_OVERFLOW
 * beyond MONEY_MAX_MINOR. */
int fx_multiply(const struct money *amount, const char *rate_text, size_t len, const char *to,
                struct money *out, struct error *err);

/* One rate of a file: the day it was published, the currency, units per euro. */
struct fx_rate_row {
    char date[11]; /* YYYY-MM-DD */
    char currency[4];
    int64_t rate;
};

/* What a parse saw besides the rates it handed on. */
struct fx_file_stats {
    size_t rates;   /* handed to fn */
    size_t skipped; /* "N/A", empty cells, currencies ISO 4217 no longer lists (ECB history) */
};

/* Reads an ECB file (CSV or XML, told apart by its first character) and calls fn for each
 * rate; fn returns < 0 (err filled) to stop. ERR_VALIDATION with the line and what is
 * wrong for anything malformed (a rate, a date, a missing header), or a file without a
 * single rate; nothing is promised about rates already handed on then. */
int fx_file_parse(const char *text, size_t len,
                  int (*fn)(void *ctx, const struct fx_rate_row *row, struct error *err),
                  void *ctx, struct fx_file_stats *stats, struct error *err);

#endif
