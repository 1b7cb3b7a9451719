/* api/ledger.c - the journal and the trial balance; members may read:
 *   GET /api/ledger/entries   ?from= &to= (entry date) &limit= &cursor=, newest first; a
 *                             line's vatCode names the VAT of its booking (null: none)
 *   GET /api/ledger/balances  per account and currency: debit, credit, balance (debit minus
 *                             credit, may be negative); totals per currency, which are equal
 *                             on both sides when the ledger balances; each row and
 *                             "bookTotals" also in the book currency (EUR), which is what
 *                             balances across currencies
 *   GET /api/ledger/verify    (admin) recomputes the tenant's hash chains (journal, audit)
 *                             and names the first row that does not match (ledger/books.c)
 * Amounts are decimal strings in each currency's own decimals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/listing.h"
#include "core/money.h"
#include "ledger/ledger.h"
#include "store/books.h"
#include "store/store.h"

/* ---- entries ------------------------------------------------------------------------ */

static json_t *entry_json(const struct journal_entry_record *e)
{
    json_t *lines = json_array();
    json_t *o = json_object();
    int rc = !lines || !o;
    for (size_t i = 0; !rc && i < e->n_lines; i++) {
        const struct journal_line *l = &e->lines[i];
        rc |= json_array_append_new(
            lines, json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "account",
                             listing_json_text(l->account), "debit",
                             listing_json_money(l->debit_minor, l->currency), "credit",
                             listing_json_money(l->credit_minor, l->currency), "currency",
                             l->currency, "vatCode", listing_json_text(l->vat_code), "bookDebit",
                             listing_json_money(l->book_debit_minor, "EUR"), "bookCredit",
                             listing_json_money(l->book_credit_minor, "EUR")));
    }
    if (!rc) {
        rc |= json_object_set_new(o, "id", json_string(e->id));
        rc |= json_object_set_new(o, "date", json_string(e->date));
        rc |= json_object_set_new(o, "description", listing_json_text(e->description));
        rc |= json_object_set_new(o, "invoiceId", listing_json_text(e->invoice_id));
        rc |= json_object_set_new(o, "createdAt", json_string(e->created_at));
        rc |= json_object_set_new(o, "lines", lines);
        lines = NULL;
    }
    json_decref(lines);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int add_entry(void *ctx, const struct journal_entry_record *e)
{
    return listing_collect_add(ctx, entry_json(e));
}

int api_ledger_entries(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    const char *from, *to;
    if (listing_page_parse(req, "je_", &page, err) < 0 ||
        listing_query_range(req, &from, &to, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_journal_list(app->store, req->principal->tenant_id, from, to, &sp, add_entry, &c,
                           err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "entries", err);
}

/* ---- balances ----------------------------------------------------------------------- */

struct currency_total {
    struct money debit;
    struct money credit;
};

/* The balance rows as JSON and the running totals per currency, kept sorted by currency. */
struct balance_sheet {
    json_t *list;
    struct currency_total *totals;
    size_t n_totals, cap_totals;
    struct currency_total book; /* every line in EUR */
    bool unrated;               /* lines without an EUR amount (from before rates) */
    struct error err;
    bool failed;
};

static struct currency_total *total_for(struct balance_sheet *bs, const char *currency)
{
    size_t i = 0;
    while (i < bs->n_totals && strcmp(bs->totals[i].debit.currency, currency) < 0)
        i++;
    if (i < bs->n_totals && strcmp(bs->totals[i].debit.currency, currency) == 0)
        return &bs->totals[i];
    if (bs->n_totals == bs->cap_totals) {
        size_t cap = bs->cap_totals ? 2 * bs->cap_totals : 4;
        struct currency_total *t = realloc(bs->totals, cap * sizeof *t);
        if (!t)
            return NULL;
        bs->totals = t;
        bs->cap_totals = cap;
    }
    memmove(&bs->totals[i + 1], &bs->totals[i], (bs->n_totals - i) * sizeof *bs->totals);
    bs->n_totals++;
    struct currency_total *t = &bs->totals[i];
    memset(t, 0, sizeof *t);
    snprintf(t->debit.currency, sizeof t->debit.currency, "%s", currency);
    memcpy(t->credit.currency, t->debit.currency, sizeof t->credit.currency);
    return t;
}

static int add_balance(void *ctx, const struct account_balance *b)
{
    struct balance_sheet *bs = ctx;
    struct money debit = {.minor = b->debit_minor}, credit = {.minor = b->credit_minor};
    struct money minus_credit, balance, book_balance;
    struct money book_debit = {.minor = b->book_debit_minor, .currency = "EUR"};
    struct money book_credit = {.minor = b->book_credit_minor, .currency = "EUR"};
    bs->unrated |= b->unrated;
    memcpy(debit.currency, b->currency, sizeof debit.currency);
    memcpy(credit.currency, b->currency, sizeof credit.currency);
    struct currency_total *t = total_for(bs, b->currency);
    if (!t) {
        error_set(&bs->err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    /* Sums are never negative, so debit - credit fits; the totals are checked anyway, and
     * one that overflows (books an earlier release filled with amounts beyond today's
     * maximum) is answered as ERR_AMOUNT_OVERFLOW. */
    if (money_negate(&credit, &minus_credit, &bs->err) < 0 ||
        money_add(&debit, &minus_credit, &balance, &bs->err) < 0 ||
        money_add(&t->debit, &debit, &t->debit, &bs->err) < 0 ||
        money_add(&t->credit, &credit, &t->credit, &bs->err) < 0 ||
        money_add(&bs->book.debit, &book_debit, &bs->book.debit, &bs->err) < 0 ||
        money_add(&bs->book.credit, &book_credit, &bs->book.credit, &bs->err) < 0 ||
        money_negate(&book_credit, &minus_credit, &bs->err) < 0 ||
        money_add(&book_debit, &minus_credit, &book_balance, &bs->err) < 0) {
        error_set(&bs->err, ERR_AMOUNT_OVERFLOW,
                  "the ledger's totals in %s do not fit 64-bit minor units; the books hold "
                  "amounts beyond the maximum of 10^13 minor units that an earlier release "
                  "accepted", b->currency);
        goto fail;
    }
    json_t *row = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "account",
                            listing_json_text(b->account), "currency", b->currency, "debit",
                            listing_json_money(debit.minor, b->currency), "credit",
                            listing_json_money(credit.minor, b->currency), "balance",
                            listing_json_money(balance.minor, b->currency), "bookDebit",
                            listing_json_money(book_debit.minor, "EUR"), "bookCredit",
                            listing_json_money(book_credit.minor, "EUR"), "bookBalance",
                            listing_json_money(book_balance.minor, "EUR"), "unrated",
                            b->unrated);
    if (json_array_append_new(bs->list, row) < 0) {
        error_set(&bs->err, ERR_INTERNAL, "cannot build a balance row as JSON");
        goto fail;
    }
    return 0;
fail:
    bs->failed = true;
    return 1;
}

int api_ledger_balances(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct balance_sheet bs = {.list = json_array(),
                               .book = {.debit = {.currency = "EUR"}, .credit = {.currency = "EUR"}}};
    json_t *totals = json_array();
    int rc = -1;
    if (!bs.list || !totals) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (store_ledger_balances(app->store, req->principal->tenant_id, add_balance, &bs, err) < 0)
        goto out;
    if (bs.failed) {
        *err = bs.err;
        goto out;
    }
    for (size_t i = 0; i < bs.n_totals; i++) {
        const struct currency_total *t = &bs.totals[i];
        if (json_array_append_new(
                totals, json_pack("{s:s, s:o, s:o}", "currency", t->debit.currency, "debit",
                                  listing_json_money(t->debit.minor, t->debit.currency),
                                  "credit",
                                  listing_json_money(t->credit.minor, t->credit.currency))) < 0) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    rc = http_respond_json(res, 200,
                           json_pack("{s:O, s:O, s:{s:s, s:o, s:o, s:b}}", "balances", bs.list,
                                     "totals", totals, "bookTotals", "currency", "EUR", "debit",
                                     listing_json_money(bs.book.debit.minor, "EUR"), "credit",
                                     listing_json_money(bs.book.credit.minor, "EUR"), "unrated",
                                     bs.unrated),
                           err);
out:
    json_decref(bs.list);
    json_decref(totals);
    free(bs.totals);
    return rc;
}

/* ---- verify ------------------------------------------------------------------------- */

int api_ledger_verify(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    json_t *body;
    if (ledger_books_verify(app->store, req->principal->tenant_id, &body, err) < 0)
        return -1;
    return http_respond_json(res, 200, body, err);
}
