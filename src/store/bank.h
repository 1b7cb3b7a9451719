/* store/bank.h - the store's side of bank data (q_bank.c): consents at banks (connections),
 * the accounts they give access to, and the accounts' transactions. Conventions as in
 * store/store.h.
 *
 * An account is one row per tenant and stable identity (the IBAN, Enable Banking's
 * identification hash, Revolut's account id): a renewed consent gives the driver new
 * handles for the same accounts, and finds the same rows. A transaction is one row per
 * account and entry reference (UNIQUE): a second pull of the same entry changes nothing, a
 * pending entry that the bank has since booked is replaced by the booked one. Amounts are
 * signed minor units: credit positive, debit negative. */
#ifndef CONNECTORD_STORE_BANK_H
#define CONNECTORD_STORE_BANK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define BANK_DRIVER_MAX 24
#define BANK_INSTITUTION_MAX 160
#define BANK_NAME_MAX 256
#define BANK_HANDLE_MAX 256
#define BANK_LINK_MAX 2048
#define BANK_ERROR_MAX 512
#define BANK_IBAN_MAX 48
#define BANK_ENTRY_REF_MAX 160
#define BANK_CURSOR_MAX 128
#define BANK_DATE_LEN 11 /* "YYYY-MM-DD" */

/* A consent at a bank. status: pending (started, the user not yet back), linked, expired,
 * rejected, revoked. Text fields are "" when not set. */
struct bank_connection {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char install_id[CRYPTO_ID_MAX];
    char driver[BANK_DRIVER_MAX];
    char country[3];
    char institution_id[BANK_INSTITUTION_MAX];
    char institution_name[BANK_NAME_MAX];
    char status[12];
    char external_id[BANK_HANDLE_MAX]; /* the requisition, the session */
    char agreement_id[BANK_HANDLE_MAX];
    char link[BANK_LINK_MAX];          /* where the user gives consent */
    char error[BANK_ERROR_MAX];
    char renews_id[CRYPTO_ID_MAX];     /* the connection this one renews */
    char expires_at[CLOCK_RFC3339_LEN];
    char linked_at[CLOCK_RFC3339_LEN];
    char created_at[CLOCK_RFC3339_LEN];
    char updated_at[CLOCK_RFC3339_LEN];
};

/* Records a started consent (status pending) under the SHA-256 (hex) of the state its
 * callback will bring back; c->id is filled. */
int store_bank_connection_create(struct store *s, struct bank_connection *c,
                                 const char *state_hash, struct error *err);
int store_bank_connection_get(struct store *s, const char *tenant_id, const char *id,
                              struct bank_connection *out, bool *found, struct error *err);
/* The connection whose callback state hashes to state_hash, whatever its tenant. */
int store_bank_connection_by_state(struct store *s, const char *state_hash,
                                   struct bank_connection *out, bool *found,
                                   struct error *err);
/* Writes the driver's handles and the link once the bank accepted the start. */
int store_bank_connection_started(struct store *s, const struct bank_connection *c,
                                  struct error *err);
/* Moves a connection to status (with its error, or NULL), and its expiry and link time
 * when given (NULL leaves them). */
int store_bank_connection_set_status(struct store *s, const char *tenant_id, const char *id,
                                     const char *status, const char *error,
                                     const char *expires_at, const char *linked_at,
                                     struct error *err);
/* The tenant's connections, newest first (limit rows at most). */
int store_bank_connections_list(struct store *s, const char *tenant_id, int limit,
                                int (*fn)(void *ctx, const struct bank_connection *c),
                                void *ctx, struct error *err);

/* An account. pull_limit < 0 when the bank stated none; has_balance when the balance is
 * known. */
struct bank_account {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char install_id[CRYPTO_ID_MAX];
    char connection_id[CRYPTO_ID_MAX];
    char driver[BANK_DRIVER_MAX];
    char identity[BANK_HANDLE_MAX];
    char external_id[BANK_HANDLE_MAX];
    char iban[BANK_IBAN_MAX];
    char name[BANK_NAME_MAX];
    char currency[4];
    char ledger_account[32];
    bool has_balance;
    int64_t balance_minor;
    char balance_date[BANK_DATE_LEN];
    char cursor[BANK_CURSOR_MAX];
    char pull_day[BANK_DATE_LEN];
    int64_t pulls_used;
    int64_t pull_limit;
    char last_pull_at[CLOCK_RFC3339_LEN];
    char next_pull_at[CLOCK_RFC3339_LEN];
    char error[BANK_ERROR_MAX];
    char created_at[CLOCK_RFC3339_LEN];
    char updated_at[CLOCK_RFC3339_LEN];
};

/* Inserts the account, or (same tenant and identity) moves the existing one to this
 * connection and handle with the names the bank gives now; out receives the stored row. */
int store_bank_account_upsert(struct store *s, const struct bank_account *in,
                              struct bank_account *out, struct error *err);
int store_bank_account_get(struct store *s, const char *tenant_id, const char *id,
                           struct bank_account *out, bool *found, struct error *err);
/* The tenant's accounts (install_id NULL: all), oldest first. */
int store_bank_accounts_list(struct store *s, const char *tenant_id, const char *install_id,
                             int (*fn)(void *ctx, const struct bank_account *a), void *ctx,
                             struct error *err);
/* Records the pull plan: the day, the pulls spent on it, the bank's limit (< 0 none), when
 * the next pull may start ("" any time) and the last error (NULL none). */
int store_bank_account_plan(struct store *s, const struct bank_account *a,
                            struct error *err);

/* One transaction as a driver read it. Strings may be NULL. */
struct bank_tx_in {
    char entry_ref[BANK_ENTRY_REF_MAX]; /* the dedup key, never empty */
    bool booked;
    char booking_date[BANK_DATE_LEN];   /* "" when none */
    char value_date[BANK_DATE_LEN];
    int64_t amount_minor;               /* signed: credit +, debit - */
    char currency[4];
    char *counterparty_name, *counterparty_iban, *remittance, *reference;
    char bank_tx_id[BANK_HANDLE_MAX];   /* the bank's transaction id, for reference only */
};

struct bank_pull_counts {
    int64_t new_count, updated_count, removed_count;
};

/* Commits one pull of an account in one transaction: each booked entry inserted, or left
 * as it is when stored booked, or turned booked when stored pending; each pending entry
 * inserted or refreshed; the account's pending entries this pull did not return (booked
 * since, under their own reference, or dropped by the bank) removed; the account's
 * cursor, balance (when has_balance) and last pull time stored. */
int store_bank_pull_commit(struct store *s, const struct bank_account *a,
                           const struct bank_tx_in *txs, size_t n, const char *cursor,
                           int64_t now_ms, struct bank_pull_counts *counts,
                           struct error *err);

/* A stored transaction; strings valid during the callback only ("" when NULL). */
struct bank_tx {
    char id[CRYPTO_ID_MAX];
    const char *account_id, *entry_ref, *status, *booking_date, *value_date, *currency,
        *counterparty_name, *counterparty_iban, *remittance, *reference, *bank_tx_id,
        *match_status, *invoice_id, *ledger_entry_id, *created_at, *updated_at;
    int64_t amount_minor;
};

/* Filters; NULL leaves one out. Dates YYYY-MM-DD inclusive, on the booking date (the value
 * date for a pending entry without one). */
struct bank_tx_filter {
    const char *account_id, *status, *from, *to, *match_status;
    const char *matched; /* "false": unmatched only, "true": matched in any way (payouts/) */
};
/* One page, newest id first. */
int store_bank_transactions_page(struct store *s, const char *tenant_id,
                                 const struct bank_tx_filter *f, const struct store_page *page,
                                 int (*fn)(void *ctx, const struct bank_tx *t), void *ctx,
                                 struct error *err);

#endif
