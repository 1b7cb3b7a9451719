/* outbound/destinations/bigquery.c - BigQuery tabledata.insertAll (the legacy streaming
 * API, still fully supported): POST {base}/bigquery/v2/projects/{projectId}/datasets/
 * {datasetId}/tables/{tableId}/insertAll with "Authorization: Bearer <accessToken>" and one
 * row; with a serviceAccountKey in the settings the engine puts a token the key obtained
 * from oauth/ into the config (DEST_CAP_OAUTH). The ids are percent-encoded into the path, so a table name cannot leave its segment.
 *
 * The row fits this table, which must exist (streaming needs billing enabled):
 *   event_id STRING, event_type STRING, payment_id STRING, customer_id STRING,
 *   amount NUMERIC, amount_minor INT64, currency STRING, occurred_at TIMESTAMP,
 *   payload JSON
 * payment_id is the provider's payment id, customer_id the id of the customer or supplier
 * the event is about, amount the exact decimal text (a JSON string, so nothing goes through
 * a float), occurred_at createdAt and payload the whole envelope. Members an event does not
 * have are left out, which BigQuery stores as NULL. skipInvalidRows and
 * ignoreUnknownValues stay false, so a row that does not fit the table is reported instead
 * of stored in part.
 *
 * insertId is the event id: BigQuery drops a row it saw under the same insertId within at
 * least a minute (best effort), which covers a resend after a lost answer. Answers:
 * insertAll reports a row it refused in a 200, as insertErrors; classify() reads the
 * reasons there and in error answers. invalid (and the other reasons of a bad request) is
 * permanent; backendError, internalError, timeout, stopped, tableUnavailable, and a 403 for
 * quotaExceeded or rateLimitExceeded retry; other 403s (accessDenied, billingNotEnabled),
 * 400, 401 and 404 are permanent; 429 and 5xx retry. */
#include <string.h>

#include "outbound/destination.h"

#define BIGQUERY_DEFAULT_BASE "https://bigquery.googleapis.com"

static json_t *bigquery_row(const struct dest_event *ev)
{
    const char *payment = ev->fields.external_id;
    const struct event_int *minor = &ev->fields.amount_minor;
    /* json_pack takes the reference of amount_minor (or skips it when NULL) */
    return json_pack("{s:s, s:s, s:s*, s:s*, s:s*, s:o*, s:s*, s:s, s:s}", "event_id", ev->id,
                     "event_type", ev->type, "payment_id", payment && *payment ? payment : NULL,
                     "customer_id", dest_event_subject_id(ev), "amount",
                     ev->fields.amount, "amount_minor",
                     minor->set ? json_integer(minor->value) : NULL,
                     "currency", ev->fields.currency,
                     "occurred_at", ev->created_at, "payload", ev->envelope);
}

static int bigquery_render(const struct dest_event *ev, const struct dest_config *cfg,
                           struct dest_request *out, struct error *err)
{
    static const char *const keys[] = {"projectId", "datasetId", "tableId", "accessToken"};
    const char *value[4];
    struct buf path, auth;
    json_t *row = NULL, *body = NULL;
    int rc = -1;
    buf_init(&path, 1 << 12);
    buf_init(&auth, 1 << 14);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!(value[i] = dest_config_str(cfg, keys[i]))) {
            error_set(err, ERR_VALIDATION, "%s is not set", keys[i]);
            goto out;
        }
    if (!ev->envelope) {
        error_set(err, ERR_INTERNAL, "the event has no envelope");
        goto out;
    }
    if (buf_append_str(&path, "/bigquery/v2/projects/") < 0 ||
        dest_url_escape(value[0], &path) < 0 ||
        buf_append_str(&path, "/datasets/") < 0 || dest_url_escape(value[1], &path) < 0 ||
        buf_append_str(&path, "/tables/") < 0 || dest_url_escape(value[2], &path) < 0 ||
        buf_append_str(&path, "/insertAll") < 0 || !(row = bigquery_row(ev)))
        goto oom;
    body = json_pack("{s:s, s:b, s:b, s:[{s:s, s:O}]}", "kind",
                     "bigquery#tableDataInsertAllRequest", "skipInvalidRows", 0,
                     "ignoreUnknownValues", 0, "rows", "insertId", ev->id, "json", row);
    if (!body || dest_url(out, cfg->api_base_url, path.data) < 0 ||
        buf_printf(&auth, "Bearer %s", value[3]) < 0 ||
        dest_request_header(out, "Authorization", auth.data) < 0 || dest_json_body(out, body) < 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(row);
    json_decref(body);
    buf_free(&path);
    buf_free(&auth);
    return rc;
}

/* Reasons that clear by themselves: the service's own trouble, quotas, and "stopped" (a
 * good row not inserted because another row of the request failed). */
static bool bigquery_reason_transient(const char *reason)
{
    static const char *const transient[] = {"backendError", "internalError", "timeout",
                                            "stopped", "tableUnavailable", "quotaExceeded",
                                            "rateLimitExceeded"};
    for (size_t i = 0; reason && i < sizeof transient / sizeof transient[0]; i++)
        if (strcmp(reason, transient[i]) == 0)
            return true;
    return false;
}

/* Walks a list of {"reason": ...}: -1 none, 0 all transient, 1 some permanent. */
static int bigquery_reasons(const json_t *errors, int verdict)
{
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) {
        const char *reason = json_string_value(json_object_get(e, "reason"));
        if (!bigquery_reason_transient(reason))
            return 1;
        verdict = 0;
    }
    return verdict;
}

static enum dest_verdict bigquery_classify(const struct dest_response *resp)
{
    bool ok = resp->status >= 200 && resp->status <= 299;
    if (!ok && resp->status != 403)
        return destination_default_classify(resp);
    json_t *body = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    int found = -1; /* -1 no reasons, 0 transient only, 1 a permanent one */
    if (ok) {
        size_t i;
        const json_t *row;
        json_array_foreach(json_object_get(body, "insertErrors"), i, row) {
            found = bigquery_reasons(json_object_get(row, "errors"), found);
            if (found == 1)
                break;
        }
    } else {
        found = bigquery_reasons(json_object_get(json_object_get(body, "error"), "errors"), found);
    }
    bool unreadable = !body && resp->body && strstr(resp->body, "insertErrors");
    json_decref(body);
    if (ok)
        return unreadable || found == 0 ? DEST_RETRY : found == 1 ? DEST_FAILED : DEST_DELIVERED;
    return found == 0 ? DEST_RETRY : DEST_FAILED; /* 403 */
}

const struct destination destination_bigquery = {
    .slug = "bigquery",
    .caps = DEST_CAP_IDEMPOTENCY | DEST_CAP_OAUTH,
    .default_api_base = BIGQUERY_DEFAULT_BASE,
    .render = bigquery_render,
    .classify = bigquery_classify,
};
