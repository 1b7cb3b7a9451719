/* documents/ingest.c - a file into the document store: bounded, typed by content, hashed,
 * read by the most trusted reader that understands it, stored once per tenant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/utf8.h"
#include "documents/documents_int.h"
#include "store/documents.h"

/* The recognized text beside a proposal, so a person sees what the figures came from. */
static void keep_text(json_t *draft, const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return;
    utf8_repair(copy);
    copy[utf8_cut(copy, DRAFT_TEXT_MAX)] = '\0';
    json_object_set_new(draft, "text", json_string(copy));
    free(copy);
}

static json_t *from_text(const char *reader, int confidence, const char *text)
{
    json_t *draft = draft_new(reader, confidence);
    if (draft) {
        receipt_propose(draft, text);
        keep_text(draft, text);
    }
    return draft;
}

static json_t *unread(const char *why)
{
    json_t *draft = draft_new(READER_NONE, 0);
    if (draft)
        draft_problem(draft, "%s", why);
    return draft;
}

static json_t *read_image(const unsigned char *bytes, size_t len)
{
    char *text = NULL;
    int confidence = 0;
    struct error e;
    if (ocr_image(bytes, len, &text, &confidence, &e) < 0)
        return unread(e.message);
    json_t *draft = from_text(READER_OCR, confidence, text);
    free(text);
    return draft;
}

/* A PDF without text: its first pages rendered and recognized, the confidence their mean. */
static json_t *read_scanned_pdf(const unsigned char *bytes, size_t len)
{
    unsigned char *pngs[PDF_OCR_PAGES_MAX];
    size_t lens[PDF_OCR_PAGES_MAX], n = 0;
    struct error e;
    if (pdf_render_pages(bytes, len, pngs, lens, &n, &e) < 0)
        return unread(e.message);
    struct buf all;
    buf_init(&all, 1u << 20);
    int conf_sum = 0, pages = 0;
    for (size_t i = 0; i < n; i++) {
        char *text = NULL;
        int confidence = 0;
        if (ocr_image(pngs[i], lens[i], &text, &confidence, &e) == 0) {
            buf_append_str(&all, text);
            buf_append_str(&all, "\n");
            conf_sum += confidence, pages++;
        }
        free(text);
        free(pngs[i]);
    }
    json_t *draft = pages ? from_text(READER_OCR, conf_sum / pages, all.data ? all.data : "")
                          : unread("no page of the PDF could be recognized");
    buf_free(&all);
    return draft;
}

static json_t *read_pdf(const unsigned char *bytes, size_t len)
{
    json_t *draft = pdf_embedded_einvoice(bytes, len);
    if (draft)
        return draft;
    bool readable;
    char *text = pdf_text(bytes, len, &readable);
    if (!readable)
        return unread("the PDF cannot be opened");
    if (text) {
        /* a text layer is what the issuer wrote: exact characters, figures still proposed */
        draft = from_text(READER_PDF_TEXT, 90, text);
        free(text);
        return draft;
    }
    return read_scanned_pdf(bytes, len);
}

static json_t *read_typed(enum document_type type, const unsigned char *bytes, size_t len)
{
    json_t *draft = NULL;
    switch (type) {
    case DOCUMENT_XML:
        draft = einvoice_read(bytes, len, NULL);
        return draft ? draft : unread("the XML is not an e-invoice in UBL, CII or ebInterface");
    case DOCUMENT_PDF: return read_pdf(bytes, len);
    case DOCUMENT_PNG:
    case DOCUMENT_JPEG: return read_image(bytes, len);
    case DOCUMENT_UNKNOWN: break;
    }
    return unread("the file's type is not known");
}

json_t *document_read(const unsigned char *bytes, size_t len, struct error *err)
{
    if (len == 0 || !bytes) {
        error_set(err, ERR_VALIDATION, "the file is empty");
        return NULL;
    }
    if (len > DOCUMENT_MAX_BYTES) {
        error_set(err, ERR_PAYLOAD_TOO_LARGE, "a document may have at most %u bytes",
                  DOCUMENT_MAX_BYTES);
        return NULL;
    }
    enum document_type type = document_sniff(bytes, len);
    if (type == DOCUMENT_UNKNOWN) {
        error_set(err, ERR_UNSUPPORTED_MEDIA,
                  "a document must be a PDF, PNG, JPEG or XML file (by its content)");
        return NULL;
    }
    json_t *draft = read_typed(type, bytes, len);
    if (!draft)
        error_set(err, ERR_INTERNAL, "out of memory");
    return draft;
}

static bool valid_source(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= STORE_SLUG_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

int document_ingest_ref(struct store *s, const char *tenant_id, const unsigned char *bytes,
                        size_t len, const char *source, const char *source_ref,
                        const char *filename, char out_id[CRYPTO_ID_MAX], bool *duplicate,
                        struct error *err)
{
    *duplicate = false;
    out_id[0] = '\0';
    if (!valid_source(source))
        return error_set(err, ERR_VALIDATION, "a document's source is a lowercase slug");
    struct document_record rec = {0};
    unsigned char digest[CRYPTO_SHA256_LEN];
    crypto_sha256(bytes ? bytes : (const unsigned char *)"", bytes ? len : 0, digest);
    crypto_hex(digest, sizeof digest, rec.sha256);
    /* a file received before is not read again (OCR takes seconds) */
    if (len > 0 && len <= DOCUMENT_MAX_BYTES && document_sniff(bytes, len) != DOCUMENT_UNKNOWN) {
        if (store_document_find_sha(s, tenant_id, rec.sha256, out_id, duplicate, err) < 0)
            return -1;
        if (*duplicate)
            return 0;
    }
    json_t *draft = document_read(bytes, len, err);
    if (!draft)
        return -1;
    int rc = -1;
    char *reading = NULL, *b64 = malloc(4 * ((len + 2) / 3) + 1);
    snprintf(rec.media_type, sizeof rec.media_type, "%s",
             document_media_type(document_sniff(bytes, len)));
    rec.size_bytes = (int64_t)len;
    utf8_copy(rec.filename, sizeof rec.filename, filename);
    utf8_repair(rec.filename);
    snprintf(rec.source, sizeof rec.source, "%s", source);
    utf8_copy(rec.source_ref, sizeof rec.source_ref, source_ref);
    utf8_repair(rec.source_ref);
    snprintf(rec.reader, sizeof rec.reader, "%s",
             json_string_value(json_object_get(draft, "reader")));
    rec.confidence = json_integer_value(json_object_get(draft, "confidence"));
    reading = json_dumps(draft, JSON_COMPACT);
    if (!reading || !b64) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rec.reading = reading;
    crypto_b64(bytes, len, b64);
    if (store_document_insert(s, tenant_id, &rec, b64, duplicate, err) < 0)
        goto out;
    snprintf(out_id, CRYPTO_ID_MAX, "%s", rec.id);
    log_info("document %s of tenant %s from %s: %s, reader %s%s", rec.id, tenant_id, source,
             rec.media_type, rec.reader, *duplicate ? " (duplicate)" : "");
    rc = 0;
out:
    free(b64);
    free(reading);
    json_decref(draft);
    return rc;
}

int document_ingest(struct store *s, const char *tenant_id, const unsigned char *bytes,
                    size_t len, const char *source, const char *filename,
                    char out_id[CRYPTO_ID_MAX], bool *duplicate, struct error *err)
{
    return document_ingest_ref(s, tenant_id, bytes, len, source, NULL, filename, out_id,
                               duplicate, err);
}
