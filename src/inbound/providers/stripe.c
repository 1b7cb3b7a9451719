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

/* Every field the parse reads, as a path from the event (sig_fields: read once by jscan);
 * only when one of the lists or expanded objects marked below holds something (taxes, tax
 * ids, a balance transaction) is the event parsed again as a whole tree, which the readers
 * of those need. */
enum stripe_field {
    F_TYPE, F_ID, F_ACCOUNT, F_CREATED, F_PREV_REFUNDED, F_OBJECT, F_PAID_AT, F_OBJ_CREATED,
    F_OBJ_ID, F_CUSTOMER, F_CUSTOMER_EMAIL, F_CUSTOMER_NAME, F_BILLING_EMAIL, F_RECEIPT_EMAIL,
    F_BILLING_NAME, F_ACCOUNT_NAME, F_CUSTOMER_ADDRESS_COUNTRY, F_DETAILS_ADDRESS_COUNTRY,
    F_BILLING_ADDRESS_COUNTRY, F_ACCOUNT_COUNTRY, F_CUSTOMER_TAX_EXEMPT, F_DETAILS_TAX_EXEMPT,
    F_PAYMENT_INTENT, F_NUMBER, F_AMOUNT_PAID, F_CURRENCY, F_TAX, F_PAID_OUT_OF_BAND,
    F_PAYMENT_PI, F_PAYMENT_CHARGE, F_INVOICE, F_AMOUNT_RECEIVED, F_AMOUNT, F_PAYMENT_STATUS,
    F_AMOUNT_TOTAL, F_AMOUNT_TAX, F_AMOUNT_DUE, F_AMOUNT_REFUNDED, F_DETAILS_EMAIL,
    F_DETAILS_NAME,
    /* read from the tree only: lists, and objects Stripe may expand */
    F_CUSTOMER_TAX_IDS, F_DETAILS_TAX_IDS, F_TOTAL_TAX_AMOUNTS, F_TOTAL_TAXES,
    F_BREAKDOWN_TAXES, F_CHARGE, F_BALANCE_TRANSACTION, F_LATEST_CHARGE,
    F__COUNT
};
#define F_TREE_FIRST F_CUSTOMER_TAX_IDS

static const char *const field_paths[F__COUNT] = {
    [F_TYPE] = "type",
    [F_ID] = "id",
    [F_ACCOUNT] = "account",
    [F_CREATED] = "created",
    [F_PREV_REFUNDED] = "data.previous_attributes.amount_refunded",
    [F_OBJECT] = "data.object",
    [F_PAID_AT] = "data.object.status_transitions.paid_at",
    [F_OBJ_CREATED] = "data.object.created",
    [F_OBJ_ID] = "data.object.id",
    [F_CUSTOMER] = "data.object.customer",
    [F_CUSTOMER_EMAIL] = "data.object.customer_email",
    [F_CUSTOMER_NAME] = "data.object.customer_name",
    [F_BILLING_EMAIL] = "data.object.billing_details.email",
    [F_RECEIPT_EMAIL] = "data.object.receipt_email",
    [F_BILLING_NAME] = "data.object.billing_details.name",
    [F_ACCOUNT_NAME] = "data.object.account_name",
    [F_CUSTOMER_ADDRESS_COUNTRY] = "data.object.customer_address.country",
    [F_DETAILS_ADDRESS_COUNTRY] = "data.object.customer_details.address.country",
    [F_BILLING_ADDRESS_COUNTRY] = "data.object.billing_details.address.country",
    [F_ACCOUNT_COUNTRY] = "data.object.account_country",
    [F_CUSTOMER_TAX_EXEMPT] = "data.object.customer_tax_exempt",
    [F_DETAILS_TAX_EXEMPT] = "data.object.customer_details.tax_exempt",
    [F_PAYMENT_INTENT] = "data.object.payment_intent",
    [F_NUMBER] = "data.object.number",
    [F_AMOUNT_PAID] = "data.object.amount_paid",
    [F_CURRENCY] = "data.object.currency",
    [F_TAX] = "data.object.tax",
    [F_PAID_OUT_OF_BAND] = "data.object.paid_out_of_band",
    [F_PAYMENT_PI] = "data.object.payment.payment_intent",
    [F_PAYMENT_CHARGE] = "data.object.payment.charge",
    [F_INVOICE] = "data.object.invoice",
    [F_AMOUNT_RECEIVED] = "data.object.amount_received",
    [F_AMOUNT] = "data.object.amount",
    [F_PAYMENT_STATUS] = "data.object.payment_status",
    [F_AMOUNT_TOTAL] = "data.object.amount_total",
    [F_AMOUNT_TAX] = "data.object.total_details.amount_tax",
    [F_AMOUNT_DUE] = "data.object.amount_due",
    [F_AMOUNT_REFUNDED] = "data.object.amount_refunded",
    [F_DETAILS_EMAIL] = "data.object.customer_details.email",
    [F_DETAILS_NAME] = "data.object.customer_details.name",
    [F_CUSTOMER_TAX_IDS] = "data.object.customer_tax_ids",
    [F_DETAILS_TAX_IDS] = "data.object.customer_details.tax_ids",
    [F_TOTAL_TAX_AMOUNTS] = "data.object.total_tax_amounts",
    [F_TOTAL_TAXES] = "data.object.total_taxes",
    [F_BREAKDOWN_TAXES] = "data.object.total_details.breakdown.taxes",
    [F_CHARGE] = "data.object.charge",
    [F_BALANCE_TRANSACTION] = "data.object.balance_transaction",
    [F_LATEST_CHARGE] = "data.object.latest_charge",
};

static struct sig_field_set fields = SIG_FIELD_SET(field_paths, F__COUNT, F_TREE_FIRST);

static void ev_copy(const struct sig_fields *e, enum stripe_field f, char *dst, size_t cap)
{
    sig_copy(dst, cap, sig_fields_str(e, f));
}

/* The amount at `f` in minor units of the object's lowercase currency. */
static int amount_at(const struct sig_fields *e, enum stripe_field f, struct payment *p,
                     struct error *err)
{
    int64_t minor;
    bool known = sig_fields_int(e, f, &minor);
    return sig_amount_minor(known ? &minor : NULL, sig_fields_str(e, F_CURRENCY), &p->amount, err);
}

static void parties(const struct sig_fields *e, struct payment *p)
{
    ev_copy(e, F_CUSTOMER, p->customer_id, sizeof p->customer_id);
    ev_copy(e, F_CUSTOMER_EMAIL, p->customer_email, sizeof p->customer_email);
    ev_copy(e, F_CUSTOMER_NAME, p->customer_name, sizeof p->customer_name);
    if (!p->customer_email[0])
        ev_copy(e, F_BILLING_EMAIL, p->customer_email, sizeof p->customer_email);
    if (!p->customer_email[0])
        ev_copy(e, F_RECEIPT_EMAIL, p->customer_email, sizeof p->customer_email);
    if (!p->customer_name[0])
        ev_copy(e, F_BILLING_NAME, p->customer_name, sizeof p->customer_name);
    /* The receiving account: a Connect account id, and the invoice's account name. */
    ev_copy(e, F_ACCOUNT, p->merchant_id, sizeof p->merchant_id);
    ev_copy(e, F_ACCOUNT_NAME, p->merchant_name, sizeof p->merchant_name);
}

/* An ISO 3166 country code as Stripe writes it (two upper-case letters), else nothing. */
static void country_of(const char *c, char out[3])
{
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
        country_of(sig_json_str(item, "rate.country"), p->customer_country);
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
static void tax_facts(const struct sig_fields *e, struct payment *p)
{
    country_of(sig_fields_str(e, F_CUSTOMER_ADDRESS_COUNTRY), p->customer_country);
    country_of(sig_fields_str(e, F_DETAILS_ADDRESS_COUNTRY), p->customer_country);
    country_of(sig_fields_str(e, F_BILLING_ADDRESS_COUNTRY), p->customer_country);
    country_of(sig_fields_str(e, F_ACCOUNT_COUNTRY), p->merchant_country);
    vat_id_from(sig_fields_tree(e, F_CUSTOMER_TAX_IDS), p);
    vat_id_from(sig_fields_tree(e, F_DETAILS_TAX_IDS), p);
    exemption(sig_fields_str(e, F_CUSTOMER_TAX_EXEMPT), p);
    exemption(sig_fields_str(e, F_DETAILS_TAX_EXEMPT), p);
    taxability(sig_fields_tree(e, F_TOTAL_TAX_AMOUNTS), p);
    taxability(sig_fields_tree(e, F_TOTAL_TAXES), p);
    taxability(sig_fields_tree(e, F_BREAKDOWN_TAXES), p);
}

static void external_id(const struct sig_fields *e, struct payment *p)
{
    const char *pi = sig_fields_str(e, F_PAYMENT_INTENT);
    sig_copy(p->external_id, sizeof p->external_id, pi ? pi : sig_fields_str(e, F_OBJ_ID));
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
static int invoice_tax(const struct sig_fields *e, struct payment *p, struct error *err)
{
    int64_t tax = 0;
    bool known = sig_fields_int(e, F_TAX, &tax);
    const json_t *list = sig_fields_tree(e, F_TOTAL_TAX_AMOUNTS);
    if (!known && !json_is_array(list))
        list = sig_fields_tree(e, F_TOTAL_TAXES);
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
static int parse_invoice_paid(const struct sig_fields *e, struct payment *p,
                              struct error *err)
{
    p->kind = PAYMENT_SETTLED;
    ev_copy(e, F_NUMBER, p->invoice_number, sizeof p->invoice_number);
    if (amount_at(e, F_AMOUNT_PAID, p, err) < 0 || invoice_tax(e, p, err) < 0)
        return -1;
    const char *in = sig_fields_str(e, F_OBJ_ID);
    if (sig_fields_has(e, F_PAYMENT_INTENT)) {
        /* Before basil: the invoice names its payment intent (null when paid otherwise). */
        external_id(e, p);
        add_alias(p, in);
        add_alias(p, sig_fields_str(e, F_CHARGE));
        return 0;
    }
    sig_copy(p->external_id, sizeof p->external_id, in);
    /* Nothing paid, or paid outside Stripe: no invoice payment will ever link it. */
    bool outside = sig_fields_true(e, F_PAID_OUT_OF_BAND);
    p->link = p->amount.minor == 0 || outside ? PAYMENT_LINK_BOOK : PAYMENT_LINK_WAIT;
    return 0;
}

/* invoice_payment.paid: an InvoicePayment, which ties the invoice to its payment intent. */
static int parse_invoice_payment(const struct sig_fields *e, struct payment *p,
                                 struct error *err)
{
    const char *pi = sig_fields_str(e, F_PAYMENT_PI);
    const char *ch = sig_fields_str(e, F_PAYMENT_CHARGE);
    p->kind = PAYMENT_SETTLED;
    p->link = PAYMENT_LINK_ONLY;
    sig_copy(p->external_id, sizeof p->external_id, pi ? pi : ch ? ch : sig_fields_str(e, F_OBJ_ID));
    add_alias(p, sig_fields_str(e, F_INVOICE));
    add_alias(p, ch);
    return amount_at(e, F_AMOUNT_PAID, p, err);
}

/* What Stripe credited for the payment in EUR: the amount of its balance transaction when
 * the event carries it expanded (a charge's balance_transaction, a payment intent's
 * latest_charge, an invoice's charge) and the account settles in EUR. Stripe converts at
 * its own rate (exchange_rate); the booking takes the credited amount as it is. */
static int settlement(const struct sig_fields *e, struct payment *p, struct error *err)
{
    const json_t *bt = sig_fields_tree(e, F_BALANCE_TRANSACTION);
    if (!json_is_object(bt))
        bt = sig_json_get(sig_fields_tree(e, F_LATEST_CHARGE), "balance_transaction");
    if (!json_is_object(bt))
        bt = sig_json_get(sig_fields_tree(e, F_CHARGE), "balance_transaction");
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
static int parse_intent_or_charge(const struct sig_fields *e, bool charge, struct payment *p,
                                  struct error *err)
{
    p->kind = PAYMENT_SETTLED;
    p->link = PAYMENT_LINK_DEFER;
    external_id(e, p);
    if (charge)
        add_alias(p, sig_fields_str(e, F_OBJ_ID));
    const char *in = sig_fields_str(e, F_INVOICE);
    if (in) {
        p->kind = PAYMENT_IGNORED;
        snprintf(p->detail, sizeof p->detail,
                 "payment of invoice %.40s, which its invoice events book; no action taken", in);
        return 0;
    }
    bool received = !charge && sig_fields_has(e, F_AMOUNT_RECEIVED);
    return amount_at(e, received ? F_AMOUNT_RECEIVED : F_AMOUNT, p, err);
}

/* checkout.session.completed (Checkout and Payment Links). */
static int parse_checkout(const struct sig_fields *e, struct payment *p, struct error *err)
{
    const char *status = sig_fields_str(e, F_PAYMENT_STATUS);
    const char *pi = sig_fields_str(e, F_PAYMENT_INTENT);
    p->kind = PAYMENT_IGNORED;
    if (!status || strcmp(status, "paid") != 0) {
        snprintf(p->detail, sizeof p->detail,
                 "Checkout session not paid (payment_status %.24s); no action taken",
                 status ? status : "missing");
        return 0;
    }
    if (!pi) {
        const char *in = sig_fields_str(e, F_INVOICE);
        snprintf(p->detail, sizeof p->detail,
                 "Checkout session paid through invoice %.40s, which its invoice events book; "
                 "no action taken",
                 in ? in : "(none)");
        return 0;
    }
    p->kind = PAYMENT_SETTLED;
    sig_copy(p->external_id, sizeof p->external_id, pi);
    add_alias(p, sig_fields_str(e, F_OBJ_ID));
    add_alias(p, sig_fields_str(e, F_INVOICE));
    ev_copy(e, F_DETAILS_EMAIL, p->customer_email, sizeof p->customer_email);
    ev_copy(e, F_DETAILS_NAME, p->customer_name, sizeof p->customer_name);
    if (amount_at(e, F_AMOUNT_TOTAL, p, err) < 0)
        return -1;
    int64_t tax = 0;
    if (sig_fields_int(e, F_AMOUNT_TAX, &tax)) {
        if (tax < 0)
            return error_set(err, ERR_VALIDATION, "the session's amount_tax is negative");
        if (tax < p->amount.minor) {
            p->has_tax = true;
            p->tax_minor = tax;
        }
    }
    return 0;
}

/* charge.refunded: this event's refund is the growth of amount_refunded since the last
 * state. */
static int parse_refund(const struct sig_fields *e, struct payment *p, struct error *err)
{
    int64_t total = 0, before = 0, grown;
    p->kind = PAYMENT_REFUNDED;
    external_id(e, p);
    memcpy(p->refunded_external_id, p->external_id, sizeof p->refunded_external_id);
    sig_copy(p->external_id, sizeof p->external_id, p->event_id);
    if (!sig_fields_int(e, F_AMOUNT_REFUNDED, &total))
        return error_set(err, ERR_VALIDATION, "charge.refunded without amount_refunded");
    sig_fields_int(e, F_PREV_REFUNDED, &before);
    if (before < 0 || before > total || __builtin_sub_overflow(total, before, &grown))
        return error_set(err, ERR_VALIDATION,
                         "previous amount_refunded %lld is not between 0 and amount_refunded %lld",
                         (long long)before, (long long)total);
    return sig_amount_minor(&grown, sig_fields_str(e, F_CURRENCY), &p->amount, err);
}

/* The event's own members, then its type's. */
static int parse_event(const struct sig_fields *e, struct payment_list *out, struct error *err)
{
    const char *type = sig_fields_str(e, F_TYPE);
    bool object = sig_fields_object(e, F_OBJECT);
    struct payment *p;
    if (!object || !type)
        return error_set(err, ERR_VALIDATION, "not a Stripe event: type or data.object missing");
    if (!(p = payment_list_add(out)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    sig_copy(p->event, sizeof p->event, type);
    ev_copy(e, F_ID, p->event_id, sizeof p->event_id);
    /* The payment's time: when it was paid, else when its object or the event was made. */
    static const enum stripe_field when_fields[] = {F_PAID_AT, F_OBJ_CREATED, F_CREATED};
    enum { N_WHEN = sizeof when_fields / sizeof when_fields[0] };
    int64_t when = 0;
    size_t w = 0;
    while (w < N_WHEN && !sig_fields_int(e, when_fields[w], &when))
        w++;
    const char *when_field = field_paths[when_fields[w < N_WHEN ? w : N_WHEN - 1]];
    if (sig_date_from_unix(when, p->date) < 0)
        return error_set(err, ERR_VALIDATION,
                         "%s %lld is not a time between 1970-01-01 and 9999-12-31", when_field,
                         (long long)when);
    parties(e, p);
    tax_facts(e, p);

    int rc;
    if (!strcmp(type, "invoice.payment_succeeded") || !strcmp(type, "invoice.paid")) {
        rc = parse_invoice_paid(e, p, err);
    } else if (!strcmp(type, "invoice_payment.paid")) {
        rc = parse_invoice_payment(e, p, err);
    } else if (!strcmp(type, "payment_intent.succeeded") || !strcmp(type, "charge.succeeded")) {
        rc = parse_intent_or_charge(e, type[0] == 'c', p, err);
    } else if (!strcmp(type, "checkout.session.completed")) {
        rc = parse_checkout(e, p, err);
    } else if (!strcmp(type, "invoice.payment_failed")) {
        p->kind = PAYMENT_FAILED;
        external_id(e, p);
        ev_copy(e, F_NUMBER, p->invoice_number, sizeof p->invoice_number);
        rc = amount_at(e, F_AMOUNT_DUE, p, err);
    } else if (!strcmp(type, "payment_intent.payment_failed") || !strcmp(type, "charge.failed")) {
        p->kind = PAYMENT_FAILED;
        external_id(e, p);
        rc = amount_at(e, F_AMOUNT, p, err);
    } else if (!strcmp(type, "charge.refunded")) {
        rc = parse_refund(e, p, err);
    } else {
        p->kind = PAYMENT_IGNORED;
        snprintf(p->detail, sizeof p->detail, "Stripe event %.*s is not booked; no action taken",
                 UTF8_CUT(64, type));
        rc = 0;
    }
    if (rc == 0 && p->kind == PAYMENT_SETTLED)
        rc = settlement(e, p, err);
    return rc;
}

static int stripe_parse(const struct webhook_request *req, const json_t *state,
                        struct payment_list *out, struct error *err)
{
    (void)state;
    struct sig_fields e;
    struct error read_err = {0};
    int rc = sig_fields_read(&e, &fields, req->body, req->body_len, &read_err);
    if (rc < 0 && read_err.code == ERR_INVALID_JSON)
        error_set(err, ERR_VALIDATION, "not a Stripe event: type or data.object missing");
    else if (rc < 0 && err)
        *err = read_err;
    else
        rc = parse_event(&e, out, err);
    sig_fields_free(&e);
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
