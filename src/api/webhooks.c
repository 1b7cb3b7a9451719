/* api/webhooks.c - POST /api/payment-import/:provider/:token, the door payment providers
 * knock on. The route is public (the token in the path is the credential) and HTTPS-only
 * outside development mode; the pipeline does the rest. */
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "pipeline/pipeline.h"

static const char *header_of(const struct webhook_request *wr, const char *name)
{
    return http_request_header(wr->ctx, name);
}

static const char *query_of(const struct webhook_request *wr, const char *name)
{
    return http_request_query(wr->ctx, name);
}

int api_webhook_receive(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct webhook_request wr = {.body = req->body,
                                 .body_len = req->body_len,
                                 .header = header_of,
                                 .query = query_of,
                                 .ctx = req,
                                 .now_ms = clock_now_ms()};
    struct pipeline_env env = {.store = app->store,
                               .master_key = app->master_key,
                               .trusted_cert_prefix = app->trusted_cert_prefix,
                               .keep_bodies = app->keep_webhook_bodies};
    struct pipeline_outcome out;
    pipeline_run(&env, http_request_param(req, "provider"), http_request_param(req, "token"),
                 &wr, &out);
    if (out.tenant_id[0])
        http_set_tenant(req, out.tenant_id);
    int rc;
    if (out.http_status != 200) {
        *err = out.error;
        rc = -1;
    } else if (out.ack_body) {
        rc = http_respond_text(res, 200, out.ack_content_type ? out.ack_content_type : "text/plain",
                               out.ack_body, strlen(out.ack_body), err);
    } else {
        rc = http_respond_json(res, 200, json_incref(out.body), err);
    }
    pipeline_outcome_free(&out);
    return rc;
}
