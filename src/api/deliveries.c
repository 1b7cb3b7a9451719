/* api/deliveries.c - what happened to a destination's deliveries, admin only:
 *   GET  .../connectors/:connectorId/deliveries              (status, eventType, limit, cursor)
 *   GET  .../connectors/:connectorId/deliveries/:deliveryId  with its attempts
 *   POST .../connectors/:connectorId/deliveries/:deliveryId/retry   now: a pending one at
 *        once instead of at its next retry, a failed or dead one again, a delivered one once
 *        more
 *   POST .../connectors/:connectorId/replay  {"since": "..."}   all failed and dead since then
 *   POST .../connectors/:connectorId/test    a sample event now; the destination's answer
 * (all under /api/projects/:projectId). Another tenant's ids answer 404. Each attempt shows
 * the request that was sent (secrets masked) beside the answer. */
#include <stdlib.h>
#include <string.h>

#include "api/listing.h"
#include "core/json.h"
#include "store/installs.h"
#include "store/outbox.h"

static const char *const delivery_statuses[] = {"pending", "delivering", "delivered", "failed",
                                                "dead", NULL};

/* The caller's destination named in the path, in the project named there. */
static int load_destination(struct http_request *req, struct http_response *res,
                            struct install *in, struct error *err)
{
    struct app *app = req->app;
    memset(in, 0, sizeof *in);
    if (api_project_check(req, res, err) < 0)
        return -1;
    if (store_install_get(app->store, req->principal->tenant_id,
                          http_request_param(req, "connectorId"), in, err) < 0)
        return -1;
    if (!in->is_destination ||
        strcmp(in->project_id, http_request_param(req, "projectId")) != 0) {
        store_install_clear(in);
        return error_set(err, ERR_NOT_FOUND, "connector not found");
    }
    return 0;
}

static json_t *delivery_json(const struct delivery *d)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "id", d->id, "eventId",
                          d->event_id, "eventType", d->event_type, "status", d->status,
                          "attempts", (json_int_t)d->attempts, "createdAt", d->created_at,
                          "updatedAt", d->updated_at);
    if (!j)
        return NULL;
    json_object_set_new(j, "lastStatus", d->last_status ? json_integer(d->last_status) : json_null());
    json_object_set_new(j, "lastError", d->last_error[0] ? listing_json_text(d->last_error) : json_null());
    json_object_set_new(j, "deliveredAt", d->delivered_at[0] ? json_string(d->delivered_at) : json_null());
    if (strcmp(d->status, "pending") == 0 && d->attempts > 0) {
        char next[CLOCK_RFC3339_LEN];
        clock_format_rfc3339(d->next_attempt_ms, next);
        json_object_set_new(j, "nextAttemptAt", json_string(next));
    }
    return j;
}

static int add_delivery(void *ctx, const struct delivery *d)
{
    return listing_collect_add(ctx, delivery_json(d));
}

int api_deliveries_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct install in;
    struct listing_page page;
    const char *status = NULL, *event_type = NULL;
    if (load_destination(req, res, &in, err) < 0)
        return -1;
    store_install_clear(&in);
    if (listing_page_parse(req, "dlv_", &page, err) < 0 ||
        listing_query_choice(req, "status", delivery_statuses, &status, err) < 0 ||
        listing_query_text(req, "eventType", 64, &event_type, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    if (store_delivery_list(app->store, req->principal->tenant_id,
                            http_request_param(req, "connectorId"), status, event_type,
                            page.cursor, page.limit + 1, add_delivery, &c, err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "deliveries", err);
}

static int add_attempt(void *ctx, const struct delivery_attempt *a)
{
    json_t *j = json_pack("{s:I, s:s, s:I}", "attempt", (json_int_t)a->attempt_no, "startedAt",
                          a->started_at, "durationMs", (json_int_t)a->duration_ms);
    if (!j)
        return 0;
    json_object_set_new(j, "status", a->http_status ? json_integer(a->http_status) : json_null());
    json_object_set_new(j, "response", a->response_excerpt ? listing_json_text(a->response_excerpt)
                                                           : json_null());
    json_object_set_new(j, "error", a->error ? listing_json_text(a->error) : json_null());
    json_t *request = a->request ? json_loads(a->request, 0, NULL) : NULL;
    json_object_set_new(j, "request", request ? request : json_null());
    json_array_append_new(ctx, j);
    return 0;
}

static int respond_delivery(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    struct delivery d;
    if (store_delivery_get(app->store, req->principal->tenant_id,
                           http_request_param(req, "connectorId"),
                           http_request_param(req, "deliveryId"), &d, err) < 0)
        return -1;
    json_t *j = delivery_json(&d), *attempts = json_array();
    if (!j || !attempts ||
        store_delivery_attempts(app->store, d.id, add_attempt, attempts, err) < 0) {
        json_decref(j);
        json_decref(attempts);
        return err->code ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    }
    json_object_set_new(j, "attempts", attempts);
    return http_respond_json(res, 200, j, err);
}

int api_delivery_get(struct http_request *req, struct http_response *res, struct error *err)
{
    struct install in;
    if (load_destination(req, res, &in, err) < 0)
        return -1;
    store_install_clear(&in);
    return respond_delivery(req, res, err);
}

int api_delivery_retry(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct install in;
    if (load_destination(req, res, &in, err) < 0)
        return -1;
    store_install_clear(&in);
    if (store_delivery_retry(app->store, req->principal->tenant_id,
                             http_request_param(req, "connectorId"),
                             http_request_param(req, "deliveryId"), err) < 0)
        return -1;
    engine_wake(app->engine);
    return respond_delivery(req, res, err);
}

int api_connector_replay(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct install in;
    json_t *body = NULL;
    int rc = -1;
    if (load_destination(req, res, &in, err) < 0)
        return -1;
    store_install_clear(&in);
    if (!(body = json_parse_body(req->body, req->body_len, err)))
        return -1;
    const char *since = json_string_value(json_object_get(body, "since"));
    char normalized[CLOCK_RFC3339_LEN];
    /* Accept a date or an RFC 3339 time in UTC; compare in the stored form. */
    if (!since || (strlen(since) != 10 && strlen(since) != 20 && strlen(since) != 24) ||
        since[4] != '-' || since[7] != '-' ||
        (strlen(since) > 10 && (since[10] != 'T' || since[strlen(since) - 1] != 'Z'))) {
        res->error_extra = json_pack("{s:[{s:s, s:s, s:s}]}", "fields", "field", "since", "code",
                                     "wrong_type", "message",
                                     "since must be a date (2026-03-22) or a UTC time "
                                     "(2026-03-22T14:30:00Z)");
        error_set(err, ERR_VALIDATION, "since must be a date or a UTC RFC 3339 time");
        goto out;
    }
    snprintf(normalized, sizeof normalized, "%s", since);
    if (strlen(since) == 10)
        snprintf(normalized, sizeof normalized, "%sT00:00:00.000Z", since);
    else if (strlen(since) == 20)
        snprintf(normalized, sizeof normalized, "%.19s.000Z", since);
    int64_t count = 0;
    if (store_delivery_replay(app->store, req->principal->tenant_id,
                              http_request_param(req, "connectorId"), normalized, &count, err) < 0)
        goto out;
    engine_wake(app->engine);
    rc = http_respond_json(res, 200, json_pack("{s:I, s:s}", "replayed", (json_int_t)count, "since",
                                               normalized), err);
out:
    json_decref(body);
    return rc;
}

int api_connector_send_test(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    struct install in;
    json_t *report = NULL;
    if (load_destination(req, res, &in, err) < 0)
        return -1;
    int rc = engine_send_test(app->delivery, &in, &report, err);
    store_install_clear(&in);
    return rc < 0 ? -1 : http_respond_json(res, 200, report, err);
}
