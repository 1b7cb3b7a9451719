/* outbound/destinations/amplitude.c - Amplitude HTTP V2 API: POST {base}/2/httpapi with
 * {"api_key", "events": [one event]}; the key travels in the body.
 *
 * event_type is the event type, event_properties the event's data with the amount as a
 * number, time createdAt in milliseconds. insert_id is the event id: Amplitude ignores a
 * second event with the same insert_id for seven days, so resends are harmless. Money that
 * came in carries price, quantity 1, revenue and currency, which makes it a revenue event.
 * user_id is the party's id; events about no one go under device_id = the project id (an
 * event needs one of the two, at least five characters long). 400 lists invalid events and
 * is permanent for one; 413, 429 and 5xx as the default rules say. EU projects set
 * apiBaseUrl to https://api.eu.amplitude.com. */
#include "outbound/destination.h"

#define AMPLITUDE_DEFAULT_BASE "https://api2.amplitude.com"

static int amplitude_render(const struct dest_event *ev, const struct dest_config *cfg,
                            struct dest_request *out, struct error *err)
{
    const char *api_key = dest_config_str(cfg, "apiKey");
    const char *subject = dest_event_subject_id(ev);
    int64_t time_ms;
    json_t *props = NULL, *event = NULL, *body = NULL;
    int rc = -1;
    if (!cfg->api_base_url)
        return error_set(err, ERR_INTERNAL, "no API base URL");
    if (!api_key)
        return error_set(err, ERR_VALIDATION, "apiKey is not set");
    if (!subject && !ev->project_id)
        return error_set(err, ERR_VALIDATION, "the event names no user and no project");
    if (dest_event_time_ms(ev, &time_ms) < 0)
        return error_set(err, ERR_VALIDATION, "the event's createdAt is not an RFC 3339 time");
    if (!(props = dest_event_properties(ev)))
        goto oom;
    event = json_pack("{s:s, s:s, s:I, s:s}", subject ? "user_id" : "device_id",
                      subject ? subject : ev->project_id, "event_type", ev->type, "time",
                      (json_int_t)time_ms, "insert_id", ev->id);
    if (!event)
        goto oom;
    json_t *amount = json_object_get(props, "amount");
    const char *currency = json_string_value(json_object_get(props, "currency"));
    if (dest_event_is_revenue(ev) && json_is_number(amount) && currency &&
        (json_object_set_new(event, "price", json_deep_copy(amount)) < 0 ||
         json_object_set_new(event, "quantity", json_integer(1)) < 0 ||
         json_object_set_new(event, "revenue", json_deep_copy(amount)) < 0 ||
         json_object_set_new(event, "currency", json_string(currency)) < 0 ||
         json_object_set_new(event, "revenueType", json_string("payment")) < 0))
        goto oom;
    if (json_object_set(event, "event_properties", props) < 0)
        goto oom;
    body = json_pack("{s:s, s:[O]}", "api_key", api_key, "events", event);
    if (!body || dest_url(out, cfg->api_base_url, "/2/httpapi") < 0 ||
        dest_json_body(out, body) < 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(props);
    json_decref(event);
    json_decref(body);
    return rc;
}

const struct destination destination_amplitude = {
    .slug = "amplitude",
    .caps = DEST_CAP_IDEMPOTENCY,
    .default_api_base = AMPLITUDE_DEFAULT_BASE,
    .render = amplitude_render,
};
