/* ledger/charts.c - the three charts of accounts and their VAT codes, as data.
 *
 * Each chart lists the accounts the pipeline books to and the VAT codes that apply in its
 * country, the way accounting-and-sync.md's tables list them (§1.7 for DATEV's SKR03 and
 * SKR04, §2.5 for the Austrian Einheitskontenrahmen). The default expense accounts are the
 * charts' "other operating expenses" (SKR03 4900, SKR04 6300, EKR 7990); a connector that
 * knows better sets expenseAccount.
 *
 * VAT codes: a code names the tax that is contained in a gross amount and what it is
 * (Vorsteuer on an expense, Umsatzsteuer on revenue). A journal line carries the code on
 * the booking's base line (the net amount) and on its tax line; the DATEV export turns the
 * code into a BU-Schlüssel, the Austrian VAT return into its Kennzahlen. The German BU keys
 * (9 = 19 % VSt, 8 = 7 % VSt, 3 = 19 % USt, 2 = 7 % USt) are the same in SKR03 and SKR04.
 *
 * Automatikkonten are DATEV accounts that imply their VAT: DATEV computes the tax itself
 * and refuses a BU key on them (REW00305), so the export writes none there. */
#include <string.h>

#include "ledger/ledger.h"

#define VAT(x) .vat = (x), .n_vat = sizeof(x) / sizeof((x)[0])

/* code, kind, rate (basis points), tax account, DATEV BU key, U30 Kennzahl */
static const struct ledger_vat skr03_vat[] = {
    {"VSt19", LEDGER_VAT_INPUT,  1900, "1576", "9", NULL}, /* Abziehbare Vorsteuer 19 % */
    {"VSt7",  LEDGER_VAT_INPUT,   700, "1571", "8", NULL}, /* Abziehbare Vorsteuer 7 % */
    {"USt19", LEDGER_VAT_OUTPUT, 1900, "1776", "3", NULL}, /* Umsatzsteuer 19 % */
    {"USt7",  LEDGER_VAT_OUTPUT,  700, "1771", "2", NULL}, /* Umsatzsteuer 7 % */
};

static const struct ledger_vat skr04_vat[] = {
    {"VSt19", LEDGER_VAT_INPUT,  1900, "1406", "9", NULL},
    {"VSt7",  LEDGER_VAT_INPUT,   700, "1401", "8", NULL},
    {"USt19", LEDGER_VAT_OUTPUT, 1900, "3806", "3", NULL},
    {"USt7",  LEDGER_VAT_OUTPUT,  700, "3801", "2", NULL},
};

/* The U30 reports output VAT by its net base per rate (KZ022 20 %, KZ029 10 %, KZ006
 * 13 %) and input VAT by the tax itself (KZ060). */
static const struct ledger_vat ekr_vat[] = {
    {"VSt20", LEDGER_VAT_INPUT,  2000, "2500", NULL, "060"}, /* Vorsteuer */
    {"VSt10", LEDGER_VAT_INPUT,  1000, "2500", NULL, "060"},
    {"VSt13", LEDGER_VAT_INPUT,  1300, "2500", NULL, "060"},
    {"USt20", LEDGER_VAT_OUTPUT, 2000, "3500", NULL, "022"}, /* Umsatzsteuer */
    {"USt10", LEDGER_VAT_OUTPUT, 1000, "3500", NULL, "029"},
    {"USt13", LEDGER_VAT_OUTPUT, 1300, "3500", NULL, "006"},
};

static const char *const skr03_automatic[] = {"8400", "8300", NULL}; /* Erlöse 19 % / 7 % */
static const char *const skr04_automatic[] = {"4400", "4300", NULL};
static const char *const no_automatic[] = {NULL};

static const struct ledger_chart charts[] = {
    {.slug = "skr03", .name = "DATEV SKR 03", .country = "DE", .datev_code = "03",
     .bank = "1200",        /* Bank */
     .clearing = "1360",    /* Geldtransit */
     .receivables = "1400",  /* Forderungen aus Lieferungen und Leistungen */
     .expense = "4900",     /* Sonstige betriebliche Aufwendungen */
     .fees = "4970",        /* Nebenkosten des Geldverkehrs */
     .revenue = "8400",     /* Erlöse 19 % USt (Automatikkonto) */
     .input_vat = "1576",   /* Abziehbare Vorsteuer 19 % */
     .output_vat = "1776",  /* Umsatzsteuer 19 % */
     VAT(skr03_vat), .automatic = skr03_automatic},
    {.slug = "skr04", .name = "DATEV SKR 04", .country = "DE", .datev_code = "04",
     .bank = "1800",        /* Bank */
     .clearing = "1460",    /* Geldtransit */
     .receivables = "1200",  /* Forderungen aus Lieferungen und Leistungen */
     .expense = "6300",     /* Sonstige betriebliche Aufwendungen */
     .fees = "6855",        /* Nebenkosten des Geldverkehrs */
     .revenue = "4400",     /* Erlöse 19 % USt (Automatikkonto) */
     .input_vat = "1406",   /* Abziehbare Vorsteuer 19 % */
     .output_vat = "3806",  /* Umsatzsteuer 19 % */
     VAT(skr04_vat), .automatic = skr04_automatic},
    {.slug = "ekr", .name = "Einheitskontenrahmen (Österreich)", .country = "AT",
     .datev_code = NULL,
     .bank = "2800",        /* Guthaben bei Kreditinstituten */
     .clearing = "2880",    /* Schwebende Geldbewegungen */
     .receivables = "2000",  /* Lieferforderungen Inland */
     .expense = "7990",     /* Sonstige betriebliche Aufwendungen */
     .fees = "7790",        /* Spesen des Geldverkehrs */
     .revenue = "4000",     /* Erlöse 20 % */
     .input_vat = "2500",   /* Vorsteuer */
     .output_vat = "3500",  /* Umsatzsteuer */
     VAT(ekr_vat), .automatic = no_automatic},
};

#define N_CHARTS (sizeof charts / sizeof charts[0])

const struct ledger_chart *ledger_chart_find(const char *slug)
{
    for (size_t i = 0; slug && i < N_CHARTS; i++)
        if (strcmp(charts[i].slug, slug) == 0)
            return &charts[i];
    return NULL;
}

const struct ledger_chart *ledger_chart_default(void)
{
    return ledger_chart_find(LEDGER_DEFAULT_CHART);
}

const struct ledger_chart *ledger_charts(size_t *count)
{
    *count = N_CHARTS;
    return charts;
}

const struct ledger_vat *ledger_vat_in_chart(const struct ledger_chart *c, const char *code)
{
    for (size_t i = 0; code && i < c->n_vat; i++)
        if (strcmp(c->vat[i].code, code) == 0)
            return &c->vat[i];
    return NULL;
}

const struct ledger_vat *ledger_vat_find(const char *code)
{
    for (size_t i = 0; i < N_CHARTS; i++) {
        const struct ledger_vat *v = ledger_vat_in_chart(&charts[i], code);
        if (v)
            return v;
    }
    return NULL;
}

const struct ledger_chart *ledger_vat_chart(const struct ledger_vat *v)
{
    for (size_t i = 0; i < N_CHARTS; i++)
        if (v >= charts[i].vat && v < charts[i].vat + charts[i].n_vat)
            return &charts[i];
    return NULL;
}

const struct ledger_vat *ledger_vat_for_rate(const struct ledger_chart *c,
                                             enum ledger_vat_kind kind, int rate_bp)
{
    for (size_t i = 0; i < c->n_vat; i++)
        if (c->vat[i].kind == kind && c->vat[i].rate_bp == rate_bp)
            return &c->vat[i];
    return NULL;
}

bool ledger_chart_is_automatic(const struct ledger_chart *c, const char *account)
{
    for (size_t i = 0; c->automatic[i]; i++)
        if (strcmp(c->automatic[i], account) == 0)
            return true;
    return false;
}

/* Revenue accounts per treatment (accounting-and-sync.md §1.7 lists the domestic ones;
 * these are DATEV's standard charts' [mem], to confirm with the advisor): intra-EU goods,
 * EU services (reverse charge), OSS, exports, services abroad, Kleinunternehmer. */
struct treatment_account {
    const char *chart;
    enum ledger_tax_treatment treatment;
    const char *account;
};

static const struct treatment_account treatment_accounts[] = {
    {"skr03", LEDGER_TAX_INTRA_EU_GOODS, "8125"},    {"skr03", LEDGER_TAX_INTRA_EU_SERVICES, "8336"},
    {"skr03", LEDGER_TAX_OSS, "8320"},               {"skr03", LEDGER_TAX_EXPORT, "8120"},
    {"skr03", LEDGER_TAX_NON_EU_SERVICES, "8338"},   {"skr03", LEDGER_TAX_SMALL_BUSINESS, "8195"},
    {"skr04", LEDGER_TAX_INTRA_EU_GOODS, "4125"},    {"skr04", LEDGER_TAX_INTRA_EU_SERVICES, "4336"},
    {"skr04", LEDGER_TAX_OSS, "4320"},               {"skr04", LEDGER_TAX_EXPORT, "4120"},
    {"skr04", LEDGER_TAX_NON_EU_SERVICES, "4338"},   {"skr04", LEDGER_TAX_SMALL_BUSINESS, "4185"},
};

const char *ledger_chart_treatment_revenue(const struct ledger_chart *c,
                                           enum ledger_tax_treatment t)
{
    for (size_t i = 0; i < sizeof treatment_accounts / sizeof treatment_accounts[0]; i++)
        if (treatment_accounts[i].treatment == t && strcmp(treatment_accounts[i].chart, c->slug) == 0)
            return treatment_accounts[i].account;
    return NULL;
}
