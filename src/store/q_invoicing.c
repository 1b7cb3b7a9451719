/* store/q_invoicing.c - the SQL of invoicing time entries (store/invoicing.h): profiles and
 * billing details, drafts and their reservations, the number sequence and the finalized
 * invoice's document. Portable SQL only; the writes run in the caller's transaction except
 * the profile and billing documents, which are single statements. */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "store/invoicing.h"
#include "store/store_int.h"

static void now_text(char out[CLOCK_RFC3339_LEN])
{
    clock_format_rfc3339(clock_now_ms(), out);
}

static int note_found(void *ctx, const struct store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 1;
}

/* ---- profile and billing ------------------------------------------------------------------ */

struct doc_read {
    char *out;
    size_t cap;
    bool found, failed;
};

static int read_doc(void *ctx, const struct store_row *row)
{
    struct doc_read *r = ctx;
    r->found = true;
    r->failed = store_row_copy(row, 0, r->out, r->cap) < 0;
    return 1;
}

int store_invoice_settings_get(struct store *s, const char *tenant_id,
                               char doc[STORE_INVOICING_DOC_MAX], struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id)};
    struct doc_read r = {.out = doc, .cap = STORE_INVOICING_DOC_MAX};
    if (store_run(s, "SELECT document FROM invoice_settings WHERE tenant_id = $1", p,
                  N_PARAMS(p), read_doc, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "the invoice profile of %s does not fit", tenant_id);
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "no invoice profile saved");
}

int store_invoice_settings_put(struct store *s, const char *tenant_id, const char *doc,
                               struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(doc), P_TEXT(now)};
    return store_run(s,
                     "INSERT INTO invoice_settings (tenant_id, document, updated_at) "
                     "VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO UPDATE SET "
                     "document = excluded.document, updated_at = excluded.updated_at",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

struct billing_read {
    struct store_party_billing *out;
    bool found, failed;
};

static int read_billing(void *ctx, const struct store_row *row)
{
    struct billing_read *r = ctx;
    r->found = true;
    r->failed = store_row_copy(row, 0, r->out->doc, sizeof r->out->doc) < 0 ||
                store_row_copy(row, 2, r->out->currency, sizeof r->out->currency) < 0;
    r->out->has_rate = !store_row_is_null(row, 1);
    r->out->default_rate_minor = store_row_int(row, 1);
    return 1;
}

int store_party_billing_get(struct store *s, const char *tenant_id, const char *party_id,
                            struct store_party_billing *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(party_id)};
    struct billing_read r = {.out = out};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT document, default_rate_minor, currency FROM party_billing "
                  "WHERE tenant_id = $1 AND party_id = $2",
                  p, N_PARAMS(p), read_billing, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "the billing details of %s do not fit", party_id);
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "the customer has no billing details");
}

/* Inside tx: the customer's billing row, written or replaced; *found false (nothing
 * written) when party_id is no customer of the tenant. */
static int billing_upsert(struct store_tx *tx, const char *tenant_id, const char *party_id,
                          const struct store_party_billing *in, bool *found, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param q[] = {P_TEXT(tenant_id), P_TEXT(party_id)};
    *found = false;
    if (store_tx_query(tx,
                       "SELECT 1 FROM parties WHERE tenant_id = $1 AND id = $2 "
                       "AND role = 'customer'",
                       q, N_PARAMS(q), note_found, found, NULL, err) < 0)
        return -1;
    if (!*found)
        return 0;
    struct store_param p[] = {P_TEXT(party_id), P_TEXT(tenant_id), P_TEXT(in->doc),
                              in->has_rate ? P_INT(in->default_rate_minor) : P_TEXT(NULL),
                              P_TEXT(in->currency), P_TEXT(now)};
    return store_tx_query(tx,
                          "INSERT INTO party_billing (party_id, tenant_id, document, "
                          "default_rate_minor, currency, updated_at) "
                          "VALUES ($1, $2, $3, CAST($4 AS BIGINT), $5, $6) "
                          "ON CONFLICT (party_id) DO UPDATE SET document = excluded.document, "
                          "default_rate_minor = excluded.default_rate_minor, "
                          "currency = excluded.currency, updated_at = excluded.updated_at",
                          p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_party_billing_put(struct store *s, const char *tenant_id, const char *party_id,
                            const struct store_party_billing *in, struct error *err)
{
    struct store_tx *tx = NULL;
    bool found = false;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (billing_upsert(tx, tenant_id, party_id, in, &found, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    if (!found) {
        store_tx_rollback(tx);
        return error_set(err, ERR_NOT_FOUND, "customer not found");
    }
    return store_tx_commit(tx, err);
}

int store_customer_create(struct store *s, const char *tenant_id, const char *name,
                          const char *email, const struct store_party_billing *billing,
                          char id_out[CRYPTO_ID_MAX], struct error *err)
{
    struct store_tx *tx = NULL;
    char now[CLOCK_RFC3339_LEN];
    bool found = false;
    now_text(now);
    if (crypto_id_new("cus_", id_out) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    struct store_param p[] = {P_TEXT(id_out), P_TEXT(tenant_id), P_TEXT(name),
                              P_TEXT(email && *email ? email : NULL), P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO parties (id, tenant_id, role, name, email, created_at) "
                       "VALUES ($1, $2, 'customer', $3, $4, $5)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0 ||
        billing_upsert(tx, tenant_id, id_out, billing, &found, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    return store_tx_commit(tx, err);
}

struct customer_read {
    struct store_customer *out;
    bool found;
};

static int read_customer(void *ctx, const struct store_row *row)
{
    struct customer_read *r = ctx;
    r->found = true;
    utf8_copy(r->out->name, sizeof r->out->name, store_row_text(row, 0));
    utf8_copy(r->out->email, sizeof r->out->email, store_row_text(row, 1));
    utf8_copy(r->out->provider, sizeof r->out->provider, store_row_text(row, 2));
    utf8_copy(r->out->provider_ref, sizeof r->out->provider_ref, store_row_text(row, 3));
    return 1;
}

int store_customer_get(struct store *s, const char *tenant_id, const char *party_id,
                       struct store_customer *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(party_id)};
    struct customer_read r = {.out = out};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT name, email, provider, provider_ref FROM parties WHERE tenant_id = $1 "
                  "AND id = $2 AND role = 'customer'",
                  p, N_PARAMS(p), read_customer, &r, NULL, err) < 0)
        return -1;
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "customer not found");
}

/* ---- billable time entries -------------------------------------------------------------- */

struct entry_rows {
    int (*fn)(void *ctx, const struct store_billable_entry *e);
    void *ctx;
    size_t limit, seen;
    bool *more;
    bool failed;
};

static int entry_row(void *ctx, const struct store_row *row)
{
    struct entry_rows *r = ctx;
    if (r->seen++ == r->limit) {
        *r->more = true;
        return 1;
    }
    struct store_billable_entry e;
    memset(&e, 0, sizeof e);
    if (store_row_copy(row, 0, e.id, sizeof e.id) < 0 ||
        store_row_copy(row, 1, e.started_at, sizeof e.started_at) < 0) {
        r->failed = true; /* an id longer than any source's: never cut */
        return 1;
    }
    e.minutes = store_row_int(row, 2);
    utf8_copy(e.description, sizeof e.description, store_row_text(row, 3));
    utf8_copy(e.project, sizeof e.project, store_row_text(row, 4));
    e.has_rate = !store_row_is_null(row, 5);
    e.rate_minor = store_row_int(row, 5);
    utf8_copy(e.currency, sizeof e.currency, store_row_text(row, 6));
    return r->fn(r->ctx, &e);
}

int store_billable_entries(struct store_tx *tx, const char *tenant_id, const char *party_id,
                           const char *from_at, const char *to_at, size_t limit,
                           int (*fn)(void *ctx, const struct store_billable_entry *e),
                           void *ctx, bool *more, struct error *err)
{
    struct entry_rows r = {.fn = fn, .ctx = ctx, .limit = limit, .more = more};
    *more = false;
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(party_id), P_TEXT(from_at),
                              P_TEXT(to_at), P_INT((int64_t)limit + 1)};
    if (store_tx_query(tx,
                          "SELECT te.id, te.started_at, te.minutes, te.description, te.project, "
                          "te.rate_minor, te.currency FROM time_entries te "
                          "JOIN parties p ON p.tenant_id = te.tenant_id AND p.id = $2 "
                          "AND p.role = 'customer' "
                          "WHERE te.tenant_id = $1 AND te.billable = 1 "
                          "AND te.deleted_at IS NULL AND te.review_reason IS NULL "
                          "AND te.started_at >= $3 AND te.started_at < $4 "
                          "AND (te.client = p.name OR (p.provider_ref IS NOT NULL "
                          "AND te.source = p.provider "
                          "AND te.client_external_id = p.provider_ref)) "
                          "AND NOT EXISTS (SELECT 1 FROM invoice_time_entries r "
                          "WHERE r.time_entry_id = te.id) "
                          "ORDER BY te.started_at, te.id LIMIT $5",
                          p, N_PARAMS(p), entry_row, &r, NULL, err) < 0)
        return -1;
    return r.failed ? error_set(err, ERR_STORE, "a time entry's id does not fit") : 0;
}

/* ---- drafts ------------------------------------------------------------------------------ */

int store_draft_insert(struct store_tx *tx, struct store_draft *d,
                       const struct store_draft_line *lines, size_t n_lines,
                       const struct store_draft_reservation *res, size_t n_res,
                       struct error *err)
{
    if (!d->id[0] && crypto_id_new("drf_", d->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    now_text(d->created_at);
    snprintf(d->status, sizeof d->status, "draft");
    struct store_param p[] = {
        P_TEXT(d->id),           P_TEXT(d->tenant_id),     P_TEXT(d->party_id),
        P_TEXT(d->period_from),  P_TEXT(d->period_to),     P_TEXT(d->group_by),
        P_INT(d->rounding),      P_TEXT(d->currency),      P_INT(d->net_minor),
        P_INT(d->tax_minor),     P_INT(d->gross_minor),    P_TEXT(d->tax_treatment),
        P_TEXT(d->tax_country),  P_INT(d->tax_rate_bp),    P_TEXT(d->created_at),
    };
    if (store_tx_query(tx,
                       "INSERT INTO invoice_drafts (id, tenant_id, party_id, status, "
                       "period_from, period_to, group_by, rounding, currency, net_minor, "
                       "tax_minor, gross_minor, tax_treatment, tax_country, tax_rate_bp, "
                       "created_at) VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, "
                       "$11, $12, $13, $14, $15)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < n_lines; i++) {
        const struct store_draft_line *l = &lines[i];
        struct store_param lp[] = {P_TEXT(d->id),         P_INT(l->line_no),
                                   P_TEXT(d->tenant_id),  P_TEXT(l->description),
                                   P_INT(l->minutes),     P_INT(l->rate_minor),
                                   P_INT(l->net_minor),   P_INT(l->entries)};
        if (store_tx_query(tx,
                           "INSERT INTO invoice_draft_lines (draft_id, line_no, tenant_id, "
                           "description, minutes, rate_minor, net_minor, entries) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                           lp, N_PARAMS(lp), NULL, NULL, NULL, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < n_res; i++) {
        int64_t changes = 0;
        struct store_param rp[] = {P_TEXT(res[i].time_entry_id), P_TEXT(d->tenant_id),
                                   P_TEXT(d->id), P_INT(res[i].line_no),
                                   P_INT(res[i].billed_minutes), P_TEXT(d->created_at)};
        /* The key decides: a second draft's insert of the same entry changes nothing, also
         * when both transactions ran at once (the later one waits for the first's commit). */
        if (store_tx_query(tx,
                           "INSERT INTO invoice_time_entries (time_entry_id, tenant_id, draft_id, "
                           "line_no, billed_minutes, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
                           "ON CONFLICT (time_entry_id) DO NOTHING",
                           rp, N_PARAMS(rp), NULL, NULL, &changes, err) < 0)
            return -1;
        if (changes != 1)
            return error_set(err, ERR_CONFLICT,
                             "time entry %s was taken by another draft at the same time; "
                             "make the draft again",
                             res[i].time_entry_id);
    }
    return 0;
}

#define DRAFT_COLUMNS                                                                          \
    "id, tenant_id, party_id, status, period_from, period_to, group_by, rounding, currency, "  \
    "net_minor, tax_minor, gross_minor, tax_treatment, tax_country, tax_rate_bp, invoice_id, " \
    "created_at, finalized_at"

struct draft_read {
    struct store_draft *out;
    bool found, failed;
};

static int read_draft(void *ctx, const struct store_row *row)
{
    struct draft_read *r = ctx;
    struct store_draft *d = r->out;
    r->found = true;
    r->failed = store_row_copy(row, 0, d->id, sizeof d->id) < 0 ||
                store_row_copy(row, 1, d->tenant_id, sizeof d->tenant_id) < 0 ||
                store_row_copy(row, 2, d->party_id, sizeof d->party_id) < 0 ||
                store_row_copy(row, 3, d->status, sizeof d->status) < 0 ||
                store_row_copy(row, 4, d->period_from, sizeof d->period_from) < 0 ||
                store_row_copy(row, 5, d->period_to, sizeof d->period_to) < 0 ||
                store_row_copy(row, 6, d->group_by, sizeof d->group_by) < 0 ||
                store_row_copy(row, 8, d->currency, sizeof d->currency) < 0 ||
                store_row_copy(row, 12, d->tax_treatment, sizeof d->tax_treatment) < 0 ||
                store_row_copy(row, 13, d->tax_country, sizeof d->tax_country) < 0 ||
                store_row_copy(row, 15, d->invoice_id, sizeof d->invoice_id) < 0 ||
                store_row_copy(row, 16, d->created_at, sizeof d->created_at) < 0 ||
                store_row_copy(row, 17, d->finalized_at, sizeof d->finalized_at) < 0;
    d->rounding = (int)store_row_int(row, 7);
    d->net_minor = store_row_int(row, 9);
    d->tax_minor = store_row_int(row, 10);
    d->gross_minor = store_row_int(row, 11);
    d->tax_rate_bp = (int)store_row_int(row, 14);
    return 1;
}

int store_draft_get(struct store *s, struct store_tx *tx, const char *tenant_id, const char *id,
                    struct store_draft *out, struct error *err)
{
    static const char sql[] =
        "SELECT " DRAFT_COLUMNS " FROM invoice_drafts WHERE tenant_id = $1 AND id = $2";
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    struct draft_read r = {.out = out};
    memset(out, 0, sizeof *out);
    int rc = tx ? store_tx_query(tx, sql, p, N_PARAMS(p), read_draft, &r, NULL, err)
                : store_run(s, sql, p, N_PARAMS(p), read_draft, &r, NULL, err);
    if (rc < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "cannot read draft %s", id);
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "invoice not found");
}

struct line_rows {
    int (*fn)(void *ctx, const struct store_draft_line *l);
    void *ctx;
};

static int line_row(void *ctx, const struct store_row *row)
{
    struct line_rows *r = ctx;
    struct store_draft_line l;
    memset(&l, 0, sizeof l);
    l.line_no = store_row_int(row, 0);
    utf8_copy(l.description, sizeof l.description, store_row_text(row, 1));
    l.minutes = store_row_int(row, 2);
    l.rate_minor = store_row_int(row, 3);
    l.net_minor = store_row_int(row, 4);
    l.entries = store_row_int(row, 5);
    return r->fn(r->ctx, &l);
}

int store_draft_lines(struct store *s, struct store_tx *tx, const char *tenant_id,
                      const char *draft_id,
                      int (*fn)(void *ctx, const struct store_draft_line *l), void *ctx,
                      struct error *err)
{
    static const char sql[] =
        "SELECT line_no, description, minutes, rate_minor, net_minor, entries "
        "FROM invoice_draft_lines WHERE tenant_id = $1 AND draft_id = $2 ORDER BY line_no";
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(draft_id)};
    struct line_rows r = {.fn = fn, .ctx = ctx};
    return tx ? store_tx_query(tx, sql, p, N_PARAMS(p), line_row, &r, NULL, err)
              : store_run(s, sql, p, N_PARAMS(p), line_row, &r, NULL, err);
}

struct id_rows {
    int (*fn)(void *ctx, const char *id, int64_t line_no, int64_t billed_minutes);
    void *ctx;
};

static int id_row(void *ctx, const struct store_row *row)
{
    struct id_rows *r = ctx;
    return r->fn(r->ctx, store_row_text(row, 0), store_row_int(row, 1), store_row_int(row, 2));
}

int store_draft_entry_ids(struct store *s, const char *tenant_id, const char *draft_id,
                          int (*fn)(void *ctx, const char *time_entry_id, int64_t line_no,
                                    int64_t billed_minutes),
                          void *ctx, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(draft_id)};
    struct id_rows r = {.fn = fn, .ctx = ctx};
    return store_run(s,
                     "SELECT time_entry_id, line_no, billed_minutes FROM invoice_time_entries "
                     "WHERE tenant_id = $1 AND draft_id = $2 ORDER BY line_no, time_entry_id",
                     p, N_PARAMS(p), id_row, &r, NULL, err);
}

int store_draft_delete(struct store_tx *tx, const char *tenant_id, const char *id,
                       bool *finalized, struct error *err)
{
    struct store_draft d;
    int64_t changes = 0;
    *finalized = false;
    if (store_draft_get(NULL, tx, tenant_id, id, &d, err) < 0)
        return -1;
    if (strcmp(d.status, "draft") != 0) {
        *finalized = true;
        return 0;
    }
    /* The reservations and lines go with it (ON DELETE CASCADE): the entries are free. The
     * status condition keeps a finalization that committed in between. */
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    if (store_tx_query(tx,
                       "DELETE FROM invoice_drafts WHERE tenant_id = $1 AND id = $2 "
                       "AND status = 'draft'",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    *finalized = changes != 1;
    return 0;
}

static int read_count(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

int store_draft_entries_changed(struct store_tx *tx, const char *tenant_id,
                                const char *draft_id, int64_t *n, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(draft_id)};
    *n = 0;
    return store_tx_query(tx,
                          "SELECT COUNT(*) FROM invoice_time_entries r JOIN time_entries te "
                          "ON te.id = r.time_entry_id WHERE r.tenant_id = $1 AND r.draft_id = $2 "
                          "AND (te.deleted_at IS NOT NULL OR te.review_reason IS NOT NULL "
                          "OR te.billable = 0)",
                          p, N_PARAMS(p), read_count, n, NULL, err);
}

int store_draft_finalize(struct store_tx *tx, const char *tenant_id, const char *draft_id,
                         const char *invoice_id, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t changes = 0;
    now_text(now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(draft_id), P_TEXT(invoice_id),
                              P_TEXT(now)};
    if (store_tx_query(tx,
                       "UPDATE invoice_drafts SET status = 'finalized', invoice_id = $3, "
                       "finalized_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'draft'",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    if (changes != 1)
        return error_set(err, ERR_CONFLICT, "draft %s was finalized or deleted meanwhile",
                         draft_id);
    struct store_param q[] = {P_TEXT(tenant_id), P_TEXT(draft_id), P_TEXT(invoice_id)};
    return store_tx_query(tx,
                          "UPDATE invoice_time_entries SET invoice_id = $3 "
                          "WHERE tenant_id = $1 AND draft_id = $2",
                          q, N_PARAMS(q), NULL, NULL, NULL, err);
}

/* ---- numbers and documents ---------------------------------------------------------------- */

int store_invoice_number_next(struct store_tx *tx, const char *tenant_id,
                              const char *fiscal_year, int64_t *number, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    *number = 0;
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(fiscal_year), P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO invoice_sequences (tenant_id, fiscal_year, last_number, "
                       "updated_at) VALUES ($1, $2, 1, $3) "
                       "ON CONFLICT (tenant_id, fiscal_year) DO UPDATE SET "
                       "last_number = invoice_sequences.last_number + 1, "
                       "updated_at = excluded.updated_at RETURNING last_number",
                       p, N_PARAMS(p), read_count, number, NULL, err) < 0)
        return -1;
    return *number > 0 ? 0 : error_set(err, ERR_STORE, "the invoice sequence gave no number");
}

int store_invoice_document_insert(struct store_tx *tx, struct store_invoice_document *doc,
                                  const struct store_draft_line *lines, size_t n_lines,
                                  struct error *err)
{
    now_text(doc->created_at);
    struct store_param p[] = {
        P_TEXT(doc->invoice_id),  P_TEXT(doc->tenant_id),   P_TEXT(doc->draft_id),
        P_INT(doc->sequence_no),  P_TEXT(doc->fiscal_year), P_TEXT(doc->period_from),
        P_TEXT(doc->period_to),   P_TEXT(doc->due_date),    P_INT(doc->net_minor),
        P_TEXT(doc->seller),      P_TEXT(doc->buyer),
        P_TEXT(doc->note[0] ? doc->note : NULL),            P_TEXT(doc->created_at),
    };
    if (store_tx_query(tx,
                       "INSERT INTO invoice_documents (invoice_id, tenant_id, draft_id, "
                       "sequence_no, fiscal_year, period_from, period_to, due_date, net_minor, "
                       "seller, buyer, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                       "$8, $9, $10, $11, $12, $13)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < n_lines; i++) {
        const struct store_draft_line *l = &lines[i];
        struct store_param lp[] = {P_TEXT(doc->invoice_id), P_INT(l->line_no),
                                   P_TEXT(doc->tenant_id),  P_TEXT(l->description),
                                   P_INT(l->minutes),       P_INT(l->rate_minor),
                                   P_INT(l->net_minor)};
        if (store_tx_query(tx,
                           "INSERT INTO invoice_lines (invoice_id, line_no, tenant_id, "
                           "description, minutes, rate_minor, net_minor) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                           lp, N_PARAMS(lp), NULL, NULL, NULL, err) < 0)
            return -1;
    }
    return 0;
}

struct document_read {
    struct store_invoice_document *out;
    bool found, failed;
};

static int read_document(void *ctx, const struct store_row *row)
{
    struct document_read *r = ctx;
    struct store_invoice_document *d = r->out;
    r->found = true;
    r->failed = store_row_copy(row, 0, d->invoice_id, sizeof d->invoice_id) < 0 ||
                store_row_copy(row, 1, d->tenant_id, sizeof d->tenant_id) < 0 ||
                store_row_copy(row, 2, d->draft_id, sizeof d->draft_id) < 0 ||
                store_row_copy(row, 4, d->fiscal_year, sizeof d->fiscal_year) < 0 ||
                store_row_copy(row, 5, d->period_from, sizeof d->period_from) < 0 ||
                store_row_copy(row, 6, d->period_to, sizeof d->period_to) < 0 ||
                store_row_copy(row, 7, d->due_date, sizeof d->due_date) < 0 ||
                store_row_copy(row, 9, d->seller, sizeof d->seller) < 0 ||
                store_row_copy(row, 10, d->buyer, sizeof d->buyer) < 0 ||
                store_row_copy(row, 11, d->note, sizeof d->note) < 0 ||
                store_row_copy(row, 12, d->created_at, sizeof d->created_at) < 0;
    d->sequence_no = store_row_int(row, 3);
    d->net_minor = store_row_int(row, 8);
    return 1;
}

int store_invoice_document_get(struct store *s, const char *tenant_id, const char *invoice_id,
                               struct store_invoice_document *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(invoice_id)};
    struct document_read r = {.out = out};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT invoice_id, tenant_id, draft_id, sequence_no, fiscal_year, "
                  "period_from, period_to, due_date, net_minor, seller, buyer, note, created_at "
                  "FROM invoice_documents WHERE tenant_id = $1 AND invoice_id = $2",
                  p, N_PARAMS(p), read_document, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "cannot read the document of %s", invoice_id);
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "invoice not found");
}

int store_invoice_document_lines(struct store *s, const char *tenant_id, const char *invoice_id,
                                 int (*fn)(void *ctx, const struct store_draft_line *l),
                                 void *ctx, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(invoice_id)};
    struct line_rows r = {.fn = fn, .ctx = ctx};
    return store_run(s,
                     "SELECT line_no, description, minutes, rate_minor, net_minor, 0 "
                     "FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2 "
                     "ORDER BY line_no",
                     p, N_PARAMS(p), line_row, &r, NULL, err);
}
