/* outbound/destinations/pagerduty.c - PagerDuty Events API v2; the routing key (integration
 * key) travels in the body, there is no auth header.
 *
 * Payment events are not incidents. A failed payment triggers an alert: POST
 * {base}/v2/enqueue with event_action "trigger", severity "warning", class the event type
 * and component the payment provider. Its dedup_key is "payment:<the provider's payment
 * id>", so a resent event, and every later failure of the same payment, adds to the one
 * open alert instead of paging again, and the key names the payment for whoever resolves
 * it. Everything else (a settled payment, a first payment, a daily summary, ...) is a
 * change event, POST {base}/v2/change/enqueue, which shows on the service's timeline and
 * pages no one. A delivery is one request, so a settled payment does not also resolve the
 * alert its earlier failure opened; that is left to the responder.
 *
 * Change events have no dedupe key (PagerDuty records a resent one twice) and an alert's
 * key is the payment's, not the event's, so this destination has no DEST_CAP_IDEMPOTENCY.
 * The summary is cut to PagerDuty's 1024 characters; custom_details hold the event id and
 * the event's data as it is. PagerDuty answers 202; 400 (invalid event) is permanent, 429
 * and 5xx retry - the default rules. EU accounts set apiBaseUrl to
 * https://events.eu.pagerduty.com. */
#include <string.h>

#include "outbound/destination.h"

#define PAGERDUTY_DEFAULT_BASE "https://events.pagerduty.com"
#define PAGERDUTY_SUMMARY_MAX 1024
#define PAGERDUTY_DEDUP_KEY_MAX 255
#define PAGERDUTY_SOURCE "payments"

/* {"event_id": id, ...the event's data} */
static json_t *pagerduty_details(const struct dest_event *ev)
{
    json_t *details = json_pack("{s:s}", "event_id", ev->id);
    const char *key;
    json_t *value;
    if (!details)
        return NULL;
    json_object_foreach((json_t *)ev->data, key, value) {
        if (json_object_get(details, key))
            continue;
        /* never share: ev->data is read by other threads */
        if (json_object_set_new(details, key, json_deep_copy(value)) < 0) {
            json_decref(details);
            return NULL;
        }
    }
    return details;
}

/* "payment:<externalId>", or the event id when the payment has no id or it is too long */
static int pagerduty_dedup_key(const struct dest_event *ev, struct buf *out)
{
    const char *payment = ev->fields.external_id;
    char hashed[DEST_KEY_HASH_MAX];
    if (payment && *payment && strlen("payment:") + strlen(payment) <= PAGERDUTY_DEDUP_KEY_MAX)
        return buf_printf(out, "payment:%s", payment);
    return buf_append_str(out, dest_event_key(ev, PAGERDUTY_DEDUP_KEY_MAX, hashed));
}

static int pagerduty_render(const struct dest_event *ev, const struct dest_config *cfg,
                            struct dest_request *out, struct error *err)
{
    const char *routing_key = dest_config_str(cfg, "routingKey");
    const char *provider = ev->fields.provider;
    bool alert = strcmp(ev->type, "payment.failed") == 0;
    struct buf summary, text, dedup_key;
    json_t *details = NULL, *payload = NULL, *body = NULL;
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&text, 1 << 12);
    buf_init(&dedup_key, 1 << 10);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!routing_key) {
        error_set(err, ERR_VALIDATION, "routingKey is not set");
        goto out;
    }
    if (dest_event_summary(ev, &summary) < 0 ||
        dest_text_truncate(summary.data ? summary.data : "", PAGERDUTY_SUMMARY_MAX, &text) < 0 ||
        !(details = pagerduty_details(ev)))
        goto oom;
    if (alert) {
        if (pagerduty_dedup_key(ev, &dedup_key) < 0)
            goto oom;
        payload = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s, s:O}", "summary",
                            text.data ? text.data : "", "source", PAGERDUTY_SOURCE, "severity",
                            "warning", "timestamp", ev->created_at, "component",
                            provider && *provider ? provider : NULL, "class", ev->type,
                            "custom_details", details);
        body = payload ? json_pack("{s:s, s:s, s:s, s:O}", "routing_key", routing_key,
                                   "event_action", "trigger", "dedup_key", dedup_key.data,
                                   "payload", payload)
                       : NULL;
    } else {
        payload = json_pack("{s:s, s:s*, s:s, s:O}", "summary", text.data ? text.data : "",
                            "timestamp", ev->created_at, "source", PAGERDUTY_SOURCE,
                            "custom_details", details);
        body = payload ? json_pack("{s:s, s:O}", "routing_key", routing_key, "payload", payload)
                       : NULL;
    }
    if (!body ||
        dest_url(out, cfg->api_base_url, alert ? "/v2/enqueue" : "/v2/change/enqueue") < 0 ||
        dest_json_body(out, body) < 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(details);
    json_decref(payload);
    json_decref(body);
    buf_free(&summary);
    buf_free(&text);
    buf_free(&dedup_key);
    return rc;
}

const struct destination destination_pagerduty = {
    .slug = "pagerduty",
    .default_api_base = PAGERDUTY_DEFAULT_BASE,
    .render = pagerduty_render,
};
