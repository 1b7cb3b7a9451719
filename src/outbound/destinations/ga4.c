/* outbound/destinations/ga4.c - Google Analytics 4 Measurement Protocol: POST
 * {base}/mp/collect?measurement_id=<id>&api_secret=<secret> with {"client_id", "user_id",
 * "timestamp_micros", "events": [one event]}; the secret is in the query.
 *
 * Money that came in is GA4's recommended "purchase" event (value, currency,
 * transaction_id, items), which GA4 deduplicates by transaction_id - the provider's
 * payment id, so a resent event is not counted twice. Other events use the type with '_'
 * for '.' (event names are [A-Za-z0-9_]). Parameters are the data's scalar members, names
 * in snake_case, strings cut to 100 characters, at most 25. GA4 has no dedupe key for other
 * events, so this destination has no DEST_CAP_IDEMPOTENCY.
 *
 * A web stream wants a client_id, and a server has no browser cookie: it is derived from
 * the party's id (or the project's for events about no one) as two decimal numbers taken
 * from its SHA-256, so the same customer always gets the same one. user_id is the party's
 * id. GA4 answers 2xx even to malformed payloads; only 5xx and network errors are visible,
 * which the default rules retry. EU processing sets apiBaseUrl to
 * https://region1.google-analytics.com. */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "outbound/destination.h"

#define GA4_DEFAULT_BASE "https://www.google-analytics.com"
#define GA4_NAME_MAX 40
#define GA4_VALUE_MAX 100
#define GA4_PARAMS_MAX 25

static int ga4_query_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~';
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (buf_append(out, safe ? (const char *)p : enc, safe ? 1 : 3) < 0)
            return -1;
    }
    return 0;
}

/* A name GA4 accepts: [A-Za-z0-9_], starting with a letter, at most 40 characters; written
 * in GA4's snake_case ("invoiceNumber" -> "invoice_number", "payment.settled" ->
 * "payment_settled"). */
static void ga4_name(const char *in, char out[GA4_NAME_MAX + 1])
{
    size_t n = 0;
    if (!((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z')))
        out[n++] = 'e';
    for (const char *p = in; *p && n < GA4_NAME_MAX; p++) {
        bool upper = *p >= 'A' && *p <= 'Z';
        bool word = (*p >= 'a' && *p <= 'z') || upper || (*p >= '0' && *p <= '9');
        if (upper && n > 0 && out[n - 1] != '_')
            out[n++] = '_';
        if (n < GA4_NAME_MAX)
            out[n++] = upper ? (char)(*p - 'A' + 'a') : word ? *p : '_';
    }
    out[n] = '\0';
}

/* "<u32>.<u32>" from the SHA-256 of id: the shape of the client ids gtag.js sets. */
static void ga4_client_id(const char *id, char out[32])
{
    unsigned char d[CRYPTO_SHA256_LEN];
    crypto_sha256(id, strlen(id), d);
    unsigned long a = (unsigned long)d[0] << 24 | (unsigned long)d[1] << 16 |
                      (unsigned long)d[2] << 8 | d[3];
    unsigned long b = (unsigned long)d[4] << 24 | (unsigned long)d[5] << 16 |
                      (unsigned long)d[6] << 8 | d[7];
    snprintf(out, 32, "%lu.%lu", a, b);
}

/* The data's scalar members as parameters; the amount travels as value. */
static int ga4_data_params(const struct dest_event *ev, json_t *params)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)ev->data, key, value) {
        char name[GA4_NAME_MAX + 1];
        json_t *copy = NULL;
        if (json_object_size(params) >= GA4_PARAMS_MAX)
            break;
        if (strcmp(key, events_field_name(EVENT_F_amount)) == 0 ||
            strcmp(key, events_field_name(EVENT_F_amount_minor)) == 0 ||
            strcmp(key, events_field_name(EVENT_F_currency)) == 0)
            continue; /* sent as GA4's own value and currency */
        ga4_name(key, name);
        if (json_object_get(params, name))
            continue;
        if (json_is_string(value)) {
            struct buf cut;
            buf_init(&cut, 1 << 10);
            if (dest_text_truncate(json_string_value(value), GA4_VALUE_MAX, &cut) == 0)
                copy = json_string(cut.data ? cut.data : "");
            buf_free(&cut);
        } else if (json_is_number(value)) {
            copy = json_deep_copy(value);
        } else if (json_is_boolean(value)) {
            copy = json_integer(json_is_true(value));
        } else {
            continue; /* objects and arrays are no parameter values */
        }
        if (json_object_set_new(params, name, copy) < 0)
            return -1;
    }
    return 0;
}

static json_t *ga4_event(const struct dest_event *ev)
{
    json_t *amount = dest_event_amount(ev);
    const char *currency = ev->fields.currency;
    json_t *params = json_object(), *event = NULL;
    char name[GA4_NAME_MAX + 1];
    if (!params)
        goto out;
    bool purchase = dest_event_is_revenue(ev) && amount && currency;
    /* "value" adds up into GA4's event value, so only a purchase carries it */
    if (amount && currency &&
        (json_object_set_new(params, "currency", json_string(currency)) < 0 ||
         json_object_set(params, purchase ? "value" : "amount", amount) < 0))
        goto out;
    if (purchase) {
        const char *tx = ev->fields.external_id;
        if (!tx)
            tx = ev->fields.invoice_id;
        if (json_object_set_new(params, "transaction_id", json_string(tx ? tx : ev->id)) < 0 ||
            json_object_set_new(params, "items",
                                json_pack("[{s:s, s:s, s:O, s:i}]", "item_id", "payment",
                                          "item_name", "Payment", "price", amount, "quantity",
                                          1)) < 0)
            goto out;
        snprintf(name, sizeof name, "purchase");
    } else {
        ga4_name(ev->type, name);
    }
    if (json_object_set_new(params, "engagement_time_msec", json_integer(1)) < 0 ||
        ga4_data_params(ev, params) < 0)
        goto out;
    event = json_pack("{s:s, s:O}", "name", name, "params", params);
out:
    json_decref(amount);
    json_decref(params);
    return event;
}

static int ga4_render(const struct dest_event *ev, const struct dest_config *cfg,
                      struct dest_request *out, struct error *err)
{
    const char *measurement_id = dest_config_str(cfg, "measurementId");
    const char *api_secret = dest_config_str(cfg, "apiSecret");
    const char *subject = dest_event_subject_id(ev);
    const char *client = subject ? subject : ev->project_id;
    char client_id[32];
    int64_t time_ms;
    struct buf path;
    json_t *event = NULL, *body = NULL;
    int rc = -1;
    buf_init(&path, 1 << 12);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!measurement_id || !api_secret) {
        error_set(err, ERR_VALIDATION, "%s is not set",
                  !measurement_id ? "measurementId" : "apiSecret");
        goto out;
    }
    if (!client) {
        error_set(err, ERR_VALIDATION, "the event names no user and no project");
        goto out;
    }
    if (dest_event_time_ms(ev, &time_ms) < 0) {
        error_set(err, ERR_VALIDATION, "the event's createdAt is not an RFC 3339 time");
        goto out;
    }
    ga4_client_id(client, client_id);
    if (!(event = ga4_event(ev)) ||
        !(body = json_pack("{s:s, s:s*, s:I, s:[O]}", "client_id", client_id, "user_id", subject,
                           "timestamp_micros", (json_int_t)time_ms * 1000, "events", event)) ||
        buf_append_str(&path, "/mp/collect?measurement_id=") < 0 ||
        ga4_query_escape(&path, measurement_id) < 0 ||
        buf_append_str(&path, "&api_secret=") < 0 || ga4_query_escape(&path, api_secret) < 0 ||
        dest_url(out, cfg->api_base_url, path.data) < 0 || dest_json_body(out, body) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(event);
    json_decref(body);
    buf_free(&path);
    return rc;
}

const struct destination destination_ga4 = {
    .slug = "ga4",
    .default_api_base = GA4_DEFAULT_BASE,
    .render = ga4_render,
};
