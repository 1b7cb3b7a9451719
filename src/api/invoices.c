/* api/invoices.c - what the pipeline booked, as seed 002 shows an invoice; members may read:
 *   GET /api/invoices      ?source= &supplier= &customer= &type= &from= &to= &posted=
 *                          &fx=missing &limit= &cursor=
 *   GET /api/invoices/:id
 * and admins post one that waits for review (autoPost off):
 *   POST /api/invoices/:id/post
 * Until it is posted an invoice has no journal entry, so it is in no DATEV export and no
 * VAT return; "posted" says which it is.
 * The counterpart is "supplierId" or "customerId" by the party's role, so a credit note
 * names the same side as the invoice it corrects. Amounts are decimal strings in the
 * currency's own decimals. Another tenant's id is simply not found.
 * "fx" is the invoice in the book currency (EUR): its amount, rate and where the rate came
 * from; an invoice in another currency without a rate says {"missing": true}, is listed by
 * ?fx=missing and waits unposted until `connectord rates import` rates (and posts) it. */
#include <stdio.h>
#include <string.h>

#include "api/listing.h"
#include "invoicing/invoicing.h"
#include "ledger/ledger.h"
#include "pipeline/pipeline.h"
#include "store/books.h"
#include "store/store.h"

static const char *const invoice_types[] = {"eingangsrechnung", "ausgangsrechnung", "gutschrift",
                                            NULL};
static const char *const posted_values[] = {"true", "false", NULL};
static const char *const fx_values[] = {"missing", NULL};

/* The invoice's lines with their tax treatment (one line per invoice today); an invoice
 * from before treatments has an empty list. */
static json_t *text_or_null(const char *s)
{
    return s[0] ? listing_json_text(s) : json_null();
}

static json_t *tax_lines_json(const struct invoice *inv)
{
    const struct invoice_tax_line *t = &inv->tax_line;
    json_t *list = json_array();
    if (!list || !t->treatment[0])
        return list;
    char rate[16] = "";
    if (t->rate_bp >= 0)
        snprintf(rate, sizeof rate, "%d.%02d", t->rate_bp / 100, t->rate_bp % 100);
    json_t *line = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "amount",
                             listing_json_money(inv->total_gross_minor, inv->currency),
                             "taxTreatment", t->treatment, "taxCountry",
                             text_or_null(t->country), "taxRate",
                             rate[0] ? json_string(rate) : json_null(), "vatId",
                             text_or_null(t->vat_id), "taxNote", text_or_null(t->note));
    if (!line || json_array_append_new(list, line) < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static json_t *invoice_json(const struct invoice *inv, enum party_role role)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= json_object_set_new(o, "id", json_string(inv->id));
    rc |= json_object_set_new(o, "type", json_string(inv->type));
    rc |= json_object_set_new(o, role == PARTY_CUSTOMER ? "customerId" : "supplierId",
                              json_string(inv->party_id));
    rc |= json_object_set_new(o, "invoiceNumber", listing_json_text(inv->invoice_number));
    rc |= json_object_set_new(o, "invoiceDate", json_string(inv->invoice_date));
    rc |= json_object_set_new(o, "totalGross",
                              listing_json_money(inv->total_gross_minor, inv->currency));
    rc |= json_object_set_new(o, "currency", json_string(inv->currency));
    rc |= json_object_set_new(o, "source", listing_json_text(inv->source));
    rc |= json_object_set_new(o, "externalId", listing_json_text(inv->external_id));
    if (inv->related_invoice_id[0])
        rc |= json_object_set_new(o, "relatedInvoiceId", json_string(inv->related_invoice_id));
    rc |= json_object_set_new(o, "journalEntryId",
                              inv->journal_entry_id[0] ? json_string(inv->journal_entry_id)
                                                       : json_null());
    rc |= json_object_set_new(o, "totalTax", inv->has_tax ? listing_json_money(inv->tax_minor,
                                                                              inv->currency)
                                                         : json_null());
    rc |= json_object_set_new(o, "lines", tax_lines_json(inv));
    rc |= json_object_set_new(o, "posted", json_boolean(inv->journal_entry_id[0]));
    rc |= json_object_set_new(o, "fx", ledger_fx_json(inv));
    rc |= json_object_set_new(o, "createdAt", json_string(inv->created_at));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int add_invoice(void *ctx, const struct invoice *inv, enum party_role role)
{
    return listing_collect_add(ctx, invoice_json(inv, role));
}

int api_invoices_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    struct invoice_filter f = {0};
    if (listing_page_parse(req, "inv_", &page, err) < 0 ||
        listing_query_text(req, "source", STORE_SLUG_MAX - 1, &f.source, err) < 0 ||
        listing_query_text(req, "supplier", CRYPTO_ID_MAX - 1, &f.supplier_id, err) < 0 ||
        listing_query_text(req, "customer", CRYPTO_ID_MAX - 1, &f.customer_id, err) < 0 ||
        listing_query_choice(req, "type", invoice_types, &f.type, err) < 0 ||
        listing_query_range(req, &f.from, &f.to, err) < 0 ||
        listing_query_choice(req, "posted", posted_values, &f.posted, err) < 0 ||
        listing_query_choice(req, "fx", fx_values, &f.fx, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_invoice_list(app->store, req->principal->tenant_id, &f, &sp, add_invoice, &c,
                           err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "invoices", err);
}

int api_invoice_get(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct invoice inv;
    enum party_role role;
    /* A draft made from time entries is not booked yet: api/invoicing.c shows it. */
    if (strncmp(http_request_param(req, "id"), INVOICING_DRAFT_PREFIX,
                strlen(INVOICING_DRAFT_PREFIX)) == 0)
        return api_invoice_draft_get(req, res, err);
    if (store_invoice_get(app->store, req->principal->tenant_id, http_request_param(req, "id"),
                          &inv, &role, err) < 0)
        return -1;
    return http_respond_json(res, 200, invoice_json(&inv, role), err);
}

int api_invoice_post(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    const char *id = http_request_param(req, "id");
    struct pipeline_env env = {.store = app->store,
                               .master_key = app->master_key,
                               .trusted_cert_prefix = app->trusted_cert_prefix};
    struct invoice inv;
    enum party_role role;
    if (pipeline_post_invoice(&env, tenant, id, err) < 0 ||
        store_invoice_get(app->store, tenant, id, &inv, &role, err) < 0)
        return -1;
    return http_respond_json(res, 200, invoice_json(&inv, role), err);
}
