/* outbound/destinations/segment.c - Segment HTTP Tracking API: POST {base}/v1/track with
 * "Authorization: Basic base64(<writeKey>:)" and one track call.
 *
 * The event name is the event type, the properties are the event's data with the amount
 * as a number, plus "revenue" for money that came in. messageId is the event id: Segment
 * drops a track it has already seen under that id, so a resend is harmless. userId is the
 * party's id; events about no one (daily summaries) go under anonymousId = the project id,
 * since a track without either is silently dropped. EU workspaces set apiBaseUrl to
 * https://events.eu1.segmentapis.com (EU data sent to api.segment.io vanishes without an
 * error). Segment answers 200 to everything except oversize or malformed JSON (400); 429
 * and 5xx retry - the default rules. */
#include "outbound/destination.h"

#define SEGMENT_DEFAULT_BASE "https://api.segment.io"
#define SEGMENT_LIBRARY "connectord"

static int segment_render(const struct dest_event *ev, const struct dest_config *cfg,
                          struct dest_request *out, struct error *err)
{
    const char *write_key = dest_config_str(cfg, "writeKey");
    const char *subject = dest_event_subject_id(ev);
    json_t *props = NULL, *body = NULL;
    int rc = -1;
    if (!cfg->api_base_url)
        return error_set(err, ERR_INTERNAL, "no API base URL");
    if (!write_key)
        return error_set(err, ERR_VALIDATION, "writeKey is not set");
    if (!subject && !ev->project_id)
        return error_set(err, ERR_VALIDATION, "the event names no user and no project");
    if (!(props = dest_event_properties(ev)))
        goto oom;
    if (dest_event_is_revenue(ev)) {
        json_t *amount = json_object_get(props, "amount");
        if (amount && json_object_set_new(props, "revenue", json_deep_copy(amount)) < 0)
            goto oom;
    }
    body = json_pack("{s:s, s:s, s:s, s:s, s:s*, s:O, s:{s:{s:s}}}", "type", "track",
                     subject ? "userId" : "anonymousId", subject ? subject : ev->project_id,
                     "event", ev->type, "messageId", ev->id, "timestamp", ev->created_at,
                     "properties", props, "context", "library", "name", SEGMENT_LIBRARY);
    if (!body || dest_url(out, cfg->api_base_url, "/v1/track") < 0 ||
        dest_basic_auth(out, write_key, "") < 0 || dest_json_body(out, body) < 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(props);
    json_decref(body);
    return rc;
}

const struct destination destination_segment = {
    .slug = "segment",
    .caps = DEST_CAP_IDEMPOTENCY,
    .default_api_base = SEGMENT_DEFAULT_BASE,
    .render = segment_render,
};
