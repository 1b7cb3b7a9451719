/* store/payouts.h - the store's side of matching and of the payment providers' pulls
 * (q_payouts.c): what providers paid out and kept (provider_movements), the matching
 * columns of the bank's transactions (bank_transactions.match_status, invoice_id,
 * ledger_entry_id), the tenant's matching rules, the invoices a bank transaction paid, and
 * the sums reconciliation compares. Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_PAYOUTS_H
#define CONNECTORD_STORE_PAYOUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

struct store_tx;

#define STORE_MOVEMENT_ID_MAX 128
#define STORE_BANK_TEXT_MAX 512

/* ---- what providers paid out and kept ---------------------------------------------------- */

struct provider_movement {
    char id[CRYPTO_ID_MAX];
    char provider[STORE_SLUG_MAX];
    char kind[8]; /* "fee", "payout", "event" (a recovered event, amount 0) */
    char external_id[STORE_MOVEMENT_ID_MAX];
    int64_t amount_minor; /* > 0: what the fee cost, what the payout brought */
    char currency[4];
    char occurred_on[11]; /* YYYY-MM-DD */
    char reference[STORE_MOVEMENT_ID_MAX]; /* payout: what the bank statement shows, or "" */
    char ledger_entry_id[CRYPTO_ID_MAX];   /* "" when not booked */
    char bank_transaction_id[CRYPTO_ID_MAX]; /* payout: its bank line once matched, or "" */
};

/* Inserts unless (tenant, provider, kind, external_id) exists: *inserted false then, and
 * nothing changed (the unique key decides). m->id is filled when inserted. */
int store_movement_insert(struct store_tx *tx, const char *tenant_id, struct provider_movement *m,
                          bool *inserted, struct error *err);
/* Calls fn for each payout of the tenant in `currency` of `amount_minor` that no bank line
 * is matched to yet, oldest first; m is valid during the call, fn returns non-zero to stop. */
int store_payouts_unmatched(struct store_tx *tx, const char *tenant_id, int64_t amount_minor,
                            const char *currency,
                            int (*fn)(void *ctx, const struct provider_movement *m), void *ctx,
                            struct error *err);
/* Matches a payout to a bank line once (ERR_CONFLICT when it has one). */
int store_payout_link(struct store_tx *tx, const char *tenant_id, const char *movement_id,
                      const char *bank_transaction_id, struct error *err);
/* One page of the tenant's movements (kind NULL: both), newest first. */
int store_movements_page(struct store *s, const char *tenant_id, const char *kind,
                         const struct store_page *page,
                         int (*fn)(void *ctx, const struct provider_movement *m), void *ctx,
                         struct error *err);

/* ---- the bank's transactions, as matching sees them -------------------------------------- */

struct bank_line {
    char id[CRYPTO_ID_MAX];
    char account_id[CRYPTO_ID_MAX];
    char status[8];        /* "pending", "booked" */
    char booking_date[11]; /* "" while pending */
    char value_date[11];
    int64_t amount_minor;  /* credit +, debit - */
    char currency[4];
    char counterparty_name[STORE_NAME_MAX];
    char counterparty_iban[48];
    char remittance[STORE_BANK_TEXT_MAX];
    char reference[STORE_BANK_TEXT_MAX];
    char match_status[12]; /* "unmatched", "invoice", "payout", "rule", "account" */
    char invoice_id[CRYPTO_ID_MAX];
    char ledger_entry_id[CRYPTO_ID_MAX];
    char ledger_account[32]; /* the bank account's ledger account, "" when not set */
    char account_name[STORE_NAME_MAX];
    char created_at[CLOCK_RFC3339_LEN];
};

/* matched: -1 any, 0 only unmatched, 1 only matched. Newest first; a line is valid during
 * the call only. */
int store_bank_lines_page(struct store *s, const char *tenant_id, int matched,
                          const struct store_page *page,
                          int (*fn)(void *ctx, const struct bank_line *l), void *ctx,
                          struct error *err);
/* Booked, unmatched lines of the tenant (all of them, oldest first) for automatic matching. */
int store_bank_lines_unmatched(struct store *s, const char *tenant_id,
                               int (*fn)(void *ctx, const struct bank_line *l), void *ctx,
                               struct error *err);
/* ERR_NOT_FOUND also for another tenant's id. */
int store_bank_line_get(struct store_tx *tx, const char *tenant_id, const char *id,
                        struct bank_line *out, struct error *err);
/* Marks an unmatched, booked line matched (how: match_status), with the invoice it paid (or
 * NULL) and its entry. ERR_CONFLICT when it is matched already or not booked: two matchers
 * at once cannot both win. */
int store_bank_line_match(struct store_tx *tx, const char *tenant_id, const char *id,
                          const char *how, const char *invoice_id, const char *entry_id,
                          struct error *err);

/* ---- invoices paid through the bank ------------------------------------------------------ */

/* An invoice that waits for its money: booked with an entry, not paid through the bank. */
struct open_invoice {
    char id[CRYPTO_ID_MAX];
    const char *type; /* "ausgangsrechnung", "eingangsrechnung" */
    char invoice_number[128];
    char source[STORE_SLUG_MAX];
    char external_id[128];
    char journal_entry_id[CRYPTO_ID_MAX];
    int64_t total_gross_minor;
    char currency[4];
};
/* The tenant's open invoices of `type` over exactly amount_minor in currency. */
int store_open_invoices(struct store_tx *tx, const char *tenant_id, const char *type,
                        int64_t amount_minor, const char *currency,
                        int (*fn)(void *ctx, const struct open_invoice *inv), void *ctx,
                        struct error *err);
/* The invoice if it is open (*open false when paid already or not posted); ERR_NOT_FOUND. */
int store_open_invoice_get(struct store_tx *tx, const char *tenant_id, const char *id,
                           struct open_invoice *out, bool *open, struct error *err);
/* Records that a bank line paid the invoice: ERR_CONFLICT when it was paid before. */
int store_invoice_payment_insert(struct store_tx *tx, const char *tenant_id,
                                 const char *invoice_id, const char *bank_transaction_id,
                                 const char *entry_id, const char *paid_on, struct error *err);

/* The amounts (positive) and currencies that something could be matched to: open invoices
 * and payouts no bank line is matched to yet; each pair once. Lets matching skip, without a
 * write transaction, the lines that nothing can match. */
int store_match_amounts(struct store *s, const char *tenant_id,
                        int (*fn)(void *ctx, int64_t amount_minor, const char *currency),
                        void *ctx, struct error *err);

/* ---- rules ----------------------------------------------------------------------------- */

struct match_rule {
    char id[CRYPTO_ID_MAX];
    char counterparty[STORE_NAME_MAX]; /* folded: lower case, single spaces */
    char account[32];
    char created_at[CLOCK_RFC3339_LEN];
};
/* Saves the rule for a counterparty (a rule for it before is replaced); out receives it. */
int store_match_rule_put(struct store_tx *tx, const char *tenant_id, const char *counterparty,
                         const char *account, struct match_rule *out, struct error *err);
/* *found false when the counterparty has no rule. */
int store_match_rule_find(struct store_tx *tx, const char *tenant_id, const char *counterparty,
                          struct match_rule *out, bool *found, struct error *err);
int store_match_rules_list(struct store *s, const char *tenant_id,
                           int (*fn)(void *ctx, const struct match_rule *r), void *ctx,
                           struct error *err);
/* ERR_NOT_FOUND also for another tenant's id. */
int store_match_rule_delete(struct store *s, const char *tenant_id, const char *id,
                            struct error *err);

/* ---- reconciliation ---------------------------------------------------------------------- */

/* A bank account as reconciliation reads it. */
struct bank_account_view {
    char id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX];
    char iban[48];
    char currency[4];
    char ledger_account[32]; /* "" when not set */
    bool has_balance;
    int64_t balance_minor; /* what the bank last reported */
    char balance_date[11];
};
int store_bank_account_view(struct store *s, const char *tenant_id, const char *id,
                            struct bank_account_view *out, struct error *err);
/* The sum of the account's booked lines up to `to` (YYYY-MM-DD, inclusive; NULL: all). */
int store_bank_lines_sum(struct store *s, const char *tenant_id, const char *account_id,
                         const char *to, int64_t *sum, struct error *err);
/* The ledger account's balance (debit - credit) in currency up to `to`. */
int store_ledger_account_sum(struct store *s, const char *tenant_id, const char *account,
                             const char *currency, const char *to, int64_t *sum,
                             struct error *err);
/* The account's booked, unmatched lines up to `to`: in the bank, not in the books. */
int store_bank_lines_unbooked(struct store *s, const char *tenant_id, const char *account_id,
                              const char *to,
                              int (*fn)(void *ctx, const struct bank_line *l), void *ctx,
                              struct error *err);
/* An entry's amount on a ledger account that no bank line is matched to. */
struct ledger_only {
    const char *entry_id;
    const char *date;
    const char *description;
    int64_t amount_minor; /* debit - credit on the account */
};
/* Entries on the ledger account in currency up to `to` that no bank line names. */
int store_ledger_unmatched(struct store *s, const char *tenant_id, const char *account,
                           const char *currency, const char *to,
                           int (*fn)(void *ctx, const struct ledger_only *e), void *ctx,
                           struct error *err);

#endif
