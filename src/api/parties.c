/* api/parties.c - the suppliers and customers the pipeline matched or created; members may
 * read, newest first, with limit/cursor paging:
 *   GET /api/suppliers  -> {"suppliers": [...], "nextCursor": "..." | null}
 *   GET /api/customers  -> {"customers": [...], "nextCursor": "..." | null} */
#include "api/listing.h"
#include "store/books.h"
#include "store/store.h"

static int add_party(void *ctx, const struct party_record *p)
{
    json_t *o = json_object();
    int rc = !o;
    if (o) {
        rc |= json_object_set_new(o, "id", json_string(p->id));
        rc |= json_object_set_new(o, "name", listing_json_text(p->name));
        rc |= json_object_set_new(o, "email", listing_json_text(p->email));
        rc |= json_object_set_new(o, "provider", listing_json_text(p->provider));
        rc |= json_object_set_new(o, "providerRef", listing_json_text(p->provider_ref));
        rc |= json_object_set_new(o, "createdAt", json_string(p->created_at));
    }
    if (rc) {
        json_decref(o);
        o = NULL;
    }
    return listing_collect_add(ctx, o);
}

static int list_parties(struct http_request *req, struct http_response *res, struct error *err,
                        enum party_role role)
{
    struct app *app = req->app;
    struct listing_page page;
    if (listing_page_parse(req, role == PARTY_CUSTOMER ? "cus_" : "sup_", &page, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_party_list(app->store, req->principal->tenant_id, role, &sp, add_party, &c,
                         err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, role == PARTY_CUSTOMER ? "customers" : "suppliers",
                                   err);
}

int api_suppliers_list(struct http_request *req, struct http_response *res, struct error *err)
{
    return list_parties(req, res, err, PARTY_SUPPLIER);
}

int api_customers_list(struct http_request *req, struct http_response *res, struct error *err)
{
    return list_parties(req, res, err, PARTY_CUSTOMER);
}
