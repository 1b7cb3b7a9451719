/* settings/settings.c - tenant settings: defaults, validation, stored form, JSON. */
#include "settings/settings.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "store/accounting.h"

static const long default_milestones[] = {100, 1000, 10000};

/* VAT identification numbers as VIES checks their format: the country prefix (Greece is
 * EL, Northern Ireland XI) and the national part. */
static const char *const vat_patterns[] = {
    "^ATU[0-9]{8}$",
    "^BE[01][0-9]{9}$",
    "^BG[0-9]{9,10}$",
    "^CY[0-9]{8}[A-Z]$",
    "^CZ[0-9]{8,10}$",
    "^DE[0-9]{9}$",
    "^DK[0-9]{8}$",
    "^EE[0-9]{9}$",
    "^EL[0-9]{9}$",
    "^ES[A-Z0-9][0-9]{7}[A-Z0-9]$",
    "^FI[0-9]{8}$",
    "^FR[A-HJ-NP-Z0-9]{2}[0-9]{9}$",
    "^HR[0-9]{11}$",
    "^HU[0-9]{8}$",
    "^IE[0-9][0-9A-Z+*][0-9]{5}[A-W][A-I]?$",
    "^IT[0-9]{11}$",
    "^LT([0-9]{9}|[0-9]{12})$",
    "^LU[0-9]{8}$",
    "^LV[0-9]{11}$",
    "^MT[0-9]{8}$",
    "^NL[0-9]{9}B[0-9]{2}$",
    "^PL[0-9]{10}$",
    "^PT[0-9]{9}$",
    "^RO[0-9]{2,10}$",
    "^SE[0-9]{12}$",
    "^SI[0-9]{8}$",
    "^SK[0-9]{10}$",
    "^XI([0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})$",
};

bool settings_vat_number_valid(const char *text)
{
    if (!text || strlen(text) < 4 || strlen(text) >= SETTINGS_VAT_NUMBER_MAX)
        return false;
    for (size_t i = 0; i < sizeof vat_patterns / sizeof vat_patterns[0]; i++) {
        if (strncmp(text, vat_patterns[i] + 1, 2) != 0)
            continue;
        regex_t re;
        if (regcomp(&re, vat_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
            return false;
        bool ok = regexec(&re, text, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
    }
    return false;
}

void settings_defaults(struct tenant_settings *out)
{
    memset(out, 0, sizeof *out);
    out->chart = ledger_chart_default();
    snprintf(out->country, sizeof out->country, "%s", out->chart->country);
    out->time_zone = tz_find(SETTINGS_DEFAULT_TIME_ZONE);
    out->fiscal_month = 1;
    out->fiscal_day = 1;
    out->n_milestones = sizeof default_milestones / sizeof default_milestones[0];
    memcpy(out->milestones, default_milestones, sizeof default_milestones);
}

/* "MM-DD" naming a day that every year has (29 February does not). */
static bool parse_month_day(const char *text, int *month, int *day)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!text || strlen(text) != 5 || text[2] != '-')
        return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (text[i] < '0' || text[i] > '9'))
            return false;
    int m = (text[0] - '0') * 10 + (text[1] - '0');
    int d = (text[3] - '0') * 10 + (text[4] - '0');
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    *month = m;
    *day = d;
    return true;
}

static int compare_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void field_error(json_t *errors, const char *field, const char *code,
                        const char *message)
{
    json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", field, "code", code,
                                            "message", message));
}

/* Reads milestones; false with a field error added. */
static bool read_milestones(const json_t *v, struct tenant_settings *out, json_t *errors)
{
    char message[200];
    if (!json_is_array(v)) {
        field_error(errors, "milestones", "wrong_type",
                    "milestones must be a list of positive whole amounts, e.g. [100, 1000]");
        return false;
    }
    if (json_array_size(v) > SETTINGS_MILESTONES_MAX) {
        snprintf(message, sizeof message, "milestones may list at most %d amounts",
                 SETTINGS_MILESTONES_MAX);
        field_error(errors, "milestones", "out_of_range", message);
        return false;
    }
    size_t i;
    json_t *item;
    out->n_milestones = 0;
    json_array_foreach(v, i, item) {
        if (!json_is_integer(item)) {
            field_error(errors, "milestones", "wrong_type",
                        "each milestone must be a whole amount in major units (100, not "
                        "\"100\" or 99.5)");
            return false;
        }
        json_int_t n = json_integer_value(item);
        if (n < 1 || n > SETTINGS_MILESTONE_LIMIT) {
            snprintf(message, sizeof message,
                     "each milestone must be a positive amount of at most %ld",
                     SETTINGS_MILESTONE_LIMIT);
            field_error(errors, "milestones", "out_of_range", message);
            return false;
        }
        out->milestones[out->n_milestones++] = (long)n;
    }
    qsort(out->milestones, out->n_milestones, sizeof out->milestones[0], compare_long);
    for (i = 1; i < out->n_milestones; i++) {
        if (out->milestones[i] == out->milestones[i - 1]) {
            snprintf(message, sizeof message, "milestone %ld is listed twice",
                     out->milestones[i]);
            field_error(errors, "milestones", "not_allowed", message);
            return false;
        }
    }
    return true;
}

/* A string member; false (with a field error) when present with another type. */
static bool string_member(const json_t *body, const char *key, const char **out,
                          json_t *errors)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        char message[96];
        snprintf(message, sizeof message, "%s must be a string", key);
        field_error(errors, key, "wrong_type", message);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

/* A boolean member; false (with a field error) when present with another type. */
static bool bool_member(const json_t *body, const char *key, bool *out, json_t *errors)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v)) {
        char message[96];
        snprintf(message, sizeof message, "%s must be true or false", key);
        field_error(errors, key, "wrong_type", message);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

/* country, smallBusiness, oneStopShop, supplies (after chart: the country is its). */
static void read_tax_settings(const json_t *body, struct tenant_settings *out, json_t *errors)
{
    const char *text;
    char message[200];
    snprintf(out->country, sizeof out->country, "%s", out->chart->country);
    if (string_member(body, "country", &text, errors) && text) {
        if (strcmp(text, "AT") != 0 && strcmp(text, "DE") != 0) {
            field_error(errors, "country", "not_allowed", "country must be AT or DE");
        } else if (strcmp(text, out->chart->country) != 0) {
            snprintf(message, sizeof message,
                     "country %s does not fit the chart %s, which is %s's; change both",
                     text, out->chart->slug, out->chart->country);
            field_error(errors, "country", "not_allowed", message);
        }
    }
    bool_member(body, "smallBusiness", &out->small_business, errors);
    bool_member(body, "oneStopShop", &out->oss, errors);
    if (out->small_business && out->oss)
        field_error(errors, "oneStopShop", "not_allowed",
                    "a small business (smallBusiness) charges no VAT and has no one-stop-shop "
                    "sales; turn one of them off");
    if (string_member(body, "supplies", &text, errors) && text) {
        if (strcmp(text, "goods") != 0 && strcmp(text, "services") != 0)
            field_error(errors, "supplies", "not_allowed", "supplies must be services or goods");
        out->goods = strcmp(text, "goods") == 0;
    }
}

int settings_from_json(const json_t *body, struct tenant_settings *out, json_t **field_errors,
                       struct error *err)
{
    static const char *const keys[] = {"chart",         "timeZone",    "fiscalYearStart",
                                       "vatNumber",     "milestones",  "country",
                                       "smallBusiness", "oneStopShop", "supplies"};
    json_t *errors = json_array();
    const char *key, *text;
    json_t *v;
    char message[256];
    *field_errors = NULL;
    settings_defaults(out);
    if (!errors)
        return error_set(err, ERR_INTERNAL, "out of memory");

    json_object_foreach((json_t *)body, key, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            known |= strcmp(key, keys[i]) == 0;
        if (!known) {
            snprintf(message, sizeof message,
                     "unknown setting '%.*s'; settings are chart, timeZone, fiscalYearStart, "
                     "vatNumber, milestones, country, smallBusiness, oneStopShop and supplies",
                     UTF8_CUT(64, key));
            field_error(errors, key, "unknown_field", message);
        }
    }
    if (string_member(body, "chart", &text, errors) && text) {
        out->chart = ledger_chart_find(text);
        if (!out->chart) {
            field_error(errors, "chart", "not_allowed", "chart must be one of: skr03, skr04, ekr");
            out->chart = ledger_chart_default();
        }
    }
    if (string_member(body, "timeZone", &text, errors) && text) {
        out->time_zone = tz_find(text);
        if (!tz_name_plausible(text)) {
            field_error(errors, "timeZone", "pattern_mismatch",
                        "timeZone must be an IANA time zone name such as Europe/Vienna");
        } else if (!out->time_zone) {
            snprintf(message, sizeof message,
                     "time zone %.*s is not supported; UTC and the European zones that follow "
                     "the EU summer time rule are (Europe/Vienna, Europe/Berlin, ...)",
                     UTF8_CUT(64, text));
            field_error(errors, "timeZone", "not_allowed", message);
        }
        if (!out->time_zone)
            out->time_zone = tz_find(SETTINGS_DEFAULT_TIME_ZONE);
    }
    if (string_member(body, "fiscalYearStart", &text, errors) && text &&
        !parse_month_day(text, &out->fiscal_month, &out->fiscal_day))
        field_error(errors, "fiscalYearStart", "pattern_mismatch",
                    "fiscalYearStart must be a day every year has, as MM-DD (e.g. 01-01 or "
                    "07-01)");
    if (string_member(body, "vatNumber", &text, errors) && text && *text) {
        if (!settings_vat_number_valid(text))
            field_error(errors, "vatNumber", "pattern_mismatch",
                        "vatNumber must be an EU VAT identification number with its country "
                        "prefix and no spaces, e.g. ATU12345678 or DE123456789");
        else
            snprintf(out->vat_number, sizeof out->vat_number, "%s", text);
    }
    v = json_object_get(body, "milestones");
    if (v && !json_is_null(v))
        read_milestones(v, out, errors);
    read_tax_settings(body, out, errors);

    if (json_array_size(errors) > 0) {
        *field_errors = errors;
        return error_set(err, ERR_VALIDATION, "the settings are not valid; see fields");
    }
    json_decref(errors);
    return 0;
}

int settings_load(struct store *s, const char *tenant_id, struct tenant_settings *out,
                  struct error *err)
{
    struct store_settings row;
    struct error get_err = {0};
    settings_defaults(out);
    if (store_settings_get(s, tenant_id, &row, &get_err) < 0) {
        if (get_err.code == ERR_NOT_FOUND)
            return 0;
        *err = get_err;
        return -1;
    }
    /* The row was validated when saved; a value this build does not know is an error. */
    const struct ledger_chart *chart = ledger_chart_find(row.chart);
    const struct tz_zone *tz = tz_find(row.time_zone);
    int month = 0, day = 0;
    json_t *milestones = json_loads(row.milestones, 0, NULL);
    json_t *errors = json_array();
    bool ok = chart && tz && parse_month_day(row.fiscal_year_start, &month, &day) && errors &&
              milestones && read_milestones(milestones, out, errors);
    json_decref(milestones);
    json_decref(errors);
    if (!ok)
        return error_set(err, ERR_STORE, "the stored settings of %s are not valid", tenant_id);
    out->chart = chart;
    out->time_zone = tz;
    out->fiscal_month = month;
    out->fiscal_day = day;
    snprintf(out->vat_number, sizeof out->vat_number, "%s", row.vat_number);
    /* The country follows the chart (settings_from_json keeps them equal). */
    snprintf(out->country, sizeof out->country, "%s", chart->country);
    out->small_business = row.small_business;
    out->oss = row.oss;
    out->goods = strcmp(row.supplies, "goods") == 0;
    out->saved = true;
    _Static_assert(sizeof out->updated_at == sizeof row.updated_at, "one timestamp");
    memcpy(out->updated_at, row.updated_at, sizeof out->updated_at);
    return 0;
}

int settings_save(struct store *s, const char *tenant_id, const struct tenant_settings *in,
                  struct error *err)
{
    struct store_settings row = {0};
    size_t len = 1;
    snprintf(row.chart, sizeof row.chart, "%s", in->chart->slug);
    snprintf(row.time_zone, sizeof row.time_zone, "%s", in->time_zone->name);
    snprintf(row.fiscal_year_start, sizeof row.fiscal_year_start, "%02d-%02d", in->fiscal_month,
             in->fiscal_day);
    snprintf(row.vat_number, sizeof row.vat_number, "%s", in->vat_number);
    snprintf(row.country, sizeof row.country, "%s", in->country);
    row.small_business = in->small_business;
    row.oss = in->oss;
    snprintf(row.supplies, sizeof row.supplies, "%s", in->goods ? "goods" : "services");
    row.milestones[0] = '[';
    for (size_t i = 0; i < in->n_milestones && len < sizeof row.milestones; i++)
        len += (size_t)snprintf(row.milestones + len, sizeof row.milestones - len, "%s%ld",
                                i ? "," : "", in->milestones[i]);
    if (len + 2 > sizeof row.milestones)
        return error_set(err, ERR_INTERNAL, "milestones do not fit");
    memcpy(row.milestones + len, "]", 2);
    return store_settings_put(s, tenant_id, &row, err);
}

json_t *settings_json(const struct tenant_settings *in)
{
    char fy[6];
    const struct ledger_chart *c = in->chart;
    json_t *milestones = json_array();
    for (size_t i = 0; milestones && i < in->n_milestones; i++)
        json_array_append_new(milestones, json_integer(in->milestones[i]));
    snprintf(fy, sizeof fy, "%02d-%02d", in->fiscal_month, in->fiscal_day);
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:b, s:s, "
                     "s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "chart",
                     c->slug, "timeZone", in->time_zone->name, "fiscalYearStart", fy,
                     "vatNumber", in->vat_number[0] ? json_string(in->vat_number) : json_null(),
                     "milestones", milestones ? milestones : json_array(), "country",
                     in->country, "smallBusiness", in->small_business, "oneStopShop", in->oss,
                     "supplies", in->goods ? "goods" : "services", "accounts", "bank",
                     c->bank, "clearing", c->clearing, "expense", c->expense, "revenue",
                     c->revenue, "inputVat", c->input_vat, "outputVat", c->output_vat);
}
