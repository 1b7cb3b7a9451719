/* ledger/returns.c - the VAT figures beside the Austrian U30 (u30.c): the quarterly
 * one-stop-shop return and the German advance return (UStVA), both from the period's
 * journal lines by their tax treatment (ledger/tax.c).
 *
 * OSS: every line of an "oss" booking, per member state and rate: the net (base lines)
 * and the tax (tax lines) as booked; refunds reduce them.
 *
 * UStVA (Kennzahlen of the form since 2021): 81/86 the net of domestic sales at 19 % / 7 %
 * (the tax is computed from them), 41 intra-EU supplies of goods, 21 services to
 * businesses in other member states, 43 exports, 45 other services abroad, 46/47 services
 * received from a business in another member state under reverse charge (base, tax at
 * 19 %), 84/85 the same from outside the EU, 66 input tax from invoices, 67 input tax of
 * §13b (47 + 85; none for a Kleinunternehmer), 83 what is payable. A Kleinunternehmer's
 * sales (§19 UStG) and OSS sales are not part of it. Lines from before treatments count by
 * their German VAT code. What fits nothing is named, as in the U30. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "ledger/ledger.h"
#include "store/accounting.h"

static int add_checked(int64_t *sum, int64_t v, struct error *err)
{
    if (__builtin_add_overflow(*sum, v, sum))
        return error_set(err, ERR_AMOUNT_OVERFLOW, "the VAT sums do not fit 64-bit minor units");
    return 0;
}

static json_t *eur(int64_t minor)
{
    struct money m = {.minor = minor, .currency = "EUR"};
    char text[MONEY_TEXT_MAX];
    money_format(&m, text);
    return json_string(text);
}

static json_t *rate_text(int rate_bp)
{
    char text[16];
    snprintf(text, sizeof text, "%d.%02d", rate_bp / 100, rate_bp % 100);
    return json_string(text);
}

/* ---- OSS ------------------------------------------------------------------------------- */

static struct ledger_oss_line *oss_line(struct ledger_oss *o, const char *country, int rate_bp)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->lines[i].country, country) == 0 && o->lines[i].rate_bp == rate_bp)
            return &o->lines[i];
    if (o->n == LEDGER_OSS_LINES_MAX)
        return NULL;
    struct ledger_oss_line *l = &o->lines[o->n++];
    memset(l, 0, sizeof *l);
    snprintf(l->country, sizeof l->country, "%s", country);
    l->rate_bp = rate_bp;
    return l;
}

int ledger_oss_add_line(struct ledger_oss *o, const struct tax_line_row *r, struct error *err)
{
    char why[200];
    int64_t amount = 0;
    if (strcmp(r->treatment, "oss") != 0)
        return 0;
    if (!ledger_return_amount(r, "OSS return", &amount, why, sizeof why)) {
        ledger_unclassified_add(&o->unclassified, r->invoice_id, why);
        return 0;
    }
    struct ledger_oss_line *l = oss_line(o, r->country, r->rate_bp);
    if (!l)
        return error_set(err, ERR_VALIDATION, "the period has more than %d OSS country and "
                                              "rate pairs", LEDGER_OSS_LINES_MAX);
    if (add_checked(r->vat_tax ? &l->tax : &l->net, amount, err) < 0)
        return -1;
    return r->vat_tax ? add_checked(&o->total_tax, amount, err) : 0;
}

static int oss_add(void *figures, const struct tax_line_row *r, struct error *err)
{
    return ledger_oss_add_line(figures, r, err);
}

static int compare_oss(const void *a, const void *b)
{
    const struct ledger_oss_line *x = a, *y = b;
    int c = strcmp(x->country, y->country);
    return c ? c : (y->rate_bp > x->rate_bp) - (y->rate_bp < x->rate_bp);
}

int ledger_oss_compute(struct store *s, const char *tenant_id, const struct ledger_u30_period *p,
                       struct ledger_oss *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    out->period = *p;
    if (ledger_tax_lines_each(s, tenant_id, p, oss_add, out, err) < 0)
        return -1;
    qsort(out->lines, out->n, sizeof out->lines[0], compare_oss);
    return 0;
}

json_t *ledger_oss_json(const struct ledger_oss *o)
{
    json_t *lines = json_array();
    for (size_t i = 0; lines && i < o->n; i++) {
        const struct ledger_oss_line *l = &o->lines[i];
        if (json_array_append_new(lines, json_pack("{s:s, s:o, s:o, s:o}", "country",
                                                   l->country, "rate", rate_text(l->rate_bp),
                                                   "net", eur(l->net), "tax", eur(l->tax))) < 0) {
            json_decref(lines);
            lines = NULL;
        }
    }
    if (!lines)
        return NULL;
    return ledger_unclassified_attach(
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "period", o->period.text, "from",
                  o->period.from, "to", o->period.to, "currency", "EUR", "lines", lines,
                  "totalTax", eur(o->total_tax)),
        &o->unclassified);
}

/* ---- UStVA ----------------------------------------------------------------------------- */

/* A line by its German VAT code. */
static int ustva_by_code(struct ledger_ustva *u, const struct tax_line_row *r, int64_t amount,
                         char *why, size_t why_cap, struct error *err)
{
    const struct ledger_vat *v = ledger_vat_find(r->vat_code);
    const struct ledger_chart *c = v ? ledger_vat_chart(v) : NULL;
    if (!v || strcmp(c->country, "DE") != 0) {
        snprintf(why, why_cap, "booked with the %s VAT code %.16s; the UStVA covers German VAT "
                 "only", c ? c->country : "unknown", r->vat_code);
        return 1;
    }
    if (v->kind == LEDGER_VAT_OUTPUT && !r->vat_tax)
        return add_checked(v->rate_bp == 1900 ? &u->kz81 : &u->kz86, amount, err);
    if (v->kind == LEDGER_VAT_INPUT && r->vat_tax)
        return add_checked(&u->kz66, -amount, err);
    return 0;
}

static int ustva_classify(struct ledger_ustva *u, const struct tax_line_row *r, char *why,
                          size_t why_cap, struct error *err)
{
    int64_t amount = 0;
    enum ledger_tax_treatment t;
    if (!ledger_return_amount(r, "UStVA", &amount, why, why_cap))
        return 1;
    if (!r->treatment[0])
        return ustva_by_code(u, r, amount, why, why_cap, err);
    if (ledger_tax_parse(r->treatment, &t) < 0) {
        snprintf(why, why_cap, "the unknown tax treatment %.24s", r->treatment);
        return 1;
    }
    if (r->vat_tax && t != LEDGER_TAX_DOMESTIC)
        return 0;
    bool eu = ledger_tax_is_eu(r->country);
    switch (t) {
    case LEDGER_TAX_DOMESTIC:
        return r->vat_code[0] ? ustva_by_code(u, r, amount, why, why_cap, err) : 0;
    case LEDGER_TAX_INTRA_EU_GOODS:
        return add_checked(&u->kz41, amount, err);
    case LEDGER_TAX_INTRA_EU_SERVICES:
        return add_checked(&u->kz21, amount, err);
    case LEDGER_TAX_EXPORT:
        return add_checked(&u->kz43, amount, err);
    case LEDGER_TAX_NON_EU_SERVICES:
        return add_checked(&u->kz45, amount, err);
    case LEDGER_TAX_REVERSE_CHARGE_RECEIVED:
        if (r->rate_bp != 1900) {
            snprintf(why, why_cap, "a service received under reverse charge at %d.%02d %%, not "
                     "Germany's 19 %%", r->rate_bp / 100, r->rate_bp % 100);
            return 1;
        }
        return add_checked(eu ? &u->kz46 : &u->kz84, -amount, err);
    case LEDGER_TAX_SMALL_BUSINESS:
        return add_checked(&u->small_business_sales, amount, err);
    case LEDGER_TAX_OSS:
        return add_checked(&u->oss, amount, err);
    case LEDGER_TAX_UNCLASSIFIED:
        snprintf(why, why_cap, "%s", r->note[0] ? r->note : "unclassified");
        return 1;
    }
    return 0;
}

int ledger_ustva_add_line(struct ledger_ustva *u, const struct tax_line_row *r,
                          struct error *err)
{
    char why[200];
    int rc = ustva_classify(u, r, why, sizeof why, err);
    if (rc > 0)
        ledger_unclassified_add(&u->unclassified, r->invoice_id, why);
    return rc < 0 ? -1 : 0;
}

static int ustva_add(void *figures, const struct tax_line_row *r, struct error *err)
{
    return ledger_ustva_add_line(figures, r, err);
}

int ledger_ustva_compute(struct store *s, const char *tenant_id,
                         const struct ledger_u30_period *p, bool small_business,
                         struct ledger_ustva *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    out->period = *p;
    out->small_business = small_business;
    if (ledger_tax_lines_each(s, tenant_id, p, ustva_add, out, err) < 0)
        return -1;
    /* Every figure derived from the sums is a fifth of them at most: the payable fits
     * when the inputs do, checked here once. */
    __int128 payable = (__int128)ledger_u30_tax(out->kz81, 1900) + ledger_u30_tax(out->kz86, 700) +
                       ledger_u30_tax(out->kz46, 1900) + ledger_u30_tax(out->kz84, 1900) -
                       out->kz66;
    if (payable < INT64_MIN || payable > INT64_MAX)
        return error_set(err, ERR_AMOUNT_OVERFLOW, "the VAT payable does not fit 64-bit minor "
                                                   "units");
    return 0;
}

int64_t ledger_ustva_kz67(const struct ledger_ustva *u)
{
    return u->small_business ? 0
                             : ledger_u30_tax(u->kz46, 1900) + ledger_u30_tax(u->kz84, 1900);
}

int64_t ledger_ustva_payable(const struct ledger_ustva *u)
{
    return ledger_u30_tax(u->kz81, 1900) + ledger_u30_tax(u->kz86, 700) +
           ledger_u30_tax(u->kz46, 1900) + ledger_u30_tax(u->kz84, 1900) - u->kz66 -
           ledger_ustva_kz67(u);
}

json_t *ledger_ustva_json(const struct ledger_ustva *u)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
        " s:o, s:o, s:o, s:{s:o, s:o}}",
        "period", u->period.text, "from", u->period.from, "to", u->period.to, "currency", "EUR",
        "KZ81", eur(u->kz81), "KZ81tax", eur(ledger_u30_tax(u->kz81, 1900)), "KZ86",
        eur(u->kz86), "KZ86tax", eur(ledger_u30_tax(u->kz86, 700)), "KZ41", eur(u->kz41),
        "KZ21", eur(u->kz21), "KZ43", eur(u->kz43), "KZ45", eur(u->kz45), "KZ46", eur(u->kz46),
        "KZ47", eur(ledger_u30_tax(u->kz46, 1900)), "KZ84", eur(u->kz84), "KZ85",
        eur(ledger_u30_tax(u->kz84, 1900)), "KZ66", eur(u->kz66), "KZ67",
        eur(ledger_ustva_kz67(u)), "KZ83", eur(ledger_ustva_payable(u)), "outside", "oss",
        eur(u->oss), "smallBusiness", eur(u->small_business_sales));
    return ledger_unclassified_attach(o, &u->unclassified);
}
