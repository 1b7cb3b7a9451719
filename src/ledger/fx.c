/* ledger/fx.c - an invoice's amount in the book currency (EUR): the provider's own
 * settlement where the payload gives one, else the ECB reference rate of the invoice day
 * (or the latest earlier ECB day), else none: the invoice is flagged and waits for
 * `connectord rates import`, which rates and posts it (pipeline_fx_rerate). The original
 * amount and currency never change; the rate is written once (store/q_fx.c). */
#include <stdio.h>
#include <string.h>

#include "core/fx.h"
#include "ledger/ledger.h"
#include "store/books.h"

int ledger_fx_rate(struct store_tx *tx, struct invoice *inv, const struct money *settlement,
                   const char *source, struct error *err)
{
    struct invoice_fx *fx = &inv->fx;
    struct money amount;
    memset(fx, 0, sizeof *fx);
    if (money_from_minor(inv->total_gross_minor, inv->currency, &amount, err) < 0)
        return -1;
    memcpy(fx->rate_date, inv->invoice_date, sizeof fx->rate_date);
    if (strcmp(inv->currency, FX_BOOK_CURRENCY) == 0) {
        *fx = (struct invoice_fx){.rated = true, .book_gross_minor = inv->total_gross_minor,
                                  .rate = FX_RATE_SCALE, .source = "book"};
        memcpy(fx->rate_date, inv->invoice_date, sizeof fx->rate_date);
        return 0;
    }
    if (settlement && inv->total_gross_minor != 0) {
        /* What the provider credited in EUR is the booking's EUR amount; the rate (for
         * DATEV's Kurs) is what the two amounts imply. */
        if (strcmp(settlement->currency, FX_BOOK_CURRENCY) != 0)
            return error_set(err, ERR_VALIDATION, "a settlement in %s, not in EUR",
                             settlement->currency);
        if (fx_rate_implied(&amount, settlement, &fx->rate, err) < 0)
            return -1;
        fx->book_gross_minor = settlement->minor;
        snprintf(fx->source, sizeof fx->source, "%s", source);
        fx->rated = true;
        return 0;
    }
    bool found = false;
    if (store_fx_rate_find(tx, inv->currency, inv->invoice_date, LEDGER_FX_WINDOW_DAYS,
                           &fx->rate, fx->rate_date, &found, err) < 0)
        return -1;
    if (!found) {
        memset(fx, 0, sizeof *fx);
        return 0;
    }
    struct money book;
    if (fx_to_book(&amount, fx->rate, &book, err) < 0)
        return -1;
    fx->book_gross_minor = book.minor;
    snprintf(fx->source, sizeof fx->source, "ecb");
    fx->rated = true;
    return 0;
}

json_t *ledger_fx_json(const struct invoice *inv)
{
    const struct invoice_fx *fx = &inv->fx;
    if (!fx->rated)
        return json_pack("{s:b, s:s}", "missing", 1, "currency", inv->currency);
    char rate[FX_RATE_TEXT_MAX], book[MONEY_TEXT_MAX];
    struct money m = {.minor = fx->book_gross_minor, .currency = FX_BOOK_CURRENCY};
    fx_rate_format(fx->rate, '.', rate);
    money_format(&m, book);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "bookAmount", book, "bookCurrency",
                     FX_BOOK_CURRENCY, "rate", rate, "source", fx->source, "rateDate",
                     fx->rate_date);
}
