/* outbound/destinations/datadog.c - Datadog Events API v1: POST {base}/api/v1/events with
 * "DD-API-KEY: <apiKey>" and one event.
 *
 * The host follows the organization's site: https://api.<site> (api.datadoghq.com,
 * api.datadoghq.eu, api.us5.datadoghq.com, ...), from the site setting, US1 when it is
 * left out; an address copied from the browser (app.datadoghq.eu) means its site. An
 * apiBaseUrl setting replaces the derived host (a proxy, a test mock).
 *
 * The event: title the one-line summary (100 characters at most), text the facts in
 * Datadog's markdown block "%%% ... %%%" (4000 at most), with the markdown characters of
 * names escaped so a customer's name cannot format or link; date_happened createdAt in
 * seconds; alert_type error for a failed payment, success for money that came in and
 * first payments and milestones, info otherwise; aggregation_key the provider's payment id
 * (or the customer's), which groups the events of one payment in the explorer; tags for
 * the event type, currency, provider and the customer or supplier. Datadog has no dedupe
 * key (aggregation_key only groups), so a resent event shows twice: no
 * DEST_CAP_IDEMPOTENCY. Datadog answers 202; 400, 401 and 403 (bad key) are permanent,
 * 408, 429 and 5xx retry - the default rules. */
#include <ctype.h>
#include <string.h>

#include "outbound/destination.h"

#define DATADOG_DEFAULT_BASE "https://api.datadoghq.com"
#define DATADOG_DEFAULT_SITE "datadoghq.com"
#define DATADOG_TITLE_MAX 100
#define DATADOG_TEXT_MAX 4000
#define DATADOG_VALUE_MAX 500
#define DATADOG_AGGREGATION_KEY_MAX 100
#define DATADOG_TAG_MAX 200
#define DATADOG_MD_OPEN "%%% \n"
#define DATADOG_MD_CLOSE "\n %%%"

/* https://api.<site>, from the site setting; -1 when it is not a host name. */
static int datadog_site_base(const struct dest_config *cfg, struct buf *out)
{
    const char *site = dest_config_str(cfg, "site");
    if (!site)
        site = DATADOG_DEFAULT_SITE;
    if (strncmp(site, "app.", 4) == 0)
        site += 4;
    for (const char *p = site; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            return -1;
    return buf_printf(out, "https://api.%s", site);
}

/* Backslash before the characters Datadog's markdown gives a meaning inside a line:
 * emphasis, code, links and images, HTML, tables, strikethrough. */
static int datadog_escape(const char *text, struct buf *out)
{
    for (const char *p = text; *p; p++) {
        if (strchr("\\*_~`|[]<>!#", *p) && buf_append(out, "\\", 1) < 0)
            return -1;
        if (buf_append(out, p, 1) < 0)
            return -1;
    }
    return 0;
}

/* "**Label:** value" lines, then when and which event, cut to what fits the text. */
static int datadog_text(const struct dest_event *ev, struct buf *out)
{
    struct dest_facts facts;
    struct buf md, value;
    char at[DEST_TIME_TEXT_MAX];
    int rc = -1;
    buf_init(&md, 1 << 20);
    buf_init(&value, 1 << 16);
    if (dest_event_facts(ev, &facts) < 0)
        goto out;
    for (size_t i = 0; i < facts.n; i++) {
        buf_reset(&value);
        if (dest_text_truncate(facts.value[i].data ? facts.value[i].data : "",
                               DATADOG_VALUE_MAX, &value) < 0 ||
            buf_append_str(&md, "**") < 0 || datadog_escape(facts.label[i], &md) < 0 ||
            buf_append_str(&md, ":** ") < 0 ||
            datadog_escape(value.data ? value.data : "", &md) < 0 ||
            buf_append_str(&md, "  \n") < 0)
            goto out;
    }
    dest_event_time_text(ev, at);
    if ((*at && buf_printf(&md, "**At:** %s  \n", at) < 0) ||
        buf_append_str(&md, "Event ") < 0 || datadog_escape(ev->id, &md) < 0 ||
        buf_append_str(&md, " (") < 0 || datadog_escape(ev->type, &md) < 0 ||
        buf_append_str(&md, ")") < 0)
        goto out;
    if (buf_append_str(out, DATADOG_MD_OPEN) < 0 ||
        dest_text_truncate(md.data ? md.data : "",
                           DATADOG_TEXT_MAX - strlen(DATADOG_MD_OPEN) - strlen(DATADOG_MD_CLOSE),
                           out) < 0 ||
        buf_append_str(out, DATADOG_MD_CLOSE) < 0)
        goto out;
    rc = 0;
out:
    dest_facts_free(&facts);
    buf_free(&md);
    buf_free(&value);
    return rc;
}

static const char *datadog_alert_type(const struct dest_event *ev)
{
    if (strcmp(ev->type, "payment.failed") == 0)
        return "error";
    if (dest_event_is_revenue(ev) || strcmp(ev->type, "customer.first_payment") == 0 ||
        strcmp(ev->type, "customer.milestone") == 0)
        return "success";
    return "info";
}

/* "name:value" with the value as it is, when there is one and the tag fits */
static int datadog_tag(json_t *tags, const char *name, const char *value, bool lower)
{
    char tag[DATADOG_TAG_MAX + 1];
    if (!value || !*value || strlen(name) + 1 + strlen(value) > DATADOG_TAG_MAX)
        return 0;
    int n = snprintf(tag, sizeof tag, "%s:%s", name, value);
    for (int i = (int)strlen(name) + 1; lower && i < n; i++)
        tag[i] = (char)tolower((unsigned char)tag[i]);
    return json_array_append_new(tags, json_string(tag));
}

static json_t *datadog_tags(const struct dest_event *ev)
{
    const char *role = dest_event_party_role(ev);
    json_t *tags = json_array();
    if (!tags ||
        datadog_tag(tags, "event_type", ev->type, false) < 0 ||
        datadog_tag(tags, "currency", ev->fields.currency,
                    true) < 0 ||
        datadog_tag(tags, "provider", ev->fields.provider,
                    false) < 0 ||
        datadog_tag(tags, role && strcmp(role, "supplier") == 0 ? "supplier_id" : "customer_id",
                    dest_event_subject_id(ev), false) < 0) {
        json_decref(tags);
        return NULL;
    }
    return tags;
}

static int datadog_render(const struct dest_event *ev, const struct dest_config *cfg,
                          struct dest_request *out, struct error *err)
{
    const char *api_key = dest_config_str(cfg, "apiKey");
    /* an apiBaseUrl of its own replaces the host the site gives */
    const char *base = dest_config_str(cfg, "apiBaseUrl");
    if (!base && cfg->api_base_url && strcmp(cfg->api_base_url, DATADOG_DEFAULT_BASE) != 0)
        base = cfg->api_base_url;
    const char *aggregation = ev->fields.external_id;
    if (!aggregation || !*aggregation)
        aggregation = dest_event_subject_id(ev);
    if (aggregation && strlen(aggregation) > DATADOG_AGGREGATION_KEY_MAX)
        aggregation = NULL;
    struct buf site_base, summary, title, text;
    json_t *tags = NULL, *body = NULL;
    int64_t time_ms;
    int rc = -1;
    buf_init(&site_base, 1 << 10);
    buf_init(&summary, 1 << 16);
    buf_init(&title, 1 << 10);
    buf_init(&text, 1 << 16);
    if (!api_key) {
        error_set(err, ERR_VALIDATION, "apiKey is not set");
        goto out;
    }
    if (!base && datadog_site_base(cfg, &site_base) < 0) {
        error_set(err, ERR_VALIDATION, "site is not a Datadog site");
        goto out;
    }
    if (dest_event_time_ms(ev, &time_ms) < 0) {
        error_set(err, ERR_VALIDATION, "the event's createdAt is not an RFC 3339 time");
        goto out;
    }
    if (dest_event_summary(ev, &summary) < 0 ||
        dest_text_truncate(summary.data ? summary.data : "", DATADOG_TITLE_MAX, &title) < 0 ||
        datadog_text(ev, &text) < 0 || !(tags = datadog_tags(ev)))
        goto oom;
    body = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s*, s:O}", "title", title.data ? title.data : "",
                     "text", text.data, "date_happened",
                     (json_int_t)(time_ms >= 0 ? time_ms / 1000 : (time_ms - 999) / 1000),
                     "alert_type", datadog_alert_type(ev), "priority", "normal",
                     "aggregation_key", aggregation, "tags", tags);
    if (!body || dest_url(out, base ? base : site_base.data, "/api/v1/events") < 0 ||
        dest_request_header(out, "DD-API-KEY", api_key) < 0 || dest_json_body(out, body) < 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(tags);
    json_decref(body);
    buf_free(&site_base);
    buf_free(&summary);
    buf_free(&title);
    buf_free(&text);
    return rc;
}

const struct destination destination_datadog = {
    .slug = "datadog",
    .default_api_base = DATADOG_DEFAULT_BASE,
    .render = datadog_render,
};
