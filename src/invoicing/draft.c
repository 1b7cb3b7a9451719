/* invoicing/draft.c - a draft outgoing invoice from a customer's time entries.
 *
 * One transaction reads the customer's billable entries of the period that no draft holds,
 * makes the lines (compute.c) and writes the draft with one reservation per entry. The
 * reservation's key (store/invoicing.h) decides which draft gets an entry when two are made
 * at once: the second finds it taken and is rolled back (409), or, having started after the
 * first committed, does not see it at all. A draft is not the books: it may be deleted,
 * which releases its entries, until it is finalized (finalize.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "invoicing/invoicing.h"
#include "ledger/ledger.h"
#include "settings/settings.h"

/* "YYYY-MM-DD" as days since the epoch; false when not a date. */
static bool parse_day(const char *s, int64_t *days)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap) || y < 1970)
        return false;
    *days = clock_days_from_civil(y, m, d);
    return true;
}

/* The UTC instant of local midnight starting `days` in zone z, as RFC 3339. */
static void local_midnight(const struct tz_zone *z, int64_t days, char out[CLOCK_RFC3339_LEN])
{
    int64_t local = days * 86400;
    int64_t utc = local - tz_offset_s(z, local - tz_offset_s(z, local));
    clock_format_rfc3339(utc * 1000, out);
}

struct entry_list {
    struct store_billable_entry *items;
    size_t n, cap;
    bool failed;
};

static int keep_entry(void *ctx, const struct store_billable_entry *e)
{
    struct entry_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct store_billable_entry *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown) {
            l->failed = true;
            return 1;
        }
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = *e;
    return 0;
}

/* The VAT of a sale of services to this customer, from the tenant's settings. */
static int decide_tax(const struct tenant_settings *ts, const struct invoicing_profile *prof,
                      const struct invoicing_billing *b, int64_t net,
                      struct ledger_tax_decision *d, struct error *err)
{
    int rate = prof->vat_rate_bp >= 0 ? prof->vat_rate_bp : ledger_tax_standard_rate(ts->country);
    struct ledger_tax_facts f = {
        .tenant_country = ts->country,
        .small_business = ts->small_business,
        .oss = ts->oss,
        .goods = false, /* tracked time is a service */
        .direction = LEDGER_REVENUE,
        .country = b->country,
        .vat_id_valid = settings_vat_number_valid(b->vat_id) &&
                        ledger_tax_vat_id_of(b->vat_id, b->country),
        .hint = LEDGER_TAX_HINT_NONE,
        .gross_minor = net,
        .vat_rate_bp = rate,
    };
    if (ledger_tax_decide(&f, d, err) < 0)
        return -1;
    if (d->treatment == LEDGER_TAX_UNCLASSIFIED)
        return error_set(err, ERR_VALIDATION, "the VAT of this invoice cannot be decided: %s",
                         d->note);
    return 0;
}

static json_t *missing_json(const struct invoicing_built *b)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < b->n_missing; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "id", b->missing[i].entry_id,
                                              "reason", b->missing[i].reason));
    return list;
}

struct draft_work {
    const struct invoicing_request *rq;
    struct tenant_settings ts;
    struct invoicing_profile prof;
    struct invoicing_billing billing;
    struct invoicing_rates rates;
    char from_at[CLOCK_RFC3339_LEN], to_at[CLOCK_RFC3339_LEN];
    struct entry_list entries;
    struct invoicing_built built;
};

/* Reads what the draft is made from, before the transaction. */
static int prepare(struct store *s, struct draft_work *w, struct error *err)
{
    const struct invoicing_request *rq = w->rq;
    int64_t from, to;
    if (!parse_day(rq->from, &from) || !parse_day(rq->to, &to) || to < from)
        return error_set(err, ERR_VALIDATION,
                         "from and to must be dates (YYYY-MM-DD), from not after to");
    if (to - from > 366)
        return error_set(err, ERR_VALIDATION, "an invoice period is at most a year long");
    if (settings_load(s, rq->tenant_id, &w->ts, err) < 0 ||
        invoicing_profile_load(s, rq->tenant_id, &w->prof, err) < 0)
        return -1;
    struct error berr = {0};
    if (invoicing_billing_load(s, rq->tenant_id, rq->party_id, &w->billing, &berr) < 0) {
        if (berr.code != ERR_NOT_FOUND) {
            *err = berr;
            return -1;
        }
        struct store_customer c;
        if (store_customer_get(s, rq->tenant_id, rq->party_id, &c, err) < 0)
            return -1;
        return error_set(err, ERR_VALIDATION,
                         "customer %s has no billing details (address, country): set them with "
                         "PUT /api/customers/%s/billing",
                         rq->party_id, rq->party_id);
    }
    w->rates = (struct invoicing_rates){.currency = w->billing.currency,
                                        .has_default = w->billing.has_rate,
                                        .default_minor = w->billing.default_rate_minor};
    if (rq->has_rate) {
        struct money m;
        if (money_parse_decimal(rq->rate, strlen(rq->rate), w->billing.currency, &m, NULL) < 0 ||
            m.minor < 0)
            return error_set(err, ERR_VALIDATION,
                             "rate must be an hourly rate in %s as decimal text, e.g. \"80.00\"",
                             w->billing.currency);
        w->rates.has_request = true;
        w->rates.request_minor = m.minor;
    }
    local_midnight(w->ts.time_zone, from, w->from_at);
    local_midnight(w->ts.time_zone, to + 1, w->to_at);
    return 0;
}

/* Inside the transaction: entries, lines, totals, the draft and its reservations. */
static int make(struct store_tx *tx, struct draft_work *w, struct store_draft *d,
                json_t **problems, struct error *err)
{
    const struct invoicing_request *rq = w->rq;
    bool more = false;
    if (store_billable_entries(tx, rq->tenant_id, rq->party_id, w->from_at, w->to_at,
                               INVOICING_MAX_ENTRIES, keep_entry, &w->entries, &more, err) < 0)
        return -1;
    if (w->entries.failed)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (more)
        return error_set(err, ERR_VALIDATION,
                         "more than %d time entries in the period; invoice a shorter one",
                         INVOICING_MAX_ENTRIES);
    if (w->entries.n == 0)
        return error_set(err, ERR_NOTHING_TO_INVOICE,
                         "customer %s has no billable time entries from %s to %s that are not "
                         "invoiced or in a draft already",
                         rq->party_id, rq->from, rq->to);
    if (invoicing_build(w->entries.items, w->entries.n, w->prof.rounding, rq->by_entry, &w->rates,
                        &w->built, err) < 0)
        return -1;
    if (w->built.n_missing) {
        *problems = missing_json(&w->built);
        return error_set(err, ERR_RATE_MISSING,
                         "%zu time entries have no hourly rate: give \"rate\", or set the "
                         "customer's defaultRate (see entries)",
                         w->built.n_missing);
    }
    if (w->built.net_minor > MONEY_MAX_MINOR)
        return error_set(err, ERR_AMOUNT_OVERFLOW, "the invoice's net exceeds the largest amount");
    struct ledger_tax_decision td;
    if (decide_tax(&w->ts, &w->prof, &w->billing, w->built.net_minor, &td, err) < 0)
        return -1;
    memset(d, 0, sizeof *d);
    snprintf(d->tenant_id, sizeof d->tenant_id, "%s", rq->tenant_id);
    snprintf(d->party_id, sizeof d->party_id, "%s", rq->party_id);
    snprintf(d->period_from, sizeof d->period_from, "%s", rq->from);
    snprintf(d->period_to, sizeof d->period_to, "%s", rq->to);
    snprintf(d->group_by, sizeof d->group_by, "%s", rq->by_entry ? "entry" : "project");
    d->rounding = w->prof.rounding;
    memcpy(d->currency, w->billing.currency, sizeof d->currency);
    d->net_minor = w->built.net_minor;
    d->tax_rate_bp = td.rate_bp > 0 ? td.rate_bp : 0;
    d->tax_minor = invoicing_tax(d->net_minor, d->tax_rate_bp);
    if (__builtin_add_overflow(d->net_minor, d->tax_minor, &d->gross_minor) ||
        d->gross_minor > MONEY_MAX_MINOR)
        return error_set(err, ERR_AMOUNT_OVERFLOW, "the invoice's total exceeds the largest amount");
    snprintf(d->tax_treatment, sizeof d->tax_treatment, "%s", ledger_tax_code(td.treatment));
    memcpy(d->tax_country, td.country, sizeof d->tax_country);
    return store_draft_insert(tx, d, w->built.lines, w->built.n_lines, w->built.res,
                              w->built.n_res, err);
}

int invoicing_draft_create(struct store *s, const struct invoicing_request *rq,
                           struct store_draft *out, json_t **problems, struct error *err)
{
    struct draft_work *w = calloc(1, sizeof *w);
    struct store_tx *tx = NULL;
    int rc = -1;
    *problems = NULL;
    if (!w)
        return error_set(err, ERR_INTERNAL, "out of memory");
    w->rq = rq;
    if (prepare(s, w, err) < 0 || store_tx_begin(s, &tx, err) < 0)
        goto out;
    if (make(tx, w, out, problems, err) < 0) {
        store_tx_rollback(tx);
        goto out;
    }
    rc = store_tx_commit(tx, err);
out:
    invoicing_built_free(&w->built);
    free(w->entries.items);
    free(w);
    return rc;
}

int invoicing_draft_delete(struct store *s, const char *tenant_id, const char *id,
                           struct error *err)
{
    struct store_tx *tx = NULL;
    bool finalized = false;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (store_draft_delete(tx, tenant_id, id, &finalized, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    if (finalized) {
        store_tx_rollback(tx);
        return error_set(err, ERR_INVOICE_FINALIZED,
                         "invoice draft %s is finalized: a finalized invoice is never changed or "
                         "deleted; correct it with a credit note",
                         id);
    }
    return store_tx_commit(tx, err);
}

/* ---- the draft as the API shows it ----------------------------------------------------- */

static json_t *money_json(int64_t minor, const char *currency)
{
    struct money m = {.minor = minor};
    char text[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, text);
    return json_string(text);
}

static json_t *rate_json(int rate_bp)
{
    char text[16];
    snprintf(text, sizeof text, "%d.%02d", rate_bp / 100, rate_bp % 100);
    return json_string(text);
}

struct lines_json {
    json_t *list;
    const char *currency;
};

static int add_line(void *ctx, const struct store_draft_line *l)
{
    struct lines_json *j = ctx;
    char hours[32];
    long long hundredths = ((long long)l->minutes * 100 + 30) / 60; /* half up */
    snprintf(hours, sizeof hours, "%lld.%02lld", hundredths / 100, hundredths % 100);
    json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:o, s:I}", "lineNo", (json_int_t)l->line_no,
                          "description", l->description, "minutes", (json_int_t)l->minutes,
                          "hours", hours, "rate", money_json(l->rate_minor, j->currency), "net",
                          money_json(l->net_minor, j->currency), "entries",
                          (json_int_t)l->entries);
    return !o || json_array_append_new(j->list, o) < 0;
}

static int add_entry_id(void *ctx, const char *id, int64_t line_no, int64_t billed)
{
    json_t *o = json_pack("{s:s, s:I, s:I}", "id", id, "lineNo", (json_int_t)line_no,
                          "billedMinutes", (json_int_t)billed);
    return !o || json_array_append_new(ctx, o) < 0;
}

json_t *invoicing_draft_json(struct store *s, const struct store_draft *d, struct error *err)
{
    struct lines_json lines = {.list = json_array(), .currency = d->currency};
    json_t *entries = json_array();
    if (!lines.list || !entries ||
        store_draft_lines(s, NULL, d->tenant_id, d->id, add_line, &lines, err) < 0 ||
        store_draft_entry_ids(s, d->tenant_id, d->id, add_entry_id, entries, err) < 0) {
        json_decref(lines.list);
        json_decref(entries);
        return NULL;
    }
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s}",
        "id", d->id, "status", d->status, "customerId", d->party_id, "period", "from",
        d->period_from, "to", d->period_to, "groupBy", d->group_by, "roundingMinutes",
        d->rounding, "currency", d->currency, "lines", lines.list, "net",
        money_json(d->net_minor, d->currency), "tax", money_json(d->tax_minor, d->currency),
        "gross", money_json(d->gross_minor, d->currency), "taxTreatment", d->tax_treatment,
        "taxRate", rate_json(d->tax_rate_bp), "invoiceId",
        d->invoice_id[0] ? json_string(d->invoice_id) : json_null(), "entries", entries,
        "createdAt", d->created_at);
    if (!o)
        error_set(err, ERR_INTERNAL, "out of memory");
    return o;
}
