/* tests/fuzz/fuzz_invoicing.c - what an admin sends for invoices (src/invoicing/profile.c):
 * the invoice profile (PUT /api/settings/invoicing: invoicing_profile_from_json), a
 * customer's billing details (POST /api/customers, PUT /api/customers/:id/billing:
 * invoicing_billing_from_json), and the party snapshots read back from the store
 * (invoicing_party_from_json_text); then the e-invoice writer (invoicing_cii) over an
 * invoice whose parties and line text come from the input. The input is the request body,
 * parsed as the API does (json_parse_body).
 *
 * Promises: a refusal is a non-empty array of {field, code, message}; what is accepted has
 * no control characters, a rounding of 0, 6 or 15, and shows as JSON that reads back to the
 * same; a snapshot reads back to what was written; the XML has no control characters and
 * every '<' of the input text is escaped (the element count does not change with the input).
 * Seeds: the bodies the end-to-end tests send. */
#include "fuzz.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/utf8.h"
#include "invoicing/invoicing.h"

static void check_field_errors(const json_t *errors)
{
    must(json_is_array(errors) && json_array_size(errors) > 0);
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        must(json_is_string(json_object_get(e, "field")));
        must(json_is_string(json_object_get(e, "code")));
        must(valid_utf8(json_string_value(json_object_get(e, "message"))));
    }
}

static bool plain(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static void fuzz_profile(const json_t *body)
{
    struct invoicing_profile p, again;
    json_t *errors = NULL;
    struct error err = {0};
    if (invoicing_profile_from_json(body, &p, &errors, &err) < 0) {
        must(err.code == ERR_VALIDATION);
        check_field_errors(errors);
        json_decref(errors);
        return;
    }
    must(p.rounding == 0 || p.rounding == 6 || p.rounding == 15);
    must(p.payment_days >= 0 && p.payment_days <= 365);
    must(p.vat_rate_bp >= -1 && p.vat_rate_bp < 10000);
    must(plain(p.seller_name) && plain(p.street) && plain(p.city) && plain(p.email));
    json_t *shown = invoicing_profile_json(&p);
    must(shown != NULL);
    must(invoicing_profile_from_json(shown, &again, &errors, &err) == 0);
    must(memcmp(&p, &again, sizeof p) == 0);
    json_decref(shown);
}

/* An invoice of one line whose parties and text come from the input, written as CII. */
static void fuzz_cii(const struct invoicing_billing *b, const char *text)
{
    struct invoicing_document d;
    memset(&d, 0, sizeof d);
    struct store_draft_line line = {.line_no = 1, .minutes = 90, .rate_minor = 8000,
                                    .net_minor = 12000};
    if (!*text)
        text = "y"; /* an empty name leaves its element out: compare like with like */
    utf8_copy(line.description, sizeof line.description, text);
    d.lines = &line;
    d.n_lines = 1;
    snprintf(d.inv.invoice_number, sizeof d.inv.invoice_number, "2026-00001");
    snprintf(d.inv.invoice_date, sizeof d.inv.invoice_date, "2026-03-31");
    snprintf(d.inv.currency, sizeof d.inv.currency, "%s", b->currency);
    snprintf(d.inv.party_id, sizeof d.inv.party_id, "cus_fuzz");
    snprintf(d.inv.tax_line.treatment, sizeof d.inv.tax_line.treatment, "domestic");
    d.inv.tax_line.rate_bp = 2000;
    d.inv.total_gross_minor = 14400;
    d.tax_minor = 2400;
    d.doc.net_minor = 12000;
    snprintf(d.doc.period_from, sizeof d.doc.period_from, "2026-03-01");
    snprintf(d.doc.period_to, sizeof d.doc.period_to, "2026-03-31");
    snprintf(d.doc.due_date, sizeof d.doc.due_date, "2026-04-14");
    utf8_copy(d.buyer.name, sizeof d.buyer.name, text);
    snprintf(d.buyer.street, sizeof d.buyer.street, "%s", b->street);
    snprintf(d.buyer.city, sizeof d.buyer.city, "%s", b->city);
    snprintf(d.buyer.country, sizeof d.buyer.country, "%s", b->country);
    snprintf(d.buyer.email, sizeof d.buyer.email, "%s", b->email);
    snprintf(d.buyer.buyer_reference, sizeof d.buyer.buyer_reference, "%s", b->buyer_reference);
    snprintf(d.seller.name, sizeof d.seller.name, "Seller");
    struct buf out, plain_out;
    struct error err = {0};
    buf_init(&out, 0);
    buf_init(&plain_out, 0);
    must(invoicing_cii(&d, &out, &err) == 0);
    /* The same invoice with harmless text: as many elements, whatever the input said. */
    snprintf(line.description, sizeof line.description, "x");
    snprintf(d.buyer.name, sizeof d.buyer.name, "x");
    must(invoicing_cii(&d, &plain_out, &err) == 0);
    size_t lt = 0, lt_plain = 0;
    for (size_t i = 0; i < out.len; i++) {
        lt += out.data[i] == '<';
        must((unsigned char)out.data[i] >= 0x20 || out.data[i] == '\n');
    }
    for (size_t i = 0; i < plain_out.len; i++)
        lt_plain += plain_out.data[i] == '<';
    must(lt == lt_plain);
    buf_free(&out);
    buf_free(&plain_out);
}

static void fuzz_billing(const json_t *body)
{
    struct invoicing_billing b, again;
    struct store_party_billing row;
    json_t *errors = json_array();
    struct error err = {0};
    must(errors != NULL);
    if (invoicing_billing_from_json(body, "", &b, errors) < 0) {
        check_field_errors(errors);
        json_decref(errors);
        return;
    }
    must(b.street[0] && b.postal_code[0] && b.city[0] && strlen(b.country) == 2);
    must(!b.has_rate || b.default_rate_minor >= 0);
    if (invoicing_billing_to_store(&b, &row, &err) == 0) {
        json_t *stored = json_loads(row.doc, 0, NULL);
        must(stored != NULL);
        must(invoicing_billing_from_json(stored, "", &again, errors) == 0);
        must(memcmp(&b, &again, sizeof b) == 0);
        json_decref(stored);
    }
    json_decref(errors);
    const char *text = json_string_value(json_object_get(body, "name"));
    fuzz_cii(&b, text ? text : "");
}

/* A party snapshot as the store hands it back: the input's text itself. */
static void fuzz_snapshot(const uint8_t *data, size_t size)
{
    char text[STORE_INVOICING_DOC_MAX];
    if (size >= sizeof text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    struct invoicing_party p, again;
    struct error err = {0};
    if (invoicing_party_from_json_text(text, &p, &err) < 0)
        return;
    char written[STORE_INVOICING_DOC_MAX];
    if (invoicing_party_to_json_text(&p, written, sizeof written, &err) < 0)
        return;
    must(invoicing_party_from_json_text(written, &again, &err) == 0);
    must(memcmp(&p, &again, sizeof p) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    fuzz_snapshot(data, size);
    struct error err = {0};
    json_t *body = json_parse_body((const char *)data, size, &err);
    if (!body)
        return 0;
    fuzz_profile(body);
    fuzz_billing(body);
    json_t *billing = json_object_get(body, "billing");
    if (billing)
        fuzz_billing(billing);
    json_decref(body);
    return 0;
}
