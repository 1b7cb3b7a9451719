/* inbound/providers/stripe.c - Stripe webhooks.
 *
 * Verification (as stripe-node's Webhooks.js does it): Stripe-Signature is "t=<unix s>,
 * v1=<hex>[,v1=<hex>...]"; the signed bytes are "<t>.<raw body>", HMAC-SHA256 keyed with
 * the whole whsec_ secret; any v1 may match (secret rotation); lowercase hex only; no
 * trimming of the header; a timestamp more than 300 s old is a replay.
 * Amounts are integer minor units; currencies come lowercase. The externalId is
 * data.object.payment_intent where the object carries it, else the object's id.
 *
 * One payment arrives as several events, in any order: invoice.paid and
 * invoice.payment_succeeded, invoice_payment.paid, payment_intent.succeeded, charge.succeeded,
 * checkout.session.completed. Its payment intent (pi_) is the external id wherever it is
 * known, and every other id an event names is a link to it (see enum payment_link_role).
 * Endpoints on API versions before 2025-03-31.basil get invoices that carry payment_intent,
 * so an invoice event books at once. From basil on, invoices do not: only
 * invoice_payment.paid ties in_ to pi_, so an invoice event waits (parked) for that link and
 * the link books it, whichever comes first. A payment intent or charge that names its invoice
 * (older versions) is left to the invoice's events, which say more (number, tax, customer);
 * one that does not is booked on its own (Checkout and Payment Links, custom flows) unless
 * invoice_payment.paid has already claimed it for an invoice. A subscription's Checkout
 * session is booked through its invoice. */
#include <string.h>
#include <strings.h>

#include <stdio.h>

#include "core/utf8.h"
#include "inbound/sig.h"

#define TOLERANCE_S 300
#define MAX_SIGNATURES 8

struct stripe_header {
    const char *t;
    size_t t_len;
    const char *v1[MAX_SIGNATURES];
    size_t v1_len[MAX_SIGNATURES];
    size_t n_v1;
};

static int collect(void *ctx, const char *key, size_t key_len, const char *value,
                   size_t value_len)
{
    struct stripe_header *h = ctx;
    if (key_len == 1 && key[0] == 't') {
        h->t = value;
        h->t_len = value_len;
    } else if (key_len == 2 && memcmp(key, "v1", 2) == 0 && h->n_v1 < MAX_SIGNATURES) {
        h->v1[h->n_v1] = value;
        h->v1_len[h->n_v1++] = value_len;
    }
    return 0;
}

static enum verify_result stripe_verify(const struct webhook_request *req,
                                        const struct provider_install *inst, json_t **state,
                                        struct error *err)
{
    (void)state;
    struct stripe_header h = {0};
    const char *header = req->header(req, "Stripe-Signature");
    if (!header || !*header) {
        error_set(err, ERR_VALIDATION, "missing Stripe-Signature header");
        return VERIFY_INVALID;
    }
    sig_params_each(header, ',', collect, &h);
    int64_t t = sig_parse_uint(h.t, h.t_len);
    if (t < 0 || h.n_v1 == 0) {
        error_set(err, ERR_VALIDATION, "Stripe-Signature lacks t= or v1=");
        return VERIFY_INVALID;
    }
    struct buf secret;
    buf_init(&secret, 4096);
    if (inst->secret(inst, "webhookSecret", &secret, err) < 0) {
        buf_free(&secret);
        return VERIFY_ERROR;
    }
    struct sig_part parts[] = {{h.t, h.t_len}, {".", 1}, {req->body, req->body_len}};
    bool ok = false;
    for (size_t i = 0; i < h.n_v1 && !ok; i++)
        ok = sig_hmac_sha256_matches(secret.data, secret.len, parts, 3, h.v1[i], h.v1_len[i],
                                     SIG_HEX_LOWER);
    buf_free(&secret);
    if (!ok) {
        error_set(err, ERR_VALIDATION, "no v1 signature matches");
        return VERIFY_INVALID;
    }
    if (req->now_ms / 1000 - t > TOLERANCE_S) {
        error_set(err, ERR_VALIDATION, "timestamp outside the tolerance (replay?)");
        return VERIFY_INVALID;
    }
    return VERIFY_OK;
}

/* The lowercase currency at `path`, upper-cased into a struct money with `minor`. */
static int amount_at(const json_t *obj, const char *amount_path, struct payment *p,
                     struct error *err)
{
    return sig_amount(sig_json_get(obj, amount_path), SIG_AMOUNT_MINOR,
                      sig_json_str(obj, "currency"), &p->amount, err);
}

static void parties(const json_t *event, const json_t *obj, struct payment *p)
{
    sig_json_copy(obj, "customer", p->customer_id, sizeof p->customer_id);
    sig_json_copy(obj, "customer_email", p->customer_email, sizeof p->customer_email);
    sig_json_copy(obj, "customer_name", p->customer_name, sizeof p->customer_name);
    if (!p->customer_email[0])
        sig_json_copy(obj, "billing_details.email", p->customer_email, sizeof p->customer_email);
    if (!p->customer_email[0])
        sig_json_copy(obj, "receipt_email", p->customer_email, sizeof p->customer_email);
    if (!p->customer_name[0])
        sig_json_copy(obj, "billing_details.name", p->customer_name, sizeof p->customer_name);
    /* The receiving account: a Connect account id, and the invoice's account name. */
    sig_json_copy(event, "account", p->merchant_id, sizeof p->merchant_id);
    sig_json_copy(obj, "account_name", p->merchant_name, sizeof p->merchant_name);
}

/* An ISO 3166 country code as Stripe writes it (two upper-case letters), else nothing. */
static void country_at(const json_t *obj, const char *path, char out[3])
{
    const char *c = sig_json_str(obj, path);
    if (c && strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' &&
        !out[0])
        memcpy(out, c, 3);
}

/* The customer's EU VAT id from a list of tax ids ({type: "eu_vat", value}). */
static void vat_id_from(const json_t *list, struct payment *p)
{
    size_t i;
    const json_t *item;
    if (!json_is_array(list) || p->customer_vat_id[0])
        return;
    json_array_foreach(list, i, item) {
        const char *type = sig_json_str(item, "type");
        const char *value = sig_json_str(item, "value");
        if (type && value && strcmp(type, "eu_vat") == 0 &&
            strlen(value) < sizeof p->customer_vat_id) {
            memcpy(p->customer_vat_id, value, strlen(value) + 1);
            return;
        }
    }
}

/* tax_exempt ("none", "exempt", "reverse") of the customer as Stripe saw it. */
static void exemption(const char *tax_exempt, struct payment *p)
{
    if (tax_exempt && strcmp(tax_exempt, "reverse") == 0)
        p->tax_hint = PAYMENT_TAX_HINT_REVERSE_CHARGE;
    else if (tax_exempt && strcmp(tax_exempt, "exempt") == 0)
        p->tax_hint = PAYMENT_TAX_HINT_EXEMPT;
}

/* Stripe Tax's taxability_reason of an invoice's or a session's taxes: reverse_charge or
 * customer_exempt; a session's tax rate names its country (the jurisdiction), which is the
 * customer's where the address is not given. */
static void taxability(const json_t *list, struct payment *p)
{
    size_t i;
    const json_t *item;
    if (!json_is_array(list))
        return;
    json_array_foreach(list, i, item) {
        country_at(item, "rate.country", p->customer_country);
        const char *why = sig_json_str(item, "taxability_reason");
        if (why && strcmp(why, "reverse_charge") == 0)
            p->tax_hint = PAYMENT_TAX_HINT_REVERSE_CHARGE;
        else if (why && strcmp(why, "customer_exempt") == 0)
            p->tax_hint = PAYMENT_TAX_HINT_EXEMPT;
    }
}

/* Where the customer and the receiving account are, and the customer's VAT id: an
 * invoice's customer_address, customer_tax_ids, customer_tax_exempt, account_country and
 * its taxes' taxability; a Checkout session's customer_details and its
 * total_details.breakdown.taxes. */
static void tax_facts(const json_t *obj, struct payment *p)
{
    country_at(obj, "customer_address.country", p->customer_country);
    country_at(obj, "customer_details.address.country", p->customer_country);
    country_at(obj, "billing_details.address.country", p->customer_country);
    country_at(obj, "account_country", p->merchant_country);
    vat_id_from(sig_json_get(obj, "customer_tax_ids"), p);
    vat_id_from(sig_json_get(obj, "customer_details.tax_ids"), p);
    exemption(sig_json_str(obj, "customer_tax_exempt"), p);
    exemption(sig_json_str(obj, "customer_details.tax_exempt"), p);
    taxability(sig_json_get(obj, "total_tax_amounts"), p);
    taxability(sig_json_get(obj, "total_taxes"), p);
    taxability(sig_json_get(obj, "total_details.breakdown.taxes"), p);
}

static void external_id(const json_t *obj, struct payment *p)
{
    const char *pi = sig_json_str(obj, "payment_intent");
    sig_copy(p->external_id, sizeof p->external_id, pi ? pi : sig_json_str(obj, "id"));
}

static void add_alias(struct payment *p, const char *id)
{
    if (!id || !*id || strcmp(id, p->external_id) == 0)
        return;
    for (size_t i = 0; i < PAYMENT_ALIASES; i++) {
        if (!p->aliases[i][0]) {
            sig_copy(p->aliases[i], sizeof p->aliases[i], id);
            return;
        }
        if (strcmp(p->aliases[i], id) == 0)
            return;
    }
}

/* The VAT Stripe computed for an invoice (tax, or the sum of total_tax_amounts or, from
 * basil on, total_taxes); left unknown when it says none or more than the amount paid (a
 * partial payment's share is not stated). */
static int invoice_tax(const json_t *obj, struct payment *p, struct error *err)
{
    int64_t tax = 0;
    bool known = sig_json_int(obj, "tax", &tax);
    const json_t *list = sig_json_get(obj, "total_tax_amounts");
    if (!known && !json_is_array(list))
        list = sig_json_get(obj, "total_taxes");
    if (!known && json_is_array(list) && json_array_size(list) > 0) {
        size_t i;
        const json_t *item;
        known = true;
        json_array_foreach(list, i, item) {
            int64_t a = 0;
            if (!sig_json_int(item, "amount", &a) || a < 0 || __builtin_add_overflow(tax, a, &tax))
                return error_set(err, ERR_VALIDATION, "a tax amount of the invoice is not a "
                                                      "non-negative integer");
        }
    }
    if (known && tax < 0)
        return error_set(err, ERR_VALIDATION, "the invoice's tax is negative");
    if (known && tax < p->amount.minor) {
        p->has_tax = true;
        p->tax_minor = tax;
    }
    return 0;
}

/* invoice.paid / invoice.payment_succeeded. */
static int parse_invoice_paid(const json_t *obj, struct payment *p, struct error *err)
{
    p->kind = PAYMENT_SETTLED;
    sig_json_copy(obj, "number", p->invoice_number, sizeof p->invoice_number);
    if (amount_at(obj, "amount_paid", p, err) < 0 || invoice_tax(obj, p, err) < 0)
        return -1;
    const char *in = sig_json_str(obj, "id");
    if (json_object_get(obj, "payment_intent")) {
        /* Before basil: the invoice names its payment intent (null when paid otherwise). */
        external_id(obj, p);
        add_alias(p, in);
        add_alias(p, sig_json_str(obj, "charge"));
        return 0;
    }
    sig_copy(p->external_id, sizeof p->external_id, in);
    /* Nothing paid, or paid outside Stripe: no invoice payment will ever link it. */
    bool outside = json_is_true(json_object_get(obj, "paid_out_of_band"));
    p->link = p->amount.minor == 0 || outside ? PAYMENT_LINK_BOOK : PAYMENT_LINK_WAIT;
    return 0;
}

/* invoice_payment.paid: an InvoicePayment, which ties the invoice to its payment intent. */
static int parse_invoice_payment(const json_t *obj, struct payment *p, struct error *err)
{
    const char *pi = sig_json_str(obj, "payment.payment_intent");
    const char *ch = sig_json_str(obj, "payment.charge");
    p->kind = PAYMENT_SETTLED;
    p->link = PAYMENT_LINK_ONLY;
    sig_copy(p->external_id, sizeof p->external_id, pi ? pi : ch ? ch : sig_json_str(obj, "id"));
    add_alias(p, sig_json_str(obj, "invoice"));
    add_alias(p, ch);
    return amount_at(obj, "amount_paid", p, err);
}

/* What Stripe credited for the payment in EUR: the amount of its balance transaction when
 * the event carries it expanded (a charge's balance_transaction, a payment intent's
 * latest_charge, an invoice's charge) and the account settles in EUR. Stripe converts at
 * its own rate (exchange_rate); the booking takes the credited amount as it is. */
static int settlement(const json_t *obj, struct payment *p, struct error *err)
{
    static const char *const paths[] = {"balance_transaction", "latest_charge.balance_transaction",
                                        "charge.balance_transaction"};
    const json_t *bt = NULL;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && !json_is_object(bt); i++)
        bt = sig_json_get(obj, paths[i]);
    const char *currency = json_is_object(bt) ? sig_json_str(bt, "currency") : NULL;
    if (!currency || strcasecmp(currency, "eur") != 0 ||
        strcmp(p->amount.currency, "EUR") == 0)
        return 0;
    if (sig_amount(sig_json_get(bt, "amount"), SIG_AMOUNT_MINOR, currency, &p->settlement,
                   err) < 0)
        return -1;
    if (p->settlement.minor <= 0)
        return error_set(err, ERR_VALIDATION, "balance transaction amount %lld is not positive",
                         (long long)p->settlement.minor);
    p->has_settlement = true;
    return 0;
}

/* payment_intent.succeeded and charge.succeeded: booked here only when no invoice says
 * more about the same payment. */
static int parse_intent_or_charge(const json_t *obj, bool charge, struct payment *p,
                                  struct error *err)
{
    p->kind = PAYMENT_SETTLED;
    p->link = PAYMENT_LINK_DEFER;
    external_id(obj, p);
    if (charge)
        add_alias(p, sig_json_str(obj, "id"));
    const char *in = sig_json_str(obj, "invoice");
    if (in) {
        p->kind = PAYMENT_IGNORED;
        snprintf(p->detail, sizeof p->detail,
                 "payment of invoice %.40s, which its invoice events book; no action taken", in);
        return 0;
    }
    bool received = !charge && sig_json_get(obj, "amount_received");
    return amount_at(obj, received ? "amount_received" : "amount", p, err);
}

/* checkout.session.completed (Checkout and Payment Links). */
static int parse_checkout(const json_t *obj, struct payment *p, struct error *err)
{
    const char *status = sig_json_str(obj, "payment_status");
    const char *pi = sig_json_str(obj, "payment_intent");
    p->kind = PAYMENT_IGNORED;
    if (!status || strcmp(status, "paid") != 0) {
        snprintf(p->detail, sizeof p->detail,
                 "Checkout session not paid (payment_status %.24s); no action taken",
                 status ? status : "missing");
        return 0;
    }
    if (!pi) {
        const char *in = sig_json_str(obj, "invoice");
        snprintf(p->detail, sizeof p->detail,
                 "Checkout session paid through invoice %.40s, which its invoice events book; "
                 "no action taken",
                 in ? in : "(none)");
        return 0;
    }
    p->kind = PAYMENT_SETTLED;
    sig_copy(p->external_id, sizeof p->external_id, pi);
    add_alias(p, sig_json_str(obj, "id"));
    add_alias(p, sig_json_str(obj, "invoice"));
    sig_json_copy(obj, "customer_details.email", p->customer_email, sizeof p->customer_email);
    sig_json_copy(obj, "customer_details.name", p->customer_name, sizeof p->customer_name);
    if (amount_at(obj, "amount_total", p, err) < 0)
        return -1;
    int64_t tax = 0;
    if (sig_json_int(obj, "total_details.amount_tax", &tax)) {
        if (tax < 0)
            return error_set(err, ERR_VALIDATION, "the session's amount_tax is negative");
        if (tax < p->amount.minor) {
            p->has_tax = true;
            p->tax_minor = tax;
        }
    }
    return 0;
}

static int stripe_parse(const struct webhook_request *req, const json_t *state,
                        struct payment_list *out, struct error *err)
{
    (void)state;
    int rc = -1;
    json_t *event = json_loadb(req->body, req->body_len, 0, NULL);
    const json_t *obj = sig_json_get(event, "data.object");
    const char *type = sig_json_str(event, "type");
    struct payment *p;
    if (!json_is_object(obj) || !type) {
        error_set(err, ERR_VALIDATION, "not a Stripe event: type or data.object missing");
        goto out;
    }
    if (!(p = payment_list_add(out))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    sig_copy(p->event, sizeof p->event, type);
    sig_json_copy(event, "id", p->event_id, sizeof p->event_id);
    /* The payment's time: when it was paid, else when its object or the event was made. */
    static const char *const when_paths[] = {"data.object.status_transitions.paid_at",
                                             "data.object.created", "created"};
    enum { N_WHEN = sizeof when_paths / sizeof when_paths[0] };
    int64_t when = 0;
    size_t w = 0;
    while (w < N_WHEN && !sig_json_int(event, when_paths[w], &when))
        w++;
    const char *when_field = when_paths[w < N_WHEN ? w : N_WHEN - 1];
    if (sig_date_from_unix(when, p->date) < 0) {
        error_set(err, ERR_VALIDATION, "%s %lld is not a time between 1970-01-01 and 9999-12-31",
                  when_field, (long long)when);
        goto out;
    }
    parties(event, obj, p);
    tax_facts(obj, p);

    if (!strcmp(type, "invoice.payment_succeeded") || !strcmp(type, "invoice.paid")) {
        rc = parse_invoice_paid(obj, p, err);
    } else if (!strcmp(type, "invoice_payment.paid")) {
        rc = parse_invoice_payment(obj, p, err);
    } else if (!strcmp(type, "payment_intent.succeeded") || !strcmp(type, "charge.succeeded")) {
        rc = parse_intent_or_charge(obj, type[0] == 'c', p, err);
    } else if (!strcmp(type, "checkout.session.completed")) {
        rc = parse_checkout(obj, p, err);
    } else if (!strcmp(type, "invoice.payment_failed")) {
        p->kind = PAYMENT_FAILED;
        external_id(obj, p);
        sig_json_copy(obj, "number", p->invoice_number, sizeof p->invoice_number);
        rc = amount_at(obj, "amount_due", p, err);
    } else if (!strcmp(type, "payment_intent.payment_failed") || !strcmp(type, "charge.failed")) {
        p->kind = PAYMENT_FAILED;
        external_id(obj, p);
        rc = amount_at(obj, "amount", p, err);
    } else if (!strcmp(type, "charge.refunded")) {
        /* This event's refund is the growth of amount_refunded since the last state. */
        int64_t total = 0, before = 0;
        p->kind = PAYMENT_REFUNDED;
        external_id(obj, p);
        memcpy(p->refunded_external_id, p->external_id, sizeof p->refunded_external_id);
        sig_copy(p->external_id, sizeof p->external_id, p->event_id);
        if (!sig_json_int(obj, "amount_refunded", &total)) {
            error_set(err, ERR_VALIDATION, "charge.refunded without amount_refunded");
            goto out;
        }
        sig_json_int(event, "data.previous_attributes.amount_refunded", &before);
        int64_t grown;
        if (before < 0 || before > total || __builtin_sub_overflow(total, before, &grown)) {
            error_set(err, ERR_VALIDATION,
                      "previous amount_refunded %lld is not between 0 and amount_refunded %lld",
                      (long long)before, (long long)total);
            goto out;
        }
        json_t *delta = json_integer(grown);
        rc = sig_amount(delta, SIG_AMOUNT_MINOR, sig_json_str(obj, "currency"), &p->amount, err);
        json_decref(delta);
    } else {
        p->kind = PAYMENT_IGNORED;
        snprintf(p->detail, sizeof p->detail, "Stripe event %.*s is not booked; no action taken",
                 UTF8_CUT(64, type));
        rc = 0;
    }
    if (rc == 0 && p->kind == PAYMENT_SETTLED)
        rc = settlement(obj, p, err);
out:
    json_decref(event);
    return rc;
}

/* A paid invoice of 99.00 EUR with fresh ids, signed as Stripe signs; in the shape of API
 * versions before basil (it names its payment intent), so it books on its own. */
static int stripe_sample(const struct provider_install *inst, int64_t now_ms,
                         struct provider_sample *out, json_t **state, struct error *err)
{
    (void)state;
    char tag[17], header[128], t[24], sig[SIG_HMAC_TEXT_MAX];
    int64_t now_s = now_ms / 1000;
    if (sig_random_hex(tag, 8, false, err) < 0)
        return -1;
    if (buf_printf(&out->body,
                   "{\"id\":\"evt_test_%s\",\"object\":\"event\",\"created\":%lld,"
                   "\"type\":\"invoice.payment_succeeded\",\"livemode\":false,\"data\":{\"object\":{"
                   "\"id\":\"in_test_%s\",\"object\":\"invoice\",\"number\":\"TEST-%s\","
                   "\"account_name\":\"Test Merchant\",\"amount_paid\":9900,\"currency\":\"eur\","
                   "\"customer\":\"cus_test\",\"customer_email\":\"test@example.com\","
                   "\"payment_intent\":\"pi_test_%s\","
                   "\"status\":\"paid\",\"status_transitions\":{\"paid_at\":%lld}}}}",
                   tag, (long long)now_s, tag, tag, tag, (long long)now_s) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(t, sizeof t, "%lld", (long long)now_s);
    struct sig_part parts[] = {SIG_STR(t), {".", 1}, {out->body.data, out->body.len}};
    if (sig_hmac_with_secret(inst, "webhookSecret", SIG_KEY_TEXT, parts, 3, SIG_HEX_LOWER, sig,
                             err) < 0)
        return -1;
    snprintf(header, sizeof header, "t=%s,v1=%s", t, sig);
    if (provider_sample_header(out, "Stripe-Signature", header) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

const struct provider provider_stripe = {
    .slug = "stripe",
    .verify = stripe_verify,
    .parse = stripe_parse,
    .sample = stripe_sample,
};
