/* api/settings.c - the tenant's own settings, admin only:
 *   GET /api/settings   chart, timeZone, fiscalYearStart, vatNumber, milestones, and the
 *                       accounts the chart books to (read-only)
 *   PUT /api/settings   replaces them; a field left out takes its default. 422 with
 *                       field-level errors, as connector configs have. */
#include "api/api.h"
#include "core/json.h"
#include "settings/settings.h"

int api_settings_get(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct tenant_settings ts;
    if (settings_load(app->store, req->principal->tenant_id, &ts, err) < 0)
        return -1;
    return http_respond_json(res, 200, settings_json(&ts), err);
}

int api_settings_put(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct tenant_settings ts;
    json_t *field_errors = NULL;
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    if (settings_from_json(body, &ts, &field_errors, err) < 0) {
        if (field_errors)
            res->error_extra = json_pack("{s:o}", "fields", field_errors);
        goto out;
    }
    if (settings_save(app->store, req->principal->tenant_id, &ts, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, settings_json(&ts), err);
out:
    json_decref(body);
    return rc;
}
