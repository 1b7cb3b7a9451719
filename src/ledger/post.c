/* ledger/post.c - the journal entry for one invoice or credit note.
 *
 * Lines go in one order: the base line (expense or revenue), the tax line when a VAT code
 * applies, and the counter line (clearing) that balances them; the DATEV export reads an
 * entry in that order. */
#include <stdio.h>
#include <string.h>

#include "core/fx.h"
#include "ledger/ledger.h"
#include "store/accounting.h"
#include "store/books.h"

int64_t ledger_vat_of_gross(int64_t gross_minor, int rate_bp)
{
    if (rate_bp <= 0)
        return 0;
    __int128 num = (__int128)gross_minor * rate_bp;
    __int128 den = 10000 + rate_bp;
    __int128 q = (num < 0 ? -num : num) * 2 + den;
    q /= 2 * den; /* half away from zero */
    return (int64_t)(num < 0 ? -q : q);
}

/* The chart's VAT of `kind` whose rate the tax in `gross` is at: the rate the amounts
 * imply, within the rounding of a minor unit on each (so a tax of 19.00 in 119.00 is 19 %,
 * and 0.16 in 1.00 is still 19 %). NULL when no rate of the chart fits. */
const struct ledger_vat *ledger_vat_for_tax(const struct ledger_chart *c,
                                            enum ledger_vat_kind kind, int64_t gross,
                                            int64_t tax)
{
    if (tax <= 0 || gross <= tax)
        return NULL;
    const struct ledger_vat *best = NULL;
    __int128 best_diff = 0;
    for (size_t i = 0; i < c->n_vat; i++) {
        const struct ledger_vat *v = &c->vat[i];
        if (v->kind != kind || v->rate_bp <= 0)
            continue;
        __int128 diff = (__int128)ledger_vat_of_gross(gross, v->rate_bp) - tax;
        if (diff < 0)
            diff = -diff;
        if (!best || diff < best_diff) {
            best = v;
            best_diff = diff;
        }
    }
    /* A provider rounds the tax per line item: allow 2 minor units, or 0.05 % of the gross
     * on large invoices, far below the gap between two rates (19 % and 20 %: 0.7 %). */
    int64_t tolerance = gross / 2000 > 2 ? gross / 2000 : 2;
    return best && best_diff <= tolerance ? best : NULL;
}

/* The tax's EUR amount at the invoice's rate, and the base's as what is left of the gross:
 * base + tax = gross in EUR exactly, whatever the rounding. */
static int book_split(const struct invoice *inv, int64_t tax, int64_t *book_gross,
                      int64_t *book_tax, struct error *err)
{
    if (!inv->fx.rated)
        return error_set(err, ERR_FX_MISSING,
                         "invoice %s is in %s and has no exchange rate for %s yet: import the "
                         "ECB rates (connectord rates import FILE)",
                         inv->id, inv->currency, inv->invoice_date);
    struct money t = {.minor = tax}, b;
    memcpy(t.currency, inv->currency, sizeof t.currency);
    *book_gross = inv->fx.book_gross_minor;
    *book_tax = tax;
    if (strcmp(inv->currency, FX_BOOK_CURRENCY) != 0 && tax != 0) {
        if (fx_to_book(&t, inv->fx.rate, &b, err) < 0)
            return -1;
        *book_tax = b.minor;
    }
    if (*book_gross < 0 || *book_tax < 0 || *book_tax > *book_gross)
        return error_set(err, ERR_VALIDATION, "invoice %s: its tax in EUR exceeds its gross",
                         inv->id);
    return 0;
}

static void describe(const struct invoice *inv, const char *what, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s %s (%s)", what, inv->source, inv->invoice_number, inv->external_id);
}

int ledger_entry_reserve(struct invoice *inv, struct error *err)
{
    inv->entry_reserved = false;
    inv->journal_entry_id[0] = '\0';
    if (inv->total_gross_minor == 0) /* posts nothing (see ledger_post_invoice) */
        return 0;
    if (store_journal_id_new(inv->journal_entry_id, err) < 0)
        return -1;
    inv->entry_reserved = true;
    return 0;
}

/* Writes the entry and links it to the invoice: an invoice stored naming its entry (its id
 * reserved) is linked already, any other by an update that fails on one posted before. */
static int write_entry(struct store_tx *tx, const struct invoice *inv, const char *description,
                       const struct journal_line *lines, size_t n, char entry_id[CRYPTO_ID_MAX],
                       struct error *err)
{
    if (inv->entry_reserved) {
        if (store_journal_insert_as(tx, inv->journal_entry_id, inv->tenant_id,
                                    inv->invoice_date, description, inv->id, lines, n,
                                    err) < 0)
            return -1;
        memcpy(entry_id, inv->journal_entry_id, CRYPTO_ID_MAX);
        return 0;
    }
    if (store_journal_insert(tx, inv->tenant_id, inv->invoice_date, description, inv->id, lines,
                             n, entry_id, err) < 0)
        return -1;
    return store_invoice_set_entry(tx, inv->tenant_id, inv->id, entry_id, err);
}

/* An invoice that reserved an entry and would post none would name an entry that never
 * exists: refused (ledger_entry_reserve reserves none for an amount of zero). */
static int nothing_to_post(const struct invoice *inv, struct error *err)
{
    return inv->entry_reserved
               ? error_set(err, ERR_INTERNAL, "invoice %s reserved an entry it cannot post",
                           inv->id)
               : 0;
}

/* The treatment an invoice's line was given; false for invoices from before treatments
 * (their VAT code alone says what they are). */
static bool treatment_of(const struct invoice *inv, enum ledger_tax_treatment *t)
{
    return inv->tax_line.treatment[0] && ledger_tax_parse(inv->tax_line.treatment, t) == 0;
}

/* Marks the booking's lines (base and tax) with the invoice line's treatment. */
static void mark_treatment(struct journal_line *lines, size_t n, const struct invoice *inv)
{
    for (size_t i = 0; i < n; i++) {
        lines[i].tax_treatment = inv->tax_line.treatment;
        lines[i].tax_country = inv->tax_line.country;
        lines[i].tax_rate_bp = inv->tax_line.rate_bp;
    }
}

/* A booking whose VAT is not the tenant's own: an OSS sale (the other state's VAT, split
 * out to the chart's output VAT account under no domestic code) or one without VAT
 * (intra-EU, exports, Kleinunternehmer, a service received under reverse charge, whose
 * tax the returns compute from the base). */
static int post_foreign(struct store_tx *tx, bool expense, enum ledger_tax_treatment t,
                        const struct ledger_accounts *accounts, const struct invoice *inv,
                        char entry_id[CRYPTO_ID_MAX], struct error *err)
{
    int64_t gross = inv->total_gross_minor;
    int64_t tax = t == LEDGER_TAX_OSS && inv->has_tax ? inv->tax_minor : 0;
    const char *base_account = expense ? accounts->expense : accounts->revenue;
    /* A sale on the chart's default revenue account (domestic, 19 % in SKR) goes to the
     * chart's account for its treatment; an account the connector names wins. */
    const char *special = ledger_chart_treatment_revenue(accounts->chart, t);
    if (!expense && special && strcmp(accounts->revenue, accounts->chart->revenue) == 0)
        base_account = special;
    int64_t bg, bt;
    if (book_split(inv, tax, &bg, &bt, err) < 0)
        return -1;
    struct journal_line lines[3];
    size_t n = 0;
    lines[n++] = (struct journal_line){.account = base_account,
                                       .debit_minor = expense ? gross - tax : 0,
                                       .credit_minor = expense ? 0 : gross - tax,
                                       .currency = inv->currency,
                                       .book_debit_minor = expense ? bg - bt : 0,
                                       .book_credit_minor = expense ? 0 : bg - bt};
    if (tax != 0)
        lines[n++] = (struct journal_line){.account = accounts->chart->output_vat,
                                           .credit_minor = tax,
                                           .currency = inv->currency,
                                           .vat_tax = true,
                                           .book_credit_minor = bt};
    mark_treatment(lines, n, inv);
    lines[n++] = (struct journal_line){.account = accounts->clearing,
                                       .debit_minor = expense ? 0 : gross,
                                       .credit_minor = expense ? gross : 0,
                                       .currency = inv->currency,
                                       .book_debit_minor = expense ? 0 : bg,
                                       .book_credit_minor = expense ? bg : 0};
    char description[400];
    describe(inv, expense ? "Payment" : "Receipt", description, sizeof description);
    return write_entry(tx, inv, description, lines, n, entry_id, err);
}

int ledger_post_invoice(struct store_tx *tx, enum ledger_direction direction,
                        const struct ledger_accounts *accounts, const struct invoice *inv,
                        char entry_id[CRYPTO_ID_MAX], struct error *err)
{
    /* A zero amount (a trial's or a fully discounted invoice, which Stripe reports as paid)
     * moves no money: there is nothing to post, and the store refuses lines of zero. The
     * invoice stays booked, without an entry, as it would with autoPost off. */
    entry_id[0] = '\0';
    if (inv->total_gross_minor == 0)
        return nothing_to_post(inv, err);
    bool expense = direction == LEDGER_EXPENSE;
    enum ledger_tax_treatment treatment = LEDGER_TAX_DOMESTIC;
    bool treated = treatment_of(inv, &treatment);
    if (treated && treatment != LEDGER_TAX_DOMESTIC && treatment != LEDGER_TAX_UNCLASSIFIED)
        return post_foreign(tx, expense, treatment, accounts, inv, entry_id, err);
    /* Domestic, unclassified (booked as the connector and the provider say; the returns
     * name it) and invoices from before treatments. */
    enum ledger_vat_kind kind = expense ? LEDGER_VAT_INPUT : LEDGER_VAT_OUTPUT;
    const struct ledger_vat *vat = NULL;
    int64_t gross = inv->total_gross_minor;
    int64_t tax = 0;
    if (inv->has_tax) {
        /* The provider said what the VAT is: that amount, under the chart's code for it. */
        if (inv->tax_minor != 0 && !(vat = ledger_vat_for_tax(accounts->chart, kind, gross,
                                                              inv->tax_minor)))
            return error_set(err, ERR_VALIDATION,
                             "the provider's tax of %lld in %lld (minor units) is at no VAT "
                             "rate of the tenant's chart %s",
                             (long long)inv->tax_minor, (long long)gross, accounts->chart->slug);
        tax = vat ? inv->tax_minor : 0;
    } else if (accounts->vat_rate_bp) {
        vat = ledger_vat_for_rate(accounts->chart, kind, accounts->vat_rate_bp);
        if (!vat)
            return error_set(err, ERR_VALIDATION,
                             "the connector's vatRate %d %% is not a VAT rate of the tenant's "
                             "chart %s; change vatRate or the chart in the settings",
                             accounts->vat_rate_bp / 100, accounts->chart->slug);
        tax = ledger_vat_of_gross(gross, vat->rate_bp);
    }
    const char *code = vat ? vat->code : NULL;
    int64_t bg, bt;
    if (book_split(inv, tax, &bg, &bt, err) < 0)
        return -1;
    /* Expense: base and tax debited, clearing credited; revenue the other way round. */
    struct journal_line lines[3];
    size_t n = 0;
    lines[n++] = (struct journal_line){.account = expense ? accounts->expense : accounts->revenue,
                                       .debit_minor = expense ? gross - tax : 0,
                                       .credit_minor = expense ? 0 : gross - tax,
                                       .currency = inv->currency,
                                       .vat_code = code,
                                       .book_debit_minor = expense ? bg - bt : 0,
                                       .book_credit_minor = expense ? 0 : bg - bt};
    if (tax != 0)
        lines[n++] = (struct journal_line){.account = vat->account,
                                           .debit_minor = expense ? tax : 0,
                                           .credit_minor = expense ? 0 : tax,
                                           .currency = inv->currency,
                                           .vat_code = code,
                                           .vat_tax = true,
                                           .book_debit_minor = expense ? bt : 0,
                                           .book_credit_minor = expense ? 0 : bt};
    if (treated)
        mark_treatment(lines, n, inv);
    lines[n++] = (struct journal_line){.account = accounts->clearing,
                                       .debit_minor = expense ? 0 : gross,
                                       .credit_minor = expense ? gross : 0,
                                       .currency = inv->currency,
                                       .book_debit_minor = expense ? 0 : bg,
                                       .book_credit_minor = expense ? bg : 0};
    char description[400];
    describe(inv, expense ? "Payment" : "Receipt", description, sizeof description);
    return write_entry(tx, inv, description, lines, n, entry_id, err);
}

#define REFUND_LINES_MAX 8

int ledger_post_refund(struct store_tx *tx, const struct invoice *original,
                       const struct invoice *credit_note, char entry_id[CRYPTO_ID_MAX],
                       struct error *err)
{
    struct journal_line_row old[REFUND_LINES_MAX];
    size_t n = 0;
    entry_id[0] = '\0';
    if (credit_note->total_gross_minor == 0)
        return nothing_to_post(credit_note, err);
    if (store_journal_lines_get(tx, original->tenant_id, original->journal_entry_id, old,
                                REFUND_LINES_MAX, &n, err) < 0)
        return -1;
    /* The original's shape, as ledger_post_invoice writes it: two lines (base, counter),
     * or three (base, tax, counter) with base and tax on one side and the counter alone on
     * the other. Entries from before VAT codes have two lines in either order; mirroring
     * each line's side keeps them right too. */
    size_t base = 0, tax = n, counter = n - 1;
    bool shaped = n == 2;
    if (n == 3) {
        for (size_t i = 0; i < n; i++)
            if (old[i].vat_tax)
                tax = i;
        base = tax == 0 ? 1 : 0;
        counter = 3 - base - tax;
        shaped = tax < n && (old[base].debit_minor > 0) == (old[tax].debit_minor > 0) &&
                 (old[counter].debit_minor > 0) != (old[base].debit_minor > 0);
    }
    if (!shaped)
        return error_set(err, ERR_VALIDATION,
                         "entry %s of invoice %s has a shape a refund cannot mirror",
                         original->journal_entry_id, original->id);

    const struct journal_line_row *b = &old[base], *c = &old[counter];
    const char *code = b->vat_code[0] ? b->vat_code : NULL;
    int64_t gross = credit_note->total_gross_minor, vat_minor = 0;
    if (tax != n) {
        /* A domestic tax line has its VAT code; an OSS one its treatment's rate. */
        const struct ledger_vat *v = ledger_vat_find(old[tax].vat_code);
        int rate_bp = v ? v->rate_bp : old[tax].tax_treatment[0] ? old[tax].tax_rate_bp : -1;
        if (rate_bp < 0)
            return error_set(err, ERR_VALIDATION, "entry %s has the unknown VAT code %s",
                             original->journal_entry_id, old[tax].vat_code);
        /* A full refund takes back exactly the tax booked (a provider's own figure may
         * differ from the rate's rounding); a partial one the rate's share. */
        int64_t old_tax = old[tax].debit_minor + old[tax].credit_minor;
        int64_t old_gross = old[counter].debit_minor + old[counter].credit_minor;
        vat_minor = gross == old_gross ? old_tax : ledger_vat_of_gross(gross, rate_bp);
    }
    /* The refund's own rate (of its day, or its settlement) gives its EUR amounts. */
    int64_t bg, bt;
    if (book_split(credit_note, vat_minor, &bg, &bt, err) < 0)
        return -1;
    /* The sides swap: what was debited is credited. */
    bool base_debit = !(b->debit_minor > 0);
    struct journal_line lines[3];
    size_t k = 0;
    lines[k++] = (struct journal_line){.account = b->account,
                                       .debit_minor = base_debit ? gross - vat_minor : 0,
                                       .credit_minor = base_debit ? 0 : gross - vat_minor,
                                       .currency = credit_note->currency,
                                       .vat_code = code,
                                       .book_debit_minor = base_debit ? bg - bt : 0,
                                       .book_credit_minor = base_debit ? 0 : bg - bt};
    if (vat_minor != 0)
        lines[k++] = (struct journal_line){.account = old[tax].account,
                                           .debit_minor = base_debit ? vat_minor : 0,
                                           .credit_minor = base_debit ? 0 : vat_minor,
                                           .currency = credit_note->currency,
                                           .vat_code = old[tax].vat_code[0] ? old[tax].vat_code
                                                                           : NULL,
                                           .vat_tax = true,
                                           .book_debit_minor = base_debit ? bt : 0,
                                           .book_credit_minor = base_debit ? 0 : bt};
    /* The same treatment as the booking it corrects. */
    for (size_t i = 0; i < k && b->tax_treatment[0]; i++) {
        lines[i].tax_treatment = b->tax_treatment;
        lines[i].tax_country = b->tax_country;
        lines[i].tax_rate_bp = b->tax_rate_bp;
    }
    lines[k++] = (struct journal_line){.account = c->account,
                                       .debit_minor = base_debit ? 0 : gross,
                                       .credit_minor = base_debit ? gross : 0,
                                       .currency = credit_note->currency,
                                       .book_debit_minor = base_debit ? 0 : bg,
                                       .book_credit_minor = base_debit ? bg : 0};
    char description[400];
    describe(credit_note, "Refund", description, sizeof description);
    return write_entry(tx, credit_note, description, lines, k, entry_id, err);
}
