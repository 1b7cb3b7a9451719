/* ledger/ledger.h - double-entry postings for what the pipeline books.
 *
 * Which side of a payment the tenant is on decides the entry: an expense (what arrives is
 * an incoming invoice) debits the expense account and credits the provider's clearing
 * account; a revenue (a customer paid) debits clearing and credits revenue. A refund posts
 * the same entry reversed. Accounts come from the connector's settings, else defaults
 * (SKR03 numbers: 4900 other operating expenses, 8400 revenue, 1360 money in transit). */
#ifndef CONNECTORD_LEDGER_H
#define CONNECTORD_LEDGER_H

#include <stdbool.h>

#include "core/error.h"
#include "store/store.h"

#define LEDGER_DEFAULT_EXPENSE "4900"
#define LEDGER_DEFAULT_REVENUE "8400"
#define LEDGER_DEFAULT_CLEARING "1360"

enum ledger_direction { LEDGER_EXPENSE, LEDGER_REVENUE };

struct ledger_accounts {
    const char *expense;
    const char *revenue;
    const char *clearing;
};

/* Posts the entry for `inv` (reversed for a refund) and links it to the invoice; an amount
 * of zero posts nothing and leaves entry_id empty. */
int ledger_post_invoice(struct store_tx *tx, enum ledger_direction direction,
                        const struct ledger_accounts *accounts, const struct invoice *inv,
                        bool reversal, char entry_id[CRYPTO_ID_MAX], struct error *err);

#endif
