/* inbound/providers/klarna.c - Klarna orders, verified by fetching them back.
 *
 * Klarna's merchant notifications are unsigned hints. A Klarna Checkout push is a POST with
 * an empty body to the URL the merchant chose, the order id in its query string (the
 * install's URL is configured as ...?klarna_order_id={checkout.order.id}); a Klarna
 * Payments pending-order notification is JSON with order_id and event_type. Either way the
 * only thing taken from the request is the order id, and verification is Klarna's advice
 * ("check the order details before taking further action"): GET {apiBaseUrl}/
 * ordermanagement/v1/orders/{id} with HTTP Basic, the API username (setting apiKey) and
 * password (secret apiSecret). A 404 means the order is not this account's.
 *
 * Parse maps the fetched order (amounts in minor units of purchase_currency):
 *   fraud_status ACCEPTED and status AUTHORIZED, PART_CAPTURED or CAPTURED
 *                                   -> payment.paid    SETTLED (order_amount)
 *   status CLOSED with a capture    -> payment.paid    SETTLED (captured_amount)
 *   fraud_status REJECTED, CANCELLED -> payment.failed FAILED; EXPIRED -> payment.expired
 *   each refunds[] entry            -> refund.created  REFUNDED (externalId refund_id)
 *   anything else (fraud check pending, closed unpaid) -> IGNORED
 * Klarna sends no push for captures or refunds, which the merchant makes; refunds are
 * booked when a later notification for the order arrives. The store's unique key turns the
 * repeated payment into a duplicate.
 *
 * A Checkout order must then be acknowledged, POST .../orders/{id}/acknowledge (no body,
 * 204), or Klarna keeps pushing it; that happens after the commit (acknowledge below), on
 * every push of the order, so a failed acknowledgement is repeated with the next push. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/clock.h"
#include "httpc/httpc.h"
#include "core/utf8.h"
#include "inbound/sig.h"

#define ID_MAX 64

static bool order_id_valid(const char *id)
{
    return sig_id_valid(id, "", ID_MAX, "-_");
}

static enum verify_result klarna_verify(const struct webhook_request *req,
                                        const struct provider_install *inst, json_t **state,
                                        struct error *err)
{
    char id[ID_MAX + 1] = "";
    const char *from_query = req->query ? req->query(req, "klarna_order_id") : NULL;
    if (from_query && *from_query) {
        if (strlen(from_query) > ID_MAX) {
            error_set(err, ERR_VALIDATION, "klarna_order_id is too long for an order id");
            return VERIFY_INVALID;
        }
        sig_copy(id, sizeof id, from_query);
    } else {
        sig_body_param(req, "order_id", id, sizeof id);
    }
    if (!id[0]) {
        error_set(err, ERR_VALIDATION,
                  "the notification carries no order id (klarna_order_id or order_id)");
        return VERIFY_INVALID;
    }
    if (!order_id_valid(id)) {
        error_set(err, ERR_VALIDATION, "'%.*s' is not a Klarna order id", UTF8_CUT(64, id));
        return VERIFY_INVALID;
    }
    const char *user = json_string_value(json_object_get(inst->config, "apiKey"));
    if (!user || !*user) {
        error_set(err, ERR_CONFIG, "the Klarna API username (apiKey) is not set");
        return VERIFY_ERROR;
    }
    enum verify_result r = sig_fetch_with_secret(inst, "apiSecret", user,
                                                 "/ordermanagement/v1/orders/", id, state, err);
    if (r != VERIFY_OK)
        return r;
    const char *fetched = sig_json_str(*state, "order_id");
    if (!fetched || strcmp(fetched, id) != 0) {
        error_set(err, ERR_VALIDATION, "Klarna answered with another order than %s", id);
        return VERIFY_INVALID;
    }
    return VERIFY_OK;
}

static void parties(const json_t *order, struct payment *p)
{
    sig_json_copy(order, "billing_address.email", p->customer_email, sizeof p->customer_email);
    const char *given = sig_json_str(order, "billing_address.given_name");
    const char *family = sig_json_str(order, "billing_address.family_name");
    if (given || family)
        snprintf(p->customer_name, sizeof p->customer_name, "%s%s%s", given ? given : "",
                 given && family ? " " : "", family ? family : "");
}

static int amount_at(const json_t *obj, const char *path, const char *currency,
                     struct payment *p, struct error *err)
{
    return sig_amount(sig_json_get(obj, path), SIG_AMOUNT_MINOR, currency, &p->amount, err);
}

static bool is(const char *value, const char *what)
{
    return value && strcmp(value, what) == 0;
}

static int add_refunds(const json_t *order, const char *currency, const struct payment *paid,
                       struct payment_list *out, struct error *err)
{
    const json_t *refunds = sig_json_get(order, "refunds"), *refund;
    size_t i;
    json_array_foreach(refunds, i, refund) {
        const char *id = sig_json_str(refund, "refund_id");
        if (!sig_id_valid(id, "", 100, "-_"))
            return error_set(err, ERR_VALIDATION, "a refund of order %s has no valid refund_id",
                             paid->refunded_external_id);
        struct payment *p = payment_list_add(out);
        if (!p)
            return error_set(err, ERR_INTERNAL, "out of memory");
        *p = *paid;
        sig_copy(p->external_id, sizeof p->external_id, id);
        if (sig_date_from_rfc3339(sig_json_str(refund, "refunded_at"), p->date) < 0)
            return error_set(err, ERR_VALIDATION, "refund %s has no refunded_at", id);
        if (amount_at(refund, "refunded_amount", currency, p, err) < 0)
            return -1;
    }
    return 0;
}

static int klarna_parse(const struct webhook_request *req, const json_t *state,
                        struct payment_list *out, struct error *err)
{
    (void)req; /* only the order id came from the request; the fetched order is the truth */
    const char *id = sig_json_str(state, "order_id");
    const char *status = sig_json_str(state, "status");
    const char *fraud = sig_json_str(state, "fraud_status");
    const char *currency = sig_json_str(state, "purchase_currency");
    int64_t captured = 0;
    struct payment *p;
    if (!order_id_valid(id) || !status)
        return error_set(err, ERR_VALIDATION, "the fetched Klarna order lacks order_id or status");
    if (!(p = payment_list_add(out)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    sig_copy(p->external_id, sizeof p->external_id, id);
    sig_json_copy(state, "merchant_reference1", p->invoice_number, sizeof p->invoice_number);
    parties(state, p);
    if (sig_date_from_rfc3339(sig_json_str(state, "created_at"), p->date) < 0)
        return error_set(err, ERR_VALIDATION, "Klarna order %s has no created_at", id);
    sig_json_int(state, "captured_amount", &captured);

    bool authorized = is(status, "AUTHORIZED") || is(status, "PART_CAPTURED") ||
                      is(status, "CAPTURED");
    if (is(fraud, "REJECTED") || is(status, "CANCELLED") || is(status, "EXPIRED")) {
        p->kind = PAYMENT_FAILED;
        sig_copy(p->event, sizeof p->event,
                 is(status, "EXPIRED") ? "payment.expired" : "payment.failed");
        return amount_at(state, "order_amount", currency, p, err);
    }
    if ((authorized && is(fraud, "ACCEPTED")) || (is(status, "CLOSED") && captured > 0)) {
        p->kind = PAYMENT_SETTLED;
        sig_copy(p->event, sizeof p->event, "payment.paid");
        if (amount_at(state, authorized ? "order_amount" : "captured_amount", currency, p,
                      err) < 0)
            return -1;
        struct payment refund = *p; /* the template for refunds; the list may move */
        refund.kind = PAYMENT_REFUNDED;
        sig_copy(refund.event, sizeof refund.event, "refund.created");
        sig_copy(refund.refunded_external_id, sizeof refund.refunded_external_id, id);
        refund.invoice_number[0] = '\0';
        return add_refunds(state, currency, &refund, out, err);
    }
    p->kind = PAYMENT_IGNORED;
    snprintf(p->event, sizeof p->event, "order.%.*s", UTF8_CUT(24, status));
    snprintf(p->detail, sizeof p->detail,
             "Klarna order %s is %.*s (fraud status %.*s), not payable yet; no action taken",
             id, UTF8_CUT(24, status), UTF8_CUT(24, fraud ? fraud : "unknown"));
    return 0;
}

/* A Klarna Payments notification for a fresh order of 99.00 EUR, and in *state the
 * authorized, fraud-accepted order GET /ordermanagement/v1/orders/{id} would answer, so
 * verification (that fetch) is skipped. */
static int klarna_sample(const struct provider_install *inst, int64_t now_ms,
                         struct provider_sample *out, json_t **state, struct error *err)
{
    (void)inst;
    char tag[33], id[37], ref[24], when[CLOCK_RFC3339_LEN];
    if (sig_random_hex(tag, 16, false, err) < 0)
        return -1;
    snprintf(id, sizeof id, "%.8s-%.4s-%.4s-%.4s-%.12s", tag, tag + 8, tag + 12, tag + 16,
             tag + 20);
    snprintf(ref, sizeof ref, "TEST-%.8s", tag);
    clock_format_rfc3339(now_ms, when);
    if (buf_printf(&out->body, "{\"order_id\":\"%s\",\"event_type\":\"FRAUD_RISK_ACCEPTED\"}",
                   id) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *state = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:s,"
                       " s:{s:s, s:s, s:s}, s:[]}",
                       "order_id", id, "status", "AUTHORIZED", "fraud_status", "ACCEPTED",
                       "order_amount", 9900, "original_order_amount", 9900, "captured_amount", 0,
                       "refunded_amount", 0, "purchase_currency", "EUR", "purchase_country",
                       "DE", "created_at", when, "merchant_reference1", ref, "billing_address",
                       "email", "test@example.com", "given_name", "Test", "family_name",
                       "Customer", "refunds");
    return *state ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

/* Acknowledges a Checkout order (a push with klarna_order_id in the query); a Klarna
 * Payments notification needs none. */
static int klarna_acknowledge(const struct webhook_request *req,
                              const struct provider_install *inst, const json_t *state,
                              struct error *err)
{
    const char *pushed = req->query ? req->query(req, "klarna_order_id") : NULL;
    const char *id = sig_json_str(state, "order_id");
    const char *user = json_string_value(json_object_get(inst->config, "apiKey"));
    if (!pushed || !*pushed)
        return 0;
    if (!id || !user || !inst->api_base_url)
        return error_set(err, ERR_INTERNAL, "the order or the API settings are missing");
    struct buf url, secret;
    struct httpc_response resp = {0};
    int rc = -1;
    buf_init(&url, 4096);
    buf_init(&secret, 4096);
    if (httpc_url_join(&url, inst->api_base_url, "/ordermanagement/v1/orders/", id) < 0 ||
        buf_append_str(&url, "/acknowledge") < 0) {
        error_set(err, ERR_VALIDATION, "order id too long");
        goto out;
    }
    if (inst->secret(inst, "apiSecret", &secret, err) < 0)
        goto out;
    struct httpc_request post = {.method = "POST", .url = url.data, .body = "", .body_len = 0,
                                 .basic_user = user, .basic_password = secret.data};
    if (httpc_perform(&post, &resp, err) < 0)
        goto out;
    if (resp.status < 200 || resp.status > 299) {
        error_set(err, ERR_UNAVAILABLE, "Klarna answered HTTP %ld to the acknowledgement",
                  resp.status);
        goto out;
    }
    rc = 0;
out:
    if (secret.data)
        OPENSSL_cleanse(secret.data, secret.len);
    httpc_response_free(&resp);
    buf_free(&secret);
    buf_free(&url);
    return rc;
}

const struct provider provider_klarna = {
    .slug = "klarna",
    .caps = PROVIDER_CAP_FETCHBACK,
    .default_api_base = "https://api.klarna.com",
    .verify = klarna_verify,
    .parse = klarna_parse,
    .sample = klarna_sample,
    .acknowledge = klarna_acknowledge,
};
