/* catalog/fields.c - the settings fields that many connectors share, defined once and
 * added to a connector's own by the capability flags its manifest names ("caps"): the
 * payment booking fields, the sync schedule and the apiBaseUrl override. With them, the
 * walk over a connector's whole schema (catalog_field_at() is the only one) and the kind's
 * names. */
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/internal.h"

#define FIELDS(x) .fields = (x), .n_fields = sizeof(x) / sizeof((x)[0])

#define PATTERN_ACCOUNT "^[0-9]{4,8}$"

/* ---- Fields added by capability flags ------------------------------------------------ */

static const char *const direction_values[] = {"expense", "revenue", NULL};
/* The rates of the charts' VAT codes (ledger/charts.c): Austria 20/13/10, Germany 19/7. */
static const char *const vat_rate_values[] = {"20", "19", "13", "10", "7", NULL};

static const struct setting_field payment_fields[] = {
    {.key = "autoPost", .label = "Post automatically", .type = SETTING_BOOL,
     .default_value = "false",
     .help = "Book each imported payment in the ledger at once; when off, imported payments "
             "wait for review before they are posted"},
    {.key = "direction", .label = "Booking direction", .type = SETTING_ENUM,
     .default_value = "\"expense\"", .allowed = direction_values,
     .help = "Whether this connector's payments are booked as expenses (money out) or as "
             "revenue (money in)"},
    {.key = "expenseAccount", .label = "Expense account", .type = SETTING_STRING,
     .pattern = PATTERN_ACCOUNT, .format = "4 to 8 digits",
     .help = "Ledger account number (4 to 8 digits) that expense payments are booked to"},
    {.key = "revenueAccount", .label = "Revenue account", .type = SETTING_STRING,
     .pattern = PATTERN_ACCOUNT, .format = "4 to 8 digits",
     .help = "Ledger account number (4 to 8 digits) that revenue payments are booked to"},
    {.key = "clearingAccount", .label = "Clearing account", .type = SETTING_STRING,
     .pattern = PATTERN_ACCOUNT, .format = "4 to 8 digits",
     .help = "Ledger account number (4 to 8 digits) of the provider's clearing or transit "
             "account, where payments wait until the payout reaches the bank"},
    {.key = "defaultSupplierId", .label = "Default supplier", .type = SETTING_STRING,
     .help = "ID of the supplier that payments are assigned to when none can be matched"},
    {.key = "vatRate", .label = "VAT rate (%)", .type = SETTING_ENUM, .allowed = vat_rate_values,
     .help = "VAT rate contained in this connector's gross amounts; the ledger then books the "
             "tax to the chart's VAT account with a VAT code (for DATEV and the VAT return). "
             "Leave it out when the payments carry no VAT or their rate is not known: the "
             "gross amount is then booked without a VAT code"},
};

static const struct setting_field api_base_url_fields[] = {
    {.key = "apiBaseUrl", .label = "API base URL", .type = SETTING_URL,
     .help = "Override the service's API base URL, e.g. for a sandbox or a test server"},
};

static const struct setting_field sync_fields[] = {
    {.key = "syncIntervalMinutes", .label = "Sync every (minutes)", .type = SETTING_INT,
     .default_value = "15", .min = 5, .max = 1440,
     .help = "How often the connector pulls new and changed records from the service, in "
             "minutes (5 to 1440); \"Sync now\" pulls at once"},
};

/* In the order catalog_field_at() returns them, after the connector's own fields. */
static const struct {
    unsigned cap;
    const struct setting_field *fields;
    size_t n_fields;
} cap_fields[] = {
    {CATALOG_CAP_PAYMENT, FIELDS(payment_fields)},
    {CATALOG_CAP_SYNC, FIELDS(sync_fields)},
    {CATALOG_CAP_API_BASE_URL, FIELDS(api_base_url_fields)},
};


const struct setting_field *catalog_cap_field_find(unsigned caps, const char *key)
{
    for (size_t c = 0; c < sizeof cap_fields / sizeof cap_fields[0]; c++) {
        if (!(caps & cap_fields[c].cap))
            continue;
        for (size_t i = 0; i < cap_fields[c].n_fields; i++)
            if (strcmp(cap_fields[c].fields[i].key, key) == 0)
                return &cap_fields[c].fields[i];
    }
    return NULL;
}

const char *catalog_kind_name(enum connector_kind kind)
{
    switch (kind) {
    case KIND_WEBHOOK:
        return "webhook";
    case KIND_API:
        return "api";
    case KIND_HYBRID:
        return "hybrid";
    case KIND_DESTINATION:
        return "destination";
    }
    return "unknown";
}

bool catalog_kind_has_webhook(enum connector_kind kind)
{
    return kind == KIND_WEBHOOK || kind == KIND_HYBRID;
}

const struct setting_field *catalog_field_at(const struct connector_manifest *m, size_t i)
{
    if (i < m->n_fields)
        return &m->fields[i];
    i -= m->n_fields;
    for (size_t c = 0; c < sizeof cap_fields / sizeof cap_fields[0]; c++) {
        if (!(m->caps & cap_fields[c].cap))
            continue;
        if (i < cap_fields[c].n_fields)
            return &cap_fields[c].fields[i];
        i -= cap_fields[c].n_fields;
    }
    return NULL;
}

const struct setting_field *catalog_field_find(const struct connector_manifest *m,
                                               const char *key)
{
    const struct setting_field *f;

    if (!key)
        return NULL;
    for (size_t i = 0; (f = catalog_field_at(m, i)) != NULL; i++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

bool catalog_field_is_secret(const struct setting_field *f)
{
    return f->type == SETTING_SECRET || (f->flags & SETTING_SENSITIVE) != 0;
}
