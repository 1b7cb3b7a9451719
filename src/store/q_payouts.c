/* store/q_payouts.c - provider movements, the bank lines' matching, rules, invoices paid
 * through the bank and reconciliation's sums (see payouts.h). The bank's tables are the bank
 * data's (migration 18); only their matching columns are written here. */
#include "store/payouts.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "store/store_int.h"

/* A text column into a fixed buffer, cut on a UTF-8 boundary when longer; NULL as "". */
static void col_text(const struct store_row *row, int col, char *out, size_t cap)
{
    utf8_copy(out, cap, store_row_text(row, col));
}

static void now_text(char out[CLOCK_RFC3339_LEN])
{
    clock_format_rfc3339(clock_now_ms(), out);
}

/* ---- provider movements ------------------------------------------------------------------ */

#define MOVEMENT_COLUMNS                                                                     \
    "id, provider, kind, external_id, amount_minor, currency, occurred_on, reference, "      \
    "ledger_entry_id, bank_transaction_id"

struct movement_walk {
    int (*fn)(void *ctx, const struct provider_movement *m);
    void *ctx;
};

static int each_movement(void *ctx, const struct store_row *row)
{
    struct movement_walk *w = ctx;
    struct provider_movement m = {0};
    col_text(row, 0, m.id, sizeof m.id);
    col_text(row, 1, m.provider, sizeof m.provider);
    col_text(row, 2, m.kind, sizeof m.kind);
    col_text(row, 3, m.external_id, sizeof m.external_id);
    m.amount_minor = store_row_int(row, 4);
    col_text(row, 5, m.currency, sizeof m.currency);
    col_text(row, 6, m.occurred_on, sizeof m.occurred_on);
    col_text(row, 7, m.reference, sizeof m.reference);
    col_text(row, 8, m.ledger_entry_id, sizeof m.ledger_entry_id);
    col_text(row, 9, m.bank_transaction_id, sizeof m.bank_transaction_id);
    return w->fn(w->ctx, &m);
}

int store_movement_insert(struct store_tx *tx, const char *tenant_id, struct provider_movement *m,
                          bool *inserted, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t changes = 0;
    *inserted = false;
    if (crypto_id_new("mov_", m->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for an id");
    now_text(now);
    struct store_param p[] = {P_TEXT(m->id),
                              P_TEXT(tenant_id),
                              P_TEXT(m->provider),
                              P_TEXT(m->kind),
                              P_TEXT(m->external_id),
                              P_INT(m->amount_minor),
                              P_TEXT(m->currency),
                              P_TEXT(m->occurred_on),
                              P_TEXT(m->reference[0] ? m->reference : NULL),
                              P_TEXT(m->ledger_entry_id[0] ? m->ledger_entry_id : NULL),
                              P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO provider_movements (id, tenant_id, provider, kind, "
                       "external_id, amount_minor, currency, occurred_on, reference, "
                       "ledger_entry_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                       "$9, $10, $11) ON CONFLICT (tenant_id, provider, kind, external_id) "
                       "DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    *inserted = changes == 1;
    if (!*inserted)
        m->id[0] = '\0';
    return 0;
}

int store_payouts_unmatched(struct store_tx *tx, const char *tenant_id, int64_t amount_minor,
                            const char *currency,
                            int (*fn)(void *ctx, const struct provider_movement *m), void *ctx,
                            struct error *err)
{
    struct movement_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(amount_minor), P_TEXT(currency)};
    return store_tx_query(tx,
                          "SELECT " MOVEMENT_COLUMNS " FROM provider_movements WHERE "
                          "tenant_id = $1 AND kind = 'payout' AND amount_minor = $2 AND "
                          "currency = $3 AND bank_transaction_id IS NULL ORDER BY id",
                          p, N_PARAMS(p), each_movement, &w, NULL, err);
}

int store_payout_link(struct store_tx *tx, const char *tenant_id, const char *movement_id,
                      const char *bank_transaction_id, struct error *err)
{
    int64_t changes = 0;
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(movement_id),
                              P_TEXT(bank_transaction_id)};
    if (store_tx_query(tx,
                       "UPDATE provider_movements SET bank_transaction_id = $3 WHERE "
                       "tenant_id = $1 AND id = $2 AND bank_transaction_id IS NULL",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0 : error_set(err, ERR_CONFLICT, "the payout is matched already");
}

int store_movements_page(struct store *s, const char *tenant_id, const char *kind,
                         const struct store_page *page,
                         int (*fn)(void *ctx, const struct provider_movement *m), void *ctx,
                         struct error *err)
{
    struct movement_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(kind),
                              P_TEXT(page->before && *page->before ? page->before : "~"),
                              P_INT(page->limit > 0 ? page->limit : 1)};
    return store_run(s,
                     "SELECT " MOVEMENT_COLUMNS " FROM provider_movements WHERE tenant_id = $1 "
                     "AND (kind = CAST($2 AS TEXT) OR ($2 IS NULL AND kind <> 'event')) "
                     "AND id < $3 "
                     "ORDER BY id DESC LIMIT $4",
                     p, N_PARAMS(p), each_movement, &w, NULL, err);
}

/* ---- bank lines ---------------------------------------------------------------------------- */

#define LINE_COLUMNS                                                                         \
    "t.id, t.account_id, t.status, t.booking_date, t.value_date, t.amount_minor, "           \
    "t.currency, t.counterparty_name, t.counterparty_iban, t.remittance, t.reference, "      \
    "t.match_status, t.invoice_id, t.ledger_entry_id, a.ledger_account, a.name, "            \
    "t.created_at"
#define LINE_FROM                                                                            \
    " FROM bank_transactions t JOIN bank_accounts a ON a.id = t.account_id "

struct line_walk {
    int (*fn)(void *ctx, const struct bank_line *l);
    void *ctx;
};

static void line_read(const struct store_row *row, struct bank_line *l)
{
    memset(l, 0, sizeof *l);
    col_text(row, 0, l->id, sizeof l->id);
    col_text(row, 1, l->account_id, sizeof l->account_id);
    col_text(row, 2, l->status, sizeof l->status);
    col_text(row, 3, l->booking_date, sizeof l->booking_date);
    col_text(row, 4, l->value_date, sizeof l->value_date);
    l->amount_minor = store_row_int(row, 5);
    col_text(row, 6, l->currency, sizeof l->currency);
    col_text(row, 7, l->counterparty_name, sizeof l->counterparty_name);
    col_text(row, 8, l->counterparty_iban, sizeof l->counterparty_iban);
    col_text(row, 9, l->remittance, sizeof l->remittance);
    col_text(row, 10, l->reference, sizeof l->reference);
    col_text(row, 11, l->match_status, sizeof l->match_status);
    col_text(row, 12, l->invoice_id, sizeof l->invoice_id);
    col_text(row, 13, l->ledger_entry_id, sizeof l->ledger_entry_id);
    col_text(row, 14, l->ledger_account, sizeof l->ledger_account);
    col_text(row, 15, l->account_name, sizeof l->account_name);
    col_text(row, 16, l->created_at, sizeof l->created_at);
}

static int each_line(void *ctx, const struct store_row *row)
{
    struct line_walk *w = ctx;
    struct bank_line l;
    line_read(row, &l);
    return w->fn(w->ctx, &l);
}

int store_bank_lines_page(struct store *s, const char *tenant_id, int matched,
                          const struct store_page *page,
                          int (*fn)(void *ctx, const struct bank_line *l), void *ctx,
                          struct error *err)
{
    struct line_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(matched),
                              P_TEXT(page->before && *page->before ? page->before : "~"),
                              P_INT(page->limit > 0 ? page->limit : 1)};
    return store_run(s,
                     "SELECT " LINE_COLUMNS LINE_FROM "WHERE t.tenant_id = $1 AND "
                     "($2 < 0 OR ($2 = 0 AND t.match_status = 'unmatched') OR "
                     "($2 = 1 AND t.match_status <> 'unmatched')) AND t.id < $3 "
                     "ORDER BY t.id DESC LIMIT $4",
                     p, N_PARAMS(p), each_line, &w, NULL, err);
}

int store_bank_lines_unmatched(struct store *s, const char *tenant_id,
                               int (*fn)(void *ctx, const struct bank_line *l), void *ctx,
                               struct error *err)
{
    struct line_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id)};
    return store_run(s,
                     "SELECT " LINE_COLUMNS LINE_FROM "WHERE t.tenant_id = $1 AND "
                     "t.match_status = 'unmatched' AND t.status = 'booked' ORDER BY t.id",
                     p, N_PARAMS(p), each_line, &w, NULL, err);
}

static int read_line(void *ctx, const struct store_row *row)
{
    line_read(row, ctx);
    return 1;
}

int store_bank_line_get(struct store_tx *tx, const char *tenant_id, const char *id,
                        struct bank_line *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    out->id[0] = '\0';
    if (store_tx_query(tx, "SELECT " LINE_COLUMNS LINE_FROM "WHERE t.tenant_id = $1 AND t.id = $2",
                       p, N_PARAMS(p), read_line, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "no such bank transaction");
}

int store_bank_line_match(struct store_tx *tx, const char *tenant_id, const char *id,
                          const char *how, const char *invoice_id, const char *entry_id,
                          struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t changes = 0;
    now_text(now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id),       P_TEXT(how),
                              P_TEXT(invoice_id), P_TEXT(entry_id), P_TEXT(now)};
    if (store_tx_query(tx,
                       "UPDATE bank_transactions SET match_status = $3, invoice_id = $4, "
                       "ledger_entry_id = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2 "
                       "AND match_status = 'unmatched' AND status = 'booked'",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0
                        : error_set(err, ERR_CONFLICT,
                                    "the bank transaction is matched already or not booked yet");
}

/* ---- open invoices ------------------------------------------------------------------------- */

#define OPEN_COLUMNS                                                                         \
    "i.id, i.type, i.invoice_number, i.source, i.external_id, i.journal_entry_id, "          \
    "i.total_gross_minor, i.currency, p.invoice_id"

struct open_walk {
    int (*fn)(void *ctx, const struct open_invoice *inv);
    void *ctx;
    bool *open; /* get: whether it is open */
};

static void open_read(const struct store_row *row, struct open_invoice *o)
{
    memset(o, 0, sizeof *o);
    col_text(row, 0, o->id, sizeof o->id);
    const char *type = store_row_text(row, 1);
    o->type = strcmp(type, "ausgangsrechnung") == 0   ? "ausgangsrechnung"
              : strcmp(type, "eingangsrechnung") == 0 ? "eingangsrechnung"
                                                      : "gutschrift";
    col_text(row, 2, o->invoice_number, sizeof o->invoice_number);
    col_text(row, 3, o->source, sizeof o->source);
    col_text(row, 4, o->external_id, sizeof o->external_id);
    col_text(row, 5, o->journal_entry_id, sizeof o->journal_entry_id);
    o->total_gross_minor = store_row_int(row, 6);
    col_text(row, 7, o->currency, sizeof o->currency);
}

static int each_open(void *ctx, const struct store_row *row)
{
    struct open_walk *w = ctx;
    struct open_invoice o;
    open_read(row, &o);
    return w->fn(w->ctx, &o);
}

int store_open_invoices(struct store_tx *tx, const char *tenant_id, const char *type,
                        int64_t amount_minor, const char *currency,
                        int (*fn)(void *ctx, const struct open_invoice *inv), void *ctx,
                        struct error *err)
{
    struct open_walk w = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(type), P_INT(amount_minor),
                              P_TEXT(currency)};
    return store_tx_query(tx,
                          "SELECT " OPEN_COLUMNS " FROM invoices i LEFT JOIN invoice_payments p "
                          "ON p.tenant_id = i.tenant_id AND p.invoice_id = i.id "
                          "WHERE i.tenant_id = $1 AND i.type = $2 AND i.total_gross_minor = $3 "
                          "AND i.currency = $4 AND i.journal_entry_id IS NOT NULL AND "
                          "p.invoice_id IS NULL ORDER BY i.id",
                          p, N_PARAMS(p), each_open, &w, NULL, err);
}

static int read_open(void *ctx, const struct store_row *row)
{
    struct open_walk *w = ctx;
    open_read(row, (struct open_invoice *)w->ctx);
    *w->open = store_row_is_null(row, 8) && !store_row_is_null(row, 5);
    return 1;
}

int store_open_invoice_get(struct store_tx *tx, const char *tenant_id, const char *id,
                           struct open_invoice *out, bool *open, struct error *err)
{
    struct open_walk w = {.ctx = out, .open = open};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    out->id[0] = '\0';
    *open = false;
    if (store_tx_query(tx,
                       "SELECT " OPEN_COLUMNS " FROM invoices i LEFT JOIN invoice_payments p "
                       "ON p.tenant_id = i.tenant_id AND p.invoice_id = i.id "
                       "WHERE i.tenant_id = $1 AND i.id = $2",
                       p, N_PARAMS(p), read_open, &w, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "no such invoice");
}

int store_invoice_payment_insert(struct store_tx *tx, const char *tenant_id,
                                 const char *invoice_id, const char *bank_transaction_id,
                                 const char *entry_id, const char *paid_on, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t changes = 0;
    now_text(now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(invoice_id), P_TEXT(bank_transaction_id),
                              P_TEXT(entry_id),  P_TEXT(paid_on),    P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO invoice_payments (tenant_id, invoice_id, bank_transaction_id, "
                       "ledger_entry_id, paid_on, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
                       "ON CONFLICT DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0 : error_set(err, ERR_CONFLICT, "the invoice is paid already");
}

struct amount_walk {
    int (*fn)(void *ctx, int64_t amount_minor, const char *currency);
    void *ctx;
};

static int each_amount(void *ctx, const struct store_row *row)
{
    struct amount_walk *w = ctx;
    return w->fn(w->ctx, store_row_int(row, 0), store_row_text(row, 1));
}

int store_match_amounts(struct store *s, const char *tenant_id,
                        int (*fn)(void *ctx, int64_t amount_minor, const char *currency),
                        void *ctx, struct error *err)
{
    struct amount_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id)};
    return store_run(s,
                     "SELECT i.total_gross_minor, i.currency FROM invoices i "
                     "LEFT JOIN invoice_payments p ON p.tenant_id = i.tenant_id AND "
                     "p.invoice_id = i.id WHERE i.tenant_id = $1 AND i.journal_entry_id IS NOT "
                     "NULL AND p.invoice_id IS NULL AND i.type <> 'gutschrift' "
                     "GROUP BY i.total_gross_minor, i.currency "
                     "UNION SELECT amount_minor, currency FROM provider_movements WHERE "
                     "tenant_id = $1 AND kind = 'payout' AND bank_transaction_id IS NULL "
                     "GROUP BY amount_minor, currency",
                     p, N_PARAMS(p), each_amount, &w, NULL, err);
}

/* ---- rules --------------------------------------------------------------------------------- */

struct rule_walk {
    int (*fn)(void *ctx, const struct match_rule *r);
    void *ctx;
};

static void rule_read(const struct store_row *row, struct match_rule *r)
{
    memset(r, 0, sizeof *r);
    col_text(row, 0, r->id, sizeof r->id);
    col_text(row, 1, r->counterparty, sizeof r->counterparty);
    col_text(row, 2, r->account, sizeof r->account);
    col_text(row, 3, r->created_at, sizeof r->created_at);
}

static int read_rule(void *ctx, const struct store_row *row)
{
    rule_read(row, ctx);
    return 1;
}

static int each_rule(void *ctx, const struct store_row *row)
{
    struct rule_walk *w = ctx;
    struct match_rule r;
    rule_read(row, &r);
    return w->fn(w->ctx, &r);
}

int store_match_rule_put(struct store_tx *tx, const char *tenant_id, const char *counterparty,
                         const char *account, struct match_rule *out, struct error *err)
{
    char id[CRYPTO_ID_MAX], now[CLOCK_RFC3339_LEN];
    if (crypto_id_new("rul_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for an id");
    now_text(now);
    struct store_param p[] = {P_TEXT(id), P_TEXT(tenant_id), P_TEXT(counterparty),
                              P_TEXT(account), P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO bank_match_rules (id, tenant_id, counterparty, account, "
                       "created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, "
                       "counterparty) DO UPDATE SET account = excluded.account",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    bool found = false;
    if (store_match_rule_find(tx, tenant_id, counterparty, out, &found, err) < 0)
        return -1;
    return found ? 0 : error_set(err, ERR_STORE, "the rule just saved is gone");
}

int store_match_rule_find(struct store_tx *tx, const char *tenant_id, const char *counterparty,
                          struct match_rule *out, bool *found, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(counterparty)};
    out->id[0] = '\0';
    if (store_tx_query(tx,
                       "SELECT id, counterparty, account, created_at FROM bank_match_rules "
                       "WHERE tenant_id = $1 AND counterparty = $2",
                       p, N_PARAMS(p), read_rule, out, NULL, err) < 0)
        return -1;
    *found = out->id[0] != '\0';
    return 0;
}

int store_match_rules_list(struct store *s, const char *tenant_id,
                           int (*fn)(void *ctx, const struct match_rule *r), void *ctx,
                           struct error *err)
{
    struct rule_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id)};
    return store_run(s,
                     "SELECT id, counterparty, account, created_at FROM bank_match_rules "
                     "WHERE tenant_id = $1 ORDER BY counterparty LIMIT 1000",
                     p, N_PARAMS(p), each_rule, &w, NULL, err);
}

int store_match_rule_delete(struct store *s, const char *tenant_id, const char *id,
                            struct error *err)
{
    int64_t changes = 0;
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    if (store_run(s, "DELETE FROM bank_match_rules WHERE tenant_id = $1 AND id = $2", p,
                  N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0 : error_set(err, ERR_NOT_FOUND, "no such rule");
}

/* ---- reconciliation ------------------------------------------------------------------------ */

static int read_account(void *ctx, const struct store_row *row)
{
    struct bank_account_view *a = ctx;
    col_text(row, 0, a->id, sizeof a->id);
    col_text(row, 1, a->name, sizeof a->name);
    col_text(row, 2, a->iban, sizeof a->iban);
    col_text(row, 3, a->currency, sizeof a->currency);
    col_text(row, 4, a->ledger_account, sizeof a->ledger_account);
    a->has_balance = !store_row_is_null(row, 5);
    a->balance_minor = store_row_int(row, 5);
    col_text(row, 6, a->balance_date, sizeof a->balance_date);
    return 1;
}

int store_bank_account_view(struct store *s, const char *tenant_id, const char *id,
                            struct bank_account_view *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT id, name, iban, currency, ledger_account, balance_minor, balance_date "
                  "FROM bank_accounts WHERE tenant_id = $1 AND id = $2",
                  p, N_PARAMS(p), read_account, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "no such bank account");
}

struct sum_read {
    int64_t sum;
    bool overflow;
};

static int read_sum(void *ctx, const struct store_row *row)
{
    struct sum_read *r = ctx;
    r->overflow = store_row_sum(row, 0, &r->sum) < 0;
    return 1;
}

int store_bank_lines_sum(struct store *s, const char *tenant_id, const char *account_id,
                         const char *to, int64_t *sum, struct error *err)
{
    struct sum_read r = {0};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(account_id), P_TEXT(to)};
    if (store_run(s,
                  "SELECT " STORE_SQL_SUM("amount_minor") " FROM bank_transactions WHERE "
                  "tenant_id = $1 AND account_id = $2 AND status = 'booked' AND "
                  "(booking_date <= CAST($3 AS TEXT) OR $3 IS NULL)",
                  p, N_PARAMS(p), read_sum, &r, NULL, err) < 0)
        return -1;
    if (r.overflow)
        return store_sum_overflow(err, "the bank account's transactions");
    *sum = r.sum;
    return 0;
}

int store_ledger_account_sum(struct store *s, const char *tenant_id, const char *account,
                             const char *currency, const char *to, int64_t *sum,
                             struct error *err)
{
    struct sum_read r = {0};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(account), P_TEXT(currency), P_TEXT(to)};
    if (store_run(s,
                  "SELECT " STORE_SQL_SUM("l.debit_minor - l.credit_minor") " FROM journal_lines l "
                  "JOIN journal_entries e ON e.id = l.entry_id WHERE l.tenant_id = $1 AND "
                  "l.account = $2 AND l.currency = $3 AND "
                  "(e.entry_date <= CAST($4 AS TEXT) OR $4 IS NULL)",
                  p, N_PARAMS(p), read_sum, &r, NULL, err) < 0)
        return -1;
    if (r.overflow)
        return store_sum_overflow(err, "the ledger's bank account");
    *sum = r.sum;
    return 0;
}

int store_bank_lines_unbooked(struct store *s, const char *tenant_id, const char *account_id,
                              const char *to,
                              int (*fn)(void *ctx, const struct bank_line *l), void *ctx,
                              struct error *err)
{
    struct line_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(account_id), P_TEXT(to)};
    return store_run(s,
                     "SELECT " LINE_COLUMNS LINE_FROM "WHERE t.tenant_id = $1 AND "
                     "t.account_id = $2 AND t.status = 'booked' AND t.ledger_entry_id IS NULL "
                     "AND (t.booking_date <= CAST($3 AS TEXT) OR $3 IS NULL) "
                     "ORDER BY t.booking_date, t.id LIMIT 1000",
                     p, N_PARAMS(p), each_line, &w, NULL, err);
}

struct ledger_walk {
    int (*fn)(void *ctx, const struct ledger_only *e);
    void *ctx;
};

static int each_ledger_only(void *ctx, const struct store_row *row)
{
    struct ledger_walk *w = ctx;
    struct ledger_only e = {.entry_id = store_row_text(row, 0),
                            .date = store_row_text(row, 1),
                            .description = store_row_text(row, 2),
                            .amount_minor = store_row_int(row, 3) - store_row_int(row, 4)};
    return w->fn(w->ctx, &e);
}

int store_ledger_unmatched(struct store *s, const char *tenant_id, const char *account,
                           const char *currency, const char *to,
                           int (*fn)(void *ctx, const struct ledger_only *e), void *ctx,
                           struct error *err)
{
    struct ledger_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(account), P_TEXT(currency), P_TEXT(to)};
    return store_run(s,
                     "SELECT e.id, e.entry_date, e.description, l.debit_minor, l.credit_minor "
                     "FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id "
                     "WHERE l.tenant_id = $1 AND l.account = $2 AND l.currency = $3 AND "
                     "(e.entry_date <= CAST($4 AS TEXT) OR $4 IS NULL) AND NOT EXISTS "
                     "(SELECT 1 FROM bank_transactions b WHERE b.tenant_id = $1 AND "
                     "b.ledger_entry_id = e.id) ORDER BY e.entry_date, e.id LIMIT 1000",
                     p, N_PARAMS(p), each_ledger_only, &w, NULL, err);
}
