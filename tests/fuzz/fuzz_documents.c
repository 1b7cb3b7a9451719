/* tests/fuzz/fuzz_documents.c - what documents/ reads from a file: the type sniffing
 * (document_sniff), the structured e-invoice readers over libxml2 (einvoice_read: UBL, CII,
 * ebInterface) and the proposal from a receipt's text (receipt_propose).
 *
 * Input: any file. Seeds: the e-invoices the end-to-end tests build and receipt texts
 * (tests/fuzz/corpus/documents). Promises: sniffing names a media type exactly for the four
 * known types; a draft (from XML or text) is a JSON object whose amounts are decimal
 * strings in the currency's decimals, whose dates are real YYYY-MM-DD days, whose rates are
 * percentages from 0 to 100, with at most DRAFT_LINES_MAX lines and DRAFT_TAXES_MAX taxes,
 * and whose names stay within DRAFT_FIELD_MAX bytes. OCR and poppler are not run here:
 * they are libraries of their own, fuzzed upstream. */
#include "fuzz.h"
#include "core/money.h"
#include "documents/documents_int.h"

static void amount_ok(const json_t *obj, const char *key, const char *currency)
{
    const char *a = json_string_value(json_object_get(obj, key));
    if (!json_object_get(obj, key))
        return;
    struct money m;
    struct error e;
    must(a && currency && money_parse_decimal(a, strlen(a), currency, &m, &e) == 0);
    char back[MONEY_TEXT_MAX];
    money_format(&m, back);
    must(strcmp(back, a) == 0); /* normalized: the currency's own decimals */
}

static void rate_ok(const json_t *obj, const char *key)
{
    const char *r = json_string_value(json_object_get(obj, key));
    if (!json_object_get(obj, key))
        return;
    char again[16];
    must(r && draft_rate(r, again) && strcmp(again, r) == 0);
}

static void date_ok(const json_t *draft, const char *key)
{
    const char *d = json_string_value(json_object_get(draft, key));
    if (!json_object_get(draft, key))
        return;
    char again[11];
    must(d && strlen(d) == 10 && draft_date(d, again) && strcmp(again, d) == 0);
}

static void text_ok(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (v)
        must(json_is_string(v) && json_string_length(v) <= DRAFT_FIELD_MAX);
}

static void draft_ok(const json_t *draft)
{
    must(json_is_object(draft));
    const char *currency = json_string_value(json_object_get(draft, "currency"));
    if (currency)
        must(money_currency_decimals(currency) >= 0);
    const json_t *supplier = json_object_get(draft, "supplier");
    text_ok(supplier, "name");
    text_ok(supplier, "vatId");
    text_ok(draft, "invoiceNumber");
    date_ok(draft, "invoiceDate");
    date_ok(draft, "dueDate");
    const json_t *totals = json_object_get(draft, "totals");
    const char *keys[] = {"net", "tax", "gross", "payable"};
    for (size_t i = 0; i < 4; i++)
        amount_ok(totals, keys[i], currency);
    const json_t *lines = json_object_get(draft, "lines");
    must(json_array_size(lines) <= DRAFT_LINES_MAX);
    size_t i;
    const json_t *x;
    json_array_foreach(lines, i, x) {
        amount_ok(x, "netAmount", currency);
        rate_ok(x, "taxRate");
        text_ok(x, "description");
    }
    const json_t *taxes = json_object_get(draft, "taxes");
    must(json_array_size(taxes) <= DRAFT_TAXES_MAX);
    json_array_foreach(taxes, i, x) {
        amount_ok(x, "taxableAmount", currency);
        amount_ok(x, "taxAmount", currency);
        rate_ok(x, "taxRate");
        rate_ok(x, "rate");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    enum document_type t = document_sniff(data, size);
    must((t == DOCUMENT_UNKNOWN) == (document_media_type(t) == NULL));
    json_t *draft = einvoice_read(data, size, NULL);
    if (draft) {
        must(t == DOCUMENT_XML);
        must(json_integer_value(json_object_get(draft, "confidence")) == 100);
        draft_ok(draft);
        json_decref(draft);
    }
    char *text = fuzz_text_copy(data, size);
    if (text) {
        json_t *proposal = draft_new(READER_PDF_TEXT, 90);
        receipt_propose(proposal, text);
        draft_ok(proposal);
        json_decref(proposal);
        free(text);
    }
    return 0;
}
