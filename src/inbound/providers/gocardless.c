/* inbound/providers/gocardless.c - GoCardless webhooks.
 *
 * Verification (as gocardless-nodejs's webhooks.js does it): Webhook-Signature is the
 * hex HMAC-SHA256 of the raw body, keyed with the webhook endpoint secret as text. The SDK
 * hex-decodes the header and compares bytes, so uppercase hex passes too. GoCardless
 * signs no timestamp; a replay is the pipeline's duplicate check.
 *
 * A request is a batch {"events": [...], "meta": {...}}: one payment per event. Events
 * carry only ids (links.payment, links.refund), never an amount, so this provider fetches
 * back: after the signature passed, verify asks GET {apiBaseUrl}/payments/{id} or
 * /refunds/{id} (Bearer secretKey, "GoCardless-Version: 2015-07-06") for each object an
 * event books, once per object, and keeps them in *state as
 * {"payments": {id: payment}, "refunds": {id: refund}}. Events that book nothing need no
 * fetch and no secretKey. The signature already proved the event genuine, so an API that
 * refuses is our configuration (wrong key, sandbox vs live): VERIFY_ERROR, and GoCardless
 * retries the batch.
 *
 * Events: payments confirmed or paid_out settle (a payment usually sends both; the second
 * is a duplicate of the first, same external id); failed, cancelled and
 * customer_approval_denied fail; charged_back reverses a collected payment, so it is booked
 * as a refund of that payment (its own id is the event's, as a charge-back has no object of
 * its own); refunds paid or refund_settled refund links.payment. Everything else is
 * ignored with a detail. The log names events "<resource_type>.<action>". Amounts are
 * integer minor units. A payment's date is its charge_date (the day it was collected);
 * a refund's and a charge-back's is the event's created_at. The payer's email would cost two more calls (mandate, customer) per
 * payment and is not fetched. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "inbound/sig.h"

#define DEFAULT_BASE "https://api.gocardless.com"
#define API_VERSION "2015-07-06"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum gc_action { GC_NONE, GC_SETTLE, GC_FAIL, GC_CHARGEBACK, GC_REFUND };

static bool in(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

static enum gc_action classify(const json_t *event)
{
    static const char *const settle[] = {"confirmed", "paid_out"};
    static const char *const fail[] = {"failed", "cancelled", "customer_approval_denied"};
    static const char *const refund[] = {"paid", "refund_settled"};
    const char *type = sig_json_str(event, "resource_type");
    const char *action = sig_json_str(event, "action");
    if (type && !strcmp(type, "payments")) {
        if (in(action, settle, COUNT(settle)))
            return GC_SETTLE;
        if (in(action, fail, COUNT(fail)))
            return GC_FAIL;
        if (action && !strcmp(action, "charged_back"))
            return GC_CHARGEBACK;
    } else if (type && !strcmp(type, "refunds") && in(action, refund, COUNT(refund))) {
        return GC_REFUND;
    }
    return GC_NONE;
}

/* Fetches /{kind}/{id} into state[kind][id] unless it is there already. */
static enum verify_result fetch(const struct provider_install *inst, const char *auth,
                                const char *kind, const char *id, json_t *state,
                                struct error *err)
{
    json_t *bucket = json_object_get(state, kind);
    json_t *answer = NULL;
    if (json_object_get(bucket, id))
        return VERIFY_OK;
    char path[32];
    snprintf(path, sizeof path, "/%s/", kind);
    const char *headers[] = {auth, "GoCardless-Version: " API_VERSION};
    enum verify_result r = sig_fetch_json_headers(
        inst->api_base_url ? inst->api_base_url : DEFAULT_BASE, path, id, headers, 2, NULL,
        NULL, &answer, err);
    if (r == VERIFY_INVALID) {
        error_set(err, ERR_CONFIG, "GoCardless's API refused %s %.*s with the configured "
                  "secretKey", kind, UTF8_CUT(64, id));
        r = VERIFY_ERROR;
    } else if (r == VERIFY_OK) {
        json_t *object = json_object_get(answer, kind);
        if (!json_is_object(object)) {
            error_set(err, ERR_UNAVAILABLE, "GoCardless answered %s %.*s without \"%s\"", kind,
                      UTF8_CUT(64, id), kind);
            r = VERIFY_ERROR;
        } else if (json_object_set(bucket, id, object) < 0) {
            error_set(err, ERR_INTERNAL, "out of memory");
            r = VERIFY_ERROR;
        }
    }
    json_decref(answer);
    return r;
}

/* After the signature passed: fetches what the batch's booking events need. */
static enum verify_result fetch_all(const struct webhook_request *req,
                                    const struct provider_install *inst, json_t **state,
                                    struct error *err)
{
    enum verify_result r = VERIFY_OK;
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    const json_t *events = sig_json_get(body, "events");
    struct buf key;
    char auth[1100] = "";
    buf_init(&key, 4096);
    for (size_t i = 0; r == VERIFY_OK && i < json_array_size(events); i++) {
        const json_t *event = json_array_get(events, i);
        enum gc_action action = classify(event);
        const char *kind = action == GC_REFUND ? "refunds" : "payments";
        const char *id = sig_json_str(event, action == GC_REFUND ? "links.refund"
                                                                 : "links.payment");
        if (action == GC_NONE || !id)
            continue; /* nothing to book, or parse reports the missing link */
        if (!*state) {
            if (inst->secret(inst, "secretKey", &key, err) < 0) {
                r = VERIFY_ERROR;
                break;
            }
            if (key.len == 0) {
                error_set(err, ERR_CONFIG, "the GoCardless secretKey is empty");
                r = VERIFY_ERROR;
                break;
            }
            if (snprintf(auth, sizeof auth, "Authorization: Bearer %s", key.data) >=
                (int)sizeof auth) {
                error_set(err, ERR_CONFIG, "the GoCardless secretKey is too long");
                r = VERIFY_ERROR;
                break;
            }
            *state = json_pack("{s:{},s:{}}", "payments", "refunds");
            if (!*state) {
                error_set(err, ERR_INTERNAL, "out of memory");
                r = VERIFY_ERROR;
                break;
            }
        }
        r = fetch(inst, auth, kind, id, *state, err);
    }
    memset(auth, 0, sizeof auth);
    if (key.data)
        memset(key.data, 0, key.len);
    buf_free(&key);
    json_decref(body);
    return r;
}

static enum verify_result gocardless_verify(const struct webhook_request *req,
                                            const struct provider_install *inst,
                                            json_t **state, struct error *err)
{
    const char *header = req->header(req, "Webhook-Signature");
    if (!header || !*header) {
        error_set(err, ERR_VALIDATION, "missing Webhook-Signature header");
        return VERIFY_INVALID;
    }
    struct buf secret;
    buf_init(&secret, 4096);
    if (inst->secret(inst, "webhookSecret", &secret, err) < 0) {
        buf_free(&secret);
        return VERIFY_ERROR;
    }
    struct sig_part body = {req->body, req->body_len};
    bool ok = sig_hmac_sha256_matches(secret.data, secret.len, &body, 1, header, strlen(header),
                                      SIG_HEX_ANY_CASE);
    memset(secret.data, 0, secret.len);
    buf_free(&secret);
    if (!ok) {
        error_set(err, ERR_VALIDATION, "the Webhook-Signature does not match");
        return VERIFY_INVALID;
    }
    return fetch_all(req, inst, state, err);
}

/* Amount, currency, reference and creditor of a fetched payment or refund. */
static int from_object(const json_t *obj, struct payment *p, struct error *err)
{
    sig_json_copy(obj, "reference", p->invoice_number, sizeof p->invoice_number);
    if (!p->merchant_id[0])
        sig_json_copy(obj, "links.creditor", p->merchant_id, sizeof p->merchant_id);
    return sig_amount(sig_json_get(obj, "amount"), SIG_AMOUNT_MINOR,
                      sig_json_str(obj, "currency"), &p->amount, err);
}

static const json_t *fetched(const json_t *state, const char *kind, const char *id,
                             struct error *err)
{
    const json_t *obj = id ? json_object_get(json_object_get(state, kind), id) : NULL;
    if (!obj)
        error_set(err, ERR_VALIDATION, "GoCardless event without a fetched %s (%.*s)", kind,
                  UTF8_CUT(64, id ? id : "no link"));
    return obj;
}

static int parse_event(const json_t *event, const json_t *state, struct payment *p,
                       struct error *err)
{
    const char *type = sig_json_str(event, "resource_type");
    const char *action = sig_json_str(event, "action");
    const char *payment_id = sig_json_str(event, "links.payment");
    const json_t *obj;
    if (!type || !action)
        return error_set(err, ERR_VALIDATION, "GoCardless event without resource_type/action");
    snprintf(p->event, sizeof p->event, "%.*s.%.*s", UTF8_CUT(30, type), UTF8_CUT(30, action));
    sig_json_copy(event, "id", p->event_id, sizeof p->event_id);
    sig_json_copy(event, "links.creditor", p->merchant_id, sizeof p->merchant_id);
    sig_date_from_rfc3339(sig_json_str(event, "created_at"), p->date);
    enum gc_action what = classify(event);
    switch (what) {
    case GC_SETTLE:
    case GC_FAIL:
        p->kind = what == GC_SETTLE ? PAYMENT_SETTLED : PAYMENT_FAILED;
        if (!(obj = fetched(state, "payments", payment_id, err)))
            return -1;
        sig_copy(p->external_id, sizeof p->external_id, payment_id);
        sig_date_from_rfc3339(sig_json_str(obj, "charge_date"), p->date);
        return from_object(obj, p, err);
    case GC_CHARGEBACK:
        p->kind = PAYMENT_REFUNDED;
        if (!(obj = fetched(state, "payments", payment_id, err)))
            return -1;
        sig_copy(p->external_id, sizeof p->external_id, p->event_id);
        sig_copy(p->refunded_external_id, sizeof p->refunded_external_id, payment_id);
        if (from_object(obj, p, err) < 0)
            return -1;
        p->invoice_number[0] = '\0'; /* the payment's reference is not this booking's */
        return 0;
    case GC_REFUND: {
        const char *refund_id = sig_json_str(event, "links.refund");
        p->kind = PAYMENT_REFUNDED;
        if (!(obj = fetched(state, "refunds", refund_id, err)))
            return -1;
        sig_copy(p->external_id, sizeof p->external_id, refund_id);
        sig_copy(p->refunded_external_id, sizeof p->refunded_external_id,
                 payment_id ? payment_id : sig_json_str(obj, "links.payment"));
        return from_object(obj, p, err);
    }
    case GC_NONE:
        break;
    }
    p->kind = PAYMENT_IGNORED;
    snprintf(p->detail, sizeof p->detail, "GoCardless event %.*s is not booked; no action taken",
             UTF8_CUT(64, p->event));
    return 0;
}

static int gocardless_parse(const struct webhook_request *req, const json_t *state,
                            struct payment_list *out, struct error *err)
{
    int rc = -1;
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    const json_t *events = sig_json_get(body, "events");
    if (!json_is_array(events)) {
        error_set(err, ERR_VALIDATION, "not a GoCardless webhook: no events");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(events); i++) {
        struct payment *p = payment_list_add(out);
        if (!p) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        if (parse_event(json_array_get(events, i), state, p, err) < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(body);
    return rc;
}

/* A batch of one "payments confirmed" event for a fresh payment of 99.00 EUR, signed with
 * the install's webhookSecret as GoCardless signs. Its amount lives in GoCardless's API, so
 * the payment as GET /payments/{id} would answer it comes along in *state, in the shape
 * verify leaves there ({"payments": {id: payment}, "refunds": {}}); verification, which
 * would fetch it, is then skipped. */
static int gocardless_sample(const struct provider_install *inst, int64_t now_ms,
                             struct provider_sample *out, json_t **state, struct error *err)
{
    char tag[21], event_id[16], payment_id[16], when[CLOCK_RFC3339_LEN], day[11];
    char ref[24], sig[SIG_HMAC_TEXT_MAX];
    if (sig_random_hex(tag, 10, true, err) < 0)
        return -1;
    snprintf(ref, sizeof ref, "TEST-%.8s", tag);
    snprintf(event_id, sizeof event_id, "EV%.12s", tag);
    snprintf(payment_id, sizeof payment_id, "PM%.12s", tag + 8);
    clock_format_rfc3339(now_ms, when);
    sig_date_from_unix(now_ms / 1000, day);
    if (buf_printf(&out->body,
                   "{\"events\":[{\"id\":\"%s\",\"created_at\":\"%s\",\"resource_type\":"
                   "\"payments\",\"action\":\"confirmed\",\"links\":{\"payment\":\"%s\"},"
                   "\"details\":{\"origin\":\"gocardless\",\"cause\":\"payment_confirmed\","
                   "\"description\":\"A test webhook: the payment is confirmed.\"},"
                   "\"metadata\":{}}],\"meta\":{\"webhook_id\":\"WB%.12s\"}}",
                   event_id, when, payment_id, tag + 4) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct sig_part body = {out->body.data, out->body.len};
    if (sig_hmac_with_secret(inst, "webhookSecret", SIG_KEY_TEXT, &body, 1, SIG_HEX_LOWER, sig,
                             err) < 0)
        return -1;
    if (provider_sample_header(out, "Webhook-Signature", sig) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *state = json_pack("{s:{s:{s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:{}, s:{s:s, s:s}}},"
                       " s:{}}",
                       "payments", payment_id, "id", payment_id, "amount", 9900,
                       "amount_refunded", 0, "currency", "EUR", "charge_date", day,
                       "created_at", when, "reference", ref, "status", "confirmed",
                       "metadata", "links", "mandate", "MD000TEST", "creditor", "CR000TEST",
                       "refunds");
    return *state ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

const struct provider provider_gocardless = {
    .slug = "gocardless",
    .caps = PROVIDER_CAP_BATCH | PROVIDER_CAP_FETCHBACK,
    .default_api_base = DEFAULT_BASE,
    .verify = gocardless_verify,
    .parse = gocardless_parse,
    .sample = gocardless_sample,
};
