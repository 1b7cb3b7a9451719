/* inbound/providers/sumup.c - SumUp online-payment checkouts, verified by fetching them back.
 *
 * SumUp posts {"event_type": "CHECKOUT_STATUS_CHANGED", "id": "<checkout id>"} to the
 * checkout's return_url, unsigned; its documentation says to always confirm the event with
 * SumUp's API. Verification is GET {apiBaseUrl}/v0.1/checkouts/{id} with the install's API
 * key as a Bearer token: a 404 means the checkout is not this account's, and a checkout of
 * another merchant than the install's merchantCode is refused too. What SumUp answers is
 * all parse reads. Other event types are acknowledged and not booked, as SumUp asks
 * ("ignore unknown event types"); nothing is fetched for them, and parse gets no state.
 *
 * Parse maps the fetched checkout (amount: a JSON number in major units, read exactly):
 *   status PAID             -> payment.paid    SETTLED, externalId the checkout id
 *   each transaction REFUNDED (of a paid checkout)
 *                           -> refund.created  REFUNDED, externalId the transaction id
 *   status FAILED           -> payment.failed  FAILED; EXPIRED -> payment.expired
 *   PENDING                 -> IGNORED
 * SumUp sends no webhook for refunds (the merchant makes them); they are booked when a
 * later notification for the checkout arrives, and the store's unique key turns the
 * repeated payment into a duplicate. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "inbound/sig.h"

#define ID_MAX 64
#define STATUS_CHANGED "CHECKOUT_STATUS_CHANGED"

static bool checkout_id_valid(const char *id)
{
    return sig_id_valid(id, "", ID_MAX, "-_");
}

static enum verify_result sumup_verify(const struct webhook_request *req,
                                       const struct provider_install *inst, json_t **state,
                                       struct error *err)
{
    char id[ID_MAX + 1], type[64];
    if (sig_body_param(req, "event_type", type, sizeof type) == 0 &&
        strcmp(type, STATUS_CHANGED) != 0)
        return VERIFY_OK; /* not booked: parse says so; nothing to confirm */
    if (sig_body_param(req, "id", id, sizeof id) < 0) {
        error_set(err, ERR_VALIDATION, "the notification carries no checkout id");
        return VERIFY_INVALID;
    }
    if (!checkout_id_valid(id)) {
        error_set(err, ERR_VALIDATION, "'%.*s' is not a SumUp checkout id", UTF8_CUT(64, id));
        return VERIFY_INVALID;
    }
    enum verify_result r =
        sig_fetch_with_secret(inst, "apiKey", NULL, "/v0.1/checkouts/", id, state, err);
    if (r != VERIFY_OK)
        return r;
    const char *fetched = sig_json_str(*state, "id");
    if (!fetched || strcmp(fetched, id) != 0) {
        error_set(err, ERR_VALIDATION, "SumUp answered with another checkout than %s", id);
        return VERIFY_INVALID;
    }
    const char *ours = json_string_value(json_object_get(inst->config, "merchantCode"));
    const char *theirs = sig_json_str(*state, "merchant_code");
    if (ours && *ours && theirs && strcmp(ours, theirs) != 0) {
        error_set(err, ERR_VALIDATION, "checkout %s belongs to merchant %.*s, not %.*s", id,
                  UTF8_CUT(32, theirs), UTF8_CUT(32, ours));
        return VERIFY_INVALID;
    }
    return VERIFY_OK;
}

static void parties(const json_t *checkout, struct payment *p)
{
    sig_json_copy(checkout, "merchant_code", p->merchant_id, sizeof p->merchant_id);
    sig_json_copy(checkout, "merchant_name", p->merchant_name, sizeof p->merchant_name);
    sig_json_copy(checkout, "customer_id", p->customer_id, sizeof p->customer_id);
    sig_json_copy(checkout, "personal_details.email", p->customer_email,
                  sizeof p->customer_email);
    const char *first = sig_json_str(checkout, "personal_details.first_name");
    const char *last = sig_json_str(checkout, "personal_details.last_name");
    if (first || last)
        snprintf(p->customer_name, sizeof p->customer_name, "%s%s%s", first ? first : "",
                 first && last ? " " : "", last ? last : "");
}

static bool is(const char *value, const char *what)
{
    return value && strcmp(value, what) == 0;
}

static int amount_of(const json_t *obj, const char *currency, struct payment *p,
                     struct error *err)
{
    return sig_amount(sig_json_get(obj, "amount"), SIG_AMOUNT_MAJOR_NUMBER, currency,
                      &p->amount, err);
}

/* The date the money moved: the successful transaction's timestamp, else the checkout's. */
static int paid_date(const json_t *checkout, char out[11])
{
    const json_t *txns = sig_json_get(checkout, "transactions"), *txn;
    size_t i;
    json_array_foreach(txns, i, txn)
        if (is(sig_json_str(txn, "status"), "SUCCESSFUL") &&
            sig_date_from_rfc3339(sig_json_str(txn, "timestamp"), out) == 0)
            return 0;
    return sig_date_from_rfc3339(sig_json_str(checkout, "date"), out);
}

static int add_refunds(const json_t *checkout, const struct payment *paid,
                       struct payment_list *out, struct error *err)
{
    const json_t *txns = sig_json_get(checkout, "transactions"), *txn;
    size_t i;
    json_array_foreach(txns, i, txn) {
        if (!is(sig_json_str(txn, "status"), "REFUNDED"))
            continue;
        const char *id = sig_json_str(txn, "id");
        if (!id)
            id = sig_json_str(txn, "transaction_code");
        if (!sig_id_valid(id, "", 100, "-_"))
            return error_set(err, ERR_VALIDATION, "a refunded transaction of %s has no id",
                             paid->external_id);
        const char *currency = sig_json_str(txn, "currency");
        struct payment *p = payment_list_add(out);
        if (!p)
            return error_set(err, ERR_INTERNAL, "out of memory");
        *p = *paid;
        p->kind = PAYMENT_REFUNDED;
        sig_copy(p->event, sizeof p->event, "refund.created");
        sig_copy(p->refunded_external_id, sizeof p->refunded_external_id, paid->external_id);
        sig_copy(p->external_id, sizeof p->external_id, id);
        p->invoice_number[0] = '\0';
        if (sig_date_from_rfc3339(sig_json_str(txn, "timestamp"), p->date) < 0)
            memcpy(p->date, paid->date, sizeof p->date);
        if (amount_of(txn, currency ? currency : paid->amount.currency, p, err) < 0)
            return -1;
    }
    return 0;
}

static int sumup_parse(const struct webhook_request *req, const json_t *state,
                       struct payment_list *out, struct error *err)
{
    (void)req; /* only the checkout id came from the request; the fetched checkout is the truth */
    struct payment *p = payment_list_add(out);
    if (!p)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (!state) {
        p->kind = PAYMENT_IGNORED;
        sig_copy(p->event, sizeof p->event, "notification");
        sig_copy(p->detail, sizeof p->detail,
                 "SumUp notification is not a checkout status change; no action taken");
        return 0;
    }
    const char *id = sig_json_str(state, "id");
    const char *status = sig_json_str(state, "status");
    if (!checkout_id_valid(id) || !status)
        return error_set(err, ERR_VALIDATION, "the fetched SumUp checkout lacks id or status");
    sig_copy(p->external_id, sizeof p->external_id, id);
    sig_json_copy(state, "checkout_reference", p->invoice_number, sizeof p->invoice_number);
    parties(state, p);

    if (is(status, "PAID")) {
        p->kind = PAYMENT_SETTLED;
        sig_copy(p->event, sizeof p->event, "payment.paid");
        if (paid_date(state, p->date) < 0)
            return error_set(err, ERR_VALIDATION, "SumUp checkout %s has no date", id);
        if (amount_of(state, sig_json_str(state, "currency"), p, err) < 0)
            return -1;
        struct payment paid = *p; /* add_refunds may move the list */
        return add_refunds(state, &paid, out, err);
    }
    if (is(status, "FAILED") || is(status, "EXPIRED")) {
        p->kind = PAYMENT_FAILED;
        sig_copy(p->event, sizeof p->event,
                 is(status, "EXPIRED") ? "payment.expired" : "payment.failed");
        if (sig_date_from_rfc3339(sig_json_str(state, "date"), p->date) < 0)
            return error_set(err, ERR_VALIDATION, "SumUp checkout %s has no date", id);
        return amount_of(state, sig_json_str(state, "currency"), p, err);
    }
    p->kind = PAYMENT_IGNORED;
    snprintf(p->event, sizeof p->event, "checkout.%.*s", UTF8_CUT(32, status));
    snprintf(p->detail, sizeof p->detail,
             "SumUp checkout %s is %.*s, not final; no action taken", id, UTF8_CUT(32, status));
    return 0;
}

/* A status change of a fresh checkout of 99.00 EUR, and in *state the paid checkout of the
 * install's merchant that GET /v0.1/checkouts/{id} would answer, so verification (that
 * fetch) is skipped. */
static int sumup_sample(const struct provider_install *inst, int64_t now_ms,
                        struct provider_sample *out, json_t **state, struct error *err)
{
    char tag[33], tag2[33], id[37], txn[37], ref[24], when[CLOCK_RFC3339_LEN];
    const char *merchant = json_string_value(json_object_get(inst->config, "merchantCode"));
    if (!merchant || !*merchant)
        return error_set(err, ERR_CONFIG, "the SumUp merchantCode setting is not set");
    if (sig_random_hex(tag, 16, false, err) < 0 || sig_random_hex(tag2, 16, false, err) < 0)
        return -1;
    snprintf(id, sizeof id, "%.8s-%.4s-%.4s-%.4s-%.12s", tag, tag + 8, tag + 12, tag + 16,
             tag + 20);
    snprintf(txn, sizeof txn, "%.8s-%.4s-%.4s-%.4s-%.12s", tag2, tag2 + 8, tag2 + 12, tag2 + 16,
             tag2 + 20);
    snprintf(ref, sizeof ref, "TEST-%.8s", tag);
    clock_format_rfc3339(now_ms, when);
    if (buf_printf(&out->body, "{\"event_type\":\"" STATUS_CHANGED "\",\"id\":\"%s\"}", id) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *state = json_pack("{s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:s,"
                       " s:[{s:s, s:s, s:f, s:s, s:s, s:s, s:s}]}",
                       "id", id, "checkout_reference", ref, "amount", 99.0, "currency", "EUR",
                       "merchant_code", merchant, "description", "Test checkout", "status",
                       "PAID", "date", when, "transactions", "id", txn, "transaction_code",
                       "TEST", "amount", 99.0, "currency", "EUR", "timestamp", when, "status",
                       "SUCCESSFUL", "payment_type", "ECOM");
    return *state ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

const struct provider provider_sumup = {
    .slug = "sumup",
    .caps = PROVIDER_CAP_FETCHBACK,
    .default_api_base = "https://api.sumup.com",
    .verify = sumup_verify,
    .parse = sumup_parse,
    .sample = sumup_sample,
};
