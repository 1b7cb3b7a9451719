/* api/parties.c - the suppliers and customers the pipeline matched or created; members may
 * read, newest first, with limit/cursor paging:
 *   GET /api/suppliers  -> {"suppliers": [...], "nextCursor": "..." | null}
 *   GET /api/customers  -> {"customers": [...], "nextCursor": "..." | null} */
#include <stdio.h>
#include <string.h>

#include "api/listing.h"
#include "store/books.h"
#include "store/store.h"

struct party_page {
    json_t *list;
    int limit;
    int count;
    bool more;
    bool failed;
    char last_id[CRYPTO_ID_MAX];
};

static int add_party(void *ctx, const struct party_record *p)
{
    struct party_page *pg = ctx;
    if (pg->count == pg->limit) {
        pg->more = true;
        return 1;
    }
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
    if (rc || json_array_append_new(pg->list, o) < 0) {
        pg->failed = true;
        return 1;
    }
    pg->count++;
    snprintf(pg->last_id, sizeof pg->last_id, "%s", p->id);
    return 0;
}

static int list_parties(struct http_request *req, struct http_response *res, struct error *err,
                        enum party_role role)
{
    struct app *app = req->app;
    struct listing_page page;
    if (listing_page_parse(req, role == PARTY_CUSTOMER ? "cus_" : "sup_", &page, err) < 0)
        return -1;
    struct party_page pg = {.list = json_array(), .limit = page.limit};
    if (!pg.list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct store_page sp = listing_store_page(&page);
    if (store_party_list(app->store, req->principal->tenant_id, role, &sp, add_party, &pg,
                         err) < 0) {
        json_decref(pg.list);
        return -1;
    }
    if (pg.failed) {
        json_decref(pg.list);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return listing_respond(res, role == PARTY_CUSTOMER ? "customers" : "suppliers", pg.list,
                           pg.more ? pg.last_id : NULL, err);
}

int api_suppliers_list(struct http_request *req, struct http_response *res, struct error *err)
{
    return list_parties(req, res, err, PARTY_SUPPLIER);
}

int api_customers_list(struct http_request *req, struct http_response *res, struct error *err)
{
    return list_parties(req, res, err, PARTY_CUSTOMER);
}
