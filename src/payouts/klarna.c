/* payouts/klarna.c - Klarna's Settlements API, read with the install's API credentials
 * (HTTP Basic: the API username apiKey, the password apiSecret):
 *
 *   GET /settlements/v1/payouts?start_date=&end_date=&size=100&offset=
 *       -> {payouts: [{totals: {settlement_amount, fee_amount, ...}, payment_reference,
 *          payout_date, currency_code}], pagination: {count, total, offset, next}}
 *       each payout moves its settlement_amount from the Klarna clearing account to the bank,
 *       under its payment_reference (which the bank statement shows), and books the fees it
 *       kept (fee_amount) once
 *   GET /settlements/v1/transactions?payment_reference=&size=100&offset=
 *       -> {transactions: [{type, order_id, refund_id, amount, ...}], pagination}
 *       a RETURN is the refund of an order acknowledged long ago, for which Klarna sends no
 *       push: the order is fetched (GET /ordermanagement/v1/orders/{id}) and fed through the
 *       webhook pipeline, which books its refunds as credit notes once (their refund_id is
 *       the unique key); a refund fed once is not fed again
 * Amounts are integers of minor units. */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "inbound/sig.h"
#include "payouts/payouts_int.h"

#define ORDER_ID_MAX 64

/* Walks a paged collection: fn gets each element of `key`. */
static int each_page(struct pull_ctx *c, const char *path_and_query, const char *key,
                     int (*fn)(struct pull_ctx *c, const json_t *o, struct error *err),
                     struct error *err)
{
    int64_t offset = 0;
    for (int page = 0; page < PAYOUTS_PAGE_MAX; page++) {
        char query[512];
        json_t *body = NULL;
        snprintf(query, sizeof query, "%s&size=100&offset=%lld", path_and_query,
                 (long long)offset);
        if (pull_get(c, query, &body, err) < 0)
            return -1;
        const json_t *list = json_object_get(body, key), *o;
        size_t i;
        if (!json_is_array(list)) {
            json_decref(body);
            return error_set(err, ERR_SERVICE_FAILED, "Klarna's answer has no %s list", key);
        }
        json_array_foreach(list, i, o) {
            if (fn(c, o, err) < 0) {
                json_decref(body);
                return -1;
            }
        }
        int64_t total = 0, n = (int64_t)json_array_size(list);
        sig_json_int(body, "pagination.total", &total);
        offset += n;
        json_decref(body);
        if (n == 0 || offset >= total)
            return 0;
    }
    return error_set(err, ERR_SERVICE_FAILED, "Klarna's %s has more than %d pages", key,
                     PAYOUTS_PAGE_MAX);
}

static int on_return(struct pull_ctx *c, const json_t *t, struct error *err)
{
    const char *type = sig_json_str(t, "type");
    const char *order = sig_json_str(t, "order_id");
    const char *refund = sig_json_str(t, "refund_id");
    char key[160], path[160], date[11];
    bool seen = false;
    if (!type || strcmp(type, "RETURN") != 0) {
        c->res->skipped++;
        return 0;
    }
    if (!sig_id_valid(order, "", ORDER_ID_MAX, "-_") || !sig_id_valid(refund, "", 100, "-_"))
        return error_set(err, ERR_SERVICE_FAILED, "a Klarna return names no valid order or refund");
    snprintf(key, sizeof key, "return:%s", refund);
    if (pull_event_seen(c, key, &seen, err) < 0)
        return -1;
    if (seen)
        return 0;
    json_t *o = NULL;
    snprintf(path, sizeof path, "/ordermanagement/v1/orders/%s", order);
    if (pull_get(c, path, &o, err) < 0)
        return -1;
    int rc = pull_payments(c, "", 0, o, NULL, err);
    json_decref(o);
    if (rc < 0)
        return -1;
    if (sig_date_from_rfc3339(sig_json_str(t, "sale_date"), date) < 0 &&
        sig_date_from_rfc3339(sig_json_str(t, "capture_date"), date) < 0)
        snprintf(date, sizeof date, "%.10s", c->run->created_at);
    return pull_event_done(c, key, date, err);
}

static int on_payout(struct pull_ctx *c, const json_t *p, struct error *err)
{
    const char *ref = sig_json_str(p, "payment_reference");
    const char *currency = sig_json_str(p, "currency_code");
    char date[11], query[256];
    struct money amount, fee;
    if (!sig_id_valid(ref, "", 100, "-_"))
        return error_set(err, ERR_SERVICE_FAILED, "a Klarna payout has no valid payment_reference");
    if (sig_date_from_rfc3339(sig_json_str(p, "payout_date"), date) < 0 ||
        sig_amount(sig_json_get(p, "totals.settlement_amount"), SIG_AMOUNT_MINOR, currency,
                   &amount, err) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "Klarna payout %s has no valid amount or date",
                         ref);
    const json_t *fee_v = sig_json_get(p, "totals.fee_amount");
    if (fee_v) {
        if (sig_amount(fee_v, SIG_AMOUNT_MINOR, currency, &fee, err) < 0)
            return error_set(err, ERR_SERVICE_FAILED, "Klarna payout %s: %s", ref, err->message);
        if (pull_fee(c, ref, &fee, date, ref, err) < 0)
            return -1;
    }
    if (pull_payout(c, ref, &amount, date, ref, err) < 0)
        return -1;
    snprintf(query, sizeof query, "/settlements/v1/transactions?payment_reference=%s", ref);
    return each_page(c, query, "transactions", on_return, err);
}

static int klarna_pull(struct pull_ctx *c, struct error *err)
{
    char from[32], to[32], query[256];
    pull_time_text(c->from_ms, from);
    pull_time_text(c->to_ms, to);
    snprintf(query, sizeof query, "/settlements/v1/payouts?start_date=%s&end_date=%s", from, to);
    return each_page(c, query, "payouts", on_payout, err);
}

const struct payouts_source payouts_klarna = {
    .slug = "klarna",
    .default_base = "https://api.klarna.com",
    .key_secret = "apiSecret",
    .user_setting = "apiKey",
    .pull = klarna_pull,
};
