/* ledger/tax.c - the tax treatment of one invoice line: which VAT rules a booking falls
 * under, decided from what the payload says and the tenant's tax settings. Pure: no I/O,
 * no store, no clock; table-driven tests in tests/unit/ledger/test_tax.c.
 *
 * The rules, for a tenant in Austria or Germany:
 *   revenue
 *     - a small business (Kleinunternehmer) charges no VAT: exempt, unless the payload says
 *       it charged VAT anyway (then it owes it: unclassified, for the advisor);
 *     - a customer in the tenant's own country, or one the payload does not place:
 *       domestic, at the rate the provider's tax implies or the connector's vatRate;
 *     - a customer in another member state with a syntactically valid VAT id of that
 *       state and no VAT charged: an intra-EU supply of goods, or a service to a business
 *       (reverse charge, the customer owes the VAT);
 *     - a consumer in another member state: with the one-stop shop, that state's VAT at
 *       one of its rates (listed for the OSS return, never in the domestic one); without
 *       it (below the EUR 10,000 threshold), domestic;
 *     - a customer outside the EU with no VAT charged: an export of goods, or a service
 *       whose place of supply is abroad;
 *   expense
 *     - a supplier at home or not placed: domestic input VAT at the provider's rate (none
 *       when the payload says none);
 *     - a supplier abroad with no VAT charged (the payment providers' own fees, Stripe
 *       from Ireland, PayPal from Luxembourg...): a service received under reverse charge
 *       (what a payment says it paid for is a service; `goods` is what the tenant sells),
 *       the tenant owes the VAT at its standard rate and deducts it again (a small
 *       business owes it without the deduction).
 * What fits none of these is unclassified, with a note that says why; the returns name it
 * instead of guessing. */
#include <stdio.h>
#include <string.h>

#include "ledger/ledger.h"

static const char *const treatment_codes[] = {
    [LEDGER_TAX_DOMESTIC] = "domestic",
    [LEDGER_TAX_INTRA_EU_GOODS] = "intra_eu_goods",
    [LEDGER_TAX_INTRA_EU_SERVICES] = "intra_eu_services",
    [LEDGER_TAX_OSS] = "oss",
    [LEDGER_TAX_EXPORT] = "export",
    [LEDGER_TAX_NON_EU_SERVICES] = "non_eu_services",
    [LEDGER_TAX_SMALL_BUSINESS] = "small_business",
    [LEDGER_TAX_REVERSE_CHARGE_RECEIVED] = "reverse_charge_received",
    [LEDGER_TAX_UNCLASSIFIED] = "unclassified",
};

#define N_TREATMENTS (sizeof treatment_codes / sizeof treatment_codes[0])

const char *ledger_tax_code(enum ledger_tax_treatment t)
{
    return (size_t)t < N_TREATMENTS ? treatment_codes[t] : "unclassified";
}

int ledger_tax_parse(const char *code, enum ledger_tax_treatment *out)
{
    for (size_t i = 0; code && i < N_TREATMENTS; i++)
        if (strcmp(code, treatment_codes[i]) == 0) {
            *out = (enum ledger_tax_treatment)i;
            return 0;
        }
    return -1;
}

/* The member states (ISO 3166 codes; Greece's VAT ids start EL) and their VAT rates in
 * basis points, standard rate first, as of 2026. */
struct member_state {
    const char *country;
    int n;
    int rates[5];
};

#define STATE(c, ...) {c, sizeof((int[]){__VA_ARGS__}) / sizeof(int), {__VA_ARGS__}}
static const struct member_state member_states[] = {
    STATE("AT", 2000, 1300, 1000, 0), STATE("BE", 2100, 1200, 600), STATE("BG", 2000, 900),
    STATE("CY", 1900, 900, 500),      STATE("CZ", 2100, 1200),      STATE("DE", 1900, 700),
    STATE("DK", 2500),                STATE("EE", 2400, 1300, 900), STATE("GR", 2400, 1300, 600),
    STATE("ES", 2100, 1000, 400),     STATE("FI", 2550, 1350, 1000),
    STATE("FR", 2000, 1000, 550, 210), STATE("HR", 2500, 1300, 500),
    STATE("HU", 2700, 1800, 500),     STATE("IE", 2300, 1350, 900),
    STATE("IT", 2200, 1000, 500, 400), STATE("LT", 2100, 900, 500),
    STATE("LU", 1700, 1400, 800, 300), STATE("LV", 2100, 1200, 500),
    STATE("MT", 1800, 700, 500),      STATE("NL", 2100, 900),       STATE("PL", 2300, 800, 500),
    STATE("PT", 2300, 1300, 600),     STATE("RO", 2100, 1100),      STATE("SE", 2500, 1200, 600),
    STATE("SI", 2200, 950, 500),      STATE("SK", 2300, 1900, 500),
};
#undef STATE

static const struct member_state *member_state(const char *country)
{
    for (size_t i = 0; country && i < sizeof member_states / sizeof member_states[0]; i++)
        if (strcmp(member_states[i].country, country) == 0)
            return &member_states[i];
    return NULL;
}

bool ledger_tax_is_eu(const char *country)
{
    return member_state(country) != NULL;
}

int ledger_tax_standard_rate(const char *country)
{
    const struct member_state *m = member_state(country);
    return m ? m->rates[0] : -1;
}

bool ledger_tax_vat_id_of(const char *vat_id, const char *country)
{
    if (!vat_id || !country || strlen(vat_id) < 4)
        return false;
    const char *prefix = strcmp(country, "GR") == 0 ? "EL" : country;
    return strncmp(vat_id, prefix, 2) == 0;
}

static bool rate_of_state(const struct member_state *m, int rate_bp)
{
    for (int i = 0; i < m->n; i++)
        if (m->rates[i] == rate_bp)
            return true;
    return false;
}

/* The rate of m that the provider's tax in gross implies, within a minor unit's rounding
 * on each (2 minor units, or 0.05 % of large amounts); -1 when none fits. */
static int implied_rate(const struct member_state *m, int64_t gross, int64_t tax)
{
    if (tax == 0)
        return rate_of_state(m, 0) ? 0 : -1;
    int64_t tolerance = gross / 2000 > 2 ? gross / 2000 : 2;
    int best = -1;
    int64_t best_diff = 0;
    for (int i = 0; i < m->n; i++) {
        int r = m->rates[i];
        if (r <= 0)
            continue;
        int64_t diff = ledger_vat_of_gross(gross, r) - tax; /* post.c's rounding */
        if (diff < 0)
            diff = -diff;
        if (best < 0 || diff < best_diff) {
            best = r;
            best_diff = diff;
        }
    }
    return best >= 0 && best_diff <= tolerance ? best : -1;
}

static void set(struct ledger_tax_decision *d, enum ledger_tax_treatment t, const char *country,
                int rate_bp)
{
    d->treatment = t;
    snprintf(d->country, sizeof d->country, "%s", country ? country : "");
    d->rate_bp = rate_bp;
}

static int unclassified(struct ledger_tax_decision *d, const char *country, const char *why)
{
    set(d, LEDGER_TAX_UNCLASSIFIED, country, LEDGER_TAX_RATE_NONE);
    snprintf(d->note, sizeof d->note, "%s", why);
    return 0;
}

/* Domestic: the rate the provider's tax implies, else the connector's. */
static int domestic(const struct ledger_tax_facts *f, struct ledger_tax_decision *d)
{
    const struct member_state *home = member_state(f->tenant_country);
    bool revenue = f->direction == LEDGER_REVENUE;
    if (f->has_tax) {
        int r = implied_rate(home, f->gross_minor, f->tax_minor);
        if (r < 0) {
            char why[160];
            snprintf(why, sizeof why, "the provider's tax of %lld in %lld (minor units) is at no "
                     "VAT rate of %s", (long long)f->tax_minor, (long long)f->gross_minor,
                     f->tenant_country);
            return unclassified(d, f->tenant_country, why);
        }
        set(d, LEDGER_TAX_DOMESTIC, f->tenant_country, r);
        return 0;
    }
    if (f->vat_rate_bp > 0) {
        if (!rate_of_state(home, f->vat_rate_bp))
            return unclassified(d, f->tenant_country, "the connector's vatRate is no VAT rate "
                                                      "of the tenant's country");
        set(d, LEDGER_TAX_DOMESTIC, f->tenant_country, f->vat_rate_bp);
        return 0;
    }
    if (revenue)
        return unclassified(d, f->tenant_country,
                            "neither the payload nor the connector (vatRate) says the VAT of "
                            "this sale");
    /* An expense without VAT on its document deducts none: nothing to report. */
    set(d, LEDGER_TAX_DOMESTIC, f->tenant_country, LEDGER_TAX_RATE_NONE);
    return 0;
}

static int revenue(const struct ledger_tax_facts *f, struct ledger_tax_decision *d)
{
    bool charged = f->has_tax && f->tax_minor > 0;
    if (f->small_business) {
        if (charged)
            return unclassified(d, f->tenant_country,
                                "a small business (Kleinunternehmer) charged VAT on this sale; "
                                "it owes that VAT as shown on the invoice");
        set(d, LEDGER_TAX_SMALL_BUSINESS, f->tenant_country, 0);
        return 0;
    }
    if (f->hint == LEDGER_TAX_HINT_EXEMPT)
        return unclassified(d, f->country, "the provider marks the customer as tax-exempt; "
                                           "the exemption's ground is not known here");
    if (!f->country[0] || strcmp(f->country, f->tenant_country) == 0)
        return domestic(f, d);
    const struct member_state *m = member_state(f->country);
    if (!m) {
        if (charged)
            return unclassified(d, f->country,
                                "VAT was charged to a customer outside the EU");
        set(d, f->goods ? LEDGER_TAX_EXPORT : LEDGER_TAX_NON_EU_SERVICES, f->country, 0);
        return 0;
    }
    bool business = f->vat_id_valid || f->hint == LEDGER_TAX_HINT_REVERSE_CHARGE;
    if (business && !charged) {
        if (!f->vat_id_valid)
            return unclassified(d, f->country,
                                "reverse charge needs the customer's valid VAT id of its "
                                "member state; the payload has none");
        set(d, f->goods ? LEDGER_TAX_INTRA_EU_GOODS : LEDGER_TAX_INTRA_EU_SERVICES, f->country,
            0);
        return 0;
    }
    if (!f->oss)
        return domestic(f, d); /* below the threshold: the tenant's own VAT */
    if (!f->has_tax)
        return unclassified(d, f->country,
                            "a one-stop-shop sale whose VAT the payload does not say");
    int r = implied_rate(m, f->gross_minor, f->tax_minor);
    if (r <= 0) {
        char why[160];
        snprintf(why, sizeof why, "the tax of %lld in %lld (minor units) is at no VAT rate of "
                 "%s", (long long)f->tax_minor, (long long)f->gross_minor, f->country);
        return unclassified(d, f->country, why);
    }
    set(d, LEDGER_TAX_OSS, f->country, r);
    return 0;
}

static int expense(const struct ledger_tax_facts *f, struct ledger_tax_decision *d)
{
    if (!f->country[0] || strcmp(f->country, f->tenant_country) == 0)
        return domestic(f, d);
    if (f->has_tax && f->tax_minor > 0)
        return unclassified(d, f->country,
                            "the supplier abroad charged its VAT, which is not deductible "
                            "here (refund procedure)");
    set(d, LEDGER_TAX_REVERSE_CHARGE_RECEIVED, f->country,
        ledger_tax_standard_rate(f->tenant_country));
    return 0;
}

static bool country_code(const char *c)
{
    return c && strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

int ledger_tax_decide(const struct ledger_tax_facts *f, struct ledger_tax_decision *d,
                      struct error *err)
{
    memset(d, 0, sizeof *d);
    if (!member_state(f->tenant_country) ||
        (strcmp(f->tenant_country, "AT") != 0 && strcmp(f->tenant_country, "DE") != 0))
        return error_set(err, ERR_VALIDATION, "tax treatments are known for tenants in AT and "
                                              "DE only");
    if (f->country[0] && !country_code(f->country))
        return unclassified(d, "", "the payload's country is not an ISO 3166 code");
    return f->direction == LEDGER_REVENUE ? revenue(f, d) : expense(f, d);
}
