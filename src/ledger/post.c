/* ledger/post.c - the journal entry for one invoice or credit note. */
#include <stdio.h>

#include "ledger/ledger.h"

int ledger_post_invoice(struct store_tx *tx, enum ledger_direction direction,
                        const struct ledger_accounts *accounts, const struct invoice *inv,
                        bool reversal, char entry_id[CRYPTO_ID_MAX], struct error *err)
{
    /* A zero amount (a trial's or a fully discounted invoice, which Stripe reports as paid)
     * moves no money: there is nothing to post, and the store refuses lines of zero. The
     * invoice stays booked, without an entry, as it would with autoPost off. */
    entry_id[0] = '\0';
    if (inv->total_gross_minor == 0)
        return 0;
    /* The account debited and the one credited for a payment; a refund swaps them. */
    const char *debit = direction == LEDGER_EXPENSE ? accounts->expense : accounts->clearing;
    const char *credit = direction == LEDGER_EXPENSE ? accounts->clearing : accounts->revenue;
    if (reversal) {
        const char *t = debit;
        debit = credit;
        credit = t;
    }
    struct journal_line lines[] = {
        {.account = debit, .debit_minor = inv->total_gross_minor, .currency = inv->currency},
        {.account = credit, .credit_minor = inv->total_gross_minor, .currency = inv->currency},
    };
    char description[400];
    snprintf(description, sizeof description, "%s %s %s (%s)",
             reversal ? "Refund" : direction == LEDGER_EXPENSE ? "Payment" : "Receipt",
             inv->source, inv->invoice_number, inv->external_id);
    if (store_journal_insert(tx, inv->tenant_id, inv->invoice_date, description, inv->id, lines,
                             2, entry_id, err) < 0)
        return -1;
    return store_invoice_set_entry(tx, inv->tenant_id, inv->id, entry_id, err);
}
