/* pipeline/pipeline.h - one inbound webhook, from token to commit.
 *
 * pipeline_run() reads top to bottom in seed 002's order: find the install by its token,
 * verify with the provider, parse, then for each payment resolve the supplier (or the
 * customer), write the invoice (the unique key decides duplicates), post to the ledger
 * when auto-post is on, and log; all of one request commits in one transaction, and the
 * outcome (status and body) is only final once that commit returned. A payment a provider
 * names by several ids (Stripe) first finds, through its payment links, the external id it
 * is booked under, or waits for the event that links it (enum payment_link_role). Each log
 * row says what the webhook did to the books (its action). */
#ifndef CONNECTORD_PIPELINE_H
#define CONNECTORD_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "crypto/crypto.h"
#include "inbound/provider.h"

struct store;
struct store_tx;

struct pipeline_env {
    struct store *store;
    const unsigned char *master_key; /* CRYPTO_KEY_LEN bytes */
    const char *trusted_cert_prefix; /* PayPal: operator-trusted cert URL prefix, or NULL */
    bool keep_bodies;                /* keep raw bodies in the webhook log */
    bool dry_run;                    /* test-webhook: write nothing outside the rolled-back tx */
};

struct pipeline_outcome {
    int http_status;      /* 200, or the status of `error` */
    struct error error;   /* when not 200: code and message */
    json_t *body;         /* 2xx: the JSON answer (owned), unless ack_body is set */
    const char *ack_body; /* the provider's expected 2xx body, e.g. Adyen's "[accepted]" */
    const char *ack_content_type;
    char tenant_id[CRYPTO_ID_MAX]; /* for the access log, when the token was known */
};

/* The request in three steps, so its booking can join a group commit:
 * pipeline_prepare() finds the install, verifies and parses on the calling thread; it
 * returns NULL when the outcome is already final (rejections), else a job.
 * pipeline_job_book() books the job inside a transaction (any thread); after the commit,
 * pipeline_job_finish() turns its result (rc, err: the commit's if that failed) into the
 * outcome. pipeline_job_free() releases the job (NULL is a no-op). */
struct pipeline_job;
struct pipeline_job *pipeline_prepare(const struct pipeline_env *env, const char *provider_slug,
                                      const char *token, const struct webhook_request *req,
                                      struct pipeline_outcome *out);
int pipeline_job_book(struct pipeline_job *job, struct store_tx *tx, struct error *err);
void pipeline_job_finish(struct pipeline_job *job, int rc, const struct error *err,
                         struct pipeline_outcome *out);
void pipeline_job_free(struct pipeline_job *job);
/* How many deliveries the booking wrote into the outbox (0: the engine has nothing new). */
int pipeline_job_deliveries(const struct pipeline_job *job);

/* All three with a transaction of its own. Never fails as a function: every problem is
 * an outcome with a status. */
void pipeline_run(const struct pipeline_env *env, const char *provider_slug, const char *token,
                  const struct webhook_request *req, struct pipeline_outcome *out);
void pipeline_outcome_free(struct pipeline_outcome *out);

/* POST /api/connectors/:slug/test-webhook: a synthetic, correctly signed event for the
 * tenant's install runs through every step inside a transaction that is then rolled back,
 * so the store is unchanged. *report tells what it would have done. */
int pipeline_test(const struct pipeline_env *env, const char *tenant_id, const char *slug,
                  json_t **report, struct error *err);

/* POST /api/invoices/:id/post: the journal entry a booked, unposted invoice would have got
 * with autoPost on (the connector's accounts and VAT rate today, the provider's own tax
 * where it sent one; a credit note mirrors its posted original), in one transaction.
 * ERR_NOT_FOUND (also another tenant's id), ERR_ALREADY_POSTED, ERR_CONFLICT (nothing to
 * post, or the original of a credit note is not posted), ERR_NOT_INSTALLED (the
 * connector whose settings decide the accounts is gone), ERR_VALIDATION (a VAT rate the
 * chart lacks). */
int pipeline_post_invoice(const struct pipeline_env *env, const char *tenant_id,
                          const char *invoice_id, struct error *err);

#endif
