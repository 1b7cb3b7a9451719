/* store/q_assistant.c - the assistant's questions over a tenant's books (store/assistant.h).
 *
 * Read-only and scoped by tenant. Rows become JSON objects here, so that the one module that
 * answers (assistant/queries.c) gets exactly what the books hold: amounts as minor units
 * plus currency, sums through STORE_SQL_SUM and store_row_sum (checked, never a SQL
 * overflow). An optional filter is "(typed use OR $n IS NULL)" so PostgreSQL infers its type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/assistant.h"
#include "store/store_int.h"

/* A text column as a JSON string, or null. */
static json_t *text_json(const struct store_row *row, int col)
{
    const char *t = row->driver->row_text(row, col);
    return t ? json_string(t) : json_null();
}

static json_t *amount_json(int64_t minor, const char *currency)
{
    return json_pack("{sIss}", "minor", (json_int_t)minor, "currency", currency);
}

struct json_rows {
    json_t *rows;
    int (*build)(const struct store_row *row, json_t *obj);
    bool failed;
    bool overflow;
};

static int json_row(void *ctx, const struct store_row *row)
{
    struct json_rows *r = ctx;
    json_t *obj = json_object();
    int rc = obj ? r->build(row, obj) : -1;
    if (rc == -2)
        r->overflow = true;
    if (rc < 0 || json_array_append_new(r->rows, obj) < 0) {
        if (rc >= 0)
            obj = NULL; /* json_array_append_new freed it */
        json_decref(obj);
        r->failed = true;
        return 1;
    }
    return 0;
}

static int run_rows(struct store *s, const char *sql, const struct store_param *p, size_t n,
                    int (*build)(const struct store_row *, json_t *), json_t *rows,
                    struct error *err)
{
    struct json_rows r = {.rows = rows, .build = build};
    if (store_run(s, sql, p, n, json_row, &r, NULL, err) < 0)
        return -1;
    if (r.overflow)
        return store_sum_overflow(err, "a total of the assistant's query");
    return r.failed ? error_set(err, ERR_STORE, "cannot read a row of the assistant's query") : 0;
}

/* ---- totals by currency ------------------------------------------------------------- */

/* Columns: currency, STORE_SQL_SUM (2), count. */
static int total_row(const struct store_row *row, json_t *obj)
{
    int64_t sum;
    if (store_row_sum(row, 1, &sum) < 0)
        return -2;
    const char *cur = store_row_text(row, 0);
    return json_object_set_new(obj, "minor", json_integer(sum)) ||
                   json_object_set_new(obj, "currency", json_string(cur)) ||
                   json_object_set_new(obj, "count", json_integer(store_row_int(row, 3)))
               ? -1
               : 0;
}

/* ---- open invoices ------------------------------------------------------------------ */

#define OPEN_WHERE                                                                            \
    " FROM invoices i JOIN invoice_documents d ON d.invoice_id = i.id AND d.tenant_id = i.tenant_id" \
    " JOIN parties p ON p.id = i.party_id AND p.tenant_id = i.tenant_id"                      \
    " WHERE i.tenant_id = $1 AND i.type = 'ausgangsrechnung'"                                 \
    " AND (d.due_date < $2 OR $2 IS NULL)"                                                    \
    " AND NOT EXISTS (SELECT 1 FROM invoices g WHERE g.tenant_id = i.tenant_id"               \
    " AND g.related_invoice_id = i.id)"

/* Columns: id, number, date, due date, gross, currency, party id, party name. */
static int invoice_obj(const struct store_row *row, json_t *obj, int due_col)
{
    const char *cur = store_row_text(row, 5);
    int bad = json_object_set_new(obj, "id", text_json(row, 0)) ||
              json_object_set_new(obj, "number", text_json(row, 1)) ||
              json_object_set_new(obj, "date", text_json(row, 2)) ||
              json_object_set_new(obj, "amount", amount_json(store_row_int(row, 4), cur)) ||
              json_object_set_new(obj, "partyId", text_json(row, 6)) ||
              json_object_set_new(obj, "party", text_json(row, 7));
    if (!bad && due_col >= 0)
        bad = json_object_set_new(obj, "dueDate", text_json(row, due_col));
    return bad ? -1 : 0;
}

static int open_row(const struct store_row *row, json_t *obj)
{
    return invoice_obj(row, obj, 3);
}

int store_assist_open_invoices(struct store *s, const char *tenant_id, const char *due_before,
                               int limit, json_t *rows, json_t *totals, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(due_before), P_INT(limit)};
    if (run_rows(s,
                 "SELECT i.id, i.invoice_number, i.invoice_date, d.due_date, i.total_gross_minor,"
                 " i.currency, p.id, p.name" OPEN_WHERE
                 " ORDER BY d.due_date, i.id LIMIT $3",
                 p, N_PARAMS(p), open_row, rows, err) < 0)
        return -1;
    return run_rows(s,
                    "SELECT i.currency, " STORE_SQL_SUM("i.total_gross_minor") ", COUNT(*)"
                    OPEN_WHERE " GROUP BY i.currency ORDER BY i.currency",
                    p, 2, total_row, totals, err);
}

/* ---- revenue and expenses ----------------------------------------------------------- */

#define SIGNED_GROSS "CASE WHEN i.type = 'gutschrift' THEN -i.total_gross_minor ELSE i.total_gross_minor END"
#define PERIOD_PARTY_WHERE                                                                    \
    " FROM invoices i JOIN parties p ON p.id = i.party_id AND p.tenant_id = i.tenant_id"      \
    " WHERE i.tenant_id = $1 AND p.role = $2"                                                 \
    " AND (i.invoice_date >= $3 OR $3 IS NULL) AND (i.invoice_date <= $4 OR $4 IS NULL)"

int store_assist_invoice_totals(struct store *s, const char *tenant_id, const char *role,
                                const char *from, const char *to, json_t *totals,
                                struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(role), P_TEXT(from), P_TEXT(to)};
    return run_rows(s,
                    "SELECT i.currency, " STORE_SQL_SUM(SIGNED_GROSS) ", COUNT(*)"
                    PERIOD_PARTY_WHERE " GROUP BY i.currency ORDER BY i.currency",
                    p, N_PARAMS(p), total_row, totals, err);
}

/* ---- VAT ---------------------------------------------------------------------------- */

static int vat_row(const struct store_row *row, json_t *obj)
{
    int64_t credit, debit;
    if (store_row_sum(row, 1, &credit) < 0 || store_row_sum(row, 3, &debit) < 0)
        return -2;
    return json_object_set_new(obj, "vatCode", text_json(row, 0)) ||
                   json_object_set_new(obj, "credit", amount_json(credit, "EUR")) ||
                   json_object_set_new(obj, "debit", amount_json(debit, "EUR"))
               ? -1
               : 0;
}

int store_assist_vat_lines(struct store *s, const char *tenant_id, const char *from,
                           const char *to, json_t *rows, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(from), P_TEXT(to)};
    return run_rows(s,
                    "SELECT l.vat_code, " STORE_SQL_SUM("COALESCE(l.book_credit_minor, 0)") ", "
                    STORE_SQL_SUM("COALESCE(l.book_debit_minor, 0)")
                    " FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id"
                    " WHERE l.tenant_id = $1 AND e.tenant_id = $1 AND l.vat_tax = 1"
                    " AND l.vat_code IS NOT NULL"
                    " AND (e.entry_date >= $2 OR $2 IS NULL) AND (e.entry_date <= $3 OR $3 IS NULL)"
                    " GROUP BY l.vat_code ORDER BY l.vat_code",
                    p, N_PARAMS(p), vat_row, rows, err);
}

/* ---- the largest suppliers and customers -------------------------------------------- */

static int party_row(const struct store_row *row, json_t *obj)
{
    int64_t sum;
    if (store_row_sum(row, 3, &sum) < 0)
        return -2;
    return json_object_set_new(obj, "id", text_json(row, 0)) ||
                   json_object_set_new(obj, "name", text_json(row, 1)) ||
                   json_object_set_new(obj, "total", amount_json(sum, store_row_text(row, 2))) ||
                   json_object_set_new(obj, "count", json_integer(store_row_int(row, 5)))
               ? -1
               : 0;
}

static json_int_t party_minor(const json_t *p)
{
    return json_integer_value(json_object_get(json_object_get(p, "total"), "minor"));
}

/* Largest first; ties by name, so the answer is the same on both stores. */
static int party_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t mx = party_minor(x), my = party_minor(y);
    if (mx != my)
        return mx > my ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "name")),
                  json_string_value(json_object_get(y, "name")));
}

/* Sorted in C, not by SQL: an ORDER BY over a sum could overflow where store_row_sum
 * reports it cleanly. */
int store_assist_top_parties(struct store *s, const char *tenant_id, const char *role,
                             const char *from, const char *to, int limit, json_t *rows,
                             struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(role), P_TEXT(from), P_TEXT(to)};
    json_t *all = json_array();
    json_t **v = NULL;
    int rc = -1;
    if (!all) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (run_rows(s,
                 "SELECT p.id, p.name, i.currency, " STORE_SQL_SUM(SIGNED_GROSS) ", COUNT(*)"
                 PERIOD_PARTY_WHERE " GROUP BY p.id, p.name, i.currency",
                 p, N_PARAMS(p), party_row, all, err) < 0)
        goto out;
    size_t n = json_array_size(all);
    v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(all, i);
    qsort(v, n, sizeof *v, party_cmp);
    for (size_t i = 0; i < n && (int)i < limit; i++)
        if (party_minor(v[i]) > 0 && json_array_append(rows, v[i]) < 0) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
    rc = 0;
out:
    free(v);
    json_decref(all);
    return rc;
}

/* ---- one invoice -------------------------------------------------------------------- */

static int found_row(const struct store_row *row, json_t *obj)
{
    if (invoice_obj(row, obj, 3) < 0)
        return -1;
    const char *type = store_row_text(row, 8);
    return json_object_set_new(obj, "type", json_string(type)) ||
                   json_object_set_new(obj, "role", text_json(row, 9))
               ? -1
               : 0;
}

/* $2 number (lower case), $3 amount, $4 currency, $5 LIKE pattern (lower case, escaped). */
int store_assist_find_invoices(struct store *s, const char *tenant_id, const char *number,
                               const int64_t *amount_minor, const char *currency,
                               const char *party, int limit, json_t *rows, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(number),
                              amount_minor ? P_INT(*amount_minor) : P_TEXT(NULL),
                              P_TEXT(currency), P_TEXT(party), P_INT(limit)};
    return run_rows(s,
                    "SELECT i.id, i.invoice_number, i.invoice_date, d.due_date, "
                    "i.total_gross_minor, i.currency, p.id, p.name, i.type, p.role"
                    " FROM invoices i JOIN parties p ON p.id = i.party_id AND p.tenant_id = i.tenant_id"
                    " LEFT JOIN invoice_documents d ON d.invoice_id = i.id"
                    " WHERE i.tenant_id = $1"
                    " AND (LOWER(i.invoice_number) = $2 OR $2 IS NULL)"
                    " AND (i.total_gross_minor = $3 OR $3 IS NULL)"
                    " AND (i.currency = $4 OR $4 IS NULL)"
                    " AND (LOWER(p.name) LIKE $5 ESCAPE '\\' OR $5 IS NULL)"
                    " ORDER BY i.id DESC LIMIT $6",
                    p, N_PARAMS(p), found_row, rows, err);
}

/* ---- operations: webhooks, deliveries, connectors, syncs ---------------------------- */

static int webhook_row(const struct store_row *row, json_t *obj)
{
    return json_object_set_new(obj, "id", text_json(row, 0)) ||
                   json_object_set_new(obj, "provider", text_json(row, 1)) ||
                   json_object_set_new(obj, "event", text_json(row, 2)) ||
                   json_object_set_new(obj, "status", text_json(row, 3)) ||
                   json_object_set_new(obj, "error", text_json(row, 4)) ||
                   json_object_set_new(obj, "receivedAt", text_json(row, 5))
               ? -1
               : 0;
}

int store_assist_failed_webhooks(struct store *s, const char *tenant_id, int limit, json_t *rows,
                                 struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(limit)};
    return run_rows(s,
                    "SELECT id, provider, event, status, error, received_at FROM webhook_logs"
                    " WHERE tenant_id = $1 AND status IN ('failed', 'invalid_signature')"
                    " ORDER BY id DESC LIMIT $2",
                    p, N_PARAMS(p), webhook_row, rows, err);
}

static int delivery_row(const struct store_row *row, json_t *obj)
{
    json_t *last = store_row_is_null(row, 4) ? json_null() : json_integer(store_row_int(row, 4));
    return json_object_set_new(obj, "id", text_json(row, 0)) ||
                   json_object_set_new(obj, "eventType", text_json(row, 1)) ||
                   json_object_set_new(obj, "status", text_json(row, 2)) ||
                   json_object_set_new(obj, "attempts", json_integer(store_row_int(row, 3))) ||
                   json_object_set_new(obj, "lastStatus", last) ||
                   json_object_set_new(obj, "lastError", text_json(row, 5)) ||
                   json_object_set_new(obj, "updatedAt", text_json(row, 6)) ||
                   json_object_set_new(obj, "connector", text_json(row, 7)) ||
                   json_object_set_new(obj, "connectorName", text_json(row, 8))
               ? -1
               : 0;
}

int store_assist_failed_deliveries(struct store *s, const char *tenant_id, int limit,
                                   json_t *rows, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(limit)};
    return run_rows(s,
                    "SELECT d.id, d.event_type, d.status, d.attempts, d.last_status, d.last_error,"
                    " d.updated_at, c.slug, c.name FROM deliveries d"
                    " JOIN connector_installs c ON c.id = d.connector_id"
                    " WHERE d.tenant_id = $1 AND d.status IN ('failed', 'dead')"
                    " ORDER BY d.id DESC LIMIT $2",
                    p, N_PARAMS(p), delivery_row, rows, err);
}

static int connector_row(const struct store_row *row, json_t *obj)
{
    return json_object_set_new(obj, "id", text_json(row, 0)) ||
                   json_object_set_new(obj, "slug", text_json(row, 1)) ||
                   json_object_set_new(obj, "name", text_json(row, 2)) ||
                   json_object_set_new(obj, "destination", json_boolean(store_row_int(row, 3))) ||
                   json_object_set_new(obj, "active", json_boolean(store_row_int(row, 4))) ||
                   json_object_set_new(obj, "createdAt", text_json(row, 5))
               ? -1
               : 0;
}

int store_assist_connectors(struct store *s, const char *tenant_id, int limit, json_t *rows,
                            struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(limit)};
    return run_rows(s,
                    "SELECT id, slug, name, is_destination, is_active, created_at"
                    " FROM connector_installs WHERE tenant_id = $1 ORDER BY slug, id LIMIT $2",
                    p, N_PARAMS(p), connector_row, rows, err);
}

static int sync_row(const struct store_row *row, json_t *obj)
{
    return json_object_set_new(obj, "id", text_json(row, 0)) ||
                   json_object_set_new(obj, "connector", text_json(row, 1)) ||
                   json_object_set_new(obj, "status", text_json(row, 2)) ||
                   json_object_set_new(obj, "origin", text_json(row, 3)) ||
                   json_object_set_new(obj, "new", json_integer(store_row_int(row, 4))) ||
                   json_object_set_new(obj, "updated", json_integer(store_row_int(row, 5))) ||
                   json_object_set_new(obj, "deleted", json_integer(store_row_int(row, 6))) ||
                   json_object_set_new(obj, "error", text_json(row, 7)) ||
                   json_object_set_new(obj, "createdAt", text_json(row, 8)) ||
                   json_object_set_new(obj, "finishedAt", text_json(row, 9))
               ? -1
               : 0;
}

int store_assist_sync_runs(struct store *s, const char *tenant_id, int limit, json_t *rows,
                           struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(limit)};
    return run_rows(s,
                    "SELECT id, slug, status, origin, new_count, updated_count, deleted_count,"
                    " error, created_at, finished_at FROM sync_runs WHERE tenant_id = $1"
                    " ORDER BY id DESC LIMIT $2",
                    p, N_PARAMS(p), sync_row, rows, err);
}
