/* api/webhooks.c - POST /api/payment-import/:provider/:token, the door payment providers
 * knock on. The route is public (the token in the path is the credential) and HTTPS-only
 * outside development mode.
 *
 * The pipeline's first half (token, signature, parse) runs here on the HTTP thread; its
 * booking joins the store's group commit while the connection is parked, so no thread
 * waits on an fsync, and the answer goes out once the batch holding it has committed. */
#include <stdlib.h>
#include <string.h>

#include "api/parked.h"
#include "core/clock.h"
#include "pipeline/pipeline.h"

/* Seconds a provider is asked to wait before sending again to an install that awaits its
 * secret; providers retry on their own schedule too (Stripe for three days). */
#define WEBHOOK_AWAITING_RETRY_AFTER "60"

struct pending_webhook {
    struct api_parked_write write; /* first: the deferral's context is this struct */
    struct pipeline_job *job;
    struct pipeline_env env;
};

static const char *header_of(const struct webhook_request *wr, const char *name)
{
    return http_request_header(wr->ctx, name);
}

static const char *query_of(const struct webhook_request *wr, const char *name)
{
    return http_request_query(wr->ctx, name);
}

static int respond_outcome(struct http_request *req, struct http_response *res,
                           struct pipeline_outcome *out, struct error *err)
{
    int rc;
    if (out->tenant_id[0])
        http_set_tenant(req, out->tenant_id);
    if (out->http_status != 200) {
        /* Awaiting its secret: the provider is asked to send it again later. */
        if (out->error.code == ERR_AWAITING_SECRET)
            http_response_add_header(res, "Retry-After", WEBHOOK_AWAITING_RETRY_AFTER);
        *err = out->error;
        rc = -1;
    } else if (out->ack_body) {
        rc = http_respond_text(res, 200, out->ack_content_type ? out->ack_content_type : "text/plain",
                               out->ack_body, strlen(out->ack_body), err);
    } else {
        rc = http_respond_json(res, 200, json_incref(out->body), err);
    }
    pipeline_outcome_free(out);
    return rc;
}

static int book(struct api_parked_write *w, struct store_tx *tx, struct error *err)
{
    struct pending_webhook *p = (struct pending_webhook *)w;
    int rc = pipeline_job_book(p->job, tx, err);
    w->wake_engine = rc == 0 && pipeline_job_deliveries(p->job) > 0;
    return rc;
}

static int finish(void *ctx, struct http_request *req, struct http_response *res,
                  struct error *err)
{
    struct pending_webhook *p = ctx;
    struct pipeline_outcome out;
    pipeline_job_finish(p->job, p->write.rc, &p->write.err, &out);
    return respond_outcome(req, res, &out, err);
}

static void destroy(struct api_parked_write *w)
{
    struct pending_webhook *p = (struct pending_webhook *)w;
    pipeline_job_free(p->job);
    free(p);
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
    struct pending_webhook *p = calloc(1, sizeof *p);
    if (!p)
        return error_set(err, ERR_INTERNAL, "out of memory");
    p->write = (struct api_parked_write){.store = app->store, .engine = app->engine,
                                         .work = book};
    p->env = (struct pipeline_env){.store = app->store,
                                   .master_key = app->master_key,
                                   .trusted_cert_prefix = app->trusted_cert_prefix,
                                   .keep_bodies = app->keep_webhook_bodies};
    struct pipeline_outcome out;
    p->job = pipeline_prepare(&p->env, http_request_param(req, "provider"),
                              http_request_param(req, "token"), &wr, &out);
    if (!p->job) {
        free(p);
        return respond_outcome(req, res, &out, err);
    }
    if (out.tenant_id[0])
        http_set_tenant(req, out.tenant_id);
    return api_parked_defer(req, &p->write, finish, destroy);
}

/* POST /api/connectors/:slug/test-webhook: runs a synthetic signed event through the whole
 * pipeline and reports what it did, leaving the store unchanged. */
int api_webhook_test(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct pipeline_env env = {.store = app->store,
                               .master_key = app->master_key,
                               .trusted_cert_prefix = app->trusted_cert_prefix};
    json_t *report = NULL;
    const char *slug = http_request_param(req, "slug");
    if (pipeline_test(&env, req->principal->tenant_id, slug, &report, err) < 0)
        return -1;
    return http_respond_json(res, 200, report, err);
}
