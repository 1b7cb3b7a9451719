/* store/q_reports.c - reading the books: invoices, suppliers and customers, journal entries,
 * the trial balance and the webhook log, always within one tenant.
 *
 * Lists are pages in id order, newest first. Ids are time-ordered (crypto_id_new), so
 * "id < the last id of the previous page" walks every row exactly once, whatever is
 * inserted meanwhile, without OFFSET's cost or its skipped and repeated rows.
 *
 * The driver caches statements by the address of their SQL, so every statement here is a
 * static string: an optional filter is written "($n IS NULL OR column = $n)" and bound to
 * NULL when unused, and each list has two statements, the first page and the pages after a
 * cursor (whose "id < $n" lets the (tenant_id, id) index start at the cursor). The cursor
 * is always the last parameter, so the first page's statement is given exactly the
 * parameters it names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "store/books.h"
#include "store/store_int.h"

/* A nullable text column: NULL for SQL NULL (store_row_text would give ""). */
static const char *text_or_null(const struct store_row *row, int col)
{
    return row->driver->row_text(row, col);
}

/* ---- invoices ----------------------------------------------------------------------- */

static const char *const invoice_types[] = {"eingangsrechnung", "ausgangsrechnung", "gutschrift"};

#define INVOICE_SELECT                                                                        \
    "SELECT i.id, i.tenant_id, i.type, i.party_id, i.invoice_number, i.invoice_date, "       \
    "i.total_gross_minor, i.currency, i.source, i.external_id, i.related_invoice_id, "       \
    "i.journal_entry_id, i.created_at, p.role, i.tax_minor, " STORE_INVOICE_FX_COLUMNS ", " \
    STORE_INVOICE_TAX_COLUMNS("i.")                                                          \
    " FROM invoices i JOIN parties p ON p.id = i.party_id AND p.tenant_id = i.tenant_id "   \
    STORE_INVOICE_FX_JOIN

struct invoice_rows {
    int (*fn)(void *ctx, const struct invoice *inv, enum party_role role);
    void *ctx;
    bool failed;
};

static int invoice_row(void *ctx, const struct store_row *row)
{
    struct invoice_rows *r = ctx;
    struct invoice inv = {0};
    const char *type = store_row_text(row, 2);
    for (size_t i = 0; i < sizeof invoice_types / sizeof invoice_types[0]; i++)
        if (strcmp(type, invoice_types[i]) == 0)
            inv.type = invoice_types[i];
    if (!inv.type || store_row_copy(row, 0, inv.id, sizeof inv.id) < 0 ||
        store_row_copy(row, 1, inv.tenant_id, sizeof inv.tenant_id) < 0 ||
        store_row_copy(row, 3, inv.party_id, sizeof inv.party_id) < 0 ||
        store_row_copy(row, 4, inv.invoice_number, sizeof inv.invoice_number) < 0 ||
        store_row_copy(row, 5, inv.invoice_date, sizeof inv.invoice_date) < 0 ||
        store_row_copy(row, 7, inv.currency, sizeof inv.currency) < 0 ||
        store_row_copy(row, 8, inv.source, sizeof inv.source) < 0 ||
        store_row_copy(row, 9, inv.external_id, sizeof inv.external_id) < 0 ||
        store_row_copy(row, 10, inv.related_invoice_id, sizeof inv.related_invoice_id) < 0 ||
        store_row_copy(row, 11, inv.journal_entry_id, sizeof inv.journal_entry_id) < 0 ||
        store_row_copy(row, 12, inv.created_at, sizeof inv.created_at) < 0) {
        r->failed = true;
        return 1;
    }
    inv.total_gross_minor = store_row_int(row, 6);
    inv.has_tax = !store_row_is_null(row, 14);
    inv.tax_minor = inv.has_tax ? store_row_int(row, 14) : 0;
    store_invoice_fx_read(row, 15, &inv);
    store_invoice_tax_line_read(row, 19, &inv.tax_line);
    enum party_role role = strcmp(store_row_text(row, 13), "customer") == 0 ? PARTY_CUSTOMER
                                                                             : PARTY_SUPPLIER;
    return r->fn(r->ctx, &inv, role);
}

/* $1 tenant, $2 limit, $3..$8, $10 and $11 filters, $9 cursor. An invoice of zero (a trial's)
 * moves no money and gets no entry: it waits for nothing, so it is neither posted nor
 * waiting. */
#define INVOICE_LIST_SQL(after_cursor)                                                        \
    INVOICE_SELECT " WHERE i.tenant_id = $1" after_cursor                                    \
    " AND ($3 IS NULL OR i.source = $3) AND ($4 IS NULL OR i.type = $4)"                      \
    " AND ($5 IS NULL OR (i.party_id = $5 AND p.role = 'supplier'))"                          \
    " AND ($6 IS NULL OR (i.party_id = $6 AND p.role = 'customer'))"                          \
    " AND ($7 IS NULL OR i.invoice_date >= $7) AND ($8 IS NULL OR i.invoice_date <= $8)"      \
    " AND ($10 IS NULL OR ($10 = 'true' AND i.journal_entry_id IS NOT NULL)"                  \
    "      OR ($10 = 'false' AND i.journal_entry_id IS NULL AND i.total_gross_minor <> 0))"    \
    " AND ($11 IS NULL OR (i.currency <> 'EUR' AND x.invoice_id IS NULL))"                   \
    " ORDER BY i.id DESC LIMIT $2"

static const char *const invoice_list_sql[] = {INVOICE_LIST_SQL(""),
                                               INVOICE_LIST_SQL(" AND i.id < $9")};

int store_invoice_list(struct store *s, const char *tenant_id, const struct invoice_filter *f,
                       const struct store_page *page,
                       int (*fn)(void *ctx, const struct invoice *inv, enum party_role role),
                       void *ctx, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id),      P_INT(page->limit),
                              P_TEXT(f->source),      P_TEXT(f->type),
                              P_TEXT(f->supplier_id), P_TEXT(f->customer_id),
                              P_TEXT(f->from),        P_TEXT(f->to),
                              P_TEXT(page->before),   P_TEXT(f->posted),
                              P_TEXT(f->fx)};
    bool after = page->before != NULL;
    struct invoice_rows r = {.fn = fn, .ctx = ctx};
    /* The statement without a cursor has no $9: the driver skips it. */
    if (store_run(s, invoice_list_sql[after], p, N_PARAMS(p), invoice_row, &r, NULL, err) < 0)
        return -1;
    return r.failed ? error_set(err, ERR_STORE, "cannot read an invoice row") : 0;
}

struct invoice_one {
    struct invoice *out;
    enum party_role *role;
    bool found;
};

static int keep_invoice(void *ctx, const struct invoice *inv, enum party_role role)
{
    struct invoice_one *one = ctx;
    *one->out = *inv;
    *one->role = role;
    one->found = true;
    return 1;
}

int store_invoice_get(struct store *s, const char *tenant_id, const char *id,
                      struct invoice *out, enum party_role *role, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    struct invoice_one one = {.out = out, .role = role};
    struct invoice_rows r = {.fn = keep_invoice, .ctx = &one};
    memset(out, 0, sizeof *out);
    if (store_run(s, INVOICE_SELECT " WHERE i.tenant_id = $1 AND i.id = $2", p, N_PARAMS(p),
                  invoice_row, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "cannot read an invoice row");
    return one.found ? 0 : error_set(err, ERR_NOT_FOUND, "invoice not found");
}

/* ---- suppliers and customers -------------------------------------------------------- */

struct party_rows {
    int (*fn)(void *ctx, const struct party_record *p);
    void *ctx;
};

static int party_row(void *ctx, const struct store_row *row)
{
    struct party_rows *r = ctx;
    struct party_record p = {
        .id = store_row_text(row, 0),
        .name = store_row_text(row, 1),
        .email = text_or_null(row, 2),
        .provider = text_or_null(row, 3),
        .provider_ref = text_or_null(row, 4),
        .created_at = store_row_text(row, 5),
    };
    return r->fn(r->ctx, &p);
}

/* $1 tenant, $2 role, $3 limit, $4 cursor. */
#define PARTY_LIST_SQL(after_cursor)                                                          \
    "SELECT id, name, email, provider, provider_ref, created_at FROM parties "                \
    "WHERE tenant_id = $1 AND role = $2" after_cursor " ORDER BY id DESC LIMIT $3"

static const char *const party_list_sql[] = {PARTY_LIST_SQL(""), PARTY_LIST_SQL(" AND id < $4")};

int store_party_list(struct store *s, const char *tenant_id, enum party_role role,
                     const struct store_page *page,
                     int (*fn)(void *ctx, const struct party_record *p), void *ctx,
                     struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id),
                              P_TEXT(role == PARTY_CUSTOMER ? "customer" : "supplier"),
                              P_INT(page->limit), P_TEXT(page->before)};
    bool after = page->before != NULL;
    struct party_rows r = {.fn = fn, .ctx = ctx};
    return store_run(s, party_list_sql[after], p, N_PARAMS(p) - !after, party_row, &r, NULL, err);
}

/* ---- journal entries ---------------------------------------------------------------- */

/* The rows of the join come entry by entry (ordered by entry id, then line number); an
 * entry is handed to fn when the next one starts, and the last one at the end. Strings are
 * copied because a row's text lives only until the next row. */
struct entry_rows {
    int (*fn)(void *ctx, const struct journal_entry_record *e);
    void *ctx;
    char id[CRYPTO_ID_MAX];
    char date[11];
    char created_at[CLOCK_RFC3339_LEN];
    char invoice_id[CRYPTO_ID_MAX];
    bool has_invoice;
    char *description;
    struct journal_line *lines;
    char **texts; /* each line's account, currency and VAT code (or NULL), owned */
    size_t n_lines, cap_lines;
    bool failed, stopped;
};

static void entry_reset(struct entry_rows *r)
{
    for (size_t i = 0; i < 3 * r->n_lines; i++)
        free(r->texts[i]);
    free(r->description);
    r->description = NULL;
    r->n_lines = 0;
    r->id[0] = '\0';
}

/* Hands the entry gathered so far to fn; returns fn's result. */
static int entry_emit(struct entry_rows *r)
{
    if (!r->id[0])
        return 0;
    struct journal_entry_record e = {
        .id = r->id,
        .date = r->date,
        .description = r->description,
        .invoice_id = r->has_invoice ? r->invoice_id : NULL,
        .created_at = r->created_at,
        .lines = r->lines,
        .n_lines = r->n_lines,
    };
    int stop = r->fn(r->ctx, &e);
    entry_reset(r);
    return stop;
}

static int entry_line(struct entry_rows *r, const struct store_row *row)
{
    if (r->n_lines == r->cap_lines) {
        size_t cap = r->cap_lines ? 2 * r->cap_lines : 4;
        struct journal_line *lines = realloc(r->lines, cap * sizeof *lines);
        if (!lines)
            return -1;
        r->lines = lines;
        char **texts = realloc(r->texts, 3 * cap * sizeof *texts);
        if (!texts)
            return -1;
        r->texts = texts;
        r->cap_lines = cap;
    }
    const char *code = text_or_null(row, 9);
    char *account = strdup(store_row_text(row, 5));
    char *currency = strdup(store_row_text(row, 8));
    char *vat_code = code ? strdup(code) : NULL;
    if (!account || !currency || (code && !vat_code)) {
        free(account);
        free(currency);
        free(vat_code);
        return -1;
    }
    r->texts[3 * r->n_lines] = account;
    r->texts[3 * r->n_lines + 1] = currency;
    r->texts[3 * r->n_lines + 2] = vat_code;
    r->lines[r->n_lines++] = (struct journal_line){.account = account,
                                                   .debit_minor = store_row_int(row, 6),
                                                   .credit_minor = store_row_int(row, 7),
                                                   .currency = currency,
                                                   .vat_code = vat_code,
                                                   .vat_tax = store_row_int(row, 10) != 0,
                                                   .book_debit_minor = store_row_int(row, 11),
                                                   .book_credit_minor = store_row_int(row, 12)};
    return 0;
}

static int entry_row(void *ctx, const struct store_row *row)
{
    struct entry_rows *r = ctx;
    const char *id = store_row_text(row, 0);
    if (strcmp(id, r->id) != 0) {
        if (entry_emit(r)) {
            r->stopped = true;
            return 1;
        }
        const char *invoice = text_or_null(row, 3);
        r->has_invoice = invoice != NULL;
        if (store_row_copy(row, 0, r->id, sizeof r->id) < 0 ||
            store_row_copy(row, 1, r->date, sizeof r->date) < 0 ||
            store_row_copy(row, 4, r->created_at, sizeof r->created_at) < 0 ||
            (invoice && store_row_copy(row, 3, r->invoice_id, sizeof r->invoice_id) < 0) ||
            !(r->description = strdup(store_row_text(row, 2)))) {
            r->failed = true;
            return 1;
        }
    }
    /* LEFT JOIN: an entry without lines (which the store never writes) has NULL columns. */
    if (text_or_null(row, 5) && entry_line(r, row) < 0) {
        r->failed = true;
        return 1;
    }
    return 0;
}

/* The page of entries is chosen first (the inner SELECT), then joined with its lines.
 * $1 tenant, $2 limit, $3 from, $4 to, $5 cursor. */
#define JOURNAL_LIST_SQL(after_cursor)                                                        \
    "SELECT e.id, e.entry_date, e.description, e.invoice_id, e.created_at, "                  \
    "l.account, l.debit_minor, l.credit_minor, l.currency, l.vat_code, l.vat_tax, "          \
    "l.book_debit_minor, l.book_credit_minor "                                               \
    "FROM (SELECT id, entry_date, description, invoice_id, created_at FROM journal_entries "  \
    "WHERE tenant_id = $1" after_cursor                                                       \
    " AND ($3 IS NULL OR entry_date >= $3) AND ($4 IS NULL OR entry_date <= $4) "             \
    "ORDER BY id DESC LIMIT $2) e "                                                           \
    "LEFT JOIN journal_lines l ON l.entry_id = e.id ORDER BY e.id DESC, l.line_no"

static const char *const journal_list_sql[] = {JOURNAL_LIST_SQL(""),
                                               JOURNAL_LIST_SQL(" AND id < $5")};

int store_journal_list(struct store *s, const char *tenant_id, const char *from,
                       const char *to, const struct store_page *page,
                       int (*fn)(void *ctx, const struct journal_entry_record *e), void *ctx,
                       struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(page->limit), P_TEXT(from), P_TEXT(to),
                              P_TEXT(page->before)};
    bool after = page->before != NULL;
    struct entry_rows r = {.fn = fn, .ctx = ctx};
    int rc = store_run(s, journal_list_sql[after], p, N_PARAMS(p) - !after, entry_row, &r, NULL,
                       err);
    if (rc == 0 && !r.failed && !r.stopped)
        entry_emit(&r);
    entry_reset(&r);
    free(r.lines);
    free(r.texts);
    if (rc == 0 && r.failed)
        rc = error_set(err, ERR_STORE, "cannot read a journal entry row");
    return rc;
}

/* ---- the trial balance -------------------------------------------------------------- */

struct balance_rows {
    int (*fn)(void *ctx, const struct account_balance *b);
    void *ctx;
    bool failed;
    char overflow[96]; /* the account whose sums overflow, when one does */
};

static int balance_row(void *ctx, const struct store_row *row)
{
    struct balance_rows *r = ctx;
    struct account_balance b = {.account = store_row_text(row, 0)};
    if (store_row_copy(row, 1, b.currency, sizeof b.currency) < 0) {
        r->failed = true;
        return 1;
    }
    if (store_row_sum(row, 2, &b.debit_minor) < 0 || store_row_sum(row, 4, &b.credit_minor) < 0 ||
        store_row_sum(row, 6, &b.book_debit_minor) < 0 ||
        store_row_sum(row, 8, &b.book_credit_minor) < 0) {
        snprintf(r->overflow, sizeof r->overflow, "account %.*s in %s", UTF8_CUT(32, b.account),
                 b.currency);
        return 1;
    }
    b.unrated = store_row_int(row, 10) > 0;
    return r->fn(r->ctx, &b);
}

int store_ledger_balances(struct store *s, const char *tenant_id,
                          int (*fn)(void *ctx, const struct account_balance *b), void *ctx,
                          struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id)};
    struct balance_rows r = {.fn = fn, .ctx = ctx};
    if (store_run(s,
                  "SELECT account, currency, " STORE_SQL_SUM("debit_minor") ", "
                  STORE_SQL_SUM("credit_minor") ", " STORE_SQL_SUM("COALESCE(book_debit_minor, 0)")
                  ", " STORE_SQL_SUM("COALESCE(book_credit_minor, 0)") ", "
                  "SUM(CASE WHEN book_debit_minor IS NULL THEN 1 ELSE 0 END) "
                  "FROM journal_lines WHERE tenant_id = $1 "
                  "GROUP BY account, currency ORDER BY account, currency",
                  p, N_PARAMS(p), balance_row, &r, NULL, err) < 0)
        return -1;
    if (r.overflow[0])
        return store_sum_overflow(err, r.overflow);
    return r.failed ? error_set(err, ERR_STORE, "cannot read a balance row") : 0;
}

/* ---- the webhook log ---------------------------------------------------------------- */

struct log_rows {
    int (*fn)(void *ctx, const struct webhook_log_record *rec);
    void *ctx;
};

static int log_row(void *ctx, const struct store_row *row)
{
    struct log_rows *r = ctx;
    struct webhook_log_record rec = {
        .id = store_row_text(row, 0),
        .provider = store_row_text(row, 1),
        .event = text_or_null(row, 2),
        .status = store_row_text(row, 3),
        .external_id = text_or_null(row, 4),
        .error = text_or_null(row, 5),
        .detail = text_or_null(row, 6),
        .received_at = store_row_text(row, 7),
        .processed_at = store_row_text(row, 8),
        .action = text_or_null(row, 9),
    };
    return r->fn(r->ctx, &rec);
}

/* $1 tenant, $2 provider, $3 limit, $4 status, $5 cursor. */
#define LOG_LIST_SQL(after_cursor)                                                            \
    "SELECT id, provider, event, status, external_id, error, detail, received_at, "           \
    "processed_at, action FROM webhook_logs WHERE tenant_id = $1 AND provider = $2" after_cursor      \
    " AND ($4 IS NULL OR status = $4) ORDER BY id DESC LIMIT $3"

static const char *const log_list_sql[] = {LOG_LIST_SQL(""), LOG_LIST_SQL(" AND id < $5")};

int store_webhook_log_list(struct store *s, const char *tenant_id, const char *provider,
                           const char *status, const struct store_page *page,
                           int (*fn)(void *ctx, const struct webhook_log_record *rec),
                           void *ctx, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(provider), P_INT(page->limit),
                              P_TEXT(status), P_TEXT(page->before)};
    bool after = page->before != NULL;
    struct log_rows r = {.fn = fn, .ctx = ctx};
    return store_run(s, log_list_sql[after], p, N_PARAMS(p) - !after, log_row, &r, NULL, err);
}
