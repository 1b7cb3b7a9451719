/* pipeline/pipeline.c - the path of one webhook (see pipeline.h and DESIGN.md). */
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "events/events.h"
#include "ledger/ledger.h"
#include "settings/settings.h"

/* The install as the provider and the booking steps see it. */
struct booking_ctx {
    const struct pipeline_env *env;
    const struct provider *provider;
    struct install install;
    json_t *config;  /* plain settings */
    json_t *secrets; /* sealed secrets */
    char aad_prefix[2 * CRYPTO_ID_MAX + 2];
    enum ledger_direction direction;
    bool auto_post;
    struct tenant_settings settings; /* the tenant's chart and milestones */
    struct ledger_accounts accounts;
    const char *default_supplier;
    int deliveries; /* written by its events: the delivery engine has work when > 0 */
};

static int read_secret(const struct provider_install *inst, const char *key, struct buf *out,
                       struct error *err)
{
    const struct booking_ctx *b = inst->secret_ctx;
    return catalog_secret_open(b->secrets, key, b->env->master_key, b->aad_prefix, out, err);
}

static const char *setting(const struct booking_ctx *b, const char *key, const char *fallback)
{
    const char *v = json_string_value(json_object_get(b->config, key));
    return v && *v ? v : fallback;
}

static void outcome_error(struct pipeline_outcome *out, enum err_code code, const char *message)
{
    out->http_status = error_http_status(code);
    error_set(&out->error, code, "%s", message);
}

/* Reads the install's settings and the tenant's into the booking context. Accounts the
 * connector names win; the others are the tenant's chart's. */
static int booking_setup(struct booking_ctx *b, struct error *err)
{
    b->config = json_loads(b->install.config, 0, NULL);
    b->secrets = json_loads(b->install.secrets, 0, NULL);
    snprintf(b->aad_prefix, sizeof b->aad_prefix, "%s/%s", b->install.tenant_id, b->install.id);
    b->auto_post = json_is_true(json_object_get(b->config, "autoPost"));
    b->direction = strcmp(setting(b, "direction", "expense"), "revenue") == 0 ? LEDGER_REVENUE
                                                                              : LEDGER_EXPENSE;
    if (settings_load(b->env->store, b->install.tenant_id, &b->settings, err) < 0)
        return -1;
    const struct ledger_chart *chart = b->settings.chart;
    /* vatRate is an enum of whole percents ("20"); no rate: gross amounts without VAT. */
    const char *rate = setting(b, "vatRate", NULL);
    b->accounts = (struct ledger_accounts){
        .expense = setting(b, "expenseAccount", chart->expense),
        .revenue = setting(b, "revenueAccount", chart->revenue),
        .clearing = setting(b, "clearingAccount", chart->clearing),
        .chart = chart,
        .vat_rate_bp = rate ? atoi(rate) * 100 : 0,
    };
    b->default_supplier = setting(b, "defaultSupplierId", NULL);
    return 0;
}

/* The install as the provider sees it. */
static void provider_install_of(struct booking_ctx *b, struct provider_install *inst)
{
    *inst = (struct provider_install){
        .tenant_id = b->install.tenant_id,
        .install_id = b->install.id,
        .config = b->config,
        .secret = read_secret,
        .secret_ctx = b,
        .api_base_url = setting(b, "apiBaseUrl", b->provider->default_api_base),
        .trusted_cert_prefix = b->env->trusted_cert_prefix,
    };
}

static bool install_awaiting(const struct booking_ctx *b)
{
    const struct connector_manifest *m = catalog_find(b->install.slug);
    return m && catalog_config_awaiting(m, b->config, b->secrets);
}

/* Writes a webhook log row outside any transaction (rejections and failures), and counts
 * the request under that status (a string literal, kept by the metrics). */
static void log_alone(const struct booking_ctx *b, const struct webhook_request *req,
                      const char *status, const char *event, const char *error)
{
    struct error err;
    if (b->env->dry_run)
        return;
    metrics_webhook(b->provider->slug, status);
    struct webhook_log log = {.tenant_id = b->install.tenant_id,
                              .provider = b->provider->slug,
                              .event = event,
                              .status = status,
                              .error = error,
                              .body = b->env->keep_bodies ? req->body : NULL,
                              .received_ms = req->now_ms};
    if (store_webhook_log_insert(b->env->store, NULL, &log, &err) < 0)
        log_error("cannot write the webhook log: %s", err.message);
}

enum booked { BOOKED, BOOKED_DUPLICATE, BOOKED_NOTHING };

/* Books one settled payment: party, invoice (deduplicated), ledger. */
static int book_settled(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                        struct invoice *inv, enum booked *result, struct error *err)
{
    bool expense = b->direction == LEDGER_EXPENSE;
    bool created = false;
    char fallback_name[160], ref[300];
    snprintf(fallback_name, sizeof fallback_name, "%s", b->provider->slug);
    /* Without the provider's id or an email for the party, a stable key from what the
     * payload does say (its name, else the provider itself) keeps every payment of an
     * ordinary account from creating a supplier of its own. */
    const char *id = expense ? p->merchant_id : p->customer_id;
    const char *email = expense ? p->merchant_email : p->customer_email;
    const char *named = expense ? p->merchant_name : p->customer_name;
    if (!id[0] && !email[0])
        snprintf(ref, sizeof ref, "name:%s", named[0] ? named : b->provider->slug);
    const struct party_hint hint = {
        .provider = b->provider->slug,
        .provider_ref = id[0] || email[0] ? id : ref,
        .email = expense ? p->merchant_email : p->customer_email,
        .name = expense ? (p->merchant_name[0] ? p->merchant_name
                           : p->merchant_email[0] ? p->merchant_email : fallback_name)
                        : (p->customer_name[0] ? p->customer_name
                           : p->customer_email[0] ? p->customer_email
                           : p->customer_id[0] ? p->customer_id : "Customer"),
        .fallback_id = expense ? b->default_supplier : NULL,
    };
    if (store_party_resolve(tx, b->install.tenant_id, expense ? PARTY_SUPPLIER : PARTY_CUSTOMER,
                            &hint, inv->party_id, &created, err) < 0)
        return -1;
    inv->type = expense ? "eingangsrechnung" : "ausgangsrechnung";
    bool inserted = false;
    if (store_invoice_insert(tx, inv, &inserted, err) < 0)
        return -1;
    if (!inserted) {
        *result = BOOKED_DUPLICATE;
        return 0;
    }
    *result = BOOKED;
    if (b->auto_post)
        return ledger_post_invoice(tx, b->direction, &b->accounts, inv, inv->journal_entry_id,
                                   err);
    return 0;
}

/* Books a refund: a credit note against the original invoice, and the reversing entry. */
static int book_refund(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                       struct invoice *inv, char *detail, size_t detail_cap,
                       enum booked *result, struct error *err)
{
    struct invoice original;
    struct error find_err;
    if (store_invoice_find(tx, b->install.tenant_id, b->provider->slug, p->refunded_external_id,
                           &original, &find_err) < 0) {
        if (find_err.code != ERR_NOT_FOUND) {
            *err = find_err;
            return -1;
        }
        /* Nothing to credit: the payment was never booked here (before the install, or
         * booked elsewhere). Accepting it keeps the provider from retrying forever. */
        snprintf(detail, detail_cap, "refund of %s, which was not booked here; no action taken",
                 p->refunded_external_id);
        *result = BOOKED_NOTHING;
        return 0;
    }
    inv->type = "gutschrift";
    memcpy(inv->party_id, original.party_id, sizeof inv->party_id);
    memcpy(inv->related_invoice_id, original.id, sizeof inv->related_invoice_id);
    bool inserted = false;
    if (store_invoice_insert(tx, inv, &inserted, err) < 0)
        return -1;
    if (!inserted) {
        *result = BOOKED_DUPLICATE;
        return 0;
    }
    *result = BOOKED;
    /* The reversal mirrors the original's entry: its accounts and VAT code, whatever the
     * connector's settings say today. */
    if (b->auto_post && original.journal_entry_id[0])
        return ledger_post_refund(tx, &original, inv, inv->journal_entry_id, err);
    return 0;
}

/* The job's events go into the outbox through these: they count the deliveries written. */
static int emit_text(struct booking_ctx *b, struct store_tx *tx, const char *const *types,
                     size_t n_types, const char *data_json, struct error *err)
{
    int fanned = 0;
    if (events_emit_text(tx, b->install.tenant_id, types, n_types, data_json, &fanned, err) < 0)
        return -1;
    b->deliveries += fanned;
    return 0;
}

static int emit(struct booking_ctx *b, struct store_tx *tx, const char *type, json_t *data,
                struct error *err)
{
    char id[CRYPTO_ID_MAX];
    int fanned = 0;
    if (events_emit(tx, b->install.tenant_id, type, data, id, &fanned, err) < 0)
        return -1;
    b->deliveries += fanned;
    return 0;
}

/* The payment's data for payment.* events (see outbound/destination.h). */
static json_t *payment_data(const struct booking_ctx *b, const struct payment *p,
                            const struct invoice *inv, bool booked)
{
    char amount[MONEY_TEXT_MAX];
    money_format(&p->amount, amount);
    bool expense = b->direction == LEDGER_EXPENSE;
    const char *name = expense ? p->merchant_name : p->customer_name;
    const char *email = expense ? p->merchant_email : p->customer_email;
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "provider",
                          b->provider->slug, "event", p->event, "externalId", p->external_id,
                          "amount", amount, "currency", p->amount.currency, "amountMinor",
                          (json_int_t)p->amount.minor, "invoiceNumber", p->invoice_number,
                          "invoiceDate", p->date, "direction", expense ? "expense" : "revenue");
    if (d && booked) {
        json_object_set_new(d, "invoiceId", json_string(inv->id));
        json_object_set_new(d, "party", json_pack("{s:s, s:s, s:s, s:s}", "id", inv->party_id,
                                                  "name", name, "email", email, "role",
                                                  expense ? "supplier" : "customer"));
    }
    return d;
}

static int emit_customer_events(struct booking_ctx *b, struct store_tx *tx,
                                const struct payment *p, const struct invoice *inv,
                                struct error *err);

/* Outbox events of one payment, in its savepoint: payment.verified always; then
 * payment.settled, or payment.failed; and for a customer's settled payment (revenue),
 * customer.first_payment and customer.milestone when a threshold is crossed. */
static int emit_events(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                       const struct invoice *inv, bool booked, struct error *err)
{
    if (p->kind == PAYMENT_SETTLED && booked) {
        /* Both events carry the same data: made and written out once. */
        json_t *data = payment_data(b, p, inv, true);
        char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
        json_decref(data);
        int rc = text ? 0
                      : error_set(err, ERR_INTERNAL, "cannot build the payment's event data as "
                                                     "JSON (text not UTF-8, or no memory)");
        static const char *const types[] = {"payment.verified", "payment.settled"};
        if (rc == 0)
            rc = emit_text(b, tx, types, 2, text, err);
        free(text);
        if (rc < 0 || b->direction != LEDGER_REVENUE)
            return rc;
        return emit_customer_events(b, tx, p, inv, err);
    }
    if (emit(b, tx, "payment.verified", payment_data(b, p, inv, booked), err) < 0)
        return -1;
    if (p->kind == PAYMENT_FAILED) {
        json_t *d = payment_data(b, p, inv, false);
        json_object_set_new(d, "reason", json_string(p->event));
        return emit(b, tx, "payment.failed", d, err);
    }
    return 0;
}

/* customer.first_payment and customer.milestone for a customer's settled payment. */
static int emit_customer_events(struct booking_ctx *b, struct store_tx *tx,
                                const struct payment *p, const struct invoice *inv,
                                struct error *err)
{
    const char *tenant = b->install.tenant_id;
    int64_t count = 0, total = 0;
    if (store_customer_totals(tx, tenant, inv->party_id, inv->currency, &count, &total, err) < 0)
        return -1;
    char amount[MONEY_TEXT_MAX];
    money_format(&p->amount, amount);
    json_t *customer = json_pack("{s:s, s:s, s:s}", "id", inv->party_id, "name", p->customer_name,
                                 "email", p->customer_email);
    if (count == 1 &&
        emit(b, tx, "customer.first_payment",
             json_pack("{s:O, s:s, s:s, s:I, s:s, s:s}", "customer", customer, "amount", amount,
                       "currency", inv->currency, "amountMinor",
                       (json_int_t)inv->total_gross_minor, "invoiceId", inv->id, "provider",
                       b->provider->slug),
             err) < 0)
        goto fail;
    size_t n = b->settings.n_milestones;
    const long *thresholds = b->settings.milestones;
    int decimals = money_currency_decimals(inv->currency);
    int64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    for (size_t i = 0; i < n; i++) {
        int64_t t = thresholds[i] * scale;
        if (total - inv->total_gross_minor < t && total >= t) {
            struct money mt = {.minor = t}, mtotal = {.minor = total};
            char ts[MONEY_TEXT_MAX], tot[MONEY_TEXT_MAX];
            memcpy(mt.currency, inv->currency, 4);
            memcpy(mtotal.currency, inv->currency, 4);
            money_format(&mt, ts);
            money_format(&mtotal, tot);
            if (emit(b, tx, "customer.milestone",
                     json_pack("{s:O, s:s, s:s, s:s}", "customer", customer, "threshold", ts,
                               "total", tot, "currency", inv->currency),
                     err) < 0)
                goto fail;
        }
    }
    json_decref(customer);
    return 0;
fail:
    json_decref(customer);
    return -1;
}

/* Books one payment inside its own savepoint and writes its log row. */
static int book_payment(struct booking_ctx *b, struct store_tx *tx,
                        const struct webhook_request *req, const struct payment *p,
                        json_t *results, bool *all_duplicates, struct error *err)
{
    struct invoice inv = {0};
    enum booked result = BOOKED_NOTHING;
    char detail[256] = "";
    char amount[MONEY_TEXT_MAX];
    memcpy(inv.tenant_id, b->install.tenant_id, sizeof inv.tenant_id);
    snprintf(inv.invoice_number, sizeof inv.invoice_number, "%s", p->invoice_number);
    memcpy(inv.invoice_date, p->date, sizeof inv.invoice_date);
    inv.total_gross_minor = p->amount.minor;
    memcpy(inv.currency, p->amount.currency, sizeof inv.currency);
    snprintf(inv.source, sizeof inv.source, "%s", b->provider->slug);
    snprintf(inv.external_id, sizeof inv.external_id, "%s", p->external_id);

    if (store_tx_savepoint(tx, err) < 0)
        return -1;
    int rc = 0;
    switch (p->kind) {
    case PAYMENT_SETTLED:
        rc = book_settled(b, tx, p, &inv, &result, err);
        break;
    case PAYMENT_REFUNDED:
        rc = book_refund(b, tx, p, &inv, detail, sizeof detail, &result, err);
        break;
    case PAYMENT_FAILED:
        snprintf(detail, sizeof detail, "payment failed; no invoice booked");
        break;
    case PAYMENT_IGNORED:
        snprintf(detail, sizeof detail, "%s", p->detail);
        break;
    }
    if (rc == 0 && result != BOOKED_DUPLICATE && p->kind != PAYMENT_IGNORED)
        rc = emit_events(b, tx, p, &inv, result == BOOKED, err);
    /* A duplicate must leave nothing behind, not even a supplier made a moment ago. */
    if (rc < 0 || result == BOOKED_DUPLICATE) {
        if (store_tx_undo(tx, err) < 0 || rc < 0)
            return -1;
    } else if (store_tx_release(tx, err) < 0) {
        return -1;
    }
    const char *status = result == BOOKED_DUPLICATE ? "duplicate" : "processed";
    if (result != BOOKED_DUPLICATE)
        *all_duplicates = false;
    struct webhook_log log = {.tenant_id = b->install.tenant_id,
                              .provider = b->provider->slug,
                              .event = p->event,
                              .status = status,
                              .external_id = p->external_id[0] ? p->external_id : NULL,
                              .detail = detail[0] ? detail : NULL,
                              .body = b->env->keep_bodies ? req->body : NULL,
                              .received_ms = req->now_ms};
    if (store_webhook_log_insert(NULL, tx, &log, err) < 0)
        return -1;

    json_t *r = json_pack("{s:s, s:s}", "event", p->event, "status", status);
    if (p->external_id[0])
        json_object_set_new(r, "externalId", json_string(p->external_id));
    if (result == BOOKED) {
        money_format(&p->amount, amount);
        json_object_set_new(r, "invoiceId", json_string(inv.id));
        json_object_set_new(r, "invoiceType", json_string(inv.type));
        json_object_set_new(r, "partyId", json_string(inv.party_id));
        json_object_set_new(r, "totalGross", json_string(amount));
        json_object_set_new(r, "currency", json_string(inv.currency));
        if (inv.journal_entry_id[0])
            json_object_set_new(r, "journalEntryId", json_string(inv.journal_entry_id));
    }
    if (detail[0])
        json_object_set_new(r, "detail", json_string(detail));
    json_array_append_new(results, r);
    return 0;
}

/* A request between its parse (on the HTTP thread) and its booking (in a transaction). */
struct pipeline_job {
    struct booking_ctx b;
    struct webhook_request req; /* body stays valid until the request completes */
    struct payment_list payments;
    json_t *state;
    json_t *results;
    bool all_duplicates;
};

int pipeline_job_deliveries(const struct pipeline_job *job)
{
    return job->b.deliveries;
}

void pipeline_job_free(struct pipeline_job *job)
{
    if (!job)
        return;
    json_decref(job->results);
    json_decref(job->state);
    json_decref(job->b.config);
    json_decref(job->b.secrets);
    payment_list_free(&job->payments);
    store_install_clear(&job->b.install);
    free(job);
}

struct pipeline_job *pipeline_prepare(const struct pipeline_env *env, const char *provider_slug,
                                      const char *token, const struct webhook_request *req,
                                      struct pipeline_outcome *out)
{
    struct pipeline_job *job = calloc(1, sizeof *job);
    struct error err = {0};
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    memset(out, 0, sizeof *out);
    if (!job) {
        outcome_error(out, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    struct booking_ctx *b = &job->b;
    b->env = env;
    job->req = *req;

    /* 1. Token: the install it names, for this provider; anything else is 404 and leaves
     *    no trace (an unknown token is not a tenant's business). */
    b->provider = provider_find(provider_slug);
    crypto_token_hash(token, strlen(token), hash);
    if (!b->provider || store_install_by_token(env->store, hash, &b->install, &err) < 0 ||
        strcmp(b->install.slug, b->provider->slug) != 0 || !b->install.is_active) {
        if (b->provider && err.code != ERR_NOT_FOUND && err.code != ERR_OK) {
            log_error("webhook token lookup failed: %s", err.message);
            outcome_error(out, ERR_INTERNAL, "internal error; see the server log");
        } else {
            outcome_error(out, ERR_NOT_FOUND, "unknown webhook URL");
        }
        goto final;
    }
    memcpy(out->tenant_id, b->install.tenant_id, sizeof out->tenant_id);
    if (booking_setup(b, &err) < 0) {
        log_error("cannot read the settings of tenant %s: %s", b->install.tenant_id,
                  err.message);
        outcome_error(out, ERR_INTERNAL, "internal error; see the server log");
        goto final;
    }

    /* An install still awaiting its webhook secret cannot verify anything: the provider is
     * told to come again (503), so nothing is lost once the secret is saved. */
    if (install_awaiting(b)) {
        log_alone(b, req, "failed", NULL, "awaiting secret");
        outcome_error(out, ERR_AWAITING_SECRET,
                      "this connector is waiting for its webhook secret; the webhook will be "
                      "accepted once the secret is saved");
        goto final;
    }

    /* 2. Signature (or fetch-back): is this really the provider? */
    struct provider_install inst;
    provider_install_of(b, &inst);
    switch (provider_verify(b->provider, req, &inst, &job->state, &err)) {
    case VERIFY_OK:
        break;
    case VERIFY_INVALID:
        log_alone(b, req, "invalid_signature", NULL, err.message);
        outcome_error(out, ERR_INVALID_SIGNATURE, "the webhook signature is not valid");
        goto final;
    case VERIFY_ERROR:
        log_alone(b, req, "failed", NULL, err.message);
        log_warn("%s webhook for tenant %s not verified: %s", b->provider->slug,
                 b->install.tenant_id, err.message);
        if (err.code == ERR_UNAVAILABLE)
            outcome_error(out, ERR_UNAVAILABLE, "the provider's API could not confirm the webhook");
        else
            outcome_error(out, ERR_INTERNAL, "the webhook could not be verified");
        goto final;
    }

    /* Parse into normalized payments; a malformed one books nothing. */
    if (provider_parse(b->provider, req, job->state, &job->payments, &err) < 0) {
        log_alone(b, req, "failed", NULL, err.message);
        outcome_error(out, ERR_INVALID_PAYLOAD, err.message);
        goto final;
    }
    job->results = json_array();
    if (!job->results) {
        outcome_error(out, ERR_INTERNAL, "out of memory");
        goto final;
    }
    return job;
final:
    pipeline_job_free(job);
    return NULL;
}

/* 3-6. Supplier, invoice, duplicate check, ledger, log, for every payment of the request,
 * inside the caller's transaction. */
int pipeline_job_book(struct pipeline_job *job, struct store_tx *tx, struct error *err)
{
    job->all_duplicates = true;
    job->b.deliveries = 0;
    json_array_clear(job->results);
    for (size_t i = 0; i < job->payments.n; i++)
        if (book_payment(&job->b, tx, &job->req, &job->payments.items[i], job->results,
                         &job->all_duplicates, err) < 0)
            return -1;
    return 0;
}

void pipeline_job_finish(struct pipeline_job *job, int rc, const struct error *err,
                         struct pipeline_outcome *out)
{
    struct booking_ctx *b = &job->b;
    memset(out, 0, sizeof *out);
    memcpy(out->tenant_id, b->install.tenant_id, sizeof out->tenant_id);
    if (rc < 0) {
        log_error("%s webhook for tenant %s failed: %s", b->provider->slug,
                  b->install.tenant_id, err->message);
        log_alone(b, &job->req, "failed", NULL,
                  err->code == ERR_VALIDATION ? err->message : "internal error");
        if (err->code == ERR_VALIDATION)
            outcome_error(out, ERR_VALIDATION, err->message);
        else
            outcome_error(out, ERR_INTERNAL, "internal error; see the server log");
        return;
    }
    /* Only now, after the commit, is the answer 2xx; and the provider may be told. */
    if (!b->env->dry_run) {
        struct provider_install inst;
        struct error ack_err = {0};
        provider_install_of(b, &inst);
        if (provider_acknowledge(b->provider, &job->req, &inst, job->state, &ack_err) < 0)
            log_warn("%s webhook for tenant %s: booked, but not acknowledged to %s: %s",
                     b->provider->slug, b->install.tenant_id, b->provider->slug,
                     ack_err.message);
    }
    if (!b->env->dry_run)
        metrics_webhook(b->provider->slug, job->all_duplicates ? "duplicate" : "processed");
    out->http_status = 200;
    out->ack_body = b->provider->ack_body;
    out->ack_content_type = b->provider->ack_content_type;
    out->body = json_pack("{s:s, s:O}", "status", job->all_duplicates ? "duplicate" : "processed",
                          "results", job->results);
}

void pipeline_run(const struct pipeline_env *env, const char *provider_slug, const char *token,
                  const struct webhook_request *req, struct pipeline_outcome *out)
{
    struct pipeline_job *job = pipeline_prepare(env, provider_slug, token, req, out);
    if (!job)
        return;
    struct store_tx *tx = NULL;
    struct error err = {0};
    int rc = store_tx_begin(env->store, &tx, &err);
    if (rc == 0)
        rc = pipeline_job_book(job, tx, &err);
    if (rc == 0) {
        rc = store_tx_commit(tx, &err);
    } else {
        store_tx_rollback(tx);
    }
    pipeline_job_finish(job, rc, &err, out);
    pipeline_job_free(job);
}

static const char *sample_header(const struct webhook_request *req, const char *name)
{
    const struct provider_sample *sample = req->ctx;
    for (size_t i = 0; i < sample->n_headers; i++)
        if (strcasecmp(sample->header_names[i], name) == 0)
            return sample->header_values[i];
    return NULL;
}

static const char *sample_query(const struct webhook_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

int pipeline_test(const struct pipeline_env *env, const char *tenant_id, const char *slug,
                  json_t **report, struct error *err)
{
    struct pipeline_env dry = *env;
    struct pipeline_job job = {0};
    struct provider_sample sample = {0};
    struct store_tx *tx = NULL;
    int rc = -1;
    dry.dry_run = true;
    job.b.env = &dry;
    *report = NULL;
    buf_init(&sample.body, 0);
    job.b.provider = provider_find(slug);
    if (!job.b.provider)
        return error_set(err, ERR_VALIDATION, "%s does not receive payment webhooks", slug);
    if (store_install_get_slug(env->store, tenant_id, slug, &job.b.install, err) < 0)
        return -1;
    if (booking_setup(&job.b, err) < 0)
        goto out;
    if (install_awaiting(&job.b)) {
        error_set(err, ERR_CONFLICT,
                  "%s is waiting for its webhook secret; save it (PUT "
                  "/api/connectors/%s/config) before sending a test webhook",
                  job.b.provider->slug, job.b.provider->slug);
        goto out;
    }
    struct provider_install inst;
    provider_install_of(&job.b, &inst);
    int64_t now = clock_now_ms();
    if (provider_sample(job.b.provider, &inst, now, &sample, &job.state, err) < 0)
        goto out;
    job.req = (struct webhook_request){.body = sample.body.data,
                                       .body_len = sample.body.len,
                                       .header = sample_header,
                                       .query = sample_query,
                                       .ctx = &sample,
                                       .now_ms = now};
    /* A sample with a state is not verified (see provider.h): fetch-back providers' come
     * with what their API would answer, PayPal's, which only PayPal could sign, with the
     * parsed event. */
    bool verified = job.state != NULL;
    if (!verified) {
        struct error verify_err = {0};
        verified = provider_verify(job.b.provider, &job.req, &inst, &job.state, &verify_err) ==
                   VERIFY_OK;
        if (!verified) {
            *report = json_pack("{s:b, s:b, s:s, s:s}", "dryRun", 1, "verified", 0, "status",
                                "invalid_signature", "error", verify_err.message);
            rc = 0;
            goto out;
        }
    }
    job.results = json_array();
    if (!job.results || provider_parse(job.b.provider, &job.req, job.state, &job.payments, err) < 0)
        goto out;
    /* The whole booking, then undone: the store is as it was. */
    if (store_tx_begin(env->store, &tx, err) < 0)
        goto out;
    if (pipeline_job_book(&job, tx, err) < 0)
        goto out;
    *report = json_pack("{s:b, s:b, s:s, s:O}", "dryRun", 1, "verified", 1, "status",
                        job.all_duplicates ? "duplicate" : "processed", "results", job.results);
    rc = *report ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
out:
    store_tx_rollback(tx);
    provider_sample_free(&sample);
    json_decref(job.results);
    json_decref(job.state);
    json_decref(job.b.config);
    json_decref(job.b.secrets);
    payment_list_free(&job.payments);
    store_install_clear(&job.b.install);
    return rc;
}

void pipeline_outcome_free(struct pipeline_outcome *out)
{
    json_decref(out->body);
    out->body = NULL;
}
