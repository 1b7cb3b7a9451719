/* api/audit.c - GET /api/audit-log (admin): who changed which connector when, newest first,
 * paged like every listing (?limit=, ?cursor=; api/listing.h). Records name the changed
 * keys, never their values. */
#include "api/listing.h"
#include "store/installs.h"
#include "store/store.h"

static int add_record(void *ctx, const struct audit_record *rec)
{
    json_t *fields = json_loads(rec->fields, 0, NULL);
    return listing_collect_add(ctx, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "id", rec->id,
                                         "action", rec->action, "target", rec->target,
                                         "fields", fields ? fields : json_array(), "tokenId",
                                         rec->token_id, "createdAt", rec->created_at));
}

int api_audit_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    if (listing_page_parse(req, "aud_", &page, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_audit_list(app->store, req->principal->tenant_id, &sp, add_record, &c, err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "entries", err);
}
