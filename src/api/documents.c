/* api/documents.c - the document store over HTTP (documents/documents.h):
 *   GET  /api/documents              ?status=review|confirmed &limit= &cursor=   (members)
 *   GET  /api/documents/:id          what the file is and what was read from it (members)
 *   GET  /api/documents/:id/file     the original bytes, as received (admins)
 *   POST /api/documents              ?filename=   the file as the raw body (admins)
 *   POST /api/documents/:id/confirm  {corrections}: books the draft (admins)
 * An upload is the file itself as the body, whatever its Content-Type says: the type is
 * decided by the content (PDF, PNG, JPEG, XML; else 415), so one curl --data-binary does
 * it, and no multipart parser reads outside bytes. The same file again answers 200 with
 * the existing document and "duplicate": true; a new one 201. */
#include <stdlib.h>
#include <string.h>

#include "api/listing.h"
#include "core/json.h"
#include "documents/documents.h"
#include "store/documents.h"
#include "store/store.h"

static const char *const statuses[] = {"review", "confirmed", NULL};

static json_t *document_json(const struct document_record *d)
{
    json_error_t jerr;
    json_t *reading = json_loads(d->reading ? d->reading : "{}", 0, &jerr);
    return json_pack("{s:s, s:s, s:I, s:o, s:s, s:o, s:s, s:s, s:I, s:s, s:o, s:s, s:o, s:o}",
                     "id", d->id, "mediaType", d->media_type, "size", (json_int_t)d->size_bytes,
                     "filename", listing_json_text(d->filename[0] ? d->filename : NULL),
                     "source", d->source, "sourceRef",
                     listing_json_text(d->source_ref[0] ? d->source_ref : NULL), "sha256",
                     d->sha256, "reader", d->reader, "confidence", (json_int_t)d->confidence,
                     "status", d->status, "invoiceId",
                     listing_json_text(d->invoice_id[0] ? d->invoice_id : NULL), "createdAt",
                     d->created_at, "confirmedAt",
                     listing_json_text(d->confirmed_at[0] ? d->confirmed_at : NULL), "reading",
                     reading ? reading : json_object());
}

static int add_document(void *ctx, const struct document_record *d)
{
    return listing_collect_add(ctx, document_json(d));
}

int api_documents_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    const char *status = NULL;
    if (listing_page_parse(req, "doc_", &page, err) < 0 ||
        listing_query_choice(req, "status", statuses, &status, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_document_list(app->store, req->principal->tenant_id, status, &sp, add_document,
                            &c, err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "documents", err);
}

static int respond_document(struct http_request *req, struct http_response *res, int status,
                            const char *id, json_t *extra, struct error *err)
{
    struct app *app = req->app;
    struct document_record d;
    if (store_document_get(app->store, req->principal->tenant_id, id, &d, err) < 0) {
        json_decref(extra);
        return -1;
    }
    json_t *body = document_json(&d);
    store_document_free(&d);
    if (body && extra)
        json_object_update(body, extra);
    json_decref(extra);
    return http_respond_json(res, status, body, err);
}

int api_document_get(struct http_request *req, struct http_response *res, struct error *err)
{
    return respond_document(req, res, 200, http_request_param(req, "id"), NULL, err);
}

int api_document_file(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id, *id = http_request_param(req, "id");
    struct document_record d;
    char *b64 = NULL;
    unsigned char *bytes = NULL;
    int rc = -1;
    if (store_document_get(app->store, tenant, id, &d, err) < 0)
        return -1;
    if (store_document_content(app->store, tenant, id, &b64, err) < 0)
        goto out;
    size_t n = strlen(b64);
    bytes = malloc(n / 4 * 3 + 3);
    long len = bytes ? crypto_b64_decode(b64, n, bytes, n / 4 * 3 + 3) : -1;
    if (len < 0 || len != d.size_bytes) {
        error_set(err, ERR_STORE, "document %s: stored bytes do not decode", id);
        goto out;
    }
    /* the media type as sniffed at ingest: one of four static strings */
    const char *type = document_media_type(document_sniff(bytes, (size_t)len));
    if (!type || http_respond_text(res, 200, type, (const char *)bytes, (size_t)len, err) < 0)
        goto out;
    http_response_add_header(res, "X-Content-Type-Options", "nosniff");
    http_response_add_header(res, "Content-Disposition", "attachment");
    rc = 0;
out:
    free(bytes);
    free(b64);
    store_document_free(&d);
    return rc;
}

int api_document_upload(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *filename = NULL;
    if (listing_query_text(req, "filename", 255, &filename, err) < 0)
        return -1;
    char id[CRYPTO_ID_MAX];
    bool duplicate = false;
    if (document_ingest(app->store, req->principal->tenant_id,
                        (const unsigned char *)req->body, req->body_len, "upload", filename,
                        id, &duplicate, err) < 0)
        return -1;
    return respond_document(req, res, duplicate ? 200 : 201, id,
                            json_pack("{s:b}", "duplicate", duplicate), err);
}

int api_document_confirm(struct http_request *req, struct http_response *res,
                         struct error *err)
{
    struct app *app = req->app;
    const char *id = http_request_param(req, "id");
    json_t *body = NULL;
    if (req->body_len > 0 && !(body = json_parse_body(req->body, req->body_len, err)))
        return -1;
    char invoice_id[CRYPTO_ID_MAX];
    int rc = document_confirm(app->store, req->principal->tenant_id, id, body, invoice_id, err);
    json_decref(body);
    if (rc < 0)
        return -1;
    return respond_document(req, res, 200, id, NULL, err);
}
