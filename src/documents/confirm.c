/* documents/confirm.c - a draft becomes an incoming invoice, once, when a person confirms it.
 *
 * The draft's figures, with the person's corrections over them, are checked (a supplier, a
 * real date, a known currency, a gross total) and booked in one transaction with the
 * document's status: the supplier is found by VAT id (a party whose provider is "vat-id"
 * and whose ref is the VAT id), then by name, else made; the invoice is an eingangsrechnung
 * of source "document" whose external id is the document's, so the books' unique key makes
 * a second confirm (or two at once) book nothing twice. Its tax treatment is decided as the
 * pipeline decides it (ledger/tax.c) from the tenant's settings and the supplier's VAT id.
 * The invoice waits unposted, as a webhook's does with autoPost off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/money.h"
#include "core/utf8.h"
#include "documents/documents_int.h"
#include "ledger/ledger.h"
#include "settings/settings.h"
#include "store/books.h"
#include "store/documents.h"

#define DOCUMENT_SOURCE "document"

/* What is booked: the draft's fields after the corrections. */
struct booking {
    char supplier[DRAFT_FIELD_MAX + 1];
    char vat_id[24];
    char number[128];
    char date[11];
    char currency[4];
    struct money gross;
    bool has_tax;
    struct money tax;
    int rate_bp; /* -1: none known */
};

static const char *draft_str(const json_t *draft, const char *obj, const char *key)
{
    const json_t *o = obj ? json_object_get(draft, obj) : draft;
    return json_string_value(json_object_get(o, key));
}

/* A correction's text, or the draft's; ERR_INVALID_FIELD when the correction is no string. */
static int pick(const json_t *corr, const char *ckey, const char *fallback, const char **out,
                struct error *err)
{
    const json_t *v = corr ? json_object_get(corr, ckey) : NULL;
    *out = fallback;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return error_set(err, ERR_INVALID_FIELD, "%s must be a string", ckey);
    *out = json_string_value(v);
    return 0;
}

static int rate_bp_of(const char *text, int *bp)
{
    char norm[16];
    if (!draft_rate(text, norm))
        return -1;
    const char *dot = strchr(norm, '.');
    int whole = atoi(norm), frac = 0;
    if (dot)
        frac = dot[2] ? atoi(dot + 1) : atoi(dot + 1) * 10;
    *bp = whole * 100 + frac;
    return 0;
}

/* The one rate of the draft's tax breakdown, or -1 when it has none or several. */
static int draft_single_rate(const json_t *draft)
{
    const json_t *taxes = json_object_get(draft, "taxes");
    int bp = -1, one;
    size_t i;
    const json_t *t;
    json_array_foreach(taxes, i, t) {
        const char *r = json_string_value(json_object_get(t, "rate"));
        if (!r)
            r = json_string_value(json_object_get(t, "taxRate"));
        if (!r || rate_bp_of(r, &one) < 0 || (bp >= 0 && one != bp))
            return -1;
        bp = one;
    }
    return bp;
}

static int booking_from(const json_t *draft, const json_t *corr, struct booking *b,
                        struct error *err)
{
    static const char *const allowed[] = {"supplierName", "vatId", "invoiceNumber",
                                          "invoiceDate", "currency", "totalGross", "taxAmount",
                                          "taxRate", NULL};
    const char *name, *vat, *number, *date, *currency, *gross, *tax, *rate;
    if (corr && json_only_members(corr, allowed, err) < 0)
        return -1;
    if (pick(corr, "supplierName", draft_str(draft, "supplier", "name"), &name, err) < 0 ||
        pick(corr, "vatId", draft_str(draft, "supplier", "vatId"), &vat, err) < 0 ||
        pick(corr, "invoiceNumber", draft_str(draft, NULL, "invoiceNumber"), &number, err) < 0 ||
        pick(corr, "invoiceDate", draft_str(draft, NULL, "invoiceDate"), &date, err) < 0 ||
        pick(corr, "currency", draft_str(draft, NULL, "currency"), &currency, err) < 0 ||
        pick(corr, "totalGross", draft_str(draft, "totals", "gross"), &gross, err) < 0 ||
        pick(corr, "taxAmount", draft_str(draft, "totals", "tax"), &tax, err) < 0 ||
        pick(corr, "taxRate", NULL, &rate, err) < 0)
        return -1;
    if (!gross)
        gross = draft_str(draft, "totals", "payable");
    if (!name || !name[0])
        return error_set(err, ERR_VALIDATION, "the supplier's name is missing: give supplierName");
    utf8_copy(b->supplier, sizeof b->supplier, name);
    snprintf(b->vat_id, sizeof b->vat_id, "%s", "");
    if (vat && vat[0]) {
        if (strlen(vat) >= sizeof b->vat_id)
            return error_set(err, ERR_INVALID_FIELD, "vatId is too long");
        snprintf(b->vat_id, sizeof b->vat_id, "%s", vat);
    }
    utf8_copy(b->number, sizeof b->number, number ? number : "");
    if (!date || !draft_date(date, b->date))
        return error_set(err, ERR_VALIDATION, "the invoice date is missing or not a day: give "
                                              "invoiceDate as YYYY-MM-DD");
    if (!currency || money_currency_set(&b->gross, currency, err) < 0)
        return error_set(err, ERR_VALIDATION, "the currency is missing or unknown: give currency");
    snprintf(b->currency, sizeof b->currency, "%s", b->gross.currency);
    if (!gross || money_parse_decimal(gross, strlen(gross), b->currency, &b->gross, err) < 0 ||
        b->gross.minor <= 0)
        return error_set(err, ERR_VALIDATION, "the gross total is missing or not a positive "
                                              "amount: give totalGross");
    b->has_tax = tax && tax[0];
    if (b->has_tax && (money_parse_decimal(tax, strlen(tax), b->currency, &b->tax, err) < 0 ||
                       b->tax.minor < 0 || b->tax.minor > b->gross.minor))
        return error_set(err, ERR_VALIDATION, "taxAmount is not an amount within the total");
    b->rate_bp = draft_single_rate(draft);
    if (rate && rate_bp_of(rate, &b->rate_bp) < 0)
        return error_set(err, ERR_INVALID_FIELD, "taxRate is not a VAT rate in percent");
    return 0;
}

/* The supplier's country: its VAT id's prefix (Greece writes EL), else the tenant's. */
static void supplier_country(const struct booking *b, const char *tenant_country, char out[3])
{
    if (b->vat_id[0] && b->vat_id[1] && settings_vat_number_valid(b->vat_id)) {
        snprintf(out, 3, "%.2s", strncmp(b->vat_id, "EL", 2) == 0 ? "GR" : b->vat_id);
        return;
    }
    snprintf(out, 3, "%s", tenant_country);
}

static int decide_tax(struct store *s, const char *tenant_id, const struct booking *b,
                      struct invoice *inv, struct error *err)
{
    struct tenant_settings settings;
    if (settings_load(s, tenant_id, &settings, err) < 0)
        return -1;
    char country[3];
    supplier_country(b, settings.country, country);
    const struct ledger_tax_facts facts = {
        .tenant_country = settings.country,
        .small_business = settings.small_business,
        .oss = settings.oss,
        .goods = settings.goods,
        .direction = LEDGER_EXPENSE,
        .country = country,
        .vat_id_valid = b->vat_id[0] && settings_vat_number_valid(b->vat_id) &&
                        ledger_tax_vat_id_of(b->vat_id, country),
        .hint = LEDGER_TAX_HINT_NONE,
        .has_tax = b->has_tax,
        .tax_minor = b->has_tax ? b->tax.minor : 0,
        .gross_minor = b->gross.minor,
        .vat_rate_bp = b->rate_bp > 0 ? b->rate_bp : 0,
    };
    struct ledger_tax_decision d;
    if (ledger_tax_decide(&facts, &d, err) < 0)
        return -1;
    struct invoice_tax_line *t = &inv->tax_line;
    snprintf(t->treatment, sizeof t->treatment, "%s", ledger_tax_code(d.treatment));
    memcpy(t->country, d.country, sizeof t->country);
    t->rate_bp = d.rate_bp;
    snprintf(t->vat_id, sizeof t->vat_id, "%s", b->vat_id);
    snprintf(t->note, sizeof t->note, "%s", d.note);
    return 0;
}

static int book(struct store_tx *tx, const char *tenant_id, const char *document_id,
                const struct booking *b, struct invoice *inv, struct error *err)
{
    char by_name[CRYPTO_ID_MAX] = "";
    bool found = false, created = false, inserted = false;
    if (store_supplier_by_name(tx, tenant_id, b->supplier, by_name, &found, err) < 0)
        return -1;
    const struct party_hint hint = {.provider = "vat-id",
                                    .provider_ref = b->vat_id,
                                    .email = "",
                                    .name = b->supplier,
                                    .fallback_id = found ? by_name : NULL};
    if (store_party_resolve(tx, tenant_id, PARTY_SUPPLIER, &hint, inv->party_id, &created,
                            err) < 0)
        return -1;
    snprintf(inv->tenant_id, sizeof inv->tenant_id, "%s", tenant_id);
    inv->type = "eingangsrechnung";
    snprintf(inv->invoice_number, sizeof inv->invoice_number, "%s", b->number);
    memcpy(inv->invoice_date, b->date, sizeof inv->invoice_date);
    inv->total_gross_minor = b->gross.minor;
    memcpy(inv->currency, b->currency, sizeof inv->currency);
    snprintf(inv->source, sizeof inv->source, "%s", DOCUMENT_SOURCE);
    snprintf(inv->external_id, sizeof inv->external_id, "%s", document_id);
    inv->has_tax = b->has_tax;
    inv->tax_minor = b->has_tax ? b->tax.minor : 0;
    if (store_invoice_insert(tx, inv, &inserted, err) < 0)
        return -1;
    return inserted ? 0 : error_set(err, ERR_CONFLICT, "the document is confirmed already");
}

/* The reading as booked: the draft with "booked" naming what went into the books. */
static char *booked_reading(json_t *draft, const struct booking *b, const struct invoice *inv)
{
    char gross[MONEY_TEXT_MAX], tax[MONEY_TEXT_MAX] = "";
    money_format(&b->gross, gross);
    if (b->has_tax)
        money_format(&b->tax, tax);
    json_object_set_new(draft, "booked",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "invoiceId",
                                  inv->id, "supplierId", inv->party_id, "supplierName",
                                  b->supplier, "invoiceNumber", b->number, "invoiceDate",
                                  b->date, "currency", b->currency, "totalGross", gross,
                                  "taxAmount", b->has_tax ? json_string(tax) : json_null()));
    return json_dumps(draft, JSON_COMPACT);
}

int document_confirm(struct store *s, const char *tenant_id, const char *document_id,
                     const json_t *corrections, char invoice_id_out[CRYPTO_ID_MAX],
                     struct error *err)
{
    struct document_record d;
    struct booking b = {0};
    struct invoice inv = {0};
    struct store_tx *tx = NULL;
    json_t *draft = NULL;
    char *reading = NULL;
    int rc = -1;
    if (store_document_get(s, tenant_id, document_id, &d, err) < 0)
        return -1;
    if (strcmp(d.status, "review") != 0) {
        error_set(err, ERR_CONFLICT, "the document is confirmed already");
        goto out;
    }
    json_error_t jerr;
    draft = json_loads(d.reading, 0, &jerr);
    if (!draft) {
        error_set(err, ERR_STORE, "document %s: its reading is not JSON", document_id);
        goto out;
    }
    if (booking_from(draft, corrections, &b, err) < 0 ||
        decide_tax(s, tenant_id, &b, &inv, err) < 0 || store_tx_begin(s, &tx, err) < 0)
        goto out;
    if (book(tx, tenant_id, document_id, &b, &inv, err) < 0)
        goto out;
    if (!(reading = booked_reading(draft, &b, &inv))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (store_document_confirm(tx, tenant_id, document_id, inv.id, reading, err) < 0)
        goto out;
    rc = store_tx_commit(tx, err);
    tx = NULL;
    if (rc == 0)
        snprintf(invoice_id_out, CRYPTO_ID_MAX, "%s", inv.id);
out:
    store_tx_rollback(tx);
    free(reading);
    json_decref(draft);
    store_document_free(&d);
    return rc;
}
