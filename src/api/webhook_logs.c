/* api/webhook_logs.c - GET /api/connectors/:slug/webhook-logs (admin): every webhook the
 * connector received, newest first, in seed 002's shape: a JSON array of {id, provider,
 * event, status, externalId, receivedAt, processedAt}, with "action" beside the status (what a
 * processed webhook did to the books: booked, credit_note, or none), plus "error" for failures and
 * "detail" when the pipeline noted one. ?status= keeps one status; ?limit= and ?cursor= page,
 * and because the body is a bare array the next page's cursor travels in the X-Next-Cursor
 * header (absent on the last page). Raw bodies and signature headers are never shown. */
#include "api/connector_common.h"
#include "api/listing.h"
#include "catalog/catalog.h"
#include "core/utf8.h"
#include "store/books.h"
#include "store/store.h"

static const char *const log_statuses[] = {"processed", "duplicate", "failed",
                                           "invalid_signature", NULL};

static int add_log(void *ctx, const struct webhook_log_record *rec)
{
    json_t *o = json_object();
    int rc = !o;
    if (o) {
        rc |= json_object_set_new(o, "id", json_string(rec->id));
        rc |= json_object_set_new(o, "provider", listing_json_text(rec->provider));
        rc |= json_object_set_new(o, "event", listing_json_text(rec->event));
        rc |= json_object_set_new(o, "status", listing_json_text(rec->status));
        rc |= json_object_set_new(o, "action", listing_json_text(rec->action));
        rc |= json_object_set_new(o, "externalId", listing_json_text(rec->external_id));
        rc |= json_object_set_new(o, "receivedAt", json_string(rec->received_at));
        rc |= json_object_set_new(o, "processedAt", json_string(rec->processed_at));
        if (rec->error)
            rc |= json_object_set_new(o, "error", listing_json_text(rec->error));
        if (rec->detail)
            rc |= json_object_set_new(o, "detail", listing_json_text(rec->detail));
    }
    if (rc) {
        json_decref(o);
        o = NULL;
    }
    return listing_collect_add(ctx, o);
}

int api_webhook_logs_list(struct http_request *req, struct http_response *res,
                          struct error *err)
{
    struct app *app = req->app;
    const char *slug = http_request_param(req, "slug");
    struct connector_ref ref;
    if (connector_resolve(app, slug, &ref, err) < 0 && err->code != ERR_NOT_FOUND)
        return -1;
    bool receives = ref.m && catalog_kind_has_webhook(ref.m->kind);
    connector_ref_clear(&ref);
    if (!receives)
        return error_set(err, ERR_NOT_FOUND, "no connector '%.*s' that receives webhooks",
                         UTF8_CUT(48, slug));
    struct listing_page page;
    const char *status;
    if (listing_page_parse(req, "whl_", &page, err) < 0 ||
        listing_query_choice(req, "status", log_statuses, &status, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_webhook_log_list(app->store, req->principal->tenant_id, slug, status, &sp,
                               add_log, &c, err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, NULL, err);
}
