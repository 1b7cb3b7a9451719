/* payouts/paypal.c - PayPal's transaction search, read with the REST app's credentials
 * (settings clientId and clientSecret; the app needs the Transaction Search permission):
 *
 *   POST /v1/oauth2/token  grant_type=client_credentials, HTTP Basic clientId:clientSecret
 *        -> {access_token, expires_in}
 *   GET  /v1/reporting/transactions?start_date=&end_date=&fields=transaction_info
 *        &page_size=100&page=N  -> {transaction_details: [{transaction_info}], page,
 *        total_pages}; one request covers at most 31 days, so the window is walked in chunks
 *
 * Each successful transaction (transaction_status S) with a fee_amount books its fee once
 * under its transaction_id; a withdrawal to the bank (event codes T0400-T0403, a negative
 * transaction_amount) is a payout once. Amounts are decimal strings, exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "inbound/sig.h"
#include "payouts/payouts_int.h"

#define CHUNK_MS (31LL * 86400000LL)

static bool is_withdrawal(const char *code)
{
    return code && (strcmp(code, "T0400") == 0 || strcmp(code, "T0401") == 0 ||
                    strcmp(code, "T0402") == 0 || strcmp(code, "T0403") == 0);
}

/* An amount object {currency_code, value} as a positive amount; *negative tells its sign. */
static int amount_of(const json_t *info, const char *key, struct money *out, bool *negative,
                     struct error *err)
{
    const json_t *a = json_object_get(info, key);
    const char *value = sig_json_str(a, "value");
    if (!value)
        return 1; /* absent */
    *negative = *value == '-';
    const char *digits = *negative || *value == '+' ? value + 1 : value;
    return money_parse_decimal(digits, strlen(digits), sig_json_str(a, "currency_code"), out, err);
}

static int on_transaction(struct pull_ctx *c, const json_t *info, struct error *err)
{
    const char *id = sig_json_str(info, "transaction_id");
    const char *status = sig_json_str(info, "transaction_status");
    char date[11];
    struct money m;
    bool negative = false;
    if (!id || !sig_id_valid(id, "", 64, "_-"))
        return error_set(err, ERR_SERVICE_FAILED, "a PayPal transaction has no valid id");
    if (!status || strcmp(status, "S") != 0) {
        c->res->skipped++;
        return 0;
    }
    if (sig_date_from_rfc3339(sig_json_str(info, "transaction_initiation_date"), date) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "PayPal transaction %s has no date", id);
    if (is_withdrawal(sig_json_str(info, "transaction_event_code"))) {
        int rc = amount_of(info, "transaction_amount", &m, &negative, err);
        if (rc < 0)
            return error_set(err, ERR_SERVICE_FAILED, "PayPal transaction %s: %s", id,
                             err->message);
        if (rc > 0 || !negative) {
            c->res->skipped++;
            return 0;
        }
        return pull_payout(c, id, &m, date, id, err);
    }
    int rc = amount_of(info, "fee_amount", &m, &negative, err);
    if (rc < 0)
        return error_set(err, ERR_SERVICE_FAILED, "PayPal transaction %s: %s", id, err->message);
    if (rc > 0 || m.minor == 0 || !negative) {
        c->res->skipped++; /* no fee, or a fee refunded */
        return 0;
    }
    const char *ref = sig_json_str(info, "paypal_reference_id");
    return pull_fee(c, id, &m, date, ref ? ref : id, err);
}

static int token(struct pull_ctx *c, struct error *err)
{
    json_t *t = NULL;
    if (pull_post_form(c, "/v1/oauth2/token", "grant_type=client_credentials", &t, err) < 0)
        return -1;
    const char *access = sig_json_str(t, "access_token");
    int rc = 0;
    if (!access || !*access ||
        snprintf(c->bearer, sizeof c->bearer, "Bearer %s", access) >= (int)sizeof c->bearer)
        rc = error_set(err, ERR_SERVICE_FAILED, "PayPal gave no usable access token");
    json_decref(t);
    return rc;
}

static int chunk(struct pull_ctx *c, int64_t from_ms, int64_t to_ms, struct error *err)
{
    char from[32], to[32];
    pull_time_text(from_ms, from);
    pull_time_text(to_ms, to);
    for (int page = 1; page <= PAYOUTS_PAGE_MAX; page++) {
        char query[256];
        json_t *body = NULL;
        snprintf(query, sizeof query,
                 "/v1/reporting/transactions?start_date=%.19sZ&end_date=%.19sZ"
                 "&fields=transaction_info&page_size=100&page=%d",
                 from, to, page);
        if (pull_get(c, query, &body, err) < 0)
            return -1;
        const json_t *list = json_object_get(body, "transaction_details"), *d;
        size_t i;
        int64_t total = 1;
        if (!json_is_array(list)) {
            json_decref(body);
            return error_set(err, ERR_SERVICE_FAILED, "PayPal's answer has no transaction_details");
        }
        json_array_foreach(list, i, d) {
            if (on_transaction(c, json_object_get(d, "transaction_info"), err) < 0) {
                json_decref(body);
                return -1;
            }
        }
        sig_json_int(body, "total_pages", &total);
        json_decref(body);
        if (page >= total)
            return 0;
    }
    return error_set(err, ERR_SERVICE_FAILED, "PayPal's search has more than %d pages",
                     PAYOUTS_PAGE_MAX);
}

static int paypal_pull(struct pull_ctx *c, struct error *err)
{
    if (token(c, err) < 0)
        return -1;
    for (int64_t from = c->from_ms; from < c->to_ms; from += CHUNK_MS) {
        int64_t to = from + CHUNK_MS < c->to_ms ? from + CHUNK_MS : c->to_ms;
        if (chunk(c, from, to, err) < 0)
            return -1;
    }
    return 0;
}

const struct payouts_source payouts_paypal = {
    .slug = "paypal",
    .default_base = "https://api-m.paypal.com",
    .key_secret = "clientSecret",
    .user_setting = "clientId",
    .pull = paypal_pull,
};
