/* outbound/destinations/opsgenie.c - Opsgenie Alert API v2: POST {base}/v2/alerts with
 * "Authorization: GenieKey <apiKey>" (the key of an API integration; account-level API
 * keys cannot create alerts) and one alert.
 *
 * Opsgenie is for incidents. A failed payment is a P3 alert whose alias is "payment:<the
 * provider's payment id>": while that alert is open, a resent event and every later failure
 * of the same payment only raise its count. Every other event (a settled payment, a first
 * payment, a daily summary, ...) is a P5 alert for information, its alias the event id, so
 * a resent one is counted, not repeated. Either way a resend does not make a second alert,
 * hence DEST_CAP_IDEMPOTENCY. A delivery is one request, so a settled payment does not also
 * close the alert its earlier failure opened (POST /v2/alerts/{alias}/close).
 *
 * message is the one-line summary (130 characters), description the facts as text
 * (15,000), entity the customer or supplier, tags "payments" and the event type with '_'
 * for '.', details the event id and the data's scalar values as strings (Opsgenie wants a
 * map of strings; nested objects are flattened one level, "party.name"), at most 8,000
 * characters in all. Opsgenie answers 202 and processes the alert later; 400, 401, 403,
 * 404 and 422 are permanent, 429 and 5xx retry - the default rules. EU accounts set
 * apiBaseUrl to https://api.eu.opsgenie.com. Opsgenie's REST API works until 2027-04-05. */
#include <stdio.h>
#include <string.h>

#include "outbound/destination.h"

#define OPSGENIE_DEFAULT_BASE "https://api.opsgenie.com"
#define OPSGENIE_MESSAGE_MAX 130
#define OPSGENIE_DESCRIPTION_MAX 15000
#define OPSGENIE_ALIAS_MAX 512
#define OPSGENIE_TAG_MAX 50
#define OPSGENIE_ENTITY_MAX 512
#define OPSGENIE_DETAIL_MAX 1000   /* one value */
#define OPSGENIE_DETAILS_MAX 8000  /* keys and values together */
#define OPSGENIE_SOURCE "payments"

struct opsgenie_details {
    json_t *map;
    size_t used;
};

/* key: value as text, cut; skipped when it no longer fits or the key is taken */
static int opsgenie_detail(struct opsgenie_details *d, const char *key, const json_t *value)
{
    char number[64];
    const char *text = NULL;
    if (json_is_string(value)) {
        text = json_string_value(value);
    } else if (json_is_integer(value)) {
        snprintf(number, sizeof number, "%lld", (long long)json_integer_value(value));
        text = number;
    } else if (json_is_real(value)) {
        snprintf(number, sizeof number, "%.15g", json_real_value(value));
        text = number;
    } else if (json_is_boolean(value)) {
        text = json_is_true(value) ? "true" : "false";
    }
    if (!text || !*text || json_object_get(d->map, key))
        return 0;
    struct buf cut;
    buf_init(&cut, 1 << 12);
    int rc = dest_text_truncate(text, OPSGENIE_DETAIL_MAX, &cut);
    size_t size = strlen(key) + cut.len;
    if (rc == 0 && d->used + size <= OPSGENIE_DETAILS_MAX) {
        rc = json_object_set_new(d->map, key, json_string(cut.data ? cut.data : ""));
        d->used += size;
    }
    buf_free(&cut);
    return rc;
}

static json_t *opsgenie_details(const struct dest_event *ev)
{
    struct opsgenie_details d = {.map = json_object()};
    json_t *id = json_string(ev->id);
    const char *key;
    json_t *value;
    if (!d.map || !id || opsgenie_detail(&d, "event_id", id) < 0)
        goto fail;
    json_object_foreach((json_t *)ev->data, key, value) {
        if (!json_is_object(value)) {
            if (opsgenie_detail(&d, key, value) < 0)
                goto fail;
            continue;
        }
        const char *sub;
        json_t *inner;
        json_object_foreach(value, sub, inner) {
            char name[128];
            snprintf(name, sizeof name, "%s.%s", key, sub);
            if (opsgenie_detail(&d, name, inner) < 0)
                goto fail;
        }
    }
    json_decref(id);
    return d.map;
fail:
    json_decref(id);
    json_decref(d.map);
    return NULL;
}

static json_t *opsgenie_tags(const struct dest_event *ev)
{
    char type[OPSGENIE_TAG_MAX + 1];
    size_t n = 0;
    for (const char *p = ev->type; *p && n < OPSGENIE_TAG_MAX; p++)
        type[n++] = *p == '.' ? '_' : *p;
    type[n] = '\0';
    return json_pack("[s, s]", OPSGENIE_SOURCE, type);
}

/* "customer:<id>" or "supplier:<id>"; NULL for events about no one */
static int opsgenie_entity(const struct dest_event *ev, struct buf *out)
{
    const char *id = dest_event_subject_id(ev);
    const char *role = dest_event_party_role(ev);
    bool supplier = role && strcmp(role, "supplier") == 0;
    if (!id)
        return 0;
    int rc = buf_printf(out, "%s:", supplier ? "supplier" : "customer");
    return rc < 0 ? -1 : dest_text_truncate(id, OPSGENIE_ENTITY_MAX - out->len, out);
}

static int opsgenie_alias(const struct dest_event *ev, bool failure, struct buf *out)
{
    const char *payment = ev->fields.external_id;
    char hashed[DEST_KEY_HASH_MAX];
    if (failure && payment && *payment &&
        strlen("payment:") + strlen(payment) <= OPSGENIE_ALIAS_MAX)
        return buf_printf(out, "payment:%s", payment);
    return buf_append_str(out, dest_event_key(ev, OPSGENIE_ALIAS_MAX, hashed));
}

static int opsgenie_render(const struct dest_event *ev, const struct dest_config *cfg,
                           struct dest_request *out, struct error *err)
{
    const char *api_key = dest_config_str(cfg, "apiKey");
    bool failure = strcmp(ev->type, "payment.failed") == 0;
    struct buf summary, message, text, description, alias, entity, auth;
    json_t *tags = NULL, *details = NULL, *body = NULL;
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&message, 1 << 10);
    buf_init(&text, 1 << 20);
    buf_init(&description, 1 << 16);
    buf_init(&alias, 1 << 10);
    buf_init(&entity, 1 << 10);
    buf_init(&auth, 1 << 12);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!api_key) {
        error_set(err, ERR_VALIDATION, "apiKey is not set");
        goto out;
    }
    if (dest_event_summary(ev, &summary) < 0 ||
        dest_text_truncate(summary.data ? summary.data : "", OPSGENIE_MESSAGE_MAX, &message) < 0 ||
        dest_event_text(ev, &text) < 0 ||
        dest_text_truncate(text.data ? text.data : "", OPSGENIE_DESCRIPTION_MAX,
                           &description) < 0 ||
        opsgenie_alias(ev, failure, &alias) < 0 || opsgenie_entity(ev, &entity) < 0 ||
        !(tags = opsgenie_tags(ev)) || !(details = opsgenie_details(ev)))
        goto oom;
    body = json_pack("{s:s, s:s, s:s, s:O, s:s*, s:s, s:s, s:O}", "message",
                     message.data ? message.data : "", "alias", alias.data, "description",
                     description.data ? description.data : "", "tags", tags, "entity",
                     entity.data, "source", OPSGENIE_SOURCE, "priority", failure ? "P3" : "P5",
                     "details", details);
    if (!body || dest_url(out, cfg->api_base_url, "/v2/alerts") < 0 ||
        buf_printf(&auth, "GenieKey %s", api_key) < 0 ||
        dest_request_header(out, "Authorization", auth.data) < 0 || dest_json_body(out, body) < 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(tags);
    json_decref(details);
    json_decref(body);
    buf_free(&summary);
    buf_free(&message);
    buf_free(&text);
    buf_free(&description);
    buf_free(&alias);
    buf_free(&entity);
    buf_free(&auth);
    return rc;
}

const struct destination destination_opsgenie = {
    .slug = "opsgenie",
    .caps = DEST_CAP_IDEMPOTENCY,
    .default_api_base = OPSGENIE_DEFAULT_BASE,
    .render = opsgenie_render,
};
