/* store/q_fx.c - exchange rates (fx_rates) and the rates of invoices in other currencies
 * (invoice_fx); see store/books.h. Both tables are written once per key: a rate row may be
 * corrected by a newer import, an invoice's rate never changes. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/books.h"
#include "store/store_int.h"

void store_invoice_fx_read(const struct store_row *row, int col, struct invoice *inv)
{
    struct invoice_fx *fx = &inv->fx;
    memset(fx, 0, sizeof *fx);
    if (strcmp(inv->currency, "EUR") == 0) {
        /* The book currency rates itself. */
        *fx = (struct invoice_fx){.rated = true, .book_gross_minor = inv->total_gross_minor,
                                  .rate = 1000000, .source = "book"};
        memcpy(fx->rate_date, inv->invoice_date, sizeof fx->rate_date);
        return;
    }
    if (store_row_is_null(row, col))
        return;
    fx->rated = true;
    fx->book_gross_minor = store_row_int(row, col);
    fx->rate = store_row_int(row, col + 1);
    store_row_copy(row, col + 2, fx->source, sizeof fx->source);
    store_row_copy(row, col + 3, fx->rate_date, sizeof fx->rate_date);
}

int store_invoice_fx_insert(struct store_tx *tx, const char *tenant_id, const char *invoice_id,
                            const struct invoice_fx *fx, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t changes = 0;
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(invoice_id),   P_TEXT(tenant_id),   P_INT(fx->book_gross_minor),
                              P_INT(fx->rate),      P_TEXT(fx->source),  P_TEXT(fx->rate_date),
                              P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO invoice_fx (invoice_id, tenant_id, book_gross_minor, rate, "
                       "source, rate_date, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                       "ON CONFLICT (invoice_id) DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0
                        : error_set(err, ERR_CONFLICT, "invoice %s already has its rate",
                                    invoice_id);
}

struct flagged {
    int (*fn)(void *ctx, const char *tenant_id, const char *invoice_id);
    void *ctx;
};

static int flagged_row(void *ctx, const struct store_row *row)
{
    struct flagged *f = ctx;
    return f->fn(f->ctx, store_row_text(row, 0), store_row_text(row, 1));
}

int store_invoice_fx_flagged(struct store_tx *tx,
                             int (*fn)(void *ctx, const char *tenant_id, const char *invoice_id),
                             void *ctx, struct error *err)
{
    struct flagged f = {.fn = fn, .ctx = ctx};
    return store_tx_query(tx,
                          "SELECT i.tenant_id, i.id FROM invoices i " STORE_INVOICE_FX_JOIN
                          " WHERE i.currency <> 'EUR' AND x.invoice_id IS NULL "
                          "ORDER BY i.tenant_id, i.id",
                          NULL, 0, flagged_row, &f, NULL, err);
}

/* ---- the rates table --------------------------------------------------------------- */

static int read_rate(void *ctx, const struct store_row *row)
{
    int64_t *rate = ctx;
    *rate = store_row_int(row, 0);
    return 1;
}

int store_fx_rate_put(struct store_tx *tx, const char *currency, const char *date,
                      int64_t rate, enum store_fx_put *outcome, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t kept = 0;
    struct store_param key[] = {P_TEXT(currency), P_TEXT(date)};
    if (store_tx_query(tx, "SELECT rate FROM fx_rates WHERE currency = $1 AND rate_date = $2",
                       key, N_PARAMS(key), read_rate, &kept, NULL, err) < 0)
        return -1;
    if (kept == rate) {
        *outcome = STORE_FX_SAME;
        return 0;
    }
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(currency), P_TEXT(date), P_INT(rate), P_TEXT(now)};
    *outcome = kept ? STORE_FX_CHANGED : STORE_FX_NEW;
    return store_tx_query(tx,
                          kept ? "UPDATE fx_rates SET rate = $3, imported_at = $4 "
                                 "WHERE currency = $1 AND rate_date = $2"
                               : "INSERT INTO fx_rates (currency, rate_date, rate, imported_at) "
                                 "VALUES ($1, $2, $3, $4)",
                          p, N_PARAMS(p), NULL, NULL, NULL, err);
}

struct found_rate {
    int64_t rate;
    char date[11];
    bool found;
};

static int read_found(void *ctx, const struct store_row *row)
{
    struct found_rate *f = ctx;
    f->rate = store_row_int(row, 0);
    f->found = store_row_copy(row, 1, f->date, sizeof f->date) == 0;
    return 1;
}

int store_fx_rate_find(struct store_tx *tx, const char *currency, const char *date,
                       int window_days, int64_t *rate, char rate_date[11], bool *found,
                       struct error *err)
{
    int y, m, d;
    char earliest[CLOCK_RFC3339_LEN];
    *found = false;
    if (strlen(date) != 10 || sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return error_set(err, ERR_VALIDATION, "'%.16s' is not a day", date);
    clock_format_rfc3339((clock_days_from_civil(y, m, d) - window_days) * 86400000LL, earliest);
    earliest[10] = '\0';
    struct found_rate f = {0};
    struct store_param p[] = {P_TEXT(currency), P_TEXT(date), P_TEXT(earliest)};
    if (store_tx_query(tx,
                       "SELECT rate, rate_date FROM fx_rates WHERE currency = $1 "
                       "AND rate_date <= $2 AND rate_date >= $3 ORDER BY rate_date DESC LIMIT 1",
                       p, N_PARAMS(p), read_found, &f, NULL, err) < 0)
        return -1;
    if (f.found) {
        *rate = f.rate;
        memcpy(rate_date, f.date, 11);
        *found = true;
    }
    return 0;
}

int store_journal_count_for_invoice(struct store_tx *tx, const char *tenant_id,
                                    const char *invoice_id, int64_t *n, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(invoice_id)};
    *n = 0;
    return store_tx_query(tx,
                          "SELECT COUNT(*) FROM journal_entries WHERE tenant_id = $1 "
                          "AND invoice_id = $2",
                          p, N_PARAMS(p), read_rate, n, NULL, err);
}
