/* ledger/fx.c - an invoice's amount in the book currency (EUR): the provider's own
 * settlement where the payload gives one, else the ECB reference rate of the invoice day
 * (or the latest earlier ECB day), else none: the invoice is flagged and waits for
 * `connectord rates import`, which rates and posts it (pipeline_fx_rerate). The original
 * amount and currency never change; the rate is written once (store/q_fx.c). */
#include <stdio.h>
#include <string.h>

#include "core/fx.h"
#include "ledger/ledger.h"
#include "store/accounting.h"
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

/* The Kursdifferenzen accounts per chart: SKR03 2660 Erträge / 2150 Aufwendungen aus
 * Kursdifferenzen, SKR04 4840 / 6880; the Austrian EKR has no fixed numbers for them
 * (accounting-and-sync.md §2.5: numbers vary per software), 4860 / 7860 are the usual
 * Kursgewinne / Kursverluste of its class 4 and 7. */
static const struct {
    const char *chart;
    struct ledger_fx_accounts accounts;
} fx_accounts[] = {
    {"skr03", {.gain = "2660", .loss = "2150"}},
    {"skr04", {.gain = "4840", .loss = "6880"}},
    {"ekr", {.gain = "4860", .loss = "7860"}},
};

const struct ledger_fx_accounts *ledger_fx_accounts(const struct ledger_chart *c)
{
    for (size_t i = 0; i < sizeof fx_accounts / sizeof fx_accounts[0]; i++)
        if (strcmp(fx_accounts[i].chart, c->slug) == 0)
            return &fx_accounts[i].accounts;
    return NULL;
}

#define SETTLE_LINES_MAX 8

int ledger_fx_settle(struct store_tx *tx, const struct ledger_chart *chart, struct invoice *inv,
                     const struct money *settlement, const char *source, const char *date,
                     enum ledger_fx_settled *what, char entry_id[CRYPTO_ID_MAX],
                     int64_t *difference, struct error *err)
{
    *what = LEDGER_FX_NOTHING;
    entry_id[0] = '\0';
    *difference = 0;
    if (strcmp(inv->currency, FX_BOOK_CURRENCY) == 0 || inv->total_gross_minor == 0)
        return 0;
    if (!inv->fx.rated) {
        /* Flagged until now: the provider's amount is its rate from the start. */
        if (ledger_fx_rate(tx, inv, settlement, source, err) < 0 ||
            store_invoice_fx_insert(tx, inv->tenant_id, inv->id, &inv->fx, err) < 0)
            return -1;
        *what = LEDGER_FX_RATED;
        return 0;
    }
    /* A provider's own rate leaves nothing to realise; an invoice not posted yet has no
     * clearing line to settle (it is posted at its ECB rate, the difference unrealised). */
    if (strcmp(inv->fx.source, "ecb") != 0 || !inv->journal_entry_id[0])
        return 0;
    int64_t entries = 0;
    if (store_journal_count_for_invoice(tx, inv->tenant_id, inv->id, &entries, err) < 0)
        return -1;
    if (entries != 1)
        return 0; /* settled before: one difference per invoice */
    int64_t diff = settlement->minor - inv->fx.book_gross_minor;
    if (diff == 0)
        return 0;
    struct journal_line_row old[SETTLE_LINES_MAX];
    size_t n = 0;
    if (store_journal_lines_get(tx, inv->tenant_id, inv->journal_entry_id, old, SETTLE_LINES_MAX,
                                &n, err) < 0)
        return -1;
    const struct ledger_fx_accounts *acc = ledger_fx_accounts(chart);
    if (n < 2 || !acc)
        return error_set(err, ERR_VALIDATION, "entry %s has no clearing line to settle",
                         inv->journal_entry_id);
    /* The clearing line is the entry's last (post.c). Money in (revenue: clearing debited)
     * that settles higher is a gain; money out (clearing credited) that costs more a loss. */
    const struct journal_line_row *clearing = &old[n - 1];
    bool money_in = clearing->debit_minor > 0;
    bool gain = money_in ? diff > 0 : diff < 0;
    int64_t amount = diff < 0 ? -diff : diff;
    bool clearing_debit = diff > 0 ? money_in : !money_in;
    struct journal_line lines[2] = {
        {.account = gain ? acc->gain : acc->loss,
         .debit_minor = clearing_debit ? 0 : amount,
         .credit_minor = clearing_debit ? amount : 0,
         .currency = FX_BOOK_CURRENCY,
         .book_debit_minor = clearing_debit ? 0 : amount,
         .book_credit_minor = clearing_debit ? amount : 0},
        {.account = clearing->account,
         .debit_minor = clearing_debit ? amount : 0,
         .credit_minor = clearing_debit ? 0 : amount,
         .currency = FX_BOOK_CURRENCY,
         .book_debit_minor = clearing_debit ? amount : 0,
         .book_credit_minor = clearing_debit ? 0 : amount},
    };
    char description[400];
    snprintf(description, sizeof description, "Exchange difference %s %s (%s)", inv->source,
             inv->invoice_number, inv->external_id);
    if (store_journal_insert(tx, inv->tenant_id, date, description, inv->id, lines, 2, entry_id,
                             err) < 0)
        return -1;
    *what = LEDGER_FX_DIFFERENCE;
    *difference = diff;
    return 0;
}
