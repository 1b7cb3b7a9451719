/* api/dashboard.c - what the dashboard shows from Google Workspace (sync/google.c), read
 * live with the tenant's grant:
 *   GET /api/dashboard/calendar?days=7   upcoming events of the primary calendar (1..31 days)
 *   GET /api/dashboard/mail              the last 30 days' messages with an invoice-like
 *                                        attachment: sender, subject, date, file names
 * Without a connected Google Workspace install: 409 connector_not_installed. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "sync/sync.h"

static struct sync_env google_env(const struct http_request *req)
{
    const struct app *app = req->app;
    return (struct sync_env){.store = app->store, .master_key = app->master_key,
                             .allow_private = app->delivery && app->delivery->allow_private};
}

int api_dashboard_calendar(struct http_request *req, struct http_response *res,
                           struct error *err)
{
    const char *text = http_request_query(req, "days");
    long days = 7;
    if (text) {
        char *end = NULL;
        days = strtol(text, &end, 10);
        if (!*text || *end || days < 1 || days > 31)
            return error_set(err, ERR_INVALID_FIELD, "days must be a whole number from 1 to 31");
    }
    struct sync_env env = google_env(req);
    json_t *events = NULL;
    if (sync_google_calendar(&env, req->principal->tenant_id, (int)days, &events, err) < 0)
        return -1;
    return http_respond_json(res, 200, json_pack("{s:o, s:i}", "events", events, "days", (int)days),
                             err);
}

int api_dashboard_mail(struct http_request *req, struct http_response *res, struct error *err)
{
    struct sync_env env = google_env(req);
    json_t *messages = NULL;
    if (sync_google_mail(&env, req->principal->tenant_id, &messages, err) < 0)
        return -1;
    return http_respond_json(res, 200, json_pack("{s:o}", "messages", messages), err);
}
