/* api/health.c - liveness, readiness and metrics; no token needed. */
#include "api/api.h"
#include "core/metrics.h"

static int respond_status(struct http_response *res, int status, const char *text,
                          struct error *err)
{
    return http_respond_json(res, status, json_pack("{s:s}", "status", text), err);
}

int api_healthz(struct http_request *req, struct http_response *res, struct error *err)
{
    (void)req;
    return respond_status(res, 200, "ok", err);
}

int api_readyz(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct error store_err;
    if (store_ping(app->store, &store_err) < 0)
        return error_set(err, ERR_UNAVAILABLE, "store is not answering: %s", store_err.message);
    return respond_status(res, 200, "ready", err);
}

int api_metrics(struct http_request *req, struct http_response *res, struct error *err)
{
    (void)req;
    buf_reset(&res->body);
    if (metrics_render(&res->body) < 0)
        return error_set(err, ERR_INTERNAL, "cannot render metrics");
    res->status = 200;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}
