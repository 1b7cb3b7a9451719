/* settings/settings.h - a tenant's own settings: its chart of accounts, time zone, fiscal
 * year start, VAT number and customer milestones.
 *
 * A tenant that never saved settings has the defaults (EKR, Europe/Vienna, 01-01, no VAT
 * number, milestones 100, 1,000 and 10,000). The store keeps the row as text; this module
 * gives it meaning: validation with field-level errors, the JSON the API shows, and the
 * parsed form the pipeline and the exports use. */
#ifndef CONNECTORD_SETTINGS_H
#define CONNECTORD_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/tz.h"
#include "ledger/ledger.h"

struct store;

#define SETTINGS_DEFAULT_TIME_ZONE "Europe/Vienna"
#define SETTINGS_DEFAULT_FISCAL_YEAR_START "01-01"
#define SETTINGS_MILESTONES_MAX 10
#define SETTINGS_MILESTONE_LIMIT 1000000000000L /* 10^12 major units */
#define SETTINGS_VAT_NUMBER_MAX 20

struct tenant_settings {
    const struct ledger_chart *chart;
    const struct tz_zone *time_zone;
    int fiscal_month, fiscal_day; /* the fiscal year's first day */
    char vat_number[SETTINGS_VAT_NUMBER_MAX]; /* "" when not set */
    long milestones[SETTINGS_MILESTONES_MAX]; /* ascending, major units */
    size_t n_milestones;
    /* Tax settings (ledger/tax.c): the country is the chart's; a Kleinunternehmer charges
     * no VAT; the one-stop shop taxes consumers in other member states at their rates;
     * goods: the tenant supplies goods (else services). */
    char country[3];
    bool small_business;
    bool oss;
    bool goods;
    bool saved; /* false: the defaults, never saved */
    /* When they were saved, as the store has it ("" never): which reading of them this is
     * (store_install_check). */
    char updated_at[CLOCK_RFC3339_LEN];
};

void settings_defaults(struct tenant_settings *out);
/* The tenant's settings, or the defaults when none were saved. */
int settings_load(struct store *s, const char *tenant_id, struct tenant_settings *out,
                  struct error *err);
/* Reads a PUT body: every field optional, a field left out takes its default. On failure
 * -1 with ERR_VALIDATION and *field_errors a new array of {field, code, message} (codes:
 * unknown_field, wrong_type, not_allowed, pattern_mismatch, out_of_range). */
int settings_from_json(const json_t *body, struct tenant_settings *out, json_t **field_errors,
                       struct error *err);
int settings_save(struct store *s, const char *tenant_id, const struct tenant_settings *in,
                  struct error *err);
/* {chart, timeZone, fiscalYearStart, vatNumber, milestones, country, smallBusiness,
 * oneStopShop, supplies, accounts}. New reference. */
json_t *settings_json(const struct tenant_settings *in);

/* Whether text is a VAT identification number of an EU member state (VIES format:
 * country prefix and the country's pattern, no spaces). */
bool settings_vat_number_valid(const char *text);

#endif
