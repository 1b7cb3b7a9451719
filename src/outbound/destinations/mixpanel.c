/* outbound/destinations/mixpanel.c - Mixpanel Import API: POST {base}/import?strict=1 with
 * "Authorization: Basic base64(<projectToken>:)" and a JSON array of one event.
 *
 * /import rather than /track: /track refuses events older than five days, and a delivery
 * may be retried for longer. strict=1 makes Mixpanel validate and report each record.
 * Mixpanel deduplicates on (event, distinct_id, time, $insert_id), so all four stay the
 * same across retries: time is createdAt in milliseconds, and $insert_id - at most 36
 * characters of [A-Za-z0-9-], which an id like "evt_..." is not - is the first 32 hex
 * digits of the event id's SHA-256. distinct_id is the party's id, or "" for events about
 * no one, as Mixpanel asks for server-side events (leaving it out would invent one user
 * per server address; placeholders such as "anonymous" are rejected). A 400 names the bad
 * records and is permanent for a one-record request; 429 and 5xx retry - the default
 * rules. EU and India projects set apiBaseUrl to https://api-eu.mixpanel.com or
 * https://api-in.mixpanel.com. */
#include <string.h>

#include "crypto/crypto.h"
#include "outbound/destination.h"

#define MIXPANEL_DEFAULT_BASE "https://api.mixpanel.com"
#define MIXPANEL_INSERT_ID_LEN 32

static int mixpanel_render(const struct dest_event *ev, const struct dest_config *cfg,
                           struct dest_request *out, struct error *err)
{
    const char *token = dest_config_str(cfg, "projectToken");
    const char *subject = dest_event_subject_id(ev);
    unsigned char digest[CRYPTO_SHA256_LEN];
    char insert_id[2 * CRYPTO_SHA256_LEN + 1];
    int64_t time_ms;
    json_t *props = NULL, *body = NULL;
    int rc = -1;
    if (!cfg->api_base_url)
        return error_set(err, ERR_INTERNAL, "no API base URL");
    if (!token)
        return error_set(err, ERR_VALIDATION, "projectToken is not set");
    if (dest_event_time_ms(ev, &time_ms) < 0)
        return error_set(err, ERR_VALIDATION, "the event's createdAt is not an RFC 3339 time");
    crypto_sha256(ev->id, strlen(ev->id), digest);
    crypto_hex(digest, sizeof digest, insert_id);
    insert_id[MIXPANEL_INSERT_ID_LEN] = '\0';

    /* Mixpanel's own properties first, then the event's data */
    json_t *data = dest_event_properties(ev);
    props = json_pack("{s:I, s:s, s:s}", "time", (json_int_t)time_ms, "distinct_id",
                      subject ? subject : "", "$insert_id", insert_id);
    if (!data || !props || json_object_update_missing(props, data) < 0 ||
        json_object_set_new(props, "event_id", json_string(ev->id)) < 0) {
        json_decref(data);
        goto oom;
    }
    json_decref(data);
    body = json_pack("[{s:s, s:O}]", "event", ev->type, "properties", props);
    if (!body || dest_url(out, cfg->api_base_url, "/import?strict=1") < 0 ||
        dest_basic_auth(out, token, "") < 0 || dest_json_body(out, body) < 0)
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

const struct destination destination_mixpanel = {
    .slug = "mixpanel",
    .caps = DEST_CAP_IDEMPOTENCY,
    .default_api_base = MIXPANEL_DEFAULT_BASE,
    .render = mixpanel_render,
};
