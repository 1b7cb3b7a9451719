/* payouts/reconcile.c - the bank's balance against the books' (payouts.h).
 *
 * The bank side is the sum of the account's booked lines up to the day; the books' side is
 * the balance of the ledger account the bank account maps to (its own, else the chart's
 * bank account) in the account's currency up to the same day. What tells them apart:
 *   inBankNotInBooks  booked lines that no entry names yet (unmatched: they wait for review)
 *   inBooksNotInBank  entries on the ledger's bank account that no bank line names (a
 *                     payout booked from the provider's report that the bank has not shown,
 *                     a booking made by hand)
 * unexplained = difference - sum(inBankNotInBooks) + sum(inBooksNotInBank); zero when the
 * two lists account for the whole difference. All sums are checked. */
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "payouts/payouts_int.h"

struct list_ctx {
    json_t *items;
    const char *currency;
    int64_t sum;
    bool overflow, failed;
};

static json_t *amount_json(int64_t minor, const char *currency)
{
    struct money m = {.minor = minor};
    char text[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, text);
    return json_string(text);
}

static int add_line(void *ctx, const struct bank_line *l)
{
    struct list_ctx *c = ctx;
    if (__builtin_add_overflow(c->sum, l->amount_minor, &c->sum))
        c->overflow = true;
    json_t *o = payouts_line_json(l);
    if (!o || json_array_append_new(c->items, o) < 0)
        c->failed = true;
    return c->failed || c->overflow;
}

static int add_entry(void *ctx, const struct ledger_only *e)
{
    struct list_ctx *c = ctx;
    if (__builtin_add_overflow(c->sum, e->amount_minor, &c->sum))
        c->overflow = true;
    json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "entryId", e->entry_id, "date", e->date,
                          "description", e->description, "amount",
                          amount_json(e->amount_minor, c->currency));
    if (!o || json_array_append_new(c->items, o) < 0)
        c->failed = true;
    return c->failed || c->overflow;
}

static bool valid_date(const char *d)
{
    return d && strlen(d) == 10 && d[4] == '-' && d[7] == '-' &&
           strspn(d, "0123456789-") == 10;
}

int payouts_reconcile(struct store *s, const char *tenant_id, const char *account_id,
                      const char *to, json_t **out, struct error *err)
{
    struct bank_account_view a;
    struct tenant_settings st;
    int64_t bank = 0, books = 0, difference, unexplained;
    *out = NULL;
    if (to && !valid_date(to))
        return error_set(err, ERR_INVALID_FIELD, "to must be a date (YYYY-MM-DD)");
    if (store_bank_account_view(s, tenant_id, account_id, &a, err) < 0 ||
        settings_load(s, tenant_id, &st, err) < 0)
        return -1;
    const char *ledger = a.ledger_account[0] ? a.ledger_account : st.chart->bank;
    const char *currency = a.currency[0] ? a.currency : "EUR";
    struct list_ctx in_bank = {.items = json_array(), .currency = currency};
    struct list_ctx in_books = {.items = json_array(), .currency = currency};
    if (!in_bank.items || !in_books.items) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    if (store_bank_lines_sum(s, tenant_id, a.id, to, &bank, err) < 0 ||
        store_ledger_account_sum(s, tenant_id, ledger, currency, to, &books, err) < 0 ||
        store_bank_lines_unbooked(s, tenant_id, a.id, to, add_line, &in_bank, err) < 0 ||
        store_ledger_unmatched(s, tenant_id, ledger, currency, to, add_entry, &in_books, err) < 0)
        goto fail;
    if (in_bank.failed || in_books.failed) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    if (in_bank.overflow || in_books.overflow ||
        __builtin_sub_overflow(bank, books, &difference) ||
        __builtin_sub_overflow(difference, in_bank.sum, &unexplained) ||
        __builtin_add_overflow(unexplained, in_books.sum, &unexplained)) {
        error_set(err, ERR_AMOUNT_OVERFLOW, "the reconciliation's sums do not fit");
        goto fail;
    }
    *out = json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "account", a.id, "ledgerAccount", ledger, "to",
                     to ? json_string(to) : json_null(), "currency", currency, "iban",
                     a.iban, "bankBalance", amount_json(bank, currency), "ledgerBalance",
                     amount_json(books, currency), "difference", amount_json(difference, currency),
                     "reportedBalance",
                     a.has_balance ? json_pack("{s:o, s:s}", "amount",
                                               amount_json(a.balance_minor, currency), "date",
                                               a.balance_date)
                                   : json_null(),
                     "inBankNotInBooks", in_bank.items, "inBooksNotInBank", in_books.items,
                     "unexplained", amount_json(unexplained, currency), "reconciled",
                     json_boolean(difference == 0));
    if (!*out)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
fail:
    json_decref(in_bank.items);
    json_decref(in_books.items);
    return -1;
}
