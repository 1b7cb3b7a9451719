/* api/invoicing.c - tracked time to outgoing invoices (invoicing/), admin only except where
 * said:
 *   GET  /api/settings/invoicing           the invoice profile (seller, contact, bank,
 *   PUT  /api/settings/invoicing           paymentDays, roundingMinutes, vatRate, currency)
 *   POST /api/customers                    a customer {name, email?, billing: {...}}
 *   GET  /api/customers/:id/billing        its billing details (address, VAT id, e-mail,
 *   PUT  /api/customers/:id/billing        buyerReference, defaultRate, currency)
 *   POST /api/invoices/from-time-entries   {client, from, to, rate?, groupBy} -> 201 draft
 *   POST /api/invoices/:id/finalize        a draft -> 201 the booked invoice
 *   DELETE /api/invoices/:id               a draft: deleted, its entries free again
 *   GET  /api/invoices/:id/pdf             a finalized invoice as PDF (members)
 *   GET  /api/invoices/:id/xrechnung       ... as EN 16931 CII, XRechnung 3.0 (members)
 * GET /api/invoices/:id shows a draft too (api/invoices.c hands draft ids here). "client"
 * is the customer's id. A draft's errors: 422 rate_missing with "entries" [{id, reason}],
 * 422 nothing_to_invoice, 409 conflict when a concurrent draft took an entry first; a
 * finalized invoice answers 409 invoice_finalized to DELETE and finalize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/money.h"
#include "invoicing/invoicing.h"
#include "store/books.h"

/* ---- the invoice profile ---------------------------------------------------------------- */

int api_invoice_profile_get(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    struct invoicing_profile p;
    if (invoicing_profile_load(app->store, req->principal->tenant_id, &p, err) < 0)
        return -1;
    return http_respond_json(res, 200, invoicing_profile_json(&p), err);
}

int api_invoice_profile_put(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    struct invoicing_profile p;
    json_t *fields = NULL;
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    if (invoicing_profile_from_json(body, &p, &fields, err) < 0) {
        if (fields)
            res->error_extra = json_pack("{s:o}", "fields", fields);
        goto out;
    }
    if (invoicing_profile_save(app->store, req->principal->tenant_id, &p, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, invoicing_profile_json(&p), err);
out:
    json_decref(body);
    return rc;
}

/* ---- customers' billing details ------------------------------------------------------------ */

static int billing_response(struct http_response *res, int status, const char *id,
                            const char *name, const struct invoicing_billing *b,
                            struct error *err)
{
    json_t *o = json_pack("{s:s, s:o}", "id", id, "billing", invoicing_billing_json(b));
    if (o && name)
        json_object_set_new(o, "name", json_string(name));
    return http_respond_json(res, status, o, err);
}

/* Reads billing details from `v` into out; on failure the field errors go to the answer. */
static int read_billing(const json_t *v, const char *prefix, struct invoicing_billing *out,
                        struct store_party_billing *row, struct http_response *res,
                        struct error *err)
{
    json_t *fields = json_array();
    if (!fields)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (invoicing_billing_from_json(v, prefix, out, fields) < 0) {
        res->error_extra = json_pack("{s:o}", "fields", fields);
        return error_set(err, ERR_VALIDATION, "the billing details are not valid; see fields");
    }
    json_decref(fields);
    return invoicing_billing_to_store(out, row, err);
}

int api_customer_create(struct http_request *req, struct http_response *res, struct error *err)
{
    static const char *const allowed[] = {"name", "email", "billing", NULL};
    struct app *app = req->app;
    struct invoicing_billing b;
    struct store_party_billing row;
    char id[CRYPTO_ID_MAX];
    bool bad = false;
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    const char *name = json_get_string(body, "name", &bad);
    const char *email = json_get_string(body, "email", &bad);
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    if (bad || !name || !*name || strlen(name) >= STORE_NAME_MAX ||
        (email && strlen(email) > 254)) {
        error_set(err, ERR_VALIDATION,
                  "name (at most 200 bytes) is required; email, when given, is a string of at "
                  "most 254 bytes");
        goto out;
    }
    if (read_billing(json_object_get(body, "billing"), "billing.", &b, &row, res, err) < 0 ||
        store_customer_create(app->store, req->principal->tenant_id, name, email, &row, id,
                              err) < 0)
        goto out;
    rc = billing_response(res, 201, id, name, &b, err);
out:
    json_decref(body);
    return rc;
}

int api_customer_billing_get(struct http_request *req, struct http_response *res,
                             struct error *err)
{
    struct app *app = req->app;
    struct invoicing_billing b;
    const char *id = http_request_param(req, "id");
    if (invoicing_billing_load(app->store, req->principal->tenant_id, id, &b, err) < 0)
        return -1;
    return billing_response(res, 200, id, NULL, &b, err);
}

int api_customer_billing_put(struct http_request *req, struct http_response *res,
                             struct error *err)
{
    struct app *app = req->app;
    struct invoicing_billing b;
    struct store_party_billing row;
    const char *id = http_request_param(req, "id");
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    if (read_billing(body, "", &b, &row, res, err) < 0 ||
        store_party_billing_put(app->store, req->principal->tenant_id, id, &row, err) < 0)
        goto out;
    rc = billing_response(res, 200, id, NULL, &b, err);
out:
    json_decref(body);
    return rc;
}

/* ---- drafts and invoices ------------------------------------------------------------------ */

static int respond_draft(struct app *app, struct http_response *res, int status,
                         const char *tenant_id, const char *id, struct error *err)
{
    struct store_draft d;
    if (store_draft_get(app->store, NULL, tenant_id, id, &d, err) < 0)
        return -1;
    json_t *o = invoicing_draft_json(app->store, &d, err);
    return o ? http_respond_json(res, status, o, err) : -1;
}

int api_invoice_draft_get(struct http_request *req, struct http_response *res,
                          struct error *err)
{
    struct app *app = req->app;
    return respond_draft(app, res, 200, req->principal->tenant_id,
                         http_request_param(req, "id"), err);
}

int api_invoice_from_time_entries(struct http_request *req, struct http_response *res,
                                  struct error *err)
{
    static const char *const allowed[] = {"client", "from", "to", "rate", "groupBy", NULL};
    struct app *app = req->app;
    struct store_draft d;
    json_t *problems = NULL;
    bool bad = false;
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    struct invoicing_request rq = {.tenant_id = req->principal->tenant_id};
    rq.party_id = json_get_string(body, "client", &bad);
    rq.from = json_get_string(body, "from", &bad);
    rq.to = json_get_string(body, "to", &bad);
    rq.rate = json_get_string(body, "rate", &bad);
    rq.has_rate = rq.rate != NULL;
    const char *group = json_get_string(body, "groupBy", &bad);
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    if (bad || !rq.party_id || !rq.from || !rq.to || strlen(rq.party_id) >= CRYPTO_ID_MAX ||
        (group && strcmp(group, "project") != 0 && strcmp(group, "entry") != 0)) {
        error_set(err, ERR_VALIDATION,
                  "client (a customer's id), from and to (YYYY-MM-DD) are required strings; "
                  "rate is decimal text; groupBy is \"project\" (default) or \"entry\"");
        goto out;
    }
    rq.by_entry = group && strcmp(group, "entry") == 0;
    if (invoicing_draft_create(app->store, &rq, &d, &problems, err) < 0) {
        if (problems)
            res->error_extra = json_pack("{s:o}", "entries", problems);
        goto out;
    }
    rc = respond_draft(app, res, 201, rq.tenant_id, d.id, err);
out:
    json_decref(body);
    return rc;
}

int api_invoice_finalize(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    char invoice_id[CRYPTO_ID_MAX];
    struct invoicing_document d;
    if (invoicing_finalize(app->store, tenant, http_request_param(req, "id"),
                           req->principal->token_id, invoice_id, err) < 0)
        return -1;
    engine_wake(app->engine); /* invoice.created's deliveries are due now */
    if (invoicing_document_load(app->store, tenant, invoice_id, &d, err) < 0)
        return -1;
    char net[MONEY_TEXT_MAX], tax[MONEY_TEXT_MAX], gross[MONEY_TEXT_MAX];
    struct money m = {.minor = d.doc.net_minor};
    memcpy(m.currency, d.inv.currency, sizeof m.currency);
    money_format(&m, net);
    m.minor = d.tax_minor;
    money_format(&m, tax);
    m.minor = d.inv.total_gross_minor;
    money_format(&m, gross);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                          d.inv.id, "draftId", d.doc.draft_id, "invoiceNumber",
                          d.inv.invoice_number, "invoiceDate", d.inv.invoice_date, "dueDate",
                          d.doc.due_date, "customerId", d.inv.party_id, "currency",
                          d.inv.currency, "net", net, "tax", tax, "gross", gross,
                          "journalEntryId", d.inv.journal_entry_id, "taxTreatment",
                          d.inv.tax_line.treatment);
    invoicing_document_free(&d);
    return http_respond_json(res, 201, o, err);
}

int api_invoice_delete(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *id = http_request_param(req, "id");
    const char *tenant = req->principal->tenant_id;
    if (strncmp(id, INVOICING_DRAFT_PREFIX, strlen(INVOICING_DRAFT_PREFIX)) != 0) {
        /* A booked invoice: never deleted. Another tenant's id is simply not found. */
        struct invoice inv;
        enum party_role role;
        if (store_invoice_get(app->store, tenant, id, &inv, &role, err) < 0)
            return -1;
        return error_set(err, ERR_INVOICE_FINALIZED,
                         "invoice %s is booked: a booked invoice is never changed or deleted; "
                         "correct it with a credit note",
                         id);
    }
    if (invoicing_draft_delete(app->store, tenant, id, err) < 0)
        return -1;
    return http_respond_empty(res, 204);
}

/* The finalized invoice's document, or 409 invoice_not_finalized for a draft. */
static int load_final(struct http_request *req, struct invoicing_document *d, struct error *err)
{
    struct app *app = req->app;
    const char *id = http_request_param(req, "id");
    if (strncmp(id, INVOICING_DRAFT_PREFIX, strlen(INVOICING_DRAFT_PREFIX)) == 0) {
        struct store_draft draft;
        if (store_draft_get(app->store, NULL, req->principal->tenant_id, id, &draft, err) < 0)
            return -1;
        return error_set(err, ERR_INVOICE_NOT_FINAL,
                         "%s is a draft; finalize it first (POST /api/invoices/%s/finalize)%s%s",
                         id, id, draft.invoice_id[0] ? ": it became invoice " : "",
                         draft.invoice_id);
    }
    return invoicing_document_load(app->store, req->principal->tenant_id, id, d, err);
}

static int respond_file(struct http_response *res, const char *type, const char *number,
                        const char *ext, const struct buf *b, struct error *err)
{
    char disposition[200];
    snprintf(disposition, sizeof disposition, "inline; filename=\"invoice-%.64s.%s\"", number,
             ext);
    if (http_respond_text(res, 200, type, b->data, b->len, err) < 0)
        return -1;
    if (http_response_add_header(res, "Content-Disposition", disposition) < 0)
        return error_set(err, ERR_INTERNAL, "cannot add a header");
    return 0;
}

static int render(struct http_request *req, struct http_response *res, struct error *err,
                  int (*fn)(const struct invoicing_document *, struct buf *, struct error *),
                  const char *type, const char *ext)
{
    struct invoicing_document d;
    struct buf b;
    buf_init(&b, 0);
    if (load_final(req, &d, err) < 0)
        return -1;
    int rc = fn(&d, &b, err);
    if (rc == 0)
        rc = respond_file(res, type, d.inv.invoice_number, ext, &b, err);
    buf_free(&b);
    invoicing_document_free(&d);
    return rc;
}

int api_invoice_pdf(struct http_request *req, struct http_response *res, struct error *err)
{
    return render(req, res, err, invoicing_pdf, "application/pdf", "pdf");
}

int api_invoice_xrechnung(struct http_request *req, struct http_response *res, struct error *err)
{
    return render(req, res, err, invoicing_cii, "application/xml; charset=utf-8", "xml");
}
