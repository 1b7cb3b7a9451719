/* inbound/providers/revolut.c - Revolut webhooks (Business API and Merchant API).
 *
 * Verification (Revolut's documented scheme; no official SDK helper exists): the headers
 * are Revolut-Request-Timestamp (Unix milliseconds) and Revolut-Signature ("v1=<hex>",
 * several comma-separated while more than one signing secret is active). The signed bytes
 * are "v1.<timestamp header as received>.<raw body>", HMAC-SHA256 keyed with the whole
 * wsk_ signing secret; any v1 may match; lowercase hex, no trimming (the docs compare
 * strings). A timestamp more than 5 minutes away from now, in either direction, is a
 * replay: the docs ask for "within 5 minutes of the current UTC time".
 *
 * Events, named as the platform logs them: a transaction or order reaching completed is
 * "payment_completed" (settled), one that failed or was declined is "payment_failed";
 * everything else is ignored with a detail.
 * - Business TransactionCreated carries the transaction: legs[0].amount is a JSON number
 *   in major units, negative for a debit; the absolute value is booked.
 * - Business TransactionStateChanged carries only {id, old_state, new_state}, and Merchant
 *   ORDER_* events only the order id. Their amounts need the API: when the optional apiKey
 *   secret is set, verify fetches GET /api/1.0/transaction/{id} (Business, Bearer access
 *   token) or GET /api/orders/{id} (Merchant, Bearer secret key, Revolut-Api-Version) and
 *   keeps the object in *state. Without apiKey such an event is ignored with a detail that
 *   says so, as the catalog promises ("without it only the webhook's payload is imported").
 *   The two APIs live on different hosts (b2b.revolut.com, merchant.revolut.com), so there
 *   is no single default base: an apiBaseUrl setting replaces the host for both.
 * - A Merchant order is read as API version 2024-05-01 returns it: amount (integer minor
 *   units) and currency, falling back to the older order_amount {value, currency}; orders
 *   of type refund are not linked to their payment in what is known of the API, so they
 *   are ignored with a detail. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "inbound/sig.h"

#define TOLERANCE_MS (5 * 60 * 1000)
#define BUSINESS_BASE "https://b2b.revolut.com"
#define MERCHANT_BASE "https://merchant.revolut.com"
#define MERCHANT_API_VERSION "2024-05-01"

enum family { FAMILY_NONE, FAMILY_BUSINESS, FAMILY_MERCHANT };

static bool is_state(const char *state, const char *a, const char *b)
{
    return state && ((a && !strcmp(state, a)) || (b && !strcmp(state, b)));
}

static bool state_completed(const char *s) { return is_state(s, "completed", NULL); }
static bool state_failed(const char *s) { return is_state(s, "failed", "declined"); }

static bool order_completed(const char *ev) { return ev && !strcmp(ev, "ORDER_COMPLETED"); }
static bool order_failed(const char *ev)
{
    return ev && (!strcmp(ev, "ORDER_PAYMENT_DECLINED") || !strcmp(ev, "ORDER_PAYMENT_FAILED") ||
                  !strcmp(ev, "ORDER_FAILED"));
}

/* Which API must be asked for this event's amount, and the id to ask for. */
static enum family needs_fetch(const json_t *event, const char **id)
{
    const char *name = sig_json_str(event, "event");
    if (name && !strcmp(name, "TransactionStateChanged")) {
        const char *to = sig_json_str(event, "data.new_state");
        *id = sig_json_str(event, "data.id");
        return (state_completed(to) || state_failed(to)) && *id ? FAMILY_BUSINESS : FAMILY_NONE;
    }
    if (order_completed(name) || order_failed(name)) {
        *id = sig_json_str(event, "order_id");
        return *id ? FAMILY_MERCHANT : FAMILY_NONE;
    }
    return FAMILY_NONE;
}

/* After the signature passed, asks the API for the event's object when the event lacks
 * an amount and apiKey is set. The event is genuine by then, so an API that refuses
 * (expired token, another account's object) is our configuration: VERIFY_ERROR, and
 * Revolut retries. */
static enum verify_result fetch_object(const struct webhook_request *req,
                                       const struct provider_install *inst, json_t **state,
                                       struct error *err)
{
    const char *id = NULL;
    json_t *event = json_loadb(req->body, req->body_len, 0, NULL);
    enum family family = needs_fetch(event, &id);
    enum verify_result r = VERIFY_OK;
    struct buf key;
    buf_init(&key, 4096);
    if (family == FAMILY_NONE)
        goto out;
    if (inst->secret(inst, "apiKey", &key, err) < 0) {
        if (err->code != ERR_NOT_FOUND)
            r = VERIFY_ERROR;
        else
            error_clear(err); /* no apiKey: parse ignores the event with a detail */
        goto out;
    }
    if (key.len == 0)
        goto out; /* an empty apiKey is no apiKey */
    char auth[1100];
    if (snprintf(auth, sizeof auth, "Authorization: Bearer %s", key.data) >= (int)sizeof auth) {
        error_set(err, ERR_CONFIG, "the Revolut apiKey is too long");
        r = VERIFY_ERROR;
        goto out;
    }
    const char *headers[] = {auth, "Revolut-Api-Version: " MERCHANT_API_VERSION};
    if (family == FAMILY_BUSINESS)
        r = sig_fetch_json_headers(inst->api_base_url ? inst->api_base_url : BUSINESS_BASE,
                                   "/api/1.0/transaction/", id, headers, 1, NULL, NULL, state,
                                   err);
    else
        r = sig_fetch_json_headers(inst->api_base_url ? inst->api_base_url : MERCHANT_BASE,
                                   "/api/orders/", id, headers, 2, NULL, NULL, state, err);
    memset(auth, 0, sizeof auth);
    if (r == VERIFY_INVALID) {
        error_set(err, ERR_CONFIG, "Revolut's API refused %s %.*s with the configured apiKey",
                  family == FAMILY_BUSINESS ? "transaction" : "order", UTF8_CUT(64, id));
        r = VERIFY_ERROR;
    }
out:
    if (key.data)
        memset(key.data, 0, key.len);
    buf_free(&key);
    json_decref(event);
    return r;
}

static enum verify_result revolut_verify(const struct webhook_request *req,
                                         const struct provider_install *inst, json_t **state,
                                         struct error *err)
{
    const char *sig = req->header(req, "Revolut-Signature");
    const char *ts = req->header(req, "Revolut-Request-Timestamp");
    if (!sig || !*sig || !ts || !*ts) {
        error_set(err, ERR_VALIDATION,
                  "missing Revolut-Signature or Revolut-Request-Timestamp header");
        return VERIFY_INVALID;
    }
    int64_t ts_ms = sig_parse_uint(ts, strlen(ts));
    if (ts_ms < 0) {
        error_set(err, ERR_VALIDATION, "Revolut-Request-Timestamp is not Unix milliseconds");
        return VERIFY_INVALID;
    }
    struct buf secret;
    buf_init(&secret, 4096);
    if (inst->secret(inst, "webhookSecret", &secret, err) < 0) {
        buf_free(&secret);
        return VERIFY_ERROR;
    }
    struct sig_part parts[] = {{"v1.", 3}, SIG_STR(ts), {".", 1}, {req->body, req->body_len}};
    bool ok = sig_params_any_hmac(sig, ',', "v1", secret.data, secret.len, parts, 4,
                                  SIG_HEX_LOWER);
    memset(secret.data, 0, secret.len);
    buf_free(&secret);
    if (!ok) {
        error_set(err, ERR_VALIDATION, "no v1 signature matches");
        return VERIFY_INVALID;
    }
    if (req->now_ms - ts_ms > TOLERANCE_MS || ts_ms - req->now_ms > TOLERANCE_MS) {
        error_set(err, ERR_VALIDATION, "timestamp outside the tolerance (replay?)");
        return VERIFY_INVALID;
    }
    return fetch_object(req, inst, state, err);
}

static void date_of(const json_t *obj, const json_t *event, struct payment *p)
{
    static const char *const paths[] = {"completed_at", "updated_at", "created_at"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (sig_date_from_rfc3339(sig_json_str(obj, paths[i]), p->date) == 0)
            return;
    sig_date_from_rfc3339(sig_json_str(event, "timestamp"), p->date);
}

/* A Business transaction (TransactionCreated.data or a fetched one) as a payment. */
static int book_transaction(const json_t *tx, const json_t *event, struct payment *p,
                            struct error *err)
{
    const json_t *leg = json_array_get(sig_json_get(tx, "legs"), 0);
    sig_json_copy(tx, "id", p->external_id, sizeof p->external_id);
    sig_json_copy(tx, "reference", p->invoice_number, sizeof p->invoice_number);
    sig_json_copy(tx, "merchant.name", p->merchant_name, sizeof p->merchant_name);
    date_of(tx, event, p);
    if (!json_is_object(leg))
        return error_set(err, ERR_VALIDATION, "Revolut transaction %s has no legs",
                         p->external_id);
    if (sig_amount(sig_json_get(leg, "amount"), SIG_AMOUNT_MAJOR_NUMBER,
                   sig_json_str(leg, "currency"), &p->amount, err) < 0)
        return -1;
    /* debits are negative in Revolut Business; the booking carries the absolute value */
    if (p->amount.minor < 0)
        return money_negate(&p->amount, &p->amount, err);
    return 0;
}

/* A Merchant order (fetched) as a payment. */
static int book_order(const json_t *order, const json_t *event, struct payment *p,
                      struct error *err)
{
    sig_json_copy(order, "id", p->external_id, sizeof p->external_id);
    if (!p->external_id[0])
        sig_json_copy(event, "order_id", p->external_id, sizeof p->external_id);
    sig_json_copy(order, "merchant_order_data.reference", p->invoice_number,
                  sizeof p->invoice_number);
    if (!p->invoice_number[0])
        sig_json_copy(event, "merchant_order_ext_ref", p->invoice_number,
                      sizeof p->invoice_number);
    sig_json_copy(order, "customer.id", p->customer_id, sizeof p->customer_id);
    sig_json_copy(order, "customer.email", p->customer_email, sizeof p->customer_email);
    if (!p->customer_email[0])
        sig_json_copy(order, "email", p->customer_email, sizeof p->customer_email);
    sig_json_copy(order, "customer.full_name", p->customer_name, sizeof p->customer_name);
    date_of(order, event, p);
    if (sig_json_get(order, "amount"))
        return sig_amount(sig_json_get(order, "amount"), SIG_AMOUNT_MINOR,
                          sig_json_str(order, "currency"), &p->amount, err);
    return sig_amount(sig_json_get(order, "order_amount.value"), SIG_AMOUNT_MINOR,
                      sig_json_str(order, "order_amount.currency"), &p->amount, err);
}

static const char *or_empty(const char *s) { return s ? s : ""; }

static void ignore(struct payment *p, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ignore(struct payment *p, const char *event, const char *fmt, ...)
{
    va_list ap;
    p->kind = PAYMENT_IGNORED;
    sig_copy(p->event, sizeof p->event, event);
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
}

static void mark(struct payment *p, bool completed)
{
    p->kind = completed ? PAYMENT_SETTLED : PAYMENT_FAILED;
    sig_copy(p->event, sizeof p->event, completed ? "payment_completed" : "payment_failed");
}

static int revolut_parse(const struct webhook_request *req, const json_t *state,
                         struct payment_list *out, struct error *err)
{
    int rc = -1;
    json_t *event = json_loadb(req->body, req->body_len, 0, NULL);
    const char *name = sig_json_str(event, "event");
    const json_t *data = sig_json_get(event, "data");
    struct payment *p;
    if (!name) {
        error_set(err, ERR_VALIDATION, "not a Revolut event: event missing");
        goto out;
    }
    if (!(p = payment_list_add(out))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
    const char *tx_id = or_empty(sig_json_str(data, "id"));
    const char *order_id = or_empty(sig_json_str(event, "order_id"));
    if (!strcmp(name, "TransactionCreated")) {
        const char *st = sig_json_str(data, "state");
        if (!json_is_object(data)) {
            rc = error_set(err, ERR_VALIDATION, "TransactionCreated without data");
        } else if (state_completed(st) || state_failed(st)) {
            mark(p, state_completed(st));
            rc = book_transaction(data, event, p, err);
        } else {
            ignore(p, name, "Revolut transaction %.*s is %.*s; booked once it completes",
                   UTF8_CUT(64, tx_id), UTF8_CUT(32, st ? st : "without a state"));
        }
    } else if (!strcmp(name, "TransactionStateChanged")) {
        const char *to = sig_json_str(data, "new_state");
        if (!state_completed(to) && !state_failed(to)) {
            ignore(p, name, "Revolut transaction %.*s changed to %.*s; no action taken",
                   UTF8_CUT(64, tx_id), UTF8_CUT(32, to ? to : "an unknown state"));
        } else if (!json_is_object(state)) {
            ignore(p, name,
                   "Revolut transaction %.*s %.*s, but the event carries no amount; set "
                   "apiKey to fetch it",
                   UTF8_CUT(64, tx_id), UTF8_CUT(32, to));
        } else {
            mark(p, state_completed(to));
            rc = book_transaction(state, event, p, err);
        }
    } else if (order_completed(name) || order_failed(name)) {
        const char *type = sig_json_str(state, "type");
        if (!json_is_object(state)) {
            ignore(p, name,
                   "Revolut order %.*s: the event carries no amount; set apiKey to fetch it",
                   UTF8_CUT(64, order_id));
        } else if (type && !strcmp(type, "refund")) {
            ignore(p, name,
                   "Revolut order %.*s is a refund order, which names no payment; no action "
                   "taken",
                   UTF8_CUT(64, order_id));
        } else {
            mark(p, order_completed(name));
            rc = book_order(state, event, p, err);
        }
    } else {
        ignore(p, name, "Revolut event %.*s is not booked; no action taken", UTF8_CUT(64, name));
    }
out:
    json_decref(event);
    return rc;
}

/* A completed card payment of 99.00 EUR with fresh ids, as TransactionCreated, which
 * carries its amount (so verify fetches nothing), signed with the install's webhookSecret
 * as Revolut signs. */
static int revolut_sample(const struct provider_install *inst, int64_t now_ms,
                          struct provider_sample *out, json_t **state, struct error *err)
{
    (void)state;
    char tag[33], id[37], when[CLOCK_RFC3339_LEN], ts[24], sig[SIG_HMAC_TEXT_MAX], header[80];
    if (sig_random_hex(tag, 16, false, err) < 0)
        return -1;
    snprintf(id, sizeof id, "%.8s-%.4s-%.4s-%.4s-%.12s", tag, tag + 8, tag + 12, tag + 16,
             tag + 20);
    clock_format_rfc3339(now_ms, when);
    if (buf_printf(&out->body,
                   "{\"event\":\"TransactionCreated\",\"timestamp\":\"%s\",\"data\":{"
                   "\"id\":\"%s\",\"type\":\"card_payment\",\"state\":\"completed\","
                   "\"request_id\":\"test-%.12s\",\"created_at\":\"%s\",\"updated_at\":\"%s\","
                   "\"completed_at\":\"%s\",\"reference\":\"TEST-%.12s\",\"merchant\":{"
                   "\"name\":\"Test Merchant\",\"city\":\"Vienna\",\"category_code\":\"5734\","
                   "\"country\":\"AUT\"},\"legs\":[{\"leg_id\":\"%s\",\"account_id\":"
                   "\"00000000-0000-4000-8000-000000000000\",\"amount\":-99.00,"
                   "\"currency\":\"EUR\",\"description\":\"Test Merchant\"}]}}",
                   when, id, tag, when, when, when, tag, id) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(ts, sizeof ts, "%lld", (long long)now_ms);
    struct sig_part parts[] = {{"v1.", 3}, SIG_STR(ts), {".", 1}, {out->body.data, out->body.len}};
    if (sig_hmac_with_secret(inst, "webhookSecret", SIG_KEY_TEXT, parts, 4, SIG_HEX_LOWER, sig,
                             err) < 0)
        return -1;
    snprintf(header, sizeof header, "v1=%s", sig);
    if (provider_sample_header(out, "Revolut-Signature", header) < 0 ||
        provider_sample_header(out, "Revolut-Request-Timestamp", ts) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

const struct provider provider_revolut = {
    .slug = "revolut",
    .caps = PROVIDER_CAP_FETCHBACK,
    .default_api_base = NULL, /* two APIs on two hosts; see the top of this file */
    .verify = revolut_verify,
    .parse = revolut_parse,
    .sample = revolut_sample,
};
