/* invoicing/document.c - a finalized invoice read back for its renderings: the booked
 * invoice row, its document (the parties as invoiced, the period, the due date) and its
 * lines; and the VAT category and note each tax treatment carries on an invoice. */
#include <stdlib.h>
#include <string.h>

#include "invoicing/invoicing.h"

struct doc_lines {
    struct invoicing_document *d;
    size_t cap;
    bool failed;
};

static int keep_line(void *ctx, const struct store_draft_line *l)
{
    struct doc_lines *r = ctx;
    if (r->d->n_lines == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct store_draft_line *grown = realloc(r->d->lines, cap * sizeof *grown);
        if (!grown) {
            r->failed = true;
            return 1;
        }
        r->d->lines = grown;
        r->cap = cap;
    }
    r->d->lines[r->d->n_lines++] = *l;
    return 0;
}

int invoicing_document_load(struct store *s, const char *tenant_id, const char *invoice_id,
                            struct invoicing_document *out, struct error *err)
{
    enum party_role role;
    struct doc_lines r = {.d = out};
    memset(out, 0, sizeof *out);
    if (store_invoice_get(s, tenant_id, invoice_id, &out->inv, &role, err) < 0 ||
        store_invoice_document_get(s, tenant_id, invoice_id, &out->doc, err) < 0 ||
        invoicing_party_from_json_text(out->doc.seller, &out->seller, err) < 0 ||
        invoicing_party_from_json_text(out->doc.buyer, &out->buyer, err) < 0 ||
        store_invoice_document_lines(s, tenant_id, invoice_id, keep_line, &r, err) < 0)
        goto fail;
    if (r.failed) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    out->tax_minor = out->inv.has_tax ? out->inv.tax_minor : 0;
    return 0;
fail:
    invoicing_document_free(out);
    return -1;
}

void invoicing_document_free(struct invoicing_document *d)
{
    free(d->lines);
    d->lines = NULL;
    d->n_lines = 0;
}

/* EN 16931's VAT category codes (UNTDID 5305) per treatment, and the note the VAT laws
 * require on the invoice: §11 Abs. 1a/§6 Abs. 1 Z 27 UStG 1994 (AT), §14a Abs. 5, §19 UStG
 * (DE); a service whose place of supply is abroad is not taxable here. */
static const struct {
    const char *treatment, *category, *note_at, *note_de;
} categories[] = {
    {"domestic", "S", "", ""},
    {"oss", "S", "", ""},
    {"intra_eu_services", "AE",
     "Übergang der Steuerschuld auf den Leistungsempfänger (Reverse Charge)",
     "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)"},
    {"intra_eu_goods", "K", "Steuerfreie innergemeinschaftliche Lieferung",
     "Steuerfreie innergemeinschaftliche Lieferung"},
    {"export", "G", "Steuerfreie Ausfuhrlieferung", "Steuerfreie Ausfuhrlieferung"},
    {"small_business", "E",
     "Umsatzsteuerfrei aufgrund der Kleinunternehmerregelung (§ 6 Abs. 1 Z 27 UStG)",
     "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet (Kleinunternehmerregelung)"},
    {"non_eu_services", "O", "Nicht im Inland steuerbare Leistung",
     "Nicht im Inland steuerbare Leistung"},
};

#define N_CATEGORIES (sizeof categories / sizeof categories[0])

const char *invoicing_vat_category(const char *treatment)
{
    for (size_t i = 0; i < N_CATEGORIES; i++)
        if (strcmp(categories[i].treatment, treatment) == 0)
            return categories[i].category;
    return "S";
}

const char *invoicing_vat_note(const char *treatment, const char *seller_country)
{
    for (size_t i = 0; i < N_CATEGORIES; i++)
        if (strcmp(categories[i].treatment, treatment) == 0)
            return strcmp(seller_country, "DE") == 0 ? categories[i].note_de
                                                     : categories[i].note_at;
    return "";
}
