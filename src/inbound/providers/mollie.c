/* inbound/providers/mollie.c - Mollie payments, verified by fetching them back.
 *
 * Classic Mollie webhooks are unsigned and carry only the payment's id: a form-encoded
 * "id=tr_..." (a JSON {"id": "tr_..."} is accepted too). Verification is asking Mollie:
 * GET {apiBaseUrl}/v2/payments/{id} with the install's API key as a Bearer token. A 404
 * means the id is not this account's (a key of the other mode gets 404 too); what Mollie
 * answers is the only thing parse reads.
 *
 * Mollie calls the same webhook, with the payment's id (never a re_ id), when a refund is
 * made or a chargeback arrives, and a refunded payment stays "paid". So when the payment
 * has amountRefunded above zero and the answer embeds no refunds, verify also fetches
 * GET /v2/payments/{id}/refunds and embeds the list as _embedded.refunds, the shape Mollie
 * itself uses with ?embed=refunds; parse reads either.
 *
 * Parse reports the payment's status and every refund on it; the store's unique key turns
 * repeats into duplicates, so a refund notification books just the new refund. The event
 * names are the platform's (seed 002), since Mollie's classic webhooks name none:
 *   status paid                     -> payment.paid     SETTLED, externalId tr_...
 *   status expired                  -> payment.expired  FAILED
 *   status failed, canceled         -> payment.failed   FAILED
 *   each refund not failed/canceled -> refund.created   REFUNDED, externalId re_...
 *   open, pending, authorized       -> IGNORED (Mollie calls again when it settles)
 * Refunds are booked from queued on: Mollie notifies when a refund is made, and need not
 * call again when it completes. Amounts are decimal strings in the currency's decimals. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "inbound/sig.h"

#define ID_MAX 64

/* A payment id as Mollie issues them: "tr_" and letters and digits. */
static bool payment_id_valid(const char *id)
{
    return sig_id_valid(id, "tr_", ID_MAX, NULL);
}

/* amountRefunded.value above zero: text other than zeros and a point. */
static bool has_refunds(const json_t *payment)
{
    const char *v = sig_json_str(payment, "amountRefunded.value");
    for (; v && *v; v++)
        if (*v >= '1' && *v <= '9')
            return true;
    return false;
}

static enum verify_result mollie_verify(const struct webhook_request *req,
                                        const struct provider_install *inst, json_t **state,
                                        struct error *err)
{
    char id[ID_MAX + 1], path[32 + ID_MAX];
    json_t *refunds = NULL;
    if (sig_body_param(req, "id", id, sizeof id) < 0) {
        error_set(err, ERR_VALIDATION, "the notification carries no payment id");
        return VERIFY_INVALID;
    }
    if (!payment_id_valid(id)) {
        error_set(err, ERR_VALIDATION, "'%.*s' is not a Mollie payment id (tr_...)",
                  UTF8_CUT(64, id));
        return VERIFY_INVALID;
    }
    enum verify_result r =
        sig_fetch_with_secret(inst, "apiKey", NULL, "/v2/payments/", id, state, err);
    if (r != VERIFY_OK)
        return r;
    const char *fetched = sig_json_str(*state, "id");
    if (!fetched || strcmp(fetched, id) != 0) {
        error_set(err, ERR_VALIDATION, "Mollie answered with another payment than %s", id);
        return VERIFY_INVALID;
    }
    if (!has_refunds(*state) || json_is_array(sig_json_get(*state, "_embedded.refunds")))
        return VERIFY_OK;

    /* The id passed payment_id_valid(): letters, digits and '_' only, safe in a path. */
    snprintf(path, sizeof path, "/v2/payments/%s/refunds", id);
    r = sig_fetch_with_secret(inst, "apiKey", NULL, path, NULL, &refunds, err);
    if (r == VERIFY_INVALID) {
        /* The payment exists (just fetched), so this is Mollie failing, not a forgery. */
        if (err)
            err->code = ERR_UNAVAILABLE;
        r = VERIFY_ERROR;
    }
    if (r != VERIFY_OK)
        return r;
    json_t *list = sig_json_get(refunds, "_embedded.refunds");
    json_t *embedded = json_object_get(*state, "_embedded");
    if (!json_is_array(list)) {
        json_decref(refunds);
        error_set(err, ERR_UNAVAILABLE, "Mollie's refund list has no _embedded.refunds");
        return VERIFY_ERROR;
    }
    if (!json_is_object(embedded)) {
        embedded = json_object();
        json_object_set_new(*state, "_embedded", embedded);
    }
    int rc = json_is_object(embedded) ? json_object_set(embedded, "refunds", list) : -1;
    json_decref(refunds);
    if (rc < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return VERIFY_ERROR;
    }
    return VERIFY_OK;
}

/* The parties the payment names: the receiving profile, and the payer where known. */
static void parties(const json_t *payment, struct payment *p)
{
    sig_json_copy(payment, "profileId", p->merchant_id, sizeof p->merchant_id);
    sig_json_copy(payment, "customerId", p->customer_id, sizeof p->customer_id);
    sig_json_copy(payment, "billingAddress.email", p->customer_email, sizeof p->customer_email);
    sig_json_copy(payment, "details.consumerName", p->customer_name, sizeof p->customer_name);
    if (!p->customer_name[0]) {
        const char *given = sig_json_str(payment, "billingAddress.givenName");
        const char *family = sig_json_str(payment, "billingAddress.familyName");
        if (given || family)
            snprintf(p->customer_name, sizeof p->customer_name, "%s%s%s", given ? given : "",
                     given && family ? " " : "", family ? family : "");
    }
}

/* The date of the first of `fields` the object carries, as YYYY-MM-DD. */
static int date_of(const json_t *obj, const char *const *fields, char out[11],
                   struct error *err)
{
    for (; *fields; fields++)
        if (sig_date_from_rfc3339(sig_json_str(obj, *fields), out) == 0)
            return 0;
    return error_set(err, ERR_VALIDATION, "Mollie object %.*s has no date",
                     UTF8_CUT(64, sig_json_str(obj, "id") ? sig_json_str(obj, "id") : "?"));
}

static int amount_of(const json_t *obj, struct payment *p, struct error *err)
{
    return sig_amount(sig_json_get(obj, "amount.value"), SIG_AMOUNT_DECIMAL_STRING,
                      sig_json_str(obj, "amount.currency"), &p->amount, err);
}

static int add_refunds(const json_t *payment, const struct payment *paid,
                       struct payment_list *out, struct error *err)
{
    static const char *const when[] = {"createdAt", NULL};
    const json_t *refunds = sig_json_get(payment, "_embedded.refunds");
    size_t i;
    const json_t *refund;
    json_array_foreach(refunds, i, refund) {
        const char *status = sig_json_str(refund, "status");
        const char *id = sig_json_str(refund, "id");
        if (status && (!strcmp(status, "failed") || !strcmp(status, "canceled")))
            continue; /* no money went back */
        if (!sig_id_valid(id, "re_", ID_MAX, NULL))
            return error_set(err, ERR_VALIDATION, "a refund of %s has no valid id",
                             paid->external_id);
        struct payment *p = payment_list_add(out);
        if (!p)
            return error_set(err, ERR_INTERNAL, "out of memory");
        *p = *paid; /* the same parties */
        p->kind = PAYMENT_REFUNDED;
        sig_copy(p->event, sizeof p->event, "refund.created");
        sig_copy(p->external_id, sizeof p->external_id, id);
        sig_copy(p->refunded_external_id, sizeof p->refunded_external_id, paid->external_id);
        p->invoice_number[0] = '\0';
        if (date_of(refund, when, p->date, err) < 0 || amount_of(refund, p, err) < 0)
            return -1;
    }
    return 0;
}

static int mollie_parse(const struct webhook_request *req, const json_t *state,
                        struct payment_list *out, struct error *err)
{
    (void)req; /* the posted body is only the id; the fetched payment is the truth */
    static const char *const paid_at[] = {"paidAt", "createdAt", NULL};
    static const char *const ended_at[] = {"expiredAt", "failedAt", "canceledAt", "createdAt",
                                           NULL};
    const char *status = sig_json_str(state, "status");
    const char *id = sig_json_str(state, "id");
    struct payment *p;
    if (!status || !payment_id_valid(id))
        return error_set(err, ERR_VALIDATION, "the fetched Mollie payment lacks id or status");
    if (!(p = payment_list_add(out)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    sig_copy(p->external_id, sizeof p->external_id, id);
    parties(state, p);

    if (!strcmp(status, "paid")) {
        p->kind = PAYMENT_SETTLED;
        sig_copy(p->event, sizeof p->event, "payment.paid");
        if (date_of(state, paid_at, p->date, err) < 0 || amount_of(state, p, err) < 0)
            return -1;
        struct payment paid = *p; /* add_refunds may move the list */
        return add_refunds(state, &paid, out, err);
    }
    if (!strcmp(status, "expired") || !strcmp(status, "failed") || !strcmp(status, "canceled")) {
        p->kind = PAYMENT_FAILED;
        sig_copy(p->event, sizeof p->event,
                 !strcmp(status, "expired") ? "payment.expired" : "payment.failed");
        if (date_of(state, ended_at, p->date, err) < 0 || amount_of(state, p, err) < 0)
            return -1;
        return 0;
    }
    p->kind = PAYMENT_IGNORED;
    snprintf(p->event, sizeof p->event, "payment.%.*s", UTF8_CUT(32, status));
    snprintf(p->detail, sizeof p->detail,
             "Mollie payment %s is %.*s, not final; no action taken", id, UTF8_CUT(32, status));
    return 0;
}

/* A classic notification for a fresh payment of 99.00 EUR ("id=tr_..."), and in *state the
 * paid payment GET /v2/payments/{id} would answer, so verification (that fetch) is
 * skipped. */
static int mollie_sample(const struct provider_install *inst, int64_t now_ms,
                         struct provider_sample *out, json_t **state, struct error *err)
{
    (void)inst;
    char tag[11], id[16], when[CLOCK_RFC3339_LEN];
    if (sig_random_hex(tag, 5, false, err) < 0)
        return -1;
    snprintf(id, sizeof id, "tr_%s", tag);
    clock_format_rfc3339(now_ms, when);
    if (buf_printf(&out->body, "id=%s", id) < 0 ||
        provider_sample_header(out, "Content-Type", "application/x-www-form-urlencoded") < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *state = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:s, s:s, s:s,"
                       " s:s, s:{s:s}}",
                       "resource", "payment", "id", id, "mode", "test", "status", "paid",
                       "amount", "value", "99.00", "currency", "EUR", "amountRefunded", "value",
                       "0.00", "currency", "EUR", "description", "Test payment", "method",
                       "creditcard", "createdAt", when, "paidAt", when, "profileId",
                       "pfl_test", "details", "consumerName", "Test Customer");
    return *state ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

const struct provider provider_mollie = {
    .slug = "mollie",
    .caps = PROVIDER_CAP_FETCHBACK,
    .default_api_base = "https://api.mollie.com",
    .verify = mollie_verify,
    .parse = mollie_parse,
    .sample = mollie_sample,
};
