/* payouts/stripe.c - what Stripe's API tells beside its webhooks, read with the install's
 * restricted key (setting apiKey, rk_..., read access to balance, payouts and events):
 *
 *   GET /v1/balance_transactions?created[gte]=&limit=100&starting_after=
 *       each transaction with a fee (a charge, a payment): the fee, booked once per
 *       balance transaction (txn_...), reference its source (ch_..., py_...)
 *   GET /v1/payouts?created[gte]=&limit=100&starting_after=
 *       each payout with status "paid": moves amount from the Stripe clearing account to
 *       the bank on its arrival_date; reference its statement_descriptor, else its id
 *   GET /v1/events?created[gte]=&delivery_success=false&limit=100&starting_after=
 *       the events whose webhooks failed (Stripe stops retrying after three days): each fed
 *       through the webhook pipeline, where the unique key of the payment makes one that
 *       was booked after all a duplicate; an event fed once is not fed again
 *
 * Lists are newest first with has_more; paged by the last id (starting_after). Amounts are
 * integers of minor units; currencies lower case. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#include "core/utf8.h"
#include "inbound/sig.h"
#include "payouts/payouts_int.h"

/* Walks one list endpoint page by page; fn gets each object of data[]. */
static int each_page(struct pull_ctx *c, const char *path, const char *extra,
                     int (*fn)(struct pull_ctx *c, const json_t *o, struct error *err),
                     struct error *err)
{
    char after[128] = "";
    for (int page = 0; page < PAYOUTS_PAGE_MAX; page++) {
        char query[512];
        json_t *body = NULL;
        snprintf(query, sizeof query, "%s?created%%5Bgte%%5D=%lld&limit=100%s%s%s", path,
                 (long long)(c->from_ms / 1000), extra, after[0] ? "&starting_after=" : "",
                 after);
        if (pull_get(c, query, &body, err) < 0)
            return -1;
        const json_t *data = json_object_get(body, "data");
        if (!json_is_array(data)) {
            json_decref(body);
            return error_set(err, ERR_SERVICE_FAILED, "Stripe's %s answer has no data list",
                             path);
        }
        size_t i;
        const json_t *o;
        json_array_foreach(data, i, o) {
            if (fn(c, o, err) < 0) {
                json_decref(body);
                return -1;
            }
            const char *id = sig_json_str(o, "id");
            if (id && strlen(id) < sizeof after && sig_id_valid(id, "", sizeof after - 1, "_"))
                snprintf(after, sizeof after, "%s", id);
        }
        bool more = json_is_true(json_object_get(body, "has_more")) && json_array_size(data);
        json_decref(body);
        if (!more)
            return 0;
    }
    return error_set(err, ERR_SERVICE_FAILED, "Stripe's %s has more than %d pages", path,
                     PAYOUTS_PAGE_MAX);
}

static void upper3(const char *in, char out[4])
{
    for (int i = 0; i < 3; i++)
        out[i] = in && in[i] ? (char)toupper((unsigned char)in[i]) : '\0';
    out[3] = '\0';
}

static int money_at(const json_t *o, const char *key, struct money *out, struct error *err)
{
    char cur[4];
    upper3(sig_json_str(o, "currency"), cur);
    return sig_amount(json_object_get(o, key), SIG_AMOUNT_MINOR, cur, out, err);
}

static int date_at(const json_t *o, const char *key, char out[11])
{
    int64_t t = 0;
    return sig_json_int(o, key, &t) ? sig_date_from_unix(t, out) : -1;
}

static int on_balance(struct pull_ctx *c, const json_t *o, struct error *err)
{
    int64_t fee = 0;
    char date[11];
    struct money m;
    if (!sig_json_int(o, "fee", &fee) || fee <= 0) {
        c->res->skipped++;
        return 0;
    }
    if (money_at(o, "fee", &m, err) < 0 || date_at(o, "created", date) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "a Stripe balance transaction has no valid "
                                                  "fee, currency or date");
    const char *source = sig_json_str(o, "source");
    return pull_fee(c, sig_json_str(o, "id"), &m, date, source ? source : "", err);
}

static int on_payout(struct pull_ctx *c, const json_t *o, struct error *err)
{
    const char *status = sig_json_str(o, "status");
    char date[11];
    struct money m;
    if (!status || strcmp(status, "paid") != 0) {
        c->res->skipped++; /* in transit: a later pull sees it paid */
        return 0;
    }
    if (money_at(o, "amount", &m, err) < 0 || date_at(o, "arrival_date", date) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "a Stripe payout has no valid amount, "
                                                  "currency or arrival date");
    const char *descriptor = sig_json_str(o, "statement_descriptor");
    return pull_payout(c, sig_json_str(o, "id"), &m, date, descriptor ? descriptor : "", err);
}

static int on_event(struct pull_ctx *c, const json_t *o, struct error *err)
{
    const char *id = sig_json_str(o, "id");
    char date[11];
    bool seen = false;
    if (!id || !sig_id_valid(id, "evt_", 128, "_") || date_at(o, "created", date) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "a Stripe event has no valid id or date");
    if (pull_event_seen(c, id, &seen, err) < 0)
        return -1;
    if (seen)
        return 0;
    size_t len = 0;
    char *body = json_dump_compact(o, &len);
    if (!body)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = pull_payments(c, body, len, NULL, NULL, err);
    free(body);
    if (rc < 0)
        return -1;
    return pull_event_done(c, id, date, err);
}

static int stripe_pull(struct pull_ctx *c, struct error *err)
{
    if (snprintf(c->bearer, sizeof c->bearer, "Bearer %s", c->key.data) >= (int)sizeof c->bearer)
        return error_set(err, ERR_CONFIG, "the Stripe API key is too long");
    return each_page(c, "/v1/balance_transactions", "", on_balance, err) < 0 ||
                   each_page(c, "/v1/payouts", "", on_payout, err) < 0 ||
                   each_page(c, "/v1/events", "&delivery_success=false", on_event, err) < 0
               ? -1
               : 0;
}

const struct payouts_source payouts_stripe = {
    .slug = "stripe",
    .default_base = "https://api.stripe.com",
    .key_secret = "apiKey",
    .pull = stripe_pull,
};
