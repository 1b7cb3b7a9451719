/* inbound/providers/stripe.c - Stripe webhooks.
 *
 * Verification (as stripe-node's Webhooks.js does it): Stripe-Signature is "t=<unix s>,
 * v1=<hex>[,v1=<hex>...]"; the signed bytes are "<t>.<raw body>", HMAC-SHA256 keyed with
 * the whole whsec_ secret; any v1 may match (secret rotation); lowercase hex only; no
 * trimming of the header; a timestamp more than 300 s old is a replay.
 * Amounts are integer minor units; currencies come lowercase. The externalId is
 * data.object.payment_intent where the object carries it, else the object's id. */
#include <string.h>

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

static void external_id(const json_t *obj, struct payment *p)
{
    const char *pi = sig_json_str(obj, "payment_intent");
    sig_copy(p->external_id, sizeof p->external_id, pi ? pi : sig_json_str(obj, "id"));
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

    if (!strcmp(type, "invoice.payment_succeeded") || !strcmp(type, "invoice.paid")) {
        p->kind = PAYMENT_SETTLED;
        external_id(obj, p);
        sig_json_copy(obj, "number", p->invoice_number, sizeof p->invoice_number);
        rc = amount_at(obj, "amount_paid", p, err);
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
out:
    json_decref(event);
    return rc;
}

/* A paid invoice of 99.00 EUR with fresh ids, signed as Stripe signs. */
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
                   "\"status\":\"paid\",\"status_transitions\":{\"paid_at\":%lld}}}}",
                   tag, (long long)now_s, tag, tag, (long long)now_s) < 0)
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
