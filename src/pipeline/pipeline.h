/* pipeline/pipeline.h - one inbound webhook, from token to commit, as a domain outcome.
 *
 * pipeline_submit() reads top to bottom in seed 002's order: find the install by its token,
 * verify with the provider, parse, then for each payment resolve the supplier (or the
 * customer), write the invoice (the unique key decides duplicates), post to the ledger
 * when auto-post is on, and log. The booking of one request joins the store's group commit
 * (store_batch_*), so no thread waits on an fsync, and the outcome is only delivered once
 * that commit is durable. A payment a provider names by several ids (Stripe) first finds,
 * through its payment links, the external id it is booked under, or waits for the event
 * that links it (enum payment_link_role). Each log row says what the webhook did to the
 * books (its action). What follows the commit but must not hold up the committer's threads
 * (a failed booking's log row, Klarna's acknowledgement) is pipeline_settle(), which the
 * receiver of the outcome calls before answering.
 *
 * The pipeline knows nothing of HTTP: it says what happened (struct pipeline_outcome), and
 * api/webhooks.c alone turns that into a status and a body. */
#ifndef CONNECTORD_PIPELINE_H
#define CONNECTORD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/money.h"
#include "crypto/crypto.h"
#include "inbound/provider.h"
#include "store/store.h"

struct store_tx;
struct pipeline_cache;

struct pipeline_env {
    struct store *store;
    const unsigned char *master_key; /* CRYPTO_KEY_LEN bytes */
    const char *trusted_cert_prefix; /* PayPal: operator-trusted cert URL prefix, or NULL */
    bool keep_bodies;                /* keep raw bodies in the webhook log */
    bool dry_run;                    /* test-webhook: write nothing outside the rolled-back tx */
    /* pipeline_submit: what webhooks read before their booking, kept per process (see
     * below); NULL reads the store for every webhook. The other entry points always read
     * it fresh. */
    struct pipeline_cache *cache;
};

/* ---- the per-process cache of what every webhook reads -------------------------------
 *
 * The install a webhook's token names (its row, parsed settings and opened secrets) and
 * its tenant's settings, kept for up to `capacity` tokens (PIPELINE_CACHE_CAPACITY suits a
 * server: about 4 kB each), so a webhook reads none of them from the store. Whatever
 * changes one of them must make the cache forget it the moment the change commits: the
 * server hands every announcement on the store's install and settings channels (its own,
 * on the thread that commits, and the other processes' through the listener) to
 * pipeline_cache_heard, and a lost listener to pipeline_cache_forget(c, NULL, NULL); a
 * change by another process on an SQLite file moves the store's change count, and the
 * next lookup forgets everything. A change not heard yet (PostgreSQL: an instant after
 * the other process committed) is caught by the booking's check of the install's version
 * (and, there, of the tenant's settings): the webhook is read afresh and booked with what
 * is in force. A forged signature against a cached install reads the install once more.
 * All functions are thread-safe. */
#define PIPELINE_CACHE_CAPACITY 512
/* NULL when memory ran out. */
struct pipeline_cache *pipeline_cache_new(size_t capacity);
void pipeline_cache_free(struct pipeline_cache *c); /* NULL is a no-op */
/* Forgets the install install_id of tenant_id; install_id NULL: every install of the
 * tenant; tenant_id NULL: everything. */
void pipeline_cache_forget(struct pipeline_cache *c, const char *tenant_id,
                           const char *install_id);
/* An announcement on one of the store's channels (store.h; payload as it says): forgets what
 * it names; channels that name nothing the cache holds are ignored, a payload that cannot
 * be read forgets everything. */
void pipeline_cache_heard(struct pipeline_cache *c, enum store_channel channel,
                          const char *payload);
/* How many tokens it holds now. */
size_t pipeline_cache_size(struct pipeline_cache *c);

/* What a webhook came to. */
enum pipeline_status {
    PIPELINE_PROCESSED,         /* verified; at least one payment booked */
    PIPELINE_DUPLICATE,         /* verified; every payment was booked before */
    PIPELINE_IGNORED,           /* verified, but nothing booked (no payment the books take) */
    PIPELINE_NOT_FOUND,         /* no active install of this provider has this token */
    PIPELINE_AWAITING_SECRET,   /* the install cannot verify until its secret is saved */
    PIPELINE_INVALID_SIGNATURE, /* not from the provider; error: why, for the log only */
    PIPELINE_INVALID_PAYLOAD,   /* verified, but not understood; error: what is wrong */
    PIPELINE_FAILED,            /* error: ERR_UNAVAILABLE (the provider's API could not
                                   confirm it), ERR_VALIDATION (a bound of the books, the
                                   message says which), ERR_INTERNAL (see the server log) */
    PIPELINE_WITHDRAWN,         /* begin() said no: nothing was booked or logged */
};

enum pipeline_action { PIPELINE_ACTION_NONE, PIPELINE_ACTION_BOOKED, PIPELINE_ACTION_CREDIT_NOTE };
/* "none", "booked", "credit_note": as the webhook log names the action. */
const char *pipeline_action_name(enum pipeline_action action);

/* One payment of the webhook, as the webhook log has it. */
struct pipeline_result {
    char event[64];
    bool duplicate;            /* booked before: nothing written but the log row */
    enum pipeline_action action;
    char external_id[128];     /* "" when the event names no payment */
    /* When action is not NONE: */
    char invoice_id[CRYPTO_ID_MAX];
    const char *invoice_type;  /* "eingangsrechnung", "ausgangsrechnung", "gutschrift" */
    char party_id[CRYPTO_ID_MAX];
    struct money total_gross;
    char journal_entry_id[CRYPTO_ID_MAX]; /* "" when not posted */
    char detail[256];          /* why nothing was booked, or "" */
    char log_id[CRYPTO_ID_MAX]; /* its webhook log row ("" in a dry run) */
};

struct pipeline_job;

/* The outcome is its receiver's: free it with pipeline_outcome_free(). */
struct pipeline_outcome {
    enum pipeline_status status;
    struct error error;               /* INVALID_*, FAILED: code and a message fit to show */
    const struct provider *provider;  /* NULL when the provider is unknown */
    char tenant_id[CRYPTO_ID_MAX];    /* "" when the token named no install */
    char log_id[CRYPTO_ID_MAX];       /* the log row of a rejection or failure, or "" */
    const struct pipeline_result *results; /* PROCESSED, DUPLICATE, IGNORED: one per payment */
    size_t n_results;
    int deliveries;                   /* outbox rows the booking wrote (0: nothing to send) */
    struct pipeline_job *job;         /* private: what pipeline_settle() needs */
};

/* Runs one webhook: token, signature and parse on the calling thread (which may block: a
 * provider may be asked to confirm it), then its booking in the next group commit. done(ctx,
 * out) is called exactly once, on whatever thread: at once on the caller's when the outcome
 * is final before any booking, else on the committer's or syncer's once the commit is
 * durable (or failed); out is then the callee's. begin (may be NULL) is asked on the
 * committer's thread just before the booking: false withdraws the webhook (its caller has
 * answered it already) and done() hears PIPELINE_WITHDRAWN. The receiver then calls
 * pipeline_settle() before it answers. req must stay valid as long as the outcome lives. */
void pipeline_submit(const struct pipeline_env *env, const char *provider_slug,
                     const char *token, const struct webhook_request *req,
                     void (*done)(void *ctx, struct pipeline_outcome *out),
                     bool (*begin)(void *ctx), void *ctx);

/* What follows the commit, once, after done() and before the outcome is answered, on a
 * thread that may block and is not the committer's (done() runs there, and neither a store
 * write nor a provider's API may hold it up): a booking that failed gets its webhook log row
 * (out->log_id); a booked one is acknowledged to the provider where it asks for that
 * (Klarna's orders; a failure is logged, the webhook stays booked). */
void pipeline_settle(struct pipeline_outcome *out);
void pipeline_outcome_free(struct pipeline_outcome *out);

/* POST /api/connectors/:slug/test-webhook: a synthetic, correctly signed event for the
 * tenant's install runs through every step inside a transaction that is then rolled back,
 * so the store is unchanged. *out tells what it would have done: PROCESSED, DUPLICATE or
 * IGNORED with its results, or INVALID_SIGNATURE (error: why). Returns -1 (err) when there
 * is nothing to test: ERR_VALIDATION (no such provider), ERR_NOT_FOUND (not installed),
 * ERR_CONFLICT (awaiting its secret), or what failed. */
int pipeline_test(const struct pipeline_env *env, const char *tenant_id, const char *slug,
                  struct pipeline_outcome *out, struct error *err);

/* `connectord connector test`: parses req as `provider` does (a declarative connector's,
 * see inbound/declarative.h; the caller verified it already) and books its payments for
 * the tenant tenant_id (which must exist; its settings apply, no install settings) inside
 * a transaction that is then rolled back. *out as pipeline_test; free it with
 * pipeline_outcome_free. -1 (err) when the payload does not parse or the booking failed. */
int pipeline_dry_run(const struct pipeline_env *env, const struct provider *provider,
                     const char *tenant_id, const struct webhook_request *req,
                     struct pipeline_outcome *out, struct error *err);

/* Books what a provider's API reported when asked with the tenant's own key (a Stripe event
 * it stopped retrying, a Klarna order's refunds, a card-reader sale that sends no webhook):
 * body (and state, may be NULL) parsed by the provider as a verified webhook would be, or,
 * when given is not NULL, those normalized payments. Everything after verification is the
 * webhook's path (supplier, invoice, the unique key that makes a repeat a duplicate, the
 * ledger, events, the webhook log), in one transaction of its own, committed on return.
 * *out as pipeline_submit's (PROCESSED, DUPLICATE, IGNORED); free it with
 * pipeline_outcome_free(). ERR_NOT_FOUND when the tenant has no install of slug. */
struct payment_list;
int pipeline_book_pulled(const struct pipeline_env *env, const char *tenant_id,
                         const char *slug, const char *body, size_t body_len,
                         const json_t *state, const struct payment_list *given,
                         struct pipeline_outcome *out, struct error *err);

/* POST /api/invoices/:id/post: the journal entry a booked, unposted invoice would have got
 * with autoPost on (the connector's accounts and VAT rate today, the provider's own tax
 * where it sent one; a credit note mirrors its posted original), in one transaction.
 * ERR_NOT_FOUND (also another tenant's id), ERR_ALREADY_POSTED, ERR_CONFLICT (nothing to
 * post, or the original of a credit note is not posted), ERR_NOT_INSTALLED (the
 * connector whose settings decide the accounts is gone), ERR_VALIDATION (a VAT rate the
 * chart lacks). */
int pipeline_post_invoice(const struct pipeline_env *env, const char *tenant_id,
                          const char *invoice_id, struct error *err);
/* An invoice in another currency without a rate is posted here once the ECB table has the
 * rate of its day (or ERR_FX_MISSING says which rate is missing). */

/* What re-rating did: invoices rated now, of them posted (their connector posts
 * automatically), still without a rate, and failed (rated or posting refused: logged). */
struct pipeline_rerate {
    int rated, posted, missing, failed;
};
/* After `connectord rates import`: every flagged invoice of every tenant (not in EUR, no
 * rate) whose day now has an ECB rate is rated, and posted when its connector has autoPost
 * on, each in its own transaction. */
int pipeline_fx_rerate(const struct pipeline_env *env, struct pipeline_rerate *out,
                       struct error *err);

#endif
