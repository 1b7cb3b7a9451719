/* payouts/payouts.h - where the money of the books meets the bank: what payment providers
 * pay out and keep, pulled from their APIs, and the matching of the bank's transactions
 * against open invoices, payouts and the tenant's rules, with reconciliation.
 *
 *   pull.c       one pull of a payment connector, run as a sync run (sync/run.c hands it
 *                over): the install's restricted API key, the window since the last run,
 *                the books' side of what the provider reports (fees, payouts, payments)
 *   stripe.c     balance transactions (fees per payment), payouts, and the events Stripe
 *                stopped retrying (/v1/events), fed through the webhook pipeline
 *   paypal.c     transaction search (/v1/reporting/transactions): fees, withdrawals
 *   sumup.c      transaction history: card-reader sales, which send no webhook
 *   klarna.c     settlements (payouts, fees) and the refunds of acknowledged orders
 *   match.c      automatic and manual matching, rules
 *   reconcile.c  the bank's balance against the ledger's bank account
 *
 * Books: each provider has a clearing account (its connector's clearingAccount, else the
 * chart's). A fee debits the chart's fee account under the provider's reverse-charge
 * treatment and credits clearing; a payout that reached the bank debits the bank's account
 * and credits clearing. A bank line matched to a payout names the payout's entry; one
 * matched to an invoice books bank against the invoice's counter account (receivables,
 * payables or a clearing account); one matched by a rule or by hand books bank against the
 * account given. Every entry balances and every amount is checked. */
#ifndef CONNECTORD_PAYOUTS_H
#define CONNECTORD_PAYOUTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/payouts.h"

struct store;
struct sync_run;

struct payouts_env {
    struct store *store;
    const unsigned char *master_key;
    bool allow_private; /* base URLs may name loopback and private addresses (tests) */
};

/* ---- pulls (pull.c) ------------------------------------------------------------------------ */

/* Whether slug is a payment connector whose API this module pulls. */
bool payouts_pulls(const char *slug);
/* Whether the install's settings hold what a pull needs (its API key); when not, why (a
 * sentence naming the setting). */
bool payouts_pull_configured(const char *slug, const json_t *config, const json_t *secrets,
                             char *why, size_t why_cap);

/* What one pull did. */
struct payouts_pull_result {
    int64_t booked;    /* fees, payouts and payments booked now */
    int64_t seen;      /* reported again, booked before */
    int64_t skipped;   /* reported, not for the books (pending, failed, another kind) */
    char cursor[64];   /* where the next pull starts (RFC 3339) */
    bool auth_failed;  /* the provider refused the key */
    bool deferred;     /* rate limited: retry at defer_until_ms */
    int64_t defer_until_ms;
};
/* Pulls the install of run->slug for run->tenant_id from `cursor` ("" the first time) to
 * now. Everything booked is booked once (the store's unique keys), each item in its own
 * transaction, so a pull that fails half way is repeated without harm. Then matches the
 * tenant's bank lines against what arrived. -1 with err (ERR_SERVICE_FAILED,
 * ERR_CONFIG, ...) when the pull could not finish; *out says what it did until then. */
int payouts_pull(const struct payouts_env *env, const struct sync_run *run, const char *cursor,
                 struct payouts_pull_result *out, struct error *err);

/* ---- matching (match.c) -------------------------------------------------------------------- */

/* What automatic matching did. */
struct payouts_match_totals {
    int64_t invoices, payouts, rules, unmatched;
};
/* Matches every booked, unmatched bank line of the tenant that has exactly one candidate:
 * an open invoice of its amount and currency whose number (or the provider's id) the
 * remittance names, a payout of its amount whose reference it names, or a rule for its
 * counterparty. Lines with none or several stay for review. */
int payouts_match_tenant(struct store *s, const char *tenant_id,
                         struct payouts_match_totals *out, struct error *err);
/* Matching for every tenant (the periodic job). */
int payouts_match_all(struct store *s, struct payouts_match_totals *out, struct error *err);

/* A manual match: the line pays invoice_id (same amount and currency, the invoice open), or,
 * with account, books it to that ledger account; save_rule then remembers the account for
 * the line's counterparty. *rule is filled when a rule was saved. ERR_NOT_FOUND (line or
 * invoice), ERR_CONFLICT (matched already, not booked, paid already, amounts differ),
 * ERR_VALIDATION (account or no counterparty to make a rule of). */
struct payouts_manual {
    const char *invoice_id; /* or NULL */
    const char *account;    /* or NULL */
    bool save_rule;
};
int payouts_match_manual(struct store *s, const char *tenant_id, const char *line_id,
                         const struct payouts_manual *m, struct bank_line *out,
                         struct match_rule *rule, bool *rule_saved, struct error *err);
/* The folded form of a counterparty name rules are kept under: lower case ASCII, runs of
 * white space as one space, trimmed. "" when nothing is left. */
void payouts_counterparty_fold(const char *name, char *out, size_t cap);

/* A bank line as the API shows it. New reference. */
json_t *payouts_line_json(const struct bank_line *l);
json_t *payouts_rule_json(const struct match_rule *r);

/* ---- reconciliation (reconcile.c) ------------------------------------------------------------ */

/* GET /api/bank/reconciliation: the bank account's balance up to `to` (YYYY-MM-DD or NULL)
 * from its booked lines, the ledger's bank account up to the same day, the difference, and
 * what explains it: lines in the bank not in the books (unmatched), entries in the books
 * not in the bank (no line names them), and what stays unexplained. New reference in *out;
 * ERR_NOT_FOUND for an unknown account. */
int payouts_reconcile(struct store *s, const char *tenant_id, const char *account_id,
                      const char *to, json_t **out, struct error *err);

#endif
