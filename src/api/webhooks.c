/* api/webhooks.c - POST /api/payment-import/:provider/:token, the door payment providers
 * knock on. The route is public (the token in the path is the credential) and HTTPS-only
 * outside development mode.
 *
 * The request is parked (api/parked.h) and handed to pipeline_submit(), whose booking joins
 * the store's group commit, so no thread waits on an fsync; the pipeline's domain outcome
 * comes back once the commit is durable, and only here does it become a status and a body:
 * JSON, or the acknowledgement a provider expects (Adyen's "[accepted]"). The test webhook
 * (POST /api/connectors/:slug/test-webhook) reports its outcome with the same results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/parked.h"
#include "core/clock.h"
#include "core/json.h"
#include "pipeline/pipeline.h"

/* Seconds a provider is asked to wait before sending again to an install that awaits its
 * secret; providers retry on their own schedule too (Stripe for three days). */
#define WEBHOOK_AWAITING_RETRY_AFTER "60"
/* Seconds before sending again when the webhook could not be taken now (the store's disk
 * is full, the provider's API did not answer): short, the cause usually passes soon. */
#define WEBHOOK_UNAVAILABLE_RETRY_AFTER "5"

struct pending_webhook {
    struct api_parked parked; /* first: the deferral's context is this struct */
    struct http_request *req;
    struct webhook_request wr;
    struct pipeline_env env;
    struct engine *engine;
    struct pipeline_outcome outcome; /* set once the pipeline is done */
    char *url; /* the webhook URL as the provider was given it (wr.url) */
};

static const char *header_of(const struct webhook_request *wr, const char *name)
{
    return http_request_header(wr->ctx, name);
}

static const char *query_of(const struct webhook_request *wr, const char *name)
{
    return http_request_query(wr->ctx, name);
}

/* `"key":"value"` after a ',' unless it is the object's first member. The answer is
 * written as text, not built as a tree and dumped: json_escape_append spells strings as
 * jansson's dump does, so the bytes are those a dumped tree would have. A NULL value is
 * left out, as a tree leaves out a member whose value could not be made. 0, or -1 when
 * memory ran out. */
static int member_append(struct buf *b, bool *first, const char *key, const char *value)
{
    if (!value)
        return 0;
    bool comma = !*first;
    *first = false;
    if ((comma && buf_append(b, ",", 1) < 0) || buf_append(b, "\"", 1) < 0 ||
        buf_append_str(b, key) < 0 || buf_append(b, "\":\"", 3) < 0 ||
        json_escape_append(b, value, strlen(value)) < 0 || buf_append(b, "\"", 1) < 0)
        return -1;
    return 0;
}

/* One payment's result, as the webhook log says it. */
static int result_append(struct buf *b, const struct pipeline_result *r)
{
    bool first = true;
    if (buf_append(b, "{", 1) < 0 || member_append(b, &first, "event", r->event) < 0 ||
        member_append(b, &first, "status", r->duplicate ? "duplicate" : "processed") < 0 ||
        member_append(b, &first, "action", pipeline_action_name(r->action)) < 0)
        return -1;
    if (r->external_id[0] && member_append(b, &first, "externalId", r->external_id) < 0)
        return -1;
    if (r->action != PIPELINE_ACTION_NONE) {
        char amount[MONEY_TEXT_MAX];
        money_format(&r->total_gross, amount);
        if (member_append(b, &first, "invoiceId", r->invoice_id) < 0 ||
            member_append(b, &first, "invoiceType", r->invoice_type) < 0 ||
            member_append(b, &first, "partyId", r->party_id) < 0 ||
            member_append(b, &first, "totalGross", amount) < 0 ||
            member_append(b, &first, "currency", r->total_gross.currency) < 0)
            return -1;
        if (r->journal_entry_id[0] &&
            member_append(b, &first, "journalEntryId", r->journal_entry_id) < 0)
            return -1;
    }
    if (r->detail[0] && member_append(b, &first, "detail", r->detail) < 0)
        return -1;
    return buf_append(b, "}", 1);
}

/* {<before>"status": "processed" | "duplicate", "results": [...]} into b; `before` holds
 * the members that come first (the test webhook's dry run and verification), each
 * followed by ','. */
static int booked_append(struct buf *b, const char *before, const struct pipeline_outcome *out)
{
    bool first = true;
    if (buf_append(b, "{", 1) < 0 || buf_append_str(b, before) < 0 ||
        member_append(b, &first, "status",
                      out->status == PIPELINE_DUPLICATE ? "duplicate" : "processed") < 0 ||
        buf_append_str(b, ",\"results\":[") < 0)
        return -1;
    for (size_t i = 0; i < out->n_results; i++)
        if ((i > 0 && buf_append(b, ",", 1) < 0) || result_append(b, &out->results[i]) < 0)
            return -1;
    return buf_append(b, "]}", 2);
}

/* The booked answer (booked_append) as a 200 JSON answer. */
static int respond_booked(struct http_response *res, const char *before,
                          const struct pipeline_outcome *out, struct error *err)
{
    struct buf b;
    buf_init(&b, 0);
    int rc = booked_append(&b, before, out) < 0
                 ? error_set(err, ERR_INTERNAL, "out of memory")
                 : http_respond_text(res, 200, "application/json", b.data, b.len, err);
    buf_free(&b);
    return rc;
}

/* The pipeline's outcome as an HTTP answer: 200 with the provider's acknowledgement or the
 * JSON results, else the error (with Retry-After when the install awaits its secret). */
static int respond_outcome(struct http_response *res, const struct pipeline_outcome *out,
                           struct error *err)
{
    switch (out->status) {
    case PIPELINE_PROCESSED:
    case PIPELINE_DUPLICATE:
    case PIPELINE_IGNORED:
        break;
    case PIPELINE_NOT_FOUND:
        return error_set(err, ERR_NOT_FOUND, "unknown webhook URL");
    case PIPELINE_AWAITING_SECRET:
        http_response_add_header(res, "Retry-After", WEBHOOK_AWAITING_RETRY_AFTER);
        return error_set(err, ERR_AWAITING_SECRET,
                         "this connector is waiting for its webhook secret; the webhook will "
                         "be accepted once the secret is saved");
    case PIPELINE_INVALID_SIGNATURE:
        return error_set(err, ERR_INVALID_SIGNATURE, "the webhook signature is not valid");
    case PIPELINE_INVALID_PAYLOAD:
    case PIPELINE_FAILED:
        if (out->error.code == ERR_UNAVAILABLE)
            http_response_add_header(res, "Retry-After", WEBHOOK_UNAVAILABLE_RETRY_AFTER);
        *err = out->error;
        return -1;
    case PIPELINE_WITHDRAWN:
        return error_set(err, ERR_UNAVAILABLE,
                         "the server is stopping; send the request again shortly");
    }
    const char *ack = out->provider->ack_body;
    if (ack)
        return http_respond_text(res, 200, out->provider->ack_content_type
                                               ? out->provider->ack_content_type
                                               : "text/plain",
                                 ack, strlen(ack), err);
    return respond_booked(res, "", out, err);
}

/* The pipeline's callback, on whatever thread: keeps the outcome and resumes. */
static void webhook_done(void *ctx, struct pipeline_outcome *out)
{
    struct pending_webhook *p = ctx;
    p->outcome = *out;
    if (out->deliveries > 0)
        engine_wake(p->engine); /* its deliveries are due now */
    api_parked_done(&p->parked);
}

static bool webhook_begin(void *ctx)
{
    struct pending_webhook *p = ctx;
    return api_parked_begin(&p->parked);
}

/* Once the connection is suspended: the pipeline may answer at once or after its commit. */
static void webhook_start(struct api_parked *pk)
{
    struct pending_webhook *p = (struct pending_webhook *)pk;
    pipeline_submit(&p->env, http_request_param(p->req, "provider"),
                    http_request_param(p->req, "token"), &p->wr, webhook_done, webhook_begin,
                    p);
}

static int webhook_finish(void *ctx, struct http_request *req, struct http_response *res,
                          struct error *err)
{
    struct pending_webhook *p = ctx;
    if (p->outcome.tenant_id[0])
        http_set_tenant(req, p->outcome.tenant_id);
    pipeline_settle(&p->outcome);
    return respond_outcome(res, &p->outcome, err);
}

static void webhook_destroy(struct api_parked *pk)
{
    struct pending_webhook *p = (struct pending_webhook *)pk;
    pipeline_outcome_free(&p->outcome);
    free(p->url);
    free(p);
}

int api_webhook_receive(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct pending_webhook *p = calloc(1, sizeof *p);
    if (!p)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* What a signature scheme that signs the URL ({url} of a declarative connector) signs:
     * the server's public URL and the webhook's path. */
    size_t url_len = strlen(app->public_url ? app->public_url : "") + strlen(req->path) + 1;
    if (!(p->url = malloc(url_len))) {
        free(p);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    snprintf(p->url, url_len, "%s%s", app->public_url ? app->public_url : "", req->path);
    p->parked = (struct api_parked){.start = webhook_start, .destroy = webhook_destroy};
    p->req = req;
    p->wr = (struct webhook_request){.body = req->body,
                                     .body_len = req->body_len,
                                     .header = header_of,
                                     .query = query_of,
                                     .ctx = req,
                                     .now_ms = clock_now_ms(),
                                     .url = p->url};
    p->env = (struct pipeline_env){.store = app->store,
                                   .master_key = app->master_key,
                                   .trusted_cert_prefix = app->trusted_cert_prefix,
                                   .keep_bodies = app->keep_webhook_bodies,
                                   .cache = app->webhook_cache};
    p->engine = app->engine;
    return api_parked_wait(req, &p->parked, webhook_finish);
}

/* POST /api/connectors/:slug/test-webhook: runs a synthetic signed event through the whole
 * pipeline and reports what it did, leaving the store unchanged. */
int api_webhook_test(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct pipeline_env env = {.store = app->store,
                               .master_key = app->master_key,
                               .trusted_cert_prefix = app->trusted_cert_prefix};
    struct pipeline_outcome out;
    int rc;
    if (pipeline_test(&env, req->principal->tenant_id, http_request_param(req, "slug"), &out,
                      err) < 0)
        return -1;
    if (out.status == PIPELINE_INVALID_SIGNATURE)
        rc = http_respond_json(res, 200,
                               json_pack("{s:b, s:b, s:s, s:s}", "dryRun", 1, "verified", 0,
                                         "status", "invalid_signature", "error",
                                         out.error.message),
                               err);
    else
        rc = respond_booked(res, "\"dryRun\":true,\"verified\":true,", &out, err);
    pipeline_outcome_free(&out);
    return rc;
}
