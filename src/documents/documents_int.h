/* documents/documents_int.h - private to documents/: the readers and the draft they fill.
 *
 * A draft is a JSON object (documents.h's document_read describes its members). Readers
 * fill it through the helpers here, which take amounts exactly as written (decimal text,
 * scaled by the currency's own decimals, never a double) and cut text on UTF-8 boundaries. */
#ifndef CONNECTORD_DOCUMENTS_INT_H
#define CONNECTORD_DOCUMENTS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "documents/documents.h"

/* Reader names, as stored and shown. */
#define READER_UBL "ubl"
#define READER_CII "cii"
#define READER_ZUGFERD "zugferd"
#define READER_EBINTERFACE "ebinterface"
#define READER_PDF_TEXT "pdf-text"
#define READER_OCR "ocr"
#define READER_NONE "none"

/* Bounds on what one document may make of a draft. */
#define DRAFT_LINES_MAX 500
#define DRAFT_TAXES_MAX 16
#define DRAFT_TEXT_MAX 4000 /* bytes of recognized text kept beside a proposal */
#define DRAFT_FIELD_MAX 200 /* bytes of a name, number or description */

/* A new draft: {"reader": reader, "confidence": confidence}. */
json_t *draft_new(const char *reader, int confidence);
/* Sets key to text (trimmed, cut to DRAFT_FIELD_MAX on a character boundary); nothing
 * when text is NULL or empty. Text that is not UTF-8 is repaired ('?'). obj may be the
 * draft or a member object. */
void draft_text(json_t *obj, const char *key, const char *text);
/* Sets key to the amount `text` (decimal, '.' separator, at most the currency's decimals)
 * normalized ("12.5" -> "12.50"), or notes the field as unreadable in the draft's
 * "problems"; nothing when text is NULL or empty. */
void draft_amount(json_t *draft, json_t *obj, const char *key, const char *text,
                  const char *currency);
/* A VAT rate in percent as written ("19", "19.00", "5.5") as a trimmed decimal ("19",
 * "5.5"); false when it is not one (0..100, at most two decimals). */
bool draft_rate(const char *text, char out[16]);
/* A date as YYYY-MM-DD from "YYYY-MM-DD" or CII's format 102 ("YYYYMMDD"); false when it
 * is not a real day. */
bool draft_date(const char *text, char out[11]);
/* Appends a note to the draft's "problems" list. */
void draft_problem(json_t *draft, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The member object key of obj, made when missing. */
json_t *draft_object(json_t *obj, const char *key);
/* The member array key of obj, made when missing. */
json_t *draft_array(json_t *obj, const char *key);

/* Structured e-invoices (einvoice.c): a draft from UBL, CII or ebInterface XML, or NULL
 * when the XML is none of them (or not well-formed). reader names what the caller found
 * it in (NULL: decided by the root element; READER_ZUGFERD for a PDF's attachment). */
json_t *einvoice_read(const unsigned char *xml, size_t len, const char *reader);

/* PDFs (pdf.c): the embedded e-invoice of a ZUGFeRD / Factur-X / XRechnung PDF (NULL when
 * none), the text layer (malloc'd, NULL when the PDF has no text), and its pages rendered
 * as 300 dpi grey PNG images for OCR (*pngs malloc'd array of malloc'd buffers). */
json_t *pdf_embedded_einvoice(const unsigned char *pdf, size_t len);
char *pdf_text(const unsigned char *pdf, size_t len, bool *readable);
#define PDF_OCR_PAGES_MAX 3
int pdf_render_pages(const unsigned char *pdf, size_t len, unsigned char **pngs,
                     size_t *png_lens, size_t *n, struct error *err);

/* OCR (ocr.c): the text Tesseract recognizes in an image (PNG or JPEG bytes), malloc'd,
 * and its mean confidence (0..100). */
int ocr_image(const unsigned char *img, size_t len, char **text, int *confidence,
              struct error *err);

/* Receipts and invoices as text (receipt.c): proposes supplier, VAT id, number, date,
 * total, VAT amount and rate from recognized or extracted text, into draft. */
void receipt_propose(json_t *draft, const char *text);

#endif
