/* outbound/destinations/salesforce.c - Salesforce REST API, an upsert by external id:
 * PATCH {instanceUrl}/services/data/v62.0/sobjects/Payment_Event__c/Event_Id__c/<event id>
 * with "Authorization: Bearer <accessToken>" (from oauth/ when a refreshToken is set,
 * DEST_CAP_OAUTH). The org's own address (instanceUrl) is the base, so there is no default
 * host and no apiBaseUrl.
 *
 * Every event is one Payment_Event__c record, keyed by its event id: a resent event
 * updates the record it made instead of adding one (DEST_CAP_IDEMPOTENCY). The org needs
 * this custom object once, with these fields:
 *   Event_Id__c     Text(255), External ID, Unique - the key, in the URL, never in the body
 *   Event_Type__c   Text(64)         Payment_Id__c   Text(255)   Customer_Id__c Text(255)
 *   Amount__c       Number(16, 4)    Currency__c     Text(3)     Occurred_At__c Date/Time
 * Name (the standard name field, 80 characters) is the one-line summary. The currency is a
 * text field rather than CurrencyIsoCode: CurrencyIsoCode exists only in orgs with
 * multi-currency on, and naming it in any other org fails every request with
 * INVALID_FIELD. Members an event does not have (a daily summary has no payment) are left
 * out, so the record keeps what it had. Occurred_At__c is createdAt in Salesforce's
 * "2026-03-22T14:30:00.123+0000" form. API version 62.0 is one every org has; the sObject,
 * field and version are fixed here because the connector's settings do not name them.
 *
 * Answers: 201 (created) or 200/204 (updated) delivered; 300 (the external id matched
 * several records) is permanent. Errors are a JSON array of {message, errorCode, fields}:
 * DUPLICATE_VALUE means the record is already there (delivered), UNABLE_TO_LOCK_ROW is a
 * passing lock (retry), 403 REQUEST_LIMIT_EXCEEDED is the org's daily API allocation
 * (retry, later); other 400s (INVALID_FIELD, REQUIRED_FIELD_MISSING, STRING_TOO_LONG), 401
 * INVALID_SESSION_ID (the token expired; a new one must be configured), other 403s and 404
 * are permanent; 500 and 503 retry. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "outbound/destination.h"

#define SALESFORCE_API_VERSION "v62.0"
#define SALESFORCE_SOBJECT "Payment_Event__c"
#define SALESFORCE_EXTERNAL_ID "Event_Id__c"
#define SALESFORCE_NAME_MAX 80
#define SALESFORCE_TEXT_MAX 255
#define SALESFORCE_TIME_MAX 48

/* createdAt as "YYYY-MM-DDTHH:MM:SS.mmm+0000"; "" when it is not a time */
static void salesforce_time(const struct dest_event *ev, char out[SALESFORCE_TIME_MAX])
{
    int64_t ms;
    struct tm tm;
    char seconds[24];
    out[0] = '\0';
    if (dest_event_time_ms(ev, &ms) < 0)
        return;
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    if (gmtime_r(&t, &tm) && strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf(out, SALESFORCE_TIME_MAX, "%s.%03d+0000", seconds, frac);
}

/* value, or NULL when it is empty or longer than the field */
static const char *salesforce_text(const char *value)
{
    return value && *value && strlen(value) <= SALESFORCE_TEXT_MAX ? value : NULL;
}

static json_t *salesforce_record(const struct dest_event *ev, const char *name)
{
    const char *currency = ev->fields.currency;
    char occurred[SALESFORCE_TIME_MAX];
    salesforce_time(ev, occurred);
    json_t *record = json_pack(
        "{s:s, s:s, s:s*, s:s*, s:s*, s:s*}", "Name", name, "Event_Type__c", ev->type,
        "Payment_Id__c", salesforce_text(ev->fields.external_id),
        "Customer_Id__c", salesforce_text(dest_event_subject_id(ev)), "Currency__c",
        currency && strlen(currency) == 3 ? currency : NULL, "Occurred_At__c",
        *occurred ? occurred : NULL);
    json_t *amount = dest_event_amount(ev);
    if (record && amount && json_object_set_new(record, "Amount__c", amount) < 0) {
        json_decref(record);
        return NULL;
    }
    if (!record)
        json_decref(amount);
    return record;
}

static int salesforce_render(const struct dest_event *ev, const struct dest_config *cfg,
                             struct dest_request *out, struct error *err)
{
    const char *instance = dest_config_str(cfg, "instanceUrl");
    const char *token = dest_config_str(cfg, "accessToken");
    struct buf summary, name, path, auth;
    json_t *record = NULL;
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&name, 1 << 10);
    buf_init(&path, 1 << 12);
    buf_init(&auth, 1 << 14);
    if (!instance || !token) {
        error_set(err, ERR_VALIDATION, "%s is not set", !instance ? "instanceUrl" : "accessToken");
        goto out;
    }
    snprintf(out->method, sizeof out->method, "PATCH");
    if (dest_event_summary(ev, &summary) < 0 ||
        dest_text_truncate(summary.data ? summary.data : "", SALESFORCE_NAME_MAX, &name) < 0 ||
        !(record = salesforce_record(ev, name.data ? name.data : "")) ||
        buf_append_str(&path, "/services/data/" SALESFORCE_API_VERSION
                              "/sobjects/" SALESFORCE_SOBJECT "/" SALESFORCE_EXTERNAL_ID "/") < 0 ||
        dest_url_escape(ev->id, &path) < 0 || dest_url(out, instance, path.data) < 0 ||
        buf_printf(&auth, "Bearer %s", token) < 0 ||
        dest_request_header(out, "Authorization", auth.data) < 0 ||
        dest_json_body(out, record) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(record);
    buf_free(&summary);
    buf_free(&name);
    buf_free(&path);
    buf_free(&auth);
    return rc;
}

/* Whether the error array of the answer names errorCode `code`. */
static bool salesforce_error_is(const json_t *errors, const char *code)
{
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) {
        const char *got = json_string_value(json_object_get(e, "errorCode"));
        if (got && strcmp(got, code) == 0)
            return true;
    }
    return false;
}

static enum dest_verdict salesforce_classify(const struct dest_response *resp)
{
    if (resp->status != 400 && resp->status != 403)
        return destination_default_classify(resp);
    json_t *errors = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    enum dest_verdict v = DEST_FAILED;
    if (resp->status == 403 && salesforce_error_is(errors, "REQUEST_LIMIT_EXCEEDED"))
        v = DEST_RETRY;
    else if (resp->status == 400 && salesforce_error_is(errors, "DUPLICATE_VALUE"))
        v = DEST_DELIVERED;
    else if (resp->status == 400 && salesforce_error_is(errors, "UNABLE_TO_LOCK_ROW"))
        v = DEST_RETRY;
    json_decref(errors);
    return v;
}

const struct destination destination_salesforce = {
    .slug = "salesforce",
    .caps = DEST_CAP_IDEMPOTENCY | DEST_CAP_OAUTH,
    .render = salesforce_render,
    .classify = salesforce_classify,
};
