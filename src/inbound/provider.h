/* inbound/provider.h - one interface for every payment provider that posts webhooks.
 *
 * A provider is one file in providers/ that fills one `struct provider` and one line in
 * providers.def. It does two pure-ish things: verify (did this request come from the
 * provider? fetch-back providers ask the provider's API here) and parse (what happened, as
 * normalized payments). It never touches the store; the pipeline books what it returns.
 * Callers go through provider_verify()/provider_parse(), never the pointers. */
#ifndef CONNECTORD_INBOUND_PROVIDER_H
#define CONNECTORD_INBOUND_PROVIDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/money.h"

/* The request as the provider sent it. Header names are case-insensitive. */
struct webhook_request {
    const char *body; /* raw bytes, exactly as received */
    size_t body_len;
    const char *(*header)(const struct webhook_request *req, const char *name);
    const char *(*query)(const struct webhook_request *req, const char *name);
    void *ctx; /* for header() and query() */
    int64_t now_ms;
    const char *url; /* as the provider called it (https://host/path?query), or NULL */
};

/* The tenant's install of this provider: its settings and a way to read its secrets. */
struct provider_install {
    const char *tenant_id;
    const char *install_id;
    const json_t *config; /* the plain settings (webhookId, merchantCode, ...) */
    /* Decrypts secret `key` into out; ERR_NOT_FOUND when that secret is not set. */
    int (*secret)(const struct provider_install *inst, const char *key, struct buf *out,
                  struct error *err);
    void *secret_ctx;
    const char *api_base_url;        /* the setting apiBaseUrl, or the provider's default */
    const char *trusted_cert_prefix; /* PayPal: an extra operator-trusted cert URL prefix, or NULL */
    /* An outside connector's manifest (its webhook block and samples drive the declarative
     * provider, provider_declarative_init); NULL for a built-in. */
    const json_t *manifest;
};

enum payment_kind {
    PAYMENT_SETTLED,  /* money arrived: book an invoice */
    PAYMENT_FAILED,   /* failed or expired: no invoice, payment.failed event */
    PAYMENT_REFUNDED, /* a refund of an earlier payment: credit note + reversal */
    PAYMENT_IGNORED,  /* an event the platform does not book: 200, detail says why */
};

/* How a settled payment meets the other events of the same payment, when a provider sends
 * several (Stripe: an invoice, its invoice payment, the payment intent, the charge, a
 * Checkout session, in any order). The pipeline keeps a link from every id an event names
 * (external_id and aliases) to the external_id the payment is booked under, so whichever
 * event comes first books it once and every later one finds that booking. */
enum payment_link_role {
    PAYMENT_LINK_BOOK,  /* book now (under a linked external_id if an id is linked) */
    PAYMENT_LINK_WAIT,  /* book only once an id is linked; until then park the details
                           under its ids for the event that links them */
    PAYMENT_LINK_ONLY,  /* names the payment under external_id and its aliases: links them,
                           and books details parked under an alias; books nothing alone */
    PAYMENT_LINK_DEFER, /* book unless a LINK_ONLY event has claimed the id for a payment
                           that another (richer) event books */
};

#define PAYMENT_ALIASES 3

/* What a provider says about the tax treatment it applied (Stripe Tax). */
enum payment_tax_hint {
    PAYMENT_TAX_HINT_NONE,
    PAYMENT_TAX_HINT_REVERSE_CHARGE, /* reverse charge: the customer owes the VAT */
    PAYMENT_TAX_HINT_EXEMPT,         /* the customer is tax-exempt */
};

struct payment {
    enum payment_kind kind;
    enum payment_link_role link;
    char aliases[PAYMENT_ALIASES][128]; /* other ids of this payment; "" when unused */
    bool has_tax;                       /* the provider said how much VAT amount holds */
    int64_t tax_minor;                  /* that VAT, 0 <= tax_minor < amount.minor */
    char event[64];       /* for the webhook log; the seed's names where they apply */
    char event_id[128];   /* the provider's id of this notification, if any */
    char external_id[128]; /* the payment's id (settled/failed) or the refund's id */
    char refunded_external_id[128]; /* refunds: external_id of the payment refunded */
    char invoice_number[128];       /* the provider's document number, else external_id */
    char date[11];                  /* YYYY-MM-DD (UTC) of the payment */
    struct money amount;            /* positive, in the payment's currency */
    /* What the provider credited for it in EUR, when the payload says (Stripe's balance
     * transaction, PayPal's receivable amount, Adyen's settlement): the booking's EUR
     * amount then, instead of the ECB rate. Positive like amount. */
    bool has_settlement;
    struct money settlement;
    /* Who was paid (the supplier, when the tenant books expenses) and who paid (the
     * customer, when it books revenue), as far as the payload tells; empty when not. */
    char merchant_id[128];
    char merchant_email[256];
    char merchant_name[256];
    char customer_id[128];
    char customer_email[256];
    char customer_name[256];
    /* For the tax treatment: ISO 3166 countries and the customer's VAT id, "" when the
     * payload does not say. */
    char customer_country[3];
    char customer_vat_id[24];
    char merchant_country[3];
    enum payment_tax_hint tax_hint;
    char detail[200]; /* PAYMENT_IGNORED: why nothing was booked */
};

struct payment_list {
    struct payment *items;
    size_t n, cap;
};

/* Appends a zeroed payment and returns it, or NULL when memory ran out. */
struct payment *payment_list_add(struct payment_list *list);
void payment_list_free(struct payment_list *list);

/* A synthetic request (provider_sample_*): a body and up to 8 headers, owned. */
#define PROVIDER_SAMPLE_HEADERS 8
struct provider_sample {
    struct buf body;
    char *header_names[PROVIDER_SAMPLE_HEADERS];
    char *header_values[PROVIDER_SAMPLE_HEADERS];
    size_t n_headers;
};
int provider_sample_header(struct provider_sample *s, const char *name, const char *value);
void provider_sample_free(struct provider_sample *s);

enum verify_result {
    VERIFY_OK,
    VERIFY_INVALID, /* signature, certificate or fetch-back says no: 400 invalid_signature */
    VERIFY_ERROR,   /* could not decide (provider API down, our config incomplete): err says */
};

#define PROVIDER_CAP_FETCHBACK 0x1u /* verification asks the provider's API (Mollie, Klarna, SumUp) */
#define PROVIDER_CAP_BATCH 0x2u     /* one request may carry several events (Adyen, GoCardless) */

struct provider {
    const char *slug; /* the catalog slug and the {provider} of the webhook URL */
    unsigned caps;
    const char *default_api_base; /* fetch-back providers: the production API, else NULL */
    /* Decides whether the request is genuine. Fetch-back providers keep what they fetched
     * in *state (a new JSON reference) for parse. */
    enum verify_result (*verify)(const struct webhook_request *req,
                                 const struct provider_install *inst, json_t **state,
                                 struct error *err);
    /* Normalizes the verified request (and state) into payments. ERR_VALIDATION with a
     * message when required fields are missing or malformed; nothing is booked then. */
    int (*parse)(const struct webhook_request *req, const json_t *state,
                 struct payment_list *out, struct error *err);
    /* Builds a synthetic, correctly signed event with the install's secrets, for
     * POST /api/connectors/:slug/test-webhook. A sample that sets *state skips
     * verification, and parse gets that state: providers whose verify fetches from their
     * API (Mollie, Klarna, SumUp, GoCardless) put there what it would answer; PayPal, whose
     * signature only PayPal can make, puts the parsed event there as the marker. Without a
     * state the sample is verified like any request. NULL: the provider has no test
     * event. */
    int (*sample)(const struct provider_install *inst, int64_t now_ms,
                  struct provider_sample *out, json_t **state, struct error *err);
    /* NULL, or what the provider wants done once the request's bookings are committed,
     * also when they were duplicates (an earlier attempt may have failed): Klarna
     * Checkout orders are acknowledged. A failure is logged and the answer stays 2xx: the
     * provider pushes again, and that push acknowledges again. */
    int (*acknowledge)(const struct webhook_request *req, const struct provider_install *inst,
                       const json_t *state, struct error *err);
    const char *ack_body;         /* what a 2xx answer carries, if the provider wants it
                                     (Adyen: "[accepted]"); NULL: a JSON status */
    const char *ack_content_type; /* of ack_body */
    /* The provider label metrics count it under: a static string that outlives every
     * request (metrics keep the pointer). NULL: the slug, a built-in's static one. */
    const char *metrics_label;
    /* A connector without code (inbound/declarative.h): its manifest's webhook block, which
     * provider_verify and provider_parse evaluate in place of verify and parse (both NULL
     * then). Borrowed: whoever made this provider keeps the block alive. NULL for the
     * built-ins. */
    const json_t *webhook;
};

/* The label of p's metrics (metrics_label, else its slug). */
const char *provider_metrics_label(const struct provider *p);

const struct provider *provider_find(const char *slug);
/* A published outside connector as a provider (outside.c): declarative_provider_init over
 * its manifest's webhook block, with the manifest's first sample as its test webhook (as
 * the developer signed it, so not verified again: the install's secret is not the
 * sample's; the sample reads inst->manifest) and one metrics label for every outside
 * connector. manifest (borrowed) and slug must outlive *p. ERR_VALIDATION when the block
 * is not valid. */
int provider_outside_init(struct provider *p, const char *slug, const json_t *manifest,
                          struct error *err);
const struct provider *const *provider_all(size_t *count);

enum verify_result provider_verify(const struct provider *p, const struct webhook_request *req,
                                   const struct provider_install *inst, json_t **state,
                                   struct error *err);
/* 0 when the provider wants nothing acknowledged. */
int provider_acknowledge(const struct provider *p, const struct webhook_request *req,
                         const struct provider_install *inst, const json_t *state,
                         struct error *err);
/* ERR_VALIDATION when the provider has no sample. */
int provider_sample(const struct provider *p, const struct provider_install *inst,
                    int64_t now_ms, struct provider_sample *out, json_t **state,
                    struct error *err);
int provider_parse(const struct provider *p, const struct webhook_request *req,
                   const json_t *state, struct payment_list *out, struct error *err);
/* What provider_parse checks of every provider's payments (an id, a currency, a date, a
 * bounded non-negative amount, a refund naming its payment; text as UTF-8; the invoice
 * number defaulting to the id), for payments made elsewhere (declarative connectors). */
int provider_payments_check(struct payment_list *out, struct error *err);

#endif
