/* documents/documents.h - the document store: files a tenant receives (uploads, Gmail
 * attachments, receipts sent to the chat assistant) kept byte for byte, and what was read
 * from them as a draft incoming invoice that a person confirms.
 *
 * A document is identified by the SHA-256 of its bytes per tenant (the same file twice is one
 * document), its type is decided by its content (PDF, PNG, JPEG, XML; never by its name), and
 * its size is bounded by DOCUMENT_MAX_BYTES. On ingest it is read once, by the most trusted
 * reader that understands it:
 *   1. a structured e-invoice: XRechnung / EN 16931 in UBL or in CII, ZUGFeRD / Factur-X
 *      (the CII XML embedded in a PDF/A-3), ebInterface (Austria): every figure exactly;
 *   2. a PDF with a text layer (poppler): total, date, VAT, number and supplier proposed;
 *   3. an image or a PDF without text (Tesseract OCR, German and English): the same,
 *      proposed with the recognizer's confidence.
 * The bytes are stored as base64 TEXT in the store (store/documents.h): the same column on
 * SQLite and PostgreSQL, inside the store's transactions and backups, and in the tenant's
 * archive; a 10 MB cap keeps that reasonable.
 *
 * Nothing is booked until document_confirm(): the draft (with a person's corrections)
 * becomes an incoming invoice (eingangsrechnung) through the books' own insert, unique per
 * (tenant, "document", document id), with the supplier matched by VAT id, then by name.
 *
 * Every function is thread-safe. OCR runs one at a time per process (about 125 MB and a
 * second or two each). */
#ifndef CONNECTORD_DOCUMENTS_H
#define CONNECTORD_DOCUMENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "crypto/crypto.h"

struct store;

#define DOCUMENT_MAX_BYTES (10u << 20)

enum document_type { DOCUMENT_UNKNOWN, DOCUMENT_PDF, DOCUMENT_PNG, DOCUMENT_JPEG, DOCUMENT_XML };

/* The type of the bytes by their content: magic numbers for PDF, PNG and JPEG, and for XML
 * a document that starts (after an optional UTF-8 BOM and white space) with "<?xml" or an
 * element. Pure; never reads past len. */
enum document_type document_sniff(const unsigned char *bytes, size_t len);
/* "application/pdf", "image/png", "image/jpeg", "application/xml"; NULL for UNKNOWN. */
const char *document_media_type(enum document_type t);

/* Stores a file the tenant received and reads it into a draft. source names the channel
 * ("upload", "gmail", "whatsapp", "telegram", "slack": a slug), filename is the name it came
 * with (may be NULL; cut to 255 bytes of UTF-8). out_id receives the document's id, which is
 * the existing one when the tenant has this file already (*duplicate true, nothing written).
 * A file the readers cannot understand is still stored, with reader "none", for a person to
 * type in. Errors: ERR_PAYLOAD_TOO_LARGE (over DOCUMENT_MAX_BYTES), ERR_UNSUPPORTED_MEDIA
 * (not PDF, PNG, JPEG or XML by content), ERR_VALIDATION (empty, bad source), ERR_STORE. */
int document_ingest(struct store *s, const char *tenant_id, const unsigned char *bytes,
                    size_t len, const char *source, const char *filename,
                    char out_id[CRYPTO_ID_MAX], bool *duplicate, struct error *err);
/* The same, with the channel's own reference for the file (a Gmail message and attachment
 * id), kept with the document; source_ref may be NULL. */
int document_ingest_ref(struct store *s, const char *tenant_id, const unsigned char *bytes,
                        size_t len, const char *source, const char *source_ref,
                        const char *filename, char out_id[CRYPTO_ID_MAX], bool *duplicate,
                        struct error *err);

/* What a reader made of a file, as the API shows it (new reference): the reader's name, a
 * confidence 0..100 and the draft's fields (supplier {name, vatId}, invoiceNumber,
 * invoiceDate, dueDate, currency, lines[], taxes[], totals {net, tax, gross}; amounts as
 * decimal strings). For tests and tools that read without storing (fuzzing, the CLI). */
json_t *document_read(const unsigned char *bytes, size_t len, struct error *err);

/* Books the document's draft as an incoming invoice, once. corrections (may be NULL) is a
 * JSON object overriding the draft's fields: supplierName, vatId, invoiceNumber,
 * invoiceDate, currency, totalGross, taxAmount, taxRate. What is booked must have a
 * supplier name, a date, a currency and a gross total (ERR_VALIDATION naming what is
 * missing). invoice_id_out receives the invoice. ERR_NOT_FOUND (also another tenant's id),
 * ERR_CONFLICT (confirmed already), ERR_INVALID_FIELD (a correction of the wrong shape). */
int document_confirm(struct store *s, const char *tenant_id, const char *document_id,
                     const json_t *corrections, char invoice_id_out[CRYPTO_ID_MAX],
                     struct error *err);

#endif
