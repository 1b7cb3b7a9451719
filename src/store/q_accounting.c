/* store/q_accounting.c - tenant settings, the journal as exports and VAT returns read it, and the
 * record of VAT returns sent to a tax office, always within one tenant.
 *
 * Every statement is a static string (the driver caches statements by the SQL's address);
 * optional filters are "($n IS NULL OR column = $n)". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/accounting.h"
#include "store/store_int.h"

static const char *text_or_null(const struct store_row *row, int col)
{
    return row->driver->row_text(row, col);
}

/* ---- settings ----------------------------------------------------------------------- */

struct settings_read {
    struct store_settings *out;
    bool found, failed;
};

static int settings_row(void *ctx, const struct store_row *row)
{
    struct settings_read *r = ctx;
    r->found = true;
    if (store_row_copy(row, 0, r->out->chart, sizeof r->out->chart) < 0 ||
        store_row_copy(row, 1, r->out->time_zone, sizeof r->out->time_zone) < 0 ||
        store_row_copy(row, 2, r->out->fiscal_year_start, sizeof r->out->fiscal_year_start) < 0 ||
        store_row_copy(row, 3, r->out->vat_number, sizeof r->out->vat_number) < 0 ||
        store_row_copy(row, 4, r->out->milestones, sizeof r->out->milestones) < 0 ||
        store_row_copy(row, 5, r->out->updated_at, sizeof r->out->updated_at) < 0 ||
        store_row_copy(row, 6, r->out->country, sizeof r->out->country) < 0 ||
        store_row_copy(row, 9, r->out->supplies, sizeof r->out->supplies) < 0)
        r->failed = true;
    r->out->small_business = store_row_int(row, 7) != 0;
    r->out->oss = store_row_int(row, 8) != 0;
    return 1;
}

int store_settings_get(struct store *s, const char *tenant_id, struct store_settings *out,
                       struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id)};
    struct settings_read r = {.out = out};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT chart, time_zone, fiscal_year_start, vat_number, milestones, updated_at, "
                  "country, small_business, oss, supplies FROM tenant_settings WHERE tenant_id = $1",
                  p, N_PARAMS(p), settings_row, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "cannot read the settings row of %s", tenant_id);
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "no settings saved");
}

int store_settings_put(struct store *s, const char *tenant_id, const struct store_settings *in,
                       struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(tenant_id),         P_TEXT(in->chart),
                              P_TEXT(in->time_zone),     P_TEXT(in->fiscal_year_start),
                              P_TEXT(in->vat_number[0] ? in->vat_number : NULL),
                              P_TEXT(in->milestones),    P_TEXT(now),
                              P_TEXT(in->country[0] ? in->country : NULL),
                              P_INT(in->small_business), P_INT(in->oss),
                              P_TEXT(in->supplies[0] ? in->supplies : "services")};
    /* The change and its announcement commit together: every process forgets what it
     * kept of the old settings (store.h's STORE_CHANNEL_SETTINGS). */
    struct store_conn *c = store_acquire(s);
    int rc = store_begin(s, c, err);
    if (rc == 0)
        rc = store_query(s, c,
                         "INSERT INTO tenant_settings (tenant_id, chart, time_zone, "
                         "fiscal_year_start, vat_number, milestones, updated_at, country, "
                         "small_business, oss, supplies) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                         "ON CONFLICT (tenant_id) DO UPDATE SET chart = excluded.chart, "
                         "time_zone = excluded.time_zone, "
                         "fiscal_year_start = excluded.fiscal_year_start, "
                         "vat_number = excluded.vat_number, milestones = excluded.milestones, "
                         "updated_at = excluded.updated_at, country = excluded.country, "
                         "small_business = excluded.small_business, oss = excluded.oss, "
                         "supplies = excluded.supplies",
                         p, N_PARAMS(p), NULL, NULL, NULL, err);
    if (rc == 0)
        rc = store_notify_on(s, c, STORE_CHANNEL_SETTINGS, tenant_id, err);
    return store_end(s, c, rc, err);
}

/* ---- one entry's lines -------------------------------------------------------------- */

struct lines_read {
    struct journal_line_row *out;
    size_t cap, n;
    bool failed, overflow;
};

static int line_row(void *ctx, const struct store_row *row)
{
    struct lines_read *r = ctx;
    if (r->n == r->cap) {
        r->overflow = true;
        return 1;
    }
    struct journal_line_row *l = &r->out[r->n];
    memset(l, 0, sizeof *l);
    if (store_row_copy(row, 0, l->account, sizeof l->account) < 0 ||
        store_row_copy(row, 3, l->currency, sizeof l->currency) < 0 ||
        store_row_copy(row, 4, l->vat_code, sizeof l->vat_code) < 0 ||
        store_row_copy(row, 8, l->tax_treatment, sizeof l->tax_treatment) < 0 ||
        store_row_copy(row, 9, l->tax_country, sizeof l->tax_country) < 0) {
        r->failed = true;
        return 1;
    }
    l->debit_minor = store_row_int(row, 1);
    l->credit_minor = store_row_int(row, 2);
    l->vat_tax = store_row_int(row, 5) != 0;
    l->book_debit_minor = store_row_int(row, 6);
    l->book_credit_minor = store_row_int(row, 7);
    l->tax_rate_bp = store_row_is_null(row, 10) ? -1 : (int)store_row_int(row, 10);
    r->n++;
    return 0;
}

int store_journal_lines_get(struct store_tx *tx, const char *tenant_id, const char *entry_id,
                            struct journal_line_row *out, size_t cap, size_t *n,
                            struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(entry_id)};
    struct lines_read r = {.out = out, .cap = cap};
    *n = 0;
    if (store_tx_query(tx,
                       "SELECT account, debit_minor, credit_minor, currency, vat_code, vat_tax, "
                       "book_debit_minor, book_credit_minor, tax_treatment, tax_country, "
                       "tax_rate_bp FROM journal_lines WHERE tenant_id = $1 AND entry_id = $2 "
                       "ORDER BY line_no",
                       p, N_PARAMS(p), line_row, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "cannot read a line of entry %s", entry_id);
    if (r.overflow)
        return error_set(err, ERR_VALIDATION, "entry %s has more than %zu lines", entry_id, cap);
    *n = r.n;
    return 0;
}

/* ---- the journal as an export reads it ---------------------------------------------- */

struct export_rows {
    int (*fn)(void *ctx, const struct journal_export_line *l);
    void *ctx;
};

static int export_row(void *ctx, const struct store_row *row)
{
    struct export_rows *r = ctx;
    struct journal_export_line l = {
        .entry_id = store_row_text(row, 0),
        .date = store_row_text(row, 1),
        .description = store_row_text(row, 2),
        .invoice_type = text_or_null(row, 3),
        .invoice_number = text_or_null(row, 4),
        .external_id = text_or_null(row, 5),
        .related_number = text_or_null(row, 6),
        .party_name = text_or_null(row, 7),
        .account = store_row_text(row, 8),
        .debit_minor = store_row_int(row, 9),
        .credit_minor = store_row_int(row, 10),
        .currency = store_row_text(row, 11),
        .vat_code = text_or_null(row, 12),
        .vat_tax = store_row_int(row, 13) != 0,
        .rated = !store_row_is_null(row, 14),
        .book_debit_minor = store_row_int(row, 14),
        .book_credit_minor = store_row_int(row, 15),
        .fx_rate = store_row_int(row, 16),
        .tax_treatment = text_or_null(row, 17),
        .tax_country = text_or_null(row, 18),
        .tax_rate_bp = store_row_is_null(row, 19) ? -1 : (int)store_row_int(row, 19),
        .vat_id = text_or_null(row, 20),
    };
    return r->fn(r->ctx, &l);
}

int store_journal_export(struct store *s, const char *tenant_id, const char *from,
                         const char *to,
                         int (*fn)(void *ctx, const struct journal_export_line *l), void *ctx,
                         struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(from), P_TEXT(to)};
    struct export_rows r = {.fn = fn, .ctx = ctx};
    return store_run(s,
                     "SELECT e.id, e.entry_date, e.description, i.type, i.invoice_number, "
                     "i.external_id, o.invoice_number, p.name, l.account, l.debit_minor, "
                     "l.credit_minor, l.currency, l.vat_code, l.vat_tax, l.book_debit_minor, "
                     "l.book_credit_minor, x.rate, l.tax_treatment, l.tax_country, "
                     "l.tax_rate_bp, i.tax_vat_id "
                     "FROM journal_entries e "
                     "JOIN journal_lines l ON l.entry_id = e.id "
                     "LEFT JOIN invoices i ON i.id = e.invoice_id AND i.tenant_id = e.tenant_id "
                     "LEFT JOIN invoices o ON o.id = i.related_invoice_id "
                     "AND o.tenant_id = e.tenant_id "
                     "LEFT JOIN parties p ON p.id = i.party_id AND p.tenant_id = e.tenant_id "
                     "LEFT JOIN invoice_fx x ON x.invoice_id = i.id "
                     "WHERE e.tenant_id = $1 AND e.entry_date >= $2 AND e.entry_date <= $3 "
                     "ORDER BY e.entry_date, e.id, l.line_no",
                     p, N_PARAMS(p), export_row, &r, NULL, err);
}

/* ---- the lines VAT returns read ----------------------------------------------------- */

struct tax_rows {
    int (*fn)(void *ctx, const struct tax_line_row *r);
    void *ctx;
};

static int tax_row(void *ctx, const struct store_row *row)
{
    struct tax_rows *r = ctx;
    const struct tax_line_row l = {
        .invoice_id = store_row_text(row, 0),
        .vat_code = store_row_text(row, 1),
        .vat_tax = store_row_int(row, 2) != 0,
        .treatment = store_row_text(row, 3),
        .country = store_row_text(row, 4),
        .rate_bp = store_row_is_null(row, 5) ? -1 : (int)store_row_int(row, 5),
        .currency = store_row_text(row, 6),
        .debit_minor = store_row_int(row, 7),
        .credit_minor = store_row_int(row, 8),
        .note = store_row_text(row, 9),
        .vat_id = store_row_text(row, 10),
        .rated = !store_row_is_null(row, 11),
        .book_debit_minor = store_row_int(row, 11),
        .book_credit_minor = store_row_int(row, 12),
    };
    return r->fn(r->ctx, &l);
}

int store_tax_lines(struct store *s, const char *tenant_id, const char *from, const char *to,
                    int (*fn)(void *ctx, const struct tax_line_row *r), void *ctx,
                    struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(from), P_TEXT(to)};
    struct tax_rows r = {.fn = fn, .ctx = ctx};
    return store_run(s,
                     "SELECT e.invoice_id, l.vat_code, l.vat_tax, l.tax_treatment, "
                     "l.tax_country, l.tax_rate_bp, l.currency, l.debit_minor, l.credit_minor, "
                     "i.tax_note, i.tax_vat_id, l.book_debit_minor, l.book_credit_minor "
                     "FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id "
                     "LEFT JOIN invoices i ON i.id = e.invoice_id AND i.tenant_id = e.tenant_id "
                     "WHERE l.tenant_id = $1 AND e.entry_date >= $2 AND e.entry_date <= $3 "
                     "AND (l.vat_code IS NOT NULL OR l.tax_treatment IS NOT NULL) "
                     "ORDER BY e.entry_date, e.id, l.line_no",
                     p, N_PARAMS(p), tax_row, &r, NULL, err);
}

/* ---- VAT return submissions --------------------------------------------------------- */

static int read_int(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

static int read_text(void *ctx, const struct store_row *row)
{
    store_row_copy(row, 0, ctx, CLOCK_RFC3339_LEN);
    return 1;
}

static const char *const next_package_sql =
    "SELECT COALESCE(MAX(package_no), 0) + 1 FROM vat_submissions WHERE tenant_id = $1";

int store_vat_submission_claim(struct store *s, const char *tenant_id, const char *country,
                               const char *period, bool test, bool correction,
                               int64_t stale_before_ms, char id_out[CRYPTO_ID_MAX],
                               int64_t *package_no, struct error *err)
{
    char now[CLOCK_RFC3339_LEN], stale[CLOCK_RFC3339_LEN], accepted_at[CLOCK_RFC3339_LEN] = "";
    struct store_conn *c = store_acquire(s);
    struct error qerr = {0};
    int rc = -1;
    clock_format_rfc3339(clock_now_ms(), now);
    clock_format_rfc3339(stale_before_ms, stale);
    if (crypto_id_new("vsub_", id_out) < 0) {
        error_set(err, ERR_INTERNAL, "no randomness available");
        goto out;
    }
    if (store_begin(s, c, err) < 0)
        goto out;
    struct store_param key[] = {P_TEXT(tenant_id), P_TEXT(country), P_TEXT(period),
                                P_INT(test), P_TEXT(stale)};
    if (store_query(s, c,
                    "DELETE FROM vat_submissions WHERE tenant_id = $1 AND country = $2 "
                    "AND period = $3 AND test = $4 AND status = 'pending' AND created_at < $5",
                    key, N_PARAMS(key), NULL, NULL, NULL, err) < 0 ||
        store_query(s, c,
                    "SELECT MAX(submitted_at) FROM vat_submissions WHERE tenant_id = $1 "
                    "AND country = $2 AND period = $3 AND test = $4 AND status = 'accepted'",
                    key, N_PARAMS(key) - 1, read_text, accepted_at, NULL, err) < 0)
        goto fail;
    if (accepted_at[0] && !correction) {
        error_set(err, ERR_ALREADY_SUBMITTED,
                  "the %s return for %s was already %ssubmitted (%s); send \"correction\": true "
                  "to submit a corrected return",
                  country, period, test ? "test-" : "", accepted_at);
        goto fail;
    }
    struct store_param t[] = {P_TEXT(tenant_id)};
    if (store_query(s, c, next_package_sql, t, N_PARAMS(t), read_int, package_no, NULL, err) < 0)
        goto fail;
    struct store_param row[] = {P_TEXT(id_out),  P_TEXT(tenant_id), P_TEXT(country),
                                P_TEXT(period),  P_INT(test),       P_INT(correction),
                                P_INT(*package_no), P_TEXT(now)};
    if (store_query(s, c,
                    "INSERT INTO vat_submissions (id, tenant_id, country, period, test, "
                    "correction, package_no, status, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
                    row, N_PARAMS(row), NULL, NULL, NULL, &qerr) < 0) {
        if (qerr.code == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT,
                      "a submission of the %s return for %s is in progress; try again when it "
                      "has finished", country, period);
        else
            *err = qerr;
        goto fail;
    }
    if (store_commit(s, c, err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    store_rollback(s, c);
out:
    store_release(s, c);
    return rc;
}

int store_vat_submission_accept(struct store *s, const char *tenant_id, const char *id,
                                const char *figures, const char *document, int64_t service_rc,
                                const char *service_message, const char *submitted_at,
                                struct error *err)
{
    int64_t changes = 0;
    struct store_param p[] = {P_TEXT(figures),         P_TEXT(document),     P_INT(service_rc),
                              P_TEXT(service_message), P_TEXT(submitted_at), P_TEXT(tenant_id),
                              P_TEXT(id)};
    if (store_run(s,
                  "UPDATE vat_submissions SET status = 'accepted', figures = $1, document = $2, "
                  "service_rc = $3, service_message = $4, submitted_at = $5 "
                  "WHERE tenant_id = $6 AND id = $7 AND status = 'pending'",
                  p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0
                        : error_set(err, ERR_STORE, "submission %s was no longer pending", id);
}

int store_vat_submission_abandon(struct store *s, const char *tenant_id, const char *id,
                                 struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    return store_run(s,
                     "DELETE FROM vat_submissions WHERE tenant_id = $1 AND id = $2 "
                     "AND status = 'pending'",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_vat_next_package(struct store *s, const char *tenant_id, int64_t *package_no,
                           struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id)};
    *package_no = 1;
    return store_run(s, next_package_sql, p, N_PARAMS(p), read_int, package_no, NULL, err);
}

struct submission_rows {
    int (*fn)(void *ctx, const struct vat_submission *sub);
    void *ctx;
    bool failed;
};

static int submission_row(void *ctx, const struct store_row *row)
{
    struct submission_rows *r = ctx;
    struct vat_submission sub = {
        .test = store_row_int(row, 3) != 0,
        .correction = store_row_int(row, 4) != 0,
        .package_no = store_row_int(row, 5),
        .figures = store_row_text(row, 6),
        .service_rc = store_row_int(row, 7),
        .service_message = text_or_null(row, 8),
    };
    if (store_row_copy(row, 0, sub.id, sizeof sub.id) < 0 ||
        store_row_copy(row, 1, sub.country, sizeof sub.country) < 0 ||
        store_row_copy(row, 2, sub.period, sizeof sub.period) < 0 ||
        store_row_copy(row, 9, sub.created_at, sizeof sub.created_at) < 0 ||
        store_row_copy(row, 10, sub.submitted_at, sizeof sub.submitted_at) < 0) {
        r->failed = true;
        return 1;
    }
    return r->fn(r->ctx, &sub);
}

int store_vat_submission_list(struct store *s, const char *tenant_id, const char *country,
                              const char *period, const struct store_page *page,
                              int (*fn)(void *ctx, const struct vat_submission *sub), void *ctx,
                              struct error *err)
{
    /* "~" sorts after every id; without a page, INT32_MAX rows is all of them (a LIMIT
     * both SQLite and PostgreSQL read the same way). */
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(country), P_TEXT(period),
                              P_TEXT(page && page->before ? page->before : "~"),
                              P_INT(page ? page->limit : INT32_MAX)};
    struct submission_rows r = {.fn = fn, .ctx = ctx};
    if (store_run(s,
                  "SELECT id, country, period, test, correction, package_no, figures, "
                  "service_rc, service_message, created_at, submitted_at FROM vat_submissions "
                  "WHERE tenant_id = $1 AND country = $2 AND ($3 IS NULL OR period = $3) "
                  "AND status = 'accepted' AND id < $4 ORDER BY id DESC LIMIT $5",
                  p, N_PARAMS(p), submission_row, &r, NULL, err) < 0)
        return -1;
    return r.failed ? error_set(err, ERR_STORE, "cannot read a submission row") : 0;
}
